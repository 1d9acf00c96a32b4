"""Isaac Lab task definitions (importing this registers TRIRL-G1-Walk, TRIRL-G1-Run, TRIRL-Go2-Walk and -Play)."""

from trirl_isaac.tasks.imitation.config import g1, go2  # noqa: F401
