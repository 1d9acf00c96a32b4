"""TRIRL runner: rsl_rl's OnPolicyRunner plus the reward-correction hook, TRIRL logging and exact resume."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from rsl_rl.env import VecEnv
from rsl_rl.runners import OnPolicyRunner

from trirl_isaac.algo.reward import LearnedReward
from trirl_isaac.algo.trirl import TRIRL

RewardConsumer = Callable[[LearnedReward], None]

LOGGED = (
    "eta",
    "eps_tr",
    "eps",
    "kl_new_old",
    "dual_estimate",
    "reward_tilde_mean",
    "reward_mean_policy",
    "reward_mean_expert",
    "chain_length",
    "chain_evicted",
    "chain_distilled",
    "chain_history_weight",
    "eta_mean_projection_max",
    "env_reward_mean",
    "env_reward_reused",
    "eta_state_max",
    "eta_state_mean",
    "disc_loss",
    "disc_accuracy",
    "disc_logit_expert",
    "disc_logit_policy",
    "disc_grad_penalty",
    "reward_center",
    "absorbing_reward_raw",
    "absorbing_floor",
    "absorbing_reward",
    "reward_absorbing",
    "reward_average_absorbing",
)


class TrirlRunner(OnPolicyRunner):
    """Runs TRIRL with rsl_rl's loop; after every correction it hands the new reward to every registered consumer."""

    alg: TRIRL

    def __init__(self, env: VecEnv, train_cfg: dict, log_dir: str | None = None, device: str = "cpu") -> None:
        train_cfg.setdefault("algorithm", {}).setdefault("class_name", "trirl_isaac.algo.trirl:TRIRL")
        super().__init__(env, train_cfg, log_dir, device)
        if not isinstance(self.alg, TRIRL):
            raise TypeError(f"TrirlRunner needs a TRIRL algorithm, got {type(self.alg).__name__}")
        self.history: list[dict[str, float]] = []
        self.alg.callbacks.append(self._on_correction)

    def _configure_multi_gpu(self) -> None:
        """rsl_rl's multi-GPU setup (torchrun's WORLD_SIZE / RANK / LOCAL_RANK, NCCL, one GPU per rank); on the CPU the
        same processes join a gloo group instead (tests, CPU clusters)."""
        world = int(os.getenv("WORLD_SIZE", "1"))
        if world == 1 or str(self.device) != "cpu":
            super()._configure_multi_gpu()
            return
        self.gpu_world_size, self.is_distributed = world, True
        self.gpu_local_rank = int(os.getenv("LOCAL_RANK", "0"))
        self.gpu_global_rank = int(os.getenv("RANK", "0"))
        if self.gpu_global_rank >= world:
            raise ValueError(f"RANK {self.gpu_global_rank} must be below WORLD_SIZE {world}")
        self.cfg["multi_gpu"] = {
            "global_rank": self.gpu_global_rank,
            "local_rank": self.gpu_local_rank,
            "world_size": world,
        }
        if not torch.distributed.is_initialized():
            torch.distributed.init_process_group(backend="gloo", rank=self.gpu_global_rank, world_size=world)

    def add_reward_consumer(self, consumer: RewardConsumer) -> None:
        """Register a callable that receives the corrected reward after every iteration (and the current one now)."""
        self.alg.add_reward_consumer(consumer)

    def _on_correction(self, stats: dict[str, float], reward: LearnedReward) -> None:
        """The reward-correction hook: record and log the TRIRL quantities of an iteration."""
        if not stats:
            return
        self.history.append({"iteration": float(self.alg.iteration), **stats})
        writer = self.logger.writer
        if writer is not None:
            for key in LOGGED:
                if key in stats:
                    writer.add_scalar(f"TRIRL/{key}", stats[key], self.alg.iteration)

    def save(self, path: str, infos: dict | None = None) -> None:
        """Checkpoint with RNG and (if the env supports it) env state; the learned reward also goes to reward_*.pt."""
        saved = self.alg.save()
        saved["iter"] = self.current_learning_iteration
        saved["infos"] = infos
        saved["rng_state"] = {
            "torch": torch.get_rng_state(),
            "numpy": np.random.get_state(),
            "python": random.getstate(),
        }
        env_state = getattr(self.env, "state_dict", None)
        if env_state is not None:
            saved["env_state"] = env_state()
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = f"{path}.tmp"
        torch.save(saved, tmp)
        os.replace(tmp, path)  # an existing checkpoint is replaced only by a complete one
        base = os.path.basename(path)
        reward_name = base.replace("model_", "reward_", 1) if base.startswith("model_") else f"reward_{base}"
        self.alg.reward.save(os.path.join(os.path.dirname(os.path.abspath(path)), reward_name))
        average = self.alg.averaged_reward()
        if average is not None:
            name = reward_name.replace("reward_", "reward_average_", 1)
            average.save(os.path.join(os.path.dirname(os.path.abspath(path)), name))
        self.logger.save_model(path, self.current_learning_iteration)

    def load(
        self, path: str, load_cfg: dict | None = None, strict: bool = True, map_location: str | None = None
    ) -> dict:
        """Load a checkpoint; restores RNG and env state when present so training continues exactly."""
        loaded = read_checkpoint(path, map_location)
        if self.alg.load(loaded, load_cfg, strict):
            self.current_learning_iteration = loaded["iter"]
        if "rng_state" in loaded and (load_cfg is None or load_cfg.get("rng", True)):
            torch.set_rng_state(loaded["rng_state"]["torch"])
            np.random.set_state(loaded["rng_state"]["numpy"])
            random.setstate(loaded["rng_state"]["python"])
        if "env_state" in loaded and hasattr(self.env, "load_state_dict"):
            self.env.load_state_dict(loaded["env_state"])
        self.alg.notify({})  # every consumer gets the loaded reward
        return loaded["infos"]


def read_checkpoint(path: str, map_location: str | None = None) -> dict[str, Any]:
    """A checkpoint's contents; a missing, damaged or foreign file is a named error and is left untouched."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        loaded = torch.load(path, weights_only=False, map_location=map_location)
    except Exception as e:  # torch raises RuntimeError, EOFError, UnpicklingError, ... for damaged files
        raise ValueError(
            f"checkpoint {path} cannot be read (damaged or truncated?): {e}; the file was not changed"
        ) from e
    if not isinstance(loaded, dict) or "iter" not in loaded:
        raise ValueError(f"{path} is not an rsl_rl/trirl_isaac checkpoint (no 'iter' entry); the file was not changed")
    return loaded
