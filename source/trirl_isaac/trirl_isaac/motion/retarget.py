"""Kinematic retargeting of skeleton motion onto a robot MJCF, and procedural gaits with leg IK (numpy + mujoco).

Retargeting (:func:`retarget`) solves, frame by frame, a damped least-squares IK over the robot's root pose and
joints (joint limits enforced by projection) that matches the source skeleton

* limb directions: each robot segment (hip->knee, knee->ankle, shoulder->elbow, elbow->wrist) points along the
  matching source segment, at the robot's own segment length -- so proportions that differ (the G1's wide hips
  and short forearms) do not distort the pose;
* the root: the robot's hip centre follows the source pelvis scaled by the leg-length ratio;
* orientations of the pelvis, torso and feet;
* a posture prior for joints the source does not drive (wrists) and a smoothness term to the previous frame.

A second pass locks each foot in the world during the stance phases detected on the source (foot speed below a
fraction of the root speed): the locked position is the first pass's mean ankle position over the stance, at
the height where the robot's sole touches the ground, with the foot flat. Then the clip is made cyclic
(:func:`make_cyclic`: the window whose ends match best, residual crossfaded) and put on the ground
(:func:`fix_ground`: the root is shifted vertically so that the lower foot in contact touches z = 0).

Quaternions are (w, x, y, z) everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import mujoco
import numpy as np

from .kinematics import (
    Kinematics,
    quat_conj,
    quat_from_yaw,
    quat_mul,
    quat_normalize,
    quat_to_rotvec,
    rotvec_to_quat,
    yaw_of,
)
from .library import resample_clip
from .schema import MotionClip

# ---------------------------------------------------------------------------------------------------------------
# Source motion and the skeleton -> robot map.
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class SkeletonMotion:
    """World poses of a source skeleton's bodies: T frames at fps, B bodies, quaternions w, x, y, z."""

    fps: float
    body_names: list[str]
    body_pos: np.ndarray  # (T, B, 3)
    body_quat: np.ndarray  # (T, B, 4)

    def pos(self, name: str) -> np.ndarray:
        """(T, 3) positions of a body."""
        return self.body_pos[:, self.body_names.index(name)]

    def quat(self, name: str) -> np.ndarray:
        """(T, 4) orientations of a body."""
        return self.body_quat[:, self.body_names.index(name)]

    def smoothed(self, sigma_frames: float) -> SkeletonMotion:
        """Body positions low-pass filtered in time (Gaussian, edges held); orientations unchanged."""
        if sigma_frames <= 0:
            return self
        r = int(np.ceil(3 * sigma_frames))
        k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma_frames) ** 2)
        k /= k.sum()
        padded = np.pad(self.body_pos, ((r, r), (0, 0), (0, 0)), mode="edge")
        pos = sum(w * padded[i : i + self.body_pos.shape[0]] for i, w in enumerate(k))
        return SkeletonMotion(self.fps, self.body_names, pos, self.body_quat)

    def window(self, start: int, stop: int) -> SkeletonMotion:
        """Frames [start, stop)."""
        return SkeletonMotion(self.fps, self.body_names, self.body_pos[start:stop], self.body_quat[start:stop])


def repeated_frame_stride(pos: np.ndarray, tol: float = 1e-7) -> int:
    """2 if every odd frame repeats the frame before it (a 30 Hz recording stored at 60 fps), else 1."""
    t = pos.shape[0] - pos.shape[0] % 2
    if t >= 4 and np.abs(pos[1:t:2] - pos[0:t:2]).max() <= tol and np.abs(pos[2:t:2] - pos[1 : t - 1 : 2]).max() > tol:
        return 2
    return 1


def load_humanoid_amp_npz(path: str, drop_repeated_frames: bool = True) -> SkeletonMotion:
    """Body poses from an Isaac Lab humanoid AMP npz (keys fps, body_names, body_positions, body_rotations wxyz).

    The clips in the isaaclab wheel repeat every frame twice (30 Hz data at fps=60); with ``drop_repeated_frames``
    such duplicates are removed and fps halved, so that finite differences see the true motion.
    """
    with np.load(path) as d:
        fps = float(d["fps"])
        pos = np.asarray(d["body_positions"], dtype=float)
        quat = quat_normalize(np.asarray(d["body_rotations"], dtype=float))
        names = [str(n) for n in d["body_names"]]
    stride = repeated_frame_stride(pos) if drop_repeated_frames else 1
    return SkeletonMotion(fps=fps / stride, body_names=names, body_pos=pos[::stride], body_quat=quat[::stride])


@dataclass(frozen=True)
class SegmentMatch:
    """Robot segment robot[0] -> robot[1] should point along source segment src[0] -> src[1]."""

    src: tuple[str, str]
    robot: tuple[str, str]
    weight: float


@dataclass(frozen=True)
class OrientationMatch:
    """Robot body orientation should equal the source body orientation (both frames: x forward, z up at rest)."""

    src: str
    robot: str
    weight: float
    tilt_scale: float = 1.0  # scales the source's roll/pitch (0: keep only its heading, i.e. level)


@dataclass(frozen=True)
class FootMatch:
    """A source foot and the robot foot body whose origin is locked during the source's stance phases."""

    src: str
    robot: str


