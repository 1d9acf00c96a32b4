"""The learned reward: a fold over the last K discriminator snapshots, plus an approximator for older history.

In policy units (the reward divided by beta) the chain computes

    r <- (1 - eps_j) * r + eps_j * f(D_j)     for j = oldest .. newest,

starting from the approximator's output (or 0), with f the chain's ``d_transform`` (the identity by default). The
fold is linear, so it is evaluated as one weighted sum ``w0 * base(x) + sum_j w_j f(D_j(x))`` with
``w_j = eps_j * prod_{k>j} (1 - eps_k)``, all K networks at once with ``torch.func.vmap`` over their stacked
parameters.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from rsl_rl.modules import MLP
from torch.func import functional_call, vmap

from trirl_isaac.algo.config import ApproximatorCfg
from trirl_isaac.algo.discriminator import Discriminator
from trirl_isaac.algo.distributed import average_gradients
from trirl_isaac.algo.reservoir import Reservoir

REWARD_FILE_VERSION = 1
_CHUNK_ELEMENTS_CPU = 1 << 23
"""Row chunks of the vectorised chain keep K * rows * width activations at most this many elements (CPU)."""
_CHUNK_ELEMENTS_ACCEL = 1 << 28


def transform(method: str, d: torch.Tensor) -> torch.Tensor:
    """Map the folded logit to the policy's reward: TRIRL and AIRL use it as is; GAIL -log(1 - sigmoid); AMP lsq."""
    if method in ("trirl", "airl"):
        return d
    if method == "gail":
        return F.softplus(d)
    if method == "amp":
        return torch.clamp(1.0 - 0.25 * (d - 1.0).pow(2), min=0.0)
    raise ValueError(f"unknown reward method {method!r}")


def fold_term(d_transform: str, d: torch.Tensor) -> torch.Tensor:
    """f(D), what one discriminator contributes to TRIRL's fold: 'logit' D itself, 'softplus' -log(1 - sigmoid(D))."""
    if d_transform == "logit":
        return d
    if d_transform == "softplus":
        return F.softplus(d)
    raise ValueError(f"unknown d_transform {d_transform!r}; known: 'logit', 'softplus'")


def inverse_softplus(y: torch.Tensor) -> torch.Tensor:
    """softplus^-1(y) = log(exp(y) - 1) for y > 0 (y is floored at 1e-30; above 20, y itself to float precision)."""
    y = y.clamp(min=1e-30)
    return torch.where(y > 20.0, y, torch.log(torch.expm1(y.clamp(max=20.0))))


