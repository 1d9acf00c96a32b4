"""TRIRL on rsl_rl: config validation, (s, s') pairing, relabelling, reward correction, logging, exact resume."""

import copy
import glob
import math
import os

import pytest
import torch
from rsl_rl.algorithms import PPO

from trirl_isaac.algo.config import ConfigError, TrirlCfg
from trirl_isaac.algo.expert import ExpertBuffer
from trirl_isaac.algo.reward import LearnedReward, transform, with_absorbing_tail
from trirl_isaac.algo.runner import TrirlRunner
from trirl_isaac.algo.trust_region import gaussian_entropy
from trirl_isaac.envs.point_mass import PointMassCfg, PointMassEnv
from trirl_isaac.envs.train_point_mass import POINT_MASS_AGENT, make_agent_cfg

SMALL = {
    "chain_length": 3,
    "discriminator": {"hidden_dims": [16], "num_epochs": 2, "num_mini_batches": 2},
    "approximator": {"enabled": True, "hidden_dims": [16], "num_steps": 5, "batch_size": 64, "evict_chunk": 1},
}


def _runner(
    num_envs=8, steps=10, episode=6, log_dir=None, seed=0, expert_dim=None, torch_seed=None, **trirl
) -> TrirlRunner:
    torch.manual_seed(seed if torch_seed is None else torch_seed)
    cfg = make_agent_cfg(**{**SMALL, **trirl})
    cfg["num_steps_per_env"] = steps
    cfg["algorithm"]["num_learning_epochs"] = 2
    cfg["algorithm"]["num_mini_batches"] = 2
    env = PointMassEnv(num_envs, PointMassCfg(max_episode_length=episode), seed=seed)
    env.build_expert_sampler(20)
    if expert_dim is not None:  # stands in for a task whose expert features have another size
        env.expert_sampler = ExpertBuffer(torch.randn(50, expert_dim))
    return TrirlRunner(env, cfg, log_dir=log_dir, device="cpu")


def _rollout(runner: TrirlRunner) -> list:
    """One rollout exactly as OnPolicyRunner.learn does it; returns the per-step (obs, dones, extras)."""
    obs = runner.env.get_observations()
    seen = []
    with torch.inference_mode():
        for _ in range(runner.cfg["num_steps_per_env"]):
            actions = runner.alg.act(obs)
            obs, rewards, dones, extras = runner.env.step(actions)
            runner.alg.process_env_step(obs, rewards, dones, extras)
            seen.append((obs.clone(), dones.clone(), {k: v for k, v in extras.items()}))
        runner.alg.compute_returns(obs)
    return seen


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"eps": 0.0}, "eps must lie in"),
        ({"eps": 1.5}, "eps must lie in"),
        ({"beta": 0.0}, "beta must be > 0"),
        ({"beta": -1.0}, "beta must be > 0"),
        ({"chain_length": -1}, "chain_length"),
        ({"chain_length": 0, "approximator": {"enabled": False}}, "enable approximator"),
        ({"approximator": {"reservoir_size": -5}}, "reservoir_size"),
        ({"approximator": {"reservoir_size": 2.5}}, "reservoir_size"),
        ({"approximator": {"absorbing_share": 1.0}}, "absorbing_share must lie in"),
        ({"approximator": {"absorbing_share": -0.1}}, "absorbing_share must lie in"),
        ({"approximator": {"absorbing_share": True}}, "absorbing_share must lie in"),
        ({"approximator": {"perturbed_share": 1.0}}, "perturbed_share must lie in"),
        ({"approximator": {"perturbed_share": -0.1}}, "perturbed_share must be a number >= 0"),
        ({"approximator": {"perturbed_share": "half"}}, "perturbed_share must be a number >= 0"),
        ({"approximator": {"perturb_std": float("nan")}}, "perturb_std must be a number >= 0"),
        ({"approximator": {"perturbed_share": 0.5, "absorbing_share": 0.5}}, "own rows need a share"),
        ({"method": "bc"}, "method must be one of"),
        ({"policy_update": "trpo"}, "policy_update must be one of"),
        ({"epsilon": 0.1}, "unknown key"),
        ({"discriminator": {"learning_rate": -1.0}}, "discriminator.learning_rate"),
        ({"trust_region": {"mean_bound": 0.0}}, "trust_region.mean_bound"),
        ({"chain_length": 5, "approximator": {"evict_chunk": 6}}, "evict_chunk"),
        ({"center_reward": "yes"}, "center_reward must be true or false"),
        ({"absorbing_floor": 1}, "absorbing_floor must be true or false"),
        ({"absorbing_worst": "yes"}, "absorbing_worst must be true or false"),
        ({"d_transform": "exp"}, "d_transform must be one of"),
        ({"trust_region": {"entropy_floor": "high"}}, "trust_region.entropy_floor must be a finite number"),
        ({"trust_region": {"entropy_floor": float("nan")}}, "trust_region.entropy_floor must be a finite number"),
        (
            {"trust_region": {"entropy_floor_start": 1.0}},
            "entropy_floor_start needs trirl_cfg.trust_region.entropy_floor",
        ),
        ({"trust_region": {"entropy_floor": 1.0, "entropy_floor_start": 0.5}}, "must be >= entropy_floor"),
        ({"trust_region": {"entropy_floor": 1.0, "entropy_floor_iterations": 0}}, "entropy_floor_iterations"),
        ({"method": "gail", "d_transform": "softplus"}, "d_transform='softplus' applies to method 'trirl'"),
        ({"max_ent": "yes"}, "max_ent must be true or false"),
        ({"eps_halving": 0}, "eps_halving must be a number of iterations > 0"),
        ({"method": "gail", "average_reward": True}, "average_reward needs method 'trirl'"),
        ({"average_reward": True, "approximator": {"enabled": False}}, "average_reward needs method 'trirl'"),
        ({"average_reward": "yes"}, "average_reward must be true or false"),
        ({"average_power": 1.0}, "average_power weighs the averaged reward: it needs average_reward=true"),
        ({"average_reward": True, "average_power": -1.0}, "average_power must be a number >= 0"),
        ({"average_reward": True, "average_power": float("nan")}, "average_power must be a number >= 0"),
        ({"average_reward": True, "average_power": "late"}, "average_power must be a number >= 0"),
        ({"eps_halving": "soon"}, "eps_halving must be a number of iterations > 0"),
        ({"eps_halving": float("inf")}, "eps_halving must be a number of iterations > 0"),
        ({"method": "amp", "max_ent": True}, "max_ent applies to method 'trirl'"),
        ({"policy_restart_every": -1}, "policy_restart_every must be an integer >= 0"),
        ({"policy_restart_every": 2.5}, "policy_restart_every must be an integer >= 0"),
        ({"policy_restart_every": 10, "policy_restart_last": -1}, "policy_restart_last must be an integer >= 0"),
        ({"policy_restart_last": 5}, "policy_restart_last limits policy_restart_every, which is 0"),
    ],
)
def test_bad_config_values_are_named(override, message) -> None:
    with pytest.raises(ConfigError, match=message):
        TrirlCfg.from_dict(override)


