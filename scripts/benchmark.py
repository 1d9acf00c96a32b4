"""MuJoCo / Point Maze benchmark of TRIRL against GAIL, AIRL and AMP: see ``trirl_isaac.bench.cli`` (or --help)."""

from trirl_isaac.bench.cli import main

if __name__ == "__main__":
    main()
