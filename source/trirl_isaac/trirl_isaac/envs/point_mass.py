"""A 2-D point mass that must reach a goal: a pure-torch rsl_rl VecEnv with a scripted expert.

State (position, velocity); action: acceleration in [-1, 1]^2. The true reward, -||position - goal||, is what
the environment returns (and rsl_rl logs); TRIRL never learns from it: it only sees expert (s, s') pairs.
Episodes end on a time-out or when the mass leaves the arena (a termination), and the pre-reset observation is
reported in ``extras["final_obs"]`` like Isaac Lab's ``compute_final_obs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from trirl_isaac.algo.expert import ExpertBuffer


@dataclass
class PointMassCfg:
    """Dynamics, task and expert settings."""

    dt: float = 0.1
    accel_scale: float = 2.0
    damping: float = 0.1
    goal: tuple[float, float] = (0.6, -0.4)
    start_range: float = 1.0
    arena: float = 2.0
    max_episode_length: int = 60
    expert_gains: tuple[float, float] = (2.0, 1.6)
    expert_noise: float = 0.1
    obs_groups: list[str] = field(default_factory=lambda: ["policy", "critic", "discriminator"])


class PointMassEnv(VecEnv):
    """Vectorised point-mass goal reaching; ``expert_sampler`` holds scripted-expert (s, s') features."""

    def __init__(self, num_envs: int, cfg: PointMassCfg | None = None, device: str = "cpu", seed: int = 0) -> None:
        self.cfg = cfg or PointMassCfg()
        self.num_envs = num_envs
        self.num_actions = 2
        self.device = device
        self.max_episode_length = self.cfg.max_episode_length
        self.generator = torch.Generator(device=device).manual_seed(seed)
        self.goal = torch.tensor(self.cfg.goal, device=device)
        self.pos = torch.zeros(num_envs, 2, device=device)
        self.vel = torch.zeros(num_envs, 2, device=device)
        self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long, device=device)
        self.expert_sampler: ExpertBuffer | None = None
        self._reset(torch.arange(num_envs, device=device))

    # ------------------------------------------------------------------ VecEnv
    def get_observations(self) -> TensorDict:
        """Observation groups: policy/critic (goal-relative position, velocity) and discriminator (same)."""
        state = torch.cat([self.pos - self.goal, self.vel], dim=-1)
        return TensorDict({g: state.clone() for g in self.cfg.obs_groups}, batch_size=[self.num_envs])

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        """Advance one control step; auto-reset finished episodes."""
        a = actions.clamp(-1.0, 1.0)
        c = self.cfg
        self.vel = (1.0 - c.damping) * self.vel + c.dt * c.accel_scale * a
        self.pos = self.pos + c.dt * self.vel
        self.episode_length_buf += 1
        reward = -(self.pos - self.goal).norm(dim=-1)
        terminated = (self.pos.abs() > c.arena).any(dim=-1)
        # leaving the arena ends the episode and costs the current distance for every remaining step
        remaining = (self.max_episode_length - self.episode_length_buf + 1).clamp(min=1)
        reward = torch.where(terminated, reward * remaining, reward)
        time_outs = (self.episode_length_buf >= self.max_episode_length) & ~terminated
        dones = terminated | time_outs
        extras: dict = {"time_outs": time_outs, "log": {"/distance_to_goal": (-reward).mean()}}
        if dones.any():
            extras["final_obs"] = self.get_observations()
            self._reset(dones.nonzero().squeeze(-1))
        return self.get_observations(), reward, dones.long(), extras

    def _reset(self, ids: torch.Tensor) -> None:
        r = self.cfg.start_range
        u = torch.rand(len(ids), 2, generator=self.generator, device=self.device)
        self.pos[ids] = (2.0 * u - 1.0) * r
        self.vel[ids] = 0.0
        self.episode_length_buf[ids] = 0

    # ------------------------------------------------------------------ expert and evaluation
    def expert_action(self, obs: torch.Tensor, noise: bool = True) -> torch.Tensor:
        """Scripted PD expert towards the goal (with Gaussian exploration noise)."""
        kp, kd = self.cfg.expert_gains
        a = -kp * obs[:, :2] - kd * obs[:, 2:4]
        if noise:
            a = a + self.cfg.expert_noise * torch.randn(a.shape, generator=self.generator, device=self.device)
        return a.clamp(-1.0, 1.0)

    def rollout_return(self, policy, episodes_per_env: int = 1) -> float:
        """Mean undiscounted true return of ``policy(obs) -> actions`` over whole episodes (env state is restored)."""
        saved = self.state_dict()
        self._reset(torch.arange(self.num_envs, device=self.device))
        totals = torch.zeros(self.num_envs, device=self.device)
        finished = torch.zeros(self.num_envs, device=self.device)
        while bool((finished < episodes_per_env).any()):
            _, reward, dones, _ = self.step(policy(self.get_observations()))
            counting = finished < episodes_per_env
            totals += reward * counting
            finished += dones.float() * counting
        self.load_state_dict(saved)
        return (totals / episodes_per_env).mean().item()

    def build_expert_sampler(self, num_steps: int) -> ExpertBuffer:
        """Roll out the scripted expert for num_steps per env and keep its (s, s') features."""
        saved = self.state_dict()
        self._reset(torch.arange(self.num_envs, device=self.device))
        rows = []
        obs = self.get_observations()["discriminator"]
        for _ in range(num_steps):
            nxt_td, _, dones, extras = self.step(self.expert_action(obs))
            nxt = nxt_td["discriminator"]
            if dones.any():
                nxt_true = torch.where(dones.bool().unsqueeze(-1), extras["final_obs"]["discriminator"], nxt)
            else:
                nxt_true = nxt
            rows.append(torch.cat([obs, nxt_true], dim=-1))
            obs = nxt
        self.load_state_dict(saved)
        self.expert_sampler = ExpertBuffer(torch.cat(rows, dim=0), device=self.device, name="point-mass expert")
        return self.expert_sampler

    # ------------------------------------------------------------------ exact resume
    def state_dict(self) -> dict:
        """Complete simulator state (positions, velocities, episode counters, RNG)."""
        return {
            "pos": self.pos.clone(),
            "vel": self.vel.clone(),
            "episode_length_buf": self.episode_length_buf.clone(),
            "generator": self.generator.get_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`."""
        self.pos = state["pos"].clone()
        self.vel = state["vel"].clone()
        self.episode_length_buf = state["episode_length_buf"].clone()
        self.generator.set_state(state["generator"])
