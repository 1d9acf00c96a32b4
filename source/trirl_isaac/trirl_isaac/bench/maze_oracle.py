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

``--task pointmaze_detour`` asks the same of the detour maze (goal above the left end of the wall, gap on the right;
its transfer opens the wall beneath the goal), where the straight-line reward should solve the transfer and the
training layout's own reward should not: there the transfer separates rewards that know the goal from rewards
that know the path::

    python -m trirl_isaac.bench.maze_oracle --task pointmaze_detour --seeds 0 1 2 3 4 --retrain --out <new json>

(``--retrain`` also re-optimises each oracle in the training maze: the straight-line reward, which solves the
detour maze's transfer, should fail the detour itself; a reward that does both is what "global" asks for.)
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

ORACLES = ("original_layout", "euclidean", "flipped_true")


def maze_transfer(task: str) -> str:
    """The transfer layout of the Point Maze training task ``task`` (a named error for anything else)."""
    from trirl_isaac.envs.gym_mujoco import TRANSFER_VARIANTS, maze_cfg

    maze_cfg(task)  # raises for a task that is not a maze
    variants = TRANSFER_VARIANTS.get(task, [])
    if len(variants) != 1:
        raise ValueError(f"{task!r} is not a Point Maze training task with one transfer layout (it has {variants})")
    return variants[0]


class OracleReward:
    """A reward of the next state's position in a Point Maze, installed like a frozen learned reward; ``task`` is
    the training maze (its transfer layout is what ``flipped_true`` pays the distance of)."""

    def __init__(self, kind: str, task: str = "pointmaze") -> None:
        from trirl_isaac.envs.gym_mujoco import PointMazeEnv

        if kind not in ORACLES:
            raise ValueError(f"unknown oracle reward {kind!r}; choose one of {ORACLES}")
        self.kind = kind
        self.metadata = {"disc_input": "state_next_state"}
        self.feature_dim = 8  # (x, y, vx, vy) of s and of s'
        # the maze whose distance is paid: the training layout or its transfer (one env, used for its geometry)
        self._maze = PointMazeEnv(1, task=maze_transfer(task) if kind == "flipped_true" else task)

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        """Reward of each (s, s') row: a function of the position in s' only."""
        if features.shape[-1] != self.feature_dim:
            raise ValueError(f"oracle reward reads {self.feature_dim} Point Maze features, got {features.shape[-1]}")
        pos = features[:, 4:6]
        if self.kind == "euclidean":
            return -(pos - self._maze.goal).norm(dim=-1)
        return -self._maze.maze_distance(pos)


def run(seeds: list[int], steps: int, eval_episodes: int, task: str = "pointmaze", retrain: bool = False) -> dict:
    """Normalised return of PPO in ``task``'s transfer maze on each oracle reward, per seed (benchmark settings):
    ``scores``; with ``retrain`` also in the training maze itself: ``retrain_scores``."""
    from trirl_isaac.bench.cli import parse_args
    from trirl_isaac.bench.run import reference_returns, reoptimise

    transfer = maze_transfer(task)
    argv = ["--tasks", task, "--steps", str(steps), "--eval_episodes", str(eval_episodes), "--out", "unused"]
    args = parse_args(argv)
    refs = {t: reference_returns(t, args.demo_dir, args.eval_episodes) for t in (task, transfer)}
    out: dict = {"task": task, "transfer": transfer, "steps": steps, "seeds": seeds, "scores": {}}
    out["retrain_steps"] = int(steps * args.retrain_fraction)
    if retrain:
        out["retrain_scores"] = {}
    for key, layout in [("scores", transfer)] + ([("retrain_scores", task)] if retrain else []):
        for kind in ORACLES:
            scores = []
            for seed in seeds:
                t0 = time.time()
                res = reoptimise(task, layout, kind, seed, args, refs, OracleReward(kind, task))
                scores.append(res["normalised"])
                print(f"[{layout} {kind} seed {seed}] {res['normalised']:.2f} in {time.time() - t0:.0f} s")
            out[key][kind] = {"per_seed": scores, "mean": float(np.mean(scores))}
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", default="pointmaze", help="the training maze: pointmaze or pointmaze_detour")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--steps", type=int, default=100_000, help="the benchmark's Point Maze training budget")
    p.add_argument("--eval_episodes", type=int, default=10, help="as the benchmark")
    p.add_argument("--retrain", action="store_true", help="also re-optimise each oracle in the training maze")
    p.add_argument("--out", required=True, help="JSON file (a new file: an existing one is not overwritten)")
    a = p.parse_args(argv)
    if os.path.exists(a.out):
        raise SystemExit(f"--out {a.out} exists; choose a new file")
    try:
        maze_transfer(a.task)
    except (KeyError, ValueError) as e:
        raise SystemExit(f"--task: {e}") from None
    torch.set_num_threads(1)
    result = run(a.seeds, a.steps, a.eval_episodes, a.task, a.retrain)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    for key in ("scores", "retrain_scores"):
        if key in result:
            print(key, json.dumps({k: round(v["mean"], 2) for k, v in result[key].items()}))


if __name__ == "__main__":
    main()
