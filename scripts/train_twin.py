"""Train in the native-MuJoCo twin of a TRIRL task (CPU-fast): TRIRL, plain PPO on a learned reward, or the expert.

    python scripts/train_twin.py --task TRIRL-Go2-Walk --mode expert --iterations 1500 --num_envs 64
    python scripts/train_twin.py --task TRIRL-Go2-Walk --iterations 1500            # TRIRL on the task's clip
    python scripts/train_twin.py --task TRIRL-Go2-Walk --mode retrain --reward logs/twin/.../reward.pt
    python scripts/train_twin.py --task TRIRL-Go2-Walk --mode retrain --reward_sequence logs/twin/<trirl run>
    python scripts/train_twin.py --task TRIRL-Go2-Walk --mode retrain --reward logs/twin/.../reward.pt \
        --init_actor logs/twin/.../model_250.pt --dynamics payload_kg=3 motor_strength=0.8   # new dynamics

Agents are the Isaac Lab tasks' own settings; see trirl_isaac.twin.train. Writes checkpoints, reward.pt (TRIRL) and
summary.json (gait every --eval_every iterations: survival, forward speed and duty factors against the clip's) to
--log_dir (default logs/twin/<task>/<mode>_<time>; never an existing folder). A run from --init_actor or --resume is
evaluated before it trains as well; with --iterations 0 that is all it does (a policy as it is, e.g. on new dynamics).
"""

from __future__ import annotations

import argparse
import os
import time

from trirl_isaac.twin.expert import EXPERT_REWARDS
from trirl_isaac.twin.train import MODES, train


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", default="TRIRL-Go2-Walk")
    p.add_argument("--mode", default="trirl", choices=MODES)
    p.add_argument("--iterations", type=int, default=100)
    p.add_argument("--num_envs", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reward", default=None, help="learned reward file (--mode retrain)")
    p.add_argument("--eval_every", type=int, default=50)
    p.add_argument("--eval_envs", type=int, default=16)
    p.add_argument("--resume", default=None, help="checkpoint to continue from")
    p.add_argument("--max_minutes", type=float, default=None, help="stop at the first evaluation past this wall time")
    p.add_argument("--log_dir", default=None)
    p.add_argument("--expert_reward", default="gait", choices=sorted(EXPERT_REWARDS), help="--mode expert's reward")
    p.add_argument("--motion_files", nargs="+", default=None, help="clips to imitate instead of the task's")
    p.add_argument(
        "--trirl",
        nargs="+",
        default=None,
        metavar="KEY=VALUE",
        help="trirl_cfg overrides (mode trirl), e.g. discriminator.grad_penalty=10 chain_length=0",
    )
    p.add_argument(
        "--algorithm",
        nargs="+",
        default=None,
        metavar="KEY=VALUE",
        help="the algorithm's own (PPO) settings, any mode, e.g. use_clipped_value_loss=false",
    )
    p.add_argument(
        "--dynamics",
        nargs="+",
        default=None,
        metavar="KEY=VALUE",
        help="changed dynamics, e.g. payload_kg=3 motor_strength=0.8 friction=0.5 (trirl_isaac.twin.model.Dynamics)",
    )
    p.add_argument(
        "--init_actor",
        default=None,
        help="--mode retrain / expert: start the policy from this twin checkpoint's actor (a checkpoint of any mode)",
    )
    p.add_argument(
        "--default_pose_share",
        type=float,
        default=None,
        help="share of training episodes that start in the default pose instead of a clip frame (learned-reward "
        "modes; default: the task's)",
    )
    p.add_argument(
        "--reward_sequence",
        default=None,
        metavar="RUN_DIR",
        help="--mode retrain, instead of --reward: re-optimise a TRIRL run's saved rewards (reward_<it>.pt) in order, "
        "each from the iteration it paid the run's policy, the last one from then on",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads for torch and for the twin's physics (envs stepped in blocks; the same result as one)",
    )
    args = p.parse_args()
    if args.threads < 1:
        p.error(f"--threads must be >= 1, got {args.threads}")
    from trirl_isaac.twin.model import Dynamics

    dynamics = Dynamics.from_cli(args.dynamics)
    import torch

    torch.set_num_threads(args.threads)
    log_dir = args.log_dir or os.path.join(
        "logs", "twin", args.task, f"{args.mode}_{time.strftime('%Y-%m-%d_%H-%M-%S')}"
    )
    if os.path.exists(log_dir) and os.listdir(log_dir):
        raise SystemExit(f"--log_dir {log_dir} exists and is not empty: choose a new folder (nothing is overwritten)")
    train(
        args.task,
        args.mode,
        args.iterations,
        args.num_envs,
        args.seed,
        log_dir,
        args.reward,
        args.eval_every,
        args.eval_envs,
        args.resume,
        args.max_minutes,
        args.expert_reward,
        args.motion_files,
        args.trirl,
        args.algorithm,
        dynamics,
        args.init_actor,
        args.default_pose_share,
        args.reward_sequence,
        args.threads,
    )


if __name__ == "__main__":
    main()