@dataclass
class RetargetMap:
    """Which source bodies drive which robot bodies, and the weights of each term."""

    root_src: str  # source body at hip-joint height (the pelvis)
    root_robot: tuple[str, ...]  # robot bodies whose mean follows the scaled source root (the hip centre)
    legs_src: tuple[tuple[str, str, str], ...]  # (hip, knee, ankle) of each source leg, for the scale
    legs_robot: tuple[tuple[str, str, str], ...]  # (hip, knee, ankle) of each robot leg
    segments: tuple[SegmentMatch, ...]
    orientations: tuple[OrientationMatch, ...]
    feet: tuple[FootMatch, ...]
    posture: dict[str, tuple[float, float]] = field(default_factory=dict)  # joint -> (target, weight)


# The Isaac Lab / IsaacGymEnvs AMP humanoid (15 bodies) onto the Unitree G1 29-DoF.
AMP_HUMANOID_TO_G1 = RetargetMap(
    root_src="pelvis",
    root_robot=("left_hip_roll_link", "right_hip_roll_link"),
    legs_src=(("left_thigh", "left_shin", "left_foot"), ("right_thigh", "right_shin", "right_foot")),
    legs_robot=(
        ("left_hip_roll_link", "left_knee_link", "left_ankle_roll_link"),
        ("right_hip_roll_link", "right_knee_link", "right_ankle_roll_link"),
    ),
    segments=tuple(
        SegmentMatch((f"{s}_{a}", f"{s}_{b}"), (f"{s}_{ra}", f"{s}_{rb}"), w)
        for s in ("left", "right")
        for a, b, ra, rb, w in (
            ("thigh", "shin", "hip_roll_link", "knee_link", 3.0),
            ("shin", "foot", "knee_link", "ankle_roll_link", 3.0),
            ("upper_arm", "lower_arm", "shoulder_roll_link", "elbow_link", 1.0),
            ("lower_arm", "hand", "elbow_link", "wrist_roll_link", 1.0),
        )
    ),
    orientations=(
        OrientationMatch("pelvis", "pelvis", 0.3),
        OrientationMatch("torso", "torso_link", 0.3),
        # The mocap's feet pitch up to 75 deg (heel strike, toe-off); the G1's ankles and flat soles want less.
        OrientationMatch("left_foot", "left_ankle_roll_link", 0.1, tilt_scale=0.3),
        OrientationMatch("right_foot", "right_ankle_roll_link", 0.1, tilt_scale=0.3),
    ),
    feet=(FootMatch("left_foot", "left_ankle_roll_link"), FootMatch("right_foot", "right_ankle_roll_link")),
    posture={
        **{f"{s}_wrist_{a}_joint": (0.0, 0.3) for s in ("left", "right") for a in ("roll", "pitch", "yaw")},
        "waist_yaw_joint": (0.0, 0.05),
        # Keeps the hips out of the flipped (yaw ~ +-pi, knee straight) local minimum of fast knee flexion.
        "left_hip_yaw_joint": (0.0, 0.05),
        "right_hip_yaw_joint": (0.0, 0.05),
    },
)


@dataclass
class RetargetConfig:
    """Numbers of the retargeting solver (weights are relative; distances in m, angles in rad)."""

    scale: float | None = None  # source -> robot length ratio; None: robot leg length / source leg length
    root_weight: float = 1.0  # hip centre xy vs scaled source pelvis
    root_z_weight: float = 0.2  # hip centre height vs scaled source pelvis height (the ground fix sets it later)
    smooth_weight: float = 0.1  # generalized-velocity distance to the previous frame's solution
    damping: float = 1e-3  # Levenberg-Marquardt damping
    iterations: int = 40
    source_smooth_frames: float = 0.0  # std (frames) of a Gaussian filter on the source positions (mocap jitter)
    tolerance: float = 1e-7  # stop when the step's norm is below this
    limit_margin: float = 0.005  # stay this far inside joint limits
    foot_lock_weight: float = 5.0
    foot_flat_weight: float = 1.0  # stance: foot roll/pitch to zero, yaw from the source
    contact_speed_frac: float = 0.25  # source foot in stance when its speed < frac * mean root speed
    min_contact_frames: int = 3  # shorter stance runs are ignored
    contact_extend_frames: int = 0  # stance runs grow by this many frames at each end
    lock_ramp_frames: int = 0  # the lock weight ramps up/down over this many frames at stance ends
    ground_smooth_frames: float = 1.0  # std (frames) of the Gaussian smoothing of the ground-fix offset
    clearance_per_speed: float = 0.025  # swing: sole at least this (m per m/s of foot speed) above the ground ...
    clearance_max: float = 0.05  # ... capped here, so feet do not slide fast just above the ground
    clearance_rise_speed: float = 0.6  # m/s: the clearance grows at most this fast away from a locked (stance) frame
    clearance_weight: float = 5.0
    clearance_passes: int = 2  # IK passes with foot locks, each with the clearance from the previous pass's speeds


# ---------------------------------------------------------------------------------------------------------------
# Damped least-squares IK on a MuJoCo model.
# ---------------------------------------------------------------------------------------------------------------


