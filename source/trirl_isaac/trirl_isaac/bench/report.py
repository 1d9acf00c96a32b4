"""Tables (results.md), raw numbers (results.json) and figures (curves, TRIRL diagnostics) of benchmark runs."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

from trirl_isaac.bench.run import norm, provenance, steps_for
from trirl_isaac.bench.settings import NUM_ENVS, QUICK
from trirl_isaac.bench.stats import mean_ci, stratified_bootstrap_ci


def fmt(m: float, lo: float, hi: float) -> str:
    """'m [lo, hi]' with NaN intervals shown as 'm'."""
    return f"{m:.2f}" if math.isnan(lo) else f"{m:.2f} [{lo:.2f}, {hi:.2f}]"


def renormalise(runs: list[dict], refs: dict[str, dict]) -> None:
    """Recompute normalised returns from the raw ones with the current reference returns (demo files may change)."""
    for r in runs:
        for key, value in r.items():
            if key == "train" or key == "retrain" or key.startswith("transfer:"):
                ref = refs[r["task"] if ":" not in key else key.split(":")[1]]
                value["normalised"] = norm(value["return"], ref)
                for point in value["curve"]:
                    point[1] = norm(point[2], ref)


def summarise(runs: list[dict], algos: list[str]) -> dict[str, Any]:
    """Per-setting, per-task mean and CI, and per-setting IQM with stratified bootstrap CIs."""
    settings: dict[str, dict[str, dict[str, list[float]]]] = {}
    for r in runs:
        for key, value in r.items():
            if key == "train" or key == "retrain" or key.startswith("transfer:"):
                setting = key.split(":")[0]
                task = r["task"] if ":" not in key else key.split(":")[1]
                settings.setdefault(setting, {}).setdefault(task, {}).setdefault(r["algo"], []).append(
                    value["normalised"]
                )
    out: dict[str, Any] = {}
    for setting, tasks in settings.items():
        per_task = {
            t: {a: dict(zip(("mean", "low", "high"), mean_ci(v))) | {"n": len(v)} for a, v in d.items()}
            for t, d in tasks.items()
        }
        agg = {}
        for a in algos:
            groups = [np.asarray(tasks[t][a]) for t in tasks if a in tasks[t]]
            if groups:
                agg[a] = dict(zip(("iqm", "low", "high"), stratified_bootstrap_ci(groups))) | {
                    "n_tasks": len(groups),
                    "n_scores": int(sum(len(g) for g in groups)),
                }
        out[setting] = {"per_task": per_task, "iqm": agg}
    return out


def portable_path(path: str) -> str:
    """``path`` relative to the working directory when it lies inside it, else its last component: a results file
    names its folder without the machine it was written on."""
    rel = os.path.relpath(os.path.abspath(path))
    return rel if not rel.startswith("..") else os.path.basename(os.path.normpath(path))


def write_report(args, runs: list[dict], refs: dict, summary: dict, speed: list[dict], verbose: bool = True) -> None:
    """results.md, results.json, curves.png and trirl_<task>.png."""
    algos = list(args.algos)
    lines = ["# Benchmark: normalised return (R - R_random) / (R_expert - R_random)", ""]
    lines += [
        "Budget per training run (env steps): "
        + ("quick" if args.quick else ", ".join(f"{t} {steps_for(args, t)}" for t in args.tasks))
        + f" ({NUM_ENVS if not args.quick else QUICK['num_envs']} envs), seeds {args.seeds}, deterministic "
        f"evaluation over {args.eval_episodes} episodes; retrain/transfer: plain PPO on the frozen learned reward "
        f"for {args.retrain_fraction:g} x the task's budget.",
        "Per task: mean [95% Student-t CI over seeds]; IQM: interquartile mean over all (task, seed) scores "
        "[95% stratified-bootstrap CI].",
        "",
    ]
    titles = {
        "train": "Imitation (policy trained with the method)",
        "retrain": "Retraining (fresh PPO on the frozen learned reward, same task)",
        "transfer": "Transfer (fresh PPO on the frozen reward, shifted dynamics)",
    }
    for setting in ("train", "retrain", "transfer"):
        if setting not in summary:
            continue
        s = summary[setting]
        lines += [f"## {titles[setting]}", "", "| task | " + " | ".join(algos) + " |", "|---" * (len(algos) + 1) + "|"]
        for task, d in s["per_task"].items():
            cells = [fmt(d[a]["mean"], d[a]["low"], d[a]["high"]) if a in d else "-" for a in algos]
            lines.append(f"| {task} | " + " | ".join(cells) + " |")
        cells = [
            fmt(s["iqm"][a]["iqm"], s["iqm"][a]["low"], s["iqm"][a]["high"]) if a in s["iqm"] else "-" for a in algos
        ]
        lines += ["| **IQM** | " + " | ".join(cells) + " |", ""]
    lines += ["## Reference returns", "", "| task | expert | random | source |", "|---|---|---|---|"]
    for t, r in refs.items():
        lines.append(f"| {t} | {r['expert']:.1f} | {r['random']:.1f} | {r['source']} |")
    if speed:
        lines += [
            "",
            "## Speed (CPU, seconds per iteration at the same batch)",
            "",
            "| task | batch | threads | TRIRL | GAIL | PPO (true r) | PPO (frozen chain r) | TRIRL/PPO | "
            "K | chain eval ms | single D ms | chain/single |",
            "|---" * 12 + "|",
        ]
        for sp in speed:
            lines.append(
                f"| {sp['task']} | {sp['num_envs']}x{sp['steps_per_env']} | {sp['threads']} | "
                f"{sp['trirl_s_per_iter']:.3f} | {sp['gail_s_per_iter']:.3f} | {sp['ppo_s_per_iter']:.3f} | "
                f"{sp['ppo_frozen_reward_s_per_iter']:.3f} | {sp['ratio_trirl_ppo']:.2f} | {sp['chain_length']} | "
                f"{sp['chain_eval_ms']:.2f} | {sp['single_disc_eval_ms']:.3f} | {sp['chain_vs_single']:.1f} |"
            )
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    blob = {
        "args": {**vars(args), "out": portable_path(args.out)},
        "trirl_cfg": args.trirl,
        "env": args.env,
        "num_envs": NUM_ENVS,
        "references": refs,
        "summary": summary,
        "runs": runs,
        "speed": speed,
        "code": provenance(),
    }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(blob, f, indent=1, default=float)
    plot(args, runs)
    if verbose:
        print("\n".join(lines))


def plot(args, runs: list[dict]) -> None:
    """Learning curves per task and setting, and TRIRL's per-iteration diagnostics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(r["task"], k) for r in runs for k in r if k == "train" or k == "retrain" or ":" in k})
    if panels:
        cols = min(3, len(panels))
        rows = math.ceil(len(panels) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
        for ax, (task, key) in zip(axes.flat, panels):
            for algo in args.algos:
                mine = [r for r in runs if r["task"] == task and r["algo"] == algo and key in r]
                curves = [np.asarray(r[key]["curve"]) for r in mine]
                curves = [c for c in curves if len(c)]
                if not curves:
                    continue
                n = min(len(c) for c in curves)
                ys = np.stack([c[:n, 1] for c in curves])
                x = curves[0][:n, 0]
                ax.plot(x, ys.mean(0), label=algo)
                ax.fill_between(x, ys.min(0), ys.max(0), alpha=0.2)
            ax.set_title(f"{task}: {key}")
            ax.set_xlabel("env steps")
            ax.set_ylabel("normalised return")
            ax.axhline(1.0, color="k", lw=0.5, ls="--")
            ax.legend(fontsize=7)
        for ax in list(axes.flat)[len(panels) :]:
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(os.path.join(args.out, "curves.png"), dpi=90)
        plt.close(fig)
    keys = (
        ("kl_new_old", "KL(pi_new || pi_old)"),
        ("eta", "eta"),
        ("eps_tr", "eps_tr"),
        ("dual_estimate", "dual estimate G/beta"),
    )
    for task in sorted({r["task"] for r in runs if r["algo"] == "trirl"}):
        fig, axes = plt.subplots(1, 4, figsize=(18, 3.4))
        for r in runs:
            if r["task"] != task or r["algo"] != "trirl" or not r.get("history"):
                continue
            it = [h["iteration"] for h in r["history"]]
            for ax, (k, title) in zip(axes, keys):
                ax.plot(it, [h.get(k, float("nan")) for h in r["history"]], lw=0.8, label=f"seed {r['seed']}")
                ax.set_title(title)
                ax.set_xlabel("iteration")
        axes[1].set_yscale("symlog", linthresh=1e-2)
        axes[0].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(args.out, f"trirl_{task}.png"), dpi=90)
        plt.close(fig)
