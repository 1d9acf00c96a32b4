"""Repair a learned reward against the second optimum its re-optimisation climbs: retrain, fit D, fold it in.

A frozen reward that fails to re-optimise pays some behaviour the expert never shows as much as the expert (log v16:
the failures are second optima, not flat rewards). Training's discriminators never saw those states: TRIRL's policy
went another way. One round here does what one more IRL iteration would do with the re-optimising policy as the
learner: PPO from scratch on the reward (the benchmark's retraining settings), the states its final policy visits,
a fresh discriminator D fitted between those states and the demonstrations, and the reward folded with it,

    r' = (1 - step) * r + step * f(D)      (policy units, f the reward's fold term; ``LearnedReward.folded``)

A round repairs only while the retrained policy earns at least as much per step under the reward as the
demonstrations do (``--always``: every round): the expert should be optimal for a learned reward, so a fresh policy
that outscores it there, without being it, shows where the reward is wrong; once the demonstrations win there is
nothing to fold against, and the repairs stop (the last row then measures that reward). Each round's PPO uses its
own seed (round k: seed + 1 + 1000 k; round 0 is the benchmark retrain's), so the last row measures the last reward
with a seed no repair has seen. ``--rounds 0 --seed S`` is that seed's control on the unrepaired reward.

    python -m trirl_isaac.bench.repair --task halfcheetah --reward <file>.pt --rounds 3 --step 0.3 --out <dir>

The directory (new) gets ``repair.json`` and, per round k >= 1, ``<task>__trirl__s<seed>__repair<k>.pt`` under
``rewards/`` (so ``scripts/benchmark.py --rewards_from <dir> --reward_key repair<k>`` retrains and transfers it).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np
import torch

from trirl_isaac.algo.reward import LearnedReward

ABSORBING_SHARE = 0.02
"""Fall transitions added to a repair's negatives on tasks with an absorbing state (``algo.discriminator.fall_rows``):
without them a retrain that never falls leaves the new discriminator's value of a fall to extrapolation."""


def round_seed(seed: int, k: int) -> int:
    """PPO's seed in round k: round 0 is the benchmark retrain's (seed + 1), each later round a seed of its own."""
    return seed + 1 + 1000 * k


