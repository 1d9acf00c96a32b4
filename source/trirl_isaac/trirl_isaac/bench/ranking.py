"""Does a frozen learned reward rank the way a true-reward learner goes? A probe of what "re-optimisable" asks.

PPO from scratch climbs a reward only if the reward rises along a path a fresh policy can take. This trains the
control (plain PPO on the TRUE reward, the retraining settings) and, at ``points`` moments of its run (the fresh
policy first), rolls its deterministic policy out and scores those same episodes with each learned reward: the
learned return per episode (an absorbing step standing for its whole tail, as a re-optimising PPO is paid) beside
the true normalised return. A reward that re-optimises should rise with the true return along the path (Spearman
rank correlation near 1); one that is flat off the data, or pays something else, will not. The demonstrations'
own learned reward per step is reported beside it (where the path should end).

``--train_on LABEL`` walks the other path: PPO (the same settings and seeds as a benchmark retrain) on that
learned reward instead of the true one, scored the same way. Where a re-optimisation fails, this says how: its own
learned return rising while the true return stays flat is a reward that pays something else (a pose, a gait the
expert never shows); both flat is a search that found no slope.

    python -m trirl_isaac.bench.ranking --task halfcheetah --steps 1000000 --points 10 --seed 1 \\
        --reward default=docs/benchmark/v11/rewards/<file>.final.pt --out ranking.json --plot ranking.png

Reward files of another task (a feature count that does not match) are refused by name before anything trains.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np
import torch

from trirl_isaac.algo.reward import LearnedReward, with_absorbing_tail


def spearman(x: list[float] | np.ndarray, y: list[float] | np.ndarray) -> float:
    """Spearman's rank correlation of two equally long sequences (ties take their mean rank); nan when either is
    constant or shorter than 2."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"spearman needs two 1-D sequences of one length, got {x.shape} and {y.shape}")

    def ranks(v: np.ndarray) -> np.ndarray:
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v), dtype=float)
        for value in np.unique(v):  # ties: mean rank
            tied = v == value
            r[tied] = r[tied].mean()
        return r

    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(ranks(x), ranks(y))[0, 1])


@torch.no_grad()
def rollout(env: Any, policy: Any) -> dict[str, Any]:
    """The first episode of every env under ``policy``: per step the (s, s') and (s, a) features, the absorbing
    flags and whether the env was still in that episode; and each episode's true return."""
    from trirl_isaac.envs.gym_mujoco import run_episodes

    steps: list[dict[str, torch.Tensor]] = []

    def keep(s: torch.Tensor, extras: dict[str, Any], alive: torch.Tensor) -> None:
        absorbing = extras.get("absorbing", torch.zeros(env.num_envs, dtype=torch.bool))
        steps.append(
            {
                "state_next_state": torch.cat([s, extras["final_obs"]["policy"]], dim=-1),
                "state_action": torch.cat([s, extras["applied_actions"]], dim=-1),
                "absorbing": absorbing.bool().cpu(),
                "alive": alive.clone(),
            }
        )

    returns = run_episodes(env, policy, on_step=keep)
    return {"steps": steps, "returns": returns}


@torch.no_grad()
def learned_returns(trace: dict[str, Any], reward: LearnedReward, gamma: float) -> list[float]:
    """Each episode's undiscounted learned return under ``reward``, priced as a re-optimising PPO is paid (an
    absorbing step is worth its tail r_abs / (1 - gamma), per the reward's metadata)."""
    disc_input = reward.metadata.get("disc_input", "state_next_state")
    total = torch.zeros(len(trace["returns"]), dtype=torch.float64)
    for step in trace["steps"]:
        r = with_absorbing_tail(reward, reward(step[disc_input].float()), step["absorbing"], gamma)
        total += torch.where(step["alive"], r.double(), torch.zeros_like(total))
    return total.tolist()


