"""Train TRIRL on an Isaac Lab task (or re-optimise a frozen learned reward with plain rsl_rl PPO).

    python scripts/train.py --task TRIRL-G1-Run

The options and examples: ``python scripts/train.py --help`` (the code: trirl_isaac.cli.train)."""

from trirl_isaac.cli.train import main

if __name__ == "__main__":
    main()
