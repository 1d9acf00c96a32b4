"""Convert motion clips from the formats people bring into the trirl_isaac HDF5 schema (one clip per input file).

    python scripts/convert_motion.py humanoid-amp-npz IN.npz [IN2.npz ...] --robot g1 --out OUT.h5
    python scripts/convert_motion.py lafan-csv IN.csv [...] --out OUT.h5 [--fps 30]
    python scripts/convert_motion.py mjlab-npz IN.npz [...] --robot g1 --out OUT.h5 [--joint-names a,b,...]

Formats:

* ``humanoid-amp-npz``: Isaac Lab humanoid AMP npz (``fps, dof_names, body_names, dof_positions,
  dof_velocities, body_positions, body_rotations, body_linear_velocities, body_angular_velocities``; quaternions
  documented as w, x, y, z; body 0 is the root). The AMASS-retargeted-to-G1 set uses the same keys with G1 joint
  and body names. Files that store every frame twice (30 Hz data at fps=60, as the isaaclab wheel's clips) are
  detected: duplicates are dropped, fps halved and velocities recomputed (``--keep-repeated-frames`` to keep).
* ``lafan-csv``: LAFAN1 retargeted to the Unitree G1 (no header; rows ``x, y, z, qx, qy, qz, qw`` + 29 joint
  angles in :data:`G1_LAFAN_JOINT_ORDER`; quaternions x, y, z, w; 30 Hz). Velocities by finite differences.
* ``mjlab-npz``: mjlab / BeyondMimic npz (``fps, joint_pos, joint_vel, body_pos_w, body_quat_w, body_lin_vel_w,
  body_ang_vel_w``, quaternions w, x, y, z, 50 Hz; body 0 is the root). The file has no names: joint names come
  from ``--joint-names`` (default: the robot MJCF's joint order), body names from ``--body-names`` (otherwise only
  the root is kept and key bodies are computed by forward kinematics).

Every importer checks quaternions: non-unit ones are rejected; the declared convention is kept unless it gives an
upside-down root while the other convention gives an upright one (then it warns and converts; ``--quat`` forces a
convention). Joint names are checked against the robot MJCF, the clip is reordered by name, and the written file
is validated by the same loader the library uses (joint limits included).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from trirl_isaac.robots import G1

from .kinematics import ROBOTS, Kinematics
from .quat import quat_normalize, quat_rotate, up_alignment, xyzw_to_wxyz
from .retarget import finite_difference_velocities, repeated_frame_stride
from .schema import MotionClip, MotionFileError, load_motion_file, save_motion_file

G1_LAFAN_JOINT_ORDER: tuple[str, ...] = G1.joint_names
"""Joint order of the LAFAN1-retargeted-to-G1 CSVs: Unitree's 29-DoF order (legs, waist, left arm, right arm), which is
the G1 MJCF's order."""

QUAT_NORM_TOL = 1e-3
UPRIGHT = 0.5  # mean body-z . world-z above which a root counts as upright


class ConversionError(ValueError):
    """An input file that cannot be converted; the message names the file and the problem."""


def travel_alignment(q_wxyz: np.ndarray, root_pos: np.ndarray) -> float | None:
    """Mean cosine between the root's forward (x) axis and its horizontal direction of travel (None if ~static)."""
    v = np.diff(root_pos[:, :2], axis=0)
    speed = np.linalg.norm(v, axis=-1)
    if speed.sum() < 1e-6 or speed.mean() < 1e-4:
        return None
    fwd = quat_rotate(quat_normalize(q_wxyz[1:]), np.array([1.0, 0.0, 0.0]))[:, :2]
    fwd /= np.maximum(np.linalg.norm(fwd, axis=-1, keepdims=True), 1e-9)
    return float(np.sum(fwd * v, axis=-1).sum() / speed.sum())


