"""Discriminator: gradient penalty on what the network sees, optimal logit = log density ratio, expert sampling."""

import math

import pytest
import torch

from trirl_isaac.algo.config import DiscriminatorCfg
from trirl_isaac.algo.discriminator import (
    Discriminator,
    DiscriminatorTrainer,
    fall_rows,
    fit_fresh,
    gradient_penalty,
)
from trirl_isaac.algo.expert import ExpertBuffer


def test_gradient_penalty_is_taken_in_normalised_space() -> None:
    d = Discriminator(3, [32], obs_normalization=True)
    d.train()
    d.update_normalization(torch.randn(1000, 3) * torch.tensor([10.0, 0.1, 1.0]))  # very unequal scales
    x_e, x_p = torch.randn(64, 3), torch.randn(64, 3)
    z_e, z_p = d.normalizer(x_e), d.normalizer(x_p)
    torch.manual_seed(3)
    gp = gradient_penalty(d, z_e, z_p)
    # reference: the same interpolates, gradient w.r.t. the normalised input z
    torch.manual_seed(3)
    alpha = torch.rand(64, 1)
    z_hat = (alpha * z_e + (1 - alpha) * z_p).requires_grad_(True)
    (g,) = torch.autograd.grad(d.logit_normalized(z_hat).sum(), z_hat)
    torch.testing.assert_close(gp, (g.norm(dim=-1) - 1).pow(2).mean())
    # the raw-input gradient differs by the normaliser's Jacobian (the bug this avoids)
    x_hat = d.normalizer.inverse(z_hat.detach()).requires_grad_(True)
    (g_raw,) = torch.autograd.grad(d(x_hat).sum(), x_hat)
    assert not torch.allclose(g_raw.norm(dim=-1), g.norm(dim=-1), rtol=0.05)


def test_bce_logit_recovers_log_density_ratio() -> None:
    # expert N(1, 1), policy N(0, 1): log ratio = x - 0.5
    expert = ExpertBuffer(torch.randn(20000, 1) + 1.0)
    policy = torch.randn(20000, 1)
    d = Discriminator(1, [32, 32], obs_normalization=True)
    cfg = DiscriminatorCfg(learning_rate=3e-3, num_epochs=30, num_mini_batches=10, grad_penalty=0.0)
    stats = DiscriminatorTrainer(d, cfg, least_squares=False).fit(policy, expert)
    x = torch.linspace(-1.0, 2.0, 31).unsqueeze(-1)
    with torch.no_grad():
        err = (d(x) - (x.squeeze(-1) - 0.5)).abs().max().item()
    assert err < 0.25, err
    assert 0.6 < stats["accuracy"] < 0.8  # Bayes accuracy for these two Gaussians is ~0.69
    assert stats["logit_expert"] > 0 > stats["logit_policy"]


def test_least_squares_targets_plus_minus_one() -> None:
    expert = ExpertBuffer(torch.randn(4000, 2) + 4.0)
    policy = torch.randn(4000, 2) - 4.0
    d = Discriminator(2, [32], obs_normalization=True)
    cfg = DiscriminatorCfg(learning_rate=3e-3, num_epochs=20, num_mini_batches=8, grad_penalty=0.0)
    stats = DiscriminatorTrainer(d, cfg, least_squares=True).fit(policy, expert)
    assert abs(stats["logit_expert"] - 1) < 0.1 and abs(stats["logit_policy"] + 1) < 0.1


def test_expert_sampling_with_replacement_is_uniform_for_large_batches() -> None:
    buf = ExpertBuffer(torch.arange(10.0).unsqueeze(-1))
    rows = buf.sample(100_000).squeeze(-1)
    counts = torch.bincount(rows.long(), minlength=10).float()
    assert counts.min() > 9000 and counts.max() < 11000  # no clamping to the last sample


def test_expert_buffer_rejects_bad_data(tmp_path) -> None:
    with pytest.raises(ValueError, match="NaN or Inf"):
        ExpertBuffer(torch.tensor([[0.0, math.nan]]))
    with pytest.raises(ValueError, match="non-empty"):
        ExpertBuffer(torch.zeros(0, 3))
    with pytest.raises(FileNotFoundError, match="expert data file not found"):
        ExpertBuffer.load(str(tmp_path / "none.h5"))
    path = str(tmp_path / "e.h5")
    ExpertBuffer(torch.randn(5, 3)).save(path, source="unit test")
    assert ExpertBuffer.load(path).features.shape == (5, 3)
    with pytest.raises(ValueError, match="unsupported"):
        (tmp_path / "e.csv").write_text("1,2")
        ExpertBuffer.load(str(tmp_path / "e.csv"))


