"""Trust-region projection: inside the bound nothing changes (eta = 0), outside the result lies on the bound."""

import torch

from trirl_isaac.algo.trust_region import (
    cov_kl_part,
    gaussian_entropy,
    gaussian_kl,
    mean_kl_part,
    project_cov,
    project_entropy,
    project_mean,
)


def test_mean_projection_inside_bound_is_identity_with_zero_multiplier() -> None:
    mu_old, std_old = torch.zeros(64, 3), torch.ones(64, 3)
    mu = 0.01 * torch.randn(64, 3)
    assert (mean_kl_part(mu, mu_old, std_old) < 0.05).all()
    mu_p, omega = project_mean(mu, mu_old, std_old, bound=0.05)
    assert torch.equal(mu_p, mu)
    assert torch.equal(omega, torch.zeros(64))


def test_mean_projection_outside_bound_lands_on_bound_with_closed_form_multiplier() -> None:
    mu_old, std_old = torch.randn(128, 4), 0.2 + torch.rand(128, 4)
    mu = mu_old + 2.0 * torch.randn(128, 4)
    bound = 0.01
    maha = mean_kl_part(mu, mu_old, std_old)
    assert (maha > bound).all()
    mu_p, omega = project_mean(mu, mu_old, std_old, bound)
    torch.testing.assert_close(mean_kl_part(mu_p, mu_old, std_old), torch.full((128,), bound), rtol=1e-4, atol=1e-7)
    torch.testing.assert_close(omega, torch.sqrt(maha / bound) - 1.0)
    # the projection moves along the straight line between the new and the old mean
    expected = (mu + omega[:, None] * mu_old) / (1 + omega[:, None])
    torch.testing.assert_close(mu_p, expected)


def test_mean_projection_gradient_is_finite_at_the_old_policy() -> None:
    mu_old, std_old = torch.zeros(8, 2), torch.ones(8, 2)
    mu = mu_old.clone().requires_grad_(True)
    mu_p, _ = project_mean(mu, mu_old, std_old, bound=0.1)
    mu_p.sum().backward()
    assert torch.isfinite(mu.grad).all()


def test_cov_projection_inside_bound_unchanged_outside_on_bound() -> None:
    std_old = torch.full((3, 5), 0.5)
    std = torch.stack([std_old[0] * 1.01, std_old[1] * 3.0, std_old[2] * 0.2])
    bound = 0.01
    std_p, eta = project_cov(std, std_old, bound)
    assert eta[0] == 0 and torch.equal(std_p[0], std[0])
    assert (eta[1:] > 0).all()
    torch.testing.assert_close(cov_kl_part(std_p[1:], std_old[1:]), torch.full((2,), bound), rtol=1e-5, atol=1e-8)
    # the interpolated variance lies between the old and the new one
    assert ((std_p[1] > std_old[1]) & (std_p[1] < std[1])).all()
    assert ((std_p[2] < std_old[2]) & (std_p[2] > std[2])).all()


def test_cov_projection_has_gradients() -> None:
    std_old = torch.full((4, 2), 0.5)
    log_std = torch.log(torch.full((4, 2), 2.0)).requires_grad_(True)
    std_p, _ = project_cov(log_std.exp(), std_old, 0.005)
    std_p.sum().backward()
    assert torch.isfinite(log_std.grad).all() and log_std.grad.abs().sum() > 0


def test_gaussian_kl_matches_torch() -> None:
    mu_p, mu_q = torch.randn(10, 3), torch.randn(10, 3)
    s_p, s_q = 0.1 + torch.rand(10, 3), 0.1 + torch.rand(10, 3)
    ref = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu_p, s_p), torch.distributions.Normal(mu_q, s_q)
    )
    torch.testing.assert_close(gaussian_kl(mu_p, s_p, mu_q, s_q), ref.sum(-1))


def test_cov_projection_with_a_state_independent_std_matches_the_per_state_solution() -> None:
    torch.manual_seed(0)
    for _ in range(20):  # the shared-row grid solve agrees with per-state bisection
        row_old = torch.rand(6) + 0.2
        row = row_old * torch.exp(torch.randn(6) * 0.5)
        bound = float(torch.rand(()) * 0.01 + 1e-4)
        std_old, std = row_old.expand(200, 6).clone(), row.expand(200, 6)
        std_p, eta = project_cov(std, std_old, bound)  # solved once (grid) and broadcast
        single_p, single_eta = project_cov(row[None], row_old[None], bound)  # one state: per-state bisection
        assert eta.shape == (200,) and torch.equal(eta, eta[:1].expand(200))
        torch.testing.assert_close(eta, single_eta.expand(200), rtol=1e-6, atol=1e-9)
        torch.testing.assert_close(std_p, single_p.expand(200, 6), rtol=1e-6, atol=1e-9)
        if single_eta.item() > 0:
            torch.testing.assert_close(cov_kl_part(std_p, std_old), torch.full((200,), bound), rtol=1e-4, atol=1e-8)
    # rows that differ are solved each on its own (the shared-row shortcut must not apply)
    mixed = std.clone()
    mixed[7] = row_old * 3.0
    mixed_p, mixed_eta = project_cov(mixed, std_old, 0.003)
    ref_p, ref_eta = project_cov(mixed[7:8], std_old[7:8], 0.003)
    assert torch.equal(mixed_eta[7], ref_eta[0]) and mixed_eta[7] != mixed_eta[0]
    torch.testing.assert_close(cov_kl_part(mixed_p, std_old), torch.full((200,), 0.003), rtol=1e-4, atol=1e-8)


def test_entropy_projection_lifts_only_the_states_below_the_floor_onto_it() -> None:
    torch.manual_seed(0)
    std = torch.cat([torch.full((5, 3), 0.1), torch.full((5, 3), 2.0)]) * torch.rand(10, 3).add(0.5)
    floor = 0.5  # nats per dimension
    out = project_entropy(std, floor)
    low = gaussian_entropy(std) < 3 * floor
    assert low[:5].all() and not low[5:].any()
    torch.testing.assert_close(gaussian_entropy(out[low]), torch.full((5,), 3 * floor))
    assert torch.equal(out[~low], std[~low])
    torch.testing.assert_close(out[low] / out[low][:, :1], std[low] / std[low][:, :1])  # the shape is kept
    # matches torch's entropy of the Normal
    torch.testing.assert_close(gaussian_entropy(std), torch.distributions.Normal(0.0, std).entropy().sum(-1))


def test_entropy_projection_has_gradients_on_the_dims_ratios() -> None:
    std = torch.tensor([[0.1, 0.2]], requires_grad=True)
    out = project_entropy(std, 0.5)
    out[0, 0].backward()
    assert torch.isfinite(std.grad).all() and std.grad.abs().sum() > 0
