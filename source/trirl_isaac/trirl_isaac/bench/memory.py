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


def average_weights(eps_tr: Sequence[float]) -> tuple[np.ndarray, float]:
    """(w, w0) of the running mean of the run's rewards, (1/n) sum_i r_i (``average_reward``): the mean over i of
    r_i's fold weights, D_j weighing 0 in every r_i with i < j."""
    e = np.asarray(eps_tr, dtype=float)
    fold_weights(e)  # validates
    n = e.size
    w, w0 = np.zeros(n), 0.0
    for i in range(1, n + 1):
        wi, w0i = fold_weights(e[:i])
        w[:i] += wi / n
        w0 += w0i / n
    return w, w0


def memory_of(w: np.ndarray, w0: float) -> dict[str, float]:
    """Summary of weights ``w`` (oldest first) and ``w0`` (on r_0): ``n_eff`` = (sum w)^2 / sum w^2, the number of
    discriminators the reward effectively averages (n for a uniform average, ~(2 - e) / e for a constant step e);
    ``first_half``, the weight of the first half of the run's discriminators; ``last_tenth``, of its last tenth;
    ``initial``, of r_0."""
    n = w.size
    if n == 0 or w.sum() == 0.0:
        return {"n_eff": 0.0, "first_half": 0.0, "last_tenth": 0.0, "initial": w0}
    return {
        "n_eff": float(w.sum() ** 2 / (w**2).sum()),
        "first_half": float(w[: n // 2].sum()),
        "last_tenth": float(w[n - max(1, n // 10) :].sum()),
        "initial": w0,
    }


def reward_memory(eps_tr: Sequence[float], average: bool = False) -> dict[str, float]:
    """:func:`memory_of` the fold's weights, or with ``average`` of :func:`average_weights` (the reward
    ``average_reward`` saves)."""
    return memory_of(*(average_weights if average else fold_weights)(eps_tr))


def run_weights(run: dict[str, Any]) -> tuple[np.ndarray, float] | None:
    """The weights of the reward a benchmark run re-optimised (the averaged one when its file says
    ``reoptimised_reward: average``), from its training history; None when it logged no ``eps_tr`` (e.g. a
    baseline, whose reward is its latest discriminator)."""
    history = run.get("history") or []
    if run.get("algo") != "trirl" or not history or any("eps_tr" not in h for h in history):
        return None
    eps_tr = [h["eps_tr"] for h in history]
    return (average_weights if run.get("reoptimised_reward") == "average" else fold_weights)(eps_tr)


def run_memory(run: dict[str, Any]) -> dict[str, float] | None:
    """:func:`memory_of` :func:`run_weights` (None when the run has none)."""
    weights = run_weights(run)
    return None if weights is None else memory_of(*weights)


def plot_memory(runs: dict[str, dict[str, Any]], out: str) -> None:
    """One panel: the final reward's weight on each iteration's discriminator (log scale, against the run's
    fraction of iterations) for each labelled run file; a new PNG at ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    for label, run in runs.items():
        weights = run_weights(run)
        if weights is None:
            raise ValueError(f"{label}: not a TRIRL run with eps_tr logged per iteration")
        w, mem = weights[0], memory_of(*weights)
        x = (np.arange(w.size) + 1) / w.size
        ax.semilogy(
            x, np.maximum(w, 1e-12), label=f"{label} (n_eff {mem['n_eff']:.0f}, first half {mem['first_half']:.2f})"
        )
    ax.set_xlabel("iteration of the discriminator / iterations of the run")
    ax.set_ylabel("weight in the final reward")
    ax.set_ylim(1e-8, 1.0)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    """Print each run's reward memory and (with ``--out``) draw the weights in a new PNG."""
    import argparse
    import json
    import os

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", help="LABEL=RUN.json (a benchmark run file of TRIRL)")
    p.add_argument("--out", default=None, help="a new PNG of the weights per iteration")
    a = p.parse_args(argv)
    if a.out and os.path.exists(a.out):
        raise SystemExit(f"--out {a.out} exists; choose a new file")
    from trirl_isaac.cli import labelled_files

    runs = {}
    for label, path in labelled_files(a.runs, "runs", "run").items():
        with open(path) as f:
            runs[label] = json.load(f)
        mem = run_memory(runs[label])
        if mem is None:
            raise SystemExit(f"{label}: {path} is not a TRIRL run with eps_tr logged per iteration")
        print(f"{label}: " + ", ".join(f"{k} {v:.3g}" for k, v in mem.items()))
    if a.out:
        plot_memory(runs, a.out)
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