def choose_quat_convention(
    q: np.ndarray, declared: str, mode: str, what: str, root_pos: np.ndarray | None = None
) -> tuple[str, float]:
    """Convention to read root quaternions q (T, 4) with, and the mean up-alignment it gives.

    Non-unit quaternions are rejected. ``mode`` "wxyz"/"xyzw" forces a convention; "auto" keeps the declared one
    unless it leaves the root upside down while the other makes it upright (then warns and switches). Upright
    roots cannot tell x, y, z, w read as w, x, y, z (a half turn about ~z) from the truth, so with ``root_pos`` a
    clip whose root travels backwards in the declared convention and forwards in the other gets a warning.
    """
    err = np.abs(np.linalg.norm(q, axis=-1) - 1.0)
    if err.max() > QUAT_NORM_TOL:
        raise ConversionError(
            f"{what}: root quaternions are not unit-norm (|norm - 1| up to {err.max():.3g} at frame "
            f"{int(err.argmax())}); is the column layout right?"
        )
    as_wxyz = {"wxyz": q, "xyzw": xyzw_to_wxyz(q)}
    up = {k: float(up_alignment(quat_normalize(v)).mean()) for k, v in as_wxyz.items()}
    other = "xyzw" if declared == "wxyz" else "wxyz"
    if mode != "auto":
        chosen = mode
        if up[mode] < UPRIGHT and up["xyzw" if mode == "wxyz" else "wxyz"] >= UPRIGHT:
            warnings.warn(
                f"{what}: --quat {mode} gives a root that is not upright (mean up {up[mode]:.2f}); the "
                f"other convention would be upright -- check the data",
                stacklevel=2,
            )
    elif up[declared] < UPRIGHT <= up[other]:
        warnings.warn(
            f"{what}: the format declares {declared} quaternions but they give a root that is not upright "
            f"(mean up {up[declared]:.2f}) while {other} gives {up[other]:.2f}: reading them as {other}",
            stacklevel=2,
        )
        chosen = other
    else:
        chosen = declared
        if up[declared] < UPRIGHT:
            warnings.warn(
                f"{what}: root is not upright in either quaternion convention (mean up: wxyz "
                f"{up['wxyz']:.2f}, xyzw {up['xyzw']:.2f}); keeping the declared {declared}",
                stacklevel=2,
            )
    if root_pos is not None:
        alt = "xyzw" if chosen == "wxyz" else "wxyz"
        a_chosen, a_alt = travel_alignment(as_wxyz[chosen], root_pos), travel_alignment(as_wxyz[alt], root_pos)
        if a_chosen is not None and a_chosen < -0.5 and a_alt > 0.5 and up[alt] >= UPRIGHT:
            warnings.warn(
                f"{what}: read as {chosen}, the root travels backwards (alignment {a_chosen:.2f}); read as "
                f"{alt} it travels forwards ({a_alt:.2f}). If this is a forward gait, pass --quat {alt}",
                stacklevel=2,
            )
    return chosen, up[chosen]


def to_wxyz(q: np.ndarray, convention: str) -> np.ndarray:
    return quat_normalize(q if convention == "wxyz" else xyzw_to_wxyz(q))


def check_joint_names(names: Sequence[str], kin: Kinematics, what: str) -> None:
    """Joint names must be the robot's (any order); lists unknown and missing ones."""
    unknown = [n for n in names if n not in kin.joint_names]
    missing = [n for n in kin.joint_names if n not in names]
    if unknown or missing:
        raise ConversionError(f"{what}: joint names do not match {kin.path.name}: unknown {unknown}, missing {missing}")
    if list(names) != kin.joint_names:
        print(f"{what}: joint order differs from the MJCF order; the loader reorders by name")


def _decode(a: np.ndarray) -> list[str]:
    return [x.decode() if isinstance(x, bytes) else str(x) for x in np.asarray(a).tolist()]


def _need(data, keys: Sequence[str], what: str) -> None:
    missing = [k for k in keys if k not in data]
    if missing:
        raise ConversionError(f"{what}: missing key(s) {missing} (found {sorted(data.keys())})")


def convert_humanoid_amp_npz(
    path: str | Path, kin: Kinematics, *, quat: str = "auto", keep_repeated_frames: bool = False
) -> MotionClip:
    """Isaac Lab humanoid AMP npz -> MotionClip (root = body 0)."""
    what = str(path)
    with np.load(path) as d:
        keys = [
            "fps",
            "dof_names",
            "body_names",
            "dof_positions",
            "dof_velocities",
            "body_positions",
            "body_rotations",
            "body_linear_velocities",
            "body_angular_velocities",
        ]
        _need(d, keys, what)
        data = {k: np.asarray(d[k]) for k in keys}
    fps = float(data["fps"])
    joint_names, body_names = _decode(data["dof_names"]), _decode(data["body_names"])
    check_joint_names(joint_names, kin, what)
    if body_names[0] != kin.root_body_name:
        warnings.warn(
            f"{what}: body 0 is '{body_names[0]}', the robot's root body is '{kin.root_body_name}'; "
            "using body 0 as the root",
            stacklevel=2,
        )
    conv, up = choose_quat_convention(
        data["body_rotations"][:, 0].astype(float), "wxyz", quat, what, data["body_positions"][:, 0].astype(float)
    )
    print(f"{what}: quaternions read as {conv} (documented: wxyz); mean root up-alignment {up:.2f}")
    body_quat = to_wxyz(data["body_rotations"].astype(float), conv)
    stride = 1 if keep_repeated_frames else repeated_frame_stride(data["body_positions"].astype(float))
    if stride > 1:
        warnings.warn(
            f"{what}: every frame is stored {stride} times (fps={fps:g}); dropping the repeats: "
            f"{fps / stride:g} Hz, velocities recomputed by finite differences",
            stacklevel=2,
        )
    sl = slice(None, None, stride)
    clip = MotionClip(
        name=Path(path).stem,
        fps=fps / stride,
        joint_names=joint_names,
        joint_pos=data["dof_positions"][sl].astype(float),
        joint_vel=data["dof_velocities"][sl].astype(float),
        root_pos=data["body_positions"][sl, 0].astype(float),
        root_quat=body_quat[sl, 0],
        root_lin_vel=data["body_linear_velocities"][sl, 0].astype(float),
        root_ang_vel=data["body_angular_velocities"][sl, 0].astype(float),
        body_names=body_names,
        body_pos=data["body_positions"][sl].astype(float),
        body_quat=body_quat[sl],
    )
    unknown_bodies = [b for b in body_names if b not in kin.body_names]
    if unknown_bodies:
        warnings.warn(
            f"{what}: bodies not in {kin.path.name} (kept, but unusable as key bodies for FK): {unknown_bodies}",
            stacklevel=2,
        )
    return finite_difference_velocities(clip) if stride > 1 else clip


