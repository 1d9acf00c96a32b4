"""The motion-clip HDF5 schema (version 1): writer, and a loader that validates everything on open.

Layout (all arrays float32 on disk, float64 in memory; positions in metres, angles in radians)::

    /                       attrs: schema_version (int) = 1, robot (str, e.g. "g1")
    /clips/<name>/          attrs: fps (float > 0), source, licence, how_made (str), quat_convention = "wxyz",
                                   cyclic (bool), quality_* (float, optional: retarget/foot-contact metrics),
                                   velocity_source (str, optional): "finite_difference" (default) or "simulator"
        joint_names         (J,)      utf-8 strings
        joint_pos           (T, J)    joint positions, in the order of joint_names
        joint_vel           (T, J)
        root_pos            (T, 3)    world position of the root (free-joint) body
        root_quat           (T, 4)    world orientation of the root body, w, x, y, z
        root_lin_vel        (T, 3)    world frame
        root_ang_vel        (T, 3)    world frame
        body_names          (B,)      optional, utf-8 strings
        body_pos            (T, B, 3) optional, world positions of body_names
        body_quat           (T, B, 4) optional, world orientations of body_names, w, x, y, z

``velocity_source = "simulator"`` marks a clip recorded from a simulator whose velocities are the simulator's own
(instantaneous) ones; the motion library keeps them when the clip lies on the control grid, instead of recomputing
velocities by finite differences (see :mod:`trirl_isaac.motion.library` for why this matters to a discriminator).

A cyclic clip loops: the frame after the last is the first, displaced by the loop's root xy translation and yaw
(see :mod:`trirl_isaac.motion.library`). Every problem found on open raises :class:`MotionFileError` with the
file, the clip and the problem in its message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .checks import check_clip, validate_skip

SCHEMA_VERSION = 1
QUAT_CONVENTION = "wxyz"
QUALITY_PREFIX = "quality_"
CLIP_ATTRS = ("fps", "source", "licence", "how_made", "quat_convention", "cyclic")
VELOCITY_SOURCES = ("finite_difference", "simulator")
"""Where a clip's velocities come from (optional attribute ``velocity_source``; absent = finite_difference)."""
REQUIRED_DATASETS = ("joint_names", "joint_pos", "joint_vel", "root_pos", "root_quat", "root_lin_vel", "root_ang_vel")
BODY_DATASETS = ("body_names", "body_pos", "body_quat")


class MotionFileError(ValueError):
    """A motion file that cannot be used; the message names the file, the clip and the problem."""


@dataclass
class MotionClip:
    """One clip in memory (numpy, float64); T frames at fps, J joints, optional B bodies."""

    name: str
    fps: float
    joint_names: list[str]
    joint_pos: np.ndarray  # (T, J)
    joint_vel: np.ndarray  # (T, J)
    root_pos: np.ndarray  # (T, 3) world
    root_quat: np.ndarray  # (T, 4) w, x, y, z
    root_lin_vel: np.ndarray  # (T, 3) world
    root_ang_vel: np.ndarray  # (T, 3) world
    cyclic: bool = False
    source: str = ""
    licence: str = ""
    how_made: str = ""
    body_names: list[str] | None = None
    body_pos: np.ndarray | None = None  # (T, B, 3) world
    body_quat: np.ndarray | None = None  # (T, B, 4) w, x, y, z
    quality: dict[str, float] = field(default_factory=dict)
    velocity_source: str = "finite_difference"  # one of VELOCITY_SOURCES

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return int(self.joint_pos.shape[0])

    @property
    def duration(self) -> float:
        """Seconds covered: T/fps for a cyclic clip (it wraps to frame 0), (T-1)/fps otherwise."""
        return (self.num_frames if self.cyclic else self.num_frames - 1) / self.fps


def _str_array(names: Sequence[str]) -> np.ndarray:
    return np.array([str(n).encode("utf-8") for n in names], dtype=object)


