"""Termination terms: falls (with absorbing states), base too low, tilted too far."""

from __future__ import annotations

from typing import TYPE_CHECKING

import isaaclab.envs.mdp as base_mdp
import torch
from isaaclab.assets import Articulation
from isaaclab.managers import SceneEntityCfg

from .state import absorbing_flags

if TYPE_CHECKING:
    from trirl_isaac.tasks.imitation.env import ImitationEnv


def fall(
    env: ImitationEnv,
    sensor_cfg: SceneEntityCfg,
    threshold: float,
    minimum_height: float,
    limit_angle: float,
    asset_cfg: SceneEntityCfg = SceneEntityCfg("robot"),
) -> torch.Tensor:
    """Falls: termination-body contact, base too low, tilted too far. With ``absorbing_falls`` a fall does not end
    the episode: the state after it is the absorbing state, and the NEXT step, (absorbing, absorbing), ends it
    (its learned reward then stands for the absorbing state's whole tail; the env flags it in ``extras``)."""
    fell = base_mdp.illegal_contact(env, threshold, sensor_cfg)
    fell = fell | base_too_low(env, minimum_height, asset_cfg) | bad_orientation(env, limit_angle, asset_cfg)
    if not env.cfg.absorbing_falls:
        return fell
    flags = absorbing_flags(env)
    at_absorbing = flags["in"].clone()
    flags["step"] = at_absorbing
    flags["in"] = at_absorbing | fell  # cleared on reset (reset_from_motion)
    return at_absorbing


def base_too_low(env: ImitationEnv, minimum_height: float, asset_cfg: SceneEntityCfg = SceneEntityCfg("robot")):
    """Terminate when the base falls below a height (a fall), relative to the env origin."""
    robot: Articulation = env.scene[asset_cfg.name]
    return (robot.data.root_link_pos_w.torch[:, 2] - env.scene.env_origins[:, 2]) < minimum_height


def bad_orientation(env: ImitationEnv, limit_angle: float, asset_cfg: SceneEntityCfg = SceneEntityCfg("robot")):
    """Terminate when the base tilts more than limit_angle (radians) from upright."""
    robot: Articulation = env.scene[asset_cfg.name]
    g = robot.data.projected_gravity_b.torch
    return torch.acos((-g[:, 2]).clamp(-1.0, 1.0)) > limit_angle
