"""The simulated robot's state in the motion tools' layout, and the per-env absorbing-state flags.

Isaac Lab 3.0 stores quaternions as (x, y, z, w); the motion tools and :mod:`trirl_isaac.motion.features` use
(w, x, y, z) like MuJoCo and the clip files. The two converters below are the only place where they meet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.assets import Articulation
from isaaclab.managers import SceneEntityCfg
from isaaclab.utils.math import convert_quat

from trirl_isaac.motion.features import RobotState

if TYPE_CHECKING:
    from trirl_isaac.tasks.imitation.env import ImitationEnv


def xyzw_to_wxyz(q: torch.Tensor) -> torch.Tensor:
    """Isaac Lab quaternion (x, y, z, w) -> (w, x, y, z)."""
    return convert_quat(q, to="wxyz")


def wxyz_to_xyzw(q: torch.Tensor) -> torch.Tensor:
    """(w, x, y, z) -> Isaac Lab quaternion (x, y, z, w)."""
    return convert_quat(q, to="xyzw")


def robot_state(env: ImitationEnv, asset_cfg: SceneEntityCfg) -> RobotState:
    """The simulated robot's state in the layout shared with motion clips (positions relative to env origins)."""
    robot: Articulation = env.scene[asset_cfg.name]
    d = robot.data
    origins = env.scene.env_origins
    return RobotState(
        root_pos_w=d.root_link_pos_w.torch - origins,
        root_quat_w=xyzw_to_wxyz(d.root_link_quat_w.torch),
        root_lin_vel_w=d.root_link_lin_vel_w.torch,
        root_ang_vel_w=d.root_link_ang_vel_w.torch,
        joint_pos=d.joint_pos.torch,
        joint_vel=d.joint_vel.torch,
        key_body_pos_w=d.body_link_pos_w.torch[:, asset_cfg.body_ids] - origins.unsqueeze(1),
    )


def absorbing_flags(env: ImitationEnv) -> dict[str, torch.Tensor]:
    """Per-env absorbing-state flags, owned by the env (created before its managers):
    ``in``: the env sits in the absorbing state (it fell last step, or this step is its (absorbing, absorbing) step);
    ``step``: this step is the (absorbing, absorbing) step (kept until the next step, for ``extras``)."""
    return env.absorbing
