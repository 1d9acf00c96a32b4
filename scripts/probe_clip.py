"""Can a discriminator tell a policy from the clips recorded from it? Run before imitating recorded clips.

    python scripts/probe_clip.py --task TRIRL-Go2-Walk --checkpoint docs/twin/go2_expert_gait_limits/model_700.pt \\
        --motion_files docs/twin/go2_expert_gait_limits/recorded_model_700_simvel.h5

Trains the task's own discriminator (MuJoCo twin, CPU) on the policy's rollouts against (a) the clips, (b) a second
rollout of the same policy (the chance-level floor), (c) the clips with velocity features left out, and prints the
held-out accuracy of each. (a) well above (b) means the clips hold something the simulator never produces and every
adversarial imitation run on them will saturate its discriminator. See trirl_isaac.twin.probe.
"""

from __future__ import annotations

import argparse
import json
import os


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", default="TRIRL-Go2-Walk")
    p.add_argument("--checkpoint", required=True, help="the policy the clips were recorded from")
    p.add_argument("--motion_files", nargs="+", required=True)
    p.add_argument("--mode", default="expert", choices=("expert", "trirl", "retrain"), help="kind of checkpoint")
    p.add_argument("--num_envs", type=int, default=64)
    p.add_argument("--steps", type=int, default=250, help="control steps per rollout")
    p.add_argument("--skip", type=int, default=100, help="initial steps left out (start-up transient)")
    p.add_argument("--fits", type=int, default=20, help="discriminator fits (one rollout batch each)")
    p.add_argument("--batch", type=int, default=6144, help="policy rows per fit (the task's rollout size)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the report as JSON to this new file")
    args = p.parse_args()
    if args.out and os.path.exists(args.out):
        raise SystemExit(f"--out {args.out} exists (nothing is overwritten)")
    import torch

    from trirl_isaac.twin.probe import probe

    torch.set_num_threads(1)
    report = probe(args.task, args.checkpoint, args.motion_files, args.mode, args.num_envs, args.steps,
                   args.skip, args.fits, args.batch, seed=args.seed)  # fmt: skip
    for key, value in report.items():
        if isinstance(value, dict) and "accuracy" in value:
            logits = f"policy {value['logit_policy']:+.2f}, expert {value['logit_expert']:+.2f}"
            print(f"{key:>48s}: held-out accuracy {value['accuracy']:.3f} (logits: {logits})")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
