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

Foot terms: with the plain reward (and hard contacts) the expert walked at 0.99 m/s with every sole under 2 cm on
83% of the frames and duty factors 0.21 / 0.43 / 0.52 / 0.41: a dragging shuffle, not a gait worth imitating.
:data:`TROT_WEIGHTS` adds Isaac Lab's ``feet_slide`` (horizontal speed of each foot in contact, summed) and MuJoCo
Playground's ``feet_clearance`` (each foot's horizontal speed times its distance from ``clearance_height``: a foot
that moves must move at swing height, a foot at rest costs nothing). Those two alone, resumed from the plain
expert for 30 min, halved the shuffle's cost but left its duty factors as they were (a local optimum), so
:data:`TROT_WEIGHTS` also carries Isaac Lab's own answer for a quadruped trot, the Spot task's ``GaitReward``:
diagonal feet (``trot_pairs``) share their current air and contact times, the other pairs alternate. Trained from
scratch it trots in 27 min, at 5.5 Hz; :data:`GAIT_WEIGHTS` (the default) adds Spot's ``air_time_reward`` for
longer steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mujoco
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
    "feet_slide": 0.0,
    "feet_clearance": 0.0,
    "gait_trot": 0.0,
    "air_time_mode": 0.0,
    "dof_pos_limits": 0.0,
}
"""Isaac Lab's Go2 flat velocity task (isaaclab_tasks 3.0), as configured for the TRIRL-Go2-Expert-Velocity task.
The foot terms are off here; :data:`TROT_WEIGHTS` and :data:`GAIT_WEIGHTS` turn them on."""

TROT_WEIGHTS: dict[str, float] = {**WEIGHTS, "feet_slide": -0.25, "feet_clearance": -1.0, "gait_trot": 3.0}
"""The plain task plus three foot terms against the shuffle it learns (see the module docstring): ``feet_slide``
is Isaac Lab's (its humanoid velocity tasks' weight), ``feet_clearance`` MuJoCo Playground's quadruped joystick
term, its weight scaled by our tracking weight over Playground's (1.5 / 3.0), ``gait_trot`` Isaac Lab's Spot
``GaitReward``, weighted 2x the tracking term as in Isaac Lab's Spot flat task (10 vs 5). Measured: a trot in
27 min, but stepping at 5.5 Hz (docs/twin/go2_expert_trot/)."""

GAIT_WEIGHTS: dict[str, float] = {**TROT_WEIGHTS, "air_time_mode": 1.5}
""":data:`TROT_WEIGHTS` plus the term Isaac Lab's Spot task pairs its ``GaitReward`` with, ``air_time_reward``
(here ``air_time_mode``; Spot: weight 5 = its tracking weight, so 1.5 here): each foot earns its current air or
contact time while that is under ``air_time_mode_s`` and nothing once it is longer, so phases grow towards 0.3 s
instead of the 0.09 s of the 5.5 Hz trot. Not yet measured."""

GAIT_LIMITS_WEIGHTS: dict[str, float] = {**GAIT_WEIGHTS, "dof_pos_limits": -10.0}
""":data:`GAIT_WEIGHTS` plus Isaac Lab's ``joint_pos_limits`` (radians past the soft joint limits, summed; weight as
legged_gym's): the ``gait`` expert leans a hind calf 0.05 rad past its limit (MuJoCo's limits are soft), which the
clip validator refuses. Not yet measured."""

EXPERT_REWARDS: dict[str, dict[str, float]] = {
    "isaaclab": WEIGHTS,
    "trot": TROT_WEIGHTS,
    "gait": GAIT_WEIGHTS,
    "gait_limits": GAIT_LIMITS_WEIGHTS,
}
"""The expert rewards ``train_twin.py --expert_reward`` chooses from (default ``gait``)."""


