"""Write a smaller copy of a learned-reward file: the oldest snapshots whose fold weights sum to at most
--max_dropped_weight are dropped (the reward changes by at most that weight x max |f(D)|).

    python scripts/compact_reward.py logs/twin/<run>/reward_150.pt docs/twin/<run>/reward.pt --max_dropped_weight 1e-6

A 100-snapshot chain trained with PPO's step (eps_tr = eps) keeps ~25 snapshots: 4x smaller and faster to evaluate.
The output must not exist yet (nothing saved is overwritten).
"""

from __future__ import annotations

import argparse


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--max_dropped_weight", type=float, default=1e-6)
    args = p.parse_args()
    from trirl_isaac.algo.reward import compact_reward_file

    kept, dropped, weight = compact_reward_file(args.src, args.dst, args.max_dropped_weight)
    print(f"{args.dst}: kept {kept} snapshots, dropped {dropped} (their fold weight {weight:.3g})")


if __name__ == "__main__":
    main()
