"""Regenerate the shipped expert clips in data/motions/ (deterministic; about ten seconds on one CPU core).

    python scripts/make_clips.py [--out data/motions] [--source-dir DIR]

* ``g1_walk.h5``, ``g1_run.h5``: the real mocap walk and run clips shipped in the isaaclab 3.0.0 wheel
  (``isaaclab_tasks/contrib/humanoid_amp/motions/humanoid_{walk,run}.npz``, AMP humanoid skeleton) retargeted onto
  the Unitree G1 29-DoF by kinematic IK (``trirl_isaac.motion.retarget``), made cyclic and put on the ground.
* ``go2_trot_procedural.h5``: a procedural trot at 1.0 m/s for the Go2 (leg IK, feet fixed in the world during
  stance); the Go2 task's clip was this until 2026-12-06 and is now ``go2_walk.h5``, recorded from the Go2 velocity
  expert in the MuJoCo twin (``scripts/record_expert.py``, see data/motions/README.md), which this script does
  not write.

Every number of the generation is in the configs below; the quality numbers are stored in each clip's attributes
and printed as a markdown table (copy it into data/motions/README.md when they change).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trirl_isaac.motion.kinematics import ROBOTS, Kinematics
from trirl_isaac.motion.retarget import (
    AMP_HUMANOID_TO_G1,
    RetargetConfig,
    TrotConfig,
    load_humanoid_amp_npz,
    procedural_trot,
    repeated_frame_stride,
    retarget,
)
from trirl_isaac.motion.schema import load_motion_file, save_motion_file

REPO = Path(__file__).resolve().parents[1]
WHEEL_MOTIONS = "isaaclab_tasks/contrib/humanoid_amp/motions"
LICENCE_ISAACLAB = (
    "BSD-3-Clause. Derived from a motion clip distributed in the isaaclab 3.0.0 wheel (METADATA: License: "
    "BSD-3-Clause; the code files beside the clips carry SPDX-License-Identifier: BSD-3-Clause, Copyright (c) "
    "2022-2026 The Isaac Lab Project Developers; the npz files carry no notice of their own). The wheel does not "
    "name the upstream motion-capture source of the clip."
)


@dataclass
class RetargetJob:
    """One mocap clip to retarget onto the G1."""

    out: str
    clip: str
    source_file: str
    cfg: RetargetConfig
    cycle_min_frac: float  # the cyclic window covers at least this fraction of the source clip
    note: str = ""  # clip-specific settings, appended to how_made


G1_JOBS = (
    # The walk's source knee snaps from 0 to 29 deg in one frame at toe-off (a mocap artefact): low-pass it.
    RetargetJob(
        "g1_walk.h5",
        "walk",
        "humanoid_walk.npz",
        RetargetConfig(source_smooth_frames=1.0),
        0.5,
        "source positions low-passed (Gaussian, 1 frame) against a knee snap at toe-off",
    ),
    # The run's stance lasts 3-4 frames at 30 Hz: lock the feet one frame longer at each end.
    RetargetJob(
        "g1_run.h5",
        "run",
        "humanoid_run.npz",
        RetargetConfig(contact_extend_frames=1),
        0.5,
        "stance (foot lock) runs extended by one frame at each end",
    ),
)
GO2_TROT = TrotConfig(speed=1.0, base_height=0.30, period=0.5, duty=0.5, swing_height=0.08, fps=100.0, cycles=1)
# Robot key points compared with the scaled source skeleton for the key-point error (source body, robot body).
G1_KEYPOINTS = tuple(
    (f"{s}_{a}", f"{s}_{b}")
    for s in ("left", "right")
    for a, b in (
        ("shin", "knee_link"),
        ("foot", "ankle_roll_link"),
        ("upper_arm", "shoulder_roll_link"),
        ("lower_arm", "elbow_link"),
        ("hand", "wrist_roll_link"),
    )
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheel_motions_dir() -> Path:
    spec = importlib.util.find_spec("isaaclab_tasks")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("isaaclab_tasks is not installed; pass --source-dir with humanoid_{walk,run}.npz")
    return Path(next(iter(spec.submodule_search_locations))).parent / WHEEL_MOTIONS


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(REPO / "data" / "motions"))
    p.add_argument("--source-dir", default=None, help="folder with humanoid_{walk,run}.npz (default: the wheel's)")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    src_dir = Path(args.source_dir) if args.source_dir else wheel_motions_dir()
    try:
        isaaclab_version = importlib.metadata.version("isaaclab")
    except importlib.metadata.PackageNotFoundError:
        isaaclab_version = "unknown"

    rows = []
    g1 = Kinematics("g1")
    for job in G1_JOBS:
        path = src_dir / job.source_file
        src = load_humanoid_amp_npz(str(path))
        with np.load(path) as raw:
            stride = repeated_frame_stride(np.asarray(raw["body_positions"], dtype=float))
            raw_fps, raw_frames = float(raw["fps"]), int(raw["body_positions"].shape[0])
        res = retarget(
            g1,
            src,
            AMP_HUMANOID_TO_G1,
            job.cfg,
            name=job.clip,
            key_bodies=ROBOTS["g1"].key_bodies,
            keypoint_pairs=G1_KEYPOINTS,
            cyclic=True,
            cycle_min_frac=job.cycle_min_frac,
        )
        a, b = res.window
        res.clip.source = (
            f"isaaclab=={isaaclab_version} wheel: {WHEEL_MOTIONS}/{job.source_file} (sha256 {sha256(path)}); "
            f"{raw_frames} frames at fps={raw_fps:g} where every frame is stored twice, i.e. {src.body_pos.shape[0]} "
            f"distinct poses at {src.fps:g} Hz (duplicates dropped: stride {stride}); this clip uses distinct "
            f"poses [{a}, {b}) (the pose after the last is pose {a} again)"
        )
        res.clip.licence = LICENCE_ISAACLAB
        res.clip.how_made = (
            "kinematic retarget (trirl_isaac.motion.retarget, scripts/make_clips.py) of the AMP humanoid's body "
            "poses onto data/robots/g1/g1.xml: per-frame damped least-squares IK on root pose + 29 joints (limits "
            "enforced) matching limb directions at G1 segment lengths, hip centre = source pelvis x leg-length "
            f"ratio {res.quality['scale']:.4f}, pelvis/torso/foot orientations (foot tilt x0.3), wrist posture "
            "prior, smoothness to the previous frame; second pass locks each foot in the world during source "
            "stance (hip height from the grounded first pass) and keeps swing feet above a speed-dependent "
            "clearance; cyclic window with the end mismatch crossfaded; root shifted so the lower foot in contact "
            f"touches z=0; velocities by central finite differences; {job.note}"
        )
        save_motion_file(out / job.out, "g1", [res.clip])
        rows.append((job.out, res.clip, res.quality))

    go2 = Kinematics("go2")
    res = procedural_trot(go2, GO2_TROT, "trot", ROBOTS["go2"].key_bodies)
    c = GO2_TROT
    res.clip.source = (
        f"procedural, generated by scripts/make_clips.py (trirl_isaac.motion.retarget.procedural_trot): base "
        f"straight and level at {c.speed} m/s, height {c.base_height} m; diagonal pairs FL+RR / FR+RL, period "
        f"{c.period} s, duty {c.duty}, swing apex {c.swing_height} m (vertical lift-off and touchdown over "
        f"{c.swing_lift_frac} of the swing, min-jerk forward motion); feet fixed in the world during stance; joints "
        "by damped least-squares IK on data/robots/go2/go2.xml; velocities by central finite differences"
    )
    res.clip.licence = "BSD-3-Clause (generated by this project)"
    res.clip.how_made = "procedural trot (leg IK)"
    save_motion_file(out / "go2_trot_procedural.h5", "go2", [res.clip])
    rows.append(("go2_trot_procedural.h5", res.clip, res.quality))

    # Validate what was written, as a user would load it.
    for name, _, _ in rows:
        robot = "go2" if name.startswith("go2") else "g1"
        kin = go2 if robot == "go2" else g1
        lim = {n: tuple(kin.joint_limits[i]) for i, n in enumerate(kin.joint_names)}
        load_motion_file(out / name, kin.joint_names, lim, robot=robot, control_dt=0.02, limit_tol=0.0)

    keys = [
        "keypoint_err_mean_m",
        "keypoint_err_max_m",
        "segment_dir_err_mean_deg",
        "foot_skate_mps",
        "min_foot_height_m",
        "contact_fraction",
    ]
    print("| file | clip | frames | fps | duration (s) | speed (m/s) | " + " | ".join(keys) + " |")
    print("|" + "---|" * (6 + len(keys)))
    for name, clip, q in rows:
        speed = np.linalg.norm(np.diff(clip.root_pos[:, :2], axis=0), axis=-1).mean() * clip.fps
        vals = " | ".join(f"{q[k]:.4f}" if k in q else "-" for k in keys)
        head = f"| {name} | {clip.name} | {clip.num_frames} | {clip.fps:g} | {clip.duration:.3f} | {speed:.2f}"
        print(f"{head} | {vals} |")


if __name__ == "__main__":
    main()
