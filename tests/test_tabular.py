"""Exact tabular checks of TRIRL's Reward Correction theorem and the monotone dual (float64, runs in seconds)."""

import numpy as np
import pytest

from trirl_isaac.algo.tabular import (
    TabularMDP,
    density_ratio,
    dual_objective,
    expert_occupancy,
    kl,
    occupancy,
    random_mdp,
    run_trirl,
    soft_value_iteration,
    trust_region_step,
)

GAMMA, BETA, EPS, ETA, S, A = 0.95, 5.0, 0.2, 0.5, 25, 4


def _problem(seed: int, num_states: int = S, gamma: float = GAMMA):
    mdp = random_mdp(num_states, A, gamma, seed=seed)
    rho_E, _ = expert_occupancy(mdp, scale=3.0, seed=1000 + seed)
    return mdp, rho_E


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_theorem_fixed_eta(seed):
    mdp, rho_E = _problem(seed)
    hist = run_trirl(mdp, rho_E, BETA, EPS, [ETA] * 60)
    assert hist.theorem_error.max() < 1e-10
    np.testing.assert_allclose(hist.eps_tr, EPS / (1 + ETA))


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_theorem_varying_eta(seed):
    mdp, rho_E = _problem(seed, num_states=12, gamma=0.9)
    etas = np.random.default_rng(seed).uniform(0.0, 3.0, size=60)
    hist = run_trirl(mdp, rho_E, 2.0, 0.5, etas)
    assert hist.theorem_error.max() < 1e-10
    np.testing.assert_allclose(hist.eps_tr, 0.5 / (1 + etas))


def test_trust_region_step_maximises_regularised_objective():
    """pi_tr beats random perturbations on E[sum gamma^t (r~ + H(pi) - eta KL(pi || pi_old))]."""
    mdp, rng, eta = random_mdp(8, 3, 0.9, seed=7), np.random.default_rng(7), 1.3
    r_tilde = rng.standard_normal((8, 3))
    pi_old = rng.dirichlet(np.ones(3), size=8)

    def objective(pi):
        integrand = r_tilde - np.log(pi) - eta * (np.log(pi) - np.log(pi_old))
        return np.sum(occupancy(mdp, pi) * integrand) / (1 - mdp.gamma)

    pi_tr, _, _ = trust_region_step(mdp, r_tilde, pi_old, eta)
    best = objective(pi_tr)
    for _ in range(50):
        logits = np.log(pi_tr) + 0.05 * rng.standard_normal(pi_tr.shape)
        pi = np.exp(logits - logits.max(1, keepdims=True))
        assert objective(pi / pi.sum(1, keepdims=True)) < best


@pytest.mark.parametrize("seed", [0, 1])
def test_corrected_dual_monotone(seed):
    mdp, rho_E = _problem(seed)
    hist = run_trirl(mdp, rho_E, BETA, EPS, [ETA] * 150)
    assert np.all(np.diff(hist.dual) <= 1e-12), np.diff(hist.dual).max()
    assert hist.dual[-1] < hist.dual[0] - 0.1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_uncorrected_breaks_theorem_and_monotonicity(seed):
    mdp, rho_E = _problem(seed)
    hist = run_trirl(mdp, rho_E, BETA, EPS, [ETA] * 30, corrected=False)
    assert hist.theorem_error.max() > 1e-3  # pi_tr is not MCE-optimal for r~ when eta > 0
    assert np.diff(hist.dual).max() > 1e-3  # ... and G(r~) goes up (observed at the second step)


def test_uncorrected_equals_corrected_when_eta_zero():
    mdp, rho_E = _problem(0)
    a = run_trirl(mdp, rho_E, BETA, EPS, [0.0] * 20)
    b = run_trirl(mdp, rho_E, BETA, EPS, [0.0] * 20, corrected=False)
    np.testing.assert_allclose(a.dual, b.dual, rtol=0, atol=1e-12)
    assert b.theorem_error.max() < 1e-10