def save_motion_file(path: str | os.PathLike, robot: str, clips: Sequence[MotionClip]) -> None:
    """Write clips to an HDF5 file in the schema above (atomically: a temporary file is renamed into place)."""
    import h5py

    path = os.fspath(path)
    tmp = f"{path}.tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["schema_version"] = SCHEMA_VERSION
        f.attrs["robot"] = robot
        root = f.create_group("clips")
        for clip in clips:
            g = root.create_group(clip.name)
            g.attrs["fps"] = float(clip.fps)
            g.attrs["source"] = clip.source
            g.attrs["licence"] = clip.licence
            g.attrs["how_made"] = clip.how_made
            g.attrs["quat_convention"] = QUAT_CONVENTION
            g.attrs["cyclic"] = bool(clip.cyclic)
            if clip.velocity_source not in VELOCITY_SOURCES:
                raise ValueError(f"clip '{clip.name}': velocity_source must be one of {VELOCITY_SOURCES}")
            g.attrs["velocity_source"] = clip.velocity_source
            for k, v in clip.quality.items():
                g.attrs[QUALITY_PREFIX + k] = float(v)
            string = h5py.string_dtype("utf-8")
            g.create_dataset("joint_names", data=_str_array(clip.joint_names), dtype=string, track_times=False)
            for key in REQUIRED_DATASETS[1:]:
                g.create_dataset(key, data=np.asarray(getattr(clip, key), dtype=np.float32), track_times=False)
            if clip.body_names is not None:
                g.create_dataset("body_names", data=_str_array(clip.body_names), dtype=string, track_times=False)
                g.create_dataset("body_pos", data=np.asarray(clip.body_pos, dtype=np.float32), track_times=False)
                if clip.body_quat is not None:
                    g.create_dataset("body_quat", data=np.asarray(clip.body_quat, dtype=np.float32), track_times=False)
    os.replace(tmp, path)


def _decode(names: np.ndarray) -> list[str]:
    return [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in np.asarray(names).tolist()]


def _limits_array(joint_limits, robot_joint_names: Sequence[str]) -> np.ndarray:
    if isinstance(joint_limits, Mapping):
        return np.array([joint_limits.get(n, (-np.inf, np.inf)) for n in robot_joint_names], dtype=float)
    limits = np.asarray(joint_limits, dtype=float)
    if limits.shape != (len(robot_joint_names), 2):
        raise ValueError(f"joint_limits: expected ({len(robot_joint_names)}, 2), got {limits.shape}")
    return limits


def load_motion_file(
    path: str | os.PathLike,
    robot_joint_names: Sequence[str] | None,
    joint_limits: Mapping[str, tuple[float, float]] | np.ndarray | None = None,
    *,
    robot: str | None = None,
    clips: Sequence[str] | None = None,
    required_bodies: Sequence[str] | None = None,
    control_dt: float | None = None,
    quat_tol: float = 1e-3,
    limit_tol: float = 0.02,
    kinematics=None,
    feet: Sequence[str] = (),
    skip_checks: Sequence[str] = (),
) -> list[MotionClip]:
    """Open, validate and return the clips of a motion file, joints reordered into ``robot_joint_names``.

    Args:
        path: the HDF5 file.
        robot_joint_names: the robot's joint order; every clip must name exactly these joints (in any order).
            ``None`` keeps each clip's own joint order and skips the name checks.
        joint_limits: (J, 2) in ``robot_joint_names`` order, or {name: (lower, upper)}; ``None`` skips the check.
        robot: if given, the file's ``robot`` attribute must match it.
        clips: names of the clips to load (default: all).
        required_bodies: bodies each clip must provide in ``body_pos`` (leave ``None`` when positions can be
            computed by forward kinematics).
        control_dt: if given, each clip must last at least two control steps.
        quat_tol: allowed deviation of quaternion norms from 1.
        limit_tol: allowed excursion (rad or m) of joint positions beyond their limits.
        kinematics: the robot's :class:`~trirl_isaac.motion.kinematics.Kinematics`, for the ground checks on the
            soles of ``feet`` and the comparison of stored body positions with forward kinematics.
        skip_checks: names of physical checks (:data:`trirl_isaac.motion.checks.CHECKS`) not to run.
    """
    import h5py

    skip = validate_skip(skip_checks)
    path = os.fspath(path)

    def fail(problem: str, clip: str | None = None) -> MotionFileError:
        where = f"{path}" if clip is None else f"{path} [clip '{clip}']"
        return MotionFileError(f"{where}: {problem}")

    if not os.path.isfile(path):
        raise fail("file not found")
    if not h5py.is_hdf5(path):
        raise fail(
            "not an HDF5 file (expected the trirl_isaac motion schema; convert other formats with "
            "scripts/convert_motion.py)"
        )

    def read_clip(g, name: str) -> MotionClip:
        clip = _read_clip(
            g, name, fail, robot_joint_names, joint_limits, required_bodies, control_dt, quat_tol, limit_tol
        )
        check_clip(clip, lambda problem: fail(problem, name), kinematics, sorted(skip), feet)
        return clip

    try:
        with h5py.File(path, "r") as f:
            return _read_file(f, fail, robot, clips, read_clip)
    except OSError as e:  # h5py's errors for truncated or corrupted files and unreadable datasets
        raise fail(f"cannot be read as HDF5 (truncated or corrupted?): {e}") from e


