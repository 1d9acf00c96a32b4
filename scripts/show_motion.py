"""Render a contact sheet of a motion clip: stick figures (side and top views) and foot heights, via MuJoCo FK.

    python scripts/show_motion.py data/motions/g1_walk.h5 [--clip NAME] [--frames 8] [--mjcf PATH] --out sheet.png
    python scripts/show_motion.py data/motions/g1_walk.h5 --play        # loop it in MuJoCo's viewer (display)

The robot model is the file's ``robot`` attribute (see ``trirl_isaac.motion.kinematics.ROBOTS``) unless
``--mjcf`` is given. Left limbs are blue, right limbs red; feet in contact (sole < 2 cm) are marked.
"""

from __future__ import annotations

import argparse

from trirl_isaac.motion.render import render_contact_sheet


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file")
    p.add_argument("--clip", default=None, help="clip name (default: the first clip)")
    p.add_argument("--frames", type=int, default=8, help="frames shown one by one")
    p.add_argument("--mjcf", default=None, help="robot model (default: from the file's robot attribute)")
    p.add_argument("--out", help="PNG contact sheet to write")
    p.add_argument("--play", action="store_true", help="play the clip in MuJoCo's viewer (needs a display)")
    args = p.parse_args()
    if not args.out and not args.play:
        p.error("give --out sheet.png and/or --play")
    if args.out:
        print(f"wrote {render_contact_sheet(args.file, args.out, args.clip, args.frames, args.mjcf)}")
    if args.play:
        play(args.file, args.clip, args.mjcf)


def play(path: str, clip_name: str | None, mjcf: str | None) -> None:
    """Loop the clip kinematically (root and joints set per frame) in MuJoCo's passive viewer until it is closed."""
    import os
    import time

    import mujoco
    import mujoco.viewer

    from trirl_isaac.motion.kinematics import Kinematics, resolve_mjcf
    from trirl_isaac.motion.schema import load_motion_file, read_file_robot

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise SystemExit("--play needs a display (DISPLAY is not set); use --out for a contact sheet")
    kin = Kinematics(resolve_mjcf(mjcf or read_file_robot(path)))
    clip = load_motion_file(path, None, clips=[clip_name] if clip_name else None)[0]
    qpos = kin.qpos(clip.root_pos, clip.root_quat, clip.joint_pos, clip.joint_names)
    with mujoco.viewer.launch_passive(kin.model, kin.data) as viewer:
        while viewer.is_running():
            for q in qpos:
                kin.data.qpos[:] = q
                mujoco.mj_forward(kin.model, kin.data)
                viewer.sync()
                time.sleep(1.0 / clip.fps)
                if not viewer.is_running():
                    break


if __name__ == "__main__":
    main()
