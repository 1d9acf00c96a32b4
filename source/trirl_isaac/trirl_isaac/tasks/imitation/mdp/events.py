"""Event terms: reference state initialisation from the motion clips."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.assets import Articulation
from isaaclab.managers import SceneEntityCfg

from .state import absorbing_flags, wxyz_to_xyzw

if TYPE_CHECKING:
    from trirl_isaac.tasks.imitation.env import ImitationEnv


def reset_from_motion(env: ImitationEnv, env_ids: torch.Tensor, asset_cfg: SceneEntityCfg = SceneEntityCfg("robot")):
    """Reference state initialisation: random clip frames; a share (motion.default_pose_share) starts at default."""
    default_pose_share = env.cfg.motion.default_pose_share
    robot: Articulation = env.scene[asset_cfg.name]
    if env_ids is None or isinstance(env_ids, slice):
        env_ids = torch.arange(env.num_envs, device=env.device)
    n = len(env_ids)
    origins = env.scene.env_origins[env_ids]
    pose = robot.data.default_root_pose.torch[env_ids].clone()
    vel = robot.data.default_root_vel.torch[env_ids].clone()
    pose[:, :3] += origins
    joint_pos = robot.data.default_joint_pos.torch[env_ids].clone()
    joint_vel = robot.data.default_joint_vel.torch[env_ids].clone()
    from_clip = torch.rand(n, device=env.device) >= default_pose_share
    k = int(from_clip.sum())
    if k > 0:
        state, _, _ = env.motion_library.sample_states(k)
        idx = from_clip.nonzero().squeeze(-1)
        # xy stays at the env origin (the features do not depend on it); height and attitude come from the clip
        pose[idx, 2] = origins[idx, 2] + state.root_pos_w[:, 2]
        pose[idx, 3:7] = wxyz_to_xyzw(state.root_quat_w)
        vel[idx, :3] = state.root_lin_vel_w
        vel[idx, 3:6] = state.root_ang_vel_w
        limits = robot.data.soft_joint_pos_limits.torch[env_ids[idx]]
        joint_pos[idx] = state.joint_pos.clamp(limits[..., 0], limits[..., 1])
        joint_vel[idx] = state.joint_vel
    if env.cfg.absorbing_falls:  # a new episode starts outside the absorbing state
        absorbing_flags(env)["in"][env_ids] = False
    robot.write_root_link_pose_to_sim_index(root_pose=pose, env_ids=env_ids)
    robot.write_root_link_velocity_to_sim_index(root_velocity=vel, env_ids=env_ids)
    robot.write_joint_position_to_sim_index(position=joint_pos, env_ids=env_ids)
    robot.write_joint_velocity_to_sim_index(velocity=joint_vel, env_ids=env_ids)
