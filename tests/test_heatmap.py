"""The Point Maze reward field: with the true (maze-distance) reward, the best direction leads through the gap."""

import numpy as np
import pytest
import torch

from trirl_isaac.bench.heatmap import plot_fields, reward_field
from trirl_isaac.envs.gym_mujoco import PointMazeEnv


def _maze_distance_reward(task: str):
    env = PointMazeEnv(1, task=task)
    return lambda x: -env.maze_distance(x[:, 4:6])  # r(s, s') = -(maze distance of s' to the goal)


def _direction_at(xs, ys, dirs, x, y):
    return dirs[int(np.abs(ys - y).argmin()), int(np.abs(xs - x).argmin())]


@pytest.mark.parametrize("flipped", [False, True])
def test_true_reward_field_points_through_the_gap(flipped: bool) -> None:
    task = "pointmaze_flipped" if flipped else "pointmaze"
    xs, ys, best, dirs = reward_field(_maze_distance_reward(task), task=task, grid=21)
    assert best.shape == (21, 21) and dirs.shape == (21, 21, 2)
    assert _direction_at(xs, ys, dirs, 0.0, 0.3)[1] > 0.9  # above the wall: straight up to the goal (0, 0.7)
    side = 1.0 if not flipped else -1.0  # below the wall, far from the gap: towards the gap's side
    assert side * _direction_at(xs, ys, dirs, -0.8 * side, -0.5)[0] > 0.5
    # the wall blocks: below it, under the goal, moving up does not pay (the best move is sideways to the gap)
    assert abs(_direction_at(xs, ys, dirs, 0.0, -0.1)[1]) < 0.9


def test_plot_fields_writes_a_figure(tmp_path) -> None:
    path = tmp_path / "fields.png"
    plot_fields({"true": _maze_distance_reward("pointmaze"), "const": lambda x: torch.zeros(x.shape[0])}, str(path))
    assert path.stat().st_size > 10_000


def test_heatmap_cli_draws_saved_and_hand_written_rewards_and_names_bad_input(tmp_path) -> None:
    """python -m trirl_isaac.bench.heatmap: a saved reward and an oracle become panels; an existing figure is kept, a
    missing reward file, a bad item and an unknown oracle are named before anything is drawn."""
    import glob
    import os

    from trirl_isaac.bench.heatmap import main

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    saved = sorted(glob.glob(os.path.join(root, "docs", "benchmark", "v5", "rewards", "pointmaze__trirl__s0__*.pt")))
    assert saved, "the committed Point Maze rewards are the test's input"
    out = tmp_path / "fields.png"
    main(["--out", str(out), "--oracle", "euclidean", "--reward", f"TRIRL={saved[0]}"])
    assert out.stat().st_size > 10_000
    before = out.read_bytes()
    with pytest.raises(SystemExit, match="exists"):
        main(["--out", str(out), "--oracle", "euclidean"])
    assert out.read_bytes() == before
    with pytest.raises(SystemExit, match="no reward file"):
        main(["--out", str(tmp_path / "a.png"), "--reward", f"X={tmp_path / 'missing.pt'}"])
    with pytest.raises(SystemExit, match="LABEL=FILE"):
        main(["--out", str(tmp_path / "b.png"), "--reward", saved[0]])
    with pytest.raises(SystemExit, match="choose from"):
        main(["--out", str(tmp_path / "c.png"), "--oracle", "manhattan"])
    with pytest.raises(SystemExit, match="--train_maze"):  # a transfer layout is not a training maze
        main(["--out", str(tmp_path / "e.png"), "--oracle", "euclidean", "--train_maze", "pointmaze_flipped"])
    with pytest.raises(SystemExit, match="--maze"):
        main(["--out", str(tmp_path / "f.png"), "--oracle", "euclidean", "--maze", "hopper"])
    main(["--out", str(tmp_path / "g.png"), "--oracle", "euclidean", "--train_maze", "pointmaze_detour",
          "--maze", "pointmaze_detour_flipped"])  # fmt: skip
    assert (tmp_path / "g.png").stat().st_size > 10_000
    with pytest.raises(SystemExit, match="nothing to draw"):
        main(["--out", str(tmp_path / "d.png")])
    assert not any((tmp_path / n).exists() for n in ("a.png", "b.png", "c.png", "d.png", "e.png", "f.png"))
