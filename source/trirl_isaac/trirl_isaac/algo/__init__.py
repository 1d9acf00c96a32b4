"""TRIRL: trust-region inverse RL on rsl_rl (pure PyTorch; never imports isaaclab)."""