def check_rewards(task: str, rewards: dict[str, LearnedReward]) -> None:
    """Refuse, by label, a reward whose feature count is not this task's (another task's reward file)."""
    from trirl_isaac.envs.gym_mujoco import make_env

    env = make_env(task, 1, seed=0)
    for label, reward in rewards.items():
        try:
            env.install_frozen_reward(reward, source=label)
        except ValueError as e:
            raise SystemExit(f"--reward {label}: {e} ({task})") from None
    getattr(env, "close", lambda: None)()


def ranking(
    task: str,
    rewards: dict[str, LearnedReward],
    steps: int,
    points: int,
    seed: int,
    episodes: int,
    demo_dir: str,
    quick: bool = False,
    steps_per_env: int | None = None,
    train_on: str | None = None,
) -> dict[str, Any]:
    """Train the control on ``task`` for ``steps`` env steps (``train_on``: PPO on that learned reward instead) and
    score its path with every reward (see module)."""
    from rsl_rl.runners import OnPolicyRunner

    from trirl_isaac.bench.run import norm, reference_returns
    from trirl_isaac.bench.settings import NUM_ENVS, QUICK, ppo_cfg, task_steps_per_env
    from trirl_isaac.envs.gym_mujoco import demo_features, load_demos, make_env

    check_rewards(task, rewards)
    if train_on is not None and train_on not in rewards:
        raise ValueError(f"train_on {train_on!r} is not one of the rewards given ({sorted(rewards)})")
    num_envs = QUICK["num_envs"] if quick else NUM_ENVS
    cfg = ppo_cfg(quick, steps_per_env=task_steps_per_env(task, steps_per_env, quick))
    gamma = float(cfg["algorithm"]["gamma"])
    batch = num_envs * cfg["num_steps_per_env"]
    iterations = max(1, steps // batch)
    points = max(1, min(points, iterations))
    ref = reference_returns(task, demo_dir, episodes)
    torch.manual_seed(seed + 1)
    env = make_env(task, num_envs, seed=seed + 1)
    if train_on is not None:  # a benchmark retrain: the frozen reward, its fall priced by the closed-form tail
        env.install_frozen_reward(rewards[train_on], source=train_on, gamma=gamma)
    cfg["seed"] = seed + 1
    runner = OnPolicyRunner(env, cfg, log_dir=None, device="cpu")
    policy = runner.get_inference_policy()
    demos = load_demos(os.path.join(demo_dir, f"{task}.h5"))
    expert = {}
    for label, reward in rewards.items():
        feats = demo_features(demos, reward.metadata.get("disc_input", "state_next_state"), env.absorbing)
        with torch.no_grad():
            expert[label] = float(reward(feats).mean())
    edges = np.linspace(0, iterations, points + 1).round().astype(int)
    path, t0 = [], time.time()
    for k in range(points + 1):
        if k > 0:
            runner.learn(int(edges[k] - edges[k - 1]))
        probe_env = make_env(task, episodes, seed=10_000 + seed)
        with torch.inference_mode():
            trace = rollout(probe_env, policy)
        getattr(probe_env, "close", lambda: None)()
        lengths = torch.stack([s["alive"] for s in trace["steps"]]).sum(0).double()
        row: dict[str, Any] = {
            "env_steps": int(edges[k]) * batch,
            "normalised": norm(float(np.mean(trace["returns"])), ref),
            "episode_length": float(lengths.mean()),
            "learned_return": {},
            "learned_per_step": {},
        }
        for label, reward in rewards.items():
            ret = torch.tensor(learned_returns(trace, reward, gamma), dtype=torch.float64)
            row["learned_return"][label] = float(ret.mean())
            row["learned_per_step"][label] = float((ret / lengths).mean())
        path.append(row)
        print(
            f"{row['env_steps']:>9} steps  true {row['normalised']:6.2f}  "
            + "  ".join(f"{lb} {v:8.2f}" for lb, v in row["learned_return"].items()),
            flush=True,
        )
    getattr(env, "close", lambda: None)()
    true = [p["normalised"] for p in path]
    return {
        "task": task,
        "seed": seed,
        "trained_on": train_on or "true reward",
        "steps": iterations * batch,
        "episodes": episodes,
        "path": path,
        "spearman": {lb: spearman(true, [p["learned_return"][lb] for p in path]) for lb in rewards},
        "expert_per_step": expert,
        "wall_s": time.time() - t0,
    }


def plot(result: dict[str, Any], out: str) -> None:
    """One panel per reward (five to a row): its learned reward per step against the true normalised return along
    the path, the demonstrations' own per-step value dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(result["spearman"])
    cols = min(5, len(labels))
    rows = -(-len(labels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.9 * rows), squeeze=False)
    true = [p["normalised"] for p in result["path"]]
    for ax, label in zip(axes.flat, labels, strict=False):
        learned = [p["learned_per_step"][label] for p in result["path"]]
        ax.plot(true, learned, "-o", ms=3)
        ax.annotate("start", (true[0], learned[0]), fontsize=7)
        ax.axhline(result["expert_per_step"][label], ls="--", lw=0.8, color="gray", label="demonstrations")
        ax.set_title(f"{label}\nSpearman {result['spearman'][label]:.2f}", fontsize=9)
        ax.set_xlabel("true normalised return", fontsize=8)
        ax.set_ylabel("learned reward per step", fontsize=8)
    for ax in list(axes.flat)[len(labels) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    on = result.get("trained_on", "true reward")
    fig.suptitle(
        f"{result['task']}: learned rewards along the path of PPO on the {on} (seed {result['seed']})", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", required=True, help="a benchmark task (halfcheetah, hopper, pointmaze, ...)")
    p.add_argument("--reward", action="append", default=[], metavar="LABEL=FILE", help="a saved reward (repeat)")
    p.add_argument("--steps", type=int, default=1_000_000, help="the control's env steps")
    p.add_argument("--train_on", default=None, metavar="LABEL", help="PPO on this --reward instead of the true one")
    p.add_argument("--points", type=int, default=10, help="moments of the run scored (plus the fresh policy)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--episodes", type=int, default=4, help="episodes per moment (and for the reference returns)")
    p.add_argument("--demo_dir", default="data/demos")
    p.add_argument("--steps_per_env", type=int, default=None, help="rollout length per env (default: the task's)")
    p.add_argument("--quick", action="store_true", help="the benchmark's tiny settings (tests)")
    p.add_argument("--out", required=True, help="JSON file (a new file: an existing one is not overwritten)")
    p.add_argument("--plot", default=None, help="PNG file (new), one panel per reward")
    a = p.parse_args(argv)
    for path in (a.out, a.plot):
        if path and os.path.exists(path):
            raise SystemExit(f"{path} exists; choose a new file")
    if a.steps < 1 or a.points < 1 or a.episodes < 1:
        raise SystemExit("--steps, --points and --episodes must be >= 1")
    from trirl_isaac.cli import labelled_files

    files = labelled_files(a.reward, "--reward", "reward")
    rewards = {label: LearnedReward.load(path) for label, path in files.items()}
    if not rewards:
        raise SystemExit("nothing to score: give --reward LABEL=FILE")
    if a.train_on is not None and a.train_on not in rewards:
        raise SystemExit(f"--train_on {a.train_on}: not a --reward label ({sorted(rewards)})")
    torch.set_num_threads(1)
    result = ranking(
        a.task, rewards, a.steps, a.points, a.seed, a.episodes, a.demo_dir, a.quick, a.steps_per_env, a.train_on
    )
    result["rewards"] = {label: os.path.basename(path) for label, path in files.items()}
    with open(a.out, "x") as f:
        json.dump(result, f, indent=1)
    if a.plot:
        plot(result, a.plot)
    print(f"wrote {a.out}" + (f" and {a.plot}" if a.plot else "") + f"; Spearman: {result['spearman']}")


if __name__ == "__main__":
    main()