@pytest.mark.parametrize("method", ["trirl", "gail"])
def test_ppo_policy_update_is_rsl_rl_ppo_step_bit_for_bit(method) -> None:
    runner = _runner(method=method, policy_update="ppo")
    alg = runner.alg
    _rollout(runner)
    reference = copy.deepcopy(alg)
    rng = torch.get_rng_state()
    losses = alg.update()
    torch.set_rng_state(rng)
    expected = PPO.update(reference)
    for ours, theirs in ((alg.actor, reference.actor), (alg.critic, reference.critic)):
        for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
            assert torch.equal(a, b), name
    assert {k: losses[k] for k in expected} == expected
    assert losses["trust_region"] == alg.stats["kl_new_old"] > 0.0  # the step's KL is still measured
    assert alg.stats["eta"] == 0.0 and len(alg.reward.chain) == 1


@pytest.mark.parametrize("policy_update", ["trpl", "ppo"])
def test_max_ent_optimises_at_the_theory_temperature(policy_update, tmp_path) -> None:
    """max_ent: the policy's entropy bonus is 1/beta (policy units), the reward records that temperature, and the
    bonus acts: the std grows where the same run without it does not."""

    def trained(max_ent: bool, entropy_coef: float = 0.0):
        torch.manual_seed(0)
        cfg = make_agent_cfg(**{**SMALL, "policy_update": policy_update, "max_ent": max_ent, "beta": 0.05})
        cfg["num_steps_per_env"] = 10
        cfg["algorithm"].update(
            num_learning_epochs=2, num_mini_batches=2, entropy_coef=entropy_coef, learning_rate=0.02
        )
        cfg["algorithm"]["trirl_cfg"]["trust_region"] = {"mean_bound": 0.05, "cov_bound": 0.5}
        env = PointMassEnv(8, PointMassCfg(max_episode_length=6), seed=0)
        env.build_expert_sampler(20)
        runner = TrirlRunner(env, cfg, log_dir=None, device="cpu")
        for _ in range(3):
            _rollout(runner)
            runner.alg.update()
        return runner

    plain, hot = trained(False), trained(True)
    assert plain.alg.entropy_coef == 0.0 and hot.alg.entropy_coef == pytest.approx(20.0)
    assert "temperature" not in plain.alg.reward.metadata
    hot.alg.reward.save(str(tmp_path / "r.pt"))
    frozen = LearnedReward.load(str(tmp_path / "r.pt"))
    assert frozen.temperature == pytest.approx(20.0) and plain.alg.reward.temperature is None
    ppo = {"entropy_coef": 0.01, "gamma": 0.99}
    assert frozen.retrain_algorithm_cfg(ppo) == {"entropy_coef": pytest.approx(20.0), "gamma": 0.99}  # max-ent retrain
    assert plain.alg.reward.retrain_algorithm_cfg(ppo) == ppo and ppo["entropy_coef"] == 0.01
    std = {name: r.alg.actor.distribution.log_std_param.detach().exp() for name, r in (("plain", plain), ("hot", hot))}
    init = torch.tensor(POINT_MASS_AGENT["actor"]["distribution_cfg"]["init_std"])
    assert (std["hot"] > 1.2 * init).all() and (std["hot"] > std["plain"]).all(), std  # every Adam step raises it
    with pytest.raises(ConfigError, match="entropy_coef .* must then be 0"):
        trained(True, entropy_coef=0.01)


@pytest.mark.parametrize("policy_update", ["trpl", "ppo"])
def test_entropy_floor_keeps_the_policy_exploring_and_follows_its_schedule(policy_update) -> None:
    def std_after(**trust_region):
        runner = _runner(policy_update=policy_update, trust_region={"cov_bound": 0.5, **trust_region})
        dist = runner.alg.actor.distribution
        dist.log_std_param.data.fill_(math.log(0.05))  # entropy far below the floor
        for _ in range(3):
            _rollout(runner)
            runner.alg.update()
        return dist.log_std_param.detach().exp(), runner.alg

    free, _ = std_after()
    floored, alg = std_after(entropy_floor=1.0)
    assert free.max() < 0.1
    assert 2.0 - 1e-5 <= gaussian_entropy(floored).item() < 2.1  # 2 action dims, on (or just above) the bound
    assert alg.stats["entropy_floor"] == 1.0 and alg.stats["entropy_floor_lift"] >= 0.0
    _, sched = std_after(entropy_floor=0.0, entropy_floor_start=1.0, entropy_floor_iterations=4)
    assert sched.entropy_floor() == pytest.approx(0.25)  # three iterations of four done: 1 - 3/4
    sched.iteration = 10
    assert sched.entropy_floor() == 0.0


