"""Command-line entry points of the Isaac Lab tasks (``scripts/train.py`` and ``scripts/play.py`` call these).

Each module parses its options before importing Isaac Lab, so ``--help`` and a bad option answer in a moment."""
