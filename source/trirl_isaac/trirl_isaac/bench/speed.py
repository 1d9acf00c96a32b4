"""Seconds per iteration of TRIRL vs GAIL vs PPO at the same batch, and the K-snapshot chain vs one discriminator."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import torch

from trirl_isaac.bench.settings import NUM_ENVS, QUICK, agent_cfg, ppo_cfg


def measure_speed(task: str, args) -> dict[str, Any]:
    """Seconds per iteration of TRIRL (full chain) vs PPO on the same env and batch; chain vs single-D cost."""
    from rsl_rl.runners import OnPolicyRunner

    from trirl_isaac.algo.expert import ExpertBuffer
    from trirl_isaac.algo.runner import TrirlRunner
    from trirl_isaac.envs.gym_mujoco import demo_features, load_demos, make_env

    num_envs = QUICK["num_envs"] if args.quick else NUM_ENVS
    iters = 2 if args.quick else args.speed_iterations

    def timed(runner, n: int) -> list[float]:
        out = []
        for _ in range(n + 1):  # the first is a warm-up
            t0 = time.perf_counter()
            runner.learn(1)
            out.append(time.perf_counter() - t0)
        return out[1:]

    cfg = agent_cfg("trirl", args.trirl, args.quick)
    disc_input = cfg["algorithm"]["trirl_cfg"]["disc_input"]
    env = make_env(task, num_envs, seed=0, absorbing_tail=args.env["absorbing_tail"])
    demos = load_demos(os.path.join(args.demo_dir, f"{task}.h5"))
    env.expert_sampler = ExpertBuffer(demo_features(demos, disc_input, env.absorbing), name=task)
    trirl = TrirlRunner(env, cfg, log_dir=None, device="cpu")
    chain = trirl.alg.reward.chain
    while len(chain) < chain.chain_length - 1:  # steady state: a full window (evictions distil while the
        # history's weight is >= approximator.skip_below; at eps 0.5 it is ~1e-12, so they skip)
        chain.append(trirl.alg.discriminator, trirl.alg.trirl_cfg.eps, 0.0)
    t_trirl = timed(trirl, iters)
    gail_env = make_env(task, num_envs, seed=0, absorbing_tail=args.env["absorbing_tail"])
    gail_env.expert_sampler = env.expert_sampler
    t_gail = timed(TrirlRunner(gail_env, agent_cfg("gail", args.trirl, args.quick), log_dir=None, device="cpu"), iters)
    t_ppo = timed(OnPolicyRunner(make_env(task, num_envs, seed=0), ppo_cfg(args.quick), None, "cpu"), iters)
    frozen_env = make_env(task, num_envs, seed=0, absorbing_tail=args.env["absorbing_tail"])
    frozen_env.install_frozen_reward(trirl.alg.reward)
    t_ppo_frozen = timed(OnPolicyRunner(frozen_env, ppo_cfg(args.quick), None, "cpu"), iters)
    x = env.expert_sampler.sample(num_envs * cfg["num_steps_per_env"])
    reps = 3 if args.quick else 20
    t0 = time.perf_counter()
    for _ in range(reps):
        chain(x)
    t_chain = (time.perf_counter() - t0) / reps
    t0 = time.perf_counter()
    with torch.no_grad():
        for _ in range(reps):
            trirl.alg.discriminator(x)
    t_single = (time.perf_counter() - t0) / reps
    mean = lambda v: float(np.mean(v))  # noqa: E731
    return {
        "task": task,
        "num_envs": num_envs,
        "steps_per_env": cfg["num_steps_per_env"],
        "threads": torch.get_num_threads(),
        "trirl_s_per_iter": mean(t_trirl),
        "gail_s_per_iter": mean(t_gail),
        "ppo_s_per_iter": mean(t_ppo),
        "ppo_frozen_reward_s_per_iter": mean(t_ppo_frozen),
        "ratio_trirl_ppo": mean(t_trirl) / mean(t_ppo),
        "ratio_trirl_gail": mean(t_trirl) / mean(t_gail),
        "chain_length": len(chain),
        "chain_eval_ms": 1000 * t_chain,
        "single_disc_eval_ms": 1000 * t_single,
        "chain_vs_single": t_chain / t_single,
        "eval_batch": int(x.shape[0]),
    }
