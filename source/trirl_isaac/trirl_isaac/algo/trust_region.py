"""Differentiable trust-region projection for diagonal Gaussian policies (Otto et al., ICLR 2021, KL variant).

The projected policy pi~ is the closest policy (in KL) to the network's pi_theta that satisfies, per state,
    mean part of KL(pi~ || pi_old) <= mean_bound  and  covariance part of KL(pi~ || pi_old) <= cov_bound.
Each constraint has a multiplier: omega for the mean (closed form) and eta_cov for the covariance (a 1-D dual solved
by bisection). TRIRL uses eta = max(omega, eta_cov) as the trust-region multiplier in eps_tr = eps / (1 + eta).
An optional entropy lower bound (:func:`project_entropy`) is applied after both.
"""

from __future__ import annotations

import math

import torch

_ENTROPY_PER_DIM_UNIT_STD = 0.5 * math.log(2.0 * math.pi * math.e)
"""Entropy of a one-dimensional standard normal (nats)."""


def mean_kl_part(mu: torch.Tensor, mu_old: torch.Tensor, std_old: torch.Tensor) -> torch.Tensor:
    """Mahalanobis term 0.5 * sum(((mu_old - mu) / sigma_old)^2) per state."""
    return 0.5 * ((mu_old - mu) / std_old).pow(2).sum(-1)


def cov_kl_part(std: torch.Tensor, std_old: torch.Tensor) -> torch.Tensor:
    """Covariance term of KL(N(., std) || N(., std_old)): 0.5 * sum(ratio - 1 - log ratio), ratio = var / var_old."""
    ratio = (std / std_old).pow(2)
    return 0.5 * (ratio - 1.0 - torch.log(ratio)).sum(-1)


