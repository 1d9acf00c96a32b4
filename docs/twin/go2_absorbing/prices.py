"""What frozen Go2 rewards pay per step: expert rows, standing, random actions and the absorbing state (a fall).

    python docs/twin/go2_absorbing/prices.py avg=docs/twin/go2_trirl_average/reward_average_250.pt \\
        final=docs/twin/go2_trirl_k2/reward.pt

The measurement behind this folder's README (64 twin envs, 150 steps of zero actions and of Gaussian actions with
std 0.5, 4,096 expert rows; a tail is r / (1 - gamma) with gamma 0.99). It reads the twin's private feature state,
so it is a record of what was measured, not a tool of the package.
"""

from __future__ import annotations

import sys

import torch

from trirl_isaac.algo.reward import LearnedReward
from trirl_isaac.twin import TwinEnv


def rollout(env: TwinEnv, policy, steps: int = 150) -> tuple[torch.Tensor, torch.Tensor]:
    """(s, s') discriminator rows of ``steps`` steps of every env and their absorbing flags."""
    obs, rows, absorbing = env.get_observations(), [], []
    for _ in range(steps):
        s = env._disc.clone()
        obs, _, done, extras = env.step(policy(obs))
        s_next = torch.where(done.bool().unsqueeze(-1), extras["final_obs"]["discriminator"], obs["discriminator"])
        rows.append(torch.cat([s, s_next], -1))
        absorbing.append(extras["absorbing"])
    return torch.cat(rows), torch.cat(absorbing)


def main() -> None:
    torch.set_num_threads(1)
    rewards = {name: LearnedReward.load(path) for name, path in (a.split("=", 1) for a in sys.argv[1:])}
    env = TwinEnv("TRIRL-Go2-Walk", 64, seed=0)
    expert = env.expert_sampler.sample(4096)
    gen = torch.Generator().manual_seed(0)
    stand, stand_abs = rollout(env, lambda obs: torch.zeros(64, env.num_actions))
    noise, noise_abs = rollout(env, lambda obs: 0.5 * torch.randn(64, env.num_actions, generator=gen))
    absorbing = env._absorbing_features(1)
    absorbing_row = torch.cat([absorbing, absorbing], -1)
    print(f"falls: standing {int(stand_abs.sum())}, random {int(noise_abs.sum())} of {len(stand_abs)} steps")
    for name, r in rewards.items():
        with torch.no_grad():
            e, s, n, a = r(expert), r(stand[~stand_abs]), r(noise[~noise_abs]), r(absorbing_row).item()
        print(f"{name}: expert {e.mean():+.3f}  standing {s.mean():+.3f}  random {n.mean():+.3f}  r_abs {a:+.3f}  "
              f"fall tail {a / 0.01:+.1f}  standing forever {s.mean() / 0.01:+.1f}  expert {e.mean() / 0.01:+.1f}"
              f"  | lowest: standing {s.min():+.3f}, random {n.min():+.3f}, expert {e.min():+.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
