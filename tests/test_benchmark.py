"""Benchmark tasks (Gymnasium MuJoCo behind rsl_rl's VecEnv, Point Maze), shifted dynamics, statistics, pipeline."""

import glob
import json
import math
import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch

from trirl_isaac.algo.discriminator import Discriminator
from trirl_isaac.algo.reward import LearnedReward, RewardChain
from trirl_isaac.bench import run as bench_run
from trirl_isaac.bench import settings as bench_settings
from trirl_isaac.bench import stats
from trirl_isaac.envs.gym_mujoco import (
    OBS_GROUPS,
    GymMujocoVecEnv,
    PointMazeEnv,
    TaskSpec,
    demo_features,
    load_demos,
    make_env,
    run_episodes,
    task_spec,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ------------------------------------------------------------------------------------------------ the VecEnv wrapper
@pytest.mark.parametrize("task, obs_dim, act_dim", [("halfcheetah", 17, 6), ("ant", 28, 8), ("pointmaze", 4, 2)])
def test_wrapper_shapes_and_groups(task: str, obs_dim: int, act_dim: int) -> None:  # ant: 27 + absorbing flag
    env = make_env(task, 3, seed=0)
    obs = env.get_observations()
    assert set(obs.keys()) == set(OBS_GROUPS)
    assert env.num_actions == act_dim and env.num_envs == 3
    for g in OBS_GROUPS:
        assert obs[g].shape == (3, obs_dim) and obs[g].dtype == torch.float32
    obs, rew, dones, extras = env.step(torch.zeros(3, act_dim))
    assert rew.shape == (3,) and dones.shape == (3,)
    assert extras["time_outs"].shape == (3,) and extras["time_outs"].dtype == torch.bool
    assert set(extras["final_obs"].keys()) == set(OBS_GROUPS)
    # where no episode ended the pre-reset observation is the returned one
    assert torch.equal(extras["final_obs"]["policy"], obs["policy"])
    assert "/true_reward" in extras["log"]


def test_time_outs_and_final_obs_match_a_plain_gymnasium_env() -> None:
    spec = TaskSpec("halfcheetah_short", "HalfCheetah-v5", horizon=5)
    env = GymMujocoVecEnv(spec, 2, seed=3)
    ref = gym.make("HalfCheetah-v5", max_episode_steps=5)
    o_ref, _ = ref.reset(seed=3)
    assert np.allclose(env.get_observations()["policy"][0].numpy(), o_ref, atol=1e-6)
    actions = torch.linspace(-0.5, 0.5, 6).expand(2, 6)
    for _ in range(5):
        obs, rew, dones, extras = env.step(actions)
        o_ref, r_ref, term, trunc, _ = ref.step(actions[0].numpy())
        assert math.isclose(rew[0].item(), r_ref, rel_tol=1e-5, abs_tol=1e-5)
    assert trunc and not term
    assert dones.tolist() == [1, 1] and extras["time_outs"].all()
    # final_obs is the last observation of the finished episode; the returned one is the reset state
    assert np.allclose(extras["final_obs"]["policy"][0].numpy(), o_ref, atol=1e-5)
    assert not torch.allclose(obs["policy"][0], extras["final_obs"]["policy"][0])
    assert len(env.completed_returns) == 2


def test_terminations_are_not_time_outs() -> None:
    env = make_env("hopper", 4, seed=0, absorbing=False)
    g = torch.Generator().manual_seed(0)
    seen = 0
    for _ in range(300):
        prev = env.get_observations()["policy"]
        obs, _, dones, extras = env.step(2 * torch.rand(4, 3, generator=g) - 1)
        ended = dones.bool()
        assert not extras["time_outs"][ended].any()  # hopper episodes here end by falling, long before 1000 steps
        if ended.any():
            seen += int(ended.sum())
            fin = extras["final_obs"]["policy"][ended]
            z, angle = fin[:, 0], fin[:, 1]
            assert ((z <= 0.7) | (angle.abs() >= 0.2) | (fin[:, 1:].abs() >= 100).any(-1)).all()  # unhealthy
            # and it continues the previous state, unlike the reset observation returned now
            assert (fin - prev[ended]).abs().max() < (obs["policy"][ended] - prev[ended]).abs().max() + 1.0
        assert torch.equal(extras["final_obs"]["policy"][~ended], obs["policy"][~ended])
    assert seen > 0


@pytest.mark.parametrize("tail", ["closed_form", "bootstrap"])
def test_absorbing_state_after_a_termination(tail: str) -> None:
    plain = make_env("hopper", 2, seed=1, absorbing=False)
    absorbing = make_env("hopper", 2, seed=1, absorbing_tail=tail)
    assert absorbing.absorbing and absorbing.obs_dim == plain.obs_dim + 1 == 12
    assert absorbing.get_observations()["policy"][:, -1].eq(0).all()
    falls = 2 * torch.ones(2, 3)  # full torque: the hopper falls within a few dozen steps
    returns, checked = [], False
    for env in (plain, absorbing):
        while not env.completed_returns:
            obs, _, dones, extras = env.step(falls)
            if "absorbing" in extras:  # flagged only on (absorbing, absorbing) steps, which end the episode
                assert not (extras["absorbing"] & ~dones.bool()).any()
            entered = (obs["policy"][:, -1] == 1) & ~dones.bool() if env is absorbing else torch.zeros(2, dtype=bool)
            if entered.any():
                i = int(entered.nonzero()[0])
                # the terminating step led to the absorbing state: zeros with the flag, not an episode end
                assert obs["policy"][i, :-1].abs().sum() == 0 and extras["final_obs"]["policy"][i, -1] == 1
                obs, _, dones, extras = env.step(falls)
                # (absorbing, absorbing) has true reward 0 and ends the episode: closed form as a flagged
                # termination (no bootstrap), else as a time-out (the critic bootstraps V(absorbing))
                assert dones[i] == 1 and env.last_true_reward[i] == 0
                assert bool(extras["time_outs"][i]) == (tail == "bootstrap")
                assert ("absorbing" in extras and bool(extras["absorbing"][i])) == (tail == "closed_form")
                assert extras["applied_actions"][i].abs().sum() == 0  # the demos store zero actions there
                assert extras["final_obs"]["policy"][i, -1] == 1 and obs["policy"][i, -1] == 0
                checked = True
        returns.append(sorted(env.completed_returns))
    assert checked
    assert returns[0] == pytest.approx(returns[1], rel=1e-6)
    with pytest.raises(ValueError, match="absorbing_tail"):
        make_env("hopper", 1, absorbing_tail="learned")


def test_closed_form_tail_prices_a_fall_under_a_negative_reward() -> None:
    """Under a learned reward that is negative everywhere, falling at once must cost more than surviving."""
    env = make_env("hopper", 1, seed=1)
    disc = Discriminator(2 * env.obs_dim, [8], obs_normalization=False)
    for p in disc.parameters():
        torch.nn.init.zeros_(p)
    with torch.no_grad():
        [m for m in disc.modules() if isinstance(m, torch.nn.Linear)][-1].bias.fill_(-1.0)
    chain = RewardChain(disc, 1)
    chain.append(disc, 1.0, 0.0)
    reward = LearnedReward(chain, "trirl", 1.0)
    assert torch.allclose(reward(torch.zeros(3, 2 * env.obs_dim)), torch.full((3,), -1.0))
    env.install_frozen_reward(reward, gamma=0.99)
    total, steps = 0.0, 0
    while not env.completed_returns:
        _, rew, dones, extras = env.step(2 * torch.ones(1, 3))
        total += float(rew[0]) * 0.99**steps
        steps += 1
    # n steps to the fall, then (absorbing, absorbing) worth -1/(1-gamma): -(1-gamma^n)/(1-gamma) - gamma^n/(1-gamma)
    # = -1/(1-gamma), what standing forever under r = -1 is worth, instead of the -(1-gamma^n)/(1-gamma) of a free end
    assert extras["absorbing"][0] and dones[0] == 1 and not extras["time_outs"][0]
    assert steps < 100 and total == pytest.approx(-1.0 / (1.0 - 0.99), rel=1e-5)


def test_absorbing_demo_features() -> None:
    demos = {
        "obs": np.ones((5, 2), np.float32),
        "next_obs": 2 * np.ones((5, 2), np.float32),
        "actions": np.ones((5, 1), np.float32),
        "terminals": np.array([0, 0, 1, 0, 0], np.float32),
    }
    x = demo_features(demos, "state_next_state", absorbing=True).numpy()
    assert x.shape == (6, 6)
    assert np.allclose(x[2], [1, 1, 0, 0, 0, 1])  # the terminal transition leads to the absorbing state
    assert np.allclose(x[5], [0, 0, 1, 0, 0, 1])  # plus one (absorbing, absorbing) transition
    assert np.allclose(x[0], [1, 1, 0, 2, 2, 0])
    assert demo_features(demos, "state_action", absorbing=True).shape == (6, 4)


def test_determinism_with_a_seed() -> None:
    def roll(task: str, seed: int) -> torch.Tensor:
        env = make_env(task, 2, seed=seed)
        g = torch.Generator().manual_seed(1)
        out = []
        for _ in range(60):
            obs, rew, _, _ = env.step(2 * torch.rand(2, env.num_actions, generator=g) - 1)
            out.append(torch.cat([obs["policy"].flatten(), rew]))
        return torch.stack(out)

    for task in ("hopper", "pointmaze"):
        assert torch.equal(roll(task, 5), roll(task, 5))
        assert not torch.equal(roll(task, 5), roll(task, 6))


# ------------------------------------------------------------------------------------------------ shifted dynamics
def test_shifted_variants_change_the_dynamics() -> None:
    base, mars, wind = (make_env(t, 1, seed=0) for t in ("halfcheetah", "halfcheetah_mars", "halfcheetah_wind"))
    assert np.allclose(base.unwrapped_model.opt.gravity, [0, 0, -9.81])
    assert np.allclose(mars.unwrapped_model.opt.gravity, [0, 0, -3.73])
    assert np.allclose(wind.unwrapped_model.opt.wind, [-5, 0, 0]) and wind.unwrapped_model.opt.density == 1.2
    a = torch.full((1, 6), 0.3)
    trajectories = []
    for env in (base, mars, wind):
        for _ in range(20):
            obs, _, _, _ = env.step(a)
        trajectories.append(obs["policy"])
    assert not torch.allclose(trajectories[0], trajectories[1]) and not torch.allclose(trajectories[0], trajectories[2])

    ant, disabled = make_env("ant", 1), make_env("ant_disabled", 1)
    m0, m1 = ant.unwrapped_model, disabled.unwrapped_model
    names = [m1.joint(m1.actuator_trnid[i, 0]).name for i in range(m1.nu)]
    gear = dict(zip(names, m1.actuator_gear[:, 0]))
    assert all(gear[j] == 0 for j in ("hip_1", "ankle_1", "hip_2", "ankle_2"))
    assert all(gear[j] == 150 for j in ("hip_3", "ankle_3", "hip_4", "ankle_4"))
    for geom, ratio in (("left_leg_geom", 0.18 / 0.2), ("left_ankle_geom", 0.35 / 0.4), ("back_leg_geom", 1.0)):
        assert math.isclose(m1.geom(geom).size[1] / m0.geom(geom).size[1], ratio, rel_tol=1e-4)


def test_flipped_maze_moves_the_gap() -> None:
    up = torch.tensor([[0.0, 1.0]])
    heights = {}
    for task in ("pointmaze", "pointmaze_flipped"):
        env = make_env(task, 1, seed=0)
        env.pos[:] = torch.tensor([[0.75, -0.3]])
        for _ in range(30):
            obs, _, _, _ = env.step(up)
        heights[task] = obs["policy"][0, 1].item()
    assert heights["pointmaze"] > 0.2  # through the gap on the right
    assert heights["pointmaze_flipped"] < 0.0  # blocked: the gap is on the left now
    env = make_env("pointmaze_flipped", 8, seed=0)
    expert = run_episodes(env, lambda o: env.expert_action(o["policy"]))
    env = make_env("pointmaze_flipped", 8, seed=0)
    still = run_episodes(env, lambda o: torch.zeros(8, 2))
    assert np.mean(expert) > np.mean(still) + 50


@pytest.mark.parametrize("task, side", [("pointmaze", 1.0), ("pointmaze_flipped", -1.0), ("pointmaze_detour", 1.0)])
def test_a_point_pressed_against_the_border_passes_the_gap_there(task: str, side: float) -> None:
    """The gap reaches the arena's border: a point pushed up and outwards along the border crosses the wall (the
    border clamps the motion before the wall is checked; it used to pin such a point in the corner at y = 0)."""
    env = make_env(task, 1, seed=0)
    env.pos[:] = torch.tensor([[0.9 * side, -0.3]])
    for _ in range(30):
        obs, _, _, _ = env.step(torch.tensor([[side, 1.0]]))
    assert obs["policy"][0, 1].item() > 0.3 and abs(obs["policy"][0, 0].item()) == pytest.approx(1.0)
    env.pos[:] = torch.tensor([[-0.9 * side, -0.3]])  # the closed side's border still blocks
    env.vel[:] = 0.0
    for _ in range(30):
        obs, _, _, _ = env.step(torch.tensor([[-side, 1.0]]))
    assert obs["policy"][0, 1].item() < 0.0


def test_detour_maze_demos_take_the_detour_and_its_transfer_opens_the_wall_beneath_the_goal() -> None:
    """pointmaze_detour: the goal sits above the left end of the wall, the gap on the right, so the shipped demos
    cross the wall on the right and end at the goal; in pointmaze_detour_flipped straight up from under the goal
    gets through (it is blocked in the training layout), and its expert's path is the shorter one."""
    demos = load_demos(os.path.join(ROOT, "data", "demos", "pointmaze_detour.h5"))
    s, s2 = demos["obs"], demos["next_obs"]
    crossing = (s[:, 1] < 0.0) & (s2[:, 1] >= 0.0)
    assert crossing.sum() >= demos["attrs"]["num_episodes"]  # every episode passes the wall ...
    assert (s2[crossing, 0] > 0.45).all()  # ... through the right-hand gap
    ends = np.cumsum(demos["episode_lengths"]).astype(int) - 1
    assert np.abs(s2[ends, :2] - np.array([-0.75, 0.7])).max() < 0.1  # and ends at the goal
    up = torch.tensor([[0.0, 1.0]])
    heights = {}
    for task in ("pointmaze_detour", "pointmaze_detour_flipped"):
        env = make_env(task, 1, seed=0)
        env.pos[:] = torch.tensor([[-0.75, -0.3]])
        for _ in range(30):
            obs, _, _, _ = env.step(up)
        heights[task] = obs["policy"][0, 1].item()
    assert heights["pointmaze_detour"] < 0.0 < 0.2 < heights["pointmaze_detour_flipped"]
    flipped = load_demos(os.path.join(ROOT, "data", "demos", "pointmaze_detour_flipped.h5"))
    assert flipped["attrs"]["expert_return"] > demos["attrs"]["expert_return"] + 20  # the detour is gone
    with pytest.raises(ValueError, match="not a Point Maze task"):
        PointMazeEnv(1, task="hopper")


@pytest.mark.parametrize("task", ["pointmaze", "pointmaze_detour"])
def test_maze_oracles_of_each_layout(task: str) -> None:
    """Below the wall, under the goal's side, the training layout's true reward leads to the training gap while
    the straight-line reward and the transfer layout's true reward lead up or towards the goal; above the wall all
    three agree."""
    from trirl_isaac.bench.maze_oracle import OracleReward, maze_transfer

    def at(x: float, y: float) -> torch.Tensor:
        return torch.tensor([[0.0, 0.0, 0.0, 0.0, x, y, 0.0, 0.0]])

    r = {k: OracleReward(k, task) for k in ("original_layout", "euclidean", "flipped_true")}
    right, left = at(0.75, -0.1), at(-0.75, -0.1)
    assert r["original_layout"](right) > r["original_layout"](left) + 0.5
    assert r["flipped_true"](left) > r["flipped_true"](right) + 0.5
    assert r["euclidean"](left) >= r["euclidean"](right)  # the goal is at x = 0 or on the left
    goal_x = float(r["euclidean"]._maze.goal[0])
    above = at(goal_x + 0.2, 0.5)
    values = [float(r[k](above)) for k in r]
    assert max(values) - min(values) < 1e-6
    assert maze_transfer(task) == f"{task}_flipped"
    with pytest.raises(ValueError, match="not a Point Maze"):
        maze_transfer("halfcheetah")
    with pytest.raises(ValueError, match="one transfer layout"):
        maze_transfer("pointmaze_flipped")


def test_maze_oracle_rewards_point_where_their_layout_says() -> None:
    """bench.maze_oracle: below the wall the training maze's true reward prefers the right-hand side, the flipped
    maze's the left-hand side, and the straight-line reward neither (the goal is at x = 0); above the wall all
    three agree; the rewards install into the flipped maze like a learned one."""
    from trirl_isaac.bench.maze_oracle import OracleReward

    def at(x: float, y: float) -> torch.Tensor:
        return torch.tensor([[0.0, 0.0, 0.0, 0.0, x, y, 0.0, 0.0]])

    r = {k: OracleReward(k) for k in ("original_layout", "euclidean", "flipped_true")}
    right, left = at(0.75, -0.1), at(-0.75, -0.1)
    assert r["original_layout"](right) > r["original_layout"](left) + 0.5
    assert r["flipped_true"](left) > r["flipped_true"](right) + 0.5
    assert torch.allclose(r["euclidean"](right), r["euclidean"](left))
    above = at(0.3, 0.5)
    values = [float(r[k](above)) for k in r]
    assert max(values) - min(values) < 1e-6
    env = make_env("pointmaze_flipped", 2, seed=0)
    env.install_frozen_reward(r["original_layout"])
    _, reward, _, _ = env.step(torch.zeros(2, 2))
    assert torch.allclose(reward, r["original_layout"](torch.cat([torch.zeros(2, 4), env._obs()], -1)).float())
    with pytest.raises(ValueError, match="unknown oracle reward"):
        OracleReward("manhattan")
    with pytest.raises(ValueError, match="reads 8 Point Maze features"):
        r["euclidean"](torch.zeros(1, 4))


def test_maze_oracle_cli_scores_every_oracle_per_seed_and_keeps_an_existing_file(tmp_path) -> None:
    """python -m trirl_isaac.bench.maze_oracle with a one-iteration budget: every oracle gets a finite score per
    seed in the JSON; an existing --out is refused and left as it was."""
    from trirl_isaac.bench.maze_oracle import ORACLES, main

    out = tmp_path / "oracle.json"
    main(["--seeds", "0", "--steps", "2048", "--eval_episodes", "2", "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["seeds"] == [0] and set(result["scores"]) == set(ORACLES) and "retrain_scores" not in result
    for score in result["scores"].values():
        assert len(score["per_seed"]) == 1 and math.isfinite(score["mean"]) and score["mean"] == score["per_seed"][0]
    both = tmp_path / "detour.json"
    main(["--task", "pointmaze_detour", "--seeds", "1", "--steps", "2048", "--eval_episodes", "2", "--retrain"]
         + ["--out", str(both)])  # fmt: skip
    detour = json.loads(both.read_text())
    assert detour["task"] == "pointmaze_detour" and detour["transfer"] == "pointmaze_detour_flipped"
    assert set(detour["retrain_scores"]) == set(ORACLES) == set(detour["scores"])
    assert all(math.isfinite(v["mean"]) for v in detour["retrain_scores"].values())
    with pytest.raises(SystemExit, match="--task"):
        main(["--task", "hopper", "--out", str(tmp_path / "x.json")])
    assert not (tmp_path / "x.json").exists()
    before = out.read_text()
    with pytest.raises(SystemExit, match="exists"):
        main(["--seeds", "0", "--steps", "2048", "--out", str(out)])
    assert out.read_text() == before


# ------------------------------------------------------------------------------------------------ learned reward hook
def test_frozen_learned_reward_replaces_the_reward_and_true_return_is_tracked() -> None:
    env = make_env("pointmaze", 4, seed=0)
    disc = Discriminator(8, [16], obs_normalization=False)
    chain = RewardChain(disc, 3)
    chain.append(disc, 0.5, 0.0)
    reward = LearnedReward(chain, "trirl", 1.0)
    env.install_frozen_reward(reward)
    true_total = torch.zeros(4, dtype=torch.float64)
    for _ in range(100):
        s = env.get_observations()["policy"]
        obs, rew, dones, extras = env.step(torch.ones(4, 2))
        expected = reward(torch.cat([s, extras["final_obs"]["policy"]], dim=-1))
        assert torch.allclose(rew, expected)
        true_total += env.last_true_reward.double()
    assert dones.all()
    assert np.allclose(env.pop_completed_returns(), true_total.numpy())
    with pytest.raises(ValueError):
        make_env("halfcheetah", 1).install_frozen_reward(reward)


# ------------------------------------------------------------------------------------------------ statistics
def test_iqm_and_stratified_bootstrap_on_known_numbers() -> None:
    b = stats
    assert b.iqm(np.arange(1, 9)) == pytest.approx(4.5)  # middle half of 1..8 is 3, 4, 5, 6
    assert b.iqm(np.array([0.0, 1.0, 1.0, 100.0])) == pytest.approx(1.0)  # outliers are trimmed
    # every run of a task scores the same: resampling within tasks cannot move the IQM
    point, lo, hi = b.stratified_bootstrap_ci([np.full(5, 0.2), np.full(3, 0.9), np.full(4, 0.5)], reps=200)
    assert point == pytest.approx(b.iqm(np.r_[np.full(5, 0.2), np.full(3, 0.9), np.full(4, 0.5)]))
    assert lo == pytest.approx(point) and hi == pytest.approx(point)
    # a large sample: the interval is narrow and covers the true centre
    rng = np.random.default_rng(0)
    point, lo, hi = b.stratified_bootstrap_ci([rng.normal(1.0, 0.1, 400), rng.normal(1.0, 0.1, 400)], reps=300)
    assert lo < 1.0 < hi and hi - lo < 0.05
    # equal runs per task go through rliable; its interval agrees with the hand-written bootstrap of the same data
    x = [rng.normal(0.5, 0.3, 6), rng.normal(1.0, 0.2, 6), rng.normal(0.2, 0.1, 6)]
    p1, lo1, hi1 = b.stratified_bootstrap_ci(x, reps=2000)
    p2, lo2, hi2 = b.stratified_bootstrap_ci(x, statistic=lambda v: b.iqm(v), reps=2000)  # forces the local path
    assert p1 == pytest.approx(p2) and lo1 < p1 < hi1
    assert lo1 == pytest.approx(lo2, abs=0.05) and hi1 == pytest.approx(hi2, abs=0.05)
    m, lo, hi = b.mean_ci([1.0, 2.0, 3.0])
    assert m == 2.0 and hi - m == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)


# ------------------------------------------------------------------------------------------------ demonstrations
DEMOS = sorted(glob.glob(os.path.join(ROOT, "data", "demos", "*.h5")))


@pytest.mark.skipif(not DEMOS, reason="no demonstration files (scripts/train_expert.py makes them)")
@pytest.mark.parametrize("path", DEMOS, ids=[os.path.basename(p) for p in DEMOS])
def test_demo_files_load_and_match_the_env(path: str) -> None:
    demos = load_demos(path)
    task = demos["attrs"]["task"]
    env = make_env(task, 1, absorbing=False)
    n = demos["obs"].shape[0]
    assert demos["obs"].shape == demos["next_obs"].shape == (n, env.obs_dim)
    assert demos["actions"].shape == (n, env.num_actions)
    assert demos["obs"].dtype == np.float32
    assert demo_features(demos, "state_next_state").shape == (n, 2 * env.obs_dim)
    assert demo_features(demos, "state_action").shape == (n, env.obs_dim + env.num_actions)
    k = int(demos["terminals"].sum())
    assert demo_features(demos, absorbing=True).shape == (n + k, 2 * env.obs_dim + 2)
    assert len(demos["episode_returns"]) == demos["attrs"]["num_episodes"] == int(demos["dones"].sum())
    assert demos["episode_lengths"].sum() == n and demos["episode_lengths"].max() <= task_spec(task).horizon
    assert np.isclose(demos["rewards"].sum(), demos["episode_returns"].sum(), rtol=1e-3)
    assert demos["attrs"]["expert_return"] > demos["attrs"]["random_return"]
    for key in ("how_made", "seed", "steps", "env_id", "gymnasium_version", "mujoco_version"):
        assert key in demos["attrs"]


def test_saved_runs_are_reused_only_when_the_settings_they_read_and_the_code_are_unchanged() -> None:
    b = bench_settings
    old = {"steps": 1000, "agent": b.agent_cfg("trirl")}
    new = json.loads(json.dumps(old))
    new["agent"]["algorithm"]["trirl_cfg"]["trust_region"]["mean_bound"] *= 0.5
    new["agent"]["algorithm"]["trirl_cfg"]["eps"] = 0.25
    new["agent"]["algorithm"]["trirl_cfg"]["eps_halving"] = 10.0
    new["agent"]["algorithm"]["trirl_cfg"]["average_reward"] = True
    assert b.settings_used(old, "gail") == b.settings_used(new, "gail")  # plain-PPO baselines never read them
    assert b.settings_used(old, "trirl") != b.settings_used(new, "trirl")
    assert bench_run.run_key(old, "gail", "abc") == bench_run.run_key(new, "gail", "abc")
    assert bench_run.run_key(old, "trirl", "abc") != bench_run.run_key(new, "trirl", "abc")
    assert bench_run.run_key(old, "gail", "abc") != bench_run.run_key(old, "gail", "abd")  # other code: rerun
    new["agent"]["algorithm"]["trirl_cfg"]["discriminator"]["learning_rate"] *= 2  # every method reads D's settings
    assert b.settings_used(old, "gail") != b.settings_used(new, "gail")
    assert b.settings_used(old, b.CONTROL) == b.settings_used(new, b.CONTROL)  # the control reads no trirl_cfg
    new = json.loads(json.dumps(old))
    new["steps"] = 2000
    assert b.settings_used(old, "airl") != b.settings_used(new, "airl")
    assert b.settings_used(old, b.CONTROL) != b.settings_used(new, b.CONTROL)


def test_trirl_overrides_change_only_the_named_settings() -> None:
    b = bench_settings
    before = json.loads(json.dumps(b.TRIRL))
    tc = b.with_overrides(
        ["eps=0.1", "trust_region.mean_bound=2e-4", "chain_length=0", "approximator.reservoir_size=64"]
    )
    assert b.TRIRL == before  # the defaults are not touched
    assert tc["eps"] == 0.1 and tc["trust_region"]["mean_bound"] == 2e-4 and tc["chain_length"] == 0
    assert isinstance(tc["chain_length"], int) and tc["approximator"]["reservoir_size"] == 64
    assert tc["trust_region"]["cov_bound"] == before["trust_region"]["cov_bound"]
    assert b.agent_cfg("trirl", tc)["algorithm"]["trirl_cfg"]["eps"] == 0.1
    # TRIRL's policy step is the trust region unless overridden (an override was once silently reset to it);
    # a baseline's is always PPO's
    assert b.agent_cfg("trirl")["algorithm"]["trirl_cfg"]["policy_update"] == "trpl"
    step = b.with_overrides(["policy_update=ppo"])
    assert b.agent_cfg("trirl", step)["algorithm"]["trirl_cfg"]["policy_update"] == "ppo"
    assert b.agent_cfg("gail")["algorithm"]["trirl_cfg"]["policy_update"] == "ppo"
    # a TrirlCfg field the dict leaves at its default (also inside a group the dict lacks) can be set, typed
    tc = b.with_overrides(["center_reward=true", "absorbing_floor=0", "kl_penalty.eta_start=5"])
    assert tc["center_reward"] is True and tc["absorbing_floor"] is False and tc["kl_penalty"] == {"eta_start": 5.0}
    assert "center_reward" not in b.TRIRL and "kl_penalty" not in b.TRIRL
    # an optional (None by default) setting takes a number, or none
    tc = b.with_overrides(["trust_region.entropy_floor=0.5", "d_transform=softplus"])
    assert tc["trust_region"]["entropy_floor"] == 0.5 and tc["d_transform"] == "softplus"
    assert b.with_overrides(["trust_region.entropy_floor=none"])["trust_region"]["entropy_floor"] is None
    tc = b.with_overrides(["eps_halving=10", "discriminator.replay_size=4096"])
    assert tc["eps_halving"] == 10.0 and tc["discriminator"]["replay_size"] == 4096
    assert tc["discriminator"]["hidden_dims"] == before["discriminator"]["hidden_dims"]
    for bad, message in (
        ("epsilon=0.1", "unknown setting"),
        ("eps", "KEY=VALUE"),
        ("nope.x=1", "no settings group"),
        ("eps=2", "eps must lie in"),
        ("approximator.reservoir_size=-1", "reservoir_size"),
        ("center_reward=maybe", "center_reward: expected true or false"),
        ("eps=fast", "eps: expected a number"),
        ("kl_penalty.eta=1", "unknown setting"),
        ("trust_region.entropy_floor=high", "entropy_floor must be a finite number"),
        ("d_transform=exp", "d_transform must be one of"),
        ("eps_halving=-3", "eps_halving must be a number of iterations > 0"),
        ("discriminator.replay_fraction=1", "replay_fraction must lie in"),
    ):
        with pytest.raises(SystemExit, match=message):
            b.with_overrides([bad])
    with pytest.raises(SystemExit, match="absorbing_tail"):
        b.env_settings("free")


def test_retrain_settings_reach_every_retraining_and_bad_ones_are_named(tmp_path, capsys) -> None:
    from trirl_isaac.bench import cli

    b = bench_settings
    assert b.ppo_cfg()["algorithm"]["class_name"] == "PPO" and b.retrain_overrides([]) == {}
    floor = b.retrain_overrides(["entropy_floor=0.2", "entropy_floor_start=1.42", "entropy_floor_iterations=488"])
    assert floor == {"entropy_floor": 0.2, "entropy_floor_start": 1.42, "entropy_floor_iterations": 488}
    alg = b.ppo_cfg(retrain_ppo=floor)["algorithm"]
    assert alg["class_name"] == "trirl_isaac.algo.ppo:EntropyFloorPPO" and alg["entropy_floor_iterations"] == 488
    alg = b.ppo_cfg(retrain_ppo=b.retrain_overrides(["learning_rate=1e-4"]))["algorithm"]
    assert alg["class_name"] == "PPO" and alg["learning_rate"] == 1e-4
    for bad, message in (
        ("entropy_floor_start=1.0", "need entropy_floor"),
        ("entropy_floor=0.5 entropy_floor_start=0.1", "must be >= entropy_floor"),
        ("entropy_floor=wide", "entropy_floor must be a finite number"),
        ("lr=1", "unknown setting"),
        ("learning_rate=fast", "learning_rate: expected a number"),
    ):
        with pytest.raises(SystemExit, match=message):
            b.retrain_overrides(bad.split())
    out = ["--out", str(tmp_path / "o")]
    for argv, message in (
        (["--rewards_from", str(tmp_path), "--retrain"], "no rewards/ folder"),
        (["--reward_key", "abc", "--retrain"], "--reward_key needs --rewards_from"),
    ):
        with pytest.raises(SystemExit):
            cli.parse_args(argv + out)
        assert message in capsys.readouterr().err
    (tmp_path / "rewards").mkdir()
    with pytest.raises(SystemExit):
        cli.parse_args(["--rewards_from", str(tmp_path)] + out)
    assert "add --retrain" in capsys.readouterr().err
    for bad in ("0", "-4"):
        with pytest.raises(SystemExit):
            cli.parse_args(["--steps_per_env", bad] + out)
        assert "--steps_per_env must be a positive number" in capsys.readouterr().err
    assert (
        b.agent_cfg("trirl", steps_per_env=32)["num_steps_per_env"]
        == 32
        == b.ppo_cfg(steps_per_env=32)["num_steps_per_env"]
    )
    assert b.agent_cfg("trirl")["num_steps_per_env"] == b.AGENT["num_steps_per_env"] == b.ppo_cfg()["num_steps_per_env"]
    from trirl_isaac.bench.run import saved_reward

    with pytest.raises(SystemExit, match="no reward file matches hopper__trirl__s3"):
        saved_reward(str(tmp_path), "hopper", "trirl", 3)
    for key in ("aaa", "bbb"):
        (tmp_path / "rewards" / f"hopper__trirl__s3__{key}.pt").write_bytes(key.encode())
    with pytest.raises(SystemExit, match="2 reward files .*--reward_key"):
        saved_reward(str(tmp_path), "hopper", "trirl", 3)
    picked = saved_reward(str(tmp_path), "hopper", "trirl", 3, key="bbb")
    assert picked["path"].endswith("__bbb.pt")
    assert picked["run"] == {"file": "hopper__trirl__s3__bbb.pt", "variant": "reoptimised"}
    # a final reward kept beside one is not a third match of the default, and is the only match of "final"
    (tmp_path / "rewards" / "hopper__trirl__s3__bbb.final.pt").write_bytes(b"final")
    assert saved_reward(str(tmp_path), "hopper", "trirl", 3, key="bbb")["path"] == picked["path"]
    final = saved_reward(str(tmp_path), "hopper", "trirl", 3, variant="final")
    assert final["path"].endswith("__bbb.final.pt") and final["run"]["variant"] == "final"
    with pytest.raises(SystemExit, match="no reward file matches hopper__trirl__s3__aaa.final.pt"):
        saved_reward(str(tmp_path), "hopper", "trirl", 3, key="aaa", variant="final")
    with pytest.raises(SystemExit):
        cli.parse_args(["--reward_variant", "final", "--retrain"] + out)
    assert "--reward_variant needs --rewards_from" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ end to end
def test_benchmark_quick_runs_end_to_end(tmp_path) -> None:
    out = tmp_path / "bench"
    cmd = [
        sys.executable,
        os.path.join(ROOT, "scripts", "benchmark.py"),
        "--quick",
        "--retrain",
        "--transfer",
        "--control",
        "--heatmaps",
        "--speed",
        "--seeds",
        "0",
        "1",
        "--out",
        str(out),
    ]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # every phase shows a progress bar over its env steps, ending with the latest normalised return
    for phase in ("pointmaze trirl s0 train", "pointmaze trirl s0 retrain", "pointmaze_flipped trirl s0 transfer"):
        assert phase in proc.stderr and "normalised=" in proc.stderr, proc.stderr[-1500:]
    table = (out / "results.md").read_text()
    assert "| pointmaze |" in table and "| pointmaze_flipped |" in table and "**IQM**" in table
    blob = json.loads((out / "results.json").read_text())
    assert {"train", "retrain", "transfer"} <= set(blob["summary"])
    assert set(blob["summary"]["train"]["iqm"]) == {"trirl", "gail", "airl", "amp"}
    assert len(blob["runs"]) == 10
    assert blob["args"]["out"] == out.name  # no path of the machine: the folder outside the repository, by name
    control = [r for r in blob["runs"] if r["algo"] == "ppo_true"]
    assert len(control) == 2 and all({"retrain", "transfer:pointmaze_flipped"} <= set(r) for r in control)
    assert "train" not in control[0] and "| pointmaze |" in table and "ppo_true" in table
    assert len(list((out / "runs").glob("pointmaze__trirl__s0__*.json"))) == 1
    saved = sorted(p.name for p in (out / "rewards").glob("pointmaze__trirl__s0__*.pt"))  # averaged, and final
    assert len(saved) == 2 and saved[0] == saved[1][: -len(".pt")] + ".final.pt"
    # a rerun of the same command trains nothing: every run is found by its settings and code
    again = subprocess.run([*cmd, "--report_only"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(json.loads((out / "results.json").read_text())["runs"]) == 10
    trirl = [r for r in blob["runs"] if r["algo"] == "trirl"][0]
    assert {"eta", "eps_tr", "kl_new_old", "dual_estimate"} <= set(trirl["history"][0])
    assert blob["speed"][0]["ratio_trirl_ppo"] > 0
    for name in ("curves.png", "trirl_pointmaze.png", "speed.json", "pointmaze_rewards.png"):
        assert (out / name).is_file()
    # side-by-side figure of run sets (curves + reward heatmaps); bad or missing sets are named
    from trirl_isaac.bench.compare import main as compare

    figure = tmp_path / "compare.png"
    compare([f"{out}={trirl['key']}=TRIRL quick", "--seeds", "0", "1", "--out", str(figure)])
    assert figure.is_file() and figure.stat().st_size > 10_000
    with pytest.raises(SystemExit, match="FOLDER=KEY=LABEL"):
        compare(["no-separators", "--out", str(figure)])
    with pytest.raises(SystemExit, match="no run file"):
        compare([f"{out}=0000000000=missing", "--out", str(tmp_path / "never.png")])
    assert not (tmp_path / "never.png").exists()

    # re-optimise the saved rewards with an entropy bound (above the initial std's 1.42 nats, so it binds at once)
    out2 = tmp_path / "bench_retrain"
    retrain = [sys.executable, os.path.join(ROOT, "scripts", "benchmark.py"), "--quick", "--retrain", "--seeds", "0",
               "--algos", "trirl", "gail", "--rewards_from", str(out), "--out", str(out2)]  # fmt: skip
    for extra in ([], ["--retrain_ppo", "entropy_floor=2.0"]):
        proc = subprocess.run([*retrain, *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
    redone = [json.loads(p.read_text()) for p in sorted((out2 / "runs").glob("pointmaze__*__s0__re-*.json"))]
    assert len(redone) == 4 and not list((out2 / "rewards").iterdir())  # nothing trained, nothing saved
    by_algo = {a: [r for r in redone if r["algo"] == a] for a in ("trirl", "gail")}
    for algo, pair in by_algo.items():
        plain, floored = sorted(pair, key=lambda r: "retrain_ppo" in r["budget"])
        assert "train" not in plain and plain["source_run"]["key"] in plain["reward_file"]
        assert plain["retrain"]["policy_entropy_per_dim"] < 2.0 <= floored["retrain"]["policy_entropy_per_dim"] + 1e-6
        # the saved reward re-optimised with the usual settings reproduces the source run's retrain exactly
        source = [r for r in blob["runs"] if r["algo"] == algo and r["seed"] == 0][0]
        assert plain["source_run"]["train"] == source["train"]["normalised"]
        assert plain["retrain"]["return"] == source["retrain"]["return"]
    # TRIRL's run re-optimised its averaged reward and kept its final one beside it: that one re-optimises too
    (final_file,) = (out / "rewards").glob("pointmaze__trirl__s0__*.final.pt")
    trirl_source = [r for r in blob["runs"] if r["algo"] == "trirl" and r["seed"] == 0][0]
    assert trirl_source["final_reward_file"] == final_file.name
    assert "averaged_iterations" not in LearnedReward.load(str(final_file)).metadata
    out5 = tmp_path / "bench_final"
    final = [sys.executable, os.path.join(ROOT, "scripts", "benchmark.py"), "--quick", "--retrain", "--seeds", "0",
             "--algos", "trirl", "--rewards_from", str(out), "--reward_variant", "final",
             "--out", str(out5)]  # fmt: skip
    proc = subprocess.run(final, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"reward {final_file.name}, retrain" in proc.stdout  # the summary line names the reward re-optimised
    (redone_final,) = [json.loads(p.read_text()) for p in (out5 / "runs").glob("pointmaze__trirl__s0__re-*.json")]
    assert redone_final["reward_file"] == final_file.name and redone_final["source_run"]["variant"] == "final"
    averaged_retrain = trirl_source["retrain"]["return"]  # its averaged reward's, reproduced above
    assert redone_final["retrain"]["return"] != averaged_retrain  # another reward
    # a baseline keeps one reward: asking for its final one is the loader's named error
    final[final.index("trirl")] = "gail"
    proc = subprocess.run(final, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and "no reward file matches pointmaze__gail__s0__*.final.pt" in proc.stderr

    # trirl_cfg.average_reward: the same training, and the run's averaged reward is the one saved and re-optimised
    out3 = tmp_path / "bench_average"
    averaged = [sys.executable, os.path.join(ROOT, "scripts", "benchmark.py"), "--quick", "--retrain", "--seeds", "0",
                "--algos", "trirl", "--trirl", "average_reward=true", "--out", str(out3)]  # fmt: skip
    proc = subprocess.run(averaged, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = [json.loads(p.read_text()) for p in (out3 / "runs").glob("pointmaze__trirl__s0__*.json")]
    source = [r for r in blob["runs"] if r["algo"] == "trirl" and r["seed"] == 0][0]
    assert run["reoptimised_reward"] == "average" and run["train"]["return"] == source["train"]["return"]
    (reward_file,) = (out3 / "rewards").glob("pointmaze__trirl__s0__*[0-9a-f].pt")
    assert LearnedReward.load(str(reward_file)).metadata["averaged_iterations"] == run["iterations"]

    # --steps_per_env: shorter rollouts for training, retraining and the control alike, in the run's key
    out4 = tmp_path / "bench_rollout"
    shorter = [sys.executable, os.path.join(ROOT, "scripts", "benchmark.py"), "--quick", "--retrain", "--seeds", "0",
               "--algos", "gail", "ppo_true", "--steps_per_env", "8", "--out", str(out4)]  # fmt: skip
    proc = subprocess.run(shorter, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = {json.loads(p.read_text())["algo"]: json.loads(p.read_text()) for p in (out4 / "runs").glob("*.json")}
    quick = bench_settings.QUICK
    assert runs["gail"]["budget"]["steps_per_env"] == 8 and runs["gail"]["env_steps"] == quick["iterations"] * 4 * 8
    assert runs["gail"]["retrain"]["env_steps"] == runs["ppo_true"]["retrain"]["env_steps"] == quick["iterations"] * 32
    source = [r for r in blob["runs"] if r["algo"] == "gail" and r["seed"] == 0][0]
    # without the option the maze runs at its own rollout (settings.STEPS_PER_ENV), recorded in the key
    spe = bench_settings.STEPS_PER_ENV["pointmaze"]
    assert source["env_steps"] == quick["iterations"] * 4 * spe and source["budget"]["steps_per_env"] == spe


def test_a_task_runs_at_its_own_rollout_unless_told_and_the_usual_one_keeps_old_keys() -> None:
    from trirl_isaac.bench.settings import AGENT, STEPS_PER_ENV, task_steps_per_env

    usual = AGENT["num_steps_per_env"]
    assert task_steps_per_env("pointmaze") == STEPS_PER_ENV["pointmaze"] != usual
    assert task_steps_per_env("halfcheetah") is None  # AGENT's: no field in the key, as before
    assert task_steps_per_env("pointmaze", 64) == 64 and task_steps_per_env("halfcheetah", 64) == 64
    assert task_steps_per_env("pointmaze", usual) is None  # the usual rollout asked for: the old runs' key
    assert task_steps_per_env("pointmaze", usual, quick=True) == usual  # quick runs differ from their own 32


def test_collect_lists_every_run_with_its_settings_and_code(tmp_path) -> None:
    from trirl_isaac.bench import collect

    (tmp_path / "runs").mkdir()
    base = {"task": "pointmaze", "algo": "trirl", "budget": {"steps": 100000, "env": {"absorbing_tail": "bootstrap"}}}
    runs = [
        base | {"seed": 0, "overrides": ["eps=0.1"], "code": {"source_sha1": "aaa"}, "train": {"normalised": 1.0}},
        base | {"seed": 1, "overrides": ["eps=0.1"], "code": {"source_sha1": "aaa"}, "train": {"normalised": 0.5}},
        base | {"seed": 0, "overrides": [], "code": {"source_sha1": "bbb"}, "train": {"normalised": 0.2}},
    ]
    for i, r in enumerate(runs):
        (tmp_path / "runs" / f"r{i}.json").write_text(json.dumps(r))
    text = collect.table(collect.collect(str(tmp_path)))
    assert "| pointmaze | trirl | `eps=0.1 @ 0.1M` | aaa | 0,1 | 0.75 (1.00, 0.50) |" in text
    assert "| pointmaze | trirl | `defaults @ 0.1M` | bbb | 0 | 0.20 |" in text
    history = [{"eps_tr": 1.0 / (j + 1)} for j in range(4)]  # a reward that averages its 4 discriminators
    extra = runs[2] | {"seed": 3, "overrides": ["x=1"], "history": history}
    (tmp_path / "runs" / "r3.json").write_text(json.dumps(extra))
    text = collect.table(collect.collect(str(tmp_path)))
    assert "| pointmaze | trirl | `x=1 @ 0.1M` | bbb | 3 | 0.20 | - | nan | 4; 0.50 |" in text


def test_fold_weights_of_a_constant_and_of_a_harmonic_reward_step() -> None:
    """A constant step e remembers the last ~1 / e discriminators (n_eff = (2 - e) / e); the step 1 / j averages
    all n alike (fictitious play); a bad step is named."""
    from trirl_isaac.bench.memory import average_weights, fold_weights, reward_memory, run_memory

    w, w0 = fold_weights([0.1] * 200)
    assert np.allclose(w, 0.1 * 0.9 ** np.arange(199, -1, -1)) and w0 == pytest.approx(0.9**200)
    assert w.sum() + w0 == pytest.approx(1.0)
    mem = reward_memory([0.1] * 200)
    assert mem["n_eff"] == pytest.approx(19.0, rel=1e-6) and mem["first_half"] < 1e-4
    assert mem["last_tenth"] == pytest.approx(1 - 0.9**20)
    w, w0 = fold_weights([1.0 / (j + 1) for j in range(50)])
    assert np.allclose(w, 1.0 / 50) and w0 == 0.0
    mem = reward_memory([1.0 / (j + 1) for j in range(50)])
    assert mem["n_eff"] == pytest.approx(50.0) and mem["first_half"] == pytest.approx(0.5)
    w, w0 = average_weights([1.0] * 4)  # each r_i is D_i alone: their mean weighs every D_i 1/4
    assert np.allclose(w, 0.25) and w0 == 0.0
    w, w0 = average_weights([0.5, 0.5])  # (r_1 + r_2) / 2 = ((r0 + D1) / 2 + (r0 + D1) / 4 + D2 / 2) / 2
    assert np.allclose(w, [0.375, 0.25]) and w0 == pytest.approx(0.375)
    averaged = {"algo": "trirl", "reoptimised_reward": "average", "history": [{"eps_tr": 1.0}] * 4}
    assert run_memory(averaged)["n_eff"] == pytest.approx(4.0)
    run = {"algo": "trirl", "history": [{"eps_tr": 0.5}, {"eps_tr": 0.5}]}
    assert run_memory(run)["initial"] == pytest.approx(0.25)
    assert run_memory(run | {"algo": "gail"}) is None and run_memory({"algo": "trirl"}) is None
    for bad in ([0.1, 1.5], [float("nan")], [[0.1]]):
        with pytest.raises(ValueError, match="eps_tr"):
            fold_weights(bad)


def test_memory_cli_draws_the_weights_and_names_bad_input(tmp_path, capsys) -> None:
    from trirl_isaac.bench import memory

    run = tmp_path / "run.json"
    run.write_text(json.dumps({"algo": "trirl", "history": [{"eps_tr": 1.0 / (j + 1)} for j in range(8)]}))
    out = tmp_path / "memory.png"
    memory.main([f"uniform={run}", "--out", str(out)])
    assert out.stat().st_size > 1000 and "uniform: n_eff 8" in capsys.readouterr().out
    before = out.read_bytes()
    with pytest.raises(SystemExit, match="exists"):
        memory.main([f"uniform={run}", "--out", str(out)])
    assert out.read_bytes() == before  # nothing already saved is lost
    gail = tmp_path / "gail.json"
    gail.write_text(json.dumps({"algo": "gail", "history": [{"disc_loss": 0.5}]}))
    with pytest.raises(SystemExit, match="not a TRIRL run"):
        memory.main([f"g={gail}"])
    with pytest.raises(SystemExit, match="no run file"):
        memory.main([f"x={tmp_path / 'missing.json'}"])
    with pytest.raises(SystemExit, match="runs: expected LABEL=FILE"):
        memory.main([str(run)])


def test_final_table_picks_one_setting_per_row_and_checks_targets(tmp_path) -> None:
    from trirl_isaac.bench import table

    (tmp_path / "runs").mkdir()

    def run(task, algo, seed, overrides=(), code="aaa", steps=100000, **phases):
        r = {"task": task, "algo": algo, "seed": seed, "overrides": list(overrides), "code": {"source_sha1": code},
             "budget": {"steps": steps, "env": {"absorbing_tail": "bootstrap"}}}  # fmt: skip
        return r | {k.replace("__", ":"): {"normalised": v, "curve": [[1, v, 0], [2, v, 0]]} for k, v in phases.items()}

    runs = []
    for s in range(5):
        runs.append(run("pointmaze", "trirl", s, train=1.1, retrain=0.5 + 0.1 * s, transfer__pointmaze_flipped=0.2))
        runs.append(run("pointmaze", "trirl", s, ["eps=0.1"], train=0.0, retrain=0.0))  # another setting
        runs.append(run("pointmaze", "trirl", s, code="bbb", train=9.0, retrain=9.0))  # another code version
        runs.append(run("pointmaze", "gail", s, ["eps=0.1"], train=1.0, retrain=0.1, transfer__pointmaze_flipped=0.0))
    runs.append(run("pointmaze", "trirl", 0, steps=300000, train=5.0, retrain=5.0))  # another budget
    for i, r in enumerate(runs):
        (tmp_path / "runs" / f"r{i:02d}.json").write_text(json.dumps(r))
    out = tmp_path / "final.md"
    argv = [str(tmp_path), "--code", "aaa", "--steps", "pointmaze=100000", "--steps_per_env", "128",
            "--row", "TRIRL", "trirl", "--row", "GAIL", "gail", "eps=0.1", "--out", str(out)]  # fmt: skip
    table.main([*argv, "--plot", str(tmp_path / "final.png")])
    text = out.read_text()
    assert (tmp_path / "final.png").read_bytes()[:4] == b"\x89PNG"
    # TRIRL's row holds only its own five runs: retrain 0.5..0.9, mean 0.70, IQM of the middle three 0.70
    assert "| TRIRL | 1.10 [1.10, 1.10] | **1.10** [1.10, 1.10] |" in text
    assert "| TRIRL | 0.70 [0.50, 0.90] | **0.70**" in text
    # GAIL reads no TRIRL setting, so its eps=0.1 runs are its default runs
    assert "| GAIL | 0.10 [0.10, 0.10] | **0.10** [0.10, 0.10] |" in text
    missed = "retrain pointmaze (0.70 vs 0.98), transfer pointmaze_flipped (0.20 vs 0.96)"
    assert f"| TRIRL | train pointmaze | {missed} |" in text
    # pooled reuse: IQM of {0.5..0.9, 0.2 x 5} = 0.40 against GAIL's {0.1 x 5, 0.0 x 5} = 0.05
    assert "| TRIRL | 1.10 (1.10 vs GAIL 1.00) | 8.00 (0.40 vs GAIL 0.05) |" in text
    ns = table.argparse.Namespace(
        folders=[str(tmp_path)],
        code=["aaa"],
        steps={"pointmaze": 100000},
        seeds=[0, 1, 2, 3, 4],
        absorbing_tail="bootstrap",
    )
    _, data = table.build([("GAIL", "gail", [])], table.collect(str(tmp_path)), ns)
    assert data["rows"]["GAIL"]["scores"]["retrain"]["pointmaze"] == [0.1] * 5
    assert data["rows"]["GAIL"]["curves"]["transfer:pointmaze_flipped"] == [[[1, 0.0], [2, 0.0]]] * 5
    # two runs of one seed under one setting, a row without runs, a malformed budget: named errors
    (tmp_path / "runs" / "zz.json").write_text(json.dumps(run("pointmaze", "trirl", 3, train=0.0)))
    with pytest.raises(SystemExit, match="seed 3: two runs match"):
        table.main(argv)
    with pytest.raises(SystemExit, match="row 'AMP'.*no run"):
        table.main([*argv[:7], "--row", "AMP", "amp"])
    # without --steps_per_env a task's own rollout (settings.STEPS_PER_ENV: the maze's 32) is asked for: none here
    with pytest.raises(SystemExit, match="row 'TRIRL'.*no run"):
        table.main([a for i, a in enumerate(argv) if i not in (5, 6)])
    with pytest.raises(SystemExit, match="TASK=STEPS"):
        table.main([str(tmp_path), "--code", "aaa", "--steps", "pointmaze", "--row", "X", "trirl"])


def test_final_table_chooses_each_runs_reward_by_its_final_discriminator_accuracy(tmp_path) -> None:
    from trirl_isaac.bench import table

    (tmp_path / "runs").mkdir()

    def run(seed, overrides, acc, retrain, train=1.0):  # 20 iterations; the last tenth (2) sets the accuracy
        history = [{"disc_accuracy": 0.99} for _ in range(18)] + [{"disc_accuracy": acc}] * 2
        return {"task": "pointmaze", "algo": "trirl", "seed": seed, "overrides": overrides, "history": history,
                "code": {"source_sha1": "aaa"}, "budget": {"steps": 1000, "env": {}},
                "train": {"normalised": train, "curve": [[1, train]]},
                "retrain": {"normalised": retrain, "curve": [[1, retrain]]}}  # fmt: skip

    final = ["average_reward=false"]
    runs = [run(0, [], 0.80, 1.0), run(0, final, 0.80, 0.0), run(1, [], 0.95, 0.1), run(1, final, 0.95, 0.7)]
    runs.append(run(2, [], 0.70, 0.9))  # seed 2 has only its averaged-reward run: the one the rule picks
    runs.append(run(3, [], 0.95, 0.9))  # seed 3 has only its averaged-reward run, but the rule picks the final one
    for i, r in enumerate(runs):
        (tmp_path / "runs" / f"r{i}.json").write_text(json.dumps(r))
    out = tmp_path / "final.md"
    argv = [str(tmp_path), "--code", "aaa", "--steps", "pointmaze=1000", "--steps_per_env", "128",
            "--row", "avg", "trirl", "--by_accuracy", "rule", "0.9", "--out", str(out)]  # fmt: skip
    table.main(argv)
    text = out.read_text()
    # seeds 0 and 2 (accuracy 0.80, 0.70) re-optimise their averaged reward (1.0, 0.9), seed 1 (0.95) its final (0.7)
    assert "| rule | 0.87 [0.49, 1.25] (n=3) |" in text
    assert "pointmaze 0: averaged (0.800), 1: final (0.950), 2: averaged (0.700), 3: final (0.950; no such" in text
    assert "| avg | 0.72 [0.06, 1.39] (n=4) |" in text  # the averaged rewards of seeds 0-3: 1.0, 0.1, 0.9, 0.9
    for bad in ("high", "1.5", "0"):  # a threshold that is no accuracy: a named error before any work
        with pytest.raises(SystemExit, match="THRESHOLD must be an accuracy"):
            table.main([*argv[:10], "--by_accuracy", "rule", bad, *argv[13:]])
    with pytest.raises(SystemExit, match="expected LABEL THRESHOLD"):
        table.main([*argv[:10], "--by_accuracy", "rule", *argv[13:]])
    # a rule per setting: runs of another setting (softplus) are chosen among themselves, beside the default's rule
    soft = ["d_transform=softplus"]
    extra = [run(0, soft, 0.95, 0.3), run(0, [*soft, *final], 0.95, 0.4), run(1, soft, 0.85, 0.5)]
    extra.append(run(1, [*soft, *final], 0.85, 0.6))
    for i, r in enumerate(extra):
        (tmp_path / "runs" / f"s{i}.json").write_text(json.dumps(r))
    table.main([*argv[:13], "--by_accuracy", "soft rule", "0.9", *soft, *argv[13:]])
    text = out.read_text()
    assert "| rule | 0.87 [0.49, 1.25] (n=3) |" in text  # the default's rule is unchanged by the other setting
    assert "| soft rule | 0.45 [-0.19, 1.09] (n=2) |" in text  # seed 0 final (0.4), seed 1 averaged (0.5)
    assert (
        "Row 'soft rule' (runs with d_transform=softplus): " in text
        and "pointmaze 0: final (0.950), 1: averaged (0.850)" in text
    )
    for i in range(len(extra)):
        (tmp_path / "runs" / f"s{i}.json").unlink()
    (tmp_path / "runs" / "r1.json").write_text(json.dumps(run(0, final, 0.80, 0.0, train=0.5)))
    with pytest.raises(SystemExit, match="seed 0: .* are not the same training"):
        table.main(argv)
    for name in ("r0", "r1", "r2", "r3", "r4"):  # left: seed 3's averaged run, which the rule does not pick
        (tmp_path / "runs" / f"{name}.json").unlink()
    with pytest.raises(SystemExit, match="no run of the reward the rule chooses"):
        table.main(argv)


def test_final_table_takes_a_reoptimised_final_reward_as_the_final_reward_run_of_its_training(tmp_path) -> None:
    """benchmark.py --rewards_from DIR --reward_variant final re-optimises the final reward a TRIRL run kept beside its
    averaged one: the table reads that as the average_reward=false run of the same training (its history, so the
    rule can pick it), and names a re-optimisation whose source run is in no folder."""
    from trirl_isaac.bench import table

    src, re = tmp_path / "src", tmp_path / "re"
    for folder in (src, re):
        (folder / "runs").mkdir(parents=True)

    def run(seed, acc, retrain):
        history = [{"disc_accuracy": acc}] * 10
        return {"task": "pointmaze", "algo": "trirl", "seed": seed, "overrides": [], "history": history,
                "key": f"k{seed}", "code": {"source_sha1": "aaa"}, "budget": {"steps": 1000, "env": {}},
                "reoptimised_reward": "average", "train": {"normalised": 1.0, "curve": [[1, 1.0]]},
                "retrain": {"normalised": retrain, "curve": [[1, retrain]]}}  # fmt: skip

    def redo(seed, retrain, key=None):
        return {"task": "pointmaze", "algo": "trirl", "seed": seed, "code": {"source_sha1": "bbb"},
                "budget": {"env": {}, "reward_sha1": "x"}, "reward_file": f"pointmaze__trirl__s{seed}.final.pt",
                "source_run": {"file": f"pointmaze__trirl__s{seed}__k{seed}.final.pt", "variant": "final",
                               "key": key or f"k{seed}", "train": 1.0},
                "retrain": {"normalised": retrain, "curve": [[1, retrain]]}}  # fmt: skip

    for seed, acc in ((0, 0.95), (1, 0.80)):  # the rule picks the final reward for seed 0, the averaged for seed 1
        (src / "runs" / f"t{seed}.json").write_text(json.dumps(run(seed, acc, 0.2 + seed)))
        (re / "runs" / f"r{seed}.json").write_text(json.dumps(redo(seed, 0.6 + seed)))
    (re / "runs" / "plain.json").write_text(json.dumps({**redo(1, 9.0), "source_run": {"key": "k1"}}))  # averaged
    out = tmp_path / "final.md"
    argv = [str(src), str(re), "--code", "aaa", "--steps", "pointmaze=1000", "--steps_per_env", "128",
            "--row", "avg", "trirl", "--row", "fin", "trirl", "average_reward=false",
            "--by_accuracy", "rule", "0.9", "--out", str(out)]  # fmt: skip
    table.main(argv)
    text = out.read_text()
    assert "| avg | 0.70 [-5.65, 7.05] (n=2) |" in text  # the source runs' own retrains: 0.2, 1.2
    assert "| fin | 1.10 [-5.25, 7.45] (n=2) |" in text  # the re-optimised final rewards: 0.6, 1.6
    assert "| rule | 0.90 [-2.91, 4.71] (n=2) |" in text  # seed 0 final (0.6), seed 1 averaged (1.2)
    assert "pointmaze 0: final (0.950), 1: averaged (0.800)" in text
    (re / "runs" / "orphan.json").write_text(json.dumps(redo(2, 0.5)))
    with pytest.raises(SystemExit, match="re-optimises the final reward of run k2 .* in none of the folders"):
        table.main(argv)


def test_final_table_names_a_missing_target_as_such(tmp_path) -> None:
    """A task the paper sets no target for (Walker2d, a held-out task here) shows '-' in the target row, not nan."""
    from trirl_isaac.bench import table

    (tmp_path / "runs").mkdir()
    run = {"task": "walker2d", "algo": "gail", "seed": 0, "overrides": [], "code": {"source_sha1": "aaa"},
           "budget": {"steps": 1000, "env": {"absorbing_tail": "closed_form"}},
           "train": {"normalised": 0.9, "curve": [[1, 0.9, 0]]}}  # fmt: skip
    (tmp_path / "runs" / "w.json").write_text(json.dumps(run))
    out = tmp_path / "final.md"
    table.main([str(tmp_path), "--code", "aaa", "--steps", "walker2d=1000", "--row", "GAIL", "gail", "--out", str(out)])
    text = out.read_text()
    assert "| paper target | - | |" in text and "nan" not in text


def test_final_table_pools_folders_and_code_versions_and_checks_the_tail_only_where_it_acts(tmp_path) -> None:
    from trirl_isaac.bench import table

    def run(task, algo, seed, code, tail, train):
        return {"task": task, "algo": algo, "seed": seed, "overrides": [], "code": {"source_sha1": code},
                "budget": {"steps": 1000, "env": {"absorbing_tail": tail}},
                "train": {"normalised": train, "curve": [[1, train, 0]]}}  # fmt: skip

    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        (folder / "runs").mkdir(parents=True)
    for s in range(5):  # HalfCheetah never terminates: its bootstrap-tail runs of an older code count
        (old / "runs" / f"hc{s}.json").write_text(json.dumps(run("halfcheetah", "gail", s, "aaa", "bootstrap", 0.5)))
        (old / "runs" / f"hop{s}.json").write_text(json.dumps(run("hopper", "gail", s, "aaa", "bootstrap", 9.0)))
        (new / "runs" / f"hop{s}.json").write_text(json.dumps(run("hopper", "gail", s, "bbb", "closed_form", 1.0)))
    out = tmp_path / "final.md"
    argv = [str(old), str(new), "--steps", "halfcheetah=1000", "hopper=1000", "--absorbing_tail", "closed_form",
            "--row", "GAIL", "gail", "--out", str(out)]  # fmt: skip
    table.main([*argv, "--code", "aaa", "bbb"])
    text = out.read_text()
    # Hopper terminates: only the closed-form runs; HalfCheetah: the older code's runs of either tail
    assert "| GAIL | 0.50 [0.50, 0.50] | 1.00 [1.00, 1.00] |" in text
    assert "code aaa / bbb" in text
    table.main([*argv, "--code", "bbb"])  # one code: HalfCheetah has no run of it, so no column
    assert "| method | hopper | IQM |" in out.read_text() and "halfcheetah 1,000" in out.read_text()
    # the same seed in two pooled folders under one setting: a named error that names both files
    (new / "runs" / "hc0.json").write_text(json.dumps(run("halfcheetah", "gail", 0, "bbb", "closed_form", 0.7)))
    with pytest.raises(SystemExit, match=r"seed 0: two runs match .*old/runs/hc0.json.*new/runs/hc0.json"):
        table.main([*argv, "--code", "aaa", "bbb"])
    with pytest.raises(SystemExit, match="no runs/ folder"):
        table.main([str(tmp_path / "missing"), *argv[2:], "--code", "aaa"])
    # TASK=HASH: a code version for one task only (the newer HalfCheetah run of seed 0 is then not picked)
    table.main([*argv, "--code", "halfcheetah=aaa", "hopper=bbb"])
    assert "| GAIL | 0.50 [0.50, 0.50] | 1.00 [1.00, 1.00] |" in out.read_text()
    table.main([*argv, "--code", "halfcheetah=bbb", "bbb"])
    assert "| GAIL | 0.70 (n=1) | 1.00 [1.00, 1.00] |" in out.read_text()
    with pytest.raises(SystemExit, match="not a task of --steps"):
        table.main([*argv, "--code", "ant=aaa"])
    # TASK:ALGO=HASH: that task's method on these hashes only (a rerun on newer code replaces the older runs)
    (new / "runs" / "hc1.json").write_text(json.dumps(run("halfcheetah", "gail", 1, "bbb", "closed_form", 0.9)))
    table.main([*argv, "--code", "aaa", "bbb", "halfcheetah:gail=bbb"])  # without it: two runs of seeds 0, 1
    assert "| GAIL | 0.80 [-0.47, 2.07] (n=2) | 1.00 [1.00, 1.00] |" in out.read_text()
    for bad, match in (("hopper:airl=aaa", "'airl' is the method of no row"), ("ant:gail=aaa", "not a task")):
        with pytest.raises(SystemExit, match=match):
            table.main([*argv, "--code", "aaa", bad])
    (new / "runs" / "hc1.json").unlink()
    # --steps_per_env per task: Hopper's runs at 32 steps per env, HalfCheetah's unset
    for s in range(5):
        r = run("hopper", "gail", s, "bbb", "closed_form", 2.0)
        r["budget"]["steps_per_env"] = 32
        (new / "runs" / f"hop_spe{s}.json").write_text(json.dumps(r))
    table.main([*argv, "--code", "halfcheetah=aaa", "hopper=bbb", "--steps_per_env", "hopper=32"])
    text = out.read_text()
    assert "| GAIL | 0.50 [0.50, 0.50] | 2.00 [2.00, 2.00] |" in text and "rollout steps per env hopper 32" in text
    table.main([*argv, "--code", "halfcheetah=aaa", "hopper=bbb", "--steps_per_env", "32"])  # every task: no HC run
    assert "| method | hopper | IQM |" in out.read_text()
    for bad, match in (("ant=32", "not a task of --steps"), ("hopper=x", "expected N or TASK=N"), ("0", "positive")):
        with pytest.raises(SystemExit, match=match):
            table.main([*argv, "--code", "aaa", "bbb", "--steps_per_env", bad])


def test_final_table_matches_runs_by_the_settings_they_read(tmp_path) -> None:
    """A row is today's settings plus its overrides: a run whose recorded trirl_cfg spells a default out, or lacks a
    setting added since, belongs to the default row; another value, or a non-default retraining, does not."""
    from trirl_isaac.bench import table
    from trirl_isaac.bench.settings import TRIRL, with_overrides

    (tmp_path / "runs").mkdir()

    def write(name, algo, seed, cfg, train, overrides=(), **budget):
        r = {"task": "pointmaze", "algo": algo, "seed": seed, "overrides": list(overrides),
             "code": {"source_sha1": "a"}, "budget": {"steps": 1000, "env": {"absorbing_tail": "bootstrap"}, **budget,
                        "agent": {"algorithm": {"trirl_cfg": cfg}}},
             "train": {"normalised": train, "curve": [[1, train, 0]]}}  # fmt: skip
        (tmp_path / "runs" / f"{name}.json").write_text(json.dumps(r))

    for s in range(3):
        write(f"spelled{s}", "trirl", s, with_overrides([f"chain_length={TRIRL['chain_length']}"]), 1.0,
              overrides=[f"chain_length={TRIRL['chain_length']}"])  # fmt: skip
        write(f"k0_{s}", "trirl", s, with_overrides(["chain_length=0"]), 5.0, overrides=["chain_length=0"])
        write(f"gail{s}", "gail", s, with_overrides(["chain_length=0"]), 0.5)  # GAIL never reads chain_length
        write(f"gail_ent{s}", "gail", s, TRIRL, 9.0, retrain_ppo={"entropy_floor": -1.0})
    out = tmp_path / "t.md"
    argv = [str(tmp_path), "--code", "a", "--steps", "pointmaze=1000", "--steps_per_env", "128", "--out", str(out)]
    table.main([*argv, "--row", "TRIRL", "trirl", "--row", "K0", "trirl", "chain_length=0", "--row", "GAIL", "gail"])
    text = out.read_text()
    assert "| TRIRL | 1.00 [1.00, 1.00] (n=3) |" in text and "| K0 | 5.00 [5.00, 5.00] (n=3) |" in text
    assert "| GAIL | 0.50 [0.50, 0.50] (n=3) |" in text  # the retrain_ppo runs are not the usual retraining
    # the files lack eps_halving (the benchmark's dict leaves it at TrirlCfg's default): absent is that default,
    # not a wildcard, so a row that sets it has no run
    assert "eps_halving" not in TRIRL
    with pytest.raises(SystemExit, match="row 'H'.*no run"):
        table.main([*argv, "--row", "H", "trirl", "eps_halving=10"])