def project_mean(
    mu: torch.Tensor, mu_old: torch.Tensor, std_old: torch.Tensor, bound: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Closed-form mean projection; returns (mu_projected, omega) with omega = 0 inside the bound."""
    maha = mean_kl_part(mu, mu_old, std_old)
    # clamp inside the sqrt: where() would otherwise back-propagate sqrt's infinite slope at 0 as NaN
    omega = torch.sqrt((maha / bound).clamp(min=1.0)) - 1.0
    w = omega.unsqueeze(-1)
    return (mu + w * mu_old) / (1.0 + w), omega


def _interpolate_std(std: torch.Tensor, std_old: torch.Tensor, eta: torch.Tensor) -> torch.Tensor:
    """Precision interpolation 1/var~ = (eta/var_old + 1/var) / (1 + eta), the KL projection's covariance."""
    e = eta.unsqueeze(-1)
    precision = (e / std_old.pow(2) + 1.0 / std.pow(2)) / (1.0 + e)
    return precision.rsqrt()


_GRID = 64
"""Candidates per grid-refinement round of the covariance dual (one state): each round shrinks the bracket 64-fold."""


def project_cov(
    std: torch.Tensor, std_old: torch.Tensor, bound: float, iters: int = 60, eta_max: float = 1.0e6
) -> tuple[torch.Tensor, torch.Tensor]:
    """KL covariance projection; returns (std_projected, eta_cov), eta_cov solving cov_kl_part(std~) = bound.

    eta_cov is bracketed, then found by bisection (``iters`` steps; the constraint value falls monotonically in
    eta), and treated as a constant for the gradient, which flows through the precision interpolation. With a
    state-independent std (rsl_rl's default: every row of std and of std_old is the same) the dual is solved once,
    on a grid (five rounds of 64 candidates at once, a 1e9-fold smaller bracket in five vectorised steps), and
    broadcast: ~0.8 ms per call instead of ~5 ms on one CPU thread for a 384-state minibatch.
    """
    std, std_old = torch.broadcast_tensors(std, std_old)
    with torch.no_grad():
        eta = _shared_row_eta(std, std_old, bound, eta_max)
        if eta is None:
            lo, hi, outside = _bracket(std, std_old, bound, eta_max)
            eta = torch.where(outside, _bisect(std, std_old, bound, lo, hi, iters), torch.zeros_like(hi))
    return _interpolate_std(std, std_old, eta), eta


def _shared_row_eta(std: torch.Tensor, std_old: torch.Tensor, bound: float, eta_max: float) -> torch.Tensor | None:
    """eta_cov for all states from one row when std and std_old do not vary over states; otherwise None."""
    if std.dim() < 2 or std.shape[:-1].numel() <= 1:
        return None
    s, s_old = std.reshape(-1, std.shape[-1]), std_old.reshape(-1, std.shape[-1])
    if not (torch.equal(s, s[:1].expand_as(s)) and torch.equal(s_old, s_old[:1].expand_as(s_old))):
        return None
    row, row_old = s[:1], s_old[:1]
    lo, hi, outside = _bracket(row, row_old, bound, eta_max)
    eta = torch.where(outside, _grid_refine(row, row_old, bound, lo, hi, rounds=5), torch.zeros_like(hi))
    return eta.expand(std.shape[:-1])


def _bracket(
    std: torch.Tensor, std_old: torch.Tensor, bound: float, eta_max: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(lo, hi, outside): per state, the bound is violated at lo = 0 and met at hi (states outside the bound)."""
    outside = cov_kl_part(std, std_old) > bound
    lo = torch.zeros(std.shape[:-1], dtype=std.dtype, device=std.device)
    hi = torch.ones_like(lo)
    while True:  # grow the bracket until every violating state is inside the bound at hi
        too_far = outside & (cov_kl_part(_interpolate_std(std, std_old, hi), std_old) > bound)
        if not too_far.any() or hi.max() >= eta_max:
            break
        hi = torch.where(too_far, hi * 4.0, hi)
    return lo, hi, outside


def _bisect(
    std: torch.Tensor, std_old: torch.Tensor, bound: float, lo: torch.Tensor, hi: torch.Tensor, iters: int
) -> torch.Tensor:
    """Shrink every state's bracket by halving; returns the end that meets the bound."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        above = cov_kl_part(_interpolate_std(std, std_old, mid), std_old) > bound
        lo = torch.where(above, mid, lo)
        hi = torch.where(above, hi, mid)
    return hi


def _grid_refine(
    std: torch.Tensor, std_old: torch.Tensor, bound: float, lo: torch.Tensor, hi: torch.Tensor, rounds: int
) -> torch.Tensor:
    """Shrink the bracket ``_GRID``-fold per round by testing ``_GRID`` candidates at once (few states only)."""
    grid = torch.arange(1, _GRID + 1, dtype=std.dtype, device=std.device) / _GRID  # (G,), ends at 1
    s, s_old = std.unsqueeze(-2), std_old.unsqueeze(-2)  # (..., 1, A) against (..., G) candidates
    for _ in range(rounds):
        cand = lo.unsqueeze(-1) + (hi - lo).unsqueeze(-1) * grid  # (..., G); cand[..., -1] = hi
        above = cov_kl_part(_interpolate_std(s, s_old, cand), s_old) > bound  # True on a prefix
        k = above.sum(-1, keepdim=True).clamp(max=_GRID - 1)  # first candidate inside the bound
        lo = torch.where(k.squeeze(-1) > 0, cand.gather(-1, (k - 1).clamp(min=0)).squeeze(-1), lo)
        hi = cand.gather(-1, k).squeeze(-1)
    return hi


def gaussian_entropy(std: torch.Tensor) -> torch.Tensor:
    """Entropy of a diagonal Gaussian, summed over the last dimension (nats)."""
    return (torch.log(std) + _ENTROPY_PER_DIM_UNIT_STD).sum(-1)


def project_entropy(std: torch.Tensor, floor_per_dim: float) -> torch.Tensor:
    """Entropy inequality projection (Otto et al. 2021): where H(N(., std)) < d * floor_per_dim, scale the state's
    std by exp((d * floor_per_dim - H) / d), which puts its entropy on the bound; elsewhere std is unchanged.
    Differentiable: below the bound the overall scale is fixed and the gradient shapes the ratios between dims."""
    d = std.shape[-1]
    gap = (d * floor_per_dim - gaussian_entropy(std)).clamp(min=0.0) / d
    return std * torch.exp(gap).unsqueeze(-1)


def scheduled_entropy_floor(floor: float | None, start: float | None, iterations: int, iteration: int) -> float | None:
    """The entropy bound per action dimension at ``iteration``: ``floor`` (None: no bound), or with ``start`` a
    linear fall from ``start`` to ``floor`` over ``iterations``, constant after."""
    if floor is None:
        return None
    if start is None:
        return float(floor)
    frac = min(1.0, iteration / iterations)
    return float(start + (floor - start) * frac)


def has_std_parameter(distribution) -> bool:
    """Whether an rsl_rl distribution has a state-independent std parameter (what :func:`lift_std_to_entropy` moves)."""
    return any(hasattr(distribution, n) for n in ("std_param", "log_std_param"))


@torch.no_grad()
def lift_std_to_entropy(distribution, floor_per_dim: float) -> float:
    """Put a state-independent Gaussian std parameter (rsl_rl's ``std_param`` or ``log_std_param``) onto the
    entropy bound ``floor_per_dim`` (nats per dimension) where its entropy has fallen below it, scaling every std
    by the same factor; returns the lift in log-std (0 when the bound holds)."""
    # a scalar std is clamped as the distribution clamps it when sampling (a negative parameter is not NaN here)
    log_std = (
        distribution.log_std_param
        if hasattr(distribution, "log_std_param")
        else distribution.std_param.clamp(min=1e-6).log()
    )
    d = log_std.numel()
    gap = max(0.0, d * floor_per_dim - float(gaussian_entropy(log_std.exp()))) / d
    if hasattr(distribution, "log_std_param"):
        distribution.log_std_param.add_(gap)
    else:
        distribution.std_param.mul_(math.exp(gap))
    return gap


def gaussian_kl(mu_p: torch.Tensor, std_p: torch.Tensor, mu_q: torch.Tensor, std_q: torch.Tensor) -> torch.Tensor:
    """KL(N(mu_p, std_p) || N(mu_q, std_q)) for diagonal Gaussians, summed over the last dimension."""
    return mean_kl_part(mu_p, mu_q, std_q) + cov_kl_part(std_p, std_q)
