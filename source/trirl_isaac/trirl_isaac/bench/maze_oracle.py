"""What the flipped-maze transfer asks of a reward: plain PPO in the flipped maze on hand-written rewards that
explain the demos as well as any learned one can (the issue's item 9).

The demos start below the wall near x = 0 and always pass the right-hand gap. Two rewards of the next state are
consistent with them, and a third is the flipped maze's own:

- ``original_layout``: minus the maze distance to the goal *of the training maze* (gap on the right): the true
  reward the demos were made for, i.e. the best a reward learned from them can know about the region below the wall;
- ``euclidean``: minus the straight-line distance to the goal, the "go to the goal" intent with no knowledge of
  the wall;
- ``flipped_true``: minus the flipped maze's own maze distance (the benchmark's transfer control).

Each is re-optimised in ``pointmaze_flipped`` with the benchmark's retraining settings and budget and scored
exactly like a learned reward's transfer::

    python -m trirl_isaac.bench.maze_oracle --seeds 0 1 2 3 4 --out docs/benchmark/v5/maze_oracle.json

If PPO on the training maze's own true reward does not get through the flipped maze, then no reward that is a
function of the demos' states alone has to, and the flipped-maze number measures how a reward extrapolates to
states the expert never visited, not how global it is.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

ORACLES = ("original_layout", "euclidean", "flipped_true")


class OracleReward:
    """A reward of the next state's position in the Point Maze, installed like a frozen learned reward."""

    def __init__(self, kind: str) -> None:
        from trirl_isaac.envs.gym_mujoco import PointMazeCfg, PointMazeEnv

        if kind not in ORACLES:
            raise ValueError(f"unknown oracle reward {kind!r}; choose one of {ORACLES}")
        self.kind = kind
        self.metadata = {"disc_input": "state_next_state"}
        self.feature_dim = 8  # (x, y, vx, vy) of s and of s'
        # the maze whose distance is paid: the training layout or the flipped one (one env, used for its geometry)
        self._maze = PointMazeEnv(1, PointMazeCfg(flipped=kind == "flipped_true"))

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        """Reward of each (s, s') row: a function of the position in s' only."""
        if features.shape[-1] != self.feature_dim:
            raise ValueError(f"oracle reward reads {self.feature_dim} Point Maze features, got {features.shape[-1]}")
        pos = features[:, 4:6]
        if self.kind == "euclidean":
            return -(pos - self._maze.goal).norm(dim=-1)
        return -self._maze.maze_distance(pos)


def run(seeds: list[int], steps: int, eval_episodes: int) -> dict:
    """Normalised return of PPO in the flipped maze on each oracle reward, per seed (benchmark settings)."""
    from trirl_isaac.bench.cli import parse_args
    from trirl_isaac.bench.run import reference_returns, reoptimise

    args = parse_args(
        ["--tasks", "pointmaze", "--steps", str(steps), "--eval_episodes", str(eval_episodes), "--out", "unused"]
    )
    refs = {t: reference_returns(t, args.demo_dir, args.eval_episodes) for t in ("pointmaze", "pointmaze_flipped")}
    out: dict = {"steps": steps, "retrain_steps": int(steps * args.retrain_fraction), "seeds": seeds, "scores": {}}
    for kind in ORACLES:
        scores = []
        for seed in seeds:
            t0 = time.time()
            res = reoptimise("pointmaze", "pointmaze_flipped", kind, seed, args, refs, OracleReward(kind))
            scores.append(res["normalised"])
            print(f"[pointmaze_flipped {kind} seed {seed}] {res['normalised']:.2f} in {time.time() - t0:.0f} s")
        out["scores"][kind] = {"per_seed": scores, "mean": float(np.mean(scores))}
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--steps", type=int, default=100_000, help="the benchmark's Point Maze training budget")
    p.add_argument("--eval_episodes", type=int, default=10, help="as the benchmark")
    p.add_argument("--out", required=True, help="JSON file (a new file: an existing one is not overwritten)")
    a = p.parse_args(argv)
    if os.path.exists(a.out):
        raise SystemExit(f"--out {a.out} exists; choose a new file")
    torch.set_num_threads(1)
    result = run(a.seeds, a.steps, a.eval_episodes)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: round(v["mean"], 2) for k, v in result["scores"].items()}))


if __name__ == "__main__":
    main()
