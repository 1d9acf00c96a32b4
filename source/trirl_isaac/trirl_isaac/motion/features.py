"""Discriminator features of a robot state: ONE function for simulated states and motion-clip frames alike.

Everything is expressed in the robot's base (heading-and-tilt) frame, so the features do not depend on where the
robot is or which way it faces, and expert clips and simulated states match by construction.
Quaternions are (w, x, y, z), the convention of Isaac Lab and MuJoCo.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from trirl_isaac.motion.quat import quat_rotate, quat_rotate_inverse  # noqa: F401  (re-exported)


@dataclass
class RobotState:
    """A batch of robot states (simulated or from a clip); shapes use N for the batch."""

    root_pos_w: torch.Tensor  # (N, 3)
    root_quat_w: torch.Tensor  # (N, 4) w, x, y, z
    root_lin_vel_w: torch.Tensor  # (N, 3)
    root_ang_vel_w: torch.Tensor  # (N, 3)
    joint_pos: torch.Tensor  # (N, J) in the robot's joint order
    joint_vel: torch.Tensor  # (N, J)
    key_body_pos_w: torch.Tensor  # (N, B, 3)


def discriminator_features(state: RobotState, default_joint_pos: torch.Tensor) -> torch.Tensor:
    """(N, 2J + 10 + 3B): joint pos (rel. default) and vel, base lin/ang vel, height, gravity, key bodies."""
    q = state.root_quat_w
    n = q.shape[0]
    gravity = torch.tensor([0.0, 0.0, -1.0], device=q.device, dtype=q.dtype).expand(n, 3)
    rel_bodies = state.key_body_pos_w - state.root_pos_w.unsqueeze(1)
    bodies_b = quat_rotate_inverse(q.unsqueeze(1).expand(-1, rel_bodies.shape[1], -1), rel_bodies)
    return torch.cat(
        [
            state.joint_pos - default_joint_pos,
            state.joint_vel,
            quat_rotate_inverse(q, state.root_lin_vel_w),
            quat_rotate_inverse(q, state.root_ang_vel_w),
            state.root_pos_w[:, 2:3],
            quat_rotate_inverse(q, gravity),
            bodies_b.reshape(n, -1),
        ],
        dim=-1,
    )


def feature_dim(num_joints: int, num_key_bodies: int) -> int:
    """Size of :func:`discriminator_features` for a robot."""
    return 2 * num_joints + 10 + 3 * num_key_bodies