@dataclass
class VelocityReward:
    """A ``task_reward`` for :class:`~trirl_isaac.twin.TwinEnv`: track (vx, vy, wz) = ``command``."""

    command: tuple[float, float, float] = (1.0, 0.0, 0.0)
    std: float = 0.5
    """Tracking kernel width (Isaac Lab: sqrt(0.25))."""
    air_time_threshold: float = 0.5
    target_height: float = 0.3
    trot_pairs: tuple[tuple[str, str], tuple[str, str]] = (("FL_foot", "RR_foot"), ("FR_foot", "RL_foot"))
    gait_std: float = 0.1
    gait_max_err: float = 0.2
    """``GaitReward``'s kernel: exp(-sum of clipped squared time differences / std), errors clipped at max_err."""
    air_time_mode_s: float = 0.3
    """Spot ``air_time_reward``'s ``mode_time``."""
    clearance_height: float = 0.1
    """Swing height of the foot bodies' origins for ``feet_clearance`` (Go2: the 2.2 cm foot sphere's centre, so
    about 8 cm of sole clearance)."""
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
        missing, unknown = set(WEIGHTS) - set(self.weights), set(self.weights) - set(WEIGHTS)
        if missing or unknown:
            raise ValueError(f"weights: missing terms {sorted(missing)}, unknown terms {sorted(unknown)}")
        if self.curriculum_step <= 0.0 or not 0.0 < self.promote_at <= 1.0 or self.curriculum_window < 1:
            raise ValueError("curriculum_step must be > 0, promote_at in (0, 1], curriculum_window >= 1")
        self.forward_command = self.command[0] if self.curriculum_start is None else float(self.curriculum_start)
        self._speed_sum, self._speed_steps = 0.0, 0
        self.log: dict[str, float] = {}
        self._prev_action: torch.Tensor | None = None
        self._prev_joint_vel: torch.Tensor | None = None
        self._air_time: np.ndarray | None = None
        self._contact_time: np.ndarray | None = None
        self.last_terms: dict[str, float] = {}
        self._feet: np.ndarray | None = None

    def foot_kinematics(self, env) -> tuple[np.ndarray, np.ndarray]:
        """World height (N, F) and horizontal velocity (N, F, 2) of each foot body's origin."""
        if self._feet is None:
            ids = [mujoco.mj_name2id(env.model, mujoco.mjtObj.mjOBJ_BODY, b) for b in env.robot.feet]
            if min(ids) < 0:
                raise ValueError(f"foot bodies {env.robot.feet} not all in the twin model of {env.robot.name}")
            self._feet = np.array(ids)
        height = np.stack([d.xpos[self._feet, 2] for d in env.datas])
        vel = np.zeros((env.num_envs, len(self._feet), 6))
        for i, d in enumerate(env.datas):
            for k, b in enumerate(self._feet):
                mujoco.mj_objectVelocity(env.model, d, mujoco.mjtObj.mjOBJ_BODY, int(b), vel[i, k], 0)
        return height, vel[..., 3:5]

    def __call__(self, env, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        """The reward of the step that just happened, per env (``terms``: the twin's observation terms)."""
        n = env.num_envs
        fresh = env.episode_length_buf == 1  # the first step after a reset: no previous action / velocity
        if self._prev_action is None:
            self._prev_action = torch.zeros_like(terms["actions"])
            self._prev_joint_vel = terms["joint_vel"].clone()
            self._air_time = np.zeros(env.foot_contact.shape)
            self._contact_time = np.zeros(env.foot_contact.shape)
        self._prev_action[fresh] = 0.0
        self._prev_joint_vel[fresh] = terms["joint_vel"][fresh]
        self._air_time[fresh.numpy()] = 0.0
        self._contact_time[fresh.numpy()] = 0.0
        cmd = torch.tensor((self.forward_command, *self.command[1:]))
        v, w, g = terms["base_lin_vel"], terms["base_ang_vel"], terms["projected_gravity"]
        dt = env.step_dt
        contact = env.foot_contact
        first_contact = contact & (self._air_time > 0.0)
        air_reward = ((self._air_time - self.air_time_threshold) * first_contact).sum(axis=1)
        self._air_time = np.where(contact, 0.0, self._air_time + dt)
        self._contact_time = np.where(contact, self._contact_time + dt, 0.0)
        trot = self.trot_reward(env) if self.weights["gait_trot"] else np.zeros(n)
        phase = np.maximum(self._air_time, self._contact_time)
        air_mode = np.where(phase < self.air_time_mode_s, phase, 0.0).sum(axis=1)
        moving = float(np.hypot(cmd[0], cmd[1])) > 0.1
        height = torch.as_tensor(env._gather()["root_pos"][:, 2], dtype=torch.float32)
        if self.weights["feet_slide"] or self.weights["feet_clearance"]:
            foot_z, foot_v = self.foot_kinematics(env)
            foot_speed = np.linalg.norm(foot_v, axis=-1)
            slide = (foot_speed * contact).sum(axis=1)
            clearance = (np.abs(foot_z - self.clearance_height) * foot_speed).sum(axis=1)
        else:
            slide = clearance = np.zeros(n)
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
            "feet_slide": torch.as_tensor(slide, dtype=torch.float32),
            "feet_clearance": torch.as_tensor(clearance, dtype=torch.float32),
            "gait_trot": torch.as_tensor(trot * moving, dtype=torch.float32),
            "air_time_mode": torch.as_tensor(air_mode * moving, dtype=torch.float32),
            "dof_pos_limits": self.limit_violation(env),
        }
        self._prev_action = terms["actions"].clone()
        self._prev_joint_vel = terms["joint_vel"].clone()
        total = torch.zeros(n)
        for name, value in r.items():
            total += self.weights[name] * value * dt
        self.last_terms = {name: float(value.mean()) for name, value in r.items()}
        self._advance_curriculum(float(v[:, 0].mean()))
        return total

    @staticmethod
    def limit_violation(env) -> torch.Tensor:
        """Isaac Lab's ``joint_pos_limits`` (N,): radians past the twin's soft joint limits, summed over joints."""
        q = torch.as_tensor(env._gather()["joint_pos"], dtype=torch.float32)
        lo, hi = (torch.as_tensor(env.tm.soft_limits[:, k], dtype=torch.float32) for k in (0, 1))
        return ((lo - q).clamp(min=0.0) + (q - hi).clamp(min=0.0)).sum(-1)

    def trot_reward(self, env) -> np.ndarray:
        """Isaac Lab's Spot ``GaitReward`` (N,): 1 for a perfect trot of ``trot_pairs``, less the further off."""
        feet = list(env.robot.feet)
        names = [f for pair in self.trot_pairs for f in pair]
        if len(self.trot_pairs) != 2 or any(len(p) != 2 for p in self.trot_pairs) or not set(names) <= set(feet):
            raise ValueError(f"trot_pairs {self.trot_pairs}: two pairs of the robot's feet {feet} expected")
        (a0, a1), (b0, b1) = [[feet.index(f) for f in pair] for pair in self.trot_pairs]
        air, con, cap = self._air_time, self._contact_time, self.gait_max_err**2

        def match(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
            return np.exp(-(np.minimum((x0 - y0) ** 2, cap) + np.minimum((x1 - y1) ** 2, cap)) / self.gait_std)

        sync = match(air[:, a0], air[:, a1], con[:, a0], con[:, a1]) * match(
            air[:, b0], air[:, b1], con[:, b0], con[:, b1]
        )
        alt = np.ones(env.num_envs)
        for i, j in ((a0, b0), (a1, b1), (a0, b1), (b0, a1)):
            alt = alt * match(air[:, i], con[:, j], con[:, i], air[:, j])
        return sync * alt

    def state_dict(self) -> dict[str, float]:
        """The curriculum's state (saved with the checkpoint, so a resumed run keeps its command)."""
        return {"forward_command": self.forward_command, "speed_sum": self._speed_sum, "speed_steps": self._speed_steps}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Restore :meth:`state_dict`; a command outside [0, command] is a named error."""
        if not 0.0 <= float(state["forward_command"]) <= self.command[0]:
            raise ValueError(f"saved forward_command {state['forward_command']} outside [0, {self.command[0]}]")
        self.forward_command = float(state["forward_command"])
        self._speed_sum, self._speed_steps = float(state["speed_sum"]), int(state["speed_steps"])

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
