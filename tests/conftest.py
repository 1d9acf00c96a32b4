"""Shared pytest settings: deterministic single-threaded CPU torch, headless plotting.

One intra-op thread: the suite's networks are small, and two OpenMP threads sharing a core with any other
process (a second test, a background job) spin-wait and run 10x slower. Subprocesses inherit the setting.
"""

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ.setdefault("PYTHONHASHSEED", "0")

import matplotlib  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

matplotlib.use("Agg")
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
