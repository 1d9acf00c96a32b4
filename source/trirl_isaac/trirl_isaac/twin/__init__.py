"""The native-MuJoCo twin of the imitation tasks (no Isaac Lab import): training on the CPU, sim2sim checks.

:class:`TwinEnv` is an rsl_rl ``VecEnv`` running the same task as the Isaac Lab env (see :mod:`.env`);
:func:`build_twin_model` the robot module's MJCF with its actuators (see :mod:`.model`).
"""

from .env import AbsorbingExpert, TwinEnv
from .model import Dynamics, TwinModel, build_twin_model, pd_torque

__all__ = ["AbsorbingExpert", "Dynamics", "TwinEnv", "TwinModel", "build_twin_model", "pd_torque"]
