"""MDP terms of the imitation tasks: discriminator features, the learned-reward term, reference-state resets.

Isaac Lab 3.0 stores quaternions as (x, y, z, w); the motion tools and :mod:`trirl_isaac.motion.features` use
(w, x, y, z) like MuJoCo and the clip files. The two helpers below are the only place where they meet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import isaaclab.envs.mdp as base_mdp
import torch
from isaaclab.assets import Articulation
from isaaclab.managers import ManagerTermBase, RewardTermCfg, SceneEntityCfg
from isaaclab.utils.math import convert_quat

from trirl_isaac.motion.features import RobotState, discriminator_features, quat_rotate_inverse

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
    """Per-env absorbing-state flags (created on first use, while the managers are built):
    ``in``: the env sits in the absorbing state (it fell last step, or this step is its (absorbing, absorbing) step);
    ``step``: this step is the (absorbing, absorbing) step (kept until the next step, for ``extras``)."""
    flags = getattr(env, "_absorbing_flags", None)
    if flags is None:
        zeros = torch.zeros(env.num_envs, dtype=torch.bool, device=env.device)
        flags = {"in": zeros.clone(), "step": zeros.clone()}
        env._absorbing_flags = flags
    return flags


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
        self.tail_gamma: float | None = None
        """Set for a frozen reward: (absorbing, absorbing) steps then return r / (1 - gamma), the whole tail."""

    def set_reward(self, reward, tail_gamma: float | None = None) -> None:
        """Install a learned reward (a :class:`trirl_isaac.algo.reward.LearnedReward` or any features -> reward);
        ``tail_gamma`` for a frozen one (TRIRL prices the absorbing tail itself while it trains)."""
        self.reward_fn = reward
        self.tail_gamma = tail_gamma

    def __call__(self, env: ImitationEnv, asset_cfg: SceneEntityCfg, disc_obs_group: str = "discriminator"):
        """Learned reward of the transition (s, s') that just happened, one value per env."""
        s_next = disc_features(env, self.asset_cfg)
        obs_buf = getattr(env, "obs_buf", None)
        s = obs_buf[self.group] if obs_buf and self.group in obs_buf else s_next
        self._log_metrics(env)
        if self.reward_fn is None:
            return torch.zeros(env.num_envs, device=env.device)
        with torch.no_grad():
            r = self.reward_fn(torch.cat([s, s_next], dim=-1))
        if self.tail_gamma is not None and env.cfg.absorbing_falls:
            r = torch.where(absorbing_flags(env)["step"], r / (1.0 - self.tail_gamma), r)
        return r

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
    if env.cfg.absorbing_falls:  # a new episode starts outside the absorbing state
        absorbing_flags(env)["in"][env_ids] = False
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
