"""Which of PyTorch's CPU kernels this process uses, chosen before torch is imported.

On a CPU with AVX-512, PyTorch (2.11) dispatches to its AVX-512 kernels, whose ``expm1`` runs one element at a time;
ELU (rsl_rl's default activation, in every actor, critic, discriminator and reward network here) is built on it.
The AVX2 kernels vectorise it: ELU on a 2048 x 64 batch takes 0.47 ms instead of 2.2 ms, and a Go2 twin TRIRL
iteration (256 envs, one thread, measured beside two benchmark runs) 6.0 s instead of 7.7 s. Matrix products go
through MKL, which chooses its own instructions either way; ELU's values are bit-identical under both, and so are the
returns of ``scripts/benchmark.py --quick --algos trirl gail --seeds 0`` (TRIRL -170.43, GAIL -153.07; with the
former chain_length 0 default, TRIRL -172.89).

So, when ``trirl_isaac`` is imported before torch on a Linux CPU that has AVX-512 (hence AVX2), and the user has not
set ``ATEN_CPU_CAPABILITY`` themselves, it is set to ``avx2``. torch reads the variable once, when it is imported:
afterwards (or elsewhere) nothing is changed. ``ATEN_CPU_CAPABILITY=avx512`` keeps torch's own choice.
"""

from __future__ import annotations

import os
import sys

VARIABLE = "ATEN_CPU_CAPABILITY"


def cpu_flags(path: str = "/proc/cpuinfo") -> set[str]:
    """The instruction-set flags of the first CPU listed in ``path`` (empty where there is no such file)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def prefer_vectorised_cpu_kernels(flags: set[str] | None = None, environ=os.environ, modules=sys.modules) -> str | None:
    """Set ``ATEN_CPU_CAPABILITY=avx2`` when it helps and is safe; returns the value set, or None if nothing was."""
    if VARIABLE in environ or "torch" in modules:
        return None
    flags = cpu_flags() if flags is None else flags
    if "avx512f" not in flags or "avx2" not in flags:  # forcing AVX2 on a CPU without it would crash torch
        return None
    environ[VARIABLE] = "avx2"
    return "avx2"
