"""Every finished run in a benchmark folder as one markdown table, whatever its settings or code version.

    python -m trirl_isaac.bench.collect docs/benchmark/v2 [--out docs/benchmark/v2/runs.md]

The benchmark's own report (results.md) summarises the runs of one setting on the current code; sweeps and
ablations leave runs of many settings, and of earlier code, in the same folder. This lists each (task, method,
settings) with the per-seed scores, so a reader sees exactly which code and which overrides made which number.
For TRIRL runs the last column is the final reward's memory (``bench.memory``): how many discriminators its fold
effectively averages (n_eff) and the weight of the first half of the run's.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
from collections import defaultdict

import numpy as np

from trirl_isaac.bench.memory import run_memory
from trirl_isaac.bench.settings import TRIRL_ONLY_KEYS

SETTINGS = ("train", "retrain")


def collect(folder: str) -> list[dict]:
    """The runs/*.json of a benchmark folder, oldest first."""
    runs = []
    for path in sorted(glob.glob(os.path.join(folder, "runs", "*.json"))):
        with open(path) as f:
            runs.append(json.load(f) | {"file": os.path.basename(path)})
    return runs


def label(run: dict) -> str:
    """The settings a run differs in from the benchmark defaults, as written on its command line."""
    parts = list(run.get("overrides") or [])
    if run.get("algo") != "trirl":  # the baselines and the control never read TRIRL's own settings
        parts = [p for p in parts if p.split("=")[0].split(".")[0] not in TRIRL_ONLY_KEYS]
    tail = run.get("budget", {}).get("env", {}).get("absorbing_tail")
    if tail and run.get("task") in ("hopper", "walker2d", "ant", "ant_disabled", "humanoid"):  # tasks that terminate
        parts.append(f"absorbing_tail={tail}")
    if run.get("budget", {}).get("steps_per_env") is not None:
        parts.append(f"steps_per_env={run['budget']['steps_per_env']}")
    steps = run.get("budget", {}).get("steps")
    return (" ".join(parts) or "defaults") + (f" @ {steps / 1e6:g}M" if steps else "")


def table(runs: list[dict]) -> str:
    """Markdown: one row per (task, method, settings, code), per-seed scores, their mean for each setting."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in runs:
        groups[(r["task"], r["algo"], label(r), r.get("code", {}).get("source_sha1", "?"))].append(r)
    transfer_keys = sorted({k for r in runs for k in r if k.startswith("transfer:")})
    cols = [*SETTINGS, *transfer_keys]
    head = ["task", "method", "settings", "code", "seeds", *(c.replace("transfer:", "") for c in cols), "min/run"]
    head.append("memory: n_eff; first half")
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for (task, algo, settings, code), rs in sorted(groups.items()):
        cells = []
        for c in cols:
            vals = [r[c]["normalised"] for r in rs if c in r]
            if not vals:
                cells.append("-")
            elif len(vals) == 1:
                cells.append(f"{vals[0]:.2f}")
            else:
                cells.append(f"{np.mean(vals):.2f} ({', '.join(f'{v:.2f}' for v in vals)})")
        seeds = ",".join(str(r["seed"]) for r in rs)
        minutes = np.mean([r.get("wall_s", float("nan")) for r in rs]) / 60
        mem = [m for m in map(run_memory, rs) if m is not None]
        memory = "-"
        if mem:
            memory = f"{np.mean([m['n_eff'] for m in mem]):.0f}; {np.mean([m['first_half'] for m in mem]):.2f}"
        lines.append(
            f"| {task} | {algo} | `{settings}` | {code} | {seeds} | "
            + " | ".join(cells)
            + f" | {minutes:.0f} | {memory} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder")
    p.add_argument("--out", default=None, help="write the table here (default: print it)")
    args = p.parse_args(argv)
    text = table(collect(args.folder))
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
