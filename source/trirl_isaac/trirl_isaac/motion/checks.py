"""Physical plausibility checks of a motion clip: velocities against finite differences, teleports, ground contact,
stored body positions against forward kinematics.

A clip can be well-formed (right keys, shapes, finite numbers) and still wrong: velocities in degrees or per frame,
angular velocity in the body frame where the schema wants the world frame, two clips glued into one, a root below
the floor or a robot floating above it, body positions from another skeleton. Each check has a name; a user who
knows better skips it by name (``skip_checks``). The tolerances are loose enough for every shipped and imported
clip (``tests/test_motion_checks.py`` runs them on the shipped files) and tight enough to catch unit and frame
mistakes, which are off by factors, not percent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .kinematics import Kinematics, quat_conj, quat_mul, quat_to_rotvec

CHECKS = ("joint_vel", "root_lin_vel", "root_ang_vel", "teleport", "below_ground", "floating", "body_fk")
"""Names of the physical checks, in the order they run."""


@dataclass(frozen=True)
class CheckTolerances:
    """How far a clip may be from physics before a check fails."""

    velocity_rel: float = 0.6
    """RMS of the stored velocity's distance outside [backward, forward] difference over RMS of the central
    difference (floored below)."""
    velocity_floor: float = 0.2
    """Floor of the finite difference's RMS (rad/s, m/s) so near-static clips are not judged on noise."""
    max_root_speed: float = 12.0
    """m/s: a root moving farther than this in one frame teleported (no G1 or Go2 comes close)."""
    below_ground: float = 0.05
    """m: how far the lowest foot sole (or the root) may sink below z = 0."""
    floating: float = 0.15
    """m: the lowest foot sole must come within this of the ground at least once in the clip."""
    body_fk: float = 0.05
    """m: largest distance between a stored body position and forward kinematics of the stored joints."""


Fail = Callable[[str], Exception]


def validate_skip(skip_checks: Sequence[str]) -> set[str]:
    """The skip list as a set; a ValueError names an unknown check and lists the known ones."""
    unknown = [c for c in skip_checks if c not in CHECKS]
    if unknown:
        raise ValueError(f"unknown motion check(s) {unknown}; known checks: {list(CHECKS)}")
    return set(skip_checks)


def _central_difference(x: np.ndarray, dt: float) -> np.ndarray:
    return (x[2:] - x[:-2]) / (2.0 * dt)


