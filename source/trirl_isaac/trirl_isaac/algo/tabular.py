"""Exact tabular TRIRL (float64 numpy): a reference check of the Reward Correction theorem.

Max-ent IRL by reverse-KL occupancy matching. With the density ratio D_i = log(rho_E / rho_pi_i), the
function-space reward step is r~ = (1 - eps) r_i + eps * beta * D_i. A trust-region policy step on r~ with KL
multiplier eta (maximise E[sum_t gamma^t (r~ + H(pi) - eta KL(pi || pi_old))]) is soft value iteration on
(r~ + eta log pi_old) / (1 + eta). If pi_old is soft-optimal for r_i, then log pi_old = r_i + gamma P V_i - V_i
is r_i up to potential shaping, so the trust-region policy is exactly the max-ent (MCE) optimal policy of
r_{i+1} = (1 - eps_tr) r_i + eps_tr * beta * D_i with eps_tr = eps / (1 + eta).

All occupancies are normalised discounted state-action occupancies (they sum to 1). The dual tracked along the
iterates is G(r) = (1 - gamma) V_soft[r](mu0) + beta * log sum_{s,a} rho_E(s, a) exp(-r(s, a) / beta).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "TRIRLHistory",
    "TabularMDP",
    "density_ratio",
    "dual_objective",
    "expert_occupancy",
    "kl",
    "occupancy",
    "random_mdp",
    "run_trirl",
    "soft_value_iteration",
    "trust_region_step",
]


def _logsumexp(x: np.ndarray, axis: int | None = None) -> np.ndarray:
    """Numerically stable log-sum-exp along ``axis`` (all entries when None)."""
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out.reshape(()) if axis is None else np.squeeze(out, axis=axis)


@dataclass(frozen=True)
class TabularMDP:
    """Finite discounted MDP: transitions P[s, a, s'], initial distribution mu0[s], discount gamma in [0, 1)."""

    P: np.ndarray
    mu0: np.ndarray
    gamma: float

    def __post_init__(self) -> None:
        P, mu0 = np.asarray(self.P, dtype=np.float64), np.asarray(self.mu0, dtype=np.float64)
        if P.ndim != 3 or P.shape[0] != P.shape[2]:
            raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
        if np.any(P < 0) or not np.allclose(P.sum(axis=2), 1.0, rtol=0, atol=1e-10):
            raise ValueError("P must be non-negative and every row P[s, a, :] must sum to 1")
        if mu0.shape != (P.shape[0],) or np.any(mu0 < 0) or not np.isclose(mu0.sum(), 1.0, rtol=0, atol=1e-10):
            raise ValueError(f"mu0 must be a probability vector of length {P.shape[0]}")
        if not 0.0 <= self.gamma < 1.0:
            raise ValueError(f"gamma must lie in [0, 1), got {self.gamma}")
        object.__setattr__(self, "P", P)
        object.__setattr__(self, "mu0", mu0)
        object.__setattr__(self, "gamma", float(self.gamma))

    @property
    def num_states(self) -> int:
        """Number of states S."""
        return self.P.shape[0]

    @property
    def num_actions(self) -> int:
        """Number of actions A."""
        return self.P.shape[1]


@dataclass
class TRIRLHistory:
    """Per-iteration records of `run_trirl` (N iterations; index i refers to the iterate r_i / pi_i)."""

    dual: np.ndarray  # (N + 1,) G(r_i)
    kl: np.ndarray  # (N + 1,) KL(rho_pi_i || rho_E)
    theorem_error: np.ndarray  # (N,) max |pi_tr - pi_MCE(r_{i+1})|
    eps_tr: np.ndarray  # (N,) eps / (1 + eta_i)
    estimate: np.ndarray  # (N,) the deep-RL dual estimate with the matched pair: E_rho_pi_i[r_i - log pi_i] + lme(r_i)
    estimate_next: np.ndarray  # (N,) the same with pi_i paired with r_{i+1} (not MCE-optimal for it)
    reward: np.ndarray  # final reward r_N, (S, A)
    policy: np.ndarray  # final policy pi_N, (S, A)


def random_mdp(num_states: int, num_actions: int, gamma: float, seed: int = 0) -> TabularMDP:
    """Random MDP with Dirichlet(1) transition rows and a Dirichlet(1) initial distribution."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(num_states), size=(num_states, num_actions))
    return TabularMDP(P=P, mu0=rng.dirichlet(np.ones(num_states)), gamma=gamma)


def _check_reward(mdp: TabularMDP, reward: np.ndarray) -> np.ndarray:
    """Return ``reward`` as a float64 (S, A) array or raise ValueError."""
    reward = np.asarray(reward, dtype=np.float64)
    if reward.shape != (mdp.num_states, mdp.num_actions) or not np.all(np.isfinite(reward)):
        raise ValueError(f"reward must be a finite array of shape {(mdp.num_states, mdp.num_actions)}")
    return reward


def _policy_values(mdp: TabularMDP, reward: np.ndarray, log_pi: np.ndarray) -> np.ndarray:
    """Exact soft state values of pi = exp(log_pi): solve V = sum_a pi (r - log pi + gamma P V)."""
    pi = np.exp(log_pi)
    r_pi = np.sum(pi * (reward - log_pi), axis=1)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    return np.linalg.solve(np.eye(mdp.num_states) - mdp.gamma * P_pi, r_pi)


def soft_value_iteration(
    mdp: TabularMDP, reward: np.ndarray, tol: float = 1e-13, max_iters: int = 100_000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Soft (entropy weight 1) optimal (pi, Q, V) with pi = exp(Q - V), V = logsumexp_a Q, to machine precision.

    Iterates the soft Bellman operator until max |V_{k+1} - V_k| < tol * max(1, max |V|) (relative, since the
    float64 spacing of V grows with |V|). While far from the fixed point, Newton steps (exact soft policy
    evaluation of the current softmax policy) replace plain backups; this only changes the speed, not the limit.
    """
    reward = _check_reward(mdp, reward)
    V, prev, newton = np.zeros(mdp.num_states), np.inf, True
    for _ in range(max_iters):
        Q = reward + mdp.gamma * (mdp.P @ V)
        V_new = _logsumexp(Q, axis=1)
        delta = np.max(np.abs(V_new - V))
        scale = max(1.0, np.max(np.abs(V_new)))
        if delta < tol * scale:
            Q = reward + mdp.gamma * (mdp.P @ V_new)
            V = _logsumexp(Q, axis=1)
            return np.exp(Q - V[:, None]), Q, V
        newton = newton and (delta < 0.5 * prev or delta > 1e-8 * scale)
        V = _policy_values(mdp, reward, Q - V_new[:, None]) if newton else V_new
        if not np.all(np.isfinite(V)):
            raise RuntimeError("soft value iteration diverged (non-finite values)")
        prev = delta
    raise RuntimeError(f"soft value iteration did not converge to tol={tol} in {max_iters} iterations")


def occupancy(mdp: TabularMDP, pi: np.ndarray) -> np.ndarray:
    """Normalised discounted state-action occupancy rho(s, a) = (1 - gamma) sum_t gamma^t Pr(s_t=s, a_t=a)."""
    pi = np.asarray(pi, dtype=np.float64)
    if pi.shape != (mdp.num_states, mdp.num_actions) or not np.allclose(pi.sum(axis=1), 1.0, atol=1e-10):
        raise ValueError("pi must be an (S, A) array whose rows sum to 1")
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    d = np.linalg.solve(np.eye(mdp.num_states) - mdp.gamma * P_pi.T, (1.0 - mdp.gamma) * mdp.mu0)
    rho = d[:, None] * pi
    return rho / rho.sum()


def density_ratio(rho_E: np.ndarray, rho_pi: np.ndarray) -> np.ndarray:
    """Log density ratio D = log(rho_E / rho_pi)."""
    return np.log(rho_E) - np.log(rho_pi)


def dual_objective(mdp: TabularMDP, r: np.ndarray, rho_E: np.ndarray, beta: float) -> float:
    """Dual G(r) = (1 - gamma) V_soft[r](mu0) + beta * log sum rho_E exp(-r / beta)."""
    _, _, V = soft_value_iteration(mdp, r)
    return float((1.0 - mdp.gamma) * mdp.mu0 @ V + beta * _logsumexp(np.log(rho_E) - np.asarray(r) / beta))


def kl(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) = sum p log(p / q) for normalised occupancies (0 log 0 = 0)."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    mask = p > 0
    return float(np.sum(p[mask] * (np.log(p[mask]) - np.log(q[mask]))))


def trust_region_step(
    mdp: TabularMDP, r_tilde: np.ndarray, pi_old: np.ndarray, eta: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximiser of E[sum gamma^t (r~ + H(pi) - eta KL(pi || pi_old))]: soft VI on (r~ + eta log pi_old)/(1+eta)."""
    if eta < 0:
        raise ValueError(f"eta must be non-negative, got {eta}")
    if np.any(np.asarray(pi_old) <= 0):
        raise ValueError("pi_old must be strictly positive (its log enters the trust-region reward)")
    return soft_value_iteration(mdp, (np.asarray(r_tilde) + eta * np.log(pi_old)) / (1.0 + eta))


def expert_occupancy(mdp: TabularMDP, scale: float = 3.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Expert (rho_E, pi_E): soft-optimal policy of a random N(0, scale^2) "true" reward (far from uniform)."""
    rng = np.random.default_rng(seed)
    pi_E, _, _ = soft_value_iteration(mdp, scale * rng.standard_normal((mdp.num_states, mdp.num_actions)))
    return occupancy(mdp, pi_E), pi_E


def run_trirl(
    mdp: TabularMDP,
    rho_E: np.ndarray,
    beta: float,
    eps: float,
    etas: Iterable[float],
    corrected: bool = True,
    step_fraction: float = 1.0,
) -> TRIRLHistory:
    """Run len(etas) TRIRL iterations from r_0 = 0, pi_0 uniform; ``corrected=False`` carries r~ instead.

    Iteration i: D = log(rho_E / rho_pi_i); r~ = (1 - eps) r_i + eps beta D; pi_tr = trust_region_step(r~, pi_i,
    eta_i); eps_tr = eps / (1 + eta_i); r_{i+1} = (1 - eps_tr) r_i + eps_tr beta D (or r~); pi_{i+1} = pi_tr.
    theorem_error[i] = max |pi_tr - pi_MCE(r_{i+1})| for the reward actually carried forward, so it is ~1e-14 when
    corrected and measures how far pi_tr is from MCE-optimal for r~ when not.

    ``step_fraction`` < 1 stands in for a deep-RL policy update that does not reach the trust-region optimum: the
    policy moves that fraction of the way from log pi_i to log pi_tr (renormalised), so pi_{i+1} lags behind the
    policy the theorem describes.
    """
    etas = np.asarray(list(etas), dtype=np.float64)
    rho_E = np.asarray(rho_E, dtype=np.float64)
    if not 0.0 < eps <= 1.0:
        raise ValueError(f"eps must lie in (0, 1], got {eps}")
    if not beta > 0.0:
        raise ValueError(f"beta must be positive, got {beta}")
    if etas.ndim != 1 or np.any(etas < 0) or not np.all(np.isfinite(etas)):
        raise ValueError("etas must be a 1-D sequence of finite non-negative numbers")
    if rho_E.shape != (mdp.num_states, mdp.num_actions) or np.any(rho_E <= 0) or not np.isclose(rho_E.sum(), 1.0):
        raise ValueError("rho_E must be a strictly positive (S, A) occupancy summing to 1")

    r = np.zeros((mdp.num_states, mdp.num_actions))
    pi = np.full_like(r, 1.0 / mdp.num_actions)
    rho_pi = occupancy(mdp, pi)
    dual, kls, errors, eps_trs = [dual_objective(mdp, r, rho_E, beta)], [kl(rho_pi, rho_E)], [], []
    estimate, estimate_next = [], []

    def sample_estimate(reward: np.ndarray, policy: np.ndarray, occ: np.ndarray) -> float:
        """What the deep-RL code computes from a rollout: E_occ[r - log pi] + beta log E_rho_E exp(-r / beta)."""
        return float(np.sum(occ * (reward - np.log(policy))) + beta * _logsumexp(np.log(rho_E) - reward / beta))

    for i, eta in enumerate(etas):
        with np.errstate(divide="ignore"):
            D = density_ratio(rho_E, rho_pi)
        if not np.all(np.isfinite(D)):
            raise RuntimeError(f"TRIRL diverged at iteration {i}: rho_pi underflowed to 0 (reduce eps * beta)")
        r_tilde = (1.0 - eps) * r + eps * beta * D
        pi_tr, _, _ = trust_region_step(mdp, r_tilde, pi, eta)
        if step_fraction != 1.0:
            log_pi = (1.0 - step_fraction) * np.log(pi) + step_fraction * np.log(pi_tr)
            pi_tr = np.exp(log_pi - _logsumexp(log_pi, axis=1)[:, None])
        eps_tr = eps / (1.0 + eta)
        estimate.append(sample_estimate(r, pi, rho_pi))
        r = (1.0 - eps_tr) * r + eps_tr * beta * D if corrected else r_tilde
        estimate_next.append(sample_estimate(r, pi, rho_pi))
        pi_mce, _, _ = soft_value_iteration(mdp, r)
        pi, rho_pi = pi_tr, occupancy(mdp, pi_tr)
        errors.append(np.max(np.abs(pi_tr - pi_mce)))
        eps_trs.append(eps_tr)
        dual.append(dual_objective(mdp, r, rho_E, beta))
        kls.append(kl(rho_pi, rho_E))
    return TRIRLHistory(
        dual=np.array(dual),
        kl=np.array(kls),
        theorem_error=np.array(errors),
        eps_tr=np.array(eps_trs),
        estimate=np.array(estimate),
        estimate_next=np.array(estimate_next),
        reward=r,
        policy=pi,
    )
