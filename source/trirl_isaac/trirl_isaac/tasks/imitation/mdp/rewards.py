"""Reward terms: the learned TRIRL reward (the only reward of the imitation tasks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.assets import Articulation
from isaaclab.managers import ManagerTermBase, RewardTermCfg, SceneEntityCfg

from trirl_isaac.algo.reward import with_absorbing_tail
from trirl_isaac.motion.features import quat_rotate_inverse

from .observations import disc_features
from .state import absorbing_flags, xyzw_to_wxyz

if TYPE_CHECKING:
    from trirl_isaac.tasks.imitation.env import ImitationEnv


class learned_reward(ManagerTermBase):
    """The TRIRL reward r(s, s') / beta, read from the current learned reward (updated by the runner's hook).

    s is the discriminator observation of the previous control step (``env.obs_buf``, computed after the last
    reset), s' the state after this step. With no reward loaded yet (iteration 0: r_0 = 0) it returns zeros.
    Also logs forward velocity and its error to the clips' mean forward velocity as metrics.
    """

    def __init__(self, cfg: RewardTermCfg, env: ImitationEnv) -> None:
        super().__init__(cfg, env)
        self.asset_cfg: SceneEntityCfg = cfg.params["asset_cfg"]
        self.group: str = cfg.params.get("disc_obs_group", "discriminator")
        self.reward_fn = None
        self.tail_gamma: float | None = None
        """Set for a frozen reward: (absorbing, absorbing) steps then return r / (1 - gamma), the whole tail."""

    def set_reward(self, reward, tail_gamma: float | None = None) -> None:
        """Install a learned reward (a :class:`trirl_isaac.algo.reward.LearnedReward` or any features -> reward);
        ``tail_gamma`` for a frozen one (its absorbing tail: ``algo.reward.with_absorbing_tail``; TRIRL prices the
        tail itself while it trains)."""
        self.reward_fn = reward
        self.tail_gamma = tail_gamma

    def __call__(self, env: ImitationEnv, asset_cfg: SceneEntityCfg, disc_obs_group: str = "discriminator"):
        """Learned reward of the transition (s, s') that just happened, one value per env."""
        s_next = disc_features(env, self.asset_cfg)
        obs_buf = getattr(env, "obs_buf", None)
        s = obs_buf[self.group] if obs_buf and self.group in obs_buf else s_next
        self._log_metrics(env)
        if self.reward_fn is None:
            return torch.zeros(env.num_envs, device=env.device)
        with torch.no_grad():
            r = self.reward_fn(torch.cat([s, s_next], dim=-1))
        if self.tail_gamma is not None and env.cfg.absorbing_falls:
            r = with_absorbing_tail(self.reward_fn, r, absorbing_flags(env)["step"], self.tail_gamma)
        return r

    def _log_metrics(self, env: ImitationEnv) -> None:
        robot: Articulation = env.scene[self.asset_cfg.name]
        vx = quat_rotate_inverse(xyzw_to_wxyz(robot.data.root_link_quat_w.torch), robot.data.root_link_lin_vel_w.torch)[
            :, 0
        ]
        log = env.extras.setdefault("log", {})
        log["/metrics/forward_velocity"] = vx.mean()
        log["/metrics/forward_velocity_error"] = (vx - env.clip_forward_velocity).abs().mean()
