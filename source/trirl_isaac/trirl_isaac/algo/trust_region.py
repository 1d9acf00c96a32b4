"""Differentiable trust-region projection for diagonal Gaussian policies (Otto et al., ICLR 2021, KL variant).

The projected policy pi~ is the closest policy (in KL) to the network's pi_theta that satisfies, per state,
    mean part of KL(pi~ || pi_old) <= mean_bound  and  covariance part of KL(pi~ || pi_old) <= cov_bound.
Each constraint has a multiplier: omega for the mean (closed form) and eta_cov for the covariance (a 1-D dual solved
by bisection). TRIRL uses eta = max(omega, eta_cov) as the trust-region multiplier in eps_tr = eps / (1 + eta).
"""

from __future__ import annotations

import torch


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


def project_cov(
    std: torch.Tensor, std_old: torch.Tensor, bound: float, iters: int = 60, eta_max: float = 1.0e6
) -> tuple[torch.Tensor, torch.Tensor]:
    """KL covariance projection; returns (std_projected, eta_cov), eta_cov solving cov_kl_part(std~) = bound.

    eta_cov is found by bisection (the constraint value falls monotonically in eta) and treated as a constant
    for the gradient, which flows through the precision interpolation.
    """
    std, std_old = torch.broadcast_tensors(std, std_old)
    with torch.no_grad():
        outside = cov_kl_part(std, std_old) > bound
        lo = torch.zeros(std.shape[:-1], dtype=std.dtype, device=std.device)
        hi = torch.ones_like(lo)
        while True:  # grow the bracket until every violating state is inside the bound at hi
            too_far = outside & (cov_kl_part(_interpolate_std(std, std_old, hi), std_old) > bound)
            if not too_far.any() or hi.max() >= eta_max:
                break
            hi = torch.where(too_far, hi * 4.0, hi)
        for _ in range(iters):
            mid = 0.5 * (lo + hi)
            above = cov_kl_part(_interpolate_std(std, std_old, mid), std_old) > bound
            lo = torch.where(above, mid, lo)
            hi = torch.where(above, hi, mid)
        eta = torch.where(outside, hi, torch.zeros_like(hi))
    return _interpolate_std(std, std_old, eta), eta


def gaussian_kl(mu_p: torch.Tensor, std_p: torch.Tensor, mu_q: torch.Tensor, std_q: torch.Tensor) -> torch.Tensor:
    """KL(N(mu_p, std_p) || N(mu_q, std_q)) for diagonal Gaussians, summed over the last dimension."""
    return mean_kl_part(mu_p, mu_q, std_q) + cov_kl_part(std_p, std_q)
