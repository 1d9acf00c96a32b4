"""The density-ratio estimator: a logistic discriminator whose logit D(x) estimates log(rho_E(x) / rho_pi(x))."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from rsl_rl.modules import MLP, EmpiricalNormalization

from trirl_isaac.algo.config import DiscriminatorCfg
from trirl_isaac.algo.distributed import average_gradients
from trirl_isaac.algo.expert import ExpertSampler
from trirl_isaac.algo.reservoir import Reservoir


class Discriminator(nn.Module):
    """MLP logit on running-normalised transition features; ``shaped=True`` gives AIRL's g(s) + gamma h(s') - h(s)."""

    def __init__(
        self,
        input_dim: int,
        hidden_dims: list[int],
        activation: str = "elu",
        obs_normalization: bool = True,
        shaped: bool = False,
        gamma: float = 0.99,
    ) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.hidden_dims = list(hidden_dims)
        self.activation = activation
        self.obs_normalization = obs_normalization
        self.shaped = shaped
        self.gamma = gamma
        self.normalizer = EmpiricalNormalization(input_dim) if obs_normalization else nn.Identity()
        if shaped:
            if input_dim % 2:
                raise ValueError(f"AIRL's shaped discriminator needs (s, s') features of even size, got {input_dim}")
            half = input_dim // 2
            self.g = MLP(half, 1, hidden_dims, activation)
            self.h = MLP(half, 1, hidden_dims, activation)
        else:
            self.net = MLP(input_dim, 1, hidden_dims, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logit D(x) for raw features x of shape (..., input_dim)."""
        return self.logit_normalized(self.normalizer(x))

    def logit_normalized(self, z: torch.Tensor) -> torch.Tensor:
        """Logit for features already normalised (the input the network actually sees)."""
        if self.shaped:
            s, s_next = z.chunk(2, dim=-1)
            return (self.g(s) + self.gamma * self.h(s_next) - self.h(s)).squeeze(-1)
        return self.net(z).squeeze(-1)

    def update_normalization(self, x: torch.Tensor) -> None:
        """Update the running input statistics."""
        if isinstance(self.normalizer, EmpiricalNormalization):
            self.normalizer.update(x)


def classification_loss(logit_expert: torch.Tensor, logit_policy: torch.Tensor, least_squares: bool) -> torch.Tensor:
    """BCE with expert = 1, policy = 0 (optimal logit: log rho_E/rho_pi); or AMP's least squares to +1 / -1."""
    if least_squares:
        return 0.5 * ((logit_expert - 1.0).pow(2).mean() + (logit_policy + 1.0).pow(2).mean())
    return 0.5 * (
        F.binary_cross_entropy_with_logits(logit_expert, torch.ones_like(logit_expert))
        + F.binary_cross_entropy_with_logits(logit_policy, torch.zeros_like(logit_policy))
    )


def gradient_penalty(disc: Discriminator, z_expert: torch.Tensor, z_policy: torch.Tensor) -> torch.Tensor:
    """(||grad_z D(z_hat)|| - 1)^2 at random interpolates, z being the normalised input the network sees."""
    alpha = torch.rand(z_expert.shape[0], 1, device=z_expert.device)
    z_hat = (alpha * z_expert + (1.0 - alpha) * z_policy).detach().requires_grad_(True)
    logit = disc.logit_normalized(z_hat)
    (grad,) = torch.autograd.grad(logit.sum(), z_hat, create_graph=True)
    return (grad.norm(dim=-1) - 1.0).pow(2).mean()


