"""Zero-action standing check of the packaged G1 (29 DoF) and Go2 assets in Isaac Lab 3.0 (kit-less, Newton).

Builds Isaac Lab's flat velocity-tracking task for the robot with the robot replaced by this package's
articulation config, the ground plane replaced by the packaged one and every randomisation event switched off,
then steps it with zero actions (the joint-position action holds the default joint positions) and reports the
joint/body order, base height, total foot contact force against m*g and a NaN check::

    python scripts/check_robots.py [g1|go2|all] [--num-envs 4] [--steps 100] [--device cpu] [--json out.json]

``all`` (default) checks each robot in its own subprocess (one Isaac Lab simulation per process). The last
line of a single-robot run is ``RESULT {json}``; tests/test_assets.py parses it.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

GRAVITY = 9.81
ROBOTS = ("g1", "go2")
TASKS = {"g1": "Isaac-Velocity-Flat-G1", "go2": "Isaac-Velocity-Flat-UnitreeGo2"}


def usd_total_mass(usd_path: str) -> float:
    """Sum of the rigid-body masses authored in a robot USD [kg]."""
    from pxr import Usd, UsdPhysics

    stage = Usd.Stage.Open(usd_path)
    return float(
        sum(
            UsdPhysics.MassAPI(prim).GetMassAttr().Get() or 0.0
            for prim in stage.Traverse()
            if prim.HasAPI(UsdPhysics.RigidBodyAPI)
        )
    )


def make_env_cfg(robot: str, num_envs: int, device: str):
    """Isaac Lab's flat velocity task for ``robot`` with the packaged asset, local ground and no randomisation."""
    from isaaclab.managers import SceneEntityCfg
    from isaaclab_tasks.utils import parse_env_cfg

    from trirl_isaac import assets

    cfg = parse_env_cfg(TASKS[robot], device=device, num_envs=num_envs)
    if robot == "go2":
        cfg.scene.robot = assets.GO2_CFG.replace(prim_path="{ENV_REGEX_NS}/Robot")
        assets.set_mjwarp_limits(cfg, assets.GO2_NCONMAX, assets.GO2_NJMAX)
    else:
        # the upstream G1 task targets Isaac Sim's 37-DoF G1 (hands, torso_joint): rename its joint groups
        cfg.scene.robot = assets.G1_29DOF_CFG.replace(prim_path="{ENV_REGEX_NS}/Robot")
        assets.set_mjwarp_limits(cfg, assets.G1_NCONMAX, assets.G1_NJMAX)
        cfg.rewards.joint_deviation_arms.params["asset_cfg"] = SceneEntityCfg(
            "robot", joint_names=[".*_shoulder_.*_joint", ".*_elbow_joint", ".*_wrist_.*_joint"]
        )
        cfg.rewards.joint_deviation_fingers = None
        cfg.rewards.joint_deviation_torso.params["asset_cfg"] = SceneEntityCfg("robot", joint_names="waist_.*_joint")
    assets.use_local_ground_plane(cfg)
    # no randomisation: robots start exactly in the default state and are never pushed
    for name in ("physics_material", "add_base_mass", "base_com", "base_external_force_torque", "push_robot"):
        setattr(cfg.events, name, None)
    cfg.events.reset_base.params["pose_range"] = {}
    cfg.events.reset_base.params["velocity_range"] = {}
    cfg.events.reset_robot_joints.params["position_range"] = (1.0, 1.0)
    cfg.events.reset_robot_joints.params["velocity_range"] = (0.0, 0.0)
    cfg.observations.policy.enable_corruption = False
    return cfg


