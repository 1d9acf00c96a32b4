"""Cheap pure-PyTorch environments implementing rsl_rl's VecEnv (no Isaac Lab), for tests and learning checks."""