def _number(attrs, key: str, fail, clip: str | None = None) -> float:
    """A numeric attribute, or a named error when it is text or not a scalar."""
    try:
        value = np.asarray(attrs[key])
        if value.dtype.kind not in "biuf" or value.size != 1:
            raise TypeError
        return float(value)
    except (TypeError, ValueError):
        raise fail(f"attribute '{key}' must be a number, got {attrs[key]!r}", clip) from None


def _float_dataset(g, key: str, fail, clip: str) -> np.ndarray:
    """A numeric dataset as float64, or a named error when it holds strings or other non-numbers."""
    raw = g[key][()]
    if np.asarray(raw).dtype.kind not in "biuf":
        raise fail(f"dataset '{key}' must hold numbers, got dtype {np.asarray(raw).dtype}", clip)
    return np.asarray(raw, dtype=np.float64)


def _read_file(f, fail, robot, clips, read_clip) -> list[MotionClip]:
    import h5py

    if "schema_version" not in f.attrs:
        raise fail("missing root attribute 'schema_version'")
    version = int(_number(f.attrs, "schema_version", fail))
    if version != SCHEMA_VERSION:
        raise fail(f"schema_version {version} is not supported (this loader reads version {SCHEMA_VERSION})")
    file_robot = f.attrs.get("robot")
    if file_robot is None:
        raise fail("missing root attribute 'robot'")
    file_robot = file_robot.decode() if isinstance(file_robot, bytes) else str(file_robot)
    if robot is not None and file_robot != robot:
        raise fail(f"clips are for robot '{file_robot}', not '{robot}'")
    if "clips" not in f or not isinstance(f["clips"], h5py.Group) or len(f["clips"]) == 0:
        raise fail("missing group '/clips' (or it holds no clip)")
    names = list(f["clips"].keys())
    if clips is not None:
        absent = [c for c in clips if c not in names]
        if absent:
            raise fail(f"no clip(s) {absent} (file has {names})")
        names = list(clips)
    return [read_clip(f["clips"][name], name) for name in names]