class FrameIK:
    """Per-frame IK residuals for one robot model; builds (J, r) and takes projected Levenberg-Marquardt steps."""

    def __init__(self, kin: Kinematics, limit_margin: float) -> None:
        self.kin = kin
        self.m, self.d = kin.model, mujoco.MjData(kin.model)
        self.nv = self.m.nv
        lo, hi = kin.joint_limits[:, 0] + limit_margin, kin.joint_limits[:, 1] - limit_margin
        self.lo, self.hi = lo, hi
        self._jp = np.zeros((3, self.nv))
        self._jr = np.zeros((3, self.nv))

    def set(self, qpos: np.ndarray) -> None:
        """Set the configuration and update positions and Jacobian prerequisites."""
        self.d.qpos[:] = qpos
        mujoco.mj_kinematics(self.m, self.d)
        mujoco.mj_comPos(self.m, self.d)

    def body_pos(self, bid: int) -> np.ndarray:
        """World position of a body origin."""
        return self.d.xpos[bid].copy()

    def body_quat(self, bid: int) -> np.ndarray:
        """World orientation of a body."""
        return self.d.xquat[bid].copy()

    def jac(self, bid: int) -> tuple[np.ndarray, np.ndarray]:
        """(3, nv) translational and rotational Jacobians of a body origin."""
        mujoco.mj_jacBody(self.m, self.d, self._jp, self._jr, bid)
        return self._jp.copy(), self._jr.copy()

    def step(self, qpos: np.ndarray, jac: np.ndarray, res: np.ndarray, damping: float) -> tuple[np.ndarray, float]:
        """One damped Gauss-Newton step on 0.5|r|^2 with joints at a limit that the step would push further out
        held fixed (active set), then projection onto the joint limits."""
        adr, dof = self.kin.joint_qpos_adr, self.kin.joint_dof_adr
        at_lo, at_hi = qpos[adr] <= self.lo + 1e-9, qpos[adr] >= self.hi - 1e-9
        free = np.ones(self.nv, dtype=bool)
        for _ in range(4):
            jf = jac[:, free]
            dq = np.zeros(self.nv)
            dq[free] = -np.linalg.solve(jf.T @ jf + damping * np.eye(int(free.sum())), jf.T @ res)
            blocked = (at_lo & (dq[dof] < 0)) | (at_hi & (dq[dof] > 0))
            if not (blocked & free[dof]).any():
                break
            free[dof[blocked]] = False
        q = qpos.copy()
        mujoco.mj_integratePos(self.m, q, dq, 1.0)
        q[3:7] /= np.linalg.norm(q[3:7])
        q[adr] = np.clip(q[adr], self.lo, self.hi)
        return q, float(np.linalg.norm(dq))

    def tangent(self, q_from: np.ndarray, q_to: np.ndarray) -> np.ndarray:
        """Generalized velocity v with integratePos(q_from, v, 1) = q_to."""
        v = np.zeros(self.nv)
        mujoco.mj_differentiatePos(self.m, v, 1.0, q_from, q_to)
        return v


def _rot_err(q_cur: np.ndarray, q_tgt: np.ndarray) -> np.ndarray:
    """World-frame rotation vector taking the target orientation to the current one."""
    return quat_to_rotvec(quat_mul(q_cur, quat_conj(q_tgt)))


@dataclass
class FrameTargets:
    """Everything the IK matches in one frame."""

    root: np.ndarray  # (3,) hip-centre target
    seg_dirs: list[np.ndarray]  # unit source directions, one per map segment
    orient: list[np.ndarray]  # target quaternions, one per map orientation
    lock: list[tuple[np.ndarray, np.ndarray, float] | None]  # per foot: (position, flat quat, weight) or None
    clearance: list[float]  # per foot: minimum sole height while not locked (0: none)


