"""Repair a learned reward in the twin against what its re-optimisation found: fit D on that policy, fold it in.

Where PPO re-optimising a frozen reward settles on something the clip never shows (the Go2's three-legged stance on
a payload), that behaviour is a second optimum of the reward: training's discriminators never saw it. One repair is
one more IRL step with that policy as the learner: its transitions in the twin (on the dynamics it was trained on),
a fresh discriminator of the reward's architecture fitted against the clip's features with the task's discriminator
settings, and the reward folded with it, r' = (1 - step) r + step f(D), f the reward's fold term
(``LearnedReward.folded``). ``python -m trirl_isaac.bench.repair`` is the same step on the MuJoCo benchmark, where
it is measured (retrain, repair, retrain).
"""

from __future__ import annotations

import os
from typing import Any

import torch


def repair_reward(
    task: str,
    reward_path: str,
    policy: tuple[str, str],
    out: str,
    step: float = 0.3,
    passes: int = 20,
    num_envs: int = 64,
    steps: int = 300,
    skip: int = 50,
    absorbing_share: float = 0.02,
    seed: int = 0,
    motion_files: list[str] | None = None,
    dynamics=None,
) -> dict[str, Any]:
    """Write ``out`` (a new file): ``reward_path`` folded with a discriminator fitted between the transitions of
    ``policy`` = (mode, checkpoint) in the twin (``num_envs`` x ``steps`` steps after the first ``skip``, on
    ``dynamics``) and the clip's features. Returns a report: the policy's and the clip's reward per step before and
    after, the fit's statistics. The clip never falls and the policy may never have either: without fall rows on
    the policy side the new discriminator would value the absorbing state by extrapolation (a repair that paid falls
    taught a loaded Go2 to fall in every episode), so ``absorbing_share`` of the rows are added as negatives, half
    (s, absorbing) and half (absorbing, absorbing), as training's falls are."""
    from trirl_isaac.algo.config import TrirlCfg
    from trirl_isaac.algo.discriminator import fall_rows, fit_fresh
    from trirl_isaac.algo.reward import LearnedReward
    from trirl_isaac.twin.probe import rollout_transitions
    from trirl_isaac.twin.record import load_policy, sha1_of
    from trirl_isaac.twin.train import agent_config, make_twin

    if os.path.exists(out):
        raise FileExistsError(f"{out} exists: choose a new file (nothing saved is overwritten)")
    if not 0.0 < step <= 1.0:
        raise ValueError(f"step must lie in (0, 1], got {step}")
    if steps <= skip:
        raise ValueError(f"steps ({steps}) must exceed skip ({skip}): no transition would be kept")
    reward = LearnedReward.load(reward_path)
    torch.manual_seed(seed)  # the fit's initial weights and mini-batches: one file per command
    mode, checkpoint = policy
    host = make_twin(task, mode, num_envs, seed, motion_files=motion_files)  # loads in its own mode's twin
    act = load_policy(host, task, mode, checkpoint)
    host.close()
    # played where a re-optimising PPO plays it: the learned-reward twin (absorbing falls) on the given dynamics
    env = make_twin(task, "retrain", num_envs, seed, motion_files=motion_files, dynamics=dynamics)
    if env.expert_sampler.feature_dim != reward.feature_dim:
        raise ValueError(f"{reward_path}: reads {reward.feature_dim} features, {task}'s twin gives "
                         f"{env.expert_sampler.feature_dim} (a reward of another task or feature set)")  # fmt: skip
    x = rollout_transitions(env, act, steps, skip)
    expert_x = env.expert_sampler.sample(x.shape[0])
    lived = x.shape[0]
    if env.absorbing:  # the clip never falls: (s, absorbing) and (absorbing, absorbing) rows join the negatives
        x = torch.cat([x, fall_rows(x, env._absorbing_features(1)[0], absorbing_share)])
    env.close()
    disc_cfg = TrirlCfg.from_dict(agent_config(task, "trirl")["algorithm"]["trirl_cfg"]).discriminator
    disc, stats = fit_fresh(reward.chain.template, x, env.expert_sampler, disc_cfg, passes)
    note = {"policy": os.path.basename(checkpoint), "rows": lived, "fall_rows": int(x.shape[0]) - lived}
    note["dynamics"] = dynamics.changed() if dynamics is not None else {}
    repaired = reward.folded(disc, step, note)
    repaired.save(out)
    with torch.no_grad():
        report = {
            "reward": os.path.basename(reward_path),
            "reward_sha1": sha1_of(reward_path),  # names move, bytes do not: which files these were
            "out": os.path.basename(out),
            "out_sha1": sha1_of(out),
            "step": step,
            **note,
            "policy": [mode, os.path.basename(checkpoint)],
            "policy_sha1": sha1_of(checkpoint),
            "disc": {k: stats[k] for k in ("accuracy", "logit_expert", "logit_policy")},
            "policy_per_step": [float(reward(x[:lived]).mean()), float(repaired(x[:lived]).mean())],
            "fall_per_step": None,
            "clip_per_step": [float(reward(expert_x).mean()), float(repaired(expert_x).mean())],
        }
        if lived < x.shape[0]:  # what a fall's transitions are paid, before and after
            report["fall_per_step"] = [float(reward(x[lived:]).mean()), float(repaired(x[lived:]).mean())]
    return report