def test_expert_feature_size_must_match_environment(tmp_path) -> None:
    path = str(tmp_path / "expert.h5")
    ExpertBuffer(torch.randn(100, 5)).save(path)
    with pytest.raises(ConfigError, match="expert feature size 5 does not match .* input size 8"):
        _runner(expert_data=path)


def test_missing_discriminator_group_is_named() -> None:
    with pytest.raises(ConfigError, match="no observation group 'disc'"):
        _runner(disc_obs_group="disc")


def test_episode_ends_pair_with_the_pre_reset_observation() -> None:
    runner = _runner(num_envs=4, steps=12, episode=5)
    seen = _rollout(runner)
    alg = runner.alg
    n_done = 0
    for t, (obs, dones, extras) in enumerate(seen):
        for e in range(4):
            if dones[e]:
                n_done += 1
                assert torch.equal(alg._next_disc[t, e], extras["final_obs"]["discriminator"][e])
                assert not torch.equal(alg._next_disc[t, e], obs["discriminator"][e])  # not the reset state
            else:
                assert torch.equal(alg._next_disc[t, e], obs["discriminator"][e])
    assert n_done >= 8


def test_done_without_final_obs_is_a_clear_error() -> None:
    runner = _runner(num_envs=2, steps=8, episode=3)
    step = runner.env.step

    def step_without_final_obs(actions):
        obs, rew, dones, extras = step(actions)
        extras.pop("final_obs", None)
        return obs, rew, dones, extras

    runner.env.step = step_without_final_obs
    with pytest.raises(RuntimeError, match="compute_final_obs"):
        _rollout(runner)


@pytest.mark.parametrize("d_transform", ["logit", "softplus"])
def test_relabelling_uses_the_discriminator_fitted_on_this_rollout(d_transform) -> None:
    runner = _runner(eps=0.4, d_transform=d_transform)
    alg = runner.alg
    _rollout(runner)
    alg.update()  # iteration 0 -> chain holds D_0
    before_fit = {k: v.clone() for k, v in alg.discriminator.state_dict().items()}
    _rollout(runner)  # fits D_1 and relabels
    x = alg.disc_features()
    with torch.no_grad():
        expected = alg.reward.chain(x, pending=alg.discriminator, pending_step=0.4)
        relabelled = alg.storage.rewards.squeeze(-1).flatten() - alg._bootstrap.flatten()
        torch.testing.assert_close(relabelled, expected, rtol=1e-5, atol=1e-5)
        f = torch.nn.functional.softplus if d_transform == "softplus" else (lambda d: d)
        by_hand = 0.6 * alg.reward.chain(x) + 0.4 * f(alg.discriminator.eval()(x))
        torch.testing.assert_close(relabelled, by_hand, rtol=1e-5, atol=1e-5)
        stale = alg.discriminator.__class__(**{"input_dim": 8, "hidden_dims": [16], "obs_normalization": True})
        stale.load_state_dict(before_fit)
        wrong = alg.reward.chain(x, pending=stale, pending_step=0.4)
    assert not torch.allclose(relabelled, wrong, atol=1e-4)
    # the environment's own reward never reaches the policy
    assert not torch.allclose(relabelled, alg._env_rewards.flatten())


def test_absorbing_steps_carry_the_closed_form_tail_and_applied_actions_feed_d() -> None:
    runner = _runner(num_envs=4, steps=12, episode=5, disc_input="state_action", expert_dim=6)
    alg, step = runner.alg, runner.env.step

    def step_with_absorbing(actions):
        obs, rew, dones, extras = step(actions)
        extras["absorbing"] = dones.bool() & (torch.arange(4) % 2 == 0)  # envs 0 and 2 end in an absorbing state
        extras["applied_actions"] = actions.clamp(-0.1, 0.1)
        return obs, rew, dones, extras

    runner.env.step = step_with_absorbing
    _rollout(runner)
    x = alg.disc_features()
    with torch.no_grad():
        r_tilde = alg.reward.chain(x, pending=alg.discriminator, pending_step=alg.trirl_cfg.eps).view(12, 4)
    relabelled = alg.storage.rewards.squeeze(-1) - alg._bootstrap
    assert alg._absorbing.sum() >= 2
    tail = torch.where(alg._absorbing, r_tilde / (1.0 - alg.gamma), r_tilde)
    torch.testing.assert_close(relabelled, tail, rtol=1e-5, atol=1e-5)
    assert (alg._bootstrap[alg._absorbing] == 0).all()  # the tail is closed form: nothing is bootstrapped there
    # (s, a) features use the actions the env executed, not the unclipped Gaussian samples
    assert x[:, -alg.storage.actions.shape[-1] :].abs().max() <= 0.1 + 1e-6
    assert alg.storage.actions.abs().max() > 0.1


def _absorbing_rollout(**trirl) -> tuple:
    """A rollout in which envs 0 and 2 end their episodes in an absorbing state; returns (alg, r~ per step)."""
    runner = _runner(num_envs=4, steps=12, episode=5, **trirl)
    alg, step = runner.alg, runner.env.step

    def step_with_absorbing(actions):
        obs, rew, dones, extras = step(actions)
        extras["absorbing"] = dones.bool() & (torch.arange(4) % 2 == 0)
        return obs, rew, dones, extras

    runner.env.step = step_with_absorbing
    _rollout(runner)
    with torch.no_grad():
        x = alg.disc_features()
        r_tilde = alg.reward.chain(x, pending=alg.discriminator, pending_step=alg.trirl_cfg.eps).view(12, 4)
    assert alg._absorbing.sum() >= 2 and (~alg._absorbing).sum() >= 2
    return alg, r_tilde


