"""TRIRL as an rsl_rl algorithm: ``algorithm.class_name = "trirl_isaac.algo.trirl:TRIRL"``.

One iteration reads like the algorithm box of the paper:

1. roll out pi_i                                           (runner -> act / process_env_step)
2. fit D_i ~ log(rho_E / rho_pi_i) on that rollout          (compute_returns -> DiscriminatorTrainer.fit)
3. r~ = (1 - eps) r_i + eps * beta * D_i, relabel rewards   (compute_returns, before GAE)
4. trust-region policy step on r~ -> pi_{i+1}, eta          (update: PPO + projection, or KL penalty)
5. eps_tr = eps / (1 + eta)                                 (update)
6. r_{i+1} = (1 - eps_tr) r_i + eps_tr * beta * D_i         (update -> RewardChain.append)

All rewards here are in policy units (divided by beta), so beta never multiplies D: the policy sees r / beta.
The environment's own reward is ignored for learning (it is still logged by the runner as Train/mean_reward).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn as nn
from rsl_rl.algorithms import PPO
from rsl_rl.env import VecEnv
from rsl_rl.models import MLPModel
from rsl_rl.storage import RolloutStorage
from rsl_rl.utils import resolve_class, resolve_obs_groups
from tensordict import TensorDict

from trirl_isaac.algo.config import ConfigError, TrirlCfg
from trirl_isaac.algo.discriminator import Discriminator, DiscriminatorTrainer
from trirl_isaac.algo.distributed import broadcast_module, reduce_scalar
from trirl_isaac.algo.expert import ExpertBuffer, ExpertSampler, env_part
from trirl_isaac.algo.reward import (
    LearnedReward,
    RewardAverage,
    RewardChain,
    fold_term,
    regression_rows,
    transform,
)
from trirl_isaac.algo.trust_region import (
    gaussian_kl,
    has_std_parameter,
    lift_std_to_entropy,
    project_cov,
    project_entropy,
    project_mean,
    scheduled_entropy_floor,
)

CorrectionCallback = Callable[[dict[str, float], LearnedReward], None]


class TrainingDivergedError(FloatingPointError):
    """A NaN or Inf reached the observations, rewards, discriminator, losses or networks; nothing was saved after it."""


def _require_finite(what: str, value: torch.Tensor | float, iteration: int) -> None:
    finite = torch.isfinite(value).all() if isinstance(value, torch.Tensor) else math.isfinite(value)
    if not finite:
        raise TrainingDivergedError(
            f"{what} is NaN or Inf at iteration {iteration}: training stopped before writing a checkpoint "
            "(the last one written is intact; resume from it with a lower learning rate or fix the input)"
        )


class TRIRL(PPO):
    """PPO with a learned, trust-region-corrected reward (and GAIL/AIRL/AMP through the same code path)."""

    def __init__(
        self,
        actor: MLPModel,
        critic: MLPModel,
        storage: RolloutStorage,
        discriminator: Discriminator,
        expert: ExpertSampler,
        trirl_cfg: TrirlCfg | dict | None = None,
        **ppo_kwargs: Any,
    ) -> None:
        if ppo_kwargs.get("rnd_cfg") or ppo_kwargs.get("symmetry_cfg"):
            raise ConfigError("TRIRL does not support rsl_rl's RND or symmetry extensions")
        super().__init__(actor, critic, storage, **ppo_kwargs)
        if actor.is_recurrent or critic.is_recurrent:
            raise ConfigError("TRIRL's trust-region update supports MLP actors and critics, not recurrent models")
        if self.use_mixed_precision:
            raise ConfigError("TRIRL does not support rsl_rl's mixed precision (the projection needs float32)")
        self.trirl_cfg = TrirlCfg.from_dict(trirl_cfg)
        cfg = self.trirl_cfg
        if actor.distribution is None or not hasattr(actor.distribution, "std_type"):
            raise ConfigError("TRIRL's trust-region update needs a Gaussian actor distribution")
        if cfg.trust_region.entropy_floor is not None and not has_std_parameter(actor.distribution):
            raise ConfigError(
                "trirl_cfg.trust_region.entropy_floor lifts a state-independent std parameter (rsl_rl's "
                f"GaussianDistribution); this actor's {type(actor.distribution).__name__} has none"
            )
        self.discriminator = discriminator.to(self.device)
        if expert.feature_dim != discriminator.input_dim:
            raise ConfigError(
                f"expert feature size {expert.feature_dim} does not match the environment's discriminator input "
                f"size {discriminator.input_dim} (disc_obs_group={cfg.disc_obs_group!r}, disc_input={cfg.disc_input!r})"
            )
        self.expert = expert
        self.disc_trainer = DiscriminatorTrainer(
            self.discriminator, cfg.discriminator, least_squares=cfg.method == "amp"
        )
        adversarial = cfg.method != "trirl"
        chain = RewardChain(
            self.discriminator,
            1 if adversarial else cfg.chain_length,
            None if adversarial else cfg.approximator,
            cfg.d_transform,
        )
        self.reward = LearnedReward(chain, cfg.method, cfg.beta)
        self.reward_average = (
            RewardAverage(self.discriminator, cfg.approximator, cfg.d_transform, power=cfg.average_power)
            if cfg.average_reward
            else None
        )
        if cfg.max_ent:  # the theory's temperature: entropy weighs 1 / beta in policy units
            if self.entropy_coef != 0.0:
                raise ConfigError(
                    f"trirl_cfg.max_ent sets the entropy bonus to 1/beta = {1.0 / cfg.beta:g}; PPO's entropy_coef "
                    f"({self.entropy_coef:g}) must then be 0"
                )
            self.entropy_coef = 1.0 / cfg.beta
            self.reward.metadata["temperature"] = self.entropy_coef  # what a retraining should optimise at
        self.iteration = 0
        self._restart_state: dict[str, Any] | None = None
        """With ``policy_restart_every``: the actor, critic, optimizer and rate the first update found (taken then,
        after a multi-process run's broadcast, so every rank restarts alike)."""
        self.callbacks: list[CorrectionCallback] = []
        # per-step buffers of the rollout (allocated here, outside inference mode, and filled with copy_)
        t, n = storage.num_transitions_per_env, storage.num_envs
        disc_dim = storage.observations[cfg.disc_obs_group].shape[-1]
        self._next_disc = torch.zeros(t, n, disc_dim, device=self.device)
        self._bootstrap = torch.zeros(t, n, device=self.device)
        self._env_rewards = torch.zeros(t, n, device=self.device)
        self._relabelled = torch.zeros(t, n, device=self.device)
        self._absorbing = torch.zeros(t, n, dtype=torch.bool, device=self.device)
        self._applied_actions = torch.zeros(t, n, storage.actions.shape[-1], device=self.device)
        # what compute_returns (steps 2-3) hands to update (steps 4-6), all over the rollout's T * N transitions
        self._x: torch.Tensor | None = None
        """The discriminator features (s, s') or (s, a) of the rollout, (T * N, F)."""
        self._d_new: torch.Tensor | None = None
        """D_i's logits on ``_x`` (fitted on this rollout, not yet in the chain)."""
        self._f_new: torch.Tensor | None = None
        """f(D_i) on ``_x``, what D_i adds to the fold (``d_transform``; the logits themselves by default)."""
        self._r_before: torch.Tensor | None = None
        """r_i on ``_x``, the reward before this iteration's correction (for the dual estimate)."""
        self._absorbing_row: torch.Tensor | None = None
        """The (absorbing, absorbing) features, (1, F), kept from the first rollout that held one: every later
        regression of the reward's networks includes it (``approximator.absorbing_share``)."""
        self.stats: dict[str, float] = {}
        """This iteration's logged statistics (the discriminator's, then the update's)."""
        self.stats_extra: dict[str, float] = {}
        """Statistics produced between the two steps (shaping, reuse of the env's reward, per-state eta)."""
        self.env_reward_is_learned = False
        """Set when the environment's reward is this algorithm's learned reward r_i (the Isaac Lab tasks)."""
        self._dual_expert_x: torch.Tensor | None = None
        self._dual_terms: torch.Tensor | None = None
        self._dual_synced: tuple[int, int] = (0, 0)
        self._dual_base: torch.Tensor | None = None
        self._dual_base_version = -1

    # ---------------------------------------------------------------- rollout
    def process_env_step(
        self, obs: TensorDict, rewards: torch.Tensor, dones: torch.Tensor, extras: dict[str, Any]
    ) -> None:
        """Record a step; keep the true next state s' (pre-reset observation at episode ends) for D."""
        step = self.storage.step
        group = self.trirl_cfg.disc_obs_group
        for key, value in obs.items():  # rsl_rl's own check sees NaN only, not Inf
            _require_finite(f"observation group '{key}'", value, self.iteration)
        _require_finite("the environment's reward", rewards, self.iteration)
        next_disc = obs[group]
        done = dones.bool().view(-1)
        final_obs = extras.get("final_obs")
        if done.any():
            if final_obs is None or group not in final_obs:
                raise RuntimeError(
                    "an episode ended but extras['final_obs'] holds no pre-reset observation for group "
                    f"{group!r}; (s, s') pairs would join two episodes. Enable the environment's compute_final_obs."
                )
            next_disc = torch.where(done.unsqueeze(-1), final_obs[group].to(self.device), next_disc)
        self._next_disc[step].copy_(next_disc)
        self._env_rewards[step].copy_(rewards.view(-1))
        # (absorbing, absorbing) steps end the episode and stand for the absorbing state's whole infinite tail
        absorbing = extras.get("absorbing")
        self._absorbing[step].copy_(absorbing.view(-1) if absorbing is not None else torch.zeros_like(done))
        # what the env executed (clipped; zero at absorbing steps), as the demos store it, for (s, a) features
        applied = extras.get("applied_actions")
        self._applied_actions[step].copy_(applied if applied is not None else self.transition.actions)
        # time-out bootstrap: gamma * V(s_T), with s_T the pre-reset observation when the env provides it
        self._bootstrap[step].zero_()
        time_outs = extras.get("time_outs")
        if time_outs is not None and time_outs.any():
            values = self.transition.values.view(-1)
            if final_obs is not None:
                fo = TensorDict({k: v.to(self.device) for k, v in final_obs.items()}, batch_size=[obs.batch_size[0]])
                values = self.critic(fo).view(-1)
            self._bootstrap[step].copy_(self.gamma * values * time_outs.view(-1).to(self.device).float())
        if absorbing is not None:  # an absorbing step's tail is closed form (compute_returns), never bootstrapped
            self._bootstrap[step].masked_fill_(self._absorbing[step], 0.0)
        self.transition.rewards = torch.zeros_like(rewards)  # relabelled with r~ after D is fitted
        self.transition.dones = dones
        self.storage.add_transition(self.transition)
        self.transition.clear()
        self.actor.reset(dones)
        self.critic.reset(dones)

    def disc_features(self) -> torch.Tensor:
        """The rollout's discriminator inputs, (T * N, F): (s, s') or (s, a)."""
        s = self.storage.observations[self.trirl_cfg.disc_obs_group]
        second = self._next_disc if self.trirl_cfg.disc_input == "state_next_state" else self._applied_actions
        return torch.cat([s, second], dim=-1).flatten(0, 1)

    # ---------------------------------------------------------------- steps 2-3: fit D, relabel with r~
    def compute_returns(self, obs: TensorDict) -> None:
        """Fit D_i on this rollout, relabel the rewards with r~ = (1 - eps) r_i + eps D_i, then compute GAE."""
        cfg = self.trirl_cfg
        with torch.inference_mode(False), torch.enable_grad():
            x = self.disc_features().clone()
            disc_stats = self.disc_trainer.fit(x, self.expert)
        with torch.no_grad():
            self._x = x
            if self._absorbing_row is None and self._absorbing.any():
                self._absorbing_row = x[self._absorbing.flatten()][:1].clone()
            self._d_new = self.discriminator.eval()(x)
            self._f_new = fold_term(cfg.d_transform, self._d_new)  # what D_i adds to the fold
            if cfg.method == "trirl":  # one pass over the K snapshots; the pending D_i enters with the full eps
                self._r_before = self._current_reward(x)
                eps = self.reward_step()
                r_tilde = (1.0 - eps) * self._r_before + eps * self._f_new
            else:  # adversarial baselines: the reward is a transform of the current discriminator only
                r_tilde = transform(cfg.method, self._d_new)
                self._r_before = r_tilde
            self._relabelled.copy_(r_tilde.view_as(self._relabelled))
            self._shape_absorbing_and_center(cfg)
            # closed-form absorbing tail: r_abs + gamma r_abs + ... = r_abs / (1 - gamma), no bootstrap needed
            self._relabelled[self._absorbing] /= 1.0 - self.gamma
            self.storage.rewards.copy_((self._relabelled + self._bootstrap).unsqueeze(-1))
        for key, value in disc_stats.items():
            _require_finite(f"the discriminator's {key}", value, self.iteration)
        _require_finite("the discriminator's logits on the rollout", self._d_new, self.iteration)
        self.stats = {f"disc_{k}": v for k, v in disc_stats.items()} | self.stats_extra
        self.stats["reward_tilde_mean"] = r_tilde.mean().item()
        self.stats["env_reward_mean"] = self._env_rewards.mean().item()
        super().compute_returns(obs)

    def _shape_absorbing_and_center(self, cfg: TrirlCfg) -> None:
        """The per-step options applied to the relabelled rewards before the absorbing tails are closed
        (``absorbing_floor``, then ``center_reward``); their values are logged."""
        lived = ~self._absorbing
        r = self._relabelled
        if self._absorbing.any():
            self.stats_extra["absorbing_reward_raw"] = r[self._absorbing].mean().item()
            if cfg.absorbing_worst and lived.any():  # the worst lived step, for the whole tail
                r[self._absorbing] = r[lived].min()
            elif cfg.absorbing_floor and lived.any():
                floor = r[lived].min()
                r[self._absorbing] = torch.maximum(r[self._absorbing], floor)
                self.stats_extra["absorbing_floor"] = floor.item()
                self.reward.metadata["absorbing_floor"] = floor.item()  # a frozen reward prices falls alike
        if cfg.center_reward and lived.any():
            center = r[lived].mean()
            r -= center
            self.stats_extra["reward_center"] = center.item()
            self.reward.metadata["reward_center"] = center.item()

    def add_reward_consumer(self, consumer: Callable[[LearnedReward], None]) -> None:
        """Hand ``consumer`` the current reward now and every corrected reward after each iteration."""
        self.callbacks.append(lambda stats, reward: consumer(reward))
        consumer(self.reward)

    def notify(self, stats: dict[str, float]) -> None:
        """The reward-correction event: every callback gets the iteration's statistics and the corrected reward
        (``stats`` is empty when the reward changed without an iteration, e.g. after loading a checkpoint)."""
        for cb in self.callbacks:
            cb(stats, self.reward)

    def _current_reward(self, x: torch.Tensor) -> torch.Tensor:
        """r_i on the rollout. An env whose reward IS the learned reward (``env_reward_is_learned``) already
        evaluated it during the rollout: reuse those values after checking a random subsample against the chain."""
        if self.env_reward_is_learned and len(self.reward.chain):
            r_env = self._env_rewards.flatten()
            idx = torch.randint(0, x.shape[0], (min(64, x.shape[0]),), device=x.device)
            r_check = self.reward.chain(x[idx])
            if torch.allclose(r_env[idx], r_check, rtol=1e-4, atol=1e-4):
                self.stats_extra["env_reward_reused"] = 1.0
                return r_env.clone()
        self.stats_extra["env_reward_reused"] = 0.0
        return self.reward.chain(x)

    # ---------------------------------------------------------------- steps 4-6: trust-region step, correction
    def reward_step(self) -> float:
        """This iteration's eps: constant, or eps * c / (c + i) with ``eps_halving`` = c."""
        c = self.trirl_cfg.eps_halving
        return self.trirl_cfg.eps if c is None else self.trirl_cfg.eps * c / (c + self.iteration)

    def update(self) -> dict[str, float]:
        """Trust-region policy step on r~, then the reward correction eps_tr = eps / (1 + eta)."""
        cfg = self.trirl_cfg
        if cfg.policy_restart_every > 0 and self._restart_state is None:
            self._restart_state = copy.deepcopy(
                {
                    "actor": self.actor.state_dict(),
                    "critic": self.critic.state_dict(),
                    "optimizer": self.optimizer.state_dict(),
                    "learning_rate": self.learning_rate,
                }
            )
        eta_sched = self._scheduled_eta() if cfg.policy_update == "kl_penalty" else 0.0
        if cfg.policy_update == "ppo":
            # rsl_rl's own PPO step, unchanged (it also updates the normalisers); the storage keeps its data
            # until the next rollout overwrites it, so eta's KL below still reads the old policy's parameters
            losses = PPO.update(self)
        else:
            losses = self._trust_region_step(eta_sched)
        self._lift_std_to_entropy_floor()
        for key, value in losses.items():
            _require_finite(f"the {key} loss", value, self.iteration)
        for name, net in (("actor", self.actor), ("critic", self.critic)):
            for pname, p in net.named_parameters():
                _require_finite(f"{name} parameter {pname}", p, self.iteration)

        obs_all = self.storage.observations.flatten(0, 1)
        eta, kl_new_old, omega_max = self._trust_region_multiplier(obs_all, eta_sched)
        if cfg.policy_update == "ppo":
            losses["trust_region"] = kl_new_old  # KL(pi_new || pi_old): PPO's clipping, which eta does not see
        else:
            self.actor.update_normalization(obs_all)
            self.critic.update_normalization(obs_all)

        dual = self._dual_before_correction()
        eps = self.reward_step() if cfg.method == "trirl" else 1.0
        if cfg.method == "trirl":
            eps_tr = eps / (1.0 + eta)
            data = self.fit_rows(torch.cat([self._x, self.expert.sample(self._x.shape[0])], dim=0))
            self.reward.chain.append(self.discriminator, eps_tr, eta, data=data, remember=self._x)
            if self.reward_average is not None:
                self.reward_average.update(self.reward.chain, data)
        else:
            eps_tr = 1.0
            self.reward.chain.append(self.discriminator, 1.0, 0.0)
        self.iteration += 1
        self.stats.update(
            eta=eta,
            eta_mean_projection_max=omega_max,
            eta_state_max=self.stats_extra.get("eta_state_max", eta),
            eta_state_mean=self.stats_extra.get("eta_state_mean", eta),
            eta_state_max_local=self.stats_extra.get("eta_state_max_local", eta),
            eps_tr=eps_tr,
            eps=eps,
            kl_new_old=kl_new_old,
            chain_length=float(len(self.reward.chain)),
            chain_evicted=float(self.reward.chain.num_evicted),
            chain_distilled=float(self.reward.chain.num_distilled),
            chain_history_weight=self.reward.chain.history_weight(),
            **dual,
            **self._dual_after_correction(losses["entropy"], eps_tr),
        )
        if cfg.absorbing_worst:  # the saved reward r_{i+1} on this rollout's lived steps, at its lowest
            lived = ~self._absorbing.flatten()
            if lived.any():
                r_next = self._r_before[lived]  # a baseline's reward is its latest D's transform: r~ itself
                if cfg.method == "trirl":
                    r_next = (1.0 - eps_tr) * r_next + eps_tr * self._f_new[lived]
                self.reward.metadata["absorbing_reward"] = r_next.min().item()
                self.stats["absorbing_reward"] = self.reward.metadata["absorbing_reward"]
        if self._absorbing_row is not None:  # what a fall is priced at, per step of its tail (no random draws)
            with torch.no_grad():
                self.stats["reward_absorbing"] = self.reward.chain(self._absorbing_row).item()
                if self.reward_average is not None:
                    self.stats["reward_average_absorbing"] = self.reward_average.chain(self._absorbing_row).item()
        if cfg.policy_restart_every > 0:
            restart = self.iteration % cfg.policy_restart_every == 0
            restart &= cfg.policy_restart_last == 0 or self.iteration <= cfg.policy_restart_last
            if restart:
                self._restart_policy()
            self.stats["policy_restart"] = float(restart)
        self.storage.clear()
        self.notify(self.stats)
        return {**losses, "discriminator": self.stats["disc_loss"]}

    def _restart_policy(self) -> None:
        """``policy_restart_every``: the actor, critic, optimizer and learning rate back to the first update's."""
        assert self._restart_state is not None
        state = copy.deepcopy(self._restart_state)
        self.actor.load_state_dict(state["actor"])
        self.critic.load_state_dict(state["critic"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.learning_rate = state["learning_rate"]
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate

    def fit_rows(self, data: torch.Tensor) -> torch.Tensor:
        """The rows the reward's networks are regressed on this iteration: ``data`` (the rollout's and an expert
        sample's rows) with :func:`regression_rows`' additions."""
        return regression_rows(data, self._absorbing_row, self.trirl_cfg.approximator)

    def _trust_region_step(self, eta_sched: float) -> dict[str, float]:
        """PPO's epochs of clipped-surrogate mini-batch steps, with the differentiable trust-region projection
        (``trpl``) or a KL(pi || pi_old) penalty at the scheduled eta (``kl_penalty``). rsl_rl's PPO.update is one
        method with no hook between the distribution and the surrogate, so the loop is written out here in PPO's
        order (advantage normalisation, adaptive rate, surrogate, value loss, all-reduce, clipping); what it does
        not support (recurrent models, mixed precision, RND, symmetry) is refused in ``__init__`` by name."""
        cfg = self.trirl_cfg
        mode = cfg.policy_update
        floor = self.entropy_floor() if mode == "trpl" else None
        sums: dict[str, float] = {"value": 0.0, "surrogate": 0.0, "entropy": 0.0, "trust_region": 0.0}
        num_updates = 0
        for batch in self.storage.mini_batch_generator(self.num_mini_batches, self.num_learning_epochs):
            self.actor(batch.observations, stochastic_output=True)
            mu, std = self.actor.output_mean, self.actor.output_std.expand_as(self.actor.output_mean)
            _require_finite("the actor's output", torch.cat([mu.detach(), std.detach()], -1), self.iteration)
            mu_old, std_old = batch.old_distribution_params
            if self.desired_kl is not None and self.schedule == "adaptive":
                self._adapt_learning_rate(gaussian_kl(mu_old, std_old, mu.detach(), std.detach()).mean().item())
            if mode == "trpl":
                tr = cfg.trust_region
                mu_p, _ = project_mean(mu, mu_old, std_old, tr.mean_bound)
                std_p, _ = project_cov(std, std_old, tr.cov_bound)
                if floor is not None:
                    std_p = project_entropy(std_p, floor)
                dist = torch.distributions.Normal(mu_p, std_p)
                # pull the network towards its projection (stop-gradient on the projection)
                tr_loss = gaussian_kl(mu_p.detach(), std_p.detach(), mu, std).mean()
                tr_term = tr.trust_region_coef * tr_loss
            else:
                dist = torch.distributions.Normal(mu, std)
                tr_loss = gaussian_kl(mu, std, mu_old, std_old).mean()  # KL(pi || pi_old)
                tr_term = eta_sched * tr_loss if mode == "kl_penalty" else torch.zeros(())
            log_prob = dist.log_prob(batch.actions).sum(-1)
            entropy = dist.entropy().sum(-1)
            adv = batch.advantages.squeeze(-1)
            if self.normalize_advantage_per_mini_batch:
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            ratio = torch.exp(log_prob - batch.old_actions_log_prob.squeeze(-1))
            surrogate = torch.max(-adv * ratio, -adv * ratio.clamp(1.0 - self.clip_param, 1.0 + self.clip_param)).mean()
            values = self.critic(batch.observations)
            if self.use_clipped_value_loss:
                clipped = batch.values + (values - batch.values).clamp(-self.clip_param, self.clip_param)
                value_loss = torch.max((values - batch.returns).pow(2), (clipped - batch.returns).pow(2)).mean()
            else:
                value_loss = (batch.returns - values).pow(2).mean()
            loss = surrogate + self.value_loss_coef * value_loss - self.entropy_coef * entropy.mean() + tr_term
            self.optimizer.zero_grad()
            loss.backward()
            if self.is_multi_gpu:  # PPO's own all-reduce of the actor's and critic's gradients
                self.reduce_parameters()
            nn.utils.clip_grad_norm_(self.actor.parameters(), self.max_grad_norm)
            nn.utils.clip_grad_norm_(self.critic.parameters(), self.max_grad_norm)
            self.optimizer.step()
            sums["value"] += value_loss.item()
            sums["surrogate"] += surrogate.item()
            sums["entropy"] += entropy.mean().item()
            sums["trust_region"] += float(tr_loss.detach())
            num_updates += 1
        return {k: v / max(num_updates, 1) for k, v in sums.items()}

    @torch.no_grad()
    def _trust_region_multiplier(self, obs: TensorDict, eta_sched: float) -> tuple[float, float, float]:
        """eta of this iteration, mean KL(pi_new || pi_old) over the rollout, and the largest mean multiplier."""
        self.actor(obs, stochastic_output=True)
        mu, std = self.actor.output_mean, self.actor.output_std.expand_as(self.actor.output_mean)
        mu_old, std_old = (p.flatten(0, 1) for p in self.storage.distribution_params)
        kl = gaussian_kl(mu, std, mu_old, std_old)
        cfg = self.trirl_cfg
        if cfg.policy_update == "kl_penalty":
            return eta_sched, kl.mean().item(), 0.0
        if cfg.policy_update == "ppo":
            return 0.0, kl.mean().item(), 0.0
        _, omega = project_mean(mu, mu_old, std_old, cfg.trust_region.mean_bound)
        _, eta_cov = project_cov(std, std_old, cfg.trust_region.cov_bound)
        per_state = torch.maximum(omega, eta_cov)
        # over every rank's states: the multiplier of the union batch, so all ranks fold the same eps_tr
        self.stats_extra["eta_state_max_local"] = per_state.max().item()
        self.stats_extra["eta_state_max"] = reduce_scalar(per_state.max().item(), "max", self.device)
        self.stats_extra["eta_state_mean"] = reduce_scalar(per_state.mean().item(), "mean", self.device)
        key = "eta_state_max" if cfg.trust_region.eta_reduction == "max" else "eta_state_mean"
        eta = min(self.stats_extra[key], cfg.trust_region.eta_clip)
        return eta, reduce_scalar(kl.mean().item(), "mean", self.device), omega.max().item()

    def _adapt_learning_rate(self, kl_mean: float) -> None:
        """rsl_rl's adaptive schedule: shrink the step when KL(old || new) overshoots desired_kl, grow it below.

        As in rsl_rl's PPO, with several processes the KL is averaged over ranks and every rank uses the same rate."""
        kl_mean = reduce_scalar(kl_mean, "mean", self.device)
        if kl_mean > self.desired_kl * 2.0:
            self.learning_rate = max(1e-5, self.learning_rate / 1.5)
        elif 0.0 < kl_mean < self.desired_kl / 2.0:
            self.learning_rate = min(1e-2, self.learning_rate * 1.5)
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate

    def broadcast_parameters(self) -> None:
        """Rank 0's actor, critic, discriminator and reward approximator to every rank (multi-process start)."""
        super().broadcast_parameters()
        broadcast_module(self.discriminator)
        if self.reward.chain.base is not None:
            broadcast_module(self.reward.chain.base)

    def _lift_std_to_entropy_floor(self) -> None:
        """Put the actor's std parameter on this iteration's entropy bound where it has fallen below it."""
        floor = self.entropy_floor()
        if floor is None:
            return
        self.stats_extra["entropy_floor"] = floor
        self.stats_extra["entropy_floor_lift"] = lift_std_to_entropy(self.actor.distribution, floor)

    def entropy_floor(self) -> float | None:
        """This iteration's entropy lower bound per action dimension (``trust_region.entropy_floor``), or None."""
        tr = self.trirl_cfg.trust_region
        return scheduled_entropy_floor(
            tr.entropy_floor, tr.entropy_floor_start, tr.entropy_floor_iterations, self.iteration
        )

    def _scheduled_eta(self) -> float:
        k = self.trirl_cfg.kl_penalty
        frac = min(1.0, self.iteration / k.schedule_iterations)
        return k.eta_start + (k.eta_end - k.eta_start) * frac

    @torch.no_grad()
    def _expert_reward(self) -> torch.Tensor:
        """The current reward r_i on a fixed sample of ``dual_samples`` expert transitions, exactly as the chain
        computes it: each snapshot's fold term f(D_j) there is cached when it arrives (one D evaluation per
        iteration), the approximator is re-evaluated after each distillation, and the fold weights combine them."""
        chain = self.reward.chain
        if self._dual_expert_x is None:
            self._dual_expert_x = self.expert.sample(self.trirl_cfg.dual_samples)
        x = self._dual_expert_x
        state = (chain.num_evicted, len(chain))
        if self._dual_terms is None or sum(state) not in (sum(self._dual_synced), sum(self._dual_synced) + 1):
            # first call, or after loading a checkpoint: all snapshots at once
            self._dual_terms = chain.terms(x) if len(chain) else torch.zeros(0, x.shape[0], device=x.device)
        elif sum(state) == sum(self._dual_synced) + 1:  # D_i was appended, `dropped` snapshots left the front
            dropped = chain.num_evicted - self._dual_synced[0]
            newest = fold_term(chain.d_transform, self.discriminator.eval()(x))
            self._dual_terms = torch.cat([self._dual_terms, newest[None]])[dropped:]
        self._dual_synced = state
        if chain.base_active and self._dual_base_version != chain.num_distilled:
            self._dual_base = chain.base(x).squeeze(-1)
            self._dual_base_version = chain.num_distilled
        w0, w = chain.fold_weights()
        r = (w.to(x.device, torch.float32)[:, None] * self._dual_terms).sum(0)
        if chain.base_active and w0 != 0.0:
            r = r + w0 * self._dual_base
        return r

    @torch.no_grad()
    def _dual_before_correction(self) -> dict[str, float]:
        """G(r_i)/beta ~ E_rho_pi_i[r_i/beta] + H(pi_i)/beta + log E_rho_E[exp(-r_i/beta)] (policy units).

        The pair (r_i, pi_i) is the one the Reward Correction theorem makes max-ent optimal, so this stands in for
        the soft-optimal value; pairing pi_i with r_{i+1} (``dual_estimate_next``) does not, and in the exact
        tabular case it can rise while G falls (``scripts/tabular_check.py``). Approximations that remain: the
        rollout's average over its states for the discounted occupancy from the initial states, and a policy
        step that is not exactly trust-region optimal."""
        if self.trirl_cfg.method != "trirl":
            return {}
        std_old = self.storage.distribution_params[1]
        entropy = (torch.log(std_old) + 0.5 * math.log(2 * math.pi * math.e)).sum(-1).mean().item()
        r_exp = self._expert_reward()
        log_mean_exp = torch.logsumexp(-r_exp, 0).item() - math.log(r_exp.shape[0])
        return {"dual_estimate": self._r_before.mean().item() + entropy / self.trirl_cfg.beta + log_mean_exp}

    @torch.no_grad()
    def _dual_after_correction(self, entropy: float, eps_tr: float) -> dict[str, float]:
        """The corrected reward r_{i+1} on the rollout and on the expert sample; ``dual_estimate_next`` pairs it with
        the rollout of pi_i (what earlier versions logged as the dual estimate)."""
        if self.trirl_cfg.method == "trirl":
            r_pol = (1.0 - eps_tr) * self._r_before + eps_tr * self._f_new
            r_exp = self._expert_reward()
        else:
            r_pol = self._r_before
            r_exp = self.reward(self.expert.sample(self.trirl_cfg.dual_samples))
        log_mean_exp = torch.logsumexp(-r_exp, 0).item() - math.log(r_exp.shape[0])
        out = {
            "dual_estimate_next": r_pol.mean().item() + entropy / self.trirl_cfg.beta + log_mean_exp,
            "reward_mean_policy": r_pol.mean().item(),
            "reward_mean_expert": r_exp.mean().item(),
        }
        if self.trirl_cfg.method != "trirl":
            out["dual_estimate"] = out["dual_estimate_next"]
        return out

    def averaged_reward(self) -> LearnedReward | None:
        """The run's averaged reward (``trirl_cfg.average_reward``) as a reward file's content, else None."""
        if self.reward_average is None:
            return None
        meta = {**self.reward.metadata, "averaged_iterations": self.reward_average.count}
        if "absorbing_reward" in meta and self._x is not None:  # the average's own worst lived value
            lived = ~self._absorbing.flatten()
            with torch.no_grad():
                meta["absorbing_reward"] = self.reward_average.chain(self._x[lived]).min().item()
        if self.reward_average.power != 0.0:  # absent for the uniform mean: its files stay as they were
            meta["average_power"] = self.reward_average.power
        return LearnedReward(self.reward_average.chain, self.reward.method, self.reward.beta, meta)

    # ---------------------------------------------------------------- checkpoints
    def save(self) -> dict:
        """PPO's state plus discriminator, its optimiser, the learned reward and the iteration counter."""
        saved = super().save()
        saved["discriminator_state_dict"] = self.discriminator.state_dict()
        saved["discriminator_optimizer_state_dict"] = self.disc_trainer.optimizer.state_dict()
        if self.disc_trainer.replay is not None:
            saved["discriminator_replay"] = self.disc_trainer.replay.state_dict()
        saved["learned_reward"] = self.reward.state_dict()
        if self.reward_average is not None:
            saved["reward_average"] = self.reward_average.state_dict()
        saved["trirl_iteration"] = self.iteration
        saved["dual_expert"] = self._dual_expert_x
        saved["absorbing_row"] = self._absorbing_row
        saved["trirl_cfg"] = self.trirl_cfg.to_dict()
        return saved

    def load(self, loaded_dict: dict, load_cfg: dict | None, strict: bool) -> bool:
        """Load PPO's state and, unless ``load_cfg['trirl']`` is False, everything TRIRL adds."""
        if load_cfg is None or load_cfg.get("trirl", True):
            if "learned_reward" not in loaded_dict:
                raise ValueError("checkpoint holds no TRIRL state (was it written by plain PPO?)")
            check_reward_compatible(loaded_dict["learned_reward"].get("metadata", {}), self.reward.metadata)
            if loaded_dict["learned_reward"]["template"]["input_dim"] != self.discriminator.input_dim:
                raise ValueError(
                    "checkpoint's discriminator reads "
                    f"{loaded_dict['learned_reward']['template']['input_dim']} features, this task provides "
                    f"{self.discriminator.input_dim}: the checkpoint is from another task"
                )
            self.discriminator.load_state_dict(loaded_dict["discriminator_state_dict"], strict=strict)
            self.disc_trainer.optimizer.load_state_dict(loaded_dict["discriminator_optimizer_state_dict"])
            if self.disc_trainer.replay is not None and "discriminator_replay" in loaded_dict:
                self.disc_trainer.replay.load_state_dict(loaded_dict["discriminator_replay"])
            self.reward.chain.load_state_dict(loaded_dict["learned_reward"]["chain"])
            if self.reward_average is not None:
                if "reward_average" not in loaded_dict:
                    raise ValueError("trirl_cfg.average_reward is on but the checkpoint holds no averaged reward")
                self.reward_average.load_state_dict(loaded_dict["reward_average"])
            self.iteration = int(loaded_dict["trirl_iteration"])
            dual_x = loaded_dict.get("dual_expert")
            self._dual_expert_x = dual_x[0] if isinstance(dual_x, tuple) else dual_x  # older files: (x, r)
            self._dual_terms = None  # rebuilt from the loaded chain on first use
            self._absorbing_row = loaded_dict.get("absorbing_row")  # older files: None, met again on the next fall
        return super().load(loaded_dict, load_cfg, strict)

    # ---------------------------------------------------------------- construction (rsl_rl factory hook)
    @staticmethod
    def construct_algorithm(obs: TensorDict, env: VecEnv, cfg: dict, device: str) -> TRIRL:
        """Build actor, critic, storage, discriminator and expert sampler from the runner's config dict."""
        alg_class, alg_cfg = resolve_class(cfg["algorithm"])
        actor_class, actor_cfg = resolve_class(cfg["actor"])
        critic_class, critic_cfg = resolve_class(cfg["critic"])
        trirl_cfg = TrirlCfg.from_dict(alg_cfg.pop("trirl_cfg", None))
        alg_cfg.pop("share_cnn_encoders", None)  # rsl_rl PPO option for CNN models; MLPs only here
        cfg["obs_groups"] = resolve_obs_groups(obs, cfg["obs_groups"], ["actor", "critic"])
        group = trirl_cfg.disc_obs_group
        if group not in obs.keys():
            raise ConfigError(
                f"the environment has no observation group {group!r} for the discriminator "
                f"(groups: {list(obs.keys())}); set trirl_cfg.disc_obs_group"
            )
        disc_dim = obs[group].shape[-1]
        input_dim = 2 * disc_dim if trirl_cfg.disc_input == "state_next_state" else disc_dim + env.num_actions
        if trirl_cfg.method == "airl" and trirl_cfg.disc_input != "state_next_state":
            raise ConfigError("AIRL's shaped discriminator needs disc_input='state_next_state'")
        d = trirl_cfg.discriminator
        disc = Discriminator(
            input_dim,
            d.hidden_dims,
            d.activation,
            d.obs_normalization,
            shaped=trirl_cfg.method == "airl",
            gamma=alg_cfg.get("gamma", 0.99),
        ).to(device)
        expert = resolve_expert(env, trirl_cfg, device)
        actor: MLPModel = actor_class(obs, cfg["obs_groups"], "actor", env.num_actions, **actor_cfg).to(device)
        critic: MLPModel = critic_class(obs, cfg["obs_groups"], "critic", 1, **critic_cfg).to(device)
        storage = RolloutStorage("rl", env.num_envs, cfg["num_steps_per_env"], obs, [env.num_actions], device)
        alg = alg_class(
            actor,
            critic,
            storage,
            disc,
            expert,
            trirl_cfg=trirl_cfg,
            device=device,
            **alg_cfg,
            multi_gpu_cfg=cfg.get("multi_gpu"),
        )
        alg.compile(cfg.get("torch_compile_mode"))
        describe = env_part(env, "reward_metadata")
        if describe is not None:  # what the features mean (robot, joints, bodies): checked when loading
            alg.reward.metadata.update(describe())
        alg.reward.metadata.setdefault("disc_input", trirl_cfg.disc_input)
        # the environment's learned-reward term (if any) follows every correction, with any rsl_rl runner
        consumer = env_part(env, "set_learned_reward")
        if consumer is not None:
            alg.add_reward_consumer(consumer)
            alg.env_reward_is_learned = bool(env_part(env, "reward_is_learned_reward"))
        return alg


def resolve_expert(env: Any, cfg: TrirlCfg, device: str) -> ExpertSampler:
    """The expert sampler: ``cfg.expert_data`` if set, else the (unwrapped) environment's ``expert_sampler``."""
    if cfg.expert_data:
        return ExpertBuffer.load(cfg.expert_data, device=device)
    sampler = env_part(env, "expert_sampler")
    if sampler is not None:
        return sampler
    raise ConfigError(
        "no expert data: set trirl_cfg.expert_data to a features file, or give the environment an 'expert_sampler'"
    )


def check_reward_compatible(saved: dict[str, Any], current: dict[str, Any]) -> None:
    """Raise ValueError naming the first difference in what the reward's features mean (robot, joints, bodies)."""
    for key in ("robot", "joint_names", "key_bodies", "disc_features"):
        if key in saved and key in current and saved[key] != current[key]:
            raise ValueError(
                f"the checkpoint's reward was learned for another task: {key} differs "
                f"(checkpoint: {saved[key]}, this task: {current[key]})"
            )
