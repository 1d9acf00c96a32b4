"""What do learned rewards pay between standing and walking? A landscape check for a policy stuck standing.

    python scripts/probe_reward.py --task TRIRL-Go2-Walk \\
        --reward trirl=logs/twin/<run>/reward.pt gail=docs/twin/go2_gail/reward.pt \\
        --walker expert docs/twin/go2_expert_gait_limits/model_700.pt --stander trirl logs/twin/<run>/model_175.pt \\
        --motion_files docs/twin/go2_expert_gait_limits/recorded_model_700_simvel.h5

Rolls out a = alpha * walker + (1 - alpha) * stander in the MuJoCo twin for alpha from 0 to 1 and prints, per
reward, the reward per lived step and the discounted first-episode return (falls priced as in retraining). See
trirl_isaac.twin.probe.reward_along_path.
"""

from __future__ import annotations

import argparse
import json
import os


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", default="TRIRL-Go2-Walk")
    p.add_argument("--reward", nargs="+", required=True, metavar="LABEL=FILE", help="learned rewards to compare")
    p.add_argument("--walker", nargs=2, required=True, metavar=("MODE", "CHECKPOINT"))
    p.add_argument("--stander", nargs=2, required=True, metavar=("MODE", "CHECKPOINT"))
    p.add_argument("--motion_files", nargs="+", default=None)
    p.add_argument("--alphas", nargs="+", type=float, default=[0.0, 0.25, 0.5, 0.75, 1.0])
    p.add_argument("--num_envs", type=int, default=32)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--noise_std", type=float, default=0.0, help="Gaussian action noise added to the played policy")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the report as JSON to this new file")
    p.add_argument("--dynamics", nargs="+", default=[], metavar="KEY=VALUE",
                   help="roll out on changed dynamics, e.g. payload_kg=4 (twin.model.Dynamics)")  # fmt: skip
    args = p.parse_args()
    if args.out and os.path.exists(args.out):
        raise SystemExit(f"--out {args.out} exists (nothing is overwritten)")
    from trirl_isaac.cli import labelled_files

    rewards = labelled_files(args.reward, "--reward", "reward")
    import torch

    from trirl_isaac.twin.model import Dynamics
    from trirl_isaac.twin.probe import reward_along_path

    dynamics = Dynamics.from_cli(args.dynamics)

    torch.set_num_threads(1)
    report = reward_along_path(args.task, rewards, tuple(args.walker), tuple(args.stander), args.motion_files,
                               tuple(args.alphas), args.num_envs, args.steps, seed=args.seed,
                               noise_std=args.noise_std, dynamics=dynamics)  # fmt: skip

    def cell(name: str, r: dict) -> str:
        part = r.get("approximator_per_lived_step")
        split = f" (approximator {part:+.3f})" if part is not None else ""
        return f"{name}: {r['reward_per_lived_step']:+.3f}/step{split}, return {r['first_episode_return']:+.1f}"

    for point in report["path"]:
        cells = "  ".join(cell(n, point[n]) for n in rewards)
        print(f"alpha {point['alpha']:.2f}  speed {point['forward_speed']:+.2f} m/s  falls/1k "
              f"{point['falls_per_1000_steps']:5.1f}  {cells}", flush=True)  # fmt: skip
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
