"""sim2sim: run an exported policy in the native-MuJoCo twin of its task, using only policy.json and the MJCF.

    python scripts/sim2sim.py logs/rsl_rl/trirl_go2_walk/<run>/exported [--num_envs 16] [--steps 500]
    python scripts/sim2sim.py <exported> --dynamics payload_kg=3 motor_strength=0.8   # on a changed robot

No Isaac Lab import. Reports survival, forward speed against the clip's and per-foot duty factors; writes, next to
the policy (new files only), sim2sim_<time>.h5 (env 0 as a clip in our HDF5 schema), sim2sim_<time>.mp4 (MuJoCo's
offscreen renderer; the stick-figure .gif where no GL context exists, saying why) and sim2sim_<time>.json.
A missing or inconsistent policy.json field is a named error before the first step. See trirl_isaac.twin.sim2sim.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("MUJOCO_GL", "egl")  # offscreen rendering without a display


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("exported", help="folder holding policy.onnx and policy.json (play.py's exported/)")
    p.add_argument("--num_envs", type=int, default=16)
    p.add_argument("--steps", type=int, default=None, help="policy steps (default: one full episode)")
    p.add_argument("--video", default="auto", choices=("auto", "on", "off"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dynamics", nargs="+", default=None, metavar="KEY=VALUE",
                   help="run on changed dynamics, e.g. payload_kg=3 motor_strength=0.8 friction=0.5")  # fmt: skip
    args = p.parse_args()
    from trirl_isaac.twin.model import Dynamics
    from trirl_isaac.twin.sim2sim import PolicyMetadataError, sim2sim

    dynamics = Dynamics.from_cli(args.dynamics)
    try:
        result = sim2sim(args.exported, args.num_envs, args.steps, args.video, args.seed, dynamics)
    except PolicyMetadataError as err:
        raise SystemExit(f"sim2sim: {err}") from None
    result["isaaclab_imported"] = any(m == "isaaclab" or m.startswith("isaaclab.") for m in sys.modules)
    print(json.dumps({k: v for k, v in result.items() if k != "duty_factor"} | {"duty_factor": result["duty_factor"]}))


if __name__ == "__main__":
    main()
