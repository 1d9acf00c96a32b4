"""Env-steps per second of the MuJoCo twin against the Isaac Lab CPU task, same envs, same process and actions.

    python scripts/benchmark_twin.py --help

The code: trirl_isaac.cli.benchmark_twin."""

from trirl_isaac.cli.benchmark_twin import main

if __name__ == "__main__":
    main()