class RewardChain:
    """The last K snapshots of D with their step sizes eps_j = eps / (1 + eta_j) and their etas."""

    def __init__(
        self,
        template: Discriminator,
        chain_length: int,
        approximator: ApproximatorCfg | None = None,
        d_transform: str = "logit",
    ) -> None:
        fold_term(d_transform, torch.zeros(1))  # a bad name fails here, not at the first evaluation
        self.d_transform = d_transform
        self.template = copy.deepcopy(template).eval()
        for p in self.template.parameters():
            p.requires_grad_(False)
        self.chain_length = int(chain_length)
        self.snapshots: list[dict[str, torch.Tensor]] = []
        self.steps: list[float] = []
        self.etas: list[float] = []
        self.approx_cfg = approximator if approximator is not None and approximator.enabled else None
        self.base: nn.Module | None = None
        if self.approx_cfg is not None:
            layers = [
                copy.deepcopy(template.normalizer),
                MLP(template.input_dim, 1, self.approx_cfg.hidden_dims, self.approx_cfg.activation),
            ]
            if self.approx_cfg.output == "softplus":
                layers.append(nn.Softplus())  # no parameters: files keep their state_dict keys
            self.base = nn.Sequential(*layers)
        self.base_active = False
        self.reservoir: torch.Tensor | None = None
        """Past policy feature rows, a uniform sample over all rows offered to :meth:`append` (reservoir sampling)."""
        self.reservoir_seen = 0
        self.num_evicted = 0
        self.num_distilled = 0
        # the snapshots' parameters stacked along a leading K axis for vmap, kept in a preallocated buffer that
        # append/evict update in place (restacking K networks every iteration would copy all of them)
        self._buffer: dict[str, torch.Tensor] | None = None
        self._buffer_len = 0

    def __len__(self) -> int:
        return len(self.snapshots)

    @staticmethod
    def snapshot_of(disc: Discriminator) -> dict[str, torch.Tensor]:
        """A detached copy of a discriminator's parameters and buffers."""
        return {k: v.detach().clone() for k, v in disc.state_dict().items()}

    def logits(self, x: torch.Tensor, snapshots: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """All snapshots' logits on x, vectorised over the snapshots: shape (K, N).

        Large batches are evaluated in row chunks so the (K, chunk, width) activations stay small: on the CPU a
        single (100, 1536, 512) activation is slower per row than chunks of ~160 rows (memory-bound)."""
        stacked = snapshots if snapshots is not None else self._stack()

        def one(params: dict[str, torch.Tensor], inp: torch.Tensor) -> torch.Tensor:
            return functional_call(self.template, params, (inp,))

        k = next(iter(stacked.values())).shape[0]
        width = max([self.template.input_dim, *self.template.hidden_dims])
        budget = _CHUNK_ELEMENTS_CPU if x.device.type == "cpu" else _CHUNK_ELEMENTS_ACCEL
        rows = max(1, budget // (k * width))
        fn = vmap(one, in_dims=(0, None))
        if x.shape[0] <= rows:
            return fn(stacked, x)
        return torch.cat([fn(stacked, part) for part in x.split(rows)], dim=1)

    def terms(self, x: torch.Tensor) -> torch.Tensor:
        """f(D_j(x)) for every snapshot, (K, N): the fold's summands before their weights."""
        return fold_term(self.d_transform, self.logits(x))

    def fold_weights(self, extra_step: float | None = None) -> tuple[float, torch.Tensor]:
        """(w0, w) with r = w0 * base + sum_j w_j D_j; ``extra_step`` appends one more pending step."""
        steps = self.steps + ([extra_step] if extra_step is not None else [])
        w = torch.zeros(len(steps), dtype=torch.float64)
        tail = 1.0
        for j in range(len(steps) - 1, -1, -1):
            w[j] = steps[j] * tail
            tail *= 1.0 - steps[j]
        return tail, w

    @torch.no_grad()
    def __call__(
        self, x: torch.Tensor, pending: Discriminator | None = None, pending_step: float = 1.0
    ) -> torch.Tensor:
        """The folded reward (policy units) on features x (N, F); ``pending`` folds one more D at ``pending_step``."""
        w0, w = self.fold_weights(pending_step if pending is not None else None)
        out = torch.zeros(x.shape[0], device=x.device)
        if self.snapshots:
            out = out + (w[: len(self.snapshots)].to(x.device, torch.float32)[:, None] * self.terms(x)).sum(0)
        if pending is not None:
            out = out + float(w[-1]) * fold_term(self.d_transform, pending.eval()(x))
        if self.base_active and w0 != 0.0:
            out = out + w0 * self.base(x).squeeze(-1)
        return out

    def append(
        self,
        disc: Discriminator,
        step: float,
        eta: float,
        data: torch.Tensor | None = None,
        remember: torch.Tensor | None = None,
    ) -> None:
        """Add D_i with its corrected step; beyond K, evict the oldest into the approximator (if enabled).

        ``data``: rows the approximator regresses on (with the reservoir's); ``remember``: rows offered to the
        reservoir afterwards (the rollout's policy features)."""
        if not 0.0 < step <= 1.0:
            raise ValueError(f"reward step must lie in (0, 1], got {step}")
        snap = self.snapshot_of(disc)
        self.snapshots.append(snap)
        self.steps.append(float(step))
        self.etas.append(float(eta))
        n = len(self.snapshots)
        if self._buffer is not None and self._buffer_len == n - 1 and n <= self._capacity():
            for key, value in snap.items():
                self._buffer[key][n - 1].copy_(value)
            self._buffer_len = n
        else:
            self._buffer = None
        if len(self.snapshots) > self.chain_length:
            chunk = 1 if self.approx_cfg is None else min(self.approx_cfg.evict_chunk, len(self.snapshots) - 1)
            self._evict(max(chunk, len(self.snapshots) - self.chain_length), data)
        if remember is not None and self.approx_cfg is not None and self.approx_cfg.reservoir_size > 0:
            self._remember(remember)

    @torch.no_grad()
    def _remember(self, rows: torch.Tensor) -> None:
        """Offer the rollout's policy rows to the reservoir (uniform over every row offered so far)."""
        assert self.approx_cfg is not None
        sampler = Reservoir(int(self.approx_cfg.reservoir_size))
        sampler.buffer, sampler.seen = self.reservoir, self.reservoir_seen
        sampler.add(rows)
        self.reservoir, self.reservoir_seen = sampler.buffer, sampler.seen

    def reservoir_rows(self) -> torch.Tensor | None:
        """The filled part of the reservoir (None when empty or disabled)."""
        if self.reservoir is None or self.reservoir_seen == 0:
            return None
        return self.reservoir[: min(self.reservoir_seen, self.reservoir.shape[0])]

    def _evict(self, count: int, data: torch.Tensor | None) -> None:
        """Drop the ``count`` oldest snapshots; with an approximator, fold them into it first.

        The approximator is skipped (the history dropped, the fold restarting from 0) when the weight the
        current reward gives the history, ``history_weight()`` after the eviction, is below
        ``approximator.skip_below``: that weight only shrinks as snapshots are appended, so the history could
        never again move the reward by more than that fraction of its value."""
        if self.base is not None and data is None:
            raise ValueError("evicting snapshots into the approximator needs feature data to regress on")
        evicted = list(zip(self.snapshots[:count], self.steps[:count]))
        n = len(self.snapshots)
        del self.snapshots[:count], self.steps[:count], self.etas[:count]
        if self._buffer is not None and self._buffer_len == n:
            for value in self._buffer.values():
                value[: n - count] = value[count:n].clone()
            self._buffer_len = n - count
        else:
            self._buffer = None
        self.num_evicted += count
        if self.base is None:
            return  # without an approximator the fold restarts from 0 at the window's start (history is dropped)
        assert self.approx_cfg is not None and data is not None
        if self.history_weight() < self.approx_cfg.skip_below:
            self.base_active = False
            return
        past = self.reservoir_rows()
        self._distill(evicted, data if past is None else torch.cat([data, past.to(data.device)], dim=0))
        self.num_distilled += 1

    def compact(self, max_dropped_weight: float) -> tuple[int, float]:
        """Drop the oldest snapshots (and the approximator) whose fold weights sum to at most ``max_dropped_weight``.

        The kept snapshots keep their weights w_j exactly (a weight depends only on the later steps) and the fold
        starts at 0, so the reward changes by at most (dropped weight) x max |f(D)| on any input. Returns (number
        of snapshots dropped, dropped weight). A chain whose recent steps are large (PPO's step: eps_tr = eps)
        needs few snapshots: with eps 0.443 the 25th-newest snapshot weighs ~3e-7."""
        if not max_dropped_weight >= 0.0:
            raise ValueError(f"max_dropped_weight must be >= 0, got {max_dropped_weight}")
        w0, w = self.fold_weights()
        dropped = w0 if self.base_active else 0.0
        count = 0
        while count < len(self.snapshots) and dropped + float(w[count]) <= max_dropped_weight:
            dropped += float(w[count])
            count += 1
        if dropped > max_dropped_weight:  # the approximator alone weighs more than allowed: nothing changes
            return 0, 0.0
        del self.snapshots[:count], self.steps[:count], self.etas[:count]
        self.num_evicted += count
        self.base_active = False
        self._buffer = None
        return count, dropped

    def history_weight(self) -> float:
        """Weight of everything older than the window (the approximator) in the reward: prod_j (1 - eps_j)."""
        return self.fold_weights()[0]

    def _distill(self, evicted: list[tuple[dict[str, torch.Tensor], float]], data: torch.Tensor) -> None:
        """Regress base' ~ fold(base, evicted snapshots) on ``data`` (the start of the fold moves forward)."""
        assert self.base is not None and self.approx_cfg is not None
        with torch.no_grad():
            target = self.base(data).squeeze(-1) if self.base_active else torch.zeros(data.shape[0], device=data.device)
            for snap, step in evicted:
                d = functional_call(self.template, snap, (data,))
                target = (1.0 - step) * target + step * fold_term(self.d_transform, d)
        self._fit_base(target, data, evicted[-1][0])

    def _fit_base(
        self,
        target: torch.Tensor,
        data: torch.Tensor,
        newest: dict[str, torch.Tensor],
        generator: torch.Generator | None = None,
    ) -> None:
        """Regress a warm-started copy of the approximator onto ``target`` on ``data``; it reads its inputs through
        the (frozen) normaliser statistics of the snapshot ``newest``. ``generator`` draws the mini-batches."""
        assert self.base is not None and self.approx_cfg is not None
        new_base = copy.deepcopy(self.base).train()
        norm = new_base[0]
        norm.load_state_dict({k[len("normalizer.") :]: v for k, v in newest.items() if k.startswith("normalizer.")})
        opt = torch.optim.Adam(new_base[1].parameters(), lr=self.approx_cfg.learning_rate)
        fit = new_base  # linear head: regress the output itself
        if self.approx_cfg.output == "softplus":  # regress the pre-activation onto softplus^-1(target)
            fit = new_base[:2]
            target = inverse_softplus(target)
        with torch.enable_grad():
            for _ in range(self.approx_cfg.num_steps):
                size = (min(self.approx_cfg.batch_size, data.shape[0]),)
                idx = torch.randint(0, data.shape[0], size, generator=generator)  # CPU draws on every device
                loss = (fit(data[idx]).squeeze(-1) - target[idx]).pow(2).mean()
                opt.zero_grad()
                loss.backward()
                average_gradients(new_base[1].parameters())  # multi-process: every rank holds the same reward
                opt.step()
        self.base = new_base.eval()
        self.base_active = True

    def _capacity(self) -> int:
        return self.chain_length + 1 if self._buffer is None else next(iter(self._buffer.values())).shape[0]

    def _stack(self) -> dict[str, torch.Tensor]:
        """The snapshots stacked along a leading axis (views into the preallocated buffer)."""
        n = len(self.snapshots)
        if self._buffer is None or self._buffer_len != n:
            capacity = max(self.chain_length + 1, n)
            self._buffer = {}
            # a normal tensor even when first used under inference mode (rollouts), so appends can write into it
            with torch.inference_mode(False), torch.no_grad():
                for key, first in self.snapshots[0].items():
                    buf = torch.empty((capacity, *first.shape), dtype=first.dtype, device=first.device)
                    torch.stack([s[key] for s in self.snapshots], out=buf[:n])
                    self._buffer[key] = buf
            self._buffer_len = n
        return {key: buf[:n] for key, buf in self._buffer.items()}

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild the chain exactly."""
        return {
            "snapshots": self.snapshots,
            "steps": self.steps,
            "etas": self.etas,
            "base": self.base.state_dict() if self.base is not None else None,
            "base_active": self.base_active,
            "num_evicted": self.num_evicted,
            "num_distilled": self.num_distilled,
            "reservoir": self.reservoir,
            "reservoir_seen": self.reservoir_seen,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict`."""
        self.snapshots = [dict(s) for s in state["snapshots"]]
        self.steps = list(state["steps"])
        self.etas = list(state["etas"])
        if state["base"] is not None:
            if self.base is None:
                raise ValueError("checkpoint has a reward approximator but this config disables it")
            self.base.load_state_dict(state["base"])
        self.base_active = bool(state["base_active"])
        self.num_evicted = int(state["num_evicted"])
        self.num_distilled = int(state.get("num_distilled", 0))
        self.reservoir = state.get("reservoir")
        self.reservoir_seen = int(state.get("reservoir_seen", 0))
        self._buffer = None


def regression_rows(data: torch.Tensor, absorbing_row: torch.Tensor | None, cfg: ApproximatorCfg) -> torch.Tensor:
    """The rows a reward network is regressed on: ``data`` (the rollout's and an expert sample's rows), then
    ``cfg.perturbed_share`` of the result as noise-perturbed copies of ``data``'s rows (per row a scale s ~ U[0,
    ``cfg.perturb_std``] times each feature's standard deviation over ``data``), then, once the run has met the
    absorbing state, that state's row repeated to ``cfg.absorbing_share`` of the result."""
    n = data.shape[0]
    parts = [data]
    if cfg.perturbed_share > 0.0 and n > 1:
        count = max(1, round(cfg.perturbed_share * n / (1.0 - cfg.perturbed_share - cfg.absorbing_share)))
        idx = torch.randint(0, n, (count,), device=data.device)
        scale = cfg.perturb_std * torch.rand(count, 1, device=data.device)
        noise = torch.randn(count, data.shape[1], device=data.device)
        parts.append(data[idx] + scale * data.std(dim=0, keepdim=True) * noise)
    share = cfg.absorbing_share
    if absorbing_row is not None and share > 0.0:
        count = max(1, round(share * n / (1.0 - share - cfg.perturbed_share)))
        parts.append(absorbing_row.to(data.device).expand(count, -1))
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=0)


def with_absorbing_tail(reward: Any, r: torch.Tensor, absorbing: torch.Tensor, gamma: float) -> torch.Tensor:
    """``r``, the values of the frozen ``reward``, with every absorbing step standing for the absorbing state's
    whole tail, r_abs / (1 - gamma). A reward trained with ``absorbing_worst`` / ``absorbing_floor`` /
    ``center_reward`` carries its last rollout's absorbing value / floor / centre in its metadata and applies them
    here as training did (the value or the floor, then the centre, then the tail), so a re-optimising PPO prices a
    fall alike and its critic's targets stay near 0."""
    meta = getattr(reward, "metadata", {})
    floor, center = meta.get("absorbing_floor"), float(meta.get("reward_center", 0.0))
    if meta.get("absorbing_reward") is not None:  # trained with absorbing_worst: a fall is its worst lived step
        r = torch.where(absorbing, torch.full_like(r, float(meta["absorbing_reward"])), r)
    elif floor is not None:
        r = torch.where(absorbing, r.clamp(min=float(floor)), r)
    r = r - center
    return torch.where(absorbing, r / (1.0 - gamma), r)


def average_weight(n: int, power: float) -> float:
    """The weight w_n = (k + 1) / (n + k) of the n-th reward (n >= 1) in a polynomial-decay average of power k: the
    recursion rbar_n = (1 - w_n) rbar_{n-1} + w_n r_n then weighs r_i by i^k to first order (exactly by i for
    k = 1), and w_1 = 1."""
    if n < 1:
        raise ValueError(f"the average's count starts at 1, got {n}")
    return (power + 1.0) / (n + power)


class RewardAverage:
    """The running average of a run's rewards, rbar_n = (1/n) sum_{i<=n} r_i, held by one warm-started network
    regressed every iteration onto (1 - 1/n) rbar_{n-1} + (1/n) r_n on the rollout and expert rows.

    Each discriminator enters the fold r_i with total weight ~1 over its lifetime (eps_tr sum_j (1 - eps_tr)^j), so
    rbar weighs every discriminator of the run alike (fictitious play's average), while the policy keeps training on
    r_i. The reward a user re-optimises after a run that has converged: late discriminators compare a policy that
    matches the expert with the expert and carry little, and r_i has forgotten the early ones."""

    def __init__(
        self,
        template: Discriminator,
        approximator: ApproximatorCfg,
        d_transform: str,
        seed: int = 0,
        power: float = 0.0,
    ) -> None:
        self.power = float(power)
        """k of :func:`average_weight` (``trirl_cfg.average_power``): 0 is the uniform mean."""
        with torch.random.fork_rng(devices=[]):  # its initial weights never move the training run's random stream
            torch.manual_seed(seed)
            self.chain = RewardChain(template, 0, approximator, d_transform)
        self.count = 0
        self.generator = torch.Generator().manual_seed(seed)
        """Its own mini-batch draws: averaging never changes the training run's random stream."""

    @torch.no_grad()
    def update(self, reward: RewardChain, data: torch.Tensor) -> None:
        """Fold the current reward ``reward`` (after its correction) into the average on ``data``."""
        if not reward.snapshots:
            raise ValueError("the reward to average holds no discriminator snapshot yet")
        self.count += 1
        target = reward(data)
        if self.chain.base_active:
            if self.power == 0.0:  # the uniform mean, written as it always was (saved runs reproduce bit for bit)
                target = (1.0 - 1.0 / self.count) * self.chain.base(data).squeeze(-1) + target / self.count
            else:
                w = average_weight(self.count, self.power)
                target = (1.0 - w) * self.chain.base(data).squeeze(-1) + w * target
        self.chain._fit_base(target, data, reward.snapshots[-1], self.generator)

    def state_dict(self) -> dict[str, Any]:
        """The network, the count and the draw state."""
        return {"chain": self.chain.state_dict(), "count": self.count, "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict`."""
        self.chain.load_state_dict(state["chain"])
        self.count = int(state["count"])
        self.generator.set_state(state["generator"])


class LearnedReward:
    """The reward a TRIRL (or baseline) run has learned: ``transform(chain(features))``, loadable on its own."""

    def __init__(self, chain: RewardChain, method: str, beta: float, metadata: dict[str, Any] | None = None) -> None:
        self.chain = chain
        self.method = method
        self.beta = beta
        self.metadata = dict(metadata or {})

    @property
    def temperature(self) -> float | None:
        """The entropy weight (policy units) the reward was learned at (``trirl_cfg.max_ent``: 1/beta), else None."""
        value = self.metadata.get("temperature")
        return None if value is None else float(value)

    def retrain_algorithm_cfg(self, algorithm: dict[str, Any]) -> dict[str, Any]:
        """PPO settings for re-optimising this reward: max-ent at the temperature it was learned at, as the theory
        assumes (its ``entropy_coef`` replaces the configured one, said on stdout); rewards without one: unchanged."""
        if self.temperature is None:
            return algorithm
        if algorithm.get("entropy_coef", 0.0) != self.temperature:
            print(f"[reward] re-optimising at the reward's temperature: entropy_coef {algorithm.get('entropy_coef')} "
                  f"-> {self.temperature:g} (trirl_cfg.max_ent)", flush=True)  # fmt: skip
        return {**algorithm, "entropy_coef": self.temperature}

    def folded(self, disc: Discriminator, step: float, note: dict[str, Any] | None = None) -> LearnedReward:
        """A new reward ``(1 - step) * self + step * f(D)`` (policy units, f the chain's ``d_transform``: TRIRL's
        fold with one more snapshot kept exactly): what one more IRL iteration against the policy ``disc`` was fitted
        on does to this reward. ``disc`` must have the reward's discriminator architecture; ``note`` is appended to
        the metadata's ``"folded"`` list. The reward itself is not changed."""
        if self.method != "trirl":
            raise ValueError(f"only a TRIRL reward folds in a discriminator (this one is {self.method!r})")
        if not 0.0 < step <= 1.0:
            raise ValueError(f"fold step must lie in (0, 1], got {step}")
        mine = self.chain.template.state_dict()
        theirs = disc.state_dict()
        if mine.keys() != theirs.keys() or any(mine[k].shape != theirs[k].shape for k in mine):
            raise ValueError("the discriminator's architecture is not the reward's (its template's parameters differ)")
        blob = self.state_dict()
        blob["chain_length"] = len(self.chain) + 1
        blob["metadata"] = copy.deepcopy(blob["metadata"])
        blob["metadata"].setdefault("folded", []).append({"step": float(step), **(note or {})})
        out = LearnedReward.from_state_dict(copy.deepcopy(blob), next(iter(mine.values())).device)
        out.chain.snapshots.append(RewardChain.snapshot_of(disc))
        out.chain.steps.append(float(step))
        out.chain.etas.append(float("nan"))
        return out

    @property
    def feature_dim(self) -> int:
        """Size of the features the reward reads."""
        return self.chain.template.input_dim

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Policy-scale reward (the reward / beta) for features x (N, feature_dim)."""
        if x.shape[-1] != self.feature_dim:
            raise ValueError(f"learned reward reads {self.feature_dim} features, got {x.shape[-1]}")
        return transform(self.method, self.chain(x))

    def state_dict(self) -> dict[str, Any]:
        """A self-contained description (network shapes, chain, metadata) that :meth:`from_state_dict` rebuilds."""
        t = self.chain.template
        return {
            "version": REWARD_FILE_VERSION,
            "method": self.method,
            "beta": self.beta,
            "metadata": self.metadata,
            "template": {
                "input_dim": t.input_dim,
                "hidden_dims": t.hidden_dims,
                "activation": t.activation,
                "obs_normalization": t.obs_normalization,
                "shaped": t.shaped,
                "gamma": t.gamma,
            },
            "chain_length": self.chain.chain_length,
            "d_transform": self.chain.d_transform,
            "approximator": None if self.chain.approx_cfg is None else vars(self.chain.approx_cfg),
            "chain": self.chain.state_dict(),
        }

    def save(self, path: str) -> None:
        """Write a reward file (atomically: an existing file is replaced only on success)."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = f"{path}.tmp"
        torch.save(self.state_dict(), tmp)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str, device: str | torch.device = "cpu") -> LearnedReward:
        """Load a reward file written by :meth:`save` (or the reward inside a TRIRL checkpoint)."""
        if not os.path.isfile(path):
            raise FileNotFoundError(f"learned reward file not found: {path}")
        blob = torch.load(path, map_location=device, weights_only=False)
        if isinstance(blob, dict) and "learned_reward" in blob:  # a full training checkpoint
            blob = blob["learned_reward"]
        if not isinstance(blob, dict) or blob.get("version") != REWARD_FILE_VERSION:
            raise ValueError(f"{path}: not a trirl_isaac learned-reward file (version {REWARD_FILE_VERSION})")
        return cls.from_state_dict(blob, device)

    @classmethod
    def from_state_dict(cls, blob: dict[str, Any], device: str | torch.device = "cpu") -> LearnedReward:
        """Rebuild from :meth:`state_dict`."""
        template = Discriminator(**blob["template"]).to(device)
        approx = ApproximatorCfg(**blob["approximator"]) if blob["approximator"] else None
        # files written before d_transform existed folded the logits themselves
        chain = RewardChain(template, blob["chain_length"], approx, blob.get("d_transform", "logit"))
        chain.load_state_dict(blob["chain"])
        return cls(chain, blob["method"], blob["beta"], blob["metadata"])


def compact_reward_file(src: str, dst: str, max_dropped_weight: float) -> tuple[int, int, float]:
    """Load ``src``, :meth:`RewardChain.compact` it, write ``dst`` (which must not exist); returns (kept, dropped,
    dropped weight). The metadata records the compaction."""
    if os.path.exists(dst):
        raise FileExistsError(f"{dst} exists: choose a new file (nothing saved is overwritten)")
    reward = LearnedReward.load(src)
    dropped, weight = reward.chain.compact(max_dropped_weight)
    reward.metadata["compacted"] = {"source": os.path.basename(src), "dropped": dropped, "dropped_weight": weight}
    reward.save(dst)
    return len(reward.chain), dropped, weight