def test_centred_reward_is_a_constant_shift_of_every_step_and_tail() -> None:
    alg, r_tilde = _absorbing_rollout(center_reward=True)
    relabelled = alg.storage.rewards.squeeze(-1) - alg._bootstrap
    center = r_tilde[~alg._absorbing].mean()
    shifted = r_tilde - center  # every step, the absorbing ones before their tail: c / (1 - gamma) on every return
    expected = torch.where(alg._absorbing, shifted / (1.0 - alg.gamma), shifted)
    torch.testing.assert_close(relabelled, expected, rtol=1e-5, atol=1e-5)
    assert relabelled[~alg._absorbing].mean().abs() < 1e-5 and center.abs() > 1e-4
    assert alg.stats["reward_center"] == pytest.approx(center.item(), abs=1e-6)
    assert alg.reward.metadata["reward_center"] == alg.stats["reward_center"]  # a frozen reward centres alike


def test_absorbing_floor_bounds_the_tail_by_the_worst_lived_step() -> None:
    alg, r_tilde = _absorbing_rollout(absorbing_floor=True)
    relabelled = alg.storage.rewards.squeeze(-1) - alg._bootstrap
    floor = r_tilde[~alg._absorbing].min()
    expected = torch.where(alg._absorbing, torch.maximum(r_tilde, floor) / (1.0 - alg.gamma), r_tilde)
    torch.testing.assert_close(relabelled, expected, rtol=1e-5, atol=1e-5)
    assert (relabelled[alg._absorbing] >= floor / (1.0 - alg.gamma) - 1e-4).all()
    assert alg.reward.metadata["absorbing_floor"] == pytest.approx(floor.item())
    assert alg.stats["absorbing_reward_raw"] == pytest.approx(r_tilde[alg._absorbing].mean().item(), abs=1e-5)
    # where D extrapolates far below every lived step (the expert never falls), the floor binds; off, it does not
    alg._relabelled.copy_(r_tilde)
    alg._relabelled[alg._absorbing] = -100.0
    alg._shape_absorbing_and_center(alg.trirl_cfg)
    assert torch.equal(alg._relabelled[alg._absorbing], torch.full_like(alg._relabelled[alg._absorbing], floor))
    assert torch.equal(alg._relabelled[~alg._absorbing], r_tilde[~alg._absorbing])
    alg.trirl_cfg.absorbing_floor = False
    alg._relabelled[alg._absorbing] = -100.0
    alg._shape_absorbing_and_center(alg.trirl_cfg)
    assert (alg._relabelled[alg._absorbing] == -100.0).all()


@pytest.mark.parametrize("share", [0.02, 0.0])
def test_every_fit_keeps_the_absorbing_state_after_the_policy_stops_falling(monkeypatch, tmp_path, share) -> None:
    """A retraining PPO prices a fall by the stored reward at the absorbing state for the whole tail; once the
    policy stops falling neither the rollout nor a clip expert holds that state, so each regression (distillation
    and the averaged reward) must carry it, or the networks' value there is extrapolation."""
    approx = {**SMALL["approximator"], "absorbing_share": share}
    runner = _runner(num_envs=4, steps=12, episode=5, average_reward=True, approximator=approx)
    alg, step, falls = runner.alg, runner.env.step, [True]

    def step_with_absorbing(actions):  # envs 0 and 2 fall, but only in the first rollout
        obs, rew, dones, extras = step(actions)
        extras["absorbing"] = dones.bool() & (torch.arange(4) % 2 == 0) & falls[0]
        return obs, rew, dones, extras

    runner.env.step = step_with_absorbing
    assert alg.fit_rows(torch.zeros(5, 8)).shape == (5, 8)  # no absorbing state met yet: the rows as given
    runner.learn(1)
    first = alg._x[alg._absorbing.flatten()]
    assert alg._absorbing.any() and torch.equal(alg._absorbing_row, first[:1])
    assert alg.stats["reward_absorbing"] == pytest.approx(alg.reward.chain(first[:1]).item(), abs=1e-6)
    assert alg.stats["reward_average_absorbing"] == pytest.approx(alg.averaged_reward()(first[:1]).item(), abs=1e-6)
    falls[0] = False
    fitted = []
    for chain in (alg.reward.chain, alg.reward_average.chain):  # the distillations and the average's regressions
        fit = chain._fit_base
        monkeypatch.setattr(chain, "_fit_base", lambda t, data, *a, fit=fit: (fitted.append(data), fit(t, data, *a)))
    runner.learn(4)
    assert not alg._absorbing.any()  # the policy no longer falls ...
    assert len(fitted) >= 5  # 4 averages and at least one distillation (the chain holds 3 snapshots)
    for data in fitted:  # ... yet every regression holds the absorbing row at the configured share (or not at all)
        held = (data == alg._absorbing_row).all(-1).sum().item()
        expected = 0 if share == 0.0 else max(1, round(share * 2 * 48 / (1.0 - share)))
        assert held == expected and data.shape[0] == 2 * 48 + expected
    assert ("reward_absorbing" in alg.stats) and torch.equal(alg._absorbing_row, first[:1])
    runner.save(str(tmp_path / "model.pt"))  # a resumed run keeps the row it met before
    resumed = _runner(num_envs=4, steps=12, episode=5, average_reward=True, approximator=approx)
    resumed.load(str(tmp_path / "model.pt"))
    assert torch.equal(resumed.alg._absorbing_row, first[:1])


