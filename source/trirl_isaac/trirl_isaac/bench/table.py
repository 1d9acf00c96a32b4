"""The final table: chosen settings of each method, across tasks, with 95% intervals and the paper's targets.

    python -m trirl_isaac.bench.table docs/benchmark/v3 --code 32b2b7a6bfb0 \\
        --steps pointmaze=100000 halfcheetah=1000000 hopper=1000000 --absorbing_tail bootstrap --steps_per_env 128 \\
        --row "TRIRL K=0" trirl chain_length=0 approximator.evict_chunk=10 average_reward=false \\
        --row "TRIRL K=2" trirl average_reward=false \\
        --row GAIL gail --row AIRL airl --row AMP amp --row control ppo_true --out docs/benchmark/v3/final.md

A benchmark folder holds runs of many settings and code versions (``collect`` lists them all); the benchmark's own
``results.md`` summarises one setting. This picks one setting per row: a run belongs to a row when the settings its
method reads are the benchmark's current ones with the row's overrides (a setting the run file lacks, added since,
at its default), on the given code hash(es), at each task's budget, re-optimised with the usual PPO; several folders
are pooled. It reports, per phase (train, retrain, transfer), the mean over seeds with a Student-t interval per task
and the IQM over every (task, seed) score with rliable's stratified-bootstrap interval; then retrain and transfer
pooled (each (phase, task) a stratum), each TRIRL row against the issue's targets, and the ratios the issue asks for
(TRIRL's train IQM against the best baseline's; its retrain+transfer IQM against twice the best baseline's). A row
whose runs do not all exist is reported with the seeds it has (n per cell). A re-optimisation of a TRIRL run's kept
final reward (``benchmark.py --rewards_from DIR --reward_variant final``) counts as that training's
``average_reward=false`` run (:func:`final_reward_standins`; its source run's folder must be listed too).
"""

from __future__ import annotations

import argparse
import copy
import math
import os
from typing import Any

import numpy as np

from trirl_isaac.algo.config import TrirlCfg
from trirl_isaac.bench.collect import collect
from trirl_isaac.bench.settings import AGENT, CONTROL, ENV, STEPS_PER_ENV, TRIRL_ONLY_KEYS, with_overrides
from trirl_isaac.bench.stats import mean_ci, stratified_bootstrap_ci

# The paper's numbers as issue 12 sets them (normalised return, 5 seeds, <= 2M env steps per run). The paper's
# Point Maze numbers stand for both of our mazes: the detour maze is the variant whose transfer asks what the
# paper's does (a changed layout the expert's intent still solves; see envs.gym_mujoco).
TARGETS: dict[str, dict[str, float]] = {
    "train": {"halfcheetah": 0.83, "hopper": 0.49, "pointmaze": 1.03, "pointmaze_detour": 1.03},
    "retrain": {"halfcheetah": 0.70, "hopper": 0.36, "pointmaze": 0.98, "pointmaze_detour": 0.98},
    "transfer": {
        "pointmaze_flipped": 0.96,
        "pointmaze_detour_flipped": 0.96,
        "halfcheetah_wind": 0.63,
        "halfcheetah_mars": 0.30,
    },
}
PHASES = ("train", "retrain", "transfer")


def _own_settings(algo: str, trirl_cfg: dict[str, Any]) -> dict[str, Any] | None:
    """The trirl_cfg settings ``algo`` reads, complete (a key a run file lacks, because it was added later, is at
    its ``TrirlCfg`` default, which every such key's addition left bit-identical): the baselines never read TRIRL's
    own settings, the control reads none. None when the dict no longer parses."""
    if algo == CONTROL:
        return {}
    try:
        full = TrirlCfg.from_dict(copy.deepcopy(trirl_cfg)).to_dict()
    except (ValueError, TypeError, KeyError):
        return None
    return full if algo == "trirl" else {k: v for k, v in full.items() if k not in TRIRL_ONLY_KEYS}


