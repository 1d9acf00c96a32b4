"""Train TRIRL (or a baseline) on the point mass and report the normalised return; used by tests and benchmarks."""

from __future__ import annotations

import copy
import time
from typing import Any

import torch

from trirl_isaac.algo.runner import TrirlRunner
from trirl_isaac.envs.point_mass import PointMassEnv

POINT_MASS_AGENT: dict[str, Any] = {
    "seed": 1,
    "num_steps_per_env": 30,
    "max_iterations": 60,
    "save_interval": 50,
    "obs_groups": {"actor": ["policy"], "critic": ["critic"]},
    "check_for_nan": True,
    "actor": {
        "class_name": "rsl_rl.models.MLPModel",
        "hidden_dims": [64, 64],
        "activation": "elu",
        "obs_normalization": False,
        "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 0.6, "std_type": "log"},
    },
    "critic": {"class_name": "rsl_rl.models.MLPModel", "hidden_dims": [64, 64], "activation": "elu"},
    "algorithm": {
        "class_name": "trirl_isaac.algo.trirl:TRIRL",
        "num_learning_epochs": 8,
        "num_mini_batches": 4,
        "clip_param": 0.2,
        "gamma": 0.97,
        "lam": 0.95,
        "value_loss_coef": 1.0,
        "entropy_coef": 0.0,
        "learning_rate": 1.0e-3,
        "max_grad_norm": 1.0,
        "schedule": "fixed",
        "desired_kl": None,
        "trirl_cfg": {
            "method": "trirl",
            "policy_update": "trpl",
            "eps": 0.5,
            "beta": 100.0,
            "chain_length": 20,
            "discriminator": {
                "hidden_dims": [64, 64],
                "learning_rate": 1.0e-3,
                "num_epochs": 5,
                "num_mini_batches": 4,
                "grad_penalty": 0.1,
            },
            "trust_region": {"mean_bound": 0.05, "cov_bound": 0.01, "trust_region_coef": 1.0},
            "approximator": {
                "enabled": True,
                "hidden_dims": [64, 64],
                "num_steps": 100,
                "batch_size": 1024,
                "evict_chunk": 5,
            },
        },
    },
}


def make_agent_cfg(**trirl_overrides: Any) -> dict[str, Any]:
    """A deep copy of the point-mass agent config with ``trirl_cfg`` entries replaced."""
    cfg = copy.deepcopy(POINT_MASS_AGENT)
    cfg["algorithm"]["trirl_cfg"].update(trirl_overrides)
    return cfg


def train_point_mass(
    agent_cfg: dict[str, Any] | None = None,
    iterations: int | None = None,
    num_envs: int = 64,
    seed: int = 1,
    log_dir: str | None = None,
    expert_steps: int = 200,
) -> dict[str, Any]:
    """Train and return normalised return (R - R_random) / (R_expert - R_random) plus the runner and timings."""
    torch.manual_seed(seed)
    cfg = copy.deepcopy(agent_cfg or POINT_MASS_AGENT)
    cfg["seed"] = seed
    env = PointMassEnv(num_envs, seed=seed)
    env.build_expert_sampler(expert_steps)
    runner = TrirlRunner(env, cfg, log_dir=log_dir, device="cpu")
    iters = iterations if iterations is not None else cfg["max_iterations"]
    t0 = time.time()
    runner.learn(iters)
    wall = time.time() - t0
    eval_env = PointMassEnv(256, seed=10_000 + seed)
    policy = runner.get_inference_policy()
    with torch.inference_mode():
        r_pol = eval_env.rollout_return(lambda o: policy(o), 2)
        r_exp = eval_env.rollout_return(lambda o: eval_env.expert_action(o["policy"]), 2)
        r_rand = eval_env.rollout_return(
            lambda o: 2 * torch.rand(o.batch_size[0], 2, generator=eval_env.generator) - 1, 2
        )
    return {
        "normalised_return": (r_pol - r_rand) / (r_exp - r_rand),
        "return_policy": r_pol,
        "return_expert": r_exp,
        "return_random": r_rand,
        "wall_s": wall,
        "env_steps": iters * num_envs * cfg["num_steps_per_env"],
        "runner": runner,
    }