class Retargeter:
    """Retargets :class:`SkeletonMotion` onto a robot with a :class:`RetargetMap`."""

    def __init__(self, kin: Kinematics, rmap: RetargetMap, cfg: RetargetConfig) -> None:
        self.kin, self.map, self.cfg = kin, rmap, cfg
        self.ik = FrameIK(kin, cfg.limit_margin)
        bid = kin.body_id
        self.root_ids = [bid(n) for n in rmap.root_robot]
        self.seg_ids = [(bid(s.robot[0]), bid(s.robot[1])) for s in rmap.segments]
        self.orient_ids = [bid(o.robot) for o in rmap.orientations]
        self.foot_ids = [bid(f.robot) for f in rmap.feet]
        cols = kin.joint_columns(list(rmap.posture))
        self.posture_dof = kin.joint_dof_adr[cols]
        self.posture_qadr = kin.joint_qpos_adr[cols]
        self.posture_target = np.array([v[0] for v in rmap.posture.values()])
        self.posture_w = np.array([v[1] for v in rmap.posture.values()])
        # Rest pose (all joints at 0 -- or mid-range where 0 is outside the limits): segment lengths, sole offset.
        q0 = kin.qpos(np.zeros(3), np.array([1.0, 0, 0, 0]), np.clip(0.0, *kin.joint_limits.T))[0]
        self.ik.set(q0)
        self.seg_len = np.array([np.linalg.norm(self.ik.body_pos(b) - self.ik.body_pos(a)) for a, b in self.seg_ids])
        foot_z = np.array([self.ik.body_pos(f)[2] for f in self.foot_ids])
        soles = kin.sole_heights(q0[None], [f.robot for f in rmap.feet])[0]
        self.sole_offset = foot_z - soles  # foot origin height above the ground when the sole touches it, flat
        self.robot_leg = np.mean([_chain_length([self.ik.body_pos(bid(n)) for n in ch]) for ch in rmap.legs_robot])
        self.foot_geoms = kin.foot_geoms([f.robot for f in rmap.feet])
        self._jp_pt, self._jr_pt = np.zeros((3, kin.model.nv)), np.zeros((3, kin.model.nv))

    def _sole_points(self, f: int) -> np.ndarray:
        """(P, 3) world points at the bottom of foot f's collision geoms (both ends of each capsule, sphere bottoms)."""
        m, d = self.ik.m, self.ik.d
        pts = []
        for gi in self.foot_geoms[f]:
            c, r = d.geom_xpos[gi], m.geom_size[gi, 0]
            ends = [c]
            if int(m.geom_type[gi]) == int(mujoco.mjtGeom.mjGEOM_CAPSULE):
                axis = d.geom_xmat[gi].reshape(3, 3)[:, 2] * m.geom_size[gi, 1]  # capsule axis is local z
                ends = [c + axis, c - axis]
            pts += [e - np.array([0.0, 0.0, r]) for e in ends]
        return np.array(pts)

    def scale_for(self, src: SkeletonMotion) -> float:
        """Robot / source leg-length ratio (or the configured scale)."""
        if self.cfg.scale is not None:
            return self.cfg.scale
        src_leg = np.mean([_chain_length([src.pos(n)[0] for n in ch]) for ch in self.map.legs_src])
        return float(self.robot_leg / src_leg)

    def contacts(self, src: SkeletonMotion) -> np.ndarray:
        """(T, F) stance flags of the source feet: speed below a fraction of the mean root speed, short runs dropped."""
        root = src.pos(self.map.root_src)
        root_speed = np.linalg.norm(np.gradient(root[:, :2], axis=0), axis=-1).mean() * src.fps
        out = np.zeros((root.shape[0], len(self.map.feet)), dtype=bool)
        for f, foot in enumerate(self.map.feet):
            speed = np.linalg.norm(np.gradient(src.pos(foot.src), axis=0), axis=-1) * src.fps
            slow = speed < self.cfg.contact_speed_frac * max(root_speed, 1e-3)
            c = _drop_short_runs(slow, self.cfg.min_contact_frames)
            for _ in range(self.cfg.contact_extend_frames):
                grown = c.copy()
                grown[1:] |= c[:-1]
                grown[:-1] |= c[1:]
                c = grown
            out[:, f] = c
        return out

    def targets(self, src: SkeletonMotion, scale: float) -> list[FrameTargets]:
        """Per-frame targets from the source (no foot locks)."""
        root = scale * src.pos(self.map.root_src)
        dirs = []
        for s in self.map.segments:
            v = src.pos(s.src[1]) - src.pos(s.src[0])
            dirs.append(v / np.linalg.norm(v, axis=-1, keepdims=True))
        orient = [_scale_tilt(src.quat(o.src), o.tilt_scale) for o in self.map.orientations]
        return [
            FrameTargets(
                root[t],
                [d[t] for d in dirs],
                [o[t] for o in orient],
                [None] * len(self.map.feet),
                [0.0] * len(self.map.feet),
            )
            for t in range(root.shape[0])
        ]

    def solve_frame(self, q: np.ndarray, q_prev: np.ndarray | None, tg: FrameTargets) -> np.ndarray:
        """IK for one frame starting from q."""
        cfg, ik = self.cfg, self.ik
        best = (q, np.inf)  # the one-sided terms can make the iteration cycle; keep the best iterate
        for _ in range(cfg.iterations):
            ik.set(q)
            rows, res = [], []
            # Root: mean of the root bodies.
            pos = np.mean([ik.body_pos(b) for b in self.root_ids], axis=0)
            jp = np.mean([ik.jac(b)[0] for b in self.root_ids], axis=0)
            w = np.array([cfg.root_weight, cfg.root_weight, cfg.root_z_weight])[:, None]
            rows.append(w * jp)
            res.append(w[:, 0] * (pos - tg.root))
            # Segment directions at the robot's segment lengths.
            for (a, b), seg, length, d in zip(self.seg_ids, self.map.segments, self.seg_len, tg.seg_dirs):
                ja, jb = ik.jac(a)[0], ik.jac(b)[0]
                rows.append(seg.weight * (jb - ja))
                res.append(seg.weight * (ik.body_pos(b) - ik.body_pos(a) - length * d))
            # Orientations.
            for bid, o, qt in zip(self.orient_ids, self.map.orientations, tg.orient):
                rows.append(o.weight * ik.jac(bid)[1])
                res.append(o.weight * _rot_err(ik.body_quat(bid), qt))
            # Foot locks (stance): position, and a flat foot.
            for bid, lock in zip(self.foot_ids, tg.lock):
                if lock is None:
                    continue
                p_tgt, q_flat, wl = lock
                jp, jr = ik.jac(bid)
                rows.append(wl * cfg.foot_lock_weight * jp)
                res.append(wl * cfg.foot_lock_weight * (ik.body_pos(bid) - p_tgt))
                rows.append(wl * cfg.foot_flat_weight * jr)
                res.append(wl * cfg.foot_flat_weight * _rot_err(ik.body_quat(bid), q_flat))
            # Swing clearance: every sole point stays above the clearance (one-sided).
            for f, (bid, lock, c) in enumerate(zip(self.foot_ids, tg.lock, tg.clearance)):
                if lock is not None or c <= 0.0:
                    continue
                for point in self._sole_points(f):
                    if point[2] < c:
                        mujoco.mj_jac(ik.m, ik.d, self._jp_pt, self._jr_pt, point, bid)
                        rows.append(cfg.clearance_weight * self._jp_pt[2:3].copy())
                        res.append(cfg.clearance_weight * np.array([point[2] - c]))
            # Posture prior.
            if len(self.posture_dof):
                jpost = np.zeros((len(self.posture_dof), ik.nv))
                jpost[np.arange(len(self.posture_dof)), self.posture_dof] = self.posture_w
                rows.append(jpost)
                res.append(self.posture_w * (q[self.posture_qadr] - self.posture_target))
            # Smoothness to the previous frame.
            if q_prev is not None:
                rows.append(cfg.smooth_weight * np.eye(ik.nv))
                res.append(cfg.smooth_weight * ik.tangent(q_prev, q))
            r = np.concatenate(res)
            cost = float(r @ r)
            if cost < best[1]:
                best = (q, cost)
            q, norm = ik.step(q, np.concatenate(rows), r, cfg.damping)
            if norm < cfg.tolerance:
                break
        return best[0]

    def solve(self, targets: list[FrameTargets], q_init: np.ndarray) -> np.ndarray:
        """(T, nq) IK solutions, each frame warm-started from (and smoothed towards) the previous one."""
        out = np.empty((len(targets), self.kin.model.nq))
        q, q_prev = q_init.copy(), None
        for t, tg in enumerate(targets):
            q = self.solve_frame(q, q_prev, tg)
            out[t] = q
            q_prev = q
        return out

    def initial_qpos(self, tg: FrameTargets) -> np.ndarray:
        """A starting configuration: root at the target with the target pelvis yaw, joints at rest."""
        yaw = yaw_of(tg.orient[0]) if len(tg.orient) else 0.0
        jp = np.clip(0.0, *self.kin.joint_limits.T)
        return self.kin.qpos(tg.root + np.array([0, 0, 0.1]), quat_from_yaw(yaw), jp)[0]

    def add_foot_locks(self, targets: list[FrameTargets], qpos: np.ndarray, contacts: np.ndarray, fps: float) -> None:
        """Lock each robot foot during source stance runs at its mean first-pass position, on the ground, flat;
        elsewhere keep its sole above a clearance that grows with the first pass's foot speed."""
        feet_pos, feet_quat = self.kin.forward(qpos, [f.robot for f in self.map.feet])
        ramp = max(self.cfg.lock_ramp_frames, 0)
        for f in range(contacts.shape[1]):
            for start, stop in _runs(contacts[:, f]):
                p = feet_pos[start:stop, f].mean(axis=0)
                p[2] = self.sole_offset[f]
                yaw = yaw_of(feet_quat[start:stop, f]).mean()  # stance: small yaw range, no wrap issue
                q_flat = quat_from_yaw(yaw)
                n = stop - start
                for i, t in enumerate(range(start, stop)):
                    edge = min(i, n - 1 - i)
                    w = 1.0 if ramp == 0 else min(1.0, (edge + 1) / (ramp + 1))
                    targets[t].lock[f] = (p, q_flat, w)
        self.update_clearance(targets, qpos, fps)

    def update_clearance(self, targets: list[FrameTargets], qpos: np.ndarray, fps: float) -> None:
        """Swing clearance of each foot: min(per_speed * its horizontal speed in qpos, max, rise * time to the
        nearest locked frame) -- the last term lets the foot leave and reach the ground gradually."""
        feet_pos, _ = self.kin.forward(qpos, [f.robot for f in self.map.feet])
        speed = np.linalg.norm(np.gradient(feet_pos[..., :2], axis=0), axis=-1) * fps
        clearance = np.minimum(self.cfg.clearance_per_speed * speed, self.cfg.clearance_max)
        frames = np.arange(len(targets))
        for f in range(clearance.shape[1]):
            locked = np.flatnonzero([tg.lock[f] is not None for tg in targets])
            if locked.size:
                gap = np.abs(frames[:, None] - locked[None, :]).min(axis=1) / fps
                clearance[:, f] = np.minimum(clearance[:, f], self.cfg.clearance_rise_speed * gap)
        for t, tg in enumerate(targets):
            tg.clearance = list(clearance[t])