@pytest.mark.parametrize("method", ["trirl", "gail"])
def test_absorbing_worst_prices_a_fall_as_the_worst_lived_step_in_training_and_retraining(method) -> None:
    alg, r_tilde = _absorbing_rollout(absorbing_worst=True, average_reward=method == "trirl", method=method)
    if method != "trirl":  # a baseline's r~ is its latest D's transform
        r_tilde = transform(method, alg._d_new).view_as(r_tilde)
    relabelled = alg.storage.rewards.squeeze(-1) - alg._bootstrap
    worst = r_tilde[~alg._absorbing].min()
    assert (r_tilde[alg._absorbing] != worst).all()  # the learned value differs: the option moves it
    expected = torch.where(alg._absorbing, worst / (1.0 - alg.gamma), r_tilde)
    torch.testing.assert_close(relabelled, expected, rtol=1e-5, atol=1e-5)
    alg.update()
    lived = ~alg._absorbing.flatten()
    saved = alg.reward(alg._x[lived]).min().item()  # the corrected reward r_{i+1}: what a retraining re-optimises
    assert alg.reward.metadata["absorbing_reward"] == pytest.approx(saved, abs=1e-5)
    r = torch.tensor([0.5, 3.0, -2.0])
    frozen = with_absorbing_tail(alg.reward, r, torch.tensor([False, True, False]), alg.gamma)
    torch.testing.assert_close(frozen, torch.tensor([0.5, saved / (1.0 - alg.gamma), -2.0]))
    if method == "trirl":  # the averaged reward carries its own worst lived value
        average = alg.averaged_reward()
        assert average.metadata["absorbing_reward"] == pytest.approx(average(alg._x[lived]).min().item(), abs=1e-5)
        assert average.metadata["absorbing_reward"] != pytest.approx(saved, abs=1e-3)


def test_reward_network_mode_and_reservoir_train_end_to_end() -> None:
    runner = _runner(chain_length=0, approximator={**SMALL["approximator"], "reservoir_size": 50})
    runner.learn(3)
    chain = runner.alg.reward.chain
    assert len(chain) == 0 and chain.base_active and chain.num_distilled == 3
    assert chain.reservoir_seen == 3 * 8 * 10 and chain.reservoir_rows().shape == (50, 8)


@pytest.mark.parametrize("policy_update", ["trpl", "kl_penalty", "ppo"])
def test_reward_correction_step(policy_update) -> None:
    runner = _runner(
        eps=0.5, policy_update=policy_update, kl_penalty={"eta_start": 3.0, "eta_end": 1.0, "schedule_iterations": 2}
    )
    etas = []
    for _ in range(3):
        _rollout(runner)
        runner.alg.update()
        etas.append(runner.alg.stats["eta"])
        assert runner.alg.reward.chain.steps[-1] == pytest.approx(0.5 / (1 + etas[-1]))
        assert runner.alg.stats["eps_tr"] == pytest.approx(0.5 / (1 + etas[-1]))
    if policy_update == "ppo":
        assert etas == [0.0, 0.0, 0.0]
    if policy_update == "kl_penalty":
        assert etas == pytest.approx([3.0, 2.0, 1.0])
    assert len(runner.alg.reward.chain) == 3


def test_harmonic_reward_step_enters_the_relabelling_and_the_correction_alike() -> None:
    runner = _runner(eps=0.6, eps_halving=2.0)
    alg = runner.alg
    for i in range(4):
        eps_i = 0.6 * 2.0 / (2.0 + i)  # 0.6, 0.4, 0.3, 0.24
        _rollout(runner)
        x = alg.disc_features()
        with torch.no_grad():
            relabelled = alg.storage.rewards.squeeze(-1).flatten() - alg._bootstrap.flatten()
            by_hand = (1 - eps_i) * alg.reward.chain(x) + eps_i * alg.discriminator.eval()(x)
        torch.testing.assert_close(relabelled, by_hand, rtol=1e-5, atol=1e-5)
        alg.update()
        assert alg.stats["eps"] == pytest.approx(eps_i)
        # the theorem's correction for the step the policy used: eps_i / (1 + eta_i)
        assert alg.reward.chain.steps[-1] == pytest.approx(eps_i / (1 + alg.stats["eta"]))
    assert TrirlCfg.from_dict({}).eps_halving is None and _runner().alg.reward_step() == _runner().alg.trirl_cfg.eps


def test_trust_region_multiplier_positive_when_the_step_leaves_the_region() -> None:
    runner = _runner(trust_region={"mean_bound": 1e-6, "cov_bound": 1e-6, "trust_region_coef": 0.0})
    _rollout(runner)
    runner.alg.update()
    assert runner.alg.stats["eta"] > 0 and runner.alg.stats["eps_tr"] < runner.alg.trirl_cfg.eps


@pytest.mark.parametrize("method", ["gail", "airl", "amp"])
def test_baselines_share_the_code_path(method) -> None:
    runner = _runner(method=method, policy_update="ppo")
    runner.learn(2)
    alg = runner.alg
    assert len(alg.reward.chain) == 1 and alg.reward.chain.steps == [1.0]
    x = alg.disc_features() if alg.storage.step else torch.randn(16, 8)
    assert torch.isfinite(alg.reward(x)).all()
    assert alg.discriminator.shaped == (method == "airl")


