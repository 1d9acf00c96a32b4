"""What every command does before it trains, plays or records: device, task configs, the wrapped env, the runner.

The scripts (train, play, record_expert, benchmark_speed) are thin around these; a user's own script can use them
the same way::

    env_cfg, agent_cfg = task_configs("TRIRL-Go2-Walk", "rsl_rl_cfg_entry_point", overrides=[], device="cpu")
    with launch_simulation(env_cfg, {}):
        env = wrap_env("TRIRL-Go2-Walk", env_cfg, agent_cfg)
        runner = make_runner(env, agent_cfg, log_dir=None, device="cpu")
"""

from __future__ import annotations

import glob
import os
from typing import Any

RSL_RL_VERSION = "5.5.1"
"""The rsl-rl-lib version the agent configs are written for (Isaac Lab converts older configs to it)."""


def resolve_device(requested: str) -> str:
    """'auto' -> cuda:0 when torch sees a GPU, else cpu; 'cuda' without a GPU is a one-line error."""
    import torch

    device = ("cuda:0" if torch.cuda.is_available() else "cpu") if requested == "auto" else requested
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA device on this machine (use --device cpu or auto)")
    return device


def latest_checkpoint(log_root: str, experiment: str) -> str:
    """Newest model_*.pt of the newest run of an experiment."""
    runs = sorted(glob.glob(os.path.join(log_root, "rsl_rl", experiment, "*")))
    for run in reversed(runs):
        models = glob.glob(os.path.join(run, "model_*.pt"))
        if models:
            return max(models, key=lambda m: int(os.path.basename(m)[6:-3]))
    raise FileNotFoundError(f"no checkpoint found under {os.path.join(log_root, 'rsl_rl', experiment)}")


def checkpoint_is_trirl(path: str) -> bool:
    """Whether a checkpoint was written by TRIRL (it holds a learned reward) rather than plain PPO."""
    from trirl_isaac.algo.runner import read_checkpoint

    return "learned_reward" in read_checkpoint(path, map_location="cpu")


def task_configs(task: str, entry: str, overrides: list[str], device: str) -> tuple[Any, Any]:
    """(env_cfg, agent_cfg) of a registered task with Hydra ``overrides``, on ``device``, for rsl_rl 5.5.1."""
    from isaaclab_rl.rsl_rl import handle_deprecated_rsl_rl_cfg
    from isaaclab_tasks.utils import resolve_task_config

    import trirl_isaac.tasks  # noqa: F401  (registers the TRIRL-* tasks)

    env_cfg, agent_cfg = resolve_task_config(task, entry, overrides=overrides)
    env_cfg.sim.device = agent_cfg.device = device
    return env_cfg, handle_deprecated_rsl_rl_cfg(agent_cfg, RSL_RL_VERSION)


def wrap_env(task: str, env_cfg: Any, agent_cfg: Any) -> Any:
    """The task's env behind rsl_rl's VecEnv interface (call inside ``launch_simulation``)."""
    import gymnasium as gym
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

    return RslRlVecEnvWrapper(gym.make(task, cfg=env_cfg), clip_actions=agent_cfg.clip_actions)


def make_runner(
    env: Any, agent_cfg: Any, log_dir: str | None, device: str, reward: Any = None, reward_source: str = "reward"
) -> Any:
    """TrirlRunner for a TRIRL agent config, rsl_rl's OnPolicyRunner otherwise; with ``reward`` (a LearnedReward,
    read from ``reward_source``), plain PPO re-optimising that frozen reward."""
    from isaaclab.utils import to_dict
    from rsl_rl.runners import OnPolicyRunner
    from rsl_rl.utils import resolve_callable

    from trirl_isaac.algo.runner import TrirlRunner
    from trirl_isaac.algo.trirl import TRIRL

    train_cfg = to_dict(agent_cfg) if not isinstance(agent_cfg, dict) else agent_cfg
    if reward is not None:
        train_cfg["algorithm"] = reward.retrain_algorithm_cfg(train_cfg["algorithm"])
        runner = OnPolicyRunner(env, train_cfg, log_dir=log_dir, device=device)
        env.unwrapped.install_frozen_reward(reward, source=reward_source)
        return runner
    if issubclass(resolve_callable(train_cfg["algorithm"]["class_name"]), TRIRL):
        return TrirlRunner(env, train_cfg, log_dir=log_dir, device=device)
    return OnPolicyRunner(env, train_cfg, log_dir=log_dir, device=device)  # a hand-designed reward (Go2 expert)
