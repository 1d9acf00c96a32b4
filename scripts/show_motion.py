"""Render a contact sheet of a motion clip: stick figures (side and top views) and foot heights, via MuJoCo FK.

    python scripts/show_motion.py data/motions/g1_walk.h5 [--clip NAME] [--frames 8] [--mjcf PATH] --out sheet.png

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
    p.add_argument("--out", required=True)
    args = p.parse_args()
    print(f"wrote {render_contact_sheet(args.file, args.out, args.clip, args.frames, args.mjcf)}")


if __name__ == "__main__":
    main()