def _velocity_error(
    stored: np.ndarray, fd: np.ndarray, tol: CheckTolerances, bracket: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[float, int]:
    """(relative RMS error, worst frame index into ``fd``).

    With ``bracket`` (the backward and forward differences around each frame) a stored velocity between the two
    counts as exact: a jerky but physical motion (a simulator rollout under random actions, sampled at the control
    rate) has its instantaneous velocity between the two one-frame averages, not at their mean; unit and frame
    mistakes are off by factors and land far outside."""
    if bracket is None:
        diff = stored - fd
    else:
        lo, hi = np.minimum(*bracket), np.maximum(*bracket)
        diff = np.where(stored < lo, stored - lo, np.where(stored > hi, stored - hi, 0.0))
    scale = max(float(np.sqrt(np.mean(fd**2))), tol.velocity_floor)
    rel = float(np.sqrt(np.mean(diff**2))) / scale
    worst = int(np.argmax(np.linalg.norm(diff.reshape(diff.shape[0], -1), axis=1)))
    return rel, worst


def check_clip(
    clip,
    fail: Fail,
    kinematics: Kinematics | None = None,
    skip_checks: Sequence[str] = (),
    feet: Sequence[str] = (),
    tol: CheckTolerances | None = None,
) -> None:
    """Run every physical check not in ``skip_checks`` on a :class:`MotionClip`; raise ``fail(problem)`` on the first.

    ``kinematics`` (the robot's model) enables the ground checks on the foot soles of ``feet`` and the comparison of
    stored body positions with forward kinematics; without it the ground checks use the root and stored bodies."""
    tol = tol or CheckTolerances()
    skip = validate_skip(skip_checks)
    dt = 1.0 / clip.fps
    t = clip.num_frames

    def complain(check: str, problem: str) -> Exception:
        return fail(f"{problem} (check '{check}'; if the clip is right, skip it with skip_checks=['{check}'])")

    if t >= 3:
        pairs = (
            ("joint_vel", clip.joint_vel[1:-1], clip.joint_pos, "joint_pos", "rad/s"),
            ("root_lin_vel", clip.root_lin_vel[1:-1], clip.root_pos, "root_pos", "m/s"),
        )
        for check, stored, pos, source, unit in pairs:
            if check in skip:
                continue
            fd = _central_difference(pos, dt)
            step = np.diff(pos, axis=0) / dt
            rel, worst = _velocity_error(stored, fd, tol, bracket=(step[:-1], step[1:]))
            if rel > tol.velocity_rel:
                raise complain(
                    check,
                    f"{check} disagrees with the finite differences of {source}: relative RMS error {rel:.2f} > "
                    f"{tol.velocity_rel} (worst at frame {worst + 1}: stored {np.round(stored[worst], 3).tolist()}"
                    f", differences {np.round(fd[worst], 3).tolist()} {unit}; wrong units, frame or order?)",
                )
        if "root_ang_vel" not in skip:
            q = clip.root_quat
            rel_q = quat_mul(q[2:], quat_conj(q[:-2]))  # world-frame rotation over two frames
            fd = quat_to_rotvec(rel_q) / (2.0 * dt)
            step = quat_to_rotvec(quat_mul(q[1:], quat_conj(q[:-1]))) / dt
            rel, worst = _velocity_error(clip.root_ang_vel[1:-1], fd, tol, bracket=(step[:-1], step[1:]))
            if rel > tol.velocity_rel:
                body = quat_to_rotvec(quat_mul(quat_conj(q[:-2]), q[2:])) / (2.0 * dt)
                body_step = quat_to_rotvec(quat_mul(quat_conj(q[:-1]), q[1:])) / dt
                in_body = _velocity_error(clip.root_ang_vel[1:-1], body, tol, bracket=(body_step[:-1], body_step[1:]))
                hint = (
                    " it matches the body frame: the schema wants the world frame"
                    if in_body[0] <= tol.velocity_rel
                    else " wrong units or frame?"
                )
                raise complain(
                    "root_ang_vel",
                    f"root_ang_vel disagrees with the root quaternion's rate of change: relative RMS error "
                    f"{rel:.2f} > {tol.velocity_rel} (worst at frame {worst + 1});{hint}",
                )
    if "teleport" not in skip:
        step = np.linalg.norm(np.diff(clip.root_pos, axis=0), axis=1)
        limit = tol.max_root_speed * dt
        if step.max() > limit:
            frame = int(np.argmax(step))
            raise complain(
                "teleport",
                f"the root jumps {step[frame]:.3f} m between frames {frame} and {frame + 1}, more than "
                f"{tol.max_root_speed} m/s allows ({limit:.3f} m per frame): clips concatenated, or a reset inside?",
            )
    lowest, lowest_what = _lowest_points(clip, kinematics, feet)
    if "below_ground" not in skip and lowest.min() < -tol.below_ground:
        frame = int(np.argmin(lowest))
        raise complain(
            "below_ground",
            f"{lowest_what} is {-lowest[frame]:.3f} m below the ground at frame {frame} (more than "
            f"{tol.below_ground} m): wrong height offset or up axis?",
        )
    if "floating" not in skip and lowest_what == "the lowest foot sole" and lowest.min() > tol.floating:
        raise complain(
            "floating",
            f"{lowest_what} never comes within {tol.floating} m of the ground (closest {lowest.min():.3f} m): the "
            "whole clip floats; wrong height offset?",
        )
    if "body_fk" not in skip and kinematics is not None and clip.body_names is not None:
        known = [i for i, n in enumerate(clip.body_names) if n in kinematics.body_names]
        if known:
            names = [clip.body_names[i] for i in known]
            fk = kinematics.body_positions(clip.root_pos, clip.root_quat, clip.joint_pos, clip.joint_names, names)
            err = np.linalg.norm(fk - clip.body_pos[:, known], axis=-1)
            if err.max() > tol.body_fk:
                frame, col = np.unravel_index(np.argmax(err), err.shape)
                raise complain(
                    "body_fk",
                    f"body_pos of '{names[col]}' is {err[frame, col]:.3f} m from forward kinematics of the joints at "
                    f"frame {frame} (more than {tol.body_fk} m): body positions from another model or joint order?",
                )


def _lowest_points(clip, kinematics: Kinematics | None, feet: Sequence[str]) -> tuple[np.ndarray, str]:
    """Per-frame height of the lowest foot sole (model), else of the lowest stored body, else of the root."""
    if kinematics is not None and feet:
        qpos = kinematics.qpos(clip.root_pos, clip.root_quat, clip.joint_pos, clip.joint_names)
        return kinematics.sole_heights(qpos, feet).min(axis=1), "the lowest foot sole"
    if clip.body_pos is not None and clip.body_pos.shape[1] > 0:
        return clip.body_pos[..., 2].min(axis=1), "the lowest stored body"
    return clip.root_pos[:, 2], "the root"
