"""Expert transition features for the discriminator, sampled with replacement."""

from __future__ import annotations

import os
from typing import Protocol, runtime_checkable

import numpy as np
import torch


@runtime_checkable
class ExpertSampler(Protocol):
    """Anything that yields expert discriminator features of a fixed size (an environment's motion library, a file)."""

    feature_dim: int

    def sample(self, n: int) -> torch.Tensor:
        """Return n expert feature rows (n, feature_dim), drawn with replacement."""
        ...


@runtime_checkable
class TrirlEnv(Protocol):
    """What TRIRL reads from an environment beyond rsl_rl's ``VecEnv``: the written contract (each part optional).

    TRIRL looks for these on the env and, for wrapped envs (Isaac Lab's ``RslRlVecEnvWrapper``), on
    ``env.unwrapped`` (see :func:`env_part`):

    * ``expert_sampler``: an :class:`ExpertSampler` of expert discriminator features (unless
      ``trirl_cfg.expert_data`` names a file).
    * ``reward_metadata()``: what the features mean (robot, joints, bodies); stored in every reward file and checked
      when a reward or checkpoint is loaded into another task.
    * ``set_learned_reward(reward)``: called with every corrected reward (the tasks' learned-reward term); with
      ``reward_is_learned_reward = True`` the env's reward *is* that reward, so TRIRL may reuse its per-step values.
    * ``install_frozen_reward(reward, source="", gamma=0.99)``: make the env return a frozen learned reward (plain
      PPO re-optimising it); ``gamma`` prices closed-form absorbing tails where the env has them.
    * step extras: ``final_obs`` (pre-reset observations, required when episodes end), ``time_outs``,
      ``absorbing`` (steps whose reward stands for the absorbing state's whole tail), ``applied_actions`` (the
      actions as executed, for (s, a) features).
    """

    expert_sampler: ExpertSampler
    reward_is_learned_reward: bool

    def reward_metadata(self) -> dict:
        """What the discriminator features mean (robot, joints, bodies, feature layout)."""
        ...

    def set_learned_reward(self, reward) -> None:
        """Receive the corrected reward after every iteration."""
        ...

    def install_frozen_reward(self, reward, source: str = "", gamma: float = 0.99) -> None:
        """Return ``reward`` instead of the env's own reward from now on."""
        ...


def env_part(env, name: str):
    """The env's (or, for a wrapper, ``env.unwrapped``'s) member ``name`` of the :class:`TrirlEnv` contract."""
    for holder in (env, getattr(env, "unwrapped", None)):
        value = getattr(holder, name, None)
        if value is not None:
            return value
    return None


class ExpertBuffer:
    """A fixed set of expert feature rows; minibatches are drawn with replacement, so any batch size is unbiased."""

    def __init__(self, features: torch.Tensor, device: str | torch.device = "cpu", name: str = "expert data") -> None:
        features = torch.as_tensor(features, dtype=torch.float32)
        if features.ndim != 2 or features.shape[0] == 0:
            raise ValueError(
                f"{name}: expected a non-empty (num_samples, feature_dim) array, got {tuple(features.shape)}"
            )
        if not torch.isfinite(features).all():
            bad = int((~torch.isfinite(features)).any(dim=1).sum())
            raise ValueError(f"{name}: {bad} row(s) contain NaN or Inf")
        self.features = features.to(device)
        self.feature_dim = int(features.shape[1])

    def __len__(self) -> int:
        return self.features.shape[0]

    def sample(self, n: int) -> torch.Tensor:
        """Return n rows drawn uniformly with replacement."""
        idx = torch.randint(0, self.features.shape[0], (n,), device=self.features.device)
        return self.features[idx]

    def save(self, path: str, **attrs: str | float) -> None:
        """Write the features (and string/number attributes) to an HDF5 file as dataset 'features'."""
        import h5py

        tmp = f"{path}.tmp"
        with h5py.File(tmp, "w") as f:
            f.create_dataset("features", data=self.features.cpu().numpy(), compression="gzip")
            for k, v in attrs.items():
                f.attrs[k] = v
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str, device: str | torch.device = "cpu") -> ExpertBuffer:
        """Read features from .h5/.hdf5 (dataset 'features'), .npz (array 'features') or .pt (tensor or dict)."""
        if not os.path.isfile(path):
            raise FileNotFoundError(f"expert data file not found: {path}")
        ext = os.path.splitext(path)[1].lower()
        if ext in (".h5", ".hdf5"):
            import h5py

            with h5py.File(path, "r") as f:
                if "features" not in f:
                    raise KeyError(f"{path}: no dataset 'features' (found {sorted(f.keys())})")
                data = np.asarray(f["features"])
        elif ext == ".npz":
            with np.load(path) as f:
                if "features" not in f:
                    raise KeyError(f"{path}: no array 'features' (found {sorted(f.files)})")
                data = f["features"]
        elif ext == ".pt":
            obj = torch.load(path, map_location="cpu", weights_only=True)
            data = obj["features"] if isinstance(obj, dict) else obj
        else:
            raise ValueError(f"{path}: unsupported expert data format {ext!r} (use .h5, .npz or .pt)")
        return cls(torch.as_tensor(np.asarray(data)), device=device, name=path)
