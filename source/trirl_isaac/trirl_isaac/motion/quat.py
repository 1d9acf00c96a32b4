"""Quaternion helpers, (w, x, y, z) like MuJoCo and the clip files, in one place.

The first group takes numpy arrays or torch tensors alike (same formulas, so both give the same numbers); the rest
is numpy (the motion tools). Isaac Lab's own (x, y, z, w) layout meets ours only through the two converters below
(code that imports Isaac Lab may use ``isaaclab.utils.math.convert_quat`` instead).
"""

from __future__ import annotations

import numpy as np
import torch

Array = np.ndarray | torch.Tensor


def _cross(a: Array, b: Array) -> Array:
    return torch.cross(a, b, dim=-1) if isinstance(a, torch.Tensor) else np.cross(a, b)


def quat_mul(a: Array, b: Array) -> Array:
    """Hamilton product a * b."""
    if isinstance(a, torch.Tensor):
        aw, ax, ay, az = a.unbind(-1)
        bw, bx, by, bz = b.unbind(-1)
    else:
        aw, ax, ay, az = np.moveaxis(a, -1, 0)
        bw, bx, by, bz = np.moveaxis(b, -1, 0)
    parts = [
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    ]
    return torch.stack(parts, dim=-1) if isinstance(a, torch.Tensor) else np.stack(parts, axis=-1)


def quat_conj(q: Array) -> Array:
    """Conjugate (the inverse of a unit quaternion)."""
    if isinstance(q, torch.Tensor):
        return q * torch.tensor([1.0, -1.0, -1.0, -1.0], dtype=q.dtype, device=q.device)
    return q * np.array([1.0, -1.0, -1.0, -1.0])


def quat_rotate(q: Array, v: Array) -> Array:
    """Rotate vectors v (..., 3) by unit quaternions q (..., 4)."""
    w, xyz = q[..., :1], q[..., 1:]
    t = 2.0 * _cross(xyz, v)
    return v + w * t + _cross(xyz, t)


def quat_rotate_inverse(q: Array, v: Array) -> Array:
    """Rotate vectors v (..., 3) by the inverse of unit quaternions q (..., 4)."""
    w, xyz = q[..., :1], q[..., 1:]
    t = 2.0 * _cross(xyz, v)
    return v - w * t + _cross(xyz, t)


def xyzw_to_wxyz(q: Array) -> Array:
    """(x, y, z, w) (Isaac Lab, SciPy, most datasets) -> (w, x, y, z)."""
    return q[..., [3, 0, 1, 2]]


def wxyz_to_xyzw(q: Array) -> Array:
    """(w, x, y, z) -> (x, y, z, w)."""
    return q[..., [1, 2, 3, 0]]


# numpy only ----------------------------------------------------------------------------------------------------


def quat_normalize(q: np.ndarray) -> np.ndarray:
    """Unit quaternions with w >= 0."""
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0.0, -q, q)


def quat_to_rotvec(q: np.ndarray) -> np.ndarray:
    """Rotation vector (axis * angle, angle in [0, pi]) of unit quaternions."""
    q = np.where(q[..., :1] < 0.0, -q, q)
    s = np.linalg.norm(q[..., 1:], axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(s, q[..., :1])
    scale = np.where(s > 1e-12, angle / np.maximum(s, 1e-12), 2.0)  # small angles: angle/s -> 2
    return q[..., 1:] * scale


def rotvec_to_quat(r: np.ndarray) -> np.ndarray:
    """Unit quaternions of rotation vectors (axis * angle)."""
    angle = np.linalg.norm(r, axis=-1, keepdims=True)
    half = 0.5 * angle
    scale = np.where(angle > 1e-12, np.sin(half) / np.maximum(angle, 1e-12), 0.5)
    return np.concatenate([np.cos(half), r * scale], axis=-1)


def quat_slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Spherical linear interpolation from a to b at fraction t (broadcast to (..., 1)); shortest path, unit norm."""
    t = np.asarray(t, dtype=float)
    if t.ndim < a.ndim:
        t = t[..., None]
    b = np.where(np.sum(a * b, axis=-1, keepdims=True) < 0.0, -b, b)
    rel = quat_to_rotvec(quat_mul(quat_conj(a), b))
    return quat_normalize(quat_mul(a, rotvec_to_quat(rel * t)))


def yaw_of(q: np.ndarray) -> np.ndarray:
    """Heading angle (rad) of unit quaternions: the yaw of the rotated x axis."""
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.arctan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def quat_from_yaw(yaw: np.ndarray | float) -> np.ndarray:
    """Unit quaternions of rotations about the world z axis."""
    yaw = np.asarray(yaw, dtype=float)
    zero = np.zeros_like(yaw)
    return np.stack([np.cos(0.5 * yaw), zero, zero, np.sin(0.5 * yaw)], axis=-1)


def up_alignment(q: np.ndarray) -> np.ndarray:
    """World z component of the body z axis for unit quaternions (1: upright, -1: upside down)."""
    x, y = q[..., 1], q[..., 2]
    return 1.0 - 2.0 * (x * x + y * y)
