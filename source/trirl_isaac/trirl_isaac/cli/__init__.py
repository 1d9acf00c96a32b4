"""Command-line entry points of the Isaac Lab tasks (``scripts/train.py`` and ``scripts/play.py`` call these).

Each module parses its options before importing Isaac Lab, so ``--help`` and a bad option answer in a moment. This
package's own namespace holds the small parsing helpers every script shares (no Isaac Lab import)."""

from __future__ import annotations

import os


def labelled_files(items: list[str], flag: str, kind: str) -> dict[str, str]:
    """``LABEL=FILE`` command-line items as {label: path}, in order (the last ``=`` splits, so a label may hold one,
    e.g. ``mean_bound=1e-3=run.json``). A malformed item, a label given twice or a missing file exits with a message
    naming ``flag``, the item and ``kind`` (what the file is: "reward", "run")."""
    out: dict[str, str] = {}
    for item in items:
        label, sep, path = item.rpartition("=")
        if not sep or not label or not path:
            raise SystemExit(f"{flag}: expected LABEL=FILE, got {item!r}")
        if label in out:
            raise SystemExit(f"{flag}: label {label!r} given twice")
        if not os.path.isfile(path):
            raise SystemExit(f"{flag} {label}: no {kind} file {path}")
        out[label] = path
    return out
