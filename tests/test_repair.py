"""bench.repair: retrain a frozen reward, fit D against the demonstrations on what the retrain does, fold it in."""

from __future__ import annotations

import json

import pytest
import torch
from test_ranking import constant_reward

from trirl_isaac.algo.reward import LearnedReward
from trirl_isaac.bench.repair import main, round_seed
from trirl_isaac.envs.gym_mujoco import demo_features, load_demos, make_env


def test_repair_folds_one_discriminator_per_round_and_measures_the_last_reward(tmp_path) -> None:
    env = make_env("hopper", 1, seed=0)
    src = tmp_path / "minus.pt"
    constant_reward(2 * env.obs_dim, -1.0).save(str(src))
    out = tmp_path / "rep"
    main(["--task", "hopper", "--quick", "--reward", str(src), "--rounds", "2", "--step", "0.25", "--episodes", "2",
          "--fit_calls", "3", "--seed", "4", "--always", "--out", str(out)])  # fmt: skip
    result = json.loads((out / "repair.json").read_text())
    path = result["path"]
    assert [r["ppo_seed"] for r in path] == [5, 1005, 2005] == [round_seed(4, k) for k in range(3)]
    assert path[0]["expert_per_step"] == pytest.approx(-1.0)  # round 0 measures the reward as given
    assert "repaired_file" not in path[-1]  # the last round only measures
    expert_x = demo_features(load_demos("data/demos/hopper.h5"), "state_next_state", env.absorbing)
    previous = LearnedReward.load(str(src))
    for k, row in enumerate(path[:-1]):
        repaired = LearnedReward.load(str(out / "rewards" / row["repaired_file"]))
        assert row["repaired_file"] == f"hopper__trirl__s4__repair{k + 1}.pt"
        assert repaired.metadata["folded"][-1] == {"step": 0.25, "round": k + 1, "ppo_seed": row["ppo_seed"],
                                                   "rows": row["rows"]}  # fmt: skip
        # the fold's last discriminator, recovered from the file, is the 0.25 step on top of the previous reward
        d = repaired.chain.template
        d.load_state_dict(repaired.chain.snapshots[-1])
        with torch.no_grad():
            want = 0.75 * previous(expert_x) + 0.25 * d(expert_x)
            torch.testing.assert_close(repaired(expert_x), want, rtol=1e-4, atol=1e-4)
            assert float(repaired(expert_x).mean()) == pytest.approx(path[k + 1]["expert_per_step"], rel=1e-4)
        assert row["repaired_expert_per_step"] == pytest.approx(path[k + 1]["expert_per_step"], rel=1e-4)
        previous = repaired
    assert len(previous.metadata["folded"]) == 2


def test_repairs_stop_once_the_demonstrations_outscore_the_retrain(tmp_path, capsys) -> None:
    """Under -1 everywhere a falling hopper earns less per step than the demonstrations (its fall's tail is -1 /
    (1 - gamma)): nothing to repair, one row. Under +1 the fall's tail pays +1 / (1 - gamma), the retrain outscores
    the demonstrations, and the reward is repaired (up to --rounds)."""
    env = make_env("hopper", 1, seed=0)
    for value, rows in ((-1.0, 1), (1.0, 2)):
        src = tmp_path / f"c{value}.pt"
        constant_reward(2 * env.obs_dim, value).save(str(src))
        out = tmp_path / f"rep{value}"
        main(["--task", "hopper", "--quick", "--reward", str(src), "--rounds", "1", "--episodes", "2",
              "--fit_calls", "1", "--out", str(out)])  # fmt: skip
        path = json.loads((out / "repair.json").read_text())["path"]
        assert len(path) == rows
        assert ("stopped: the demonstrations outscore it" in capsys.readouterr().out) == (value < 0)  # said, too
        outscored = path[0]["learned_per_step"] >= path[0]["expert_per_step"]
        assert outscored == (value > 0) and ("stopped" in path[0]) == (value < 0)
        assert len(list((out / "rewards").iterdir())) == rows - 1


def test_repair_refuses_bad_input_before_training(tmp_path) -> None:
    env = make_env("hopper", 1, seed=0)
    src = tmp_path / "r.pt"
    constant_reward(2 * env.obs_dim, -1.0).save(str(src))
    (tmp_path / "taken").mkdir()
    with pytest.raises(SystemExit, match="exists; choose a new directory"):
        main(["--task", "hopper", "--reward", str(src), "--out", str(tmp_path / "taken")])
    with pytest.raises(SystemExit, match=r"--step must lie in \(0, 1\]"):
        main(["--task", "hopper", "--reward", str(src), "--step", "1.5", "--out", str(tmp_path / "a")])
    with pytest.raises(SystemExit, match="--reward .*: a gail reward"):
        reward = LearnedReward.load(str(src))
        reward.method = "gail"
        reward.save(str(tmp_path / "g.pt"))
        main(["--task", "hopper", "--reward", str(tmp_path / "g.pt"), "--out", str(tmp_path / "b")])
    with pytest.raises(SystemExit, match="reads 4 features"):
        constant_reward(4, 0.0).save(str(tmp_path / "small.pt"))
        main(["--task", "hopper", "--reward", str(tmp_path / "small.pt"), "--out", str(tmp_path / "c")])
    assert not any((tmp_path / n).exists() for n in ("a", "b", "c"))