def test_logs_trirl_quantities_to_tensorboard(tmp_path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    runner = _runner(log_dir=str(tmp_path))
    runner.learn(2)
    runner.logger.writer.flush()
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    for key in (
        "eta",
        "eps_tr",
        "eps",
        "kl_new_old",
        "dual_estimate",
        "disc_loss",
        "disc_accuracy",
        "disc_logit_expert",
        "disc_logit_policy",
        "reward_tilde_mean",
        "chain_length",
    ):
        assert f"TRIRL/{key}" in tags, key
    assert len(acc.Scalars("TRIRL/eta")) == 2
    assert "Loss/discriminator" in tags


def test_reward_consumers_get_every_corrected_reward() -> None:
    runner = _runner()
    got = []
    runner.add_reward_consumer(lambda r: got.append(len(r.chain)))
    runner.learn(3)
    assert got == [0, 1, 2, 3]


def test_checkpoint_and_standalone_reward(tmp_path) -> None:
    runner = _runner(log_dir=str(tmp_path))
    runner.learn(2)
    ckpts = sorted(glob.glob(os.path.join(tmp_path, "model_*.pt")))
    rewards = sorted(glob.glob(os.path.join(tmp_path, "reward_*.pt")))
    assert ckpts and rewards
    x = torch.randn(32, 8)
    from_ckpt = LearnedReward.load(ckpts[-1])
    standalone = LearnedReward.load(rewards[-1])
    torch.testing.assert_close(from_ckpt(x), runner.alg.reward(x))
    torch.testing.assert_close(standalone(x), runner.alg.reward(x))


def test_checkpoint_from_another_task_is_rejected(tmp_path) -> None:
    runner = _runner(log_dir=str(tmp_path))
    runner.learn(1)
    ckpt = sorted(glob.glob(os.path.join(tmp_path, "model_*.pt")))[-1]
    other = _runner(disc_input="state_action", expert_dim=6)  # 4 + 2 features instead of 8
    with pytest.raises(ValueError, match="another task"):
        other.load(ckpt)


@pytest.mark.parametrize(("replay_size", "average"), [(0, False), (64, True)])
def test_resume_continues_bit_identically(tmp_path, replay_size, average) -> None:
    disc = {**SMALL["discriminator"], "replay_size": replay_size}
    a = _runner(log_dir=str(tmp_path / "a"), seed=5, discriminator=disc, average_reward=average)
    a.learn(2)
    ckpt = sorted(glob.glob(os.path.join(tmp_path / "a", "model_*.pt")))[-1]
    a.learn(3)
    # same task (env seed, expert data); another torch seed: networks, optimisers and RNG come from the checkpoint
    # (and the discriminator's replay of past rollouts, which the next fits draw from)
    b = _runner(log_dir=str(tmp_path / "b"), seed=5, torch_seed=123, discriminator=disc, average_reward=average)
    b.load(ckpt)
    b.learn(3)
    for (name, pa), pb in zip(a.alg.actor.state_dict().items(), b.alg.actor.state_dict().values()):
        assert torch.equal(pa, pb), name
    for pa, pb in zip(a.alg.discriminator.state_dict().values(), b.alg.discriminator.state_dict().values()):
        assert torch.equal(pa, pb)
    x = torch.randn(64, 8)
    assert torch.equal(a.alg.reward(x), b.alg.reward(x))
    assert a.alg.reward.chain.etas == b.alg.reward.chain.etas
    if average:  # the averaged reward (and its own random draws) resumes too
        assert torch.equal(a.alg.averaged_reward()(x), b.alg.averaged_reward()(x))


def test_averaged_reward_leaves_training_unchanged_and_is_saved_beside_the_reward(tmp_path) -> None:
    a = _runner(log_dir=str(tmp_path), seed=5, average_reward=True)
    a.learn(3)
    b = _runner(seed=5)
    b.learn(3)
    x = torch.randn(64, 8)
    assert torch.equal(a.alg.reward(x), b.alg.reward(x))  # the same run, bit for bit
    for (name, pa), pb in zip(a.alg.actor.state_dict().items(), b.alg.actor.state_dict().values()):
        assert torch.equal(pa, pb), name
    assert b.alg.averaged_reward() is None
    saved = sorted(glob.glob(os.path.join(tmp_path, "reward_average_*.pt")))
    assert [os.path.basename(p) for p in saved] == ["reward_average_0.pt", "reward_average_2.pt"]
    average = LearnedReward.load(saved[-1])
    assert average.metadata["averaged_iterations"] == 3
    torch.testing.assert_close(average(x), a.alg.averaged_reward()(x))
    assert not torch.allclose(average(x), a.alg.reward(x))
    ckpt = sorted(glob.glob(os.path.join(tmp_path, "model_*.pt")))[-1]
    plain = _runner(seed=5, average_reward=True)
    blob = torch.load(ckpt, weights_only=False)
    blob.pop("reward_average")
    torch.save(blob, tmp_path / "old.pt")
    with pytest.raises(ValueError, match="holds no averaged reward"):
        plain.load(str(tmp_path / "old.pt"))


def test_policy_restart_puts_the_policy_back_and_keeps_the_reward() -> None:
    """Every policy_restart_every iterations the actor, critic, optimizer and rate return to the first update's;
    the reward keeps growing; after policy_restart_last no restart happens."""
    run = _runner(seed=3, policy_restart_every=2, policy_restart_last=3)
    run.learn(1)
    first = run.alg._restart_state
    assert first is not None and run.alg.stats["policy_restart"] == 0.0
    moved = [k for k, v in run.alg.actor.state_dict().items() if not torch.equal(v, first["actor"][k])]
    assert moved, "one update should move the actor"
    x = torch.randn(32, 8)
    reward_before = run.alg.reward(x)
    run.alg.learning_rate = 123.0  # stands in for the adaptive rate having moved
    run.learn(1)  # iteration 2: a restart
    assert run.alg.stats["policy_restart"] == 1.0
    for name, net in (("actor", run.alg.actor), ("critic", run.alg.critic)):
        for k, v in net.state_dict().items():
            assert torch.equal(v, first[name][k]), (name, k)
    assert run.alg.learning_rate == first["learning_rate"] != 123.0
    assert all(g["lr"] == first["learning_rate"] for g in run.alg.optimizer.param_groups)
    assert first["optimizer"]["state"] == {} == run.alg.optimizer.state_dict()["state"]  # Adam's moments: none yet
    assert not torch.allclose(run.alg.reward(x), reward_before)  # the reward is corrected as always
    run.learn(2)  # iterations 3 and 4: 4 is past policy_restart_last
    assert run.alg.stats["policy_restart"] == 0.0
    assert any(not torch.equal(v, first["actor"][k]) for k, v in run.alg.actor.state_dict().items())


def test_polynomial_decay_average_weighs_iteration_i_by_i_to_the_power() -> None:
    from trirl_isaac.algo.reward import average_weight

    def implied(n, k):  # the weight of r_i in rbar_n after the recursion rbar_n = (1 - w_n) rbar_{n-1} + w_n r_n
        weights = []
        for m in range(1, n + 1):
            w = average_weight(m, k)
            weights = [x * (1.0 - w) for x in weights] + [w]
        return weights

    assert implied(10, 0.0) == pytest.approx([0.1] * 10)  # the uniform mean
    lin = implied(10, 1.0)
    assert lin == pytest.approx([i / 55.0 for i in range(1, 11)])  # exactly by i for k = 1
    assert sum(lin[5:]) == pytest.approx(40 / 55)  # the last half holds ~3/4
    assert sum(implied(50, 3.0)) == pytest.approx(1.0) and average_weight(1, 3.0) == 1.0
    with pytest.raises(ValueError, match="starts at 1"):
        average_weight(0, 1.0)


def test_average_power_changes_only_the_averaged_reward(monkeypatch) -> None:
    uniform = _runner(seed=5, average_reward=True)
    uniform.learn(4)
    late = _runner(seed=5, average_reward=True, average_power=2.0)
    seen = []
    fit = late.alg.reward_average.chain._fit_base

    def spy(target, data, *args):  # what the averaged network is regressed onto, each iteration
        chain = late.alg.reward_average.chain
        before = chain.base(data).squeeze(-1) if chain.base_active else None
        seen.append((target.clone(), before, late.alg.reward(data).clone()))
        return fit(target, data, *args)

    monkeypatch.setattr(late.alg.reward_average.chain, "_fit_base", spy)
    late.learn(4)
    x = torch.randn(64, 8)
    assert torch.equal(uniform.alg.reward(x), late.alg.reward(x))  # training is the same, bit for bit
    assert len(seen) == 4 and seen[0][1] is None  # the first target is the reward itself
    for n, (target, before, newest) in enumerate(seen[1:], start=2):
        w = (2.0 + 1.0) / (n + 2.0)  # (k + 1) / (n + k)
        torch.testing.assert_close(target, (1.0 - w) * before + w * newest)
    assert late.alg.averaged_reward().metadata["average_power"] == 2.0
    assert "average_power" not in uniform.alg.averaged_reward().metadata
    assert not torch.equal(uniform.alg.averaged_reward()(x), late.alg.averaged_reward()(x))


@pytest.mark.parametrize("where", ["observation", "discriminator", "actor"])
def test_nan_stops_training_before_a_checkpoint_and_the_last_one_resumes(tmp_path, where) -> None:
    runner = _runner(log_dir=str(tmp_path / "run"), seed=3)
    runner.cfg["save_interval"] = 1
    runner.learn(2)  # model_0.pt, model_1.pt (and the final save of model_1.pt)
    good = os.path.join(tmp_path / "run", "model_1.pt")
    before = open(good, "rb").read()
    step = runner.env.step
    if where == "observation":

        def poisoned(actions):
            obs, rew, dones, extras = step(actions)
            obs["policy"][0, 0] = float("inf")
            return obs, rew, dones, extras

        runner.env.step = poisoned
        message = "observation group 'policy' is NaN or Inf at iteration 2"
    elif where == "discriminator":
        with torch.no_grad():
            next(runner.alg.discriminator.parameters()).fill_(float("nan"))
        message = "discriminator's loss is NaN or Inf at iteration 2"
    else:
        runner.alg.learning_rate = 1e30  # an exploding step: the update leaves non-finite weights
        for group in runner.alg.optimizer.param_groups:
            group["lr"] = float("inf")
        message = "at iteration 2"
    with pytest.raises(FloatingPointError, match=message):
        runner.learn(2)
    assert sorted(os.listdir(tmp_path / "run")) == sorted(
        ["model_0.pt", "model_1.pt", "reward_0.pt", "reward_1.pt"]
        + [n for n in os.listdir(tmp_path / "run") if not n.endswith(".pt")]
    )  # nothing was written after the fault
    assert open(good, "rb").read() == before
    resumed = _runner(log_dir=str(tmp_path / "resumed"), seed=3)
    resumed.load(good)
    resumed.learn(1)
    assert all(torch.isfinite(p).all() for p in resumed.alg.actor.parameters())


def test_damaged_checkpoint_is_a_named_error_and_left_untouched(tmp_path) -> None:
    runner = _runner(log_dir=str(tmp_path / "run"))
    runner.learn(1)
    ckpt = glob.glob(os.path.join(tmp_path / "run", "model_*.pt"))[0]
    damaged = tmp_path / "damaged.pt"
    data = open(ckpt, "rb").read()
    damaged.write_bytes(data[: len(data) // 3])
    with pytest.raises(ValueError, match="cannot be read") as e:
        _runner().load(str(damaged))
    assert str(damaged) in str(e.value) and damaged.read_bytes() == data[: len(data) // 3]
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(ValueError, match="not an rsl_rl/trirl_isaac checkpoint"):
        _runner().load(str(foreign))


def test_algorithm_package_never_imports_isaaclab() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pkgutil, importlib, trirl_isaac.algo as a\n"
        "for m in pkgutil.iter_modules(a.__path__): importlib.import_module(f'trirl_isaac.algo.{m.name}')\n"
        "import trirl_isaac.envs.point_mass, trirl_isaac.motion.features\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0].startswith('isaaclab'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class LearnedRewardPointMass(PointMassEnv):
    """A point mass whose reward is the installed learned reward of (s, s'), like the Isaac Lab tasks."""

    reward_is_learned_reward = True

    def __init__(self, *args, lie: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reward_fn = None
        self.lie = lie

    def set_learned_reward(self, reward) -> None:
        self.reward_fn = reward

    def step(self, actions):
        s = self.get_observations()["discriminator"]
        obs, true_reward, dones, extras = super().step(actions)
        s_next = torch.where(
            dones.bool().unsqueeze(-1), extras.get("final_obs", obs)["discriminator"], obs["discriminator"]
        )
        if self.reward_fn is None or self.lie:
            return obs, true_reward, dones, extras
        return obs, self.reward_fn(torch.cat([s, s_next], dim=-1)), dones, extras


@pytest.mark.parametrize("lie", [False, True])
def test_env_reward_reused_only_when_it_matches_the_chain(lie) -> None:
    torch.manual_seed(0)
    cfg = make_agent_cfg(**SMALL)
    cfg["num_steps_per_env"] = 10
    env = LearnedRewardPointMass(8, PointMassCfg(max_episode_length=6), seed=0, lie=lie)
    env.build_expert_sampler(20)
    runner = TrirlRunner(env, cfg, log_dir=None, device="cpu")
    runner.learn(3)
    reused = [h["env_reward_reused"] for h in runner.history]
    assert reused == ([0.0, 1.0, 1.0] if not lie else [0.0, 0.0, 0.0])  # iteration 0: r_0 = 0, nothing to reuse


@pytest.mark.parametrize("chain_length", [0, 2, 5])
def test_cached_expert_reward_equals_the_chain(chain_length) -> None:
    runner = _runner(chain_length=chain_length, approximator={**SMALL["approximator"], "skip_below": 0.0})
    alg = runner.alg
    for _ in range(4):
        runner.learn(1)
        torch.testing.assert_close(alg._expert_reward(), alg.reward.chain(alg._dual_expert_x), rtol=1e-5, atol=1e-5)
    h = runner.history[-1]
    assert {"dual_estimate", "dual_estimate_next", "reward_mean_expert"} <= set(h)
    assert h["reward_mean_expert"] == pytest.approx(alg.reward.chain(alg._dual_expert_x).mean().item(), abs=1e-5)


def _ppo_runner(seed: int = 0, log_dir=None, **algorithm):
    """rsl_rl's OnPolicyRunner with plain PPO (or the class named in ``algorithm``) on the point mass env."""
    from rsl_rl.runners import OnPolicyRunner

    torch.manual_seed(seed)
    cfg = make_agent_cfg()
    cfg["algorithm"].pop("trirl_cfg")
    cfg["algorithm"].update({"class_name": "PPO", "num_learning_epochs": 2, "num_mini_batches": 2, **algorithm})
    cfg["num_steps_per_env"] = 10
    env = PointMassEnv(8, PointMassCfg(max_episode_length=6), seed=seed)
    runner = OnPolicyRunner(env, cfg, log_dir=log_dir, device="cpu")
    runner.alg.actor.distribution.log_std_param.data.fill_(math.log(0.05))  # entropy far below any floor used
    return runner


def test_entropy_floor_ppo_is_rsl_rl_ppo_plus_the_std_lift(tmp_path) -> None:
    """EntropyFloorPPO (re-optimising a frozen reward) changes nothing in PPO's step but the std, which it puts on
    the scheduled bound; the schedule's position survives a checkpoint."""
    floored_cls = "trirl_isaac.algo.ppo:EntropyFloorPPO"
    plain, floored = _ppo_runner(), _ppo_runner(class_name=floored_cls, entropy_floor=1.0)
    for runner in (plain, floored):
        torch.manual_seed(1)  # the same rollout and minibatches
        runner.learn(1)
    for (name, a), b in zip(plain.alg.actor.state_dict().items(), floored.alg.actor.state_dict().values()):
        if "std" not in name:
            assert torch.equal(a, b), name  # the same update: only the std differs
    assert plain.alg.actor.distribution.log_std_param.exp().max() < 0.1
    assert gaussian_entropy(floored.alg.actor.distribution.log_std_param.exp()).item() == pytest.approx(
        2.0, abs=1e-5
    )  # 2 dims

    sched = _ppo_runner(class_name=floored_cls, entropy_floor=0.0, entropy_floor_start=1.0, entropy_floor_iterations=4)
    sched.learn(3)
    assert sched.alg.floor_iteration == 3 and sched.alg.current_floor() == pytest.approx(0.25)
    assert (
        gaussian_entropy(sched.alg.actor.distribution.log_std_param.exp()).item() >= 2 * 0.5 - 1e-5
    )  # the third update's bound
    path = str(tmp_path / "model.pt")
    sched.save(path)
    resumed = _ppo_runner(
        class_name=floored_cls, entropy_floor=0.0, entropy_floor_start=1.0, entropy_floor_iterations=4
    )
    resumed.load(path)
    assert resumed.alg.floor_iteration == 3


@pytest.mark.parametrize(
    "settings, message",
    [
        ({}, "algorithm.entropy_floor is required"),
        ({"entropy_floor": 0.5, "entropy_floor_start": 0.1}, "must be >= entropy_floor"),
        ({"entropy_floor": "wide"}, "algorithm.entropy_floor must be a finite number"),
        ({"entropy_floor": 0.5, "entropy_floor_iterations": 0}, "algorithm.entropy_floor_iterations"),
    ],
)
def test_entropy_floor_ppo_names_bad_settings(settings, message) -> None:
    with pytest.raises(ConfigError, match=message):
        _ppo_runner(class_name="trirl_isaac.algo.ppo:EntropyFloorPPO", **settings)
