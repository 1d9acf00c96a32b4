"""Side by side: how saved benchmark runs of different settings trained (per-iteration TRIRL quantities), and, on
Point Maze, what their learned rewards ask for (heatmaps). Reads only committed run JSONs and reward files.

    python -m trirl_isaac.bench.compare --task pointmaze --seeds 0 1 --out docs/benchmark/v4maxent/temperature.png \
        "docs/benchmark/v3=13161154bd=tau 0 (default)" "docs/benchmark/v4maxent=06626f4526=max_ent, tau 0.1"

Each run set is FOLDER=KEY=LABEL: the runs <task>__<algo>__s<seed>__<KEY>.json in FOLDER/runs (algo: --algo).
"""

from __future__ import annotations

import argparse
import json
import os

CURVES = (
    ("disc_accuracy", "discriminator accuracy"),
    ("disc_logit_policy", "D on policy samples"),
    ("eps_tr", "eps_tr = eps / (1 + eta)"),
    ("dual_estimate", "dual estimate (policy units)"),
)


def parse_set(spec: str) -> tuple[str, str, str]:
    """FOLDER=KEY=LABEL -> (folder, key, label); a malformed spec is a named error."""
    parts = spec.split("=", 2)
    if len(parts) != 3 or not all(parts):
        raise SystemExit(f"run set {spec!r}: expected FOLDER=KEY=LABEL")
    return parts[0], parts[1], parts[2]


def load_runs(folder: str, key: str, task: str, algo: str, seeds: list[int]) -> list[dict]:
    """The runs of one setting, one per seed that has one (missing seeds are said); none at all is a named error."""
    runs, missing = [], []
    for seed in seeds:
        path = os.path.join(folder, "runs", f"{task}__{algo}__s{seed}__{key}.json")
        if not os.path.isfile(path):
            missing.append(path)
            continue
        with open(path) as f:
            run = json.load(f)
        run["_reward"] = os.path.join(folder, "rewards", os.path.basename(path)[: -len(".json")] + ".pt")
        runs.append(run)
    if not runs:
        raise SystemExit(f"no run file for {folder}={key}: looked for {missing}")
    for path in missing:
        print(f"[compare] no run file {path}: that seed is left out")
    return runs


def plot(sets: list[tuple[str, list[dict]]], task: str, out: str) -> None:
    """One row of per-iteration curves (every seed, thin) and, for Point Maze, one heatmap per set (first seed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from trirl_isaac.algo.reward import LearnedReward
    from trirl_isaac.bench.heatmap import draw_field

    maze = task == "pointmaze"
    cols = max(len(CURVES), len(sets) if maze else 0)
    fig, axes = plt.subplots(2 if maze else 1, cols, figsize=(4.2 * cols, 3.8 * (2 if maze else 1)), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for c, (key, title) in enumerate(CURVES):
        ax = axes[0][c]
        for i, (label, runs) in enumerate(sets):
            for j, run in enumerate(runs):
                hist = [h for h in run.get("history", []) if key in h]
                if hist:
                    ax.plot([h["iteration"] for h in hist], [h[key] for h in hist], color=colours[i % len(colours)],
                            lw=0.8, alpha=0.8, label=label if j == 0 else None)  # fmt: skip
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("iteration", fontsize=8)
    axes[0][0].legend(fontsize=7)
    for ax in axes[0][len(CURVES) :]:
        ax.axis("off")
    if maze:
        for c, (label, runs) in enumerate(sets):
            run = runs[0]
            scores = f"train {run['train']['normalised']:.2f}, retrain {run['retrain']['normalised']:.2f}"
            draw_field(axes[1][c], LearnedReward.load(run["_reward"]), f"{label} (seed {run['seed']})\n{scores}")
        for ax in axes[1][len(sets) :]:
            ax.axis("off")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    """Parse the run sets, load them and write the figure."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sets", nargs="+", help="FOLDER=KEY=LABEL")
    p.add_argument("--task", default="pointmaze")
    p.add_argument("--algo", default="trirl")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    sets = []
    for spec in args.sets:
        folder, key, label = parse_set(spec)
        sets.append((label, load_runs(folder, key, args.task, args.algo, args.seeds)))
    plot(sets, args.task, args.out)
    summary = {
        label: {k: [round(r[k]["normalised"], 2) for r in runs if k in r] for k in ("train", "retrain")}
        for label, runs in sets
    }
    print(json.dumps(summary))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
