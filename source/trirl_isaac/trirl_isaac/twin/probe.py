"""Can a discriminator tell an expert from its own clip? A data check before any adversarial imitation run.

If the clips were recorded from a policy, that policy's rollouts ARE the expert distribution: a discriminator
trained to separate them from the clips should stay near chance. If it does not, the clips differ from what the
simulator produces in a way the learner can never match (a feature computed differently, smoothed velocities, a
unit), and the discriminator will saturate on every policy, flattening the learned reward. :func:`probe` measures
the held-out accuracy of the task's own discriminator (architecture, optimiser, gradient penalty) on

* ``clip``: the policy's rollouts against the clips (the question),
* ``rollout``: the policy's rollouts against a second rollout of the same policy, as many frames as the clips
  hold (the floor: what finite data and a finite fit give when the two sides ARE the same distribution),
* ``clip_without_<group>``: the question again with feature groups left out of both sides (which features differ).

Accuracy is measured on policy transitions the discriminator was not trained on and on expert rows drawn from the
clips (the expert side is the clips, so it cannot be held out).
"""

from __future__ import annotations

from typing import Any

import torch

FEATURE_GROUPS = ("joint_pos", "joint_vel", "base_lin_vel", "base_ang_vel", "height", "gravity", "key_bodies")
"""The blocks of :func:`~trirl_isaac.motion.features.discriminator_features`, in order."""


def feature_columns(num_joints: int, num_key_bodies: int, drop: tuple[str, ...] = (), absorbing: bool = False):
    """Column indices of the (s, s') discriminator input without the feature groups ``drop``."""
    unknown = [g for g in drop if g not in FEATURE_GROUPS]
    if unknown:
        raise ValueError(f"unknown feature group(s) {unknown} (known: {list(FEATURE_GROUPS)})")
    sizes = dict(zip(FEATURE_GROUPS, (num_joints, num_joints, 3, 3, 1, 3, 3 * num_key_bodies)))
    half = sum(sizes.values()) + int(absorbing)
    cols, start = [], 0
    for group in FEATURE_GROUPS:
        if group not in drop:
            cols.extend(range(start, start + sizes[group]))
        start += sizes[group]
    if absorbing:
        cols.append(start)
    return torch.tensor(cols + [half + c for c in cols])


class _Rows:
    """An expert sampler over a fixed set of rows (columns ``cols``)."""

    def __init__(self, rows: torch.Tensor, cols: torch.Tensor, gen: torch.Generator) -> None:
        self.rows, self.cols, self.gen = rows, cols, gen
        self.feature_dim = len(cols)

    def sample(self, n: int) -> torch.Tensor:
        return self.rows[torch.randint(len(self.rows), (n,), generator=self.gen)][:, self.cols]


@torch.no_grad()
def rollout_transitions(env, policy, steps: int, skip: int) -> torch.Tensor:
    """(s, s') discriminator rows of ``policy`` in ``env`` after the first ``skip`` steps (pre-reset s' at resets)."""
    obs = env.get_observations()
    rows = []
    for t in range(steps):
        s = obs["discriminator"].clone()
        obs, _, done, extras = env.step(policy(obs))
        s_next = torch.where(done.bool().unsqueeze(-1), extras["final_obs"]["discriminator"], obs["discriminator"])
        if t >= skip:
            rows.append(torch.cat([s, s_next], dim=-1))
    return torch.cat(rows)


