"""Play a trained policy and export it for the robot (ONNX + TorchScript + deployment metadata).

    python scripts/play.py --task TRIRL-G1-Run-Play --checkpoint latest
    python scripts/play.py --task TRIRL-Go2-Walk-Play --checkpoint logs/rsl_rl/trirl_go2_walk/<run>/model_500.pt

With a display the run opens Isaac Lab's Newton viewer; headless (or --viewer off) it records the rollout as a motion
clip (``exported/play_*.h5``, our HDF5 schema) plus a stick-figure contact sheet (PNG) and animation (GIF), and, where
an offscreen OpenGL context can be made (EGL: a GPU driver, or Mesa's llvmpipe on a CPU), an mp4 rendered by the
Newton GL visualizer with the camera following env 0 (``--render auto|on|off``), and exits.
The export goes to ``exported/`` beside the checkpoint: policy.onnx (dynamic batch, normaliser baked in, metadata in
the ONNX properties), policy.pt (TorchScript) and policy.json (joint order, default pose, action scale, observation
layout, control dt, PD gains); ONNX Runtime is checked against torch on random observations.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    """Command-line options; ``key=value`` extras are Hydra overrides."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", required=True, help="e.g. TRIRL-G1-Run-Play")
    p.add_argument("--checkpoint", required=True, help="model_*.pt, or 'latest' (newest run of the task)")
    p.add_argument("--steps", type=int, default=500, help="control steps to play (headless: to record)")
    p.add_argument("--num_envs", type=int)
    p.add_argument("--viewer", choices=("auto", "on", "off"), default="auto", help="auto: on when DISPLAY is set")
    p.add_argument(
        "--render",
        choices=("auto", "on", "off"),
        default="auto",
        help="headless: also render an mp4 with the Newton GL visualizer offscreen (EGL); auto: when EGL works",
    )
    p.add_argument("--export_only", action="store_true", help="export and check the policy, do not play")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--log_root", default="logs")
    p.add_argument("--motion", nargs="+", help="motion clip file(s) to start episodes from instead of the task's")
    args, rest = p.parse_known_args(argv)
    bad = [a for a in rest if "=" not in a]
    if bad:
        p.error(f"unrecognised arguments {bad}")
    return args, rest


def main(argv: list[str] | None = None) -> None:
    """Load the checkpoint into the task, export, then play (viewer) or record (headless)."""
    args, overrides = parse_args(argv)
    import torch
    from isaaclab.app import launch_simulation

    from trirl_isaac.motion.kinematics import ROBOTS
    from trirl_isaac.motion.render import render_animation, render_contact_sheet
    from trirl_isaac.motion.schema import save_motion_file
    from trirl_isaac.tasks.imitation.export import export_policy
    from trirl_isaac.tasks.imitation.recording import record_rollout
    from trirl_isaac.tasks.imitation.viewer_video import offscreen_visualizer_cfg, resolve_render, viewer_video_or_none
    from trirl_isaac.tasks.launch import (
        checkpoint_is_trirl,
        latest_checkpoint,
        make_runner,
        resolve_device,
        task_configs,
        wrap_env,
    )

    device = resolve_device(args.device)
    base_task = args.task.removesuffix("-Play")
    ckpt = args.checkpoint
    if ckpt == "latest":
        _, agent_probe = task_configs(base_task, "rsl_rl_cfg_entry_point", [], device)
        ckpt = latest_checkpoint(os.path.abspath(args.log_root), agent_probe.experiment_name)
    try:
        is_trirl = checkpoint_is_trirl(ckpt)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f"[play] {err}")
    entry = "rsl_rl_cfg_entry_point" if is_trirl else "rsl_rl_ppo_cfg_entry_point"
    env_cfg, agent_cfg = task_configs(args.task, entry, overrides, device)
    if args.num_envs:
        env_cfg.scene.num_envs = args.num_envs
    if args.motion:
        env_cfg.motion.files = list(args.motion)
    viewer = args.viewer == "on" or (args.viewer == "auto" and bool(os.environ.get("DISPLAY")))
    launch_args = {"visualizer": ["newton_gl"]} if viewer and not args.export_only else {}
    try:
        render = not viewer and not args.export_only and resolve_render(args.render)
    except RuntimeError as err:
        sys.exit(f"[play] {err}")
    if render:
        env_cfg.sim.visualizer_cfgs = [offscreen_visualizer_cfg()]
        launch_args = {"visualizer": ["newton_gl"]}
    out_dir = os.path.join(os.path.dirname(os.path.abspath(ckpt)), "exported")

    with launch_simulation(env_cfg, launch_args):
        env = wrap_env(args.task, env_cfg, agent_cfg)
        runner = make_runner(env, agent_cfg, log_dir=None, device=device)
        runner.load(ckpt, map_location=device)
        summary = export_policy(runner, env, out_dir)
        print(
            f"[play] exported policy.onnx / policy.pt / policy.json to {out_dir}; ONNX vs torch max |diff| "
            f"{summary['onnx_max_abs_diff']:.1e} on {summary['samples']} observations",
            flush=True,
        )
        if args.export_only:
            env.close()
            return
        policy = runner.get_inference_policy(device=device)
        if viewer:
            obs = env.get_observations()
            with torch.inference_mode():
                for _ in range(args.steps):
                    obs, _, _, _ = env.step(policy(obs))
        else:
            stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
            path = os.path.join(out_dir, f"play_{stamp}.h5")
            video = viewer_video_or_none(env, args.render) if render else None
            if video is not None:
                video.begin(path.replace(".h5", ".mp4"))
            clips = record_rollout(
                env,
                policy,
                args.steps,
                list(range(min(4, env.num_envs))),
                "play",
                how_made=f"rollout of {os.path.basename(ckpt)} in {args.task}",
                key_bodies=list(ROBOTS[env_cfg.robot_name].key_bodies),
                on_step=video.capture if video is not None else None,
            )
            if not clips:
                if video is not None:
                    video.discard()
                sys.exit(f"[play] every recorded episode ended within one step: nothing recorded to {out_dir}")
            save_motion_file(path, env_cfg.robot_name, clips)
            print(f"[play] headless: recorded {len(clips)} clip(s) of up to {args.steps} steps to {path}", flush=True)
            png = render_contact_sheet(path, path.replace(".h5", ".png"))
            gif = render_animation(path, path.replace(".h5", ".gif"))
            print(f"[play] contact sheet: {png}; animation: {gif}", flush=True)
            if video is not None:
                mp4 = video.finish()
                print(f"[play] rendered video (Newton GL, camera on env 0): {mp4}", flush=True)
        env.close()


if __name__ == "__main__":
    main()
