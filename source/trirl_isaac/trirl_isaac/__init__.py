"""Trust Region Inverse RL for Isaac Lab: the algorithm (`trirl_isaac.algo`, no Isaac Lab imports) and tasks."""

__version__ = "0.1.0"