def check_one(robot: str, num_envs: int, steps: int, device: str) -> dict:
    import gymnasium as gym
    import torch
    from isaaclab.app import launch_simulation

    from trirl_isaac import assets

    t0 = time.time()
    cfg = make_env_cfg(robot, num_envs, device)
    feet = assets.G1_FEET if robot == "g1" else assets.GO2_FEET
    usd = assets.G1_29DOF_USD if robot == "g1" else assets.GO2_USD
    mass = usd_total_mass(usd)
    with launch_simulation(cfg, {}):
        env = gym.make(TASKS[robot], cfg=cfg)
        unwrapped = env.unwrapped
        env.reset()
        t_build = time.time() - t0
        art = unwrapped.scene["robot"]
        sensor = unwrapped.scene["contact_forces"]
        find = sensor.find_sensors if hasattr(sensor, "find_sensors") else sensor.find_bodies
        foot_ids, foot_names = find(feet, preserve_order=True)
        print(f"[{robot}] joints ({len(art.joint_names)}): {art.joint_names}", flush=True)
        print(f"[{robot}] bodies ({len(art.body_names)}): {art.body_names}", flush=True)
        print(f"[{robot}] feet {foot_names} -> sensor ids {list(foot_ids)}; total mass {mass:.3f} kg", flush=True)
        actions = torch.zeros(env.action_space.shape, device=unwrapped.device)
        heights, forces, finite, dones = [], [], True, 0
        t1 = time.time()
        for step in range(steps):
            obs, rew, term, trunc, _ = env.step(actions)
            height = art.data.root_pos_w.torch[:, 2].clone()
            force = sensor.data.net_forces_w.torch[:, foot_ids].norm(dim=-1).sum(dim=-1)
            heights.append(height)
            forces.append(force)
            dones += int((term | trunc).sum())
            finite &= bool(torch.isfinite(obs["policy"]).all() and torch.isfinite(rew).all())
            finite &= bool(torch.isfinite(height).all() and torch.isfinite(force).all())
            if (step + 1) % 25 == 0:
                print(
                    f"[{robot}] step {step + 1}: base_z {[round(v, 3) for v in height.tolist()]} "
                    f"feet_force_N {[round(v, 1) for v in force.tolist()]}",
                    flush=True,
                )
        t_steps = time.time() - t1
        joint_err = (art.data.joint_pos.torch - art.data.default_joint_pos.torch).abs().max(dim=0).values
        env.close()
    heights_t = torch.stack(heights)  # (steps, envs)
    tail = max(1, steps // 5)  # average the force over the last 20 % of the steps (contact forces are spiky)
    force_tail = torch.stack(forces)[-tail:].mean(dim=0)
    return {
        "robot": robot,
        "num_envs": num_envs,
        "steps": steps,
        "joint_names": list(art.joint_names),
        "body_names": list(art.body_names),
        "feet": list(foot_names),
        "mass_kg": mass,
        "weight_N": mass * GRAVITY,
        "base_height_final": heights_t[-1].tolist(),
        "base_height_min": heights_t.min(dim=0).values.tolist(),
        "foot_force_N": force_tail.tolist(),
        "joint_pos_error_max": dict(zip(art.joint_names, joint_err.tolist(), strict=True)),
        "finite": finite,
        "dones": dones,
        "build_s": round(t_build, 1),
        "step_s": round(t_steps, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("robot", nargs="?", default="all", choices=(*ROBOTS, "all"))
    parser.add_argument("--num-envs", type=int, default=4)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", type=Path, default=None, help="also write the result(s) to this file")
    args = parser.parse_args()

    if args.robot != "all":
        result = check_one(args.robot, args.num_envs, args.steps, args.device)
        results = [result]
        print("RESULT " + json.dumps(result), flush=True)
    else:
        results = []
        for robot in ROBOTS:  # one simulation per process
            cmd = [sys.executable, __file__, robot, "--num-envs", str(args.num_envs), "--steps", str(args.steps)]
            proc = subprocess.run(cmd + ["--device", args.device], capture_output=True, text=True)
            sys.stdout.write(proc.stdout)
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
            if proc.returncode != 0 or not lines:
                sys.stderr.write(proc.stderr[-5000:])
                print(f"[{robot}] FAILED (exit {proc.returncode})")
                return 1
            results.append(json.loads(lines[-1][len("RESULT ") :]))

    ok = True
    for r in results:
        ratio = sum(r["foot_force_N"]) / len(r["foot_force_N"]) / r["weight_N"]
        low = min(r["base_height_min"])
        print(
            f"== {r['robot']}: {len(r['joint_names'])} joints, {len(r['body_names'])} bodies, "
            f"mass {r['mass_kg']:.2f} kg (m*g {r['weight_N']:.1f} N); base height min {low:.3f} m, final mean "
            f"{sum(r['base_height_final']) / len(r['base_height_final']):.3f} m; foot force mean "
            f"{ratio * r['weight_N']:.1f} N ({ratio:.2f} m*g); finite {r['finite']}; dones {r['dones']}; "
            f"build {r['build_s']} s, {r['steps']} steps {r['step_s']} s"
        )
        worst = sorted(r["joint_pos_error_max"].items(), key=lambda kv: -kv[1])[:4]
        print(f"   largest |q - q_default| [rad]: {', '.join(f'{k} {v:.3f}' for k, v in worst)}")
        ok &= r["finite"] and math.isfinite(ratio)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
