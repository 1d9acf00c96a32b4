"""The Go2 expert's task in the twin: Isaac Lab's flat Go2 velocity-tracking reward, command fixed at 1.0 m/s.

The paper's Go2 expert is a policy trained on a forward-velocity reward; this is the reward of Isaac Lab's
``UnitreeGo2FlatEnvCfg`` (the terms and weights of its velocity task with the Go2 flat overrides, and the
``base_height_l2`` target of our ``TRIRL-Go2-Expert-Velocity`` task), computed from the twin's state every policy
step and multiplied by the policy step as Isaac Lab's reward manager does. The command is the same for every env,
so the expert sees the imitation task's own policy observation and its gait can be recorded and imitated in the
same layout.

Curriculum: from a standing start, a fixed 1.0 m/s command is a poor teacher. The tracking kernel
exp(-(1 - v)^2 / 0.25) is nearly flat at v = 0 (0.018, slope 0.15 per m/s) while the ang-vel term pays 0.75 for
standing still, so PPO settles for standing (measured: 1.1M steps at 256 envs, forward speed 0.01 m/s, action
std collapsing). Isaac Lab avoids this by sampling commands, many of them small. Here the forward command starts
at ``curriculum_start`` (0.5 m/s: slope 1.5 at v = 0, ten times more) and rises by ``curriculum_step`` whenever
the mean forward speed over the last ``curriculum_window`` policy steps reaches ``promote_at`` x the command,
until it is ``command[0]``; from then on the reward is exactly the 1.0 m/s one.
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
    curriculum_start: float | None = 0.5
    """Forward command at the start (None: ``command`` from the first step)."""
    curriculum_step: float = 0.1
    promote_at: float = 0.8
    curriculum_window: int = 96
    """Policy steps (4 rollouts of the Go2 runner) over which the mean forward speed is judged."""

    def __post_init__(self) -> None:
        if self.curriculum_start is not None and not 0.0 <= self.curriculum_start <= self.command[0]:
            raise ValueError(f"curriculum_start {self.curriculum_start} outside [0, command {self.command[0]}]")
        if self.curriculum_step <= 0.0 or not 0.0 < self.promote_at <= 1.0 or self.curriculum_window < 1:
            raise ValueError("curriculum_step must be > 0, promote_at in (0, 1], curriculum_window >= 1")
        self.forward_command = self.command[0] if self.curriculum_start is None else float(self.curriculum_start)
        self._speed_sum, self._speed_steps = 0.0, 0
        self.log: dict[str, float] = {}
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
        cmd = torch.tensor((self.forward_command, *self.command[1:]))
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
        self._advance_curriculum(float(v[:, 0].mean()))
        return total

    def _advance_curriculum(self, mean_forward_speed: float) -> None:
        """Raise the forward command once the policy tracks the current one (see the module docstring)."""
        self._speed_sum += mean_forward_speed
        self._speed_steps += 1
        if self._speed_steps >= self.curriculum_window:
            mean = self._speed_sum / self._speed_steps
            if self.forward_command < self.command[0] and mean >= self.promote_at * self.forward_command:
                self.forward_command = min(self.command[0], round(self.forward_command + self.curriculum_step, 6))
            self._speed_sum, self._speed_steps = 0.0, 0
        self.log = {"/metrics/forward_command": self.forward_command}
