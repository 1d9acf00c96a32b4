"""Train TRIRL on an Isaac Lab task (or re-optimise a frozen learned reward with plain rsl_rl PPO).

    python scripts/train.py --task TRIRL-G1-Run                      # CUDA if present (4096 envs), else a small CPU run
    python scripts/train.py --task TRIRL-Go2-Walk --num_envs 64 --max_iterations 100 agent.algorithm.learning_rate=1e-4
    python scripts/train.py --task TRIRL-G1-Run --resume latest      # continue the newest run of this task
    python scripts/train.py --task TRIRL-G1-Walk --agent ppo --reward logs/rsl_rl/trirl_g1_walk/<run>/reward_2999.pt
    python scripts/train.py --task TRIRL-Go2-Walk --video --video_interval 2000 --video_length 200
    torchrun --nproc_per_node=2 scripts/train.py --task TRIRL-G1-Run --distributed   # one process per GPU

Extra ``key=value`` arguments are Isaac Lab Hydra overrides (``env.…`` / ``agent.…``). Logs go to
``logs/rsl_rl/<experiment>/<timestamp>/`` (tensorboard events, params/env.yaml + agent.yaml, model_*.pt, reward_*.pt).
``--video`` records env 0 every ``--video_interval`` environment steps for ``--video_length`` steps into
``<run>/videos/train/step-<n>.h5`` (a motion clip), ``step-<n>.gif`` (animated stick figure from MuJoCo kinematics,
works anywhere) and ``step-<n>.mp4``, rendered by Isaac Lab's Newton GL visualizer offscreen with the camera on env 0
where an EGL context can be made (a GPU driver, or Mesa's llvmpipe on a CPU; ``--render auto|on|off``). The
visualizer renders only while a recording runs.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import time
from datetime import datetime

CPU_DEFAULTS = {"num_envs": 32, "max_iterations": 20}
"""Small enough to show progress within a minute on 2 CPU cores (after Warp's one-off kernel compilation)."""
CUDA_DEFAULT_ENVS = 4096


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    """Command-line options; unknown ``key=value`` arguments are returned as Hydra overrides."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", required=True, help="e.g. TRIRL-G1-Run, TRIRL-G1-Walk, TRIRL-Go2-Walk")
    p.add_argument("--agent", choices=("trirl", "ppo"), default="trirl", help="ppo: re-optimise --reward from scratch")
    p.add_argument("--reward", help="learned-reward file (reward_*.pt or a TRIRL checkpoint) for --agent ppo")
    p.add_argument("--num_envs", type=int)
    p.add_argument("--max_iterations", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument(
        "--motion", nargs="+", help="motion clip file(s) to imitate instead of the task's (HDF5, data/motions/)"
    )
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument(
        "--distributed",
        action="store_true",
        help="one process per GPU under torchrun (rank r uses cuda:<LOCAL_RANK>, seed + r; gloo on the CPU)",
    )
    p.add_argument("--resume", nargs="?", const="latest", help="checkpoint path, or 'latest' run of this task")
    p.add_argument("--log_root", default="logs", help="logs go to <log_root>/rsl_rl/<experiment>/<timestamp>/")
    p.add_argument("--run_name", default="", help="suffix of the run folder")
    p.add_argument(
        "--video", action="store_true", help="record training rollouts (clip + GIF) under <run>/videos/train"
    )
    p.add_argument("--video_length", type=int, default=200, help="steps per recording")
    p.add_argument("--video_interval", type=int, default=2000, help="environment steps between recordings")
    p.add_argument(
        "--render",
        choices=("auto", "on", "off"),
        default="auto",
        help="with --video: also render mp4s (Newton GL visualizer, offscreen EGL); auto: when EGL works",
    )
    args, rest = p.parse_known_args(argv)
    bad = [a for a in rest if "=" not in a]
    if bad:
        p.error(f"unrecognised arguments {bad} (Hydra overrides look like env.scene.num_envs=64)")
    if args.video and (args.video_length < 2 or args.video_interval < 1):
        p.error("--video_length must be >= 2 and --video_interval >= 1")
    if args.agent == "ppo" and not args.reward:
        p.error("--agent ppo re-optimises a learned reward: pass --reward <reward_*.pt or model_*.pt>")
    return args, rest


def main(argv: list[str] | None = None) -> None:
    """Build env and runner from the task's configs and train."""
    args, overrides = parse_args(argv)
    import gymnasium as gym
    import torch
    from isaaclab.app import launch_simulation
    from isaaclab.utils import to_dict
    from isaaclab.utils.io import dump_yaml

    import trirl_isaac.tasks  # noqa: F401  (registers the TRIRL-* tasks)
    from trirl_isaac.algo.config import ConfigError, TrirlCfg
    from trirl_isaac.algo.reward import LearnedReward
    from trirl_isaac.algo.runner import read_checkpoint
    from trirl_isaac.tasks.imitation.viewer_video import offscreen_visualizer_cfg, resolve_render, viewer_video_or_none
    from trirl_isaac.tasks.launch import latest_checkpoint, make_runner, resolve_device, task_configs, wrap_env

    device = resolve_device(args.device)
    rank, local_rank = int(os.getenv("RANK", "0")), int(os.getenv("LOCAL_RANK", "0"))
    if args.distributed:
        if int(os.getenv("WORLD_SIZE", "1")) < 2:
            sys.exit("--distributed: launch with torchrun --nproc_per_node=<N> (WORLD_SIZE is not set above 1)")
        device = f"cuda:{local_rank}" if device.startswith("cuda") else "cpu"
    on_cpu = device == "cpu"
    known = sorted(t for t in gym.registry if t.startswith("TRIRL-"))
    if args.task not in gym.registry:
        close = difflib.get_close_matches(args.task, known, n=3, cutoff=0.5)
        sys.exit(f"unknown task {args.task!r}; " + (f"did you mean {close}? " if close else "") + f"tasks: {known}")
    entry = "rsl_rl_cfg_entry_point" if args.agent == "trirl" else "rsl_rl_ppo_cfg_entry_point"
    env_cfg, agent_cfg = task_configs(args.task, entry, overrides, device)
    trirl_cfg = getattr(agent_cfg.algorithm, "trirl_cfg", None)
    if trirl_cfg is not None:  # validated now, before the simulator starts: a misspelt key fails in seconds
        try:
            TrirlCfg.from_dict(to_dict(trirl_cfg) if not isinstance(trirl_cfg, dict) else trirl_cfg)
        except ConfigError as err:
            sys.exit(f"[trirl] bad agent.algorithm.trirl_cfg override: {err}")
    env_cfg.scene.num_envs = args.num_envs or (CPU_DEFAULTS["num_envs"] if on_cpu else CUDA_DEFAULT_ENVS)
    if args.motion:
        env_cfg.motion.files = list(args.motion)
    if args.seed is not None:
        agent_cfg.seed = args.seed
    if args.distributed:  # every rank its own rollouts; rsl_rl averages the gradients and logs on rank 0
        agent_cfg.seed += rank
    env_cfg.seed = agent_cfg.seed
    iterations = args.max_iterations or (CPU_DEFAULTS["max_iterations"] if on_cpu else agent_cfg.max_iterations)
    torch.manual_seed(agent_cfg.seed)

    log_root = os.path.abspath(args.log_root)
    resume_path = None
    if args.resume:
        resume_path = latest_checkpoint(log_root, agent_cfg.experiment_name) if args.resume == "latest" else args.resume
        try:
            read_checkpoint(resume_path, map_location="cpu")  # a damaged file fails here, before the simulator
        except (FileNotFoundError, ValueError) as err:
            sys.exit(f"--resume: {err}")
    reward = LearnedReward.load(args.reward, device=device) if args.reward else None
    run = datetime.now().strftime("%Y-%m-%d_%H-%M-%S") + (f"_{args.run_name}" if args.run_name else "")
    log_dir = os.path.join(log_root, "rsl_rl", agent_cfg.experiment_name, run)
    base, n = log_dir, 1
    while os.path.exists(log_dir):  # a new run never writes into an existing run folder
        log_dir, n = f"{base}_{n}", n + 1
    print(
        f"[trirl] task={args.task} agent={args.agent} device={device} envs={env_cfg.scene.num_envs} "
        f"iterations={iterations} log_dir={log_dir}",
        flush=True,
    )

    launch_args: dict = {}
    try:
        render = args.video and resolve_render(args.render)
    except RuntimeError as err:
        sys.exit(f"[trirl] {err}")
    if render:
        env_cfg.sim.visualizer_cfgs = [offscreen_visualizer_cfg()]
        launch_args = {"visualizer": ["newton_gl"]}

    with launch_simulation(env_cfg, launch_args):
        env = wrap_env(args.task, env_cfg, agent_cfg)
        if args.video:
            from trirl_isaac.motion.kinematics import ROBOTS
            from trirl_isaac.tasks.imitation.recording import TrainingVideoRecorder

            robot_name = env_cfg.robot_name
            TrainingVideoRecorder(
                env,
                os.path.join(log_dir, "videos", "train"),
                robot_name,
                list(ROBOTS[robot_name].key_bodies),
                length=args.video_length,
                interval=args.video_interval,
                viewer=viewer_video_or_none(env, args.render) if render else None,
            )
        runner = make_runner(env, to_dict(agent_cfg), log_dir, device, reward=reward, reward_source=args.reward)
        if resume_path:
            print(f"[trirl] resuming from {resume_path}", flush=True)
            runner.load(resume_path, map_location=device)
        dump_yaml(os.path.join(log_dir, "params", "env.yaml"), env_cfg)
        dump_yaml(os.path.join(log_dir, "params", "agent.yaml"), agent_cfg)
        start = time.time()
        runner.learn(num_learning_iterations=iterations, init_at_random_ep_len=True)
        print(f"[trirl] trained {iterations} iterations in {time.time() - start:.1f} s; logs in {log_dir}", flush=True)
        env.close()


if __name__ == "__main__":
    main()
