"""rsl_rl agent configurations for TRIRL (the algorithm block names our class; the runner is rsl_rl's or ours)."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from isaaclab.utils import configclass
from isaaclab_rl.rsl_rl import RslRlMLPModelCfg, RslRlOnPolicyRunnerCfg, RslRlPpoAlgorithmCfg


def trirl_defaults() -> dict[str, Any]:
    """TRIRL settings for the robot tasks (after the authors' LocoMuJoCo G1/Go2 values; see TrirlCfg for docs)."""
    return {
        "method": "trirl",
        "policy_update": "trpl",
        "eps": 0.443,
        "beta": 2.5e4,
        # the reward: the last 2 discriminators folded exactly, every older one distilled each iteration into one
        # warm-started network that starts the fold (the MuJoCo benchmark's K = 2). On the Go2 in the twin it met the
        # gait targets in 20-27% fewer env steps than a 100-snapshot chain on both seeds tried (README, twin section),
        # in about the same wall time on one CPU thread, and its frozen reward is 2.2 MB instead of 73 MB. Each
        # distillation absorbs one snapshot of weight eps_tr ~ 0.1 into the warm-started network: 50 Adam steps
        # (below) met the targets at the same iteration as 200 on seed 0, at 8.3 instead of 12.7 s per iteration;
        # 512-row minibatches instead of 2,048 (2026-12-07) met them at 225 iterations on seeds 1 and 2 (2,048: 225 and
        # 250) with TRIRL 30% faster per Isaac Lab iteration (64 envs, one thread: 3.95 vs 5.66 s; PPO 2.75 / 3.12 s)
        "chain_length": 2,
        "disc_obs_group": "discriminator",
        "disc_input": "state_next_state",
        "discriminator": {
            "hidden_dims": [512, 256],
            "learning_rate": 7.8e-4,
            "num_epochs": 5,
            "num_mini_batches": 4,
            "grad_penalty": 0.16,
        },
        # The settings of the one TRIRL run that learned the Go2 gait on this project's CPU (the twin's r20, README
        # "The MuJoCo twin"): each discriminator enters the fold as softplus(D), and a trust region of 1e-2 / 5e-3
        # that still binds there (eta median 3.7, eps_tr ~ 0.09: the reward averages ~10 discriminators). With the
        # theorem's logit fold every Go2 run stood still (the authors' bounds 2.5e-4 / 1.8e-4, and looser ones up
        # to 2e-2); tighter softplus bounds (4e-3 / 3e-3) had not walked after 225 iterations. One seed, Go2 only:
        # the G1 tasks share these untested. The benchmark keeps the logit fold (its reusable reward needs it).
        "d_transform": "softplus",
        "trust_region": {"mean_bound": 1.0e-2, "cov_bound": 5.0e-3, "trust_region_coef": 1.0},
        "approximator": {
            "enabled": True,
            "hidden_dims": [512, 256],
            "num_steps": 50,
            "batch_size": 512,
            "evict_chunk": 1,
            "skip_below": 0.0,
        },
        "dual_samples": 2048,
    }


PPO_SETTINGS: dict[str, Any] = {
    "value_loss_coef": 1.0,
    "use_clipped_value_loss": True,
    "clip_param": 0.2,
    "entropy_coef": 0.0,
    "num_learning_epochs": 5,
    "num_mini_batches": 4,
    "learning_rate": 3.0e-4,
    "gamma": 0.99,
    "lam": 0.95,
    "desired_kl": 0.01,
    "max_grad_norm": 1.0,
}
"""rsl_rl PPO settings shared by TRIRL's policy step and plain-PPO re-optimisation of a learned reward."""


@configclass
class TrirlAlgorithmCfg(RslRlPpoAlgorithmCfg):
    """PPO settings plus ``trirl_cfg`` (validated by trirl_isaac.algo.config.TrirlCfg when the runner starts)."""

    class_name: str = "trirl_isaac.algo.trirl:TRIRL"
    trirl_cfg: dict = field(default_factory=trirl_defaults)


@configclass
class TrirlRunnerCfg(RslRlOnPolicyRunnerCfg):
    """Common runner settings of the TRIRL robot tasks."""

    num_steps_per_env = 24
    max_iterations = 3000
    save_interval = 100
    experiment_name = "trirl"
    obs_groups = {"actor": ["policy"], "critic": ["critic"]}
    actor = RslRlMLPModelCfg(
        hidden_dims=[512, 256, 128],
        activation="elu",
        obs_normalization=True,
        distribution_cfg=RslRlMLPModelCfg.GaussianDistributionCfg(init_std=0.5, std_type="log"),
    )
    critic = RslRlMLPModelCfg(hidden_dims=[512, 256, 128], activation="elu", obs_normalization=True)
    algorithm = TrirlAlgorithmCfg(**PPO_SETTINGS, schedule="fixed")


@configclass
class PpoRetrainRunnerCfg(TrirlRunnerCfg):
    """Plain rsl_rl PPO on a frozen learned reward (the re-optimisation / transfer experiment)."""

    def __post_init__(self):
        super().__post_init__()
        self.experiment_name = "retrain"
        # the same PPO settings as TRIRL's policy step, with rsl_rl's KL-adaptive learning rate
        self.algorithm = RslRlPpoAlgorithmCfg(**PPO_SETTINGS, schedule="adaptive")
