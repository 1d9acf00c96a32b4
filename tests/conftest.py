"""Shared pytest settings: deterministic CPU torch, headless plotting."""

import os

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
os.environ.setdefault("PYTHONHASHSEED", "0")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
