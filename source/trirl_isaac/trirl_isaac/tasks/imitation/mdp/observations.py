"""Observation terms: the discriminator features (with the absorbing flag)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.assets import Articulation
from isaaclab.managers import SceneEntityCfg

from trirl_isaac.motion.features import discriminator_features

from .state import absorbing_flags, robot_state

if TYPE_CHECKING:
    from trirl_isaac.tasks.imitation.env import ImitationEnv


def disc_features(env: ImitationEnv, asset_cfg: SceneEntityCfg) -> torch.Tensor:
    """Discriminator features of the current state (the same function the motion library applies to clips); with
    ``absorbing_falls`` a last flag column, and the absorbing state (zeros, flag 1) for envs that sit in it."""
    robot: Articulation = env.scene[asset_cfg.name]
    x = discriminator_features(robot_state(env, asset_cfg), robot.data.default_joint_pos.torch)
    if not env.cfg.absorbing_falls:
        return x
    x = torch.cat([x, torch.zeros_like(x[:, :1])], dim=-1)
    sits = absorbing_flags(env)["in"]
    if sits.any():
        x[sits] = 0.0
        x[sits, -1] = 1.0
    return x