def _run_settings(run: dict, algo: str) -> dict[str, Any] | None:
    """The settings a run used: its recorded trirl_cfg, or for a file without one its overrides of today's."""
    recorded = run.get("budget", {}).get("agent", {}).get("algorithm", {}).get("trirl_cfg")
    return _own_settings(algo, recorded if recorded is not None else with_overrides(run.get("overrides") or []))


def _tail_matters(task: str) -> bool:
    """Whether the absorbing tail changes a run of ``task``: only tasks with terminations reach an absorbing state
    (``GymMujocoVecEnv`` reads the tail nowhere else), so elsewhere runs of either tail are the same run."""
    from trirl_isaac.envs.gym_mujoco import task_spec

    return task_spec(task).absorbing


def select(
    runs: list[dict],
    algo: str,
    overrides: list[str],
    code: str | list[str],
    steps: dict[str, int],
    seeds: list[int],
    tail: str,
    steps_per_env: int | dict[str, int | None] | None = None,
) -> dict[str, list[dict]]:
    """Per task, the runs of one setting (sorted by seed) on any of the ``code`` hashes (``HASH`` for every task,
    ``TASK=HASH`` for one; ``TASK:ALGO=HASH`` for one task's method, and then only those hashes for it: a method rerun
    on newer code replaces its older runs there); two runs of one seed are a named error. The absorbing tail must
    match only on tasks with terminations (see :func:`_tail_matters`). ``steps_per_env``: the runs' rollout steps per
    env, one for every task or a dict per task (``main`` fills each task's own, ``settings.STEPS_PER_ENV``); None, a
    task missing from the dict or ``AGENT``'s 128: the runs made at the usual rollout."""
    want = _own_settings(algo, with_overrides(overrides))
    items = [code] if isinstance(code, str) else list(code)
    out: dict[str, list[dict]] = {}
    for task, budget in steps.items():
        codes = {c.split("=", 1)[1] for c in items if c.split("=", 1)[0] == f"{task}:{algo}"} or {
            c.split("=", 1)[-1] for c in items if "=" not in c or c.split("=", 1)[0] == task
        }
        mine: dict[int, dict] = {}
        check_tail = _tail_matters(task)
        spe = steps_per_env.get(task) if isinstance(steps_per_env, dict) else steps_per_env
        spe = None if spe == AGENT["num_steps_per_env"] else spe  # the usual rollout: runs without the field
        for r in runs:
            if (
                r.get("task") != task
                or r.get("algo") != algo
                or r.get("seed") not in seeds
                or r.get("code", {}).get("source_sha1") not in codes
                or r.get("budget", {}).get("steps") != budget
                or (check_tail and r.get("budget", {}).get("env", {}).get("absorbing_tail", tail) != tail)
                or r.get("budget", {}).get("retrain_ppo")  # a row re-optimises with the usual PPO
                or r.get("budget", {}).get("steps_per_env") != spe
                or _run_settings(r, algo) != want
            ):
                continue
            if r["seed"] in mine:
                raise SystemExit(
                    f"{task} {algo} {' '.join(overrides) or 'defaults'} seed {r['seed']}: two runs match "
                    f"({mine[r['seed']]['file']}, {r['file']}); narrow --code or the overrides"
                )
            mine[r["seed"]] = r
        out[task] = [mine[s] for s in sorted(mine)]
    return out


