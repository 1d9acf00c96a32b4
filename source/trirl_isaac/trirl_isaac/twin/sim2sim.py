"""sim2sim: run an exported policy (``policy.onnx`` + ``policy.json``) in the MuJoCo twin, with no Isaac Lab import.

What the check reads is only what a robot-side runtime gets: the ONNX file, its ``policy.json`` and the packaged
MJCF (with the robot module's actuators). Every field the twin relies on is checked first; a missing or inconsistent
one is a :class:`PolicyMetadataError` naming it, before the first step. Then the policy runs in ``num_envs`` twins
from clip frames (play mode: no noise) for one episode each and reports survival, forward speed against the clip's
and per-foot duty factors, records env 0 as a clip in the HDF5 motion schema and renders it with MuJoCo's own
offscreen renderer (EGL), or, where no GL context can be made, as the stick-figure GIF (saying why). Files are new
(``sim2sim_<time>.*`` in the exported folder); nothing there is overwritten.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import numpy as np
import torch

REQUIRED = ("task_cfg", "robot", "joint_names", "default_joint_pos", "action", "observation", "control_dt")


class PolicyMetadataError(ValueError):
    """policy.json (or policy.onnx) does not describe a policy the twin can run faithfully."""


def read_metadata(folder: str) -> dict[str, Any]:
    """policy.json of an exported folder, with every field the twin needs present."""
    path = os.path.join(folder, "policy.json")
    if not os.path.isfile(path):
        raise PolicyMetadataError(f"{path}: not found (export a policy with scripts/play.py first)")
    try:
        with open(path) as f:
            meta = json.load(f)
    except json.JSONDecodeError as err:
        raise PolicyMetadataError(f"{path}: not valid JSON ({err})") from None
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise PolicyMetadataError(f"{path}: missing field(s) {missing}")
    return meta


def task_of(meta: dict[str, Any]) -> str:
    """The twin task whose Isaac Lab config exported the policy (``task_cfg``, a ``_PLAY`` variant included)."""
    from trirl_isaac.spec import TASKS

    cfg = str(meta["task_cfg"]).removesuffix("_PLAY")
    for name, task in TASKS.items():
        if task.env_cfg == cfg:
            if task.robot != meta["robot"]:
                raise PolicyMetadataError(
                    f"policy.json: task_cfg {cfg} is a {task.robot} task, robot says {meta['robot']!r}"
                )
            return name
    raise PolicyMetadataError(f"policy.json: task_cfg {meta['task_cfg']!r} is no known task ({sorted(TASKS)})")


def check_metadata(meta: dict[str, Any], env) -> None:
    """Raise :class:`PolicyMetadataError` naming the first field that disagrees with the twin of its task."""
    robot, spec = env.robot, env.spec
    names = list(meta["joint_names"])
    if names != list(robot.joint_names):
        if len(names) != len(robot.joint_names):
            raise PolicyMetadataError(
                f"policy.json: joint_names has {len(names)} joints, the {robot.name} has {len(robot.joint_names)}"
            )
        k = next(i for i, (a, b) in enumerate(zip(names, robot.joint_names)) if a != b)
        raise PolicyMetadataError(
            f"policy.json: joint_names[{k}] is {names[k]!r}, the {robot.name}'s joint {k} is {robot.joint_names[k]!r}"
        )
    default = np.asarray(meta["default_joint_pos"], dtype=float)
    if default.shape != env.tm.default_joint_pos.shape or not np.allclose(default, env.tm.default_joint_pos, atol=1e-5):
        raise PolicyMetadataError("policy.json: default_joint_pos differs from the robot's default pose")
    action = meta["action"]
    if action.get("type") != "joint_position_offset":
        raise PolicyMetadataError(f"policy.json: action.type {action.get('type')!r} (expected 'joint_position_offset')")
    if not np.isclose(float(action.get("scale", np.nan)), spec.action_scale):
        raise PolicyMetadataError(
            f"policy.json: action.scale {action.get('scale')} (the task uses {spec.action_scale})"
        )
    if not np.isclose(float(meta["control_dt"]), spec.control_dt):
        raise PolicyMetadataError(f"policy.json: control_dt {meta['control_dt']} (the task steps {spec.control_dt} s)")
    layout = meta["observation"].get("layout", [])
    want = env.observation_layout()
    got = [(e.get("term"), e.get("start"), e.get("size")) for e in layout]
    exp = [(e["term"], e["start"], e["size"]) for e in want]
    if got != exp:
        raise PolicyMetadataError(f"policy.json: observation layout {got} differs from the task's {exp}")
    if int(meta["observation"].get("size", -1)) != sum(e["size"] for e in want):
        raise PolicyMetadataError(f"policy.json: observation.size {meta['observation'].get('size')} != the layout's")
    for key, mine in (("stiffness", env.tm.stiffness), ("damping", env.tm.damping)):
        if key in meta and not np.allclose(np.asarray(meta[key], dtype=float), mine, rtol=1e-5):
            raise PolicyMetadataError(f"policy.json: {key} differs from the {robot.name}'s actuators ({mine.tolist()})")


def load_session(folder: str, obs_size: int, num_actions: int):
    """The ONNX policy, its input and output sizes checked against the metadata."""
    import onnxruntime as ort

    path = os.path.join(folder, "policy.onnx")
    if not os.path.isfile(path):
        raise PolicyMetadataError(f"{path}: not found")
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    inp, out = session.get_inputs()[0], session.get_outputs()[0]
    if inp.shape[-1] != obs_size:
        raise PolicyMetadataError(f"policy.onnx reads {inp.shape[-1]} observations, policy.json says {obs_size}")
    if out.shape[-1] != num_actions:
        raise PolicyMetadataError(f"policy.onnx writes {out.shape[-1]} actions, the robot has {num_actions} joints")
    return session, inp.name, out.name


def render_video(env, frames: list[dict[str, np.ndarray]], path: str, fps: float) -> str:
    """An mp4 of recorded twin states by MuJoCo's offscreen renderer, a camera tracking the base. Raises where
    no GL context can be made."""
    import imageio.v2 as imageio
    import mujoco

    os.environ.setdefault("MUJOCO_GL", "egl")
    model, data = env.model, mujoco.MjData(env.model)
    model.vis.headlight.ambient[:] = 0.45  # the MJCF has no lights: a brighter headlight (rendering only)
    model.vis.headlight.diffuse[:] = 0.7
    renderer = mujoco.Renderer(model, 360, 640)
    cam = mujoco.MjvCamera()
    cam.type = mujoco.mjtCamera.mjCAMERA_TRACKING
    cam.trackbodyid = env.tm.base_body
    cam.distance, cam.elevation, cam.azimuth = 4.0 * env.robot.root_height + 0.5, -15.0, 120.0
    opt = mujoco.MjvOption()
    opt.geomgroup[:] = 1  # the packaged MJCF keeps collision geoms only (group 3, hidden by default)
    tmp = f"{path}.part.mp4"
    try:
        with imageio.get_writer(tmp, fps=fps, codec="libx264", quality=7, macro_block_size=8) as writer:
            for f in frames:
                data.qpos[:] = f["qpos"]
                mujoco.mj_forward(model, data)
                renderer.update_scene(data, cam, scene_option=opt)
                writer.append_data(renderer.render())
        os.replace(tmp, path)
    finally:
        renderer.close()
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def sim2sim(
    folder: str, num_envs: int = 16, steps: int | None = None, video: str = "auto", seed: int = 0, dynamics=None
) -> dict:
    """Run the exported policy in ``folder`` in the twin; write the clip, the video and ``sim2sim_<time>.json``.
    ``dynamics`` (:class:`~trirl_isaac.twin.model.Dynamics`) runs it on a changed robot or floor."""
    from trirl_isaac.motion.schema import save_motion_file
    from trirl_isaac.twin import TwinEnv
    from trirl_isaac.twin.record import clip_from_states
    from trirl_isaac.twin.train import clip_gait, compare, gait_report

    if video not in ("auto", "on", "off"):
        raise ValueError(f"video must be auto, on or off, got {video!r}")
    meta = read_metadata(folder)
    env = TwinEnv(task_of(meta), num_envs, play=True, seed=seed, dynamics=dynamics)
    check_metadata(meta, env)
    session, inp, out = load_session(folder, int(meta["observation"]["size"]), env.num_actions)
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    base = os.path.join(folder, f"sim2sim_{stamp}")
    if any(os.path.exists(f"{base}{ext}") for ext in (".json", ".h5", ".mp4", ".gif")):
        raise FileExistsError(f"{base}.*: already there (nothing is overwritten); try again in a second")

    frames: list[dict[str, np.ndarray]] = []
    states: list[Any] = []
    ended = [False]

    def policy(obs) -> torch.Tensor:
        if not ended[0]:  # record env 0 until its first episode ends
            states.append(env.robot_state())
            frames.append({"qpos": env.datas[0].qpos.copy()})
            if len(states) > 1 and env.episode_length_buf[0] == 0:
                ended[0] = True
                states.pop()
                frames.pop()
        return torch.from_numpy(session.run([out], {inp: obs["policy"].numpy()})[0])

    report = gait_report(env, policy, steps)
    clip = clip_gait(env)
    result: dict[str, Any] = {"folder": folder, "task": env.task_name, **report, "clip": clip, **compare(report, clip)}
    result["dynamics"] = env.dynamics.changed()
    rec = clip_from_states(
        states,
        0,
        env.robot,
        1.0 / env.step_dt,
        "sim2sim_env0",
        how_made=f"scripts/sim2sim.py {folder}: policy.onnx in the MuJoCo twin of {env.task_name}",
    )
    save_motion_file(f"{base}.h5", env.robot.name, [rec])
    result["clip_file"] = f"{base}.h5"
    result["video"] = None
    if video != "off":
        try:
            result["video"] = render_video(env, frames, f"{base}.mp4", fps=1.0 / env.step_dt)
        except Exception as err:  # noqa: BLE001 - any GL failure degrades to the stick figure
            if video == "on":
                raise RuntimeError(f"--video on, but MuJoCo's offscreen renderer failed: {err!r}") from err
            from trirl_isaac.motion.render import render_animation

            result["video_error"] = f"MuJoCo offscreen rendering failed ({err!r}): stick figure instead"
            print(f"[sim2sim] {result['video_error']}", flush=True)
            result["video"] = render_animation(f"{base}.h5", f"{base}.gif")
    with open(f"{base}.json", "w") as f:
        json.dump(result, f, indent=1)
    return result
