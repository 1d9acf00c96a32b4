"""Env-steps per second of the MuJoCo twin against the Isaac Lab CPU task, same envs, same process and actions.

    python scripts/benchmark_twin.py --task TRIRL-Go2-Walk --num_envs 64 --steps 100 [--threads 1 2] [--out speed.json]

Both run the task's policy-step loop (physics, observations, terminations, resets; no learning) with the same
random actions (uniform in [-1, 1], fixed seed) for --steps steps after 5 warm-up steps. Isaac Lab and torch run on
one thread; the twin is measured once per --threads value, its physics stepped on that many threads (default: one,
and every core of the machine). Prints a markdown row per thread count and the JSON of raw numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import time


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", default="TRIRL-Go2-Walk")
    p.add_argument("--num_envs", type=int, default=64)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--threads", type=int, nargs="+", default=None, help="the twin's physics threads to measure")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    threads = args.threads or sorted({1, os.cpu_count() or 1})
    if min(threads) < 1:
        p.error(f"--threads must be >= 1, got {threads}")
    import torch
    from isaaclab.app import launch_simulation

    from trirl_isaac.tasks.launch import task_configs, wrap_env
    from trirl_isaac.twin import TwinEnv

    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)

    def timed(env, num_actions: int) -> float:
        actions = [torch.rand(args.num_envs, num_actions, generator=gen) * 2 - 1 for _ in range(args.steps + 5)]
        for a in actions[:5]:
            env.step(a)
        t0 = time.perf_counter()
        for a in actions[5:]:
            env.step(a)
        return args.num_envs * args.steps / (time.perf_counter() - t0)

    env_cfg, agent_cfg = task_configs(args.task, "rsl_rl_cfg_entry_point", [], "cpu")
    env_cfg.scene.num_envs = args.num_envs
    with launch_simulation(env_cfg, {}):
        isaac = wrap_env(args.task, env_cfg, agent_cfg)
        isaac_sps = timed(isaac, isaac.num_actions)
        twin_sps = {}
        for n in threads:
            twin = TwinEnv(args.task, args.num_envs, num_threads=n)
            twin_sps[n] = timed(twin, twin.num_actions)
            twin.close()
        isaac.close()
    first = twin_sps[threads[0]]
    result = {
        "task": args.task,
        "num_envs": args.num_envs,
        "steps": args.steps,
        "isaaclab_env_steps_per_s": isaac_sps,
        "twin_env_steps_per_s": first,
        "ratio": first / isaac_sps,
        "twin_threads": threads[0],
        "by_threads": {str(n): {"twin_env_steps_per_s": v, "ratio": v / isaac_sps} for n, v in twin_sps.items()},
    }
    print("| task | envs | twin threads | Isaac Lab (Newton, CPU) steps/s | MuJoCo twin steps/s | twin / Isaac Lab |")
    for n, v in twin_sps.items():
        print(f"| {args.task} | {args.num_envs} | {n} | {isaac_sps:.0f} | {v:.0f} | {v / isaac_sps:.1f} |")
    print(json.dumps(result))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
