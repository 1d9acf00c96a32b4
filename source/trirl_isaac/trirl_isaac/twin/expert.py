"""The Go2 expert's task in the twin: Isaac Lab's flat Go2 velocity-tracking reward, command fixed at 1.0 m/s.

The paper's Go2 expert is a policy trained on a forward-velocity reward; this is the reward of Isaac Lab's
``UnitreeGo2FlatEnvCfg`` (the terms and weights of its velocity task with the Go2 flat overrides, and the
``base_height_l2`` target of our ``TRIRL-Go2-Expert-Velocity`` task), computed from the twin's state every policy
step and multiplied by the policy step as Isaac Lab's reward manager does. The command is constant, so the expert
sees the imitation task's own policy observation and its gait can be recorded and imitated in the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

WEIGHTS: dict[str, float] = {
    "track_lin_vel_xy_exp": 1.5,
    "track_ang_vel_z_exp": 0.75,
    "lin_vel_z_l2": -2.0,
    "ang_vel_xy_l2": -0.05,
    "dof_torques_l2": -2.0e-4,
    "dof_acc_l2": -2.5e-7,
    "action_rate_l2": -0.005,
    "feet_air_time": 0.25,
    "flat_orientation_l2": -2.5,
    "base_height_l2": -30.0,
}
"""Isaac Lab's Go2 flat velocity task (isaaclab_tasks 3.0), as configured for the TRIRL-Go2-Expert-Velocity task."""


@dataclass
class VelocityReward:
    """A ``task_reward`` for :class:`~trirl_isaac.twin.TwinEnv`: track (vx, vy, wz) = ``command``."""

    command: tuple[float, float, float] = (1.0, 0.0, 0.0)
    std: float = 0.5
    """Tracking kernel width (Isaac Lab: sqrt(0.25))."""
    air_time_threshold: float = 0.5
    target_height: float = 0.3
    weights: dict[str, float] = field(default_factory=lambda: dict(WEIGHTS))

    def __post_init__(self) -> None:
        self._prev_action: torch.Tensor | None = None
        self._prev_joint_vel: torch.Tensor | None = None
        self._air_time: np.ndarray | None = None
        self.last_terms: dict[str, float] = {}

    def __call__(self, env, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        """The reward of the step that just happened, per env (``terms``: the twin's observation terms)."""
        n = env.num_envs
        fresh = env.episode_length_buf == 1  # the first step after a reset: no previous action / velocity
        if self._prev_action is None:
            self._prev_action = torch.zeros_like(terms["actions"])
            self._prev_joint_vel = terms["joint_vel"].clone()
            self._air_time = np.zeros(env.foot_contact.shape)
        self._prev_action[fresh] = 0.0
        self._prev_joint_vel[fresh] = terms["joint_vel"][fresh]
        self._air_time[fresh.numpy()] = 0.0
        cmd = torch.tensor(self.command)
        v, w, g = terms["base_lin_vel"], terms["base_ang_vel"], terms["projected_gravity"]
        dt = env.step_dt
        contact = env.foot_contact
        first_contact = contact & (self._air_time > 0.0)
        air_reward = ((self._air_time - self.air_time_threshold) * first_contact).sum(axis=1)
        self._air_time = np.where(contact, 0.0, self._air_time + dt)
        moving = float(np.hypot(cmd[0], cmd[1])) > 0.1
        height = torch.as_tensor(env._gather()["root_pos"][:, 2], dtype=torch.float32)
        r = {
            "track_lin_vel_xy_exp": torch.exp(-((cmd[:2] - v[:, :2]) ** 2).sum(-1) / self.std**2),
            "track_ang_vel_z_exp": torch.exp(-((cmd[2] - w[:, 2]) ** 2) / self.std**2),
            "lin_vel_z_l2": v[:, 2] ** 2,
            "ang_vel_xy_l2": (w[:, :2] ** 2).sum(-1),
            "dof_torques_l2": torch.as_tensor((env.last_torque**2).sum(-1), dtype=torch.float32),
            "dof_acc_l2": (((terms["joint_vel"] - self._prev_joint_vel) / dt) ** 2).sum(-1),
            "action_rate_l2": ((terms["actions"] - self._prev_action) ** 2).sum(-1),
            "feet_air_time": torch.as_tensor(air_reward * moving, dtype=torch.float32),
            "flat_orientation_l2": (g[:, :2] ** 2).sum(-1),
            "base_height_l2": (height - self.target_height) ** 2,
        }
        self._prev_action = terms["actions"].clone()
        self._prev_joint_vel = terms["joint_vel"].clone()
        total = torch.zeros(n)
        for name, value in r.items():
            total += self.weights[name] * value * dt
        self.last_terms = {name: float(value.mean()) for name, value in r.items()}
        return total
