"""Train a PPO expert on a benchmark task's TRUE reward and record its demonstrations to HDF5.

See trirl_isaac.bench.expert (the logic lives in the package).
"""

from trirl_isaac.bench.expert import main

if __name__ == "__main__":
    main()