def test_soft_value_iteration_bellman():
    mdp = random_mdp(S, A, 0.99, seed=3)
    reward = 10.0 * np.random.default_rng(3).standard_normal((S, A))
    pi, Q, V = soft_value_iteration(mdp, reward)
    scale = max(1.0, np.abs(V).max())
    np.testing.assert_allclose(Q, reward + mdp.gamma * mdp.P @ V, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(
        V, np.log(np.exp(Q - Q.max(1, keepdims=True)).sum(1)) + Q.max(1), rtol=0, atol=1e-12 * scale
    )
    np.testing.assert_allclose(pi.sum(1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(pi, np.exp(Q - V[:, None]), rtol=0, atol=1e-12)


def test_occupancy_flow_equation():
    mdp = random_mdp(S, A, GAMMA, seed=4)
    pi = np.random.default_rng(4).dirichlet(np.ones(A), size=S)
    rho = occupancy(mdp, pi)
    assert abs(rho.sum() - 1.0) < 1e-12 and np.all(rho > 0)
    inflow = (1 - mdp.gamma) * mdp.mu0 + mdp.gamma * np.einsum("sa,sat->t", rho, mdp.P)
    np.testing.assert_allclose(rho.sum(1), inflow, rtol=0, atol=1e-14)
    np.testing.assert_allclose(rho / rho.sum(1, keepdims=True), pi, rtol=1e-10)


def test_dual_gradient():
    """dG/dr = rho_pi(r) - rho_E exp(-r/beta) / Z, checked by central differences."""
    mdp, rho_E = _problem(5, num_states=6)
    r = np.random.default_rng(5).standard_normal((6, A))
    pi, _, _ = soft_value_iteration(mdp, r)
    w = rho_E * np.exp(-r / BETA)
    grad = occupancy(mdp, pi) - w / w.sum()
    h, fd = 1e-5, np.zeros_like(r)
    for idx in np.ndindex(*r.shape):
        e = np.zeros_like(r)
        e[idx] = h
        fd[idx] = (dual_objective(mdp, r + e, rho_E, BETA) - dual_objective(mdp, r - e, rho_E, BETA)) / (2 * h)
    np.testing.assert_allclose(fd, grad, rtol=0, atol=1e-8)


def test_kl_to_expert_decreases():
    mdp, rho_E = _problem(2)
    hist = run_trirl(mdp, rho_E, BETA, EPS, [ETA] * 200)
    assert hist.kl[0] > 0.5
    assert hist.kl[-1] < 0.1 * hist.kl[0]
    assert kl(rho_E, rho_E) == 0.0


def test_fixed_point_when_policy_is_expert():
    """If the expert is the uniform policy (soft-optimal for r_0 = 0), D = 0 and nothing moves."""
    mdp = random_mdp(S, A, GAMMA, seed=6)
    rho_E = occupancy(mdp, np.full((S, A), 1.0 / A))
    assert np.abs(density_ratio(rho_E, rho_E)).max() == 0.0
    hist = run_trirl(mdp, rho_E, BETA, EPS, [ETA] * 10)
    assert np.abs(hist.reward).max() < 1e-12
    np.testing.assert_allclose(hist.policy, 1.0 / A, rtol=0, atol=1e-12)
    np.testing.assert_allclose(hist.kl, 0.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(hist.dual, np.log(A), rtol=0, atol=1e-12)


def test_converged_reward_is_fixed_point():
    """At convergence r = beta * log(rho_E / rho_pi(r)), so a further step leaves the reward unchanged."""
    mdp, rho_E = _problem(1)
    hist = run_trirl(mdp, rho_E, BETA, EPS, [ETA] * 200)
    D = density_ratio(rho_E, occupancy(mdp, hist.policy))
    np.testing.assert_allclose(hist.reward, BETA * D, rtol=0, atol=1e-10)


def test_large_rewards_and_divergence():
    mdp = random_mdp(S, A, 0.99, seed=8)
    pi, _, V = soft_value_iteration(mdp, 300.0 * np.random.default_rng(8).standard_normal((S, A)))
    assert np.all(np.isfinite(V)) and np.allclose(pi.sum(1), 1.0)
    mdp, rho_E = _problem(0)
    with pytest.raises(RuntimeError, match="diverged"):  # eps * beta far too large: the exact iterates oscillate
        run_trirl(mdp, rho_E, 20.0, EPS, [ETA] * 50)


def test_bad_inputs_raise():
    mdp, rho_E = _problem(0, num_states=5)
    for eps in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="eps"):
            run_trirl(mdp, rho_E, BETA, eps, [ETA])
    for beta in (0.0, -1.0):
        with pytest.raises(ValueError, match="beta"):
            run_trirl(mdp, rho_E, beta, EPS, [ETA])
    with pytest.raises(ValueError, match="etas"):
        run_trirl(mdp, rho_E, BETA, EPS, [0.5, -0.1])
    with pytest.raises(ValueError, match="eta"):
        trust_region_step(mdp, np.zeros((5, A)), np.full((5, A), 1.0 / A), -1.0)
    with pytest.raises(ValueError, match="rho_E"):
        run_trirl(mdp, 2 * rho_E, BETA, EPS, [ETA])
    bad_P = mdp.P.copy()
    bad_P[0, 0, 0] += 0.1
    with pytest.raises(ValueError, match="sum to 1"):
        TabularMDP(P=bad_P, mu0=mdp.mu0, gamma=GAMMA)
    with pytest.raises(ValueError, match="gamma"):
        TabularMDP(P=mdp.P, mu0=mdp.mu0, gamma=1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dual_estimate_needs_the_matched_pair(seed):
    """The rollout estimate E[r_i - log pi_i] + beta log E_E exp(-r_i/beta) IS G(r_i) along corrected iterates (pi_i
    is MCE-optimal for r_i); pairing pi_i with r_{i+1}, what earlier code logged, rises while G falls."""
    mdp, rho_E = _problem(seed)
    hist = run_trirl(mdp, rho_E, 5.0, 0.2, [0.5] * 100)
    np.testing.assert_allclose(hist.estimate, hist.dual[:-1], atol=1e-10)
    assert np.all(np.diff(hist.dual) <= 1e-12)
    assert np.diff(hist.estimate_next).max() > 1e-3 and hist.estimate_next[-1] > hist.estimate_next[0]


def test_lagging_policy_makes_the_rollout_estimate_dip_and_rise_while_g_falls():
    """Deep-RL TRIRL's dual estimate falls, then rises: with policy steps short of the trust-region optimum the
    estimate (a lower bound on G: the policy is not max-ent optimal for r_i) dips far below G and climbs back as the
    policy catches up, while G itself ends lower than where the estimate bottomed out."""
    mdp, rho_E = _problem(0)
    hist = run_trirl(mdp, rho_E, 5.0, 0.2, [5.0] * 300, step_fraction=0.1)
    low = int(np.argmin(hist.estimate))
    assert np.all(hist.estimate <= hist.dual[:-1] + 1e-9)  # a lower bound throughout
    assert hist.estimate[-1] - hist.estimate[low] > 0.5  # it rises a lot after its minimum
    assert hist.dual[-1] < hist.dual[low]  # while G falls over the same iterations
