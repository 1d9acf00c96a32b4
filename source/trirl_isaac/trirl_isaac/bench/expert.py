"""Train a PPO expert on a benchmark task's TRUE reward and record its demonstrations to HDF5.

    python scripts/train_expert.py --task halfcheetah --steps 2000000 --seed 0

MuJoCo tasks: rsl_rl PPO (observation normalisation, [64, 64] tanh actor and critic, gamma 0.99, lambda 0.95,
lr 3e-4 fixed, 10 epochs x 32 minibatches of a 16 x 128 rollout, returns scaled by a running std as Gymnasium's
NormalizeReward does). The Point Maze uses its scripted waypoint expert (no training). Then the deterministic
policy (the Gaussian's mean; the maze expert keeps its exploration noise) is rolled out for 1.5 x ``--episodes``
whole episodes; the first ``--episodes`` whose return reaches random + 0.5 (median - random) are kept (failed
attempts, e.g. a cheetah that flipped onto its back, are no demonstration; attrs record how many were dropped) and
stored in ``data/demos/<task>.h5``: datasets obs, next_obs (pre-reset at episode ends), actions (as executed:
clipped to the bounds), rewards, dones, terminals, episode_returns, episode_lengths (float32, gzip), with attributes
expert_return (mean of the kept episodes), random_return (uniform-random policy, same number of episodes), how the
file was made, seed, steps, env id, gymnasium and mujoco versions.

    python scripts/train_expert.py --task halfcheetah --checkpoint /tmp/experts/logs/halfcheetah/model_976.pt
re-records the demonstrations of a trained expert without training.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time

import numpy as np
import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from trirl_isaac.envs.gym_mujoco import (
    BenchmarkVecEnv,
    PointMazeEnv,
    actor_critic_cfg,
    make_env,
    ppo_cfg_settings,
    run_episodes,
    task_spec,
    uniform_random_policy,
)

EXPERT_PPO: dict = {
    "num_envs": 16,
    "num_steps_per_env": 128,
    "save_interval": 10**9,
    "check_for_nan": False,
    **actor_critic_cfg(),
    "algorithm": {
        "class_name": "PPO",
        **ppo_cfg_settings(num_mini_batches=32),
    },
}


class ReturnScaling(VecEnv):
    """Divides rewards by the running std of the discounted return (Gymnasium's NormalizeReward) for PPO's critic."""

    def __init__(self, env: BenchmarkVecEnv, gamma: float, clip: float = 10.0) -> None:
        self.env = env
        self.gamma = gamma
        self.clip = clip
        self.num_envs, self.num_actions = env.num_envs, env.num_actions
        self.max_episode_length, self.device, self.cfg = env.max_episode_length, env.device, env.cfg
        self.ret = torch.zeros(env.num_envs, dtype=torch.float64)
        self.count, self.mean, self.m2 = 1e-4, 0.0, 0.0

    @property
    def episode_length_buf(self) -> torch.Tensor:  # type: ignore[override]
        """The wrapped env's episode lengths."""
        return self.env.episode_length_buf

    def get_observations(self) -> TensorDict:
        """The wrapped env's observations."""
        return self.env.get_observations()

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        """Step the wrapped env; rewards divided by the running std of the discounted return, clipped."""
        obs, rew, dones, extras = self.env.step(actions)
        self.ret = self.ret * self.gamma + rew.double().cpu()
        # parallel (Chan et al.) update of the return's running variance
        b_mean, b_var, n = self.ret.mean().item(), self.ret.var(unbiased=False).item(), self.ret.numel()
        delta, tot = b_mean - self.mean, self.count + n
        self.m2 += b_var * n + delta**2 * self.count * n / tot
        self.mean += delta * n / tot
        self.count = tot
        self.ret[dones.bool().cpu()] = 0.0
        scale = float(np.sqrt(self.m2 / self.count + 1e-8))
        return obs, (rew / scale).clamp(-self.clip, self.clip), dones, extras


def train_ppo(task: str, steps: int, seed: int, log_dir: str | None) -> tuple[object, dict]:
    """Train rsl_rl PPO on the true reward; returns (inference policy, training stats)."""
    from rsl_rl.runners import OnPolicyRunner

    cfg = copy.deepcopy(EXPERT_PPO)
    num_envs = cfg.pop("num_envs")
    cfg["seed"] = seed
    torch.manual_seed(seed)
    env = make_env(task, num_envs, seed=seed, absorbing=False)
    runner = OnPolicyRunner(ReturnScaling(env, cfg["algorithm"]["gamma"]), cfg, log_dir=log_dir, device="cpu")
    per_iter = num_envs * cfg["num_steps_per_env"]
    iterations = max(1, steps // per_iter)
    t0, curve = time.time(), []
    chunk = max(1, iterations // 20)
    done = 0
    while done < iterations:
        n = min(chunk, iterations - done)
        runner.learn(n)
        done += n
        recent = env.pop_completed_returns()
        mean = float(np.mean(recent)) if recent else float("nan")
        curve.append((done * per_iter, mean))
        print(f"[{task}] {done * per_iter:>9d} steps  train return {mean:9.1f}  {time.time() - t0:6.0f} s", flush=True)
    return runner.get_inference_policy(), {"train_curve": curve, "train_wall_s": time.time() - t0}


def record(
    task: str, policy, episodes: int, candidates: int, seed: int, random_return: float, min_return_frac: float
) -> dict[str, np.ndarray]:
    """Roll out ``policy`` for ``candidates`` episodes (one per env); keep the first ``episodes`` whose return reaches
    random + min_return_frac * (median - random): failed attempts (a cheetah on its back) do not show the task."""
    env = make_env(task, candidates, seed=seed, absorbing=False)
    keys = ("obs", "next_obs", "actions", "rewards", "dones", "terminals", "alive")
    buf: dict[str, list] = {k: [] for k in keys}
    alive = torch.ones(candidates, dtype=torch.bool)
    obs = env.get_observations()
    with torch.inference_mode():
        while bool(alive.any()):
            actions = policy(obs)
            s = obs["policy"]
            obs, _, dones, extras = env.step(actions)
            done = dones.bool().cpu()
            buf["obs"].append(s)
            buf["next_obs"].append(extras["final_obs"]["policy"])
            buf["actions"].append(torch.clamp(actions.float(), env.action_low, env.action_high))
            buf["rewards"].append(env.last_true_reward.float())
            buf["dones"].append(done)
            buf["terminals"].append(done & ~extras["time_outs"].bool().cpu())
            buf["alive"].append(alive.clone())
            alive &= ~done
    if hasattr(env, "close"):
        env.close()
    stacked = {k: torch.stack(v, dim=1) for k, v in buf.items()}  # (candidates, T, ...)
    alive_mask = stacked.pop("alive")
    returns_all = (stacked["rewards"] * alive_mask).sum(dim=1).numpy()
    min_return = random_return + min_return_frac * (float(np.median(returns_all)) - random_return)
    ok = np.flatnonzero(returns_all >= min_return)
    if len(ok) < episodes:
        raise RuntimeError(f"{len(ok)} of {candidates} episodes reach {min_return:.1f}: {np.sort(returns_all)}")
    chosen = torch.as_tensor(ok[:episodes])
    keep = alive_mask[chosen]
    out = {k: v[chosen][keep].numpy() for k, v in stacked.items()}  # episode-major order
    lengths = keep.sum(dim=1).numpy()
    out["episode_lengths"] = lengths.astype(np.float32)
    ends = np.cumsum(lengths)
    out["episode_returns"] = np.add.reduceat(out["rewards"], np.concatenate([[0], ends[:-1]])).astype(np.float32)
    out["dones"] = out["dones"].astype(np.float32)
    out["terminals"] = out["terminals"].astype(np.float32)
    out["candidate_returns"] = returns_all.astype(np.float32)
    out["min_return"] = np.float32(min_return)
    return out


def load_policy(task: str, checkpoint: str):
    """The deterministic policy of an rsl_rl checkpoint written by :func:`train_ppo` (via --log_dir)."""
    from rsl_rl.runners import OnPolicyRunner

    cfg = copy.deepcopy(EXPERT_PPO)
    num_envs = cfg.pop("num_envs")
    env = make_env(task, num_envs, absorbing=False)
    runner = OnPolicyRunner(ReturnScaling(env, cfg["algorithm"]["gamma"]), cfg, log_dir=None, device="cpu")
    runner.load(checkpoint, map_location="cpu")
    return runner.get_inference_policy()


def main(argv: list[str] | None = None) -> None:
    """The command line of ``scripts/train_expert.py``."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", required=True)
    p.add_argument("--steps", type=int, default=2_000_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--episodes", type=int, default=30)
    p.add_argument("--out", default=None, help="HDF5 file (default data/demos/<task>.h5)")
    p.add_argument("--log_dir", default=None, help="rsl_rl log dir (tensorboard + final checkpoint)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--candidates", type=int, default=None, help="episodes rolled out (default 1.5 x --episodes)")
    p.add_argument("--checkpoint", default=None, help="record from this rsl_rl checkpoint instead of training")
    p.add_argument(
        "--min_return_frac",
        type=float,
        default=0.5,
        help="keep episodes with return >= random + frac * (median - random) of the candidates",
    )
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    import gymnasium
    import h5py
    import mujoco

    spec = task_spec(args.task)
    out = args.out or os.path.join("data", "demos", f"{args.task}.h5")
    if spec.env_id == "PointMaze":
        maze = make_env(args.task, 1, seed=args.seed)
        assert isinstance(maze, PointMazeEnv)
        g = torch.Generator().manual_seed(args.seed)

        def policy(o: TensorDict) -> torch.Tensor:
            a = maze.expert_action(o["policy"], noise=False)
            return (a + maze.cfg.expert_noise * torch.randn(a.shape, generator=g)).clamp(-1.0, 1.0)

        how, stats = "scripted waypoint expert with Gaussian action noise", {}
    elif args.checkpoint:
        policy, stats = load_policy(args.task, args.checkpoint), {}
        how = f"rsl_rl PPO on the true reward ({args.checkpoint}), deterministic (mean) policy; config " + json.dumps(
            EXPERT_PPO
        )
    else:
        policy, stats = train_ppo(args.task, args.steps, args.seed, args.log_dir)
        how = f"rsl_rl PPO on the true reward, deterministic (mean) policy; config {json.dumps(EXPERT_PPO)}"
    rand_env = make_env(args.task, args.episodes, seed=args.seed + 2000, absorbing=False)
    random_returns = run_episodes(rand_env, uniform_random_policy(rand_env, args.seed))
    random_return = float(np.mean(random_returns))
    candidates = args.candidates or args.episodes + max(10, args.episodes // 2)
    demos = record(args.task, policy, args.episodes, candidates, args.seed + 1000, random_return, args.min_return_frac)
    candidate_returns, min_return = demos.pop("candidate_returns"), float(demos.pop("min_return"))
    expert_return = float(np.mean(demos["episode_returns"]))

    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = f"{out}.tmp"
    with h5py.File(tmp, "w") as f:
        for k, v in demos.items():
            f.create_dataset(k, data=np.asarray(v, dtype=np.float32), compression="gzip", shuffle=True)
        f.attrs.update(
            {
                "task": args.task,
                "env_id": spec.env_id,
                "env_kwargs": json.dumps(spec.kwargs),
                "how_made": how,
                "seed": args.seed,
                "steps": 0 if spec.env_id == "PointMaze" else args.steps,
                "expert_return": expert_return,
                "expert_return_std": float(np.std(demos["episode_returns"])),
                "random_return": random_return,
                "random_return_std": float(np.std(random_returns)),
                "num_episodes": args.episodes,
                "candidate_episodes": candidates,
                "min_return": min_return,
                "episodes_discarded": int((candidate_returns < min_return).sum()),
                "expert_return_all_candidates": float(candidate_returns.mean()),
                "gymnasium_version": gymnasium.__version__,
                "mujoco_version": mujoco.__version__,
                "train_curve": json.dumps(stats.get("train_curve", [])),
                "train_wall_s": stats.get("train_wall_s", 0.0),
            }
        )
    os.replace(tmp, out)
    print(
        f"[{args.task}] expert return {expert_return:.1f} +- {np.std(demos['episode_returns']):.1f} "
        f"(mean length {demos['episode_lengths'].mean():.0f}), random {random_return:.1f}; wrote {out}"
    )
