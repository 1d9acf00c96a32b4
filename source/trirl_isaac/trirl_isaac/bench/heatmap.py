"""What a learned Point Maze reward asks for, everywhere: heatmaps of the best one-step reward with its direction.

At each grid position p and for 16 directions d, the point moves steadily along d (velocity 0.5 d, the steady
state of a unit action under the maze's damping) and takes one step of the maze's own dynamics with action d, walls
included; the heatmap shows max_d r(s, s') and the arrows the best d. A reward that is *global* points the way to the
goal, through the gap, from anywhere; a local one is flat or misleading away from the expert's path.

Saved rewards beside hand-written ones (``bench.maze_oracle``), one panel each::

    python -m trirl_isaac.bench.heatmap --out fields.png --oracle original_layout euclidean \
        "TRIRL=docs/benchmark/v5/rewards/pointmaze__trirl__s0__0054b6e900.pt"
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable

import numpy as np
import torch

from trirl_isaac.envs.gym_mujoco import PointMazeEnv, maze_cfg

DIRECTIONS = 16


@torch.no_grad()
def reward_field(
    reward: Callable[[torch.Tensor], torch.Tensor], task: str = "pointmaze", grid: int = 41
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, best reward (grid, grid), best direction (grid, grid, 2)) of ``reward`` on (s, s') features, in the
    layout of the maze task ``task``."""
    xs = np.linspace(-0.95, 0.95, grid)
    ys = np.linspace(-0.95, 0.95, grid)
    px, py = np.meshgrid(xs, ys)  # [row = y, col = x]
    angles = 2 * math.pi * np.arange(DIRECTIONS) / DIRECTIONS
    dirs = torch.tensor(np.stack([np.cos(angles), np.sin(angles)], -1), dtype=torch.float32)
    pos = torch.tensor(np.stack([px.ravel(), py.ravel()], -1), dtype=torch.float32)
    n = pos.shape[0]
    cfg = maze_cfg(task)
    env = PointMazeEnv(n * DIRECTIONS, cfg, task=task)
    speed = cfg.dt * cfg.accel_scale / cfg.damping
    env.pos = pos.repeat_interleave(DIRECTIONS, 0)
    env.vel = speed * dirs.repeat(n, 1)
    s = env._obs()
    action = dirs.repeat(n, 1)
    _, _, _, extras = env.step(action)
    s_next = extras["final_obs"]["policy"]
    r = reward(torch.cat([s, s_next], dim=-1)).view(n, DIRECTIONS)
    best, arg = r.max(dim=1)
    return xs, ys, best.view(grid, grid).numpy(), dirs[arg].view(grid, grid, 2).numpy()


def draw_field(ax, reward: Callable[[torch.Tensor], torch.Tensor], label: str, task: str = "pointmaze") -> None:
    """Draw one reward's heatmap (z-scored best one-step reward) and best directions on ``ax``, maze drawn in."""
    import matplotlib.pyplot as plt

    cfg = maze_cfg(task)
    xs, ys, best, dirs = reward_field(reward, task)
    z = (best - best.mean()) / (best.std() + 1e-8)  # each reward on its own scale: ranks matter, not units
    im = ax.imshow(z, origin="lower", extent=(-1, 1, -1, 1), cmap="viridis")
    k = max(1, len(xs) // 14)
    ax.quiver(xs[::k], ys[::k], dirs[::k, ::k, 0], dirs[::k, ::k, 1], color="w", scale=22, width=0.006)
    lo, hi = cfg.gap_interval
    for a, b in ((-1.0, lo), (hi, 1.0)):
        if b > a:
            ax.plot([a, b], [0, 0], color="r", lw=3)
    width, height = cfg.start_high[0] - cfg.start_low[0], cfg.start_high[1] - cfg.start_low[1]
    ax.add_patch(plt.Rectangle(cfg.start_low, width, height, fill=False, ec="orange"))
    ax.plot(*cfg.goal, marker="*", color="gold", ms=14, mec="k")
    ax.set_title(label, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.02, label="best one-step reward (z-score)")


def plot_fields(rewards: dict[str, Callable[[torch.Tensor], torch.Tensor]], path: str, task: str = "pointmaze") -> None:
    """One heatmap panel per labelled reward, with the maze's (task's) wall, gap, start region and goal drawn in."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(rewards), figsize=(4.2 * len(rewards), 3.9), squeeze=False)
    for ax, (label, reward) in zip(axes[0], rewards.items()):
        draw_field(ax, reward, label, task)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    """Draw hand-written Point Maze rewards (``--oracle``) and saved ones (``--reward LABEL=FILE``) in a new PNG."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reward", action="append", default=[], metavar="LABEL=FILE", help="a saved reward, one per panel")
    p.add_argument("--oracle", action="append", default=[], help="a hand-written reward (bench.maze_oracle.ORACLES)")
    p.add_argument("--maze", default="pointmaze", help="the layout drawn in (a maze task, e.g. pointmaze_flipped)")
    p.add_argument("--train_maze", default="pointmaze", help="the training maze the --oracle rewards belong to")
    p.add_argument("--out", required=True, help="PNG file (a new file: an existing one is not overwritten)")
    a = p.parse_args(argv)
    from trirl_isaac.algo.reward import LearnedReward
    from trirl_isaac.bench.maze_oracle import ORACLES, OracleReward

    if os.path.exists(a.out):
        raise SystemExit(f"--out {a.out} exists; choose a new file")
    from trirl_isaac.bench.maze_oracle import maze_transfer

    for flag, check in (("--maze", lambda: maze_cfg(a.maze)), ("--train_maze", lambda: maze_transfer(a.train_maze))):
        try:
            check()
        except (KeyError, ValueError) as e:
            raise SystemExit(f"{flag}: {e}") from None
    fields: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {}
    for kind in a.oracle:
        if kind not in ORACLES:
            raise SystemExit(f"--oracle {kind!r}: choose from {ORACLES}")
        fields[kind.replace("_", " ")] = OracleReward(kind, a.train_maze)
    from trirl_isaac.cli import labelled_files

    for label, path in labelled_files(a.reward, "--reward", "reward").items():
        fields[label] = LearnedReward.load(path)
    if not fields:
        raise SystemExit("nothing to draw: give --reward LABEL=FILE and/or --oracle KIND")
    plot_fields(fields, a.out, task=a.maze)
    print(f"wrote {a.out} ({len(fields)} panels)")


if __name__ == "__main__":
    main()
