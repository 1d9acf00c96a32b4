"""Wall time per iteration of TRIRL vs plain rsl_rl PPO on the same Isaac Lab task, envs and steps, in one run.

    python scripts/benchmark_speed.py --help

The code: trirl_isaac.cli.benchmark_speed."""

from trirl_isaac.cli.benchmark_speed import main

if __name__ == "__main__":
    main()