def test_fit_fresh_separates_the_rows_with_new_weights_of_the_same_shape() -> None:
    torch.manual_seed(0)
    like = Discriminator(4, [16, 16], obs_normalization=True)
    before = {k: v.clone() for k, v in like.state_dict().items()}
    policy_x = torch.randn(512, 4) + torch.tensor([6.0, 0.0, 0.0, 0.0])
    expert = ExpertBuffer(torch.randn(512, 4))
    cfg = DiscriminatorCfg(hidden_dims=[16, 16], learning_rate=1e-3, num_epochs=5, num_mini_batches=4)
    disc, stats = fit_fresh(like, policy_x, expert, cfg, passes=4)
    assert stats["accuracy"] > 0.9 and stats["logit_expert"] > 0.0 > stats["logit_policy"]
    assert disc is not like and not disc.training
    assert disc.state_dict().keys() == like.state_dict().keys()
    assert all(torch.equal(v, before[k]) for k, v in like.state_dict().items())  # the template is not touched
    with pytest.raises(ValueError, match="passes must be >= 1"):
        fit_fresh(like, policy_x, expert, cfg, passes=0)


def test_fall_rows_pair_policy_states_and_the_absorbing_state_with_the_absorbing_state() -> None:
    x = torch.arange(40.0).view(10, 4) + 1.0  # (s, s') rows, s = columns 0-1
    absorbing = torch.tensor([0.0, 1.0])
    rows = fall_rows(x, absorbing, 0.4)
    assert rows.shape == (4, 4)
    torch.testing.assert_close(rows[:, 2:], absorbing.expand(4, 2))  # every one leads to the absorbing state
    assert all(any(torch.equal(r[:2], s) for s in x[:, :2]) for r in rows[:2])  # (s, absorbing): s from the rows
    torch.testing.assert_close(rows[2:, :2], absorbing.expand(2, 2))  # (absorbing, absorbing)
    assert fall_rows(x, absorbing, 0.0).shape == (0, 4)
    with pytest.raises(ValueError, match=r"absorbing_share must lie in \[0, 1\)"):
        fall_rows(x, absorbing, 1.0)


def test_gradient_penalty_on_a_subsample_of_rows(monkeypatch) -> None:
    """``grad_penalty_rows`` k: the penalty sees k interpolates per mini-batch (all rows when 0 or >= the batch), the
    classification loss still every row; a fit with it still separates the two samples."""
    import trirl_isaac.algo.discriminator as dm

    seen: list[int] = []
    real = dm.gradient_penalty

    def spy(disc, z_e, z_p):
        assert z_e.shape == z_p.shape
        seen.append(z_e.shape[0])
        return real(disc, z_e, z_p)

    monkeypatch.setattr(dm, "gradient_penalty", spy)
    expert = ExpertBuffer(torch.randn(4000, 3) + 2.0)
    policy = torch.randn(1024, 3)
    for rows, expected in ((0, 256), (64, 64), (500, 256)):
        seen.clear()
        cfg = DiscriminatorCfg(learning_rate=3e-3, num_epochs=3, num_mini_batches=4, grad_penalty=0.1,
                               grad_penalty_rows=rows)  # fmt: skip
        d = Discriminator(3, [32], obs_normalization=True)
        stats = DiscriminatorTrainer(d, cfg, least_squares=False).fit(policy, expert)
        assert seen == [expected] * 12, (rows, seen)
        assert stats["accuracy"] > 0.8 and stats["grad_penalty"] > 0.0


@pytest.mark.parametrize("rows", [-1, 2.5, True])
def test_bad_grad_penalty_rows_is_named(rows) -> None:
    from trirl_isaac.algo.config import ConfigError, TrirlCfg

    with pytest.raises(ConfigError, match="grad_penalty_rows must be an integer >= 0"):
        TrirlCfg.from_dict({"discriminator": {"grad_penalty_rows": rows}})
