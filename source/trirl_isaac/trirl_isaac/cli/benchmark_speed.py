"""Wall time per iteration of TRIRL vs plain rsl_rl PPO on the same Isaac Lab task, envs and steps, in one run.

    python scripts/benchmark_speed.py --task TRIRL-G1-Walk --num_envs 64 --iterations 5
    python scripts/benchmark_speed.py --task TRIRL-Go2-Walk --iterations 8 --trirl approximator.batch_size=512

Both runners use the task's own agent configuration (same actor/critic, steps per env, epochs, minibatches) on
the same environment instance, whose reward term is TRIRL's learned reward for both (PPO just optimises it, so the
environment does the same work). The reward chain is first filled to K - 1 snapshots; iterations that evict a chunk
of snapshots (once every evict_chunk iterations, distilling them into the approximator while the history still
weighs) are amortised over the chunk in the reported steady-state time (raw times are in the JSON). After one
warm-up iteration each, TRIRL and PPO iterations alternate, so a slow drift of the machine affects both alike.
Prints a markdown row and the JSON of raw numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time


def main(argv: list[str] | None = None) -> None:
    """Run TRIRL then PPO for the same number of iterations and report per-iteration times."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", default="TRIRL-G1-Walk")
    p.add_argument("--num_envs", type=int, default=64)
    p.add_argument("--iterations", type=int, default=5)
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument(
        "--prefill_eta",
        type=float,
        default=2.5,
        help="eta of the pre-filled snapshots (step eps / (1 + eta)). 2.5: what a Go2 run measured (eta 1.9-4.1 in its "
        "first 30 iterations). It sets the history's weight, which decides whether an eviction distils when "
        "approximator.skip_below > 0 (the robot tasks' default is 0: every eviction distils)",
    )
    p.add_argument(
        "--trirl",
        nargs="+",
        default=None,
        metavar="KEY=VALUE",
        help="the TRIRL runner's trirl_cfg overrides (checked by name and value), e.g. approximator.batch_size=512",
    )
    p.add_argument("--out", default=None, help="JSON file for the raw numbers")
    args = p.parse_args(argv)
    if args.trirl:  # checked before the simulator starts: a misspelt key fails in seconds
        from trirl_isaac.bench.settings import with_overrides
        from trirl_isaac.tasks.imitation.agents import trirl_defaults

        with_overrides(list(args.trirl), trirl=trirl_defaults())

    import torch
    from isaaclab.app import launch_simulation

    from trirl_isaac.tasks.launch import make_runner, resolve_device, task_configs, wrap_env

    device = resolve_device(args.device)
    env_cfg, trirl_cfg = task_configs(args.task, "rsl_rl_cfg_entry_point", [], device)
    _, ppo_cfg = task_configs(args.task, "rsl_rl_ppo_cfg_entry_point", [], device)
    if args.trirl:
        from trirl_isaac.bench.settings import with_overrides

        trirl_cfg.algorithm.trirl_cfg = with_overrides(list(args.trirl), trirl=trirl_cfg.algorithm.trirl_cfg)
    env_cfg.scene.num_envs = args.num_envs
    steps = trirl_cfg.num_steps_per_env
    assert ppo_cfg.num_steps_per_env == steps

    def timed(runner, n: int) -> tuple[list[float], list[bool]]:
        """Seconds per iteration, and whether the iteration evicted snapshots into the approximator."""
        times, evicted = [], []
        chain = getattr(runner.alg, "reward", None)
        for _ in range(n):
            before = chain.chain.num_evicted if chain is not None else 0
            t0 = time.perf_counter()
            runner.learn(1)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
            evicted.append(chain is not None and chain.chain.num_evicted > before)
        return times, evicted

    with launch_simulation(env_cfg, {}):
        env = wrap_env(args.task, env_cfg, trirl_cfg)
        trirl = make_runner(env, trirl_cfg, log_dir=None, device=device)
        # steady state: a (nearly) full chain of K snapshots, as after K iterations of training
        chain = trirl.alg.reward.chain
        while len(chain) < chain.chain_length - 1:
            eps = trirl.alg.trirl_cfg.eps
            chain.append(trirl.alg.discriminator, eps / (1.0 + args.prefill_eta), args.prefill_eta)
        ppo = make_runner(env, ppo_cfg, log_dir=None, device=device)
        env.unwrapped.install_frozen_reward(trirl.alg.reward, source="benchmark")  # checked like a saved reward
        timed(trirl, 1)  # warm-up
        timed(ppo, 1)
        t_trirl, evicting, t_ppo = [], [], []
        for _ in range(args.iterations):  # alternate: drifts in machine speed hit both runners alike
            t, e = timed(trirl, 1)
            t_trirl += t
            evicting += e
            t_ppo += timed(ppo, 1)[0]
        # the K-snapshot chain vs a single discriminator on one rollout's worth of features
        x = trirl.alg.expert.sample(args.num_envs * steps)
        t0 = time.perf_counter()
        for _ in range(10):
            chain(x)
        t_chain = (time.perf_counter() - t0) / 10
        t0 = time.perf_counter()
        with torch.no_grad():
            for _ in range(10):
                trirl.alg.discriminator(x)
        t_single = (time.perf_counter() - t0) / 10
        env.close()

    samples = args.num_envs * steps
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    # steady state: distillation happens once every evict_chunk iterations, so amortise its extra cost
    plain = [t for t, e in zip(t_trirl, evicting) if not e]
    with_evict = [t for t, e in zip(t_trirl, evicting) if e]
    chunk = trirl.alg.trirl_cfg.approximator.evict_chunk
    if plain and with_evict:
        trirl_steady = mean(plain) + (mean(with_evict) - mean(plain)) / chunk
    else:
        trirl_steady = mean(t_trirl)
    result = {
        "task": args.task,
        "device": device,
        "num_envs": args.num_envs,
        "steps_per_env": steps,
        "iterations_timed": args.iterations,
        "trirl_s_per_iter": trirl_steady,
        "ppo_s_per_iter": mean(t_ppo),
        "ratio": trirl_steady / mean(t_ppo),
        # pairs without an eviction; with evict_chunk 1 every iteration evicts (and distils), so all pairs
        "ratio_median_of_pairs": statistics.median(
            t / p for t, p, e in zip(t_trirl, t_ppo, evicting) if not e or not plain
        ),
        "trirl_env_steps_per_s": samples / trirl_steady,
        "trirl_times": t_trirl,
        "trirl_iteration_evicted": evicting,
        "ppo_times": t_ppo,
        "evict_chunk": chunk,
        "ppo_env_steps_per_s": samples / mean(t_ppo),
        "chain_length": len(chain),
        "prefill_eta": args.prefill_eta,
        "history_weight": chain.history_weight(),
        "distillations": chain.num_distilled,
        "trirl_overrides": list(args.trirl or []),
        "approximator": dataclasses.asdict(trirl.alg.trirl_cfg.approximator),
        "chain_eval_ms": 1000 * t_chain,
        "single_disc_eval_ms": 1000 * t_single,
    }
    print("| task | device | envs | TRIRL s/iter | PPO s/iter | ratio | TRIRL steps/s | PPO steps/s |")
    print(
        f"| {args.task} | {device} | {args.num_envs} | {result['trirl_s_per_iter']:.2f} | "
        f"{result['ppo_s_per_iter']:.2f} | {result['ratio']:.3f} | {result['trirl_env_steps_per_s']:.0f} | "
        f"{result['ppo_env_steps_per_s']:.0f} |"
    )
    print(json.dumps(result))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