def _chain_length(points: Sequence[np.ndarray]) -> float:
    return float(sum(np.linalg.norm(b - a) for a, b in zip(points[:-1], points[1:])))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of the runs of True in a 1-D mask."""
    m = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _drop_short_runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    out = np.zeros_like(mask, dtype=bool)
    for a, b in _runs(mask):
        if b - a >= min_len:
            out[a:b] = True
    return out


# ---------------------------------------------------------------------------------------------------------------
# Loops, ground, velocities, metrics.
# ---------------------------------------------------------------------------------------------------------------


def _tilt(q: np.ndarray) -> np.ndarray:
    """Orientation without its heading: q = q_yaw * tilt."""
    return quat_normalize(quat_mul(quat_from_yaw(-yaw_of(q)), q))


def _scale_tilt(q: np.ndarray, scale: float) -> np.ndarray:
    """Orientations with the same heading and their roll/pitch (tilt rotation vector) scaled."""
    if scale == 1.0:
        return q
    return quat_normalize(quat_mul(quat_from_yaw(yaw_of(q)), rotvec_to_quat(scale * quat_to_rotvec(_tilt(q)))))


def _pose_features(kin: Kinematics, qpos: np.ndarray, fps: float) -> np.ndarray:
    """Per-frame heading-invariant pose and velocity features used to find where a gait repeats."""
    jp = qpos[:, kin.joint_qpos_adr]
    tilt = quat_to_rotvec(_tilt(qpos[:, 3:7]))
    yaw = yaw_of(qpos[:, 3:7])
    vel = np.gradient(qpos[:, :3], axis=0) * fps
    c, s = np.cos(-yaw), np.sin(-yaw)
    vel_h = np.stack([c * vel[:, 0] - s * vel[:, 1], s * vel[:, 0] + c * vel[:, 1], vel[:, 2]], axis=-1)
    jv = np.gradient(jp, axis=0) * fps
    return np.concatenate([jp, tilt, qpos[:, 2:3], 0.1 * jv, 0.3 * vel_h], axis=-1)


def find_cycle(kin: Kinematics, qpos: np.ndarray, fps: float, min_frac: float) -> tuple[int, int, float]:
    """(start, length, mismatch) of the window [start, start+length] whose end pose best repeats its start."""
    feats = _pose_features(kin, qpos, fps)
    t = qpos.shape[0]
    best = (0, t - 1, np.inf)
    min_len = max(2, int(np.ceil(min_frac * (t - 1))))
    for a in range(t):
        for length in range(min_len, t - a):
            err = float(np.linalg.norm(feats[a + length] - feats[a]))
            if err < best[2]:
                best = (a, length, err)
    return best


def make_cyclic(qpos: np.ndarray, start: int, length: int, joint_qpos_adr: np.ndarray) -> np.ndarray:
    """Frames [start, start+length) with the end-to-start mismatch of joints, root height and tilt crossfaded.

    The correction grows linearly from 0 at ``start`` to the full mismatch at ``start + length`` (the frame
    after the last), so that frame equals frame ``start`` up to the loop's root xy/yaw displacement.
    """
    q = qpos[start : start + length + 1].copy()
    frac = (np.arange(length + 1) / length)[:, None]
    cols = np.concatenate([[2], joint_qpos_adr])
    delta = q[-1, cols] - q[0, cols]
    q[:, cols] -= frac * delta
    tilt = _tilt(q[:, 3:7])
    d_tilt = quat_to_rotvec(quat_mul(tilt[-1], quat_conj(tilt[0])))
    corr = rotvec_to_quat(-frac * d_tilt)
    yaw = yaw_of(q[:, 3:7])
    q[:, 3:7] = quat_normalize(quat_mul(quat_from_yaw(yaw), quat_mul(corr, tilt)))
    return q[:-1]


def fix_ground(
    kin: Kinematics, qpos: np.ndarray, feet: Sequence[str], contacts: np.ndarray, cyclic: bool, smooth: float
) -> np.ndarray:
    """Shift the root vertically per frame so the lowest foot in contact touches z = 0.

    Frames with no foot in contact (flight) interpolate the shift of their neighbours; the shift is then smoothed
    (Gaussian, ``smooth`` frames) and raised where needed so that no sole goes below the ground.
    """
    soles = kin.sole_heights(qpos, feet)
    t = qpos.shape[0]
    any_c = contacts.any(axis=1)
    shift = np.full(t, np.nan)
    shift[any_c] = -np.where(contacts, soles, np.inf)[any_c].min(axis=1)
    if not any_c.any():
        shift[:] = -soles.min()
    elif not any_c.all():
        idx = np.flatnonzero(any_c)
        x = np.arange(t)
        if cyclic:
            shift = np.interp(x, np.concatenate([idx - t, idx, idx + t]), np.tile(shift[idx], 3))
        else:
            shift = np.interp(x, idx, shift[idx])
    if smooth > 0:
        r = int(np.ceil(3 * smooth))
        k = np.exp(-0.5 * (np.arange(-r, r + 1) / smooth) ** 2)
        k /= k.sum()
        padded = np.concatenate([shift[-r:], shift, shift[:r]]) if cyclic else np.pad(shift, r, mode="edge")
        shift = np.convolve(padded, k, mode="valid")
    shift = np.maximum(shift, -soles.min(axis=1))
    out = qpos.copy()
    out[:, 2] += shift
    return out


def finite_difference_velocities(clip: MotionClip) -> MotionClip:
    """The clip with joint, root linear and root angular velocities recomputed from its positions (wraps if cyclic)."""
    r = resample_clip(clip, 1.0 / clip.fps, [], None)
    assert r.num_steps == clip.num_frames
    clip.joint_vel, clip.root_lin_vel, clip.root_ang_vel = r.joint_vel, r.root_lin_vel, r.root_ang_vel
    return clip


def foot_metrics(
    kin: Kinematics, qpos: np.ndarray, feet: Sequence[str], fps: float, contact_height: float = 0.02
) -> dict[str, float]:
    """Foot contact quality of a clip (T, nq) at fps.

    * ``foot_skate_mps``: mean horizontal speed of each foot's contact point (the lowest point of its collision
      geoms, followed rigidly with the foot, so rolling over heel or toe is not skating) over the frames where
      that point is below ``contact_height``;
    * ``min_foot_height_m``: the lowest sole point over the clip (negative: ground penetration);
    * ``contact_fraction``: fraction of (frame, foot) pairs in contact.
    """
    heights, local = kin.sole_points(qpos, feet)
    t = qpos.shape[0]
    prev_i, next_i = np.maximum(np.arange(t) - 1, 0), np.minimum(np.arange(t) + 1, t - 1)
    p_prev = kin.point_positions(qpos[prev_i], feet, local)
    p_next = kin.point_positions(qpos[next_i], feet, local)
    vel = (p_next - p_prev) * fps / (next_i - prev_i)[:, None, None]
    speed = np.linalg.norm(vel[..., :2], axis=-1)
    contact = heights < contact_height
    return {
        "foot_skate_mps": float(speed[contact].mean()) if contact.any() else 0.0,
        "min_foot_height_m": float(heights.min()),
        "contact_fraction": float(contact.mean()),
    }


# ---------------------------------------------------------------------------------------------------------------
# The whole pipeline for a source clip.
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class RetargetResult:
    """A retargeted clip with its quality numbers."""

    clip: MotionClip
    quality: dict[str, float]
    window: tuple[int, int]  # source frames [start, stop) the clip covers


def keypoint_errors(
    rt: Retargeter, src: SkeletonMotion, qpos: np.ndarray, scale: float, pairs: Sequence[tuple[str, str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame, per-point distances between robot key points and scaled source key points, both relative to the
    hip centre / source root; and per-frame, per-segment direction errors (rad)."""
    robot_names = [r for _, r in pairs]
    pts, _ = rt.kin.forward(qpos, robot_names + list(rt.map.root_robot))
    hip = pts[:, len(robot_names) :].mean(axis=1, keepdims=True)
    robot_rel = pts[:, : len(robot_names)] - hip
    src_rel = np.stack([src.pos(s) - src.pos(rt.map.root_src) for s, _ in pairs], axis=1) * scale
    err = np.linalg.norm(robot_rel - src_rel, axis=-1)
    seg_names = sorted({n for s in rt.map.segments for n in s.robot})
    sp, _ = rt.kin.forward(qpos, seg_names)
    angles = []
    for s in rt.map.segments:
        v = sp[:, seg_names.index(s.robot[1])] - sp[:, seg_names.index(s.robot[0])]
        u = src.pos(s.src[1]) - src.pos(s.src[0])
        cos = np.sum(v * u, -1) / (np.linalg.norm(v, axis=-1) * np.linalg.norm(u, axis=-1))
        angles.append(np.arccos(np.clip(cos, -1.0, 1.0)))
    return err, np.stack(angles, axis=1)


