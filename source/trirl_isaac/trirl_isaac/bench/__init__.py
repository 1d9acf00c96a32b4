"""The MuJoCo / Point Maze benchmark of TRIRL against GAIL, AIRL, AMP and a true-reward PPO control.

``settings`` holds every number a run uses (once), ``run`` trains and re-optimises, ``stats`` aggregates,
``report`` writes tables and figures, ``speed`` times iterations, ``cli`` is ``scripts/benchmark.py``.
"""
