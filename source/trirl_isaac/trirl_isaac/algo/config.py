"""Typed, validated configuration of the TRIRL algorithm (the ``trirl_cfg`` dict of the rsl_rl algorithm config)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

METHODS = ("trirl", "gail", "airl", "amp")
POLICY_UPDATES = ("trpl", "kl_penalty", "ppo")
DISC_INPUTS = ("state_next_state", "state_action")
D_TRANSFORMS = ("logit", "softplus")
APPROXIMATOR_OUTPUTS = ("linear", "softplus")
ETA_REDUCTIONS = ("max", "mean")


class ConfigError(ValueError):
    """A TRIRL configuration value is out of range or inconsistent."""


@dataclass
class DiscriminatorCfg:
    """The density-ratio estimator D(x) ~ log(rho_E / rho_pi)."""

    hidden_dims: list[int] = field(default_factory=lambda: [256, 256])
    activation: str = "elu"
    learning_rate: float = 2.0e-4
    num_epochs: int = 30
    """Passes over the current rollout per iteration (balanced with as many expert samples, drawn with replacement)."""
    num_mini_batches: int = 4
    grad_penalty: float = 0.033
    """Weight of (||grad_x D(x_hat)|| - 1)^2 at expert/policy interpolates, taken in the normalised input space."""
    grad_penalty_rows: int = 0
    """Interpolates per mini-batch the penalty is estimated on (a random subset of the mini-batch's rows); 0: one
    per row. The penalty is a mean over interpolates, so fewer rows estimate the same term with more noise, and its
    double backward, the larger part of a fit's cost on a CPU, shrinks with them."""
    obs_normalization: bool = True
    weight_decay: float = 0.0
    replay_size: int = 0
    """Policy feature rows kept from all past iterations (a reservoir: uniform over iterations). With it, a share
    ``replay_fraction`` of every mini-batch's policy half is drawn from the reservoir, so D separates the expert from
    a mixture of the current and all past policies: D ~ log(rho_E / ((1 - f) rho_pi + f rho_past)). It stays
    informative where past policies went after the current one has converged onto the expert (the fold of near-zero
    discriminators otherwise decays the reward towards noise). 0: the current rollout only (the theory's D)."""
    replay_fraction: float = 0.5
    """Share of the policy rows of each mini-batch drawn from the reservoir (with ``replay_size`` > 0)."""


@dataclass
class TrustRegionCfg:
    """Differentiable trust-region projection (Otto et al. 2021) for a diagonal Gaussian policy."""

    mean_bound: float = 0.03
    """Bound on the per-state mean part of KL(pi || pi_old): 0.5 * sum(((mu - mu_old) / sigma_old)^2)."""
    cov_bound: float = 0.005
    """Bound on the per-state covariance part of KL(pi || pi_old)."""
    trust_region_coef: float = 1.0
    """Weight of KL(pi_projected || pi_theta) that pulls the network towards its projection."""
    eta_reduction: str = "max"
    """How per-state multipliers become the iteration's eta: 'max' (the authors' choice) or 'mean'."""
    eta_clip: float = 1.0e6
    entropy_floor: float | None = None
    """Lower bound on the policy's entropy per action dimension (nats), enforced after the mean and covariance
    projections by Otto et al.'s entropy inequality projection: where H(pi~) < d * floor, every std of that state is
    scaled by exp((d * floor - H) / d). None: no bound. Reference: std 1 -> 1.419, 0.5 -> 0.726, 0.2 -> -0.19 nats.
    After every policy step the actor's (state-independent) std parameter is lifted onto the bound too, so the
    rollouts keep exploring: the trust-region loss alone moves it by at most ~the learning rate per Adam step. With
    policy_update 'ppo' / 'kl_penalty' only that lift applies (the paper: an entropy schedule in the trust region)."""
    entropy_floor_start: float | None = None
    """With ``entropy_floor``: the bound starts here and falls linearly to ``entropy_floor`` over
    ``entropy_floor_iterations`` (None: constant at ``entropy_floor``)."""
    entropy_floor_iterations: int = 1000


@dataclass
class KLPenaltyCfg:
    """The simpler variant: PPO plus eta * KL(pi || pi_old) with a scheduled eta (used in eps / (1 + eta))."""

    eta_start: float = 100.0
    eta_end: float = 0.0
    schedule_iterations: int = 1000


@dataclass
class ApproximatorCfg:
    """Network distilled from the chain; absorbs snapshots evicted from the window so no history is lost."""

    enabled: bool = True
    hidden_dims: list[int] = field(default_factory=lambda: [256, 256])
    activation: str = "elu"
    learning_rate: float = 1.0e-3
    num_steps: int = 200
    batch_size: int = 4096
    evict_chunk: int = 10
    """Snapshots evicted (and distilled) at once when the window is full: the distillation cost is paid every
    evict_chunk iterations instead of every iteration; the window then holds K - evict_chunk + 1 .. K snapshots."""
    skip_below: float = 1.0e-3
    """Skip the distillation (drop the history, the fold restarting from 0) when the weight the reward gives the
    history, prod_j (1 - eps_j) over the window after the eviction, is below this. The weight only shrinks as
    snapshots are appended, so the reward can never move by more than this fraction of the history's value: less
    than the approximator's own regression error. 0 always distils."""
    reservoir_size: int = 0
    """Policy feature rows kept from all past iterations (reservoir sampling: uniform over the rows, hence over
    iterations, which contribute equally many) and added to every distillation's regression data, with targets
    recomputed by the fold. 0: regress on the current batch only (policy and expert rows), as the authors do."""
    absorbing_share: float = 0.02
    """Share of every regression's rows (distillations and the averaged reward) that are the (absorbing, absorbing)
    transition, once the run has met one. A retraining PPO pays a fall the stored reward's value there for the
    whole tail, r_abs / (1 - gamma), so the network must hold the fold's value at that one point; the rollout and
    the expert sample hold it only while the policy falls (clip experts never do), and afterwards the network's
    value there is extrapolation: the Go2's averaged reward came to pay a fall +0.79 per step, a tail worth 13x
    standing forever. 0: only the rows the rollout and the expert sample hold (the behaviour before 2026-12-06).
    Tasks without absorbing states are unaffected."""
    perturbed_share: float = 0.0
    """Share of every regression's rows (distillations and the averaged reward) that are noise-perturbed copies of
    the rollout's and the expert sample's rows, with targets the fold computes there like on any row. The
    approximator is a regression network: where no row anchors it, it extrapolates, and on the Go2 its final reward
    paid a three-legged stance no rollout had shown 8x the trained gait (docs/twin/go2_payload_transfer), while the
    run's discriminators put the stance at logit -18. On perturbed rows the discriminators are low too (logit -7 at
    one standard deviation of noise there), so each distillation pulls the network's value off the data towards
    the fold's instead of leaving it to extrapolation. The price: extrapolation is also what lets HalfCheetah's
    reward pay speed beyond the expert's; with 0.5 its rewards stop re-optimising (benchmark log v15), so this is off
    by default. 0: only the data's rows (the behaviour before 2026-12-07)."""
    perturb_std: float = 2.0
    """With ``perturbed_share``: each perturbed row adds Gaussian noise of standard deviation s x (each feature's
    standard deviation over the data's rows), s drawn per row uniformly in [0, perturb_std]."""
    output: str = "linear"
    """The network's output layer. 'softplus' (needs ``d_transform`` 'softplus', whose fold is positive): the output
    passes through softplus and is regressed in pre-activation space onto softplus^-1 of the targets, so the fit has
    relative precision. A linear head's absolute error (~0.05 when the expert rows sit near 5) swamps the policy's
    rows, whose softplus fold is ~0.01-0.1: their reward becomes regression noise."""


@dataclass
class TrirlCfg:
    """Everything TRIRL adds on top of rsl_rl's PPO settings."""

    method: str = "trirl"
    """'trirl', or an adversarial baseline run through the same code path: 'gail', 'airl', 'amp'."""
    policy_update: str = "trpl"
    """'trpl' (PPO + trust-region projection), 'kl_penalty' (scheduled eta), or 'ppo' (plain; eta = 0)."""
    eps: float = 0.443
    """Reward step size in (0, 1]."""
    average_reward: bool = False
    """Also keep the running average of the run's rewards, rbar_n = (1/n) sum_i r_i (``RewardAverage``: one
    warm-started network with the approximator's settings, its own random draws, so training is unchanged), saved
    beside every reward file as ``reward_average_<it>.pt``: every discriminator of the run weighs alike in it, where
    r_i weighs the last ~1 / eps_tr. Needs the approximator; method 'trirl' only."""
    average_power: float = 0.0
    """k >= 0: the averaged reward's weights grow as i^k (polynomial-decay averaging, Shamir & Zhang 2013):
    rbar_n = (1 - w_n) rbar_{n-1} + w_n r_n with w_n = (k + 1) / (n + k). 0 is the uniform mean; k = 1 weighs
    iteration i by i, so the run's last half holds 3/4 of the average: it leans towards the late rewards without
    forgetting the early ones as r_i does. Needs ``average_reward``."""
    policy_restart_every: int = 0
    """Every this many iterations, put the actor, the critic, their optimizer and the learning rate back to where
    the run's first update found them (0: never). The reward is untouched and the policy re-learns on it. A frozen
    reward re-optimised from scratch walks a path of fresh policies that no training rollout walked once the
    training policy has moved on, and on that path the reward can pay a behaviour the expert never shows more
    than the expert (benchmark log v16): the discriminators only ever see the policy's rollouts as negatives. With
    restarts they see fresh policies' paths again, late in the run too. The iteration after a restart breaks the
    Reward Correction theorem's premise (the restarted policy is not max-ent optimal for r_i); the correction
    proceeds as always. A resumed run restarts to the policy it resumed with (the first one is not saved).
    Measured on HalfCheetah (100 / 250, two seeds; log v16): training loses 0.2 and the rewards re-optimise worse on
    three of four (seed, reward) pairs; the second optimum moves, it does not go. Off by default."""
    policy_restart_last: int = 0
    """With ``policy_restart_every``: no restart after this iteration (0: no limit), so the policy the run ends
    with has had the run's last stretch to learn."""
    eps_halving: float | None = None
    """A harmonic schedule of the reward step: at iteration i the step is eps * c / (c + i), c = eps_halving (eps
    halves after c iterations); None keeps eps constant. The correction stays the theorem's, eps_i / (1 + eta_i),
    for the eps_i the policy step used, so each pi_i stays max-ent optimal for r_i. With a constant eps the fold
    weighs a discriminator j iterations old by ~(1 - eps_tr)^j: late in a run the reward is the last ~1 / eps_tr
    discriminators, which compare a converged policy with the expert and carry little. A falling step makes the fold
    an average over the whole run (eps_tr ~ 1 / i: every discriminator weighs alike), as in fictitious play."""
    beta: float = 2.5e4
    """Inverse temperature of the occupancy-matching term (beta = 1/alpha); the policy sees the reward / beta."""
    chain_length: int = 100
    """K: number of discriminator snapshots the reward keeps exactly. 0 (needs the approximator): the reward is the
    approximator alone, regressed every iteration onto (1 - eps_tr) r_i + eps_tr D_i (warm-started), i.e. the
    paper's function-space update with one network as the function."""
    disc_obs_group: str = "discriminator"
    disc_input: str = "state_next_state"
    discriminator: DiscriminatorCfg = field(default_factory=DiscriminatorCfg)
    trust_region: TrustRegionCfg = field(default_factory=TrustRegionCfg)
    kl_penalty: KLPenaltyCfg = field(default_factory=KLPenaltyCfg)
    approximator: ApproximatorCfg = field(default_factory=ApproximatorCfg)
    dual_samples: int = 4096
    """Expert transitions used for the dual estimate's log E_rho_E[exp(-r/beta)] term each iteration."""
    expert_data: str | None = None
    """Path of a file with expert transition features; else the environment's ``expert_sampler`` is used."""
    center_reward: bool = False
    """Subtract the rollout's mean relabelled reward over lived (non-absorbing) steps from every step, the absorbing
    steps included before their closed-form tail: every trajectory's return moves by the same c / (1 - gamma), so the
    optimal policy is unchanged, but the critic's targets stay near 0 instead of at the reward's scale / (1 - gamma)
    (rsl_rl's clipped value loss moves a value by at most clip_param per epoch: from 0 to -650 takes hundreds of
    iterations). Needs closed-form absorbing tails (a shift changes the optimum where episodes just end)."""
    absorbing_floor: bool = False
    """Bound the absorbing state's per-step reward below by the lowest reward of a lived step in the same rollout
    before its closed-form tail. The expert never falls, so D at the absorbing state extrapolates log 0; unbounded,
    one fall can cost more than many episodes of standing, and a policy learns to stand rather than walk."""
    absorbing_worst: bool = False
    """Price the absorbing state as the worst lived step: its per-step reward is the lowest reward of a lived step
    in the same rollout (``absorbing_floor``'s bound taken as the value), and a frozen reward carries that value in
    its metadata (``absorbing_reward``, the saved reward's own lowest lived value) for retraining. An expert that
    never falls has rho_E = 0 there, so the log-ratio is -inf and a fall is the worst the policy can do; learned,
    the value is the discriminators' extrapolation until the policy has fallen often enough (the Go2 with the
    softplus fold: +1.0 per step at its first fall, iteration 57, 8x a lived step, for the whole tail). For experts
    whose demonstrations fall (the benchmark's Hopper) the learned value is the data's: leave it off."""
    max_ent: bool = False
    """Optimise the policy at the theory's temperature: an entropy bonus of 1/beta per nat of the policy's entropy
    (the primal is H(pi) - beta KL(rho_pi || rho_E); in policy units, divided by beta, the entropy weighs 1/beta),
    replacing PPO's ``entropy_coef`` (which must then be 0). At the fixed point r = log(rho_E / rho_pi) with pi
    max-ent optimal for r at temperature tau = 1/beta, so rho_pi ~ rho_E^(1 / (1 + tau)) and r ~ tau / (1 + tau)
    log rho_E + const: an informative reward even after the policy has converged. With tau = 0 (no bonus) the policy
    converges onto the expert, D -> 0 and the fold decays towards an uninformative reward. Applies to 'trirl' only."""
    d_transform: str = "logit"
    """What each discriminator contributes to TRIRL's fold: 'logit' (D itself, the log-ratio estimate the theory
    folds) or 'softplus' (-log(1 - sigmoid(D)), GAIL's form: >= 0, near a fall ~0 instead of very negative). The fold
    stays linear in the transformed terms, r = w0 * approximator + sum_j w_j f(D_j), and the approximator regresses
    onto that; at the fixed point D = 0 the two differ by a constant and a factor 1/2 (softplus(D) ~ log 2 + D / 2).
    Applies to method 'trirl' only (the baselines keep their own transform)."""

    def __post_init__(self) -> None:
        for name, sub in (
            ("discriminator", DiscriminatorCfg),
            ("trust_region", TrustRegionCfg),
            ("kl_penalty", KLPenaltyCfg),
            ("approximator", ApproximatorCfg),
        ):
            value = getattr(self, name)
            if isinstance(value, dict):
                setattr(self, name, _build(sub, value, f"trirl_cfg.{name}"))
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError naming the first bad value."""
        _choice("method", self.method, METHODS)
        _choice("policy_update", self.policy_update, POLICY_UPDATES)
        _choice("disc_input", self.disc_input, DISC_INPUTS)
        _choice("trust_region.eta_reduction", self.trust_region.eta_reduction, ETA_REDUCTIONS)
        if not 0.0 < self.eps <= 1.0:
            raise ConfigError(f"trirl_cfg.eps must lie in (0, 1], got {self.eps}")
        if self.eps_halving is not None and (
            isinstance(self.eps_halving, bool)
            or not isinstance(self.eps_halving, (int, float))
            or not math.isfinite(self.eps_halving)
            or self.eps_halving <= 0
        ):
            raise ConfigError(
                f"trirl_cfg.eps_halving must be a number of iterations > 0 or None, got {self.eps_halving!r}"
            )
        if not self.beta > 0.0:
            raise ConfigError(f"trirl_cfg.beta must be > 0, got {self.beta}")
        if int(self.chain_length) != self.chain_length or self.chain_length < 0:
            raise ConfigError(f"trirl_cfg.chain_length (K) must be an integer >= 0, got {self.chain_length}")
        if self.chain_length == 0 and not self.approximator.enabled:
            raise ConfigError("trirl_cfg.chain_length = 0 makes the approximator the reward: enable approximator")
        d = self.discriminator
        _positive("discriminator.learning_rate", d.learning_rate)
        _positive_int("discriminator.num_epochs", d.num_epochs)
        _positive_int("discriminator.num_mini_batches", d.num_mini_batches)
        if d.grad_penalty < 0:
            raise ConfigError(f"trirl_cfg.discriminator.grad_penalty must be >= 0, got {d.grad_penalty}")
        rows = d.grad_penalty_rows
        if isinstance(rows, bool) or int(rows) != rows or rows < 0:
            raise ConfigError(
                f"trirl_cfg.discriminator.grad_penalty_rows must be an integer >= 0 (0: every row), got {rows}"
            )
        if not d.hidden_dims:
            raise ConfigError("trirl_cfg.discriminator.hidden_dims must name at least one layer")
        if isinstance(d.replay_size, bool) or int(d.replay_size) != d.replay_size or d.replay_size < 0:
            raise ConfigError(f"trirl_cfg.discriminator.replay_size must be an integer >= 0, got {d.replay_size}")
        if not 0.0 < d.replay_fraction < 1.0:
            raise ConfigError(
                f"trirl_cfg.discriminator.replay_fraction must lie in (0, 1) (the rest is the current rollout), "
                f"got {d.replay_fraction}"
            )
        t = self.trust_region
        _positive("trust_region.mean_bound", t.mean_bound)
        _positive("trust_region.cov_bound", t.cov_bound)
        if t.trust_region_coef < 0:
            raise ConfigError(f"trirl_cfg.trust_region.trust_region_coef must be >= 0, got {t.trust_region_coef}")
        check_entropy_floor(
            "trirl_cfg.trust_region.", t.entropy_floor, t.entropy_floor_start, t.entropy_floor_iterations
        )
        k = self.kl_penalty
        if k.eta_start < 0 or k.eta_end < 0:
            raise ConfigError("trirl_cfg.kl_penalty.eta_start and eta_end must be >= 0")
        _positive_int("kl_penalty.schedule_iterations", k.schedule_iterations)
        a = self.approximator
        if a.enabled:
            _positive("approximator.learning_rate", a.learning_rate)
            _positive_int("approximator.num_steps", a.num_steps)
            _positive_int("approximator.batch_size", a.batch_size)
            _positive_int("approximator.evict_chunk", a.evict_chunk)
            share = a.absorbing_share
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= share < 1.0:
                raise ConfigError(f"trirl_cfg.approximator.absorbing_share must lie in [0, 1), got {share!r}")
            for name in ("perturbed_share", "perturb_std"):
                value = getattr(a, name)
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0.0:
                    raise ConfigError(f"trirl_cfg.approximator.{name} must be a number >= 0, got {value!r}")
            if not a.perturbed_share < 1.0:
                raise ConfigError(f"trirl_cfg.approximator.perturbed_share must lie in [0, 1), got {a.perturbed_share}")
            if a.absorbing_share + a.perturbed_share >= 1.0:
                raise ConfigError(
                    "trirl_cfg.approximator.absorbing_share + perturbed_share must be < 1 (the data's own rows need a "
                    f"share), got {a.absorbing_share} + {a.perturbed_share}"
                )
            if not 0.0 <= a.skip_below < 1.0:
                raise ConfigError(f"trirl_cfg.approximator.skip_below must lie in [0, 1), got {a.skip_below}")
            if int(a.reservoir_size) != a.reservoir_size or a.reservoir_size < 0:
                raise ConfigError(
                    f"trirl_cfg.approximator.reservoir_size must be an integer >= 0, got {a.reservoir_size}"
                )
            if self.chain_length > 0 and a.evict_chunk > self.chain_length:
                raise ConfigError(
                    f"trirl_cfg.approximator.evict_chunk ({a.evict_chunk}) must not exceed "
                    f"chain_length ({self.chain_length})"
                )
        _positive_int("dual_samples", self.dual_samples)
        _choice("d_transform", self.d_transform, D_TRANSFORMS)
        _choice("approximator.output", a.output, APPROXIMATOR_OUTPUTS)
        if a.output == "softplus" and self.d_transform != "softplus":
            raise ConfigError(
                "trirl_cfg.approximator.output='softplus' fits a positive fold: it needs d_transform='softplus', "
                f"got {self.d_transform!r}"
            )
        if self.method != "trirl" and self.d_transform != "logit":
            raise ConfigError(
                f"trirl_cfg.d_transform={self.d_transform!r} applies to method 'trirl'; {self.method!r} uses its own "
                "reward transform (set d_transform='logit' with it)"
            )
        if self.method != "trirl" and self.max_ent:
            raise ConfigError(f"trirl_cfg.max_ent applies to method 'trirl'; {self.method!r} has no temperature")
        if self.average_reward and (self.method != "trirl" or not self.approximator.enabled):
            raise ConfigError("trirl_cfg.average_reward needs method 'trirl' and an enabled approximator")
        if isinstance(self.average_power, bool) or not isinstance(self.average_power, (int, float)):
            raise ConfigError(f"trirl_cfg.average_power must be a number >= 0, got {self.average_power!r}")
        if not (math.isfinite(self.average_power) and self.average_power >= 0.0):
            raise ConfigError(f"trirl_cfg.average_power must be a number >= 0, got {self.average_power!r}")
        r = self.policy_restart_every
        if isinstance(r, bool) or not isinstance(r, int) or r < 0:
            raise ConfigError(f"trirl_cfg.policy_restart_every must be an integer >= 0, got {r!r}")
        r = self.policy_restart_last
        if isinstance(r, bool) or not isinstance(r, int) or r < 0:
            raise ConfigError(f"trirl_cfg.policy_restart_last must be an integer >= 0, got {r!r}")
        if r > 0 and self.policy_restart_every == 0:
            raise ConfigError("trirl_cfg.policy_restart_last limits policy_restart_every, which is 0 (off)")
        if self.average_power != 0.0 and not self.average_reward:
            raise ConfigError("trirl_cfg.average_power weighs the averaged reward: it needs average_reward=true")
        for name in ("center_reward", "absorbing_floor", "absorbing_worst", "max_ent", "average_reward"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"trirl_cfg.{name} must be true or false, got {getattr(self, name)!r}")

    @classmethod
    def from_dict(cls, cfg: dict[str, Any] | TrirlCfg | None) -> TrirlCfg:
        """Build from a (possibly nested) dict, rejecting unknown keys by name."""
        if isinstance(cfg, TrirlCfg):
            return cfg
        return _build(cls, dict(cfg or {}), "trirl_cfg")

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (for checkpoints and config dumps)."""
        return dataclasses.asdict(self)


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; known keys are {sorted(known)}")
    return cls(**values)


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"trirl_cfg.{name} must be one of {allowed}, got {value!r}")


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ConfigError(f"trirl_cfg.{name} must be > 0, got {value}")


def check_entropy_floor(prefix: str, floor: Any, start: Any, iterations: Any) -> None:
    """An entropy bound (``floor``, optional ``start`` of its linear schedule over ``iterations``) is valid, else a
    ConfigError naming ``prefix`` + the setting."""
    for name, value in (("entropy_floor", floor), ("entropy_floor_start", start)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
        ):
            raise ConfigError(f"{prefix}{name} must be a finite number of nats or None, got {value!r}")
    if start is not None:
        if floor is None:
            raise ConfigError(f"{prefix}entropy_floor_start needs {prefix}entropy_floor (the end)")
        if start < floor:
            raise ConfigError(
                f"{prefix}entropy_floor_start ({start}) must be >= entropy_floor ({floor}): the bound falls in a run"
            )
    if (
        isinstance(iterations, bool)
        or not isinstance(iterations, (int, float))
        or int(iterations) != iterations
        or iterations < 1
    ):
        raise ConfigError(f"{prefix}entropy_floor_iterations must be an integer >= 1, got {iterations!r}")


def _positive_int(name: str, value: int) -> None:
    if int(value) != value or value < 1:
        raise ConfigError(f"trirl_cfg.{name} must be an integer >= 1, got {value}")
