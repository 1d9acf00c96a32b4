"""One rank of a multi-process TRIRL run on the point mass (launched by test_distributed.py with torchrun's env vars).

WORLD_SIZE=2 RANK=0 LOCAL_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=29512 python tests/distributed_worker.py OUT
"""

import os
import sys

import torch

from trirl_isaac.algo.runner import TrirlRunner
from trirl_isaac.envs.point_mass import PointMassCfg, PointMassEnv
from trirl_isaac.envs.train_point_mass import make_agent_cfg


def main(out: str) -> None:
    rank = int(os.environ.get("RANK", "0"))
    torch.set_num_threads(1)
    torch.manual_seed(100 + rank)  # every rank its own rollouts and expert batches
    cfg = make_agent_cfg(
        chain_length=2,
        trust_region={"mean_bound": 1e-4, "cov_bound": 1e-4},  # binding: eta > 0 and different per rank
        discriminator={"hidden_dims": [16], "num_epochs": 2, "num_mini_batches": 2},
        approximator={"enabled": True, "hidden_dims": [16], "num_steps": 5, "batch_size": 64, "evict_chunk": 1},
    )
    cfg["num_steps_per_env"] = 10
    cfg["algorithm"]["num_learning_epochs"] = 2
    cfg["algorithm"]["num_mini_batches"] = 2
    env = PointMassEnv(8, PointMassCfg(max_episode_length=6), seed=7 + rank)
    env.build_expert_sampler(20)
    runner = TrirlRunner(env, cfg, log_dir=None, device="cpu")
    runner.learn(4)  # the third append evicts into the approximator: its gradients are reduced too
    alg = runner.alg
    chain = alg.reward.chain
    torch.save(
        {
            "actor": alg.actor.state_dict(),
            "critic": alg.critic.state_dict(),
            "discriminator": alg.discriminator.state_dict(),
            "snapshots": chain.snapshots,
            "steps": chain.steps,
            "etas": chain.etas,
            "base": chain.base.state_dict(),
            "distilled": chain.num_distilled,
            "history": runner.history,
            "first_obs": env.get_observations()["policy"].clone(),
        },
        os.path.join(out, f"rank{rank}.pt"),
    )


if __name__ == "__main__":
    main(sys.argv[1])
