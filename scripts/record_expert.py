"""Roll out a trained policy and write its motion as expert clips (our HDF5 schema), in the twin or Isaac Lab.

    python scripts/record_expert.py --help

The code: trirl_isaac.cli.record_expert."""

from trirl_isaac.cli.record_expert import main

if __name__ == "__main__":
    main()
