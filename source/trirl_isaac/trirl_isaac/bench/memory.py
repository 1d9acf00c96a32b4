"""How much of a run a TRIRL reward remembers: the fold's weight on each iteration's discriminator.

The corrected reward folds every discriminator in with the theorem's step, r_i = (1 - e_i) r_{i-1} + e_i f(D_i)
with e_i = eps_i / (1 + eta_i), so the final reward of an n-iteration run weighs D_j by

    w_j = e_j * prod_{k > j} (1 - e_k),        and the initial reward r_0 by prod_k (1 - e_k).

With a constant step the weights fall geometrically into the past (the reward is the last ~1 / e discriminators);
with e_j = 1 / j they are all 1 / n (the reward is the run's average, as in fictitious play). This reads e_j from a
run's logged ``eps_tr`` (the benchmark's run files keep it per iteration), so it describes any finished run without
re-running it. The chain's approximator only approximates the older part of this sum; the weights are what the
theorem's reward is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def fold_weights(eps_tr: Sequence[float]) -> tuple[np.ndarray, float]:
    """(w, w0): the final reward's weight on each iteration's discriminator, oldest first, and on r_0."""
    e = np.asarray(eps_tr, dtype=float)
    if e.ndim != 1 or np.any(~np.isfinite(e)) or np.any((e < 0) | (e > 1)):
        raise ValueError("eps_tr must be a sequence of steps in [0, 1], one per iteration")
    keep = np.cumprod((1.0 - e)[::-1])[::-1]  # keep[j] = prod_{k >= j} (1 - e_k)
    later = np.append(keep[1:], 1.0)  # prod_{k > j} (1 - e_k)
    return e * later, float(keep[0]) if e.size else 1.0


def reward_memory(eps_tr: Sequence[float]) -> dict[str, float]:
    """Summary of :func:`fold_weights`: ``n_eff`` = (sum w)^2 / sum w^2, the number of discriminators the reward
    effectively averages (n for a uniform average, ~(2 - e) / e for a constant step e); ``first_half``, the weight
    of the first half of the run's discriminators; ``last_tenth``, of its last tenth; ``initial``, of r_0."""
    w, w0 = fold_weights(eps_tr)
    n = w.size
    if n == 0 or w.sum() == 0.0:
        return {"n_eff": 0.0, "first_half": 0.0, "last_tenth": 0.0, "initial": w0}
    return {
        "n_eff": float(w.sum() ** 2 / (w**2).sum()),
        "first_half": float(w[: n // 2].sum()),
        "last_tenth": float(w[n - max(1, n // 10) :].sum()),
        "initial": w0,
    }


def run_memory(run: dict[str, Any]) -> dict[str, float] | None:
    """:func:`reward_memory` of a benchmark run file's training history (None when it logged no ``eps_tr``,
    e.g. a baseline, whose reward is its latest discriminator)."""
    history = run.get("history") or []
    if run.get("algo") != "trirl" or not history or any("eps_tr" not in h for h in history):
        return None
    return reward_memory([h["eps_tr"] for h in history])
