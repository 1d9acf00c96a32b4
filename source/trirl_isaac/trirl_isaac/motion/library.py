"""Motion library: clips resampled to the control step, looped, sampled for reference-state init and expert features.

Construction (numpy, once): every clip is resampled onto a grid of control steps dt -- positions by linear
interpolation, root orientations by slerp -- and all velocities are recomputed from the resampled positions by
central finite differences (angular velocity from quaternion differences), so ``(x[k+1] - x[k-1]) / 2dt == v[k]``
holds exactly. The exception is a clip recorded from a simulator (``velocity_source = "simulator"``) that lies on
the control grid (fps = 1/dt): its stored, instantaneous velocities are kept. A simulator's velocity is not the
central difference of its positions (contacts change it within a step), and a discriminator sees the difference:
recomputed, the clip of an expert is told from the expert's own rollouts (README, "Why the discriminator saturated").

A cyclic clip of T frames at fps lasts T/fps seconds and wraps: the frame after the last is the first, displaced
by the loop's root translation (xy) and yaw. That displacement is extrapolated from the root motion at the two
ends of the clip (the mean per-frame step in the heading frame), so the root keeps moving smoothly across the
seam. A cycle is stretched in time by at most dt/2 so that it lasts a whole number K of control steps; step
k + n*K is step k displaced n times. A non-cyclic clip of duration D covers floor(D/dt) + 1 steps and is not
extended.

Sampling (torch, on ``device``): a clip is drawn with probability proportional to its weight, then a step
uniformly within it. Transitions (s, s') are consecutive control steps; expert features are
``cat(discriminator_features(s), discriminator_features(s'))``, the same function the tasks apply to simulated
states.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .features import RobotState, discriminator_features, feature_dim
from .kinematics import ROBOTS, Kinematics
from .quat import quat_conj, quat_from_yaw, quat_mul, quat_normalize, quat_slerp, quat_to_rotvec, yaw_of
from .schema import MotionClip, MotionFileError, load_motion_file


@dataclass
class MotionSource:
    """Clips to take from one file; ``weight`` is the sampling weight of each selected clip."""

    path: str | os.PathLike
    clips: Sequence[str] | None = None  # default: all clips in the file
    weight: float = 1.0


@dataclass
class ResampledClip:
    """A clip on the control grid (numpy): K steps, velocities (finite differences, or a simulator's own), loop
    displacement."""

    name: str
    cyclic: bool
    dt: float
    time_scale: float  # library seconds per clip second (1 for non-cyclic clips)
    root_pos: np.ndarray  # (K, 3)
    root_quat: np.ndarray  # (K, 4)
    root_lin_vel: np.ndarray  # (K, 3)
    root_ang_vel: np.ndarray  # (K, 3)
    joint_pos: np.ndarray  # (K, J)
    joint_vel: np.ndarray  # (K, J)
    key_body_pos: np.ndarray  # (K, B, 3)
    loop_yaw: float  # rad, root yaw change over one loop (cyclic clips)
    loop_xy: np.ndarray  # (2,), root translation of one loop: xy' = R(loop_yaw) xy + loop_xy

    @property
    def num_steps(self) -> int:
        """Number of control steps K stored."""
        return int(self.root_pos.shape[0])


def wrap_angle(a: np.ndarray | float) -> np.ndarray:
    """Angles wrapped into [-pi, pi)."""
    return (np.asarray(a) + np.pi) % (2.0 * np.pi) - np.pi


def _rot2(yaw: np.ndarray | float, xy: np.ndarray) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    x, y = xy[..., 0], xy[..., 1]
    return np.stack([c * x - s * y, s * x + c * y], axis=-1)


def loop_displacement(root_pos: np.ndarray, root_quat: np.ndarray) -> tuple[float, np.ndarray]:
    """(yaw, xy) that maps frame 0 onto the frame after the last of a cyclic clip (constant-step extrapolation)."""
    yaw = yaw_of(root_quat)
    xy = root_pos[:, :2]
    step_end = _rot2(-yaw[-2], xy[-1] - xy[-2])
    step_start = _rot2(-yaw[0], xy[1] - xy[0])
    dyaw = 0.5 * (wrap_angle(yaw[-1] - yaw[-2]) + wrap_angle(yaw[1] - yaw[0]))
    step = 0.5 * (step_end + step_start)
    yaw_next = yaw[-1] + dyaw
    xy_next = xy[-1] + _rot2(yaw[-1], step)
    loop_yaw = float(wrap_angle(yaw_next - yaw[0]))
    return loop_yaw, xy_next - _rot2(loop_yaw, xy[0])


def _loop_translation(loop_yaw: float, loop_xy: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Yaw n*loop_yaw and translation of the loop displacement applied n times (n may be negative)."""
    n = np.asarray(n, dtype=float)
    t = complex(loop_xy[0], loop_xy[1])
    if abs(loop_yaw) < 1e-9:
        tn = n * t
    else:
        tn = t * (1.0 - np.exp(1j * n * loop_yaw)) / (1.0 - np.exp(1j * loop_yaw))
    return n * loop_yaw, np.stack([np.real(tn), np.imag(tn)], axis=-1)


def _displace(pos: np.ndarray, quat: np.ndarray | None, yaw: np.ndarray, xy: np.ndarray):
    """Rotate positions (.., 3) about z by yaw and translate by xy; left-multiply quaternions by the yaw."""
    pos = pos.copy()
    extra = (slice(None),) + (None,) * (pos.ndim - 2)
    pos[..., :2] = _rot2(yaw[extra], pos[..., :2]) + xy[extra]
    if quat is not None:
        quat = quat_mul(quat_from_yaw(yaw)[extra], quat)
    return pos, quat


def resample_clip(
    clip: MotionClip,
    dt: float,
    key_body_names: Sequence[str],
    kinematics: Kinematics | None = None,
) -> ResampledClip:
    """Resample a clip (joints already in robot order) onto control steps of dt; see the module docstring."""
    t_frames, fps = clip.num_frames, clip.fps
    body_idx = None
    if clip.body_names is not None and all(n in clip.body_names for n in key_body_names):
        body_idx = [clip.body_names.index(n) for n in key_body_names]
    elif kinematics is None and len(key_body_names) > 0:
        raise MotionFileError(
            f"clip '{clip.name}': key bodies {list(key_body_names)} are not all in body_pos and "
            "no robot model (mjcf) was given to compute them"
        )
    root_pos, root_quat, joint_pos = clip.root_pos, quat_normalize(clip.root_quat), clip.joint_pos
    body_pos = clip.body_pos[:, body_idx] if body_idx is not None else None

    if clip.cyclic:
        loop_yaw, loop_xy = loop_displacement(root_pos, root_quat)
        k_steps = max(2, round(t_frames / fps / dt))
        time_scale = k_steps * dt / (t_frames / fps)
        u = np.arange(-1, k_steps + 1) * (t_frames / k_steps)  # source frame index of steps -1..K
        n_loop = np.floor(u / t_frames).astype(int)
        r = u - n_loop * t_frames
        # Extended arrays: frame T is frame 0 displaced by one loop.
        one = np.array([1.0])
        yaw1, xy1 = _loop_translation(loop_yaw, loop_xy, one)
        p0, q0 = _displace(root_pos[:1], root_quat[:1], yaw1, xy1)
        ext_root_pos = np.concatenate([root_pos, p0])
        ext_root_quat = np.concatenate([root_quat, q0])
        ext_joint_pos = np.concatenate([joint_pos, joint_pos[:1]])
        ext_body_pos = None
        if body_pos is not None:
            b0, _ = _displace(body_pos[:1], None, yaw1, xy1)
            ext_body_pos = np.concatenate([body_pos, b0])
    else:
        loop_yaw, loop_xy = 0.0, np.zeros(2)
        duration = (t_frames - 1) / fps
        k_steps = int(math.floor(duration / dt + 1e-6)) + 1
        time_scale = 1.0
        u = np.clip(np.arange(k_steps) * dt * fps, 0.0, t_frames - 1)
        n_loop = np.zeros(k_steps, dtype=int)
        r = u
        ext_root_pos, ext_root_quat, ext_joint_pos, ext_body_pos = root_pos, root_quat, joint_pos, body_pos

    i0 = np.minimum(np.floor(r).astype(int), ext_root_pos.shape[0] - 2)
    w = (r - i0)[:, None]
    g_root_pos = (1 - w) * ext_root_pos[i0] + w * ext_root_pos[i0 + 1]
    g_root_quat = quat_slerp(ext_root_quat[i0], ext_root_quat[i0 + 1], w[:, 0])
    g_joint_pos = (1 - w) * ext_joint_pos[i0] + w * ext_joint_pos[i0 + 1]
    g_body_pos = None
    if ext_body_pos is not None:
        g_body_pos = (1 - w[:, :, None]) * ext_body_pos[i0] + w[:, :, None] * ext_body_pos[i0 + 1]
    if clip.cyclic:
        yaw_n, xy_n = _loop_translation(loop_yaw, loop_xy, n_loop)
        g_root_pos, g_root_quat = _displace(g_root_pos, g_root_quat, yaw_n, xy_n)
        if g_body_pos is not None:
            g_body_pos, _ = _displace(g_body_pos, None, yaw_n, xy_n)
    g_root_quat = quat_normalize(g_root_quat)
    if g_body_pos is None and len(key_body_names) > 0:
        g_body_pos = kinematics.body_positions(g_root_pos, g_root_quat, g_joint_pos, clip.joint_names, key_body_names)
    elif g_body_pos is None:
        g_body_pos = np.zeros((g_root_pos.shape[0], 0, 3))

    # Velocities by finite differences on the grid: central inside, one-sided at the ends of non-cyclic clips.
    def diff(x: np.ndarray) -> np.ndarray:
        if clip.cyclic:
            return (x[2:] - x[:-2]) / (2.0 * dt)
        return np.gradient(x, dt, axis=0)

    if clip.cyclic:
        dq = quat_mul(g_root_quat[2:], quat_conj(g_root_quat[:-2]))
        ang_vel = quat_to_rotvec(dq) / (2.0 * dt)
        sl = slice(1, -1)
    else:
        dq = quat_mul(g_root_quat[1:], quat_conj(g_root_quat[:-1]))
        w_step = quat_to_rotvec(dq) / dt  # between steps k and k+1: one-sided at the ends
        dq2 = quat_mul(g_root_quat[2:], quat_conj(g_root_quat[:-2]))
        ang_vel = np.concatenate([w_step[:1], quat_to_rotvec(dq2) / (2.0 * dt), w_step[-1:]])
        sl = slice(None)
    lin_vel, joint_vel = diff(g_root_pos), diff(g_joint_pos)
    if clip.velocity_source == "simulator" and abs(fps * dt - 1.0) < 1e-9:  # on the grid: frame k is step k
        lin_vel, ang_vel, joint_vel = (np.asarray(v, dtype=float) for v in (clip.root_lin_vel, clip.root_ang_vel,
                                                                             clip.joint_vel))  # fmt: skip
    return ResampledClip(
        name=clip.name,
        cyclic=clip.cyclic,
        dt=dt,
        time_scale=time_scale,
        root_pos=g_root_pos[sl],
        root_quat=g_root_quat[sl],
        root_lin_vel=lin_vel,
        root_ang_vel=ang_vel,
        joint_pos=g_joint_pos[sl],
        joint_vel=joint_vel,
        key_body_pos=g_body_pos[sl],
        loop_yaw=loop_yaw,
        loop_xy=np.asarray(loop_xy, dtype=float),
    )


class MotionLibrary:
    """Clips from one or more motion files on the control grid, with weighted sampling; an ``ExpertSampler``."""

    def __init__(
        self,
        sources: Sequence[str | os.PathLike | MotionSource | MotionClip],
        robot_joint_names: Sequence[str],
        default_joint_pos: torch.Tensor | Sequence[float],
        key_body_names: Sequence[str],
        control_dt: float,
        *,
        mjcf: str | os.PathLike | None = None,
        robot: str | None = None,
        joint_limits: Mapping[str, tuple[float, float]] | np.ndarray | None = None,
        limit_tol: float = 0.02,
        skip_checks: Sequence[str] = (),
        device: str | torch.device = "cpu",
        seed: int | None = None,
    ) -> None:
        """Load, validate and resample clips.

        Args:
            sources: motion files (all clips, weight 1), :class:`MotionSource` entries, or clips in memory.
            robot_joint_names: the robot's joint order (e.g. the Isaac Lab articulation's); clips are reordered
                into it by name.
            default_joint_pos: (J,) default joint positions in that order (the features are relative to them).
            key_body_names: bodies whose positions enter the features, in feature order.
            control_dt: the policy step (s).
            mjcf: robot model for forward kinematics of key bodies that a clip does not store (and, when
                ``joint_limits`` is None, for the joint limits checked on load).
            robot: if given, each file's ``robot`` attribute must match.
            joint_limits: (J, 2) or {name: (lo, hi)}, checked on load with ``limit_tol``.
            skip_checks: physical clip checks not to run (see :mod:`trirl_isaac.motion.checks`); with ``mjcf`` the
                ground checks use the foot soles of ``robot``'s feet.
            device: where the sampled tensors live.
            seed: seed of the library's own random generator (None: nondeterministic).
        """
        self.device = torch.device(device)
        self.dt = float(control_dt)
        self.joint_names = list(robot_joint_names)
        self.key_body_names = list(key_body_names)
        self.kinematics = Kinematics(mjcf) if mjcf is not None else None
        if joint_limits is None and self.kinematics is not None:
            lim = self.kinematics.joint_limits
            joint_limits = {n: tuple(lim[i]) for i, n in enumerate(self.kinematics.joint_names)}
        required = self.key_body_names if self.kinematics is None else None

        clips: list[MotionClip] = []
        weights: list[float] = []
        for src in sources:
            if isinstance(src, MotionClip):
                clips.append(src)
                weights.append(1.0)
                continue
            if not isinstance(src, MotionSource):
                src = MotionSource(src)
            loaded = load_motion_file(
                src.path,
                self.joint_names,
                joint_limits,
                robot=robot,
                clips=src.clips,
                required_bodies=required,
                control_dt=self.dt,
                limit_tol=limit_tol,
                kinematics=self.kinematics,
                feet=ROBOTS[robot].feet if robot in ROBOTS and self.kinematics is not None else (),
                skip_checks=skip_checks,
            )
            clips += loaded
            weights += [float(src.weight)] * len(loaded)
        if not clips:
            raise ValueError("MotionLibrary: no clips")
        for c in clips:
            if list(c.joint_names) != self.joint_names:
                raise MotionFileError(f"clip '{c.name}': joints are not in the robot's order")
        if min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"MotionLibrary: clip weights must be >= 0 with a positive sum, got {weights}")

        self.clips = [resample_clip(c, self.dt, self.key_body_names, self.kinematics) for c in clips]
        self.clip_names = [c.name for c in clips]
        dev, f32 = self.device, torch.float32

        def cat(key: str) -> torch.Tensor:
            return torch.as_tensor(np.concatenate([getattr(c, key) for c in self.clips]), dtype=f32, device=dev)

        self._root_pos, self._root_quat = cat("root_pos"), cat("root_quat")
        self._root_lin_vel, self._root_ang_vel = cat("root_lin_vel"), cat("root_ang_vel")
        self._joint_pos, self._joint_vel, self._key_body_pos = cat("joint_pos"), cat("joint_vel"), cat("key_body_pos")
        lengths = [c.num_steps for c in self.clips]
        self.num_steps = torch.tensor(lengths, dtype=torch.long, device=dev)
        self._start = torch.tensor(np.concatenate([[0], np.cumsum(lengths)[:-1]]), dtype=torch.long, device=dev)
        self.cyclic = torch.tensor([c.cyclic for c in self.clips], dtype=torch.bool, device=dev)
        self._loop_yaw = torch.tensor([c.loop_yaw for c in self.clips], dtype=torch.float64, device=dev)
        self._loop_xy = torch.tensor(np.stack([c.loop_xy for c in self.clips]), dtype=torch.float64, device=dev)
        self.weights = torch.tensor(weights, dtype=f32, device=dev)
        self.default_joint_pos = torch.as_tensor(default_joint_pos, dtype=f32, device=dev).reshape(-1)
        if self.default_joint_pos.numel() != len(self.joint_names):
            raise ValueError(
                f"default_joint_pos has {self.default_joint_pos.numel()} entries, robot has "
                f"{len(self.joint_names)} joints"
            )
        self.generator = torch.Generator(device=dev)
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(int(seed))
        self.feature_dim = 2 * feature_dim(len(self.joint_names), len(self.key_body_names))

    # -- queries -------------------------------------------------------------------------------------------------

    @property
    def num_clips(self) -> int:
        """Number of clips."""
        return len(self.clips)

    def state_at(self, clip_ids: torch.Tensor, steps: torch.Tensor) -> RobotState:
        """States at control steps of clips; cyclic clips loop (any step, negative too), others clamp to their ends."""
        clip_ids = clip_ids.to(self.device, torch.long)
        steps = steps.to(self.device, torch.long)
        k_len = self.num_steps[clip_ids]
        cyc = self.cyclic[clip_ids]
        n_loop = torch.where(cyc, torch.div(steps, k_len, rounding_mode="floor"), torch.zeros_like(steps))
        k = torch.where(cyc, steps - n_loop * k_len, steps.clamp(min=0))
        k = torch.minimum(k, k_len - 1)
        idx = self._start[clip_ids] + k
        state = RobotState(
            root_pos_w=self._root_pos[idx],
            root_quat_w=self._root_quat[idx],
            root_lin_vel_w=self._root_lin_vel[idx],
            root_ang_vel_w=self._root_ang_vel[idx],
            joint_pos=self._joint_pos[idx],
            joint_vel=self._joint_vel[idx],
            key_body_pos_w=self._key_body_pos[idx],
        )
        if bool((n_loop != 0).any()):
            state = self._displace(state, clip_ids, n_loop)
        return state

    def _displace(self, s: RobotState, clip_ids: torch.Tensor, n_loop: torch.Tensor) -> RobotState:
        """Apply the loop displacement n_loop times (rotation about z, then xy translation)."""
        theta = self._loop_yaw[clip_ids]
        n = n_loop.to(torch.float64)
        t = torch.complex(self._loop_xy[clip_ids, 0], self._loop_xy[clip_ids, 1])
        small = theta.abs() < 1e-9
        safe = torch.where(small, torch.ones_like(theta), theta)
        ratio = (1 - torch.polar(torch.ones_like(n), n * safe)) / (1 - torch.polar(torch.ones_like(n), safe))
        tn = torch.where(small, n * t, t * ratio)
        yaw = (n * theta).to(torch.float32)
        xy = torch.stack([tn.real, tn.imag], dim=-1).to(torch.float32)
        c, si = torch.cos(yaw), torch.sin(yaw)

        def rot(v: torch.Tensor) -> torch.Tensor:
            cc, ss = (c, si) if v.ndim == 2 else (c[:, None], si[:, None])
            x, y = v[..., 0], v[..., 1]
            return torch.stack([cc * x - ss * y, ss * x + cc * y, v[..., 2]], dim=-1)

        zero = torch.zeros_like(yaw)
        q_yaw = torch.stack([torch.cos(0.5 * yaw), zero, zero, torch.sin(0.5 * yaw)], dim=-1)
        xyz = torch.cat([xy, torch.zeros_like(xy[:, :1])], dim=-1)
        return RobotState(
            root_pos_w=rot(s.root_pos_w) + xyz,
            root_quat_w=quat_mul(q_yaw, s.root_quat_w),
            root_lin_vel_w=rot(s.root_lin_vel_w),
            root_ang_vel_w=rot(s.root_ang_vel_w),
            joint_pos=s.joint_pos,
            joint_vel=s.joint_vel,
            key_body_pos_w=rot(s.key_body_pos_w) + xyz[:, None, :],
        )

    # -- sampling ------------------------------------------------------------------------------------------------

    def sample_clips(self, n: int) -> torch.Tensor:
        """(n,) clip ids drawn with probability proportional to the clip weights."""
        return torch.multinomial(self.weights, n, replacement=True, generator=self.generator)

    def _uniform_steps(self, clip_ids: torch.Tensor, num_valid: torch.Tensor) -> torch.Tensor:
        u = torch.rand(clip_ids.shape[0], device=self.device, generator=self.generator)
        return torch.minimum((u * num_valid).long(), num_valid - 1)

    def sample_states(self, n: int) -> tuple[RobotState, torch.Tensor, torch.Tensor]:
        """n states for reference state initialisation: (state, clip ids, times in seconds on the control grid)."""
        clip_ids = self.sample_clips(n)
        steps = self._uniform_steps(clip_ids, self.num_steps[clip_ids])
        return self.state_at(clip_ids, steps), clip_ids, steps.to(torch.float32) * self.dt

    def sample_transitions(self, n: int) -> tuple[RobotState, RobotState]:
        """n pairs (s, s') of consecutive control steps (across the seam of cyclic clips)."""
        clip_ids = self.sample_clips(n)
        valid = torch.where(self.cyclic[clip_ids], self.num_steps[clip_ids], self.num_steps[clip_ids] - 1)
        steps = self._uniform_steps(clip_ids, valid)
        return self.state_at(clip_ids, steps), self.state_at(clip_ids, steps + 1)

    def transition_features(self, s: RobotState, s_next: RobotState) -> torch.Tensor:
        """(n, 2F) = cat(discriminator_features(s), discriminator_features(s'))."""
        return torch.cat(
            [discriminator_features(s, self.default_joint_pos), discriminator_features(s_next, self.default_joint_pos)],
            dim=-1,
        )

    def expert_features(self, n: int) -> torch.Tensor:
        """(n, feature_dim) expert transition features, drawn with replacement."""
        return self.transition_features(*self.sample_transitions(n))

    def sample(self, n: int) -> torch.Tensor:
        """ExpertSampler interface: same as :meth:`expert_features`."""
        return self.expert_features(n)

    def summary(self) -> str:
        """One line per clip: name, steps, duration, cyclic, weight."""
        p = (self.weights / self.weights.sum()).tolist()
        return "\n".join(
            f"{c.name}: {c.num_steps} steps of {self.dt} s ({c.num_steps * self.dt:.2f} s), "
            f"{'cyclic' if c.cyclic else 'one-shot'}, p={pi:.3f}"
            for c, pi in zip(self.clips, p)
        )
