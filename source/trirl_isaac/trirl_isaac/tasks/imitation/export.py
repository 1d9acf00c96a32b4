"""Export a trained policy for deployment: ONNX + TorchScript + the metadata a robot-side runtime needs."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import torch


def actuator_metadata(robot_name: str) -> dict[str, Any]:
    """PD gains and limits per joint from the robot module (the source of the articulation's actuator config;
    Isaac Lab zeroes the simulator's joint stiffness for explicit actuators such as the Go2's DC motors)."""
    from trirl_isaac.robots import ROBOTS

    robot = ROBOTS[robot_name]
    groups = [robot.actuator_of(j) for j in robot.joint_names]

    def per_joint(attr: str) -> list[float | None]:
        return [robot.per_joint(getattr(g, attr), (j,))[0] for g, j in zip(groups, robot.joint_names)]

    return {
        "stiffness": per_joint("stiffness"),
        "damping": per_joint("damping"),
        "effort_limit": per_joint("effort_limit"),
        "velocity_limit": [
            robot.per_joint(g.velocity_limit, (j,))[0] if g.velocity_limit is not None else None
            for g, j in zip(groups, robot.joint_names)
        ],
        "actuator": ["dc_motor" if g.velocity_limit is not None else "implicit_pd" for g in groups],
    }


def deployment_metadata(vec_env) -> dict[str, Any]:
    """Joint names and order, default joint positions, action scale, observation layout, control dt, PD gains.

    An env with its own ``deployment_metadata()`` (the MuJoCo twin) describes itself; an Isaac Lab env is read."""
    own = getattr(vec_env, "deployment_metadata", None)
    if callable(own):
        return own()
    env = vec_env.unwrapped
    robot = env.scene["robot"]
    om = env.observation_manager
    names = om.active_terms["policy"]
    dims = om.group_obs_term_dim["policy"]
    layout, start = [], 0
    for name, dim in zip(names, dims):
        size = int(np.prod(dim))
        layout.append({"term": name, "start": start, "size": size})
        start += size
    action_cfg = env.cfg.actions.joint_pos
    return {
        "task_cfg": type(env.cfg).__name__,
        "robot": env.cfg.robot_name,
        "joint_names": list(robot.joint_names),
        "default_joint_pos": robot.data.default_joint_pos.torch[0].tolist(),
        "action": {"type": "joint_position_offset", "scale": float(action_cfg.scale), "offset": "default_joint_pos"},
        "observation": {"size": start, "layout": layout, "notes": "joint_pos/vel relative to defaults"},
        "control_dt": float(env.step_dt),
        **actuator_metadata(env.cfg.robot_name),
    }


BUILD_TRACE_KEYS = ("pkg.torch.onnx.stack_trace",)
"""Node metadata torch's exporter writes that names files of the machine that built the model (its Python stack)."""


def strip_build_traces(model) -> int:
    """Remove the exporter's per-node Python stack traces (file paths of the build machine) from an ONNX model, in
    the main graph, its subgraphs and its functions; returns how many entries were removed. The graph, weights,
    names and scopes are untouched, so the model computes the same."""
    removed = 0

    def graphs_of(node):
        for attr in node.attribute:
            if attr.HasField("g"):
                yield attr.g
            yield from attr.graphs

    def clean_nodes(nodes) -> None:
        nonlocal removed
        for node in nodes:
            keep = [p for p in node.metadata_props if p.key not in BUILD_TRACE_KEYS]
            removed += len(node.metadata_props) - len(keep)
            if len(keep) != len(node.metadata_props):
                del node.metadata_props[:]
                node.metadata_props.extend(keep)
            for graph in graphs_of(node):
                clean_nodes(graph.node)

    clean_nodes(model.graph.node)
    for function in model.functions:
        clean_nodes(function.node)
    return removed


def export_onnx(runner, path: str) -> None:
    """One self-contained ONNX file (input 'obs' (batch, n), output 'actions'), observation normaliser baked in,
    without the exporter's stack traces (they hold the build machine's file paths)."""
    model = runner.alg.get_policy().as_onnx(verbose=False).to("cpu").eval()
    export_module(model, torch.zeros(2, model.input_size), path)


def export_module(model: torch.nn.Module, example: torch.Tensor, path: str) -> None:
    """``model`` (batch, n) -> (batch, m) as ONNX at ``path`` with a dynamic batch size and no build traces."""
    import onnx

    batch = torch.export.Dim("batch", min=1, max=1 << 20)
    torch.onnx.export(
        model,
        (example,),
        path,
        input_names=["obs"],
        output_names=["actions"],
        opset_version=18,
        dynamic_shapes=({0: batch},),
        dynamo=True,
        external_data=False,
    )
    exported = onnx.load(path)
    strip_build_traces(exported)
    onnx.save(exported, path)


def export_policy(runner, vec_env, out_dir: str, parity_samples: int = 1000, tol: float = 1e-5) -> dict[str, Any]:
    """Write policy.onnx, policy.pt and policy.json to out_dir; check ONNX against torch; return a summary."""
    import onnx
    import onnxruntime as ort

    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "policy.onnx")
    export_onnx(runner, onnx_path)
    runner.export_policy_to_jit(path=out_dir, filename="policy.pt")
    meta = deployment_metadata(vec_env)
    model = onnx.load(onnx_path)
    onnx.checker.check_model(model)
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.save(model, onnx_path)
    with open(os.path.join(out_dir, "policy.json"), "w") as f:
        json.dump(meta, f, indent=2)

    policy = runner.alg.get_policy().as_onnx(verbose=False).to("cpu").eval()
    obs = torch.randn(parity_samples, meta["observation"]["size"]) * 2.0
    with torch.no_grad():
        expected = policy(obs).numpy()
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    got = session.run(["actions"], {"obs": obs.numpy()})[0]
    max_err = float(np.abs(got - expected).max())
    if not max_err <= tol:
        raise RuntimeError(f"ONNX export disagrees with torch: max |diff| = {max_err:.2e} > {tol:.0e}")
    return {"dir": out_dir, "onnx_max_abs_diff": max_err, "samples": parity_samples, **meta}