def repair(
    task: str,
    reward: LearnedReward,
    rounds: int,
    step: float,
    steps: int,
    seed: int,
    episodes: int,
    demo_dir: str,
    fit_calls: int,
    out_dir: str,
    quick: bool = False,
    steps_per_env: int | None = None,
    always: bool = False,
) -> dict[str, Any]:
    """Up to ``rounds`` repairs of ``reward`` on ``task`` and one more retrain measuring the last (see module);
    ``always``: repair every round, also after a retrain the demonstrations outscore."""
    from rsl_rl.runners import OnPolicyRunner

    from trirl_isaac.algo.config import DiscriminatorCfg
    from trirl_isaac.algo.discriminator import fall_rows, fit_fresh
    from trirl_isaac.algo.expert import ExpertBuffer
    from trirl_isaac.bench.ranking import check_rewards, learned_returns, rollout
    from trirl_isaac.bench.run import norm, reference_returns
    from trirl_isaac.bench.settings import NUM_ENVS, QUICK, TRIRL, ppo_cfg, task_steps_per_env
    from trirl_isaac.envs.gym_mujoco import demo_features, load_demos, make_env

    check_rewards(task, {"reward": reward})
    disc_cfg = DiscriminatorCfg(**TRIRL["discriminator"])  # the benchmark's discriminator fit, as in training
    num_envs = QUICK["num_envs"] if quick else NUM_ENVS
    ref = reference_returns(task, demo_dir, episodes)
    disc_input = reward.metadata.get("disc_input", "state_next_state")
    probe = make_env(task, 1, seed=0)
    probe_absorbing = bool(probe.absorbing)
    expert_x = demo_features(load_demos(os.path.join(demo_dir, f"{task}.h5")), disc_input, probe_absorbing)
    getattr(probe, "close", lambda: None)()
    expert_absorbing_row = torch.zeros(expert_x.shape[1] // 2)  # the absorbing state: zeros, flag 1 (demo_features)
    expert_absorbing_row[-1] = 1.0
    os.makedirs(os.path.join(out_dir, "rewards"))
    rows: list[dict[str, Any]] = []
    for k in range(rounds + 1):
        t0 = time.time()
        cfg = ppo_cfg(quick, steps_per_env=task_steps_per_env(task, steps_per_env, quick))
        gamma = float(cfg["algorithm"]["gamma"])
        batch = num_envs * cfg["num_steps_per_env"]
        iterations = QUICK["iterations"] if quick else max(1, steps // batch)
        ppo_seed = round_seed(seed, k)
        torch.manual_seed(ppo_seed)
        env = make_env(task, num_envs, seed=ppo_seed)
        env.install_frozen_reward(reward, source=f"repair round {k}", gamma=gamma)
        cfg["seed"] = ppo_seed
        runner = OnPolicyRunner(env, cfg, log_dir=None, device="cpu")
        runner.learn(iterations)
        getattr(env, "close", lambda: None)()
        probe_env = make_env(task, episodes, seed=10_000 + ppo_seed)
        with torch.inference_mode():
            trace = rollout(probe_env, runner.get_inference_policy())
        getattr(probe_env, "close", lambda: None)()
        alive = torch.stack([s["alive"] for s in trace["steps"]])
        lengths = alive.sum(0).double()
        with torch.no_grad():
            per_step = float((torch.tensor(learned_returns(trace, reward, gamma)) / lengths).mean())
            expert_per_step = float(reward(expert_x).mean())
        row: dict[str, Any] = {
            "round": k,
            "ppo_seed": ppo_seed,
            "env_steps": iterations * batch,
            "normalised": norm(float(np.mean(trace["returns"])), ref),
            "learned_per_step": per_step,
            "expert_per_step": expert_per_step,
        }
        repairs = k < rounds and (always or per_step >= expert_per_step)
        if k < rounds and not repairs:
            row["stopped"] = "the demonstrations outscore the retrained policy on the reward"
        if repairs:
            x = torch.cat([s[disc_input][s["alive"]] for s in trace["steps"]]).float()
            lived = x.shape[0]
            if probe_absorbing and disc_input == "state_next_state":  # falls join the negatives (twin.repair)
                x = torch.cat([x, fall_rows(x, expert_absorbing_row, ABSORBING_SHARE)])
            disc, stats = fit_fresh(reward.chain.template, x, ExpertBuffer(expert_x), disc_cfg, fit_calls)
            reward = reward.folded(disc, step, {"round": k + 1, "ppo_seed": ppo_seed, "rows": lived})
            name = f"{task}__trirl__s{seed}__repair{k + 1}.pt"
            reward.save(os.path.join(out_dir, "rewards", name))
            with torch.no_grad():
                after = float(reward(x[:lived]).mean()), float(reward(expert_x).mean())
            row.update(
                disc={k2: stats[k2] for k2 in ("accuracy", "logit_expert", "logit_policy")},
                rows=lived,
                fall_rows=int(x.shape[0]) - lived,
                repaired_file=name,
                repaired_policy_per_step=after[0],
                repaired_expert_per_step=after[1],
            )
        row["wall_s"] = time.time() - t0
        rows.append(row)
        print(
            f"round {k} (PPO seed {ppo_seed}): true {row['normalised']:.2f}, learned/step {per_step:.2f} "
            f"(demos {expert_per_step:.2f})"
            + (
                f"; D acc {row['disc']['accuracy']:.2f}, repaired: policy {after[0]:.2f} demos {after[1]:.2f}"
                if repairs
                else ""
            )
            + ("; stopped: the demonstrations outscore it" if "stopped" in row else ""),
            flush=True,
        )
        if "stopped" in row:
            break
    return {"task": task, "seed": seed, "rounds": rounds, "step": step, "steps": steps, "fit_calls": fit_calls,
            "episodes": episodes, "path": rows}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", required=True, help="a benchmark task (halfcheetah, hopper, pointmaze, ...)")
    p.add_argument("--reward", required=True, help="the TRIRL reward file to repair")
    p.add_argument("--rounds", type=int, default=3, help="repairs at most (each one retrain); one more measures")
    p.add_argument("--always", action="store_true", help="repair every round, also when the demos outscore the retrain")
    p.add_argument("--step", type=float, default=0.3, help="the fold's step for each repair's discriminator")
    p.add_argument("--steps", type=int, default=1_000_000, help="env steps of each retrain")
    p.add_argument("--seed", type=int, default=1, help="the benchmark seed (round k's PPO seed: seed + 1 + 1000 k)")
    p.add_argument("--episodes", type=int, default=16, help="episodes whose states the discriminator sees")
    p.add_argument("--fit_calls", type=int, default=20, help="passes of the benchmark's discriminator fit")
    p.add_argument("--demo_dir", default="data/demos")
    p.add_argument("--steps_per_env", type=int, default=None, help="rollout length per env (default: the task's)")
    p.add_argument("--quick", action="store_true", help="the benchmark's tiny settings (tests)")
    p.add_argument("--out", required=True, help="a new directory")
    a = p.parse_args(argv)
    if os.path.exists(a.out):
        raise SystemExit(f"{a.out} exists; choose a new directory")
    if a.rounds < 0 or a.steps < 1 or a.episodes < 1 or a.fit_calls < 1:
        raise SystemExit("--rounds must be >= 0 and --steps, --episodes, --fit_calls >= 1")
    if not 0.0 < a.step <= 1.0:
        raise SystemExit(f"--step must lie in (0, 1], got {a.step}")
    reward = LearnedReward.load(a.reward)
    if reward.method != "trirl":
        raise SystemExit(f"--reward {a.reward}: a {reward.method} reward; only TRIRL rewards fold discriminators")
    torch.set_num_threads(1)
    result = repair(a.task, reward, a.rounds, a.step, a.steps, a.seed, a.episodes, a.demo_dir, a.fit_calls, a.out,
                    a.quick, a.steps_per_env, a.always)  # fmt: skip
    result["reward"] = os.path.basename(a.reward)
    with open(os.path.join(a.out, "repair.json"), "x") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {os.path.join(a.out, 'repair.json')}")


if __name__ == "__main__":
    main()
