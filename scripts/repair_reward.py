"""Fold into a learned reward a discriminator fitted against what its re-optimisation found (a second optimum).

    python scripts/repair_reward.py --task TRIRL-Go2-Walk --reward docs/twin/go2_trirl_transfer_base/reward.pt \\
        --policy retrain docs/twin/go2_payload_transfer/retrain_init_p4_model_400_actor.pt --dynamics payload_kg=4 \\
        --out logs/repaired_reward.pt

Plays the policy in the MuJoCo twin (on --dynamics), fits a fresh discriminator of the reward's architecture between
its transitions and the clip's features (the task's discriminator settings), and writes r' = (1 - step) r + step f(D) to
--out (a new file; f the reward's fold term: softplus on the robots) with a JSON report beside it, fall transitions
included among the negatives. Re-optimise the result with train_twin.py --mode retrain. See
trirl_isaac.twin.repair.
"""

from __future__ import annotations

import argparse
import json
import os


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", default="TRIRL-Go2-Walk")
    p.add_argument("--reward", required=True, help="the learned reward file to repair")
    p.add_argument("--policy", nargs=2, required=True, metavar=("MODE", "CHECKPOINT"), help="what it re-optimised to")
    p.add_argument("--out", required=True, help="the repaired reward (a new file; its report: <out>.json)")
    p.add_argument("--step", type=float, default=0.3, help="the fold's step for the new discriminator")
    p.add_argument("--passes", type=int, default=20, help="calls of the task's discriminator fit on the rows")
    p.add_argument("--num_envs", type=int, default=64)
    p.add_argument("--steps", type=int, default=300, help="policy steps per env (the first --skip are dropped)")
    p.add_argument("--skip", type=int, default=50)
    p.add_argument("--absorbing_share", type=float, default=0.02, help="fall rows added to the negatives (share)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--motion_files", nargs="+", default=None)
    p.add_argument("--dynamics", nargs="+", default=[], metavar="KEY=VALUE",
                   help="play on changed dynamics, e.g. payload_kg=4 (twin.model.Dynamics)")  # fmt: skip
    args = p.parse_args()
    for path in (args.out, f"{args.out}.json"):
        if os.path.exists(path):
            raise SystemExit(f"{path} exists (nothing is overwritten)")
    import torch

    from trirl_isaac.twin.model import Dynamics
    from trirl_isaac.twin.repair import repair_reward

    torch.set_num_threads(1)
    report = repair_reward(args.task, args.reward, tuple(args.policy), args.out, args.step, args.passes,
                           args.num_envs, args.steps, args.skip, args.absorbing_share, args.seed, args.motion_files,
                           Dynamics.from_cli(args.dynamics))  # fmt: skip
    with open(f"{args.out}.json", "x") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