def held_out_accuracy(
    policy_rows: torch.Tensor, expert, disc_cfg: dict[str, Any], fits: int, batch: int, seed: int
) -> dict[str, float]:
    """Fit a fresh discriminator (``disc_cfg``: the task's trirl_cfg.discriminator) ``fits`` times on half of
    ``policy_rows`` against ``expert``; accuracy and mean logits on the other half."""
    from trirl_isaac.algo.config import DiscriminatorCfg
    from trirl_isaac.algo.discriminator import Discriminator, DiscriminatorTrainer

    torch.manual_seed(seed)
    cfg = DiscriminatorCfg(**disc_cfg)
    disc = Discriminator(policy_rows.shape[1], cfg.hidden_dims)
    trainer = DiscriminatorTrainer(disc, cfg, least_squares=False)
    perm = torch.randperm(len(policy_rows))
    train, test = policy_rows[perm[: len(perm) // 2]], policy_rows[perm[len(perm) // 2 :]]
    for _ in range(fits):
        trainer.fit(train[torch.randint(len(train), (batch,))], expert)
    with torch.no_grad():
        disc.eval()
        logit_pol, logit_exp = disc(test), disc(expert.sample(len(test)))
    acc = 0.5 * ((logit_exp > 0).float().mean() + (logit_pol < 0).float().mean())
    return {"accuracy": float(acc), "logit_policy": float(logit_pol.mean()), "logit_expert": float(logit_exp.mean())}


def probe(
    task: str,
    checkpoint: str,
    motion_files: list[str],
    mode: str = "expert",
    num_envs: int = 64,
    steps: int = 250,
    skip: int = 100,
    fits: int = 20,
    batch: int = 6144,
    drops: tuple[tuple[str, ...], ...] = (("joint_vel",), ("joint_vel", "base_ang_vel", "base_lin_vel")),
    seed: int = 0,
) -> dict[str, Any]:
    """The report described in the module docstring (``mode``: the kind of policy in ``checkpoint``; the first
    ``skip`` steps of each rollout, the start-up transient a recorder drops too, are left out)."""
    from trirl_isaac.twin.record import load_policy
    from trirl_isaac.twin.train import agent_config, make_twin

    disc_cfg = dict(agent_config(task, "trirl")["algorithm"]["trirl_cfg"]["discriminator"])
    envs = [make_twin(task, mode, num_envs, seed + k, motion_files=motion_files) for k in (0, 1)]
    policy = load_policy(envs[0], task, mode, checkpoint)
    rows = rollout_transitions(envs[0], policy, steps, skip)
    clip_rows = envs[0].expert_sampler.sample(len(rows))
    other = rollout_transitions(envs[1], load_policy(envs[1], task, mode, checkpoint), steps, skip)
    frames = envs[0].motion_library.num_steps.sum().item()
    other = other[torch.randperm(len(other), generator=torch.Generator().manual_seed(seed))[:frames]]
    j, b = envs[0].num_actions, len(envs[0].robot.key_bodies)
    absorbing = envs[0].absorbing
    gen = torch.Generator().manual_seed(seed)
    report: dict[str, Any] = {"task": task, "checkpoint": checkpoint, "motion_files": list(motion_files)}
    report.update({"clip_frames": int(frames), "policy_rows": len(rows), "discriminator": disc_cfg})

    def run(name: str, expert_rows: torch.Tensor, drop: tuple[str, ...] = ()) -> None:
        cols = feature_columns(j, b, drop, absorbing)
        report[name] = held_out_accuracy(rows[:, cols], _Rows(expert_rows, cols, gen), disc_cfg, fits, batch, seed)

    run("clip", clip_rows)
    run("rollout", other)
    for drop in drops:
        run("clip_without_" + "+".join(drop), clip_rows, drop)
    for env in envs:
        env.close()
    return report


@torch.no_grad()
def reward_along_path(
    task: str,
    rewards: dict[str, str],
    walker: tuple[str, str],
    stander: tuple[str, str],
    motion_files: list[str] | None = None,
    alphas: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0),
    num_envs: int = 32,
    steps: int = 300,
    gamma: float = 0.99,
    seed: int = 0,
    noise_std: float = 0.0,
    dynamics=None,
) -> dict[str, Any]:
    """What learned rewards pay along a straight path in action space from a standing policy to a walking one.

    ``walker`` / ``stander``: (mode, checkpoint) of two twin policies; the probed policy plays
    a = alpha * walker(obs) + (1 - alpha) * stander(obs) (+ ``noise_std`` x N(0, 1) per action, the kind of
    exploration a Gaussian policy does). For each alpha the twin (absorbing falls, reference-state
    starts as in training) is rolled out once and every reward in ``rewards`` (name -> reward file) is evaluated on
    the same transitions, frozen as a retraining PPO sees it (:func:`~trirl_isaac.algo.reward.with_absorbing_tail`).
    Per alpha: forward speed, falls per 1,000 steps, and per reward the mean reward per lived step and the mean
    discounted return of each env's first episode (falls priced by the closed-form tail). A reward whose return
    dips between alpha = 0 and 1 offers a policy improving from standing a valley before the gait (a local
    optimum the policy step has to cross); one that rises steadily offers a slope. A TRIRL reward with an
    approximator is also split into its parts per lived step: the approximator's (the history before the window,
    weighted) and the window's discriminators' (the rest), to show which one pays what. ``dynamics``
    (:class:`~trirl_isaac.twin.model.Dynamics`): roll out on changed dynamics (what a reward pays there)."""
    from trirl_isaac.algo.reward import LearnedReward, with_absorbing_tail
    from trirl_isaac.twin.record import load_policy
    from trirl_isaac.twin.train import make_twin

    if noise_std < 0.0:
        raise ValueError(f"noise_std must be >= 0, got {noise_std}")
    loaded = {name: LearnedReward.load(path) for name, path in rewards.items()}
    report: dict[str, Any] = {"task": task, "rewards": dict(rewards), "walker": list(walker), "stander": list(stander)}
    report.update({"num_envs": num_envs, "steps": steps, "gamma": gamma, "noise_std": noise_std, "path": []})
    report["dynamics"] = dynamics.changed() if dynamics is not None else {}
    gen = torch.Generator().manual_seed(seed)
    policies = []
    for mode, checkpoint in (walker, stander):  # each loads in a twin of its own mode (critic inputs differ)
        host = make_twin(task, mode, num_envs, seed, motion_files=motion_files)
        policies.append(load_policy(host, task, mode, checkpoint))
        host.close()
    walk, stand = policies
    for alpha in alphas:
        env = make_twin(task, "retrain", num_envs, seed, motion_files=motion_files, dynamics=dynamics)
        obs = env.get_observations()
        rows, absorbing, first, speed = [], [], [], []
        in_first = torch.ones(num_envs, dtype=torch.bool)
        for _ in range(steps):
            s = obs["discriminator"].clone()
            action = alpha * walk(obs) + (1.0 - alpha) * stand(obs)
            if noise_std > 0.0:
                action = action + noise_std * torch.randn(action.shape, generator=gen)
            obs, _, done, extras = env.step(action)
            s_next = torch.where(done.bool().unsqueeze(-1), extras["final_obs"]["discriminator"], obs["discriminator"])
            rows.append(torch.cat([s, s_next], dim=-1))
            absorbing.append(extras.get("absorbing", torch.zeros(num_envs, dtype=torch.bool)))
            first.append(in_first.clone())
            speed.append(extras["final_obs"]["critic"][:, 0])
            in_first &= ~done.bool()
        env.close()
        x, ab, first_t = torch.stack(rows), torch.stack(absorbing), torch.stack(first)  # (T, N, ...)
        lived = ~ab
        point: dict[str, Any] = {"alpha": alpha, "forward_speed": float(torch.stack(speed)[lived].mean())}
        point["falls_per_1000_steps"] = float(1000.0 * ab.sum() / max(int(lived.sum()), 1))
        discount = gamma ** torch.arange(steps, dtype=torch.float32).unsqueeze(-1)
        for name, reward in loaded.items():
            raw = reward(x.flatten(0, 1)).view(steps, num_envs)  # once: a 100-snapshot chain is the probe's cost
            r = with_absorbing_tail(reward, raw, ab, gamma)
            point[name] = {
                "reward_per_lived_step": float(raw[lived].mean()),
                "first_episode_return": float((discount * r * first_t).sum(0).mean()),
            }
            chain = reward.chain
            if reward.method == "trirl" and chain.base_active:  # the fold is the reward: split it into its parts
                w0, w = chain.fold_weights()
                flat = x.flatten(0, 1)
                base = w0 * chain.base(flat).squeeze(-1).view(steps, num_envs)
                window = (w.float()[:, None] * chain.terms(flat)).sum(0).view(steps, num_envs)
                point[name]["approximator_per_lived_step"] = float(base[lived].mean())
                point[name]["window_per_lived_step"] = float(window[lived].mean())
        report["path"].append(point)
    return report
