"""Aggregate statistics of normalised returns: IQM, stratified-bootstrap intervals, per-task Student-t intervals.

The IQM and its interval come from ``rliable`` (Agarwal et al. 2021, the field's standard) when every task has the
same number of runs (its score matrix); while a table is still filling up (unequal runs per task) the same
statistic is bootstrapped here, resampling runs within each task."""

from __future__ import annotations

import math

import numpy as np
import scipy.stats


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean: the mean of the middle 50% of all scores (scipy's 25% trimmed mean)."""
    return float(scipy.stats.trim_mean(np.asarray(scores, dtype=float).ravel(), proportiontocut=0.25))


def stratified_bootstrap_ci(
    per_task: list[np.ndarray], statistic=iqm, reps: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """(point, low, high): percentile interval of ``statistic`` when runs are resampled within each task."""
    per_task = [np.asarray(x, dtype=float) for x in per_task if len(x)]
    if statistic is iqm and len({len(x) for x in per_task}) == 1:
        from rliable import library as rly
        from rliable import metrics

        np.random.seed(seed)  # rliable draws from numpy's global generator
        scores = {"m": np.stack(per_task, axis=1)}  # (runs, tasks)
        point, ci = rly.get_interval_estimates(
            scores, lambda x: np.array([metrics.aggregate_iqm(x)]), reps=reps, confidence_interval_size=confidence
        )
        return float(point["m"][0]), float(ci["m"][0, 0]), float(ci["m"][1, 0])
    rng = np.random.default_rng(seed)
    point = statistic(np.concatenate(per_task))
    stats = np.empty(reps)
    for b in range(reps):
        stats[b] = statistic(np.concatenate([x[rng.integers(0, len(x), len(x))] for x in per_task]))
    tail = 100 * (1 - confidence) / 2
    return point, float(np.percentile(stats, tail)), float(np.percentile(stats, 100 - tail))


def mean_ci(x: list[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval over seeds (a single seed gives an interval of NaN)."""
    a = np.asarray(x, dtype=float)
    m = float(a.mean())
    if len(a) < 2:
        return m, float("nan"), float("nan")
    h = float(scipy.stats.t.ppf(0.5 + confidence / 2, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a)))
    return m, m - h, m + h
