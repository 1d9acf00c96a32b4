"""MDP terms of the imitation tasks: discriminator features, the learned-reward term, reference-state resets.

Isaac Lab 3.0 stores quaternions as (x, y, z, w); the motion tools and :mod:`trirl_isaac.motion.features` use
(w, x, y, z) like MuJoCo and the clip files. The two helpers below are the only place where they meet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.assets import Articulation
from isaaclab.managers import ManagerTermBase, RewardTermCfg, SceneEntityCfg

from trirl_isaac.motion.features import RobotState, discriminator_features, quat_rotate_inverse

if TYPE_CHECKING:
    from trirl_isaac.tasks.imitation.env import ImitationEnv


def xyzw_to_wxyz(q: torch.Tensor) -> torch.Tensor:
    """Isaac Lab quaternion (x, y, z, w) -> (w, x, y, z)."""
    return q[..., [3, 0, 1, 2]]


def wxyz_to_xyzw(q: torch.Tensor) -> torch.Tensor:
    """(w, x, y, z) -> Isaac Lab quaternion (x, y, z, w)."""
    return q[..., [1, 2, 3, 0]]


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


def disc_features(env: ImitationEnv, asset_cfg: SceneEntityCfg) -> torch.Tensor:
    """Discriminator features of the current state (the same function the motion library applies to clips)."""
    robot: Articulation = env.scene[asset_cfg.name]
    return discriminator_features(robot_state(env, asset_cfg), robot.data.default_joint_pos.torch)


class learned_reward(ManagerTermBase):
    """The TRIRL reward r(s, s') / beta, read from the current learned reward (updated by the runner's hook).

    s is the discriminator observation of the previous control step (``env.obs_buf``, computed after the last
    reset), s' the state after this step. With no reward loaded yet (iteration 0: r_0 = 0) it returns zeros.
    Also logs forward velocity and its error to the clips' mean forward velocity as metrics.
    """

    def __init__(self, cfg: RewardTermCfg, env: ImitationEnv) -> None:
        super().__init__(cfg, env)
        self.asset_cfg: SceneEntityCfg = cfg.params["asset_cfg"]
        self.group: str = cfg.params.get("disc_obs_group", "discriminator")
        self.reward_fn = None

    def set_reward(self, reward) -> None:
        """Install a learned reward (a :class:`trirl_isaac.algo.reward.LearnedReward` or any features -> reward)."""
        self.reward_fn = reward

    def __call__(self, env: ImitationEnv, asset_cfg: SceneEntityCfg, disc_obs_group: str = "discriminator"):
        """Learned reward of the transition (s, s') that just happened, one value per env."""
        s_next = disc_features(env, self.asset_cfg)
        obs_buf = getattr(env, "obs_buf", None)
        s = obs_buf[self.group] if obs_buf and self.group in obs_buf else s_next
        self._log_metrics(env)
        if self.reward_fn is None:
            return torch.zeros(env.num_envs, device=env.device)
        with torch.no_grad():
            return self.reward_fn(torch.cat([s, s_next], dim=-1))

    def _log_metrics(self, env: ImitationEnv) -> None:
        robot: Articulation = env.scene[self.asset_cfg.name]
        vx = quat_rotate_inverse(xyzw_to_wxyz(robot.data.root_link_quat_w.torch), robot.data.root_link_lin_vel_w.torch)[
            :, 0
        ]
        log = env.extras.setdefault("log", {})
        log["/metrics/forward_velocity"] = vx.mean()
        target = getattr(env, "clip_forward_velocity", None)
        if target is not None:
            log["/metrics/forward_velocity_error"] = (vx - target).abs().mean()


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
    if k > 0 and env.motion_library is not None:
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
    robot.write_root_link_pose_to_sim_index(root_pose=pose, env_ids=env_ids)
    robot.write_root_link_velocity_to_sim_index(root_velocity=vel, env_ids=env_ids)
    robot.write_joint_position_to_sim_index(position=joint_pos, env_ids=env_ids)
    robot.write_joint_velocity_to_sim_index(velocity=joint_vel, env_ids=env_ids)


def base_too_low(env: ImitationEnv, minimum_height: float, asset_cfg: SceneEntityCfg = SceneEntityCfg("robot")):
    """Terminate when the base falls below a height (a fall), relative to the env origin."""
    robot: Articulation = env.scene[asset_cfg.name]
    return (robot.data.root_link_pos_w.torch[:, 2] - env.scene.env_origins[:, 2]) < minimum_height


def bad_orientation(env: ImitationEnv, limit_angle: float, asset_cfg: SceneEntityCfg = SceneEntityCfg("robot")):
    """Terminate when the base tilts more than limit_angle (radians) from upright."""
    robot: Articulation = env.scene[asset_cfg.name]
    g = robot.data.projected_gravity_b.torch
    return torch.acos((-g[:, 2]).clamp(-1.0, 1.0)) > limit_angle
