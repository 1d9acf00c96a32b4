"""MDP terms of the imitation tasks, by term type as Isaac Lab lays them out.

``observations`` (discriminator features), ``rewards`` (the learned reward), ``events`` (reference state
initialisation), ``terminations`` (falls into the absorbing state), ``state`` (the robot state in the clips'
layout, quaternion layout converters, absorbing flags).
"""

from .events import reset_from_motion
from .observations import disc_features
from .rewards import learned_reward
from .state import absorbing_flags, robot_state, wxyz_to_xyzw, xyzw_to_wxyz
from .terminations import bad_orientation, base_too_low, fall

__all__ = [
    "absorbing_flags",
    "bad_orientation",
    "base_too_low",
    "disc_features",
    "fall",
    "learned_reward",
    "reset_from_motion",
    "robot_state",
    "wxyz_to_xyzw",
    "xyzw_to_wxyz",
]