def retarget(
    kin: Kinematics,
    src: SkeletonMotion,
    rmap: RetargetMap,
    cfg: RetargetConfig,
    *,
    name: str,
    key_bodies: Sequence[str],
    keypoint_pairs: Sequence[tuple[str, str]],
    cyclic: bool = True,
    cycle_min_frac: float = 0.5,
) -> RetargetResult:
    """Retarget a source clip onto the robot: IK, foot locks, cyclic window, ground, velocities, quality numbers."""
    rt = Retargeter(kin, rmap, cfg)
    scale = rt.scale_for(src)
    contacts = rt.contacts(src)
    targets = rt.targets(src.smoothed(cfg.source_smooth_frames), scale)
    q1 = rt.solve(targets, rt.initial_qpos(targets[0]))
    feet = [f.robot for f in rmap.feet]
    # Height targets consistent with the ground: the first pass put on the ground like the final clip will be, so
    # frames without a locked foot do not float to the scaled source pelvis height.
    grounded = fix_ground(kin, q1, feet, contacts, False, cfg.ground_smooth_frames)
    hip_z = kin.forward(grounded, list(rmap.root_robot))[0][..., 2].mean(axis=1)
    for tg, z in zip(targets, hip_z):
        tg.root = np.array([tg.root[0], tg.root[1], z])
    rt.add_foot_locks(targets, q1, contacts, src.fps)
    q2 = rt.solve(targets, q1[0])
    for _ in range(cfg.clearance_passes - 1):  # the clearance depends on the speeds it changes: iterate
        rt.update_clearance(targets, q2, src.fps)
        q2 = rt.solve(targets, q2[0])

    if cyclic:
        start, length, mismatch = find_cycle(kin, q2, src.fps, cycle_min_frac)
        q = make_cyclic(q2, start, length, kin.joint_qpos_adr)
        q[:, kin.joint_qpos_adr] = np.clip(q[:, kin.joint_qpos_adr], rt.ik.lo, rt.ik.hi)  # the crossfade may overshoot
        window = (start, start + length)
    else:
        q, window, mismatch = q2, (0, q2.shape[0]), 0.0
    sub = src.window(*window)
    q = fix_ground(kin, q, feet, contacts[window[0] : window[1]], cyclic, cfg.ground_smooth_frames)

    body_pos, body_quat = kin.forward(q, key_bodies)
    clip = MotionClip(
        name=name,
        fps=src.fps,
        joint_names=list(kin.joint_names),
        joint_pos=q[:, kin.joint_qpos_adr],
        joint_vel=np.zeros((q.shape[0], len(kin.joint_names))),
        root_pos=q[:, :3],
        root_quat=q[:, 3:7],
        root_lin_vel=np.zeros((q.shape[0], 3)),
        root_ang_vel=np.zeros((q.shape[0], 3)),
        cyclic=cyclic,
        body_names=list(key_bodies),
        body_pos=body_pos,
        body_quat=body_quat,
    )
    finite_difference_velocities(clip)
    kp, ang = keypoint_errors(rt, sub, q, scale, keypoint_pairs)
    quality = {
        "scale": scale,
        "keypoint_err_mean_m": float(kp.mean()),
        "keypoint_err_max_m": float(kp.max()),
        "segment_dir_err_mean_deg": float(np.degrees(ang.mean())),
        "loop_mismatch": float(mismatch),
        **foot_metrics(kin, q, feet, src.fps),
    }
    clip.quality = quality
    return RetargetResult(clip, quality, window)


