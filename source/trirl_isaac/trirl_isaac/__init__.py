"""Trust Region Inverse RL for Isaac Lab: the algorithm (`trirl_isaac.algo`, no Isaac Lab imports) and tasks."""

from trirl_isaac._cpu import prefer_vectorised_cpu_kernels

__version__ = "0.1.0"

prefer_vectorised_cpu_kernels()