def _read_clip(g, name, fail, robot_joint_names, joint_limits, required_bodies, control_dt, quat_tol, limit_tol):
    missing = [a for a in CLIP_ATTRS if a not in g.attrs] + [k for k in REQUIRED_DATASETS if k not in g]
    if missing:
        raise fail(f"missing key(s) {missing}", name)
    fps = _number(g.attrs, "fps", fail, name)
    if not np.isfinite(fps) or fps <= 0.0:
        raise fail(f"fps must be > 0, got {fps}", name)
    conv = g.attrs["quat_convention"]
    conv = conv.decode() if isinstance(conv, bytes) else str(conv)
    if conv != QUAT_CONVENTION:
        raise fail(f"quat_convention is '{conv}', the schema requires '{QUAT_CONVENTION}'", name)

    joint_names = _decode(g["joint_names"][()])
    repeated = sorted({n for n in joint_names if joint_names.count(n) > 1})
    if repeated:
        raise fail(f"duplicate joint names {repeated}", name)
    data = {k: _float_dataset(g, k, fail, name) for k in REQUIRED_DATASETS[1:]}
    has_bodies = "body_names" in g or "body_pos" in g
    if has_bodies:
        absent = [k for k in BODY_DATASETS[:2] if k not in g]
        if absent:
            raise fail(f"missing key(s) {absent} (body_names and body_pos go together)", name)
        body_names = _decode(g["body_names"][()])
        data["body_pos"] = _float_dataset(g, "body_pos", fail, name)
        if "body_quat" in g:
            data["body_quat"] = _float_dataset(g, "body_quat", fail, name)
        repeated = sorted({n for n in body_names if body_names.count(n) > 1})
        if repeated:
            raise fail(f"duplicate body names {repeated}", name)
    else:
        body_names = None

    t = data["joint_pos"].shape[0] if data["joint_pos"].ndim == 2 else -1
    j, b = len(joint_names), (len(body_names) if body_names is not None else 0)
    expected = {
        "joint_pos": (t, j),
        "joint_vel": (t, j),
        "root_pos": (t, 3),
        "root_quat": (t, 4),
        "root_lin_vel": (t, 3),
        "root_ang_vel": (t, 3),
        "body_pos": (t, b, 3),
        "body_quat": (t, b, 4),
    }
    bad = [f"{k} {data[k].shape} (expected {expected[k]})" for k in data if data[k].shape != expected[k]]
    if t < 0 or bad:
        raise fail(
            f"wrong shape or inconsistent frame count T={t}: " + "; ".join(bad or ["joint_pos is not 2-D"]), name
        )
    if t < 2:
        raise fail(f"clip has {t} frame(s); at least 2 are needed", name)
    for k, v in data.items():
        finite = np.isfinite(v)
        if not finite.all():
            frame = int(np.argwhere(~finite)[0][0])
            raise fail(f"{k} contains NaN or Inf (first at frame {frame})", name)
    for k in ("root_quat", "body_quat"):
        if k in data:
            err = np.abs(np.linalg.norm(data[k], axis=-1) - 1.0)
            if err.max() > quat_tol:
                frame = int(np.unravel_index(np.argmax(err), err.shape)[0])
                raise fail(f"{k} is not unit-norm (|norm - 1| = {err.max():.3g} > {quat_tol} at frame {frame})", name)
            data[k] = data[k] / np.linalg.norm(data[k], axis=-1, keepdims=True)

    cyclic = bool(_number(g.attrs, "cyclic", fail, name))
    duration = (t if cyclic else t - 1) / fps
    if control_dt is not None and duration < 2.0 * control_dt - 1e-9:
        raise fail(f"clip lasts {duration:.4f} s, shorter than 2 control steps of {control_dt} s", name)

    if robot_joint_names is not None:
        unknown = [n for n in joint_names if n not in set(robot_joint_names)]
        if unknown:
            raise fail(f"joint names the robot lacks: {unknown}", name)
        absent = [n for n in robot_joint_names if n not in set(joint_names)]
        if absent:
            raise fail(f"robot joints missing from the clip: {absent}", name)
        order = [joint_names.index(n) for n in robot_joint_names]
        data["joint_pos"] = data["joint_pos"][:, order]
        data["joint_vel"] = data["joint_vel"][:, order]
        joint_names = list(robot_joint_names)
        if joint_limits is not None:
            limits = _limits_array(joint_limits, joint_names)
            below = limits[:, 0] - limit_tol - data["joint_pos"]
            above = data["joint_pos"] - limits[:, 1] - limit_tol
            excess = np.maximum(below, above)
            if (excess > 0).any():
                frame, col = np.unravel_index(np.argmax(excess), excess.shape)
                value = data["joint_pos"][frame, col]
                lo, hi = limits[col]
                raise fail(
                    f"joint '{joint_names[col]}' at frame {frame} is {value:.4f}, outside its limits "
                    f"[{lo:.4f}, {hi:.4f}] by more than {limit_tol}",
                    name,
                )

    if required_bodies:
        absent = [n for n in required_bodies if body_names is None or n not in body_names]
        if absent:
            raise fail(f"key bodies missing from body_names/body_pos: {absent}", name)

    def attr(key: str) -> str:
        v = g.attrs[key]
        return v.decode() if isinstance(v, bytes) else str(v)

    quality = {
        k[len(QUALITY_PREFIX) :]: float(np.asarray(v)) for k, v in g.attrs.items() if k.startswith(QUALITY_PREFIX)
    }
    velocity_source = attr("velocity_source") if "velocity_source" in g.attrs else VELOCITY_SOURCES[0]
    if velocity_source not in VELOCITY_SOURCES:
        raise fail(f"velocity_source is '{velocity_source}', expected one of {list(VELOCITY_SOURCES)}", name)
    return MotionClip(
        name=name,
        fps=fps,
        joint_names=joint_names,
        cyclic=cyclic,
        source=attr("source"),
        licence=attr("licence"),
        how_made=attr("how_made"),
        body_names=body_names,
        quality=quality,
        velocity_source=velocity_source,
        **data,
    )


def read_file_robot(path: str | os.PathLike) -> str:
    """The ``robot`` attribute of a motion file (for tools that pick the robot model from the file)."""
    import h5py

    with h5py.File(os.fspath(path), "r") as f:
        v = f.attrs.get("robot", "")
        return v.decode() if isinstance(v, bytes) else str(v)