def convert_lafan_csv(path: str | Path, kin: Kinematics, *, fps: float = 30.0, quat: str = "auto") -> MotionClip:
    """LAFAN1-retargeted-to-G1 CSV -> MotionClip (velocities by finite differences)."""
    what = str(path)
    check_joint_names(G1_LAFAN_JOINT_ORDER, kin, f"{what} (G1_LAFAN_JOINT_ORDER)")
    try:
        rows = np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError as e:
        raise ConversionError(f"{what}: not a numeric CSV without header ({e})") from None
    width = 7 + len(G1_LAFAN_JOINT_ORDER)
    if rows.shape[1] != width:
        raise ConversionError(
            f"{what}: expected {width} columns (x, y, z, qx, qy, qz, qw, 29 joints), got {rows.shape[1]}"
        )
    conv, up = choose_quat_convention(rows[:, 3:7], "xyzw", quat, what, rows[:, :3])
    print(f"{what}: quaternions read as {conv} (documented: xyzw); mean root up-alignment {up:.2f}")
    t = rows.shape[0]
    clip = MotionClip(
        name=Path(path).stem,
        fps=float(fps),
        joint_names=list(G1_LAFAN_JOINT_ORDER),
        joint_pos=rows[:, 7:],
        joint_vel=np.zeros((t, len(G1_LAFAN_JOINT_ORDER))),
        root_pos=rows[:, :3],
        root_quat=to_wxyz(rows[:, 3:7], conv),
        root_lin_vel=np.zeros((t, 3)),
        root_ang_vel=np.zeros((t, 3)),
    )
    return finite_difference_velocities(clip)


def convert_mjlab_npz(
    path: str | Path,
    kin: Kinematics,
    *,
    joint_names: Sequence[str] | None = None,
    body_names: Sequence[str] | None = None,
    quat: str = "auto",
) -> MotionClip:
    """mjlab / BeyondMimic npz -> MotionClip (root = body 0; joint names default to the MJCF order)."""
    what = str(path)
    with np.load(path) as d:
        keys = ["fps", "joint_pos", "joint_vel", "body_pos_w", "body_quat_w", "body_lin_vel_w", "body_ang_vel_w"]
        _need(d, keys, what)
        data = {k: np.asarray(d[k]) for k in keys}
    fps = float(np.asarray(data["fps"]).reshape(-1)[0])
    names = list(joint_names) if joint_names is not None else list(kin.joint_names)
    if len(names) != data["joint_pos"].shape[1]:
        raise ConversionError(
            f"{what}: {data['joint_pos'].shape[1]} joint columns but {len(names)} joint names "
            f"({'--joint-names' if joint_names is not None else kin.path.name + ' order'})"
        )
    check_joint_names(names, kin, what)
    conv, up = choose_quat_convention(
        data["body_quat_w"][:, 0].astype(float), "wxyz", quat, what, data["body_pos_w"][:, 0].astype(float)
    )
    print(f"{what}: quaternions read as {conv} (documented: wxyz); mean root up-alignment {up:.2f}")
    body_quat = to_wxyz(data["body_quat_w"].astype(float), conv)
    clip = MotionClip(
        name=Path(path).stem,
        fps=fps,
        joint_names=names,
        joint_pos=data["joint_pos"].astype(float),
        joint_vel=data["joint_vel"].astype(float),
        root_pos=data["body_pos_w"][:, 0].astype(float),
        root_quat=body_quat[:, 0],
        root_lin_vel=data["body_lin_vel_w"][:, 0].astype(float),
        root_ang_vel=data["body_ang_vel_w"][:, 0].astype(float),
    )
    if body_names is not None:
        if len(body_names) != data["body_pos_w"].shape[1]:
            raise ConversionError(f"{what}: {data['body_pos_w'].shape[1]} bodies but {len(body_names)} --body-names")
        clip.body_names = list(body_names)
        clip.body_pos = data["body_pos_w"].astype(float)
        clip.body_quat = body_quat
    return clip