class DiscriminatorTrainer:
    """Fits D on one rollout against expert samples drawn with replacement (warm-started across iterations).

    With ``cfg.replay_size`` > 0 a reservoir of past rollouts' rows supplies ``cfg.replay_fraction`` of every
    mini-batch's policy rows; the rollout is offered to the reservoir after the fit."""

    def __init__(self, disc: Discriminator, cfg: DiscriminatorCfg, least_squares: bool) -> None:
        self.disc = disc
        self.cfg = cfg
        self.least_squares = least_squares
        self.optimizer = torch.optim.Adam(disc.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
        self.replay = Reservoir(cfg.replay_size) if cfg.replay_size > 0 else None

    def fit(self, policy_x: torch.Tensor, expert: ExpertSampler) -> dict[str, float]:
        """Train on the rollout's features ``policy_x`` (N, F); returns loss/accuracy/mean-logit statistics."""
        n = policy_x.shape[0]
        self.disc.train()
        self.disc.update_normalization(torch.cat([policy_x, expert.sample(n)], dim=0))
        mb = max(1, n // self.cfg.num_mini_batches)
        sums = {"loss": 0.0, "grad_penalty": 0.0}
        updates = 0
        for _ in range(self.cfg.num_epochs):
            perm = torch.randperm(n, device=policy_x.device)
            for k in range(self.cfg.num_mini_batches):
                idx = perm[k * mb : (k + 1) * mb]
                if idx.numel() == 0:
                    continue
                rows = policy_x[idx]
                if self.replay is not None and self.replay.rows() is not None:
                    past = int(round(self.cfg.replay_fraction * idx.numel()))
                    rows = torch.cat([rows[: idx.numel() - past], self.replay.sample(past)], dim=0)
                z_pol = self.disc.normalizer(rows)
                z_exp = self.disc.normalizer(expert.sample(idx.numel()))
                loss = classification_loss(
                    self.disc.logit_normalized(z_exp), self.disc.logit_normalized(z_pol), self.least_squares
                )
                gp = torch.zeros(())
                if self.cfg.grad_penalty > 0:
                    k = int(self.cfg.grad_penalty_rows)
                    if 0 < k < z_exp.shape[0]:  # a random subset (with replay the policy rows come in two blocks)
                        sub = torch.randperm(z_exp.shape[0], device=z_exp.device)[:k]
                        gp = gradient_penalty(self.disc, z_exp[sub], z_pol[sub])
                    else:
                        gp = gradient_penalty(self.disc, z_exp, z_pol)
                self.optimizer.zero_grad()
                (loss + self.cfg.grad_penalty * gp).backward()
                average_gradients(self.disc.parameters())  # multi-process: every rank takes the same step
                self.optimizer.step()
                sums["loss"] += loss.item()
                sums["grad_penalty"] += gp.item()
                updates += 1
        if self.replay is not None:
            self.replay.add(policy_x)
        with torch.no_grad():
            self.disc.eval()
            logit_pol = self.disc(policy_x)
            logit_exp = self.disc(expert.sample(n))
        return {
            "loss": sums["loss"] / max(updates, 1),
            "grad_penalty": sums["grad_penalty"] / max(updates, 1),
            "accuracy": 0.5 * ((logit_exp > 0).float().mean() + (logit_pol < 0).float().mean()).item(),
            "logit_expert": logit_exp.mean().item(),
            "logit_policy": logit_pol.mean().item(),
        }


def fit_fresh(
    like: Discriminator, policy_x: torch.Tensor, expert: ExpertSampler, cfg: DiscriminatorCfg, passes: int
) -> tuple[Discriminator, dict[str, float]]:
    """A new discriminator of ``like``'s architecture (fresh weights and statistics) fitted by
    :class:`DiscriminatorTrainer` for ``passes`` calls on the fixed rows ``policy_x`` against ``expert``; returns it
    in eval mode with the last call's statistics. What a reward repair folds in (``LearnedReward.folded``)."""
    if passes < 1:
        raise ValueError(f"passes must be >= 1, got {passes}")
    disc = Discriminator(like.input_dim, like.hidden_dims, like.activation, like.obs_normalization, like.shaped,
                         like.gamma).to(policy_x.device)  # fmt: skip
    trainer = DiscriminatorTrainer(disc, cfg, least_squares=False)
    stats: dict[str, float] = {}
    for _ in range(passes):
        stats = trainer.fit(policy_x, expert)
    return disc.eval(), stats


def fall_rows(x: torch.Tensor, absorbing: torch.Tensor, share: float) -> torch.Tensor:
    """``share`` x len(x) fall transitions built from the (s, s') rows ``x`` and the absorbing state's features
    ``absorbing`` (F/2,): half (s, absorbing) with s from random rows of x, half (absorbing, absorbing)."""
    if not 0.0 <= share < 1.0:
        raise ValueError(f"absorbing_share must lie in [0, 1), got {share}")
    n = round(share * x.shape[0])
    half = x.shape[1] // 2
    if n == 0:
        return x[:0]
    s = x[torch.randint(0, x.shape[0], (n,)), :half]
    s[n // 2 :] = absorbing
    return torch.cat([s, absorbing.expand(n, half)], dim=-1)