def final_accuracy(run: dict) -> float:
    """The discriminator's accuracy over the last tenth of a run's iterations (at least one)."""
    history = [h["disc_accuracy"] for h in run.get("history", []) if h.get("disc_accuracy") is not None]
    if not history:
        raise SystemExit(f"{run.get('file', 'a run')}: no discriminator accuracy in its history")
    return float(np.mean(history[-max(1, len(history) // 10) :]))


def select_by_accuracy(
    averaged: dict[str, list[dict]], final: dict[str, list[dict]], threshold: float
) -> tuple[dict[str, list[dict]], dict[str, list[str]]]:
    """Per task and seed, the run re-optimising the averaged reward when the training's discriminator still told
    policy from expert less often than ``threshold`` at the end (:func:`final_accuracy`), else the run re-optimising
    the final reward: a choice a user can make without the true reward. Where a seed has both runs they must be one
    training (equal train scores and discriminator accuracies; a named error otherwise); a seed whose chosen run is
    missing is left out. Returns the picked runs and, per task, the choices ("seed: averaged|final (accuracy)")."""
    picked: dict[str, list[dict]] = {}
    notes: dict[str, list[str]] = {}
    for task in sorted(set(averaged) | set(final)):
        a_by_seed = {r["seed"]: r for r in averaged.get(task, [])}
        f_by_seed = {r["seed"]: r for r in final.get(task, [])}
        for seed in sorted(set(a_by_seed) | set(f_by_seed)):
            a, f = a_by_seed.get(seed), f_by_seed.get(seed)
            acc = final_accuracy(a if a is not None else f)
            if (
                a is not None
                and f is not None
                and (a["train"]["normalised"] != f["train"]["normalised"] or acc != final_accuracy(f))
            ):
                raise SystemExit(f"{task} seed {seed}: {a['file']} and {f['file']} are not the same training")
            choice = "averaged" if acc < threshold else "final"
            run = a if choice == "averaged" else f
            if run is None:
                notes.setdefault(task, []).append(f"{seed}: {choice} ({acc:.3f}; no such run, left out)")
                continue
            picked.setdefault(task, []).append(run)
            notes.setdefault(task, []).append(f"{seed}: {choice} ({acc:.3f})")
    return picked, notes


def final_reward_standins(runs: list[dict]) -> list[dict]:
    """For every run that re-optimised a TRIRL run's final reward, kept beside its averaged one (``benchmark.py
    --rewards_from DIR --reward_variant final``), a stand-in for the ``average_reward=false`` run of the same training:
    the source run (its settings, history and training score) with ``average_reward`` off and the re-optimised
    results in place of its own. A re-optimisation whose source run is not among ``runs`` is a named error (add the
    source's folder)."""
    by_key = {(r.get("task"), r.get("algo"), r.get("seed"), r.get("key")): r for r in runs if "train" in r}
    out = []
    for r in runs:
        source = r.get("source_run") or {}
        if source.get("variant") != "final":
            continue
        s = by_key.get((r.get("task"), r.get("algo"), r.get("seed"), source.get("key")))
        if s is None:
            raise SystemExit(
                f"{r['file']}: re-optimises the final reward of run {source.get('key')} ({source.get('file')}), "
                "which is in none of the folders: add its folder"
            )
        stand = copy.deepcopy({k: v for k, v in s.items() if k != "retrain" and not k.startswith("transfer:")})
        stand.update({k: v for k, v in r.items() if k == "retrain" or k.startswith("transfer:")})
        tc = stand.setdefault("budget", {}).setdefault("agent", {}).setdefault("algorithm", {}).get("trirl_cfg")
        if tc is not None:
            tc["average_reward"] = False
            tc.pop("average_power", None)
        stand["overrides"] = [o for o in stand.get("overrides") or [] if not o.startswith("average_")] + [
            "average_reward=false"
        ]
        stand["file"] = f"{r['file']} (final reward of {s['file']})"
        stand["reoptimised_on_code"] = r.get("code")  # the row's --code selects the training's code
        stand.pop("reoptimised_reward", None)
        out.append(stand)
    return out


def scores(per_task: dict[str, list[dict]]) -> dict[str, dict[str, list[float]]]:
    """phase -> cell -> normalised scores; train/retrain cells are tasks, transfer cells the shifted tasks."""
    out: dict[str, dict[str, list[float]]] = {p: {} for p in PHASES}
    for task, rs in per_task.items():
        for r in rs:
            for key, value in r.items():
                if key in ("train", "retrain"):
                    out[key].setdefault(task, []).append(value["normalised"])
                elif key.startswith("transfer:"):
                    out["transfer"].setdefault(key.split(":", 1)[1], []).append(value["normalised"])
    return out


def curves(per_task: dict[str, list[dict]]) -> dict[str, list[list[list[float]]]]:
    """phase:cell -> per-seed learning curves [[env_steps, normalised], ...] (phase: train, retrain, transfer)."""
    out: dict[str, list] = {}
    for task, rs in per_task.items():
        for r in rs:
            for key, value in r.items():
                if key in ("train", "retrain") or key.startswith("transfer:"):
                    cell = f"{key}:{task}" if ":" not in key else key
                    out.setdefault(cell, []).append([[p[0], p[1]] for p in value.get("curve", [])])
    return out


def plot(data: dict, summary: dict, cells: dict[str, list[str]], out: str) -> None:
    """Top row: IQM with its 95% interval per row and phase; below: every retrain/transfer cell's learning curves
    (mean over seeds, band = min..max), each row beside the control's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    phases = [p for p in ("train", "retrain", "transfer", "reuse") if any(p in v for v in summary.values())]
    panels = [f"retrain:{c}" for c in cells["retrain"]] + [f"transfer:{c}" for c in cells["transfer"]]
    cols = max(len(phases), 3)
    rows = 1 + math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.3 * rows), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    labels = list(data)
    titles = {"train": "train", "retrain": "retrain", "transfer": "transfer", "reuse": "retrain + transfer"}
    for ax, phase in zip(axes[0], phases):
        for i, label in enumerate(labels):
            x = summary.get(label, {}).get(phase)
            if x is None:
                continue
            ax.errorbar(
                x[0], i, xerr=[[x[0] - x[1]], [x[2] - x[0]]], fmt="o", color=colours[i % len(colours)], capsize=3
            )
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(1.0, color="k", lw=0.5, ls="--")
        ax.set_title(f"{titles[phase]}: IQM, 95% CI", fontsize=9)
        ax.set_xlabel("normalised return", fontsize=8)
    for ax in axes[0][len(phases) :]:
        ax.axis("off")
    flat = list(axes[1:].flat)
    for ax, cell in zip(flat, panels):
        for i, label in enumerate(labels):
            runs = [c for c in data[label]["curves"].get(cell, []) if c]
            if not runs:
                continue
            n = min(len(c) for c in runs)
            ys = np.array([[p[1] for p in c[:n]] for c in runs])
            xs = np.array([p[0] for p in runs[0][:n]])
            ax.plot(xs, ys.mean(0), color=colours[i % len(colours)], lw=1.2, label=label)
            ax.fill_between(xs, ys.min(0), ys.max(0), color=colours[i % len(colours)], alpha=0.12)
        ax.axhline(1.0, color="k", lw=0.5, ls="--")
        ax.set_title(cell.replace(":", ": "), fontsize=9)
        ax.set_xlabel("env steps (PPO from scratch on the frozen reward)", fontsize=8)
    if flat and panels:
        flat[0].legend(fontsize=7)
    for ax in flat[len(panels) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def _cell(v: list[float]) -> str:
    if not v:
        return "-"
    m, lo, hi = mean_ci(v)
    return f"{m:.2f}" + ("" if math.isnan(lo) else f" [{lo:.2f}, {hi:.2f}]") + ("" if len(v) == 5 else f" (n={len(v)})")


def _iqm(groups: list[list[float]]) -> tuple[float, float, float] | None:
    groups = [g for g in groups if g]
    return stratified_bootstrap_ci([np.asarray(g) for g in groups]) if groups else None


def _fmt_iqm(x: tuple[float, float, float] | None, note: str = "") -> str:
    return "-" if x is None else f"**{x[0]:.2f}** [{x[1]:.2f}, {x[2]:.2f}]{note}"


def build(rows: list[tuple[str, str, list[str]]], runs: list[dict], args: Any) -> tuple[str, dict]:
    """Markdown and the numbers behind it for the given rows (label, algo, overrides)."""
    data = {}
    for label, algo, overrides in rows:
        picked = select(
            runs,
            algo,
            overrides,
            args.code,
            args.steps,
            args.seeds,
            args.absorbing_tail,
            getattr(args, "steps_per_env", None),
        )
        if not any(picked.values()):
            raise SystemExit(
                f"row {label!r} ({algo} {' '.join(overrides) or 'defaults'}): no run in {' '.join(args.folders)} on "
                f"code {' / '.join(args.code)} at {args.steps}"
            )
        data[label] = {"algo": algo, "overrides": overrides, "scores": scores(picked), "curves": curves(picked),
                       "seeds": {t: [r["seed"] for r in rs] for t, rs in picked.items()}}  # fmt: skip
    rules = getattr(args, "by_accuracy", None) or []
    rule_lines: list[str] = []
    for rule in rules:
        label, threshold, setting = rule[0], float(rule[1]), list(rule[2:])
        args_sel = (args.code, args.steps, args.seeds, args.absorbing_tail, getattr(args, "steps_per_env", None))
        averaged = select(runs, "trirl", setting, *args_sel)
        final = select(runs, "trirl", [*setting, "average_reward=false"], *args_sel)
        picked, notes = select_by_accuracy(averaged, final, threshold)
        if not picked:
            raise SystemExit(f"--by_accuracy {label!r}: no run of the reward the rule chooses")
        seeds = {t: [r["seed"] for r in rs] for t, rs in picked.items()}
        data[label] = {"algo": "trirl", "overrides": [*setting, f"by_accuracy<{threshold:g}"],
                       "scores": scores(picked), "curves": curves(picked), "seeds": seeds}  # fmt: skip
        of = f" (runs with {' '.join(setting)})" if setting else ""
        rule_lines += [
            f"Row {label!r}{of}: per task and seed, the averaged reward where the training's discriminator accuracy "
            f"over its last tenth of iterations is below {threshold:g}, else the final reward (seed: choice "
            "(accuracy)): " + "; ".join(f"{t} " + ", ".join(n) for t, n in notes.items()) + ".",
            "",
        ]
    cells = {p: sorted({c for d in data.values() for c in d["scores"][p]}) for p in PHASES}
    lines = [
        f"# Final table: {', '.join(args.folders)} (code {' / '.join(args.code)})",
        "",
        "Budgets (env steps per run): " + ", ".join(f"{t} {s:,}" for t, s in args.steps.items())
        + _spe_header(getattr(args, "steps_per_env", None))
        + f"; seeds {args.seeds}; absorbing tail (tasks with terminations): {args.absorbing_tail}. Cells: mean "
        "over seeds [95% Student-t interval] (n when not 5); IQM: interquartile mean over every (task, seed) score "
        "[95% stratified-bootstrap interval, rliable]. Made by `python -m trirl_isaac.bench.table` (see its "
        "docstring for the command).",
        "",
    ]  # fmt: skip
    lines += rule_lines
    summary: dict[str, Any] = {}
    for phase in PHASES:
        if not cells[phase]:
            continue
        head = "| method | " + " | ".join(cells[phase]) + " | IQM |"
        targets = " | ".join(f"{TARGETS[phase][c]:.2f}" if c in TARGETS[phase] else "-" for c in cells[phase])
        lines += [f"## {phase}", "", head, "|---" * (len(cells[phase]) + 2) + "|", f"| paper target | {targets} | |"]
        for label, d in data.items():
            if phase == "train" and d["algo"] == CONTROL:
                continue
            groups = [d["scores"][phase].get(c, []) for c in cells[phase]]
            iq = _iqm(groups)
            missing = sum(1 for g in groups if not g)
            summary.setdefault(label, {})[phase] = iq
            note = f" ({len(groups) - missing} of {len(groups)})" if missing else ""
            lines.append(f"| {label} | " + " | ".join(_cell(g) for g in groups) + f" | {_fmt_iqm(iq, note)} |")
        lines.append("")
    lines += ["## retrain + transfer pooled", "", "| method | IQM | scores |", "|---|---|---|"]
    for label, d in data.items():
        groups = [d["scores"]["retrain"].get(c, []) for c in cells["retrain"]]
        groups += [d["scores"]["transfer"].get(c, []) for c in cells["transfer"]]
        iq = _iqm(groups)
        summary.setdefault(label, {})["reuse"] = iq
        lines.append(f"| {label} | {_fmt_iqm(iq)} | {sum(len(g) for g in groups)} |")
    lines.append("")
    trirl = [k for k, d in data.items() if d["algo"] == "trirl"]
    baselines = [k for k, d in data.items() if d["algo"] not in ("trirl", CONTROL)]
    if trirl:
        lines += ["## against the targets", "", "| TRIRL row | met | missed (mean vs target) |", "|---|---|---|"]
        for label in trirl:
            met, missed = [], []
            for phase in PHASES:
                for c, target in TARGETS[phase].items():
                    v = data[label]["scores"][phase].get(c)
                    if not v:
                        continue
                    (met if np.mean(v) >= target else missed).append(
                        f"{phase} {c}" + ("" if np.mean(v) >= target else f" ({np.mean(v):.2f} vs {target:.2f})")
                    )
            lines.append(f"| {label} | {', '.join(met) or '-'} | {', '.join(missed) or '-'} |")
        lines.append("")
    if trirl and baselines:
        lines += ["## against the best baseline", "", "| TRIRL row | train IQM / best baseline's (target >= 1) | "
                  "retrain+transfer IQM / best baseline's (target >= 2) |", "|---|---|---|"]  # fmt: skip
        for label in trirl:
            ratio = []
            for key in ("train", "reuse"):
                best = max(baselines, key=lambda b: (summary[b].get(key) or (-math.inf,))[0])
                mine, theirs = summary[label].get(key), summary[best].get(key)
                if mine is None or theirs is None:
                    ratio.append("-")
                elif theirs[0] <= 0:
                    ratio.append(f"{mine[0]:.2f} vs {theirs[0]:.2f} ({best}; not a ratio: the baseline is <= 0)")
                else:
                    ratio.append(f"{mine[0] / theirs[0]:.2f} ({mine[0]:.2f} vs {best} {theirs[0]:.2f})")
            lines.append(f"| {label} | {ratio[0]} | {ratio[1]} |")
        lines.append("")
    return "\n".join(lines), {"rows": data, "iqm": summary, "cells": cells}


def _spe_header(spe: int | dict[str, int | None] | None) -> str:
    if isinstance(spe, dict):
        spe = {t: n for t, n in spe.items() if n not in (None, AGENT["num_steps_per_env"])}
        return ("; rollout steps per env " + ", ".join(f"{t} {n}" for t, n in spe.items())) if spe else ""
    return f"; rollout steps per env {spe}" if spe else ""


def parse_steps_per_env(items: list[str] | None, tasks: list[str]) -> dict[str, int | None]:
    """``--steps_per_env``: ``N`` for every task, ``TASK=N`` for one (later items win); a task not named: its own
    (``settings.STEPS_PER_ENV``; 128, ``AGENT``'s, selects the runs made at the usual rollout)."""
    out: dict[str, int | None] = {t: STEPS_PER_ENV.get(t) for t in tasks}
    for item in items or []:
        task, sep, value = item.rpartition("=")
        if sep and task not in tasks:
            raise SystemExit(f"--steps_per_env {item!r}: {task!r} is not a task of --steps ({', '.join(tasks)})")
        try:
            n = int(value)
        except ValueError:
            raise SystemExit(f"--steps_per_env {item!r}: expected N or TASK=N, e.g. pointmaze=32") from None
        if n <= 0:
            raise SystemExit(f"--steps_per_env {item!r}: must be positive")
        for t in [task] if sep else tasks:
            out[t] = n
    return out


def parse_steps(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        task, _, value = item.partition("=")
        try:
            out[task] = int(float(value))
        except ValueError:
            raise SystemExit(f"--steps {item!r}: expected TASK=STEPS, e.g. pointmaze=100000") from None
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", metavar="folder", help="benchmark output folders; their runs are pooled")
    p.add_argument("--code", nargs="+", required=True,
                   help="the code hash (source_sha1) a run must carry; several: runs of any of them (for code versions "
                        "whose runs of a setting are bit-identical, as shown by rerunning one); TASK=HASH: for that "
                        "task only; TASK:ALGO=HASH: for that task's method, replacing the other hashes there (a "
                        "method rerun on newer code)")  # fmt: skip
    p.add_argument("--steps", nargs="+", required=True, help="TASK=STEPS: the tasks and each one's budget")
    p.add_argument("--row", nargs="+", action="append", required=True, metavar="LABEL ALGO [OVERRIDE ...]",
                   help="one row: its label, the method, and the --trirl overrides of its runs")  # fmt: skip
    p.add_argument("--by_accuracy", nargs="+", action="append", default=None,
                   metavar="LABEL THRESHOLD [OVERRIDE ...]",
                   help="add a TRIRL row that re-optimises, per run, the averaged reward if the training's final "
                        "discriminator accuracy is below THRESHOLD, else the final one; OVERRIDEs pick the runs of "
                        "one setting, as in --row (repeat the option for several settings)")  # fmt: skip
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--absorbing_tail", default=ENV["absorbing_tail"])
    p.add_argument("--steps_per_env", nargs="+", default=None,
                   help="the runs' rollout steps per env: N for every task, TASK=N for one (default: each task's "
                        f"own, {STEPS_PER_ENV}, else {AGENT['num_steps_per_env']})")  # fmt: skip
    p.add_argument("--out", default=None, help="write the markdown here (default: print it)")
    p.add_argument("--plot", default=None, help="also draw IQM intervals and retrain/transfer curves (PNG)")
    args = p.parse_args(argv)
    args.steps = parse_steps(args.steps)
    args.steps_per_env = parse_steps_per_env(args.steps_per_env, list(args.steps))
    algos = {spec[1] for spec in args.row if len(spec) > 1} | ({"trirl"} if args.by_accuracy else set())
    for c in args.code:
        key = c.split("=", 1)[0] if "=" in c else None
        task, _, algo = (key or "").partition(":")
        if key is not None and task not in args.steps:
            raise SystemExit(f"--code {c!r}: {task!r} is not a task of --steps ({', '.join(args.steps)})")
        if key is not None and ":" in key and algo not in algos:
            raise SystemExit(f"--code {c!r}: {algo!r} is the method of no row ({', '.join(sorted(algos))})")
    for rule in args.by_accuracy or []:
        if len(rule) < 2:
            raise SystemExit(f"--by_accuracy {' '.join(rule)}: expected LABEL THRESHOLD [OVERRIDE ...]")
        try:
            threshold = float(rule[1])
        except ValueError:
            threshold = math.nan
        if not 0.0 < threshold <= 1.0:
            raise SystemExit(f"--by_accuracy {rule[1]!r}: THRESHOLD must be an accuracy in (0, 1]")
    rows = []
    for spec in args.row:
        if len(spec) < 2:
            raise SystemExit(f"--row {spec}: expected LABEL ALGO [OVERRIDE ...]")
        rows.append((spec[0], spec[1], spec[2:]))
    runs = []
    for folder in args.folders:
        if not os.path.isdir(os.path.join(folder, "runs")):
            raise SystemExit(f"{folder}: no runs/ folder (not a benchmark output folder)")
        runs += [r | {"file": os.path.join(folder, "runs", r["file"])} for r in collect(folder)]
    runs += final_reward_standins(runs)
    text, data = build(rows, runs, args)
    if args.plot:
        plot(data["rows"], data["iqm"], data["cells"], args.plot)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