# ---------------------------------------------------------------------------------------------------------------
# Procedural trot with leg IK (quadrupeds).
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class TrotConfig:
    """A level, straight trot: diagonal pairs alternate; stance feet stay fixed in the world."""

    speed: float = 1.0  # m/s, forward (+x)
    base_height: float = 0.30  # m, root body height
    period: float = 0.5  # s, one full gait cycle
    duty: float = 0.5  # fraction of the cycle each foot is on the ground
    swing_height: float = 0.08  # m, sole apex during swing
    swing_lift_frac: float = 0.1  # fraction of the swing at each end with vertical-only foot motion
    fps: float = 100.0
    cycles: int = 1
    phase: dict[str, float] = field(
        default_factory=lambda: {"FL_foot": 0.0, "RR_foot": 0.0, "FR_foot": 0.5, "RL_foot": 0.5}
    )
    initial_joint_pos: dict[str, float] = field(default_factory=lambda: {".*_thigh_joint": 0.8, ".*_calf_joint": -1.6})
    iterations: int = 50


def _min_jerk(u: np.ndarray) -> np.ndarray:
    return u**3 * (10.0 - 15.0 * u + 6.0 * u**2)


def trot_foot_targets(kin: Kinematics, cfg: TrotConfig, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World targets (T, F, 3) of the foot body origins, and stance flags (T, F), at times t."""
    feet = list(cfg.phase)
    q0 = kin.qpos(np.array([0.0, 0.0, cfg.base_height]), np.array([1.0, 0, 0, 0]), np.clip(0.0, *kin.joint_limits.T))
    pos0, _ = kin.forward(q0, feet)
    sole = pos0[0, :, 2] - kin.sole_heights(q0, feet)[0]  # foot origin height above its lowest point
    # Nominal stance point: under the leg's upper joint (the foot body's grandparent, e.g. FL_thigh).
    hips, _ = kin.forward(q0, [kin.body_parent[kin.body_parent[f]] for f in feet])
    pos0[0, :, :2] = hips[0, :, :2]
    out = np.empty((t.shape[0], len(feet), 3))
    stance = np.empty((t.shape[0], len(feet)), dtype=bool)
    p = cfg.period
    for f, name in enumerate(feet):
        phi = np.mod(t / p + cfg.phase[name], 1.0)
        t_mid = t - phi * p + 0.5 * cfg.duty * p  # middle of the current (or last) stance
        u = np.clip((phi - cfg.duty) / (1.0 - cfg.duty), 0.0, 1.0)
        on = phi < cfg.duty
        # Swing: the foot rises and lands almost vertically (forward motion starts after lift_frac of the swing and
        # ends lift_frac before touchdown), so it does not slide while close to the ground.
        a = cfg.swing_lift_frac
        ux = np.clip((u - a) / (1.0 - 2.0 * a), 0.0, 1.0)
        x = pos0[0, f, 0] + cfg.speed * (t_mid + np.where(on, 0.0, p * _min_jerk(ux)))
        z = sole[f] + np.where(on, 0.0, cfg.swing_height * 16.0 * u**2 * (1.0 - u) ** 2)
        out[:, f] = np.stack([x, np.full_like(x, pos0[0, f, 1]), z], axis=-1)
        stance[:, f] = on
    return out, stance


def procedural_trot(kin: Kinematics, cfg: TrotConfig, name: str, key_bodies: Sequence[str]) -> RetargetResult:
    """A cyclic trot clip: base moving straight and level at cfg.speed, each leg solved by IK for its foot target."""
    feet = list(cfg.phase)
    n = int(round(cfg.cycles * cfg.period * cfg.fps))
    t = np.arange(n) / cfg.fps
    targets, _ = trot_foot_targets(kin, cfg, t)
    jp0 = np.clip(0.0, *kin.joint_limits.T)
    for pattern, v in cfg.initial_joint_pos.items():
        jp0 = np.where([re.fullmatch(pattern, j) is not None for j in kin.joint_names], v, jp0)
    ik = FrameIK(kin, limit_margin=0.0)
    fids = [kin.body_id(f) for f in feet]
    q = kin.qpos(np.zeros(3), np.array([1.0, 0, 0, 0]), jp0)[0]
    qpos = np.empty((n, kin.model.nq))
    for i in range(n):
        q[:3] = [cfg.speed * t[i], 0.0, cfg.base_height]
        q[3:7] = [1.0, 0.0, 0.0, 0.0]
        for _ in range(cfg.iterations):
            ik.set(q)
            jac = np.concatenate([ik.jac(b)[0] for b in fids])
            jac[:, :6] = 0.0  # the base follows its prescribed path
            res = np.concatenate([ik.body_pos(b) - targets[i, k] for k, b in enumerate(fids)])
            q, norm = ik.step(q, jac, res, 1e-6)
            if norm < 1e-10:
                break
        qpos[i] = q
    ik_err = np.linalg.norm(kin.forward(qpos, feet)[0] - targets, axis=-1)
    body_pos, body_quat = kin.forward(qpos, key_bodies)
    clip = MotionClip(
        name=name,
        fps=cfg.fps,
        joint_names=list(kin.joint_names),
        joint_pos=qpos[:, kin.joint_qpos_adr],
        joint_vel=np.zeros((n, len(kin.joint_names))),
        root_pos=qpos[:, :3],
        root_quat=qpos[:, 3:7],
        root_lin_vel=np.zeros((n, 3)),
        root_ang_vel=np.zeros((n, 3)),
        cyclic=True,
        body_names=list(key_bodies),
        body_pos=body_pos,
        body_quat=body_quat,
    )
    finite_difference_velocities(clip)
    quality = {"ik_err_max_m": float(ik_err.max()), **foot_metrics(kin, qpos, feet, cfg.fps)}
    clip.quality = quality
    return RetargetResult(clip, quality, (0, n))
