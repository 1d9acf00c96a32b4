"""torch.distributed helpers for multi-process TRIRL (rsl_rl's engine: one process per GPU via torchrun; gloo on CPUs).

Every rank rolls out its own environments and samples its own expert batches; gradients of the actor, critic,
discriminator and reward approximator are averaged across ranks at every optimiser step, the trust-region
multiplier is reduced over all ranks' states (max or mean, as configured), and rank 0's initial weights are
broadcast, so every rank holds the same networks and the same reward chain. Without an initialised process group
every helper is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn as nn
from rsl_rl.utils.utils import reduce_gradients_in_buckets

GRADIENT_BUCKET_MB = 16.0


def world_size() -> int:
    """Number of processes in the default group (1 when torch.distributed is not initialised)."""
    return torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1


def average_gradients(params: Iterable[nn.Parameter]) -> None:
    """Average the gradients of ``params`` over all ranks (in place)."""
    n = world_size()
    if n > 1:
        reduce_gradients_in_buckets(list(params), n, GRADIENT_BUCKET_MB)


def reduce_scalar(value: float, op: str, device: torch.device | str = "cpu") -> float:
    """``value`` reduced over all ranks: op 'max' or 'mean'."""
    n = world_size()
    if n == 1:
        return value
    t = torch.tensor(float(value), dtype=torch.float64, device=device)
    torch.distributed.all_reduce(
        t, op=torch.distributed.ReduceOp.MAX if op == "max" else torch.distributed.ReduceOp.SUM
    )
    return float(t) / (1 if op == "max" else n)


def broadcast_module(module: nn.Module, src: int = 0) -> None:
    """Overwrite ``module``'s parameters and buffers with rank ``src``'s."""
    if world_size() > 1:
        for tensor in module.state_dict().values():
            torch.distributed.broadcast(tensor, src=src)