def _names(csv: str | None) -> list[str] | None:
    return [x.strip() for x in csv.split(",")] if csv else None


def _convert_all(args: argparse.Namespace, kin: Kinematics) -> list[MotionClip]:
    """Convert every input file of the command line into a clip with the command line's metadata."""
    clips = []
    for i, path in enumerate(args.inputs):
        if args.format == "humanoid-amp-npz":
            clip = convert_humanoid_amp_npz(path, kin, quat=args.quat, keep_repeated_frames=args.keep_repeated_frames)
        elif args.format == "lafan-csv":
            clip = convert_lafan_csv(path, kin, fps=args.fps, quat=args.quat)
        else:
            clip = convert_mjlab_npz(
                path, kin, joint_names=_names(args.joint_names), body_names=_names(args.body_names), quat=args.quat
            )
        if args.clip:
            clip.name = args.clip[i]
        clip.cyclic = args.cyclic
        clip.source = args.source or str(Path(path).resolve())
        clip.licence = args.licence
        clip.how_made = args.how_made or f"converted by scripts/convert_motion.py {args.format}"
        if args.clamp_limits:
            cols = kin.joint_columns(clip.joint_names)
            lo, hi = kin.joint_limits[cols, 0], kin.joint_limits[cols, 1]
            n_out = int(((clip.joint_pos < lo) | (clip.joint_pos > hi)).sum())
            if n_out:
                warnings.warn(f"{path}: clamping {n_out} joint values into their limits", stacklevel=1)
            clip.joint_pos = np.clip(clip.joint_pos, lo, hi)
        clips.append(clip)
    return clips


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("format", choices=["humanoid-amp-npz", "lafan-csv", "mjlab-npz"])
    p.add_argument("inputs", nargs="+")
    p.add_argument("--out", required=True)
    p.add_argument("--robot", default="g1", help="robot name (g1, go2) or MJCF path for joint names and limits")
    p.add_argument("--robot-name", default=None, help="the file's robot attribute (default: --robot)")
    p.add_argument("--clip", action="append", default=None, help="clip name per input (default: file stem)")
    p.add_argument("--quat", choices=["auto", "wxyz", "xyzw"], default="auto")
    p.add_argument("--fps", type=float, default=30.0, help="lafan-csv frame rate")
    p.add_argument("--joint-names", default=None, help="mjlab-npz: comma-separated joint names of the columns")
    p.add_argument("--body-names", default=None, help="mjlab-npz: comma-separated body names of body_pos_w")
    p.add_argument("--keep-repeated-frames", action="store_true")
    p.add_argument("--cyclic", action="store_true", help="mark the clips as loops (last frame wraps to the first)")
    p.add_argument("--source", default=None, help="where the data came from (default: the input path)")
    p.add_argument("--licence", default="unknown (set --licence)")
    p.add_argument("--how-made", default=None)
    p.add_argument("--limit-tol", type=float, default=0.02, help="allowed joint-limit excursion (rad)")
    p.add_argument("--clamp-limits", action="store_true", help="clamp joints into their limits (warns)")
    p.add_argument(
        "--skip-check", action="append", default=[], help="physical check to skip (motion.checks.CHECKS), repeatable"
    )
    args = p.parse_args(argv)

    kin = Kinematics(args.robot)
    try:
        clips = _convert_all(args, kin)
    except (ConversionError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    robot_name = args.robot_name or (args.robot if args.robot in ("g1", "go2") else Path(args.robot).stem)
    limits = {n: tuple(kin.joint_limits[i]) for i, n in enumerate(kin.joint_names)}
    feet = ROBOTS[robot_name].feet if robot_name in ROBOTS else ()
    # write next to the target and validate there: a clip that fails never replaces an existing file
    staged = f"{args.out}.staged.h5"
    save_motion_file(staged, robot_name, clips)
    try:
        loaded = load_motion_file(
            staged,
            kin.joint_names,
            limits,
            limit_tol=args.limit_tol,
            kinematics=kin,
            feet=feet,
            skip_checks=args.skip_check,
        )
    except (MotionFileError, ValueError) as e:
        os.remove(staged)
        problem = str(e).replace(staged, args.out)
        print(f"error: the converted clips do not validate ({args.out} not written): {problem}", file=sys.stderr)
        return 1
    os.replace(staged, args.out)
    for c in loaded:
        print(
            f"{args.out} [{c.name}]: {c.num_frames} frames at {c.fps:g} fps ({c.duration:.2f} s), "
            f"{len(c.joint_names)} joints, bodies: {c.body_names or 'none (FK)'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
