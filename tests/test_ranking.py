"""bench.ranking: learned rewards scored along a true-reward learner's path."""

from __future__ import annotations

import json
import math

import pytest
import torch

from trirl_isaac.algo.discriminator import Discriminator
from trirl_isaac.algo.reward import LearnedReward, RewardChain
from trirl_isaac.bench.ranking import learned_returns, main, rollout, spearman
from trirl_isaac.envs.gym_mujoco import make_env


def constant_reward(feature_dim: int, value: float) -> LearnedReward:
    """A TRIRL reward whose value is ``value`` on every feature row."""
    disc = Discriminator(feature_dim, [8], obs_normalization=False)
    for p in disc.parameters():
        torch.nn.init.zeros_(p)
    with torch.no_grad():
        [m for m in disc.modules() if isinstance(m, torch.nn.Linear)][-1].bias.fill_(value)
    chain = RewardChain(disc, 1)
    chain.append(disc, 1.0, 0.0)
    return LearnedReward(chain, "trirl", 1.0)


def test_spearman() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 25, 100]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)
    assert spearman([1, 2, 2, 3], [1, 2, 2, 3]) == pytest.approx(1.0)  # ties take their mean rank
    assert math.isnan(spearman([1, 2, 3], [5, 5, 5]))
    with pytest.raises(ValueError, match="one length"):
        spearman([1, 2], [1, 2, 3])


def test_learned_return_counts_each_episode_once_with_the_falls_tail() -> None:
    """Hopper under a fresh policy falls: each first episode's learned return under a reward of -1 everywhere is -1
    per lived step plus -1 / (1 - gamma) for its absorbing step, and nothing after the episode ended."""
    env = make_env("hopper", 3, seed=0)
    gen = torch.Generator().manual_seed(0)
    trace = rollout(env, lambda obs: 2.0 * torch.rand(3, env.num_actions, generator=gen) - 1.0)
    alive = torch.stack([s["alive"] for s in trace["steps"]])
    absorbing = torch.stack([s["absorbing"] for s in trace["steps"]]) & alive
    assert bool(absorbing.any()), "a random hopper should fall within its first episode"
    assert bool(alive[-1].any())  # the rollout stops once every env's episode has ended
    gamma = 0.99
    got = learned_returns(trace, constant_reward(2 * env.obs_dim, -1.0), gamma)
    lived = (alive & ~absorbing).sum(0).double()
    want = -lived - absorbing.sum(0).double() / (1.0 - gamma)
    assert got == pytest.approx(want.tolist())
    assert len(trace["returns"]) == 3 and all(r != 0.0 for r in trace["returns"])


def test_cli_scores_the_path_and_refuses_bad_input(tmp_path) -> None:
    env = make_env("hopper", 1, seed=0)
    minus = tmp_path / "minus.pt"
    constant_reward(2 * env.obs_dim, -1.0).save(str(minus))
    plus = tmp_path / "plus.pt"
    constant_reward(2 * env.obs_dim, 0.5).save(str(plus))
    out, png = tmp_path / "r.json", tmp_path / "r.png"
    main(["--task", "hopper", "--quick", "--steps", "256", "--points", "2", "--episodes", "2", "--seed", "0",
          "--reward", f"minus={minus}", "--reward", f"plus={plus}", "--out", str(out), "--plot", str(png)])  # fmt: skip
    result = json.loads(out.read_text())
    assert [p["env_steps"] for p in result["path"]] == [0, 128, 256]  # the fresh policy, then 2 x 1 iteration
    assert result["expert_per_step"] == pytest.approx({"minus": -1.0, "plus": 0.5})
    for p in result["path"]:  # a constant reward pays per lived step; a fall adds its tail (1 / (1 - gamma))
        assert p["learned_return"]["plus"] == pytest.approx(-0.5 * p["learned_return"]["minus"])
        assert p["learned_return"]["minus"] <= -p["episode_length"] + 1e-6
    assert png.stat().st_size > 0 and result["trained_on"] == "true reward"
    # the other path: PPO on a learned reward (a benchmark retrain), scored alike
    on = tmp_path / "on.json"
    main(["--task", "hopper", "--quick", "--steps", "128", "--points", "1", "--episodes", "1", "--seed", "0",
          "--reward", f"minus={minus}", "--train_on", "minus", "--out", str(on)])  # fmt: skip
    assert json.loads(on.read_text())["trained_on"] == "minus"
    with pytest.raises(SystemExit, match="--train_on nope: not a --reward label"):
        main(
            ["--task", "hopper", "--reward", f"minus={minus}", "--train_on", "nope", "--out", str(tmp_path / "m.json")]
        )
    before = out.read_text()
    with pytest.raises(SystemExit, match="exists"):
        main(["--task", "hopper", "--reward", f"minus={minus}", "--out", str(out)])
    assert out.read_text() == before
    maze = tmp_path / "maze.pt"
    constant_reward(8, 1.0).save(str(maze))  # a Point Maze reward: 8 features, Hopper has more
    with pytest.raises(SystemExit, match="--reward maze: the learned reward reads 8 features"):
        main(["--task", "hopper", "--quick", "--reward", f"maze={maze}", "--out", str(tmp_path / "m.json")])
    with pytest.raises(SystemExit, match="LABEL=FILE"):
        main(["--task", "hopper", "--reward", str(maze), "--out", str(tmp_path / "m.json")])
    with pytest.raises(SystemExit, match="label 'minus' given twice"):
        main(
            [
                "--task",
                "hopper",
                "--reward",
                f"minus={minus}",
                "--reward",
                f"minus={plus}",
                "--out",
                str(tmp_path / "m.json"),
            ]
        )
    with pytest.raises(SystemExit, match="no reward file"):
        main(["--task", "hopper", "--reward", f"x={tmp_path / 'none.pt'}", "--out", str(tmp_path / "m.json")])
    assert not (tmp_path / "m.json").exists()
