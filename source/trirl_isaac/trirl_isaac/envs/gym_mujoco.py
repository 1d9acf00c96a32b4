"""Benchmark tasks behind rsl_rl's VecEnv: Gymnasium MuJoCo v5 robots, a pure-torch Point Maze, shifted variants.

Every task returns the observation groups ``policy``, ``critic`` and ``discriminator`` (all the task's observation),
the TRUE task reward (TRIRL and the adversarial baselines ignore it; rsl_rl logs it), ``dones`` and the extras
``time_outs`` (truncations, not terminations), ``final_obs`` (the pre-reset observation of every group for all
envs: equal to the returned observation where no episode ended) and ``log``. Finished episodes' true returns are
kept in ``completed_returns`` for evaluation. Tasks that terminate (Hopper, Walker2d, Ant, Humanoid) by default
add an absorbing-state flag to the observation and turn terminations into a transition to an absorbing state
(DAC); see :class:`GymMujocoVecEnv`. ``make_env(..., absorbing=False)`` gives the plain Gymnasium semantics.

``install_frozen_reward`` makes the task return a frozen :class:`LearnedReward` of (s, s') or (s, a) instead of the
true reward (re-optimisation with plain PPO); the true reward is then still logged and its returns still tracked.
The method is deliberately not called ``set_learned_reward``: TRIRL's factory would install its own reward during
training and pay for evaluating the chain at every environment step.

Shifted dynamics (transfer) edit the MJCF XML the Gymnasium task loads (``xml_file=``): ``ant_disabled`` (front
legs shortened, their actuators zeroed), ``halfcheetah_wind`` (-5 m/s headwind in air) and ``halfcheetah_mars``
(gravity -3.73 m/s^2). ``pointmaze_flipped`` moves the maze's gap to the other side of the wall.

``pointmaze_detour`` is the maze with its goal above the *left* end of the wall while the gap stays on the right:
the expert detours (right, up through the gap, back left). Its transfer ``pointmaze_detour_flipped`` opens the wall
beneath the goal and closes the detour. A reward that learned where the goal is leads a fresh policy straight up
through the new gap; one that learned the expert's path (go right below the wall) leads it into the closed side.
This is a changed layout that the expert's intent still solves, which ``pointmaze_flipped`` (goal above the middle,
so any goal-seeking reward must first lead *away* from the goal to find the gap) is not: see ``bench.maze_oracle``.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from trirl_isaac.algo.expert import ExpertBuffer
from trirl_isaac.algo.reward import LearnedReward, with_absorbing_tail

OBS_GROUPS = ("policy", "critic", "discriminator")
DISC_INPUTS = ("state_next_state", "state_action")


# ====================================================================== task registry
@dataclass(frozen=True)
class TaskSpec:
    """One benchmark task: a Gymnasium MuJoCo id with keyword arguments and an optional XML edit, or the maze."""

    name: str
    env_id: str
    """Gymnasium id, or ``"PointMaze"`` for the pure-torch maze."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    xml_edit: str | None = None
    """Name of a function in ``XML_EDITS`` applied to the task's default MJCF file."""
    base: str | None = None
    """The training task whose demonstrations and learned rewards this shifted variant is evaluated with."""
    horizon: int = 1000
    absorbing: bool = False
    """Tasks with terminations: by default a termination leads to an absorbing state (see GymMujocoVecEnv)."""


_ANT = {"include_cfrc_ext_in_observation": False}  # 27-D observation (the contact forces are mostly zeros)
_HUMANOID = {
    "include_cinert_in_observation": False,
    "include_cvel_in_observation": False,
    "include_qfrc_actuator_in_observation": False,
    "include_cfrc_ext_in_observation": False,
}

TASKS: dict[str, TaskSpec] = {
    s.name: s
    for s in (
        TaskSpec("halfcheetah", "HalfCheetah-v5"),
        TaskSpec("halfcheetah_wind", "HalfCheetah-v5", xml_edit="halfcheetah_wind", base="halfcheetah"),
        TaskSpec("halfcheetah_mars", "HalfCheetah-v5", xml_edit="halfcheetah_mars", base="halfcheetah"),
        TaskSpec("hopper", "Hopper-v5", absorbing=True),
        TaskSpec("walker2d", "Walker2d-v5", absorbing=True),
        TaskSpec("ant", "Ant-v5", kwargs=_ANT, absorbing=True),
        TaskSpec("ant_disabled", "Ant-v5", kwargs=_ANT, xml_edit="ant_disabled", base="ant", absorbing=True),
        TaskSpec("humanoid", "Humanoid-v5", kwargs=_HUMANOID, absorbing=True),
        TaskSpec("pointmaze", "PointMaze", horizon=100),
        TaskSpec("pointmaze_flipped", "PointMaze", kwargs={"flipped": True}, base="pointmaze", horizon=100),
        TaskSpec("pointmaze_detour", "PointMaze", kwargs={"goal": (-0.75, 0.7)}, horizon=100),
        TaskSpec(
            "pointmaze_detour_flipped",
            "PointMaze",
            kwargs={"goal": (-0.75, 0.7), "flipped": True},
            base="pointmaze_detour",
            horizon=100,
        ),
    )
}

TRANSFER_VARIANTS: dict[str, list[str]] = {}
for _spec in TASKS.values():
    if _spec.base is not None:
        TRANSFER_VARIANTS.setdefault(_spec.base, []).append(_spec.name)


def actor_critic_cfg(hidden_dims: tuple[int, ...] = (64, 64)) -> dict[str, Any]:
    """rsl_rl actor/critic settings shared by the experts and every benchmarked algorithm: tanh MLPs with input
    normalisation, a state-independent Gaussian (log-std, initial std 1)."""
    mlp = {"class_name": "rsl_rl.models.MLPModel", "hidden_dims": list(hidden_dims), "activation": "tanh"}
    return {
        "obs_groups": {"actor": ["policy"], "critic": ["critic"]},
        "actor": mlp
        | {
            "obs_normalization": True,
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0, "std_type": "log"},
        },
        "critic": mlp | {"obs_normalization": True},
    }


def ppo_cfg_settings(num_mini_batches: int = 8) -> dict[str, Any]:
    """rsl_rl PPO settings shared by the experts and the benchmark's policy step (no entropy bonus, fixed lr)."""
    return {
        "num_learning_epochs": 10,
        "num_mini_batches": num_mini_batches,
        "clip_param": 0.2,
        "gamma": 0.99,
        "lam": 0.95,
        "value_loss_coef": 0.5,
        "entropy_coef": 0.0,
        "learning_rate": 3.0e-4,
        "max_grad_norm": 0.5,
        "schedule": "fixed",
        "desired_kl": None,
        "use_clipped_value_loss": False,
    }


ABSORBING_TAILS = ("closed_form", "bootstrap")


def task_spec(task: str) -> TaskSpec:
    """The registered task called ``task`` (a KeyError lists the known names)."""
    if task not in TASKS:
        raise KeyError(f"unknown benchmark task {task!r}; known tasks: {sorted(TASKS)}")
    return TASKS[task]


def make_env(
    task: str,
    num_envs: int,
    seed: int = 0,
    device: str = "cpu",
    absorbing: bool | None = None,
    absorbing_tail: str = "closed_form",
) -> BenchmarkVecEnv:
    """Build the vectorised environment of a registered task (``absorbing``: None = the task's default;
    ``absorbing_tail``: see :class:`GymMujocoVecEnv`)."""
    spec = task_spec(task)
    if spec.env_id == "PointMaze":
        return PointMazeEnv(num_envs, maze_cfg(task), seed=seed, device=device, task=task)
    absorbing = spec.absorbing if absorbing is None else absorbing
    return GymMujocoVecEnv(spec, num_envs, seed=seed, device=device, absorbing=absorbing, absorbing_tail=absorbing_tail)


# ====================================================================== shifted dynamics: MJCF edits
def _assets_dir() -> str:
    import gymnasium.envs.mujoco as mj

    return os.path.join(os.path.dirname(mj.__file__), "assets")


def _scale_fromto(geom: ET.Element, scale: float) -> None:
    """Scale a capsule's length: the 'to' end moves along the segment, the 'from' end (the joint) stays."""
    a = [float(v) for v in geom.attrib["fromto"].split()]
    geom.set("fromto", " ".join(f"{v:g}" for v in a[:3] + [a[i] + (a[3 + i] - a[i]) * scale for i in range(3)]))


def ant_disabled(root: ET.Element) -> None:
    """Front legs 0.2 -> 0.18 and front ankles 0.4 -> 0.35; the actuators of both front legs get gear 0."""
    for leg, (thigh, ankle) in {"front_left_leg": ("1", "left"), "front_right_leg": ("2", "right")}.items():
        body = root.find(f".//body[@name='{leg}']")
        aux = body.find(f"body[@name='aux_{thigh}']")
        _scale_fromto(aux.find(f"geom[@name='{ankle}_leg_geom']"), 0.18 / 0.2)
        shin = aux.find("body")
        shin.set("pos", " ".join(f"{float(v) * 0.18 / 0.2:g}" for v in shin.attrib["pos"].split()))
        _scale_fromto(shin.find(f"geom[@name='{ankle}_ankle_geom']"), 0.35 / 0.4)
    for motor in root.iter("motor"):
        if motor.attrib["joint"] in ("hip_1", "ankle_1", "hip_2", "ankle_2"):
            motor.set("gear", "0")


def halfcheetah_wind(root: ET.Element) -> None:
    """A -5 m/s headwind in air (MuJoCo's inertia-box fluid model needs a density and viscosity)."""
    option = root.find("option")
    option.set("wind", "-5 0 0")
    option.set("density", "1.2")
    option.set("viscosity", "2e-5")


def halfcheetah_mars(root: ET.Element) -> None:
    """Mars gravity, -3.73 m/s^2."""
    root.find("option").set("gravity", "0 0 -3.73")


XML_EDITS = {"ant_disabled": ant_disabled, "halfcheetah_wind": halfcheetah_wind, "halfcheetah_mars": halfcheetah_mars}
_DEFAULT_XML = {"Ant-v5": "ant.xml", "HalfCheetah-v5": "half_cheetah.xml"}


def edited_xml(env_id: str, edit: str) -> str:
    """Path of the task's default MJCF with ``XML_EDITS[edit]`` applied (cached in the temp dir by content)."""
    src = os.path.join(_assets_dir(), _DEFAULT_XML[env_id])
    root = ET.parse(src).getroot()
    XML_EDITS[edit](root)
    text = ET.tostring(root, encoding="unicode")
    digest = hashlib.sha1(text.encode()).hexdigest()[:12]
    out_dir = os.path.join(tempfile.gettempdir(), "trirl_isaac_mjcf")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{edit}_{digest}.xml")
    if not os.path.isfile(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    return path


def make_gym_env(spec: TaskSpec) -> Any:
    """One Gymnasium environment of a MuJoCo task (time limit = the spec's horizon, env checker off)."""
    import gymnasium as gym

    kwargs = dict(spec.kwargs)
    if spec.xml_edit is not None:
        kwargs["xml_file"] = edited_xml(spec.env_id, spec.xml_edit)
    return gym.make(spec.env_id, max_episode_steps=spec.horizon, disable_env_checker=True, **kwargs)


# ====================================================================== shared VecEnv machinery
class BenchmarkVecEnv(VecEnv):
    """Common bookkeeping: observation groups, the frozen learned reward, true-return tracking, extras."""

    num_envs: int
    num_actions: int
    obs_dim: int
    absorbing: bool = False

    def _setup(self, num_envs: int, num_actions: int, obs_dim: int, horizon: int, device: str) -> None:
        self.num_envs = num_envs
        self.num_actions = num_actions
        self.obs_dim = obs_dim
        self.device = device
        self.max_episode_length = horizon
        self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long, device=device)
        self.true_return_buf = torch.zeros(num_envs, dtype=torch.float64, device=device)
        self.completed_returns: list[float] = []
        self.last_true_reward = torch.zeros(num_envs, device=device)
        self.learned_reward: LearnedReward | None = None
        self.reward_disc_input = "state_next_state"
        self.reward_source = ""
        self.reward_gamma = 0.99
        self.expert_sampler: ExpertBuffer | None = None

    def _groups(self, obs: torch.Tensor) -> TensorDict:
        return TensorDict({g: obs.clone() for g in OBS_GROUPS}, batch_size=[self.num_envs], device=self.device)

    def install_frozen_reward(self, reward: LearnedReward | None, source: str = "", gamma: float = 0.99) -> None:
        """Return ``reward`` of (s, s') or (s, a) (its ``disc_input`` metadata) instead of the true reward (None
        restores the true reward). ``gamma``: the learner's discount, for the closed-form absorbing tail
        r_abs / (1 - gamma)."""
        disc_input = "state_next_state" if reward is None else reward.metadata.get("disc_input", "state_next_state")
        if disc_input not in DISC_INPUTS:
            raise ValueError(f"{source or 'reward'}: disc_input must be one of {DISC_INPUTS}, got {disc_input!r}")
        if reward is not None:
            want = 2 * self.obs_dim if disc_input == "state_next_state" else self.obs_dim + self.num_actions
            if reward.feature_dim != want:
                raise ValueError(
                    f"the learned reward reads {reward.feature_dim} features; this task's {disc_input} has {want}"
                )
        self.learned_reward = reward
        self.reward_disc_input = disc_input
        self.reward_source = source
        self.reward_gamma = float(gamma)

    def reward_metadata(self) -> dict[str, str]:
        """What the discriminator features mean (checked when a TRIRL checkpoint is loaded)."""
        return {"disc_features": self.feature_layout}

    def pop_completed_returns(self) -> list[float]:
        """True returns of the episodes finished since the last call."""
        out, self.completed_returns = self.completed_returns, []
        return out

    def _finish_step(
        self,
        obs: torch.Tensor,
        final_obs: torch.Tensor,
        next_obs: torch.Tensor,
        actions: torch.Tensor,
        true_reward: torch.Tensor,
        terminated: torch.Tensor,
        truncated: torch.Tensor,
        absorbing: torch.Tensor | None = None,
    ) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        """Common tail of ``step``: reward choice, return tracking, extras. ``final_obs`` is pre-reset;
        ``absorbing`` marks closed-form (absorbing, absorbing) steps (terminal, reward / (1 - gamma))."""
        dones = terminated | truncated
        self.last_true_reward = true_reward
        self.true_return_buf += true_reward.double()
        self.episode_length_buf += 1
        extras: dict[str, Any] = {
            "time_outs": truncated & ~terminated,
            "final_obs": self._groups(final_obs),
            "log": {"/true_reward": true_reward.mean()},
            "applied_actions": actions,
        }
        if absorbing is not None:
            extras["absorbing"] = absorbing
        if dones.any():
            ids = dones.nonzero().squeeze(-1)
            finished = self.true_return_buf[ids]
            self.completed_returns.extend(finished.tolist())
            extras["log"]["/true_episode_return"] = finished.float().mean()
            self.true_return_buf[ids] = 0.0
            self.episode_length_buf[ids] = 0
        reward = true_reward
        if self.learned_reward is not None:
            second = final_obs if self.reward_disc_input == "state_next_state" else actions
            with torch.no_grad():
                reward = self.learned_reward(torch.cat([obs, second], dim=-1).float()).to(self.device)
            if absorbing is not None:
                reward = with_absorbing_tail(self.learned_reward, reward, absorbing, self.reward_gamma)
        return self._groups(next_obs), reward.float(), dones.long(), extras


# ====================================================================== Gymnasium MuJoCo
class GymMujocoVecEnv(BenchmarkVecEnv):
    """N Gymnasium MuJoCo environments stepped in a loop with same-step auto-reset; actions clipped to bounds.

    With ``absorbing=True`` (DAC, Kostrikov et al. 2019) the observation gets a last "absorbing" flag and a
    termination is not an episode end: the terminating step leads to the absorbing state (zeros, flag 1), and the
    next step, (absorbing, absorbing) with true reward 0, ends the episode. With ``absorbing_tail="closed_form"``
    (default) it ends as a termination flagged in ``extras["absorbing"]``: the learner (TRIRL, or the frozen reward
    installed here) values it as r_abs / (1 - gamma), the absorbing state's whole tail, at once. With "bootstrap"
    it ends as a time-out and the critic learns V(absorbing) by bootstrapping on itself, one backup per iteration
    (after n iterations it holds 1 - gamma^n of the tail). A learned reward thereby prices falling instead of it
    being free (negative logits would otherwise reward early terminations, positive ones survival). True returns
    are unchanged. Actions are clipped to the bounds; ``extras["applied_actions"]`` holds them as executed (zeros
    at (absorbing, absorbing) steps), as the demos store them.
    """

    def __init__(
        self,
        spec: TaskSpec | str,
        num_envs: int,
        seed: int = 0,
        device: str = "cpu",
        absorbing: bool = False,
        absorbing_tail: str = "closed_form",
    ) -> None:
        if absorbing_tail not in ABSORBING_TAILS:
            raise ValueError(f"absorbing_tail must be one of {ABSORBING_TAILS}, got {absorbing_tail!r}")
        self.spec = task_spec(spec) if isinstance(spec, str) else spec
        self.absorbing = absorbing
        self.absorbing_tail = absorbing_tail
        self.envs = [make_gym_env(self.spec) for _ in range(num_envs)]
        space = self.envs[0].action_space
        self.action_low = torch.as_tensor(space.low, dtype=torch.float32, device=device)
        self.action_high = torch.as_tensor(space.high, dtype=torch.float32, device=device)
        self.raw_obs_dim = int(self.envs[0].observation_space.shape[0])
        obs_dim = self.raw_obs_dim + int(absorbing)
        self._setup(num_envs, int(space.shape[0]), obs_dim, self.spec.horizon, device)
        self.feature_layout = f"{self.spec.env_id} observation {self.spec.kwargs}" + (" + absorbing" * absorbing)
        self._in_absorbing = np.zeros(num_envs, dtype=bool)
        self._absorbing_obs = np.concatenate([np.zeros(self.raw_obs_dim), [1.0]])
        self.cfg = {"task": self.spec.name, "env_id": self.spec.env_id, "num_envs": num_envs, "seed": seed}
        self.seed = seed
        first = []
        for i, env in enumerate(self.envs):
            o, _ = env.reset(seed=seed + i)
            env.action_space.seed(seed + i)
            first.append(self._augment(o))
        self._obs = torch.as_tensor(np.stack(first), dtype=torch.float32, device=device)

    def _augment(self, o: np.ndarray) -> np.ndarray:
        return np.concatenate([o, [0.0]]) if self.absorbing else o

    @property
    def unwrapped_model(self) -> Any:
        """The first environment's ``mujoco.MjModel`` (for checks of the dynamics)."""
        return self.envs[0].unwrapped.model

    def get_observations(self) -> TensorDict:
        """Current observation of every environment in each group."""
        return self._groups(self._obs)

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        """Step every environment; finished ones are reset in the same step (``final_obs`` keeps their last obs)."""
        actions = actions.to(self.device).float()
        applied = torch.clamp(actions, self.action_low, self.action_high)
        clipped = applied.cpu().numpy().astype(np.float64)
        final, nxt = [], []
        rew = np.zeros(self.num_envs)
        at_absorbing = np.zeros(self.num_envs, dtype=bool)
        term = np.zeros(self.num_envs, dtype=bool)
        trunc = np.zeros(self.num_envs, dtype=bool)
        for i, env in enumerate(self.envs):
            if self._in_absorbing[i]:  # (absorbing, absorbing): reward 0, then the episode ends
                self._in_absorbing[i] = False
                at_absorbing[i] = True
                if self.absorbing_tail == "closed_form":
                    term[i] = True
                else:
                    trunc[i] = True
                final.append(self._absorbing_obs)
                nxt.append(self._augment(env.reset()[0]))
                continue
            o, rew[i], term[i], trunc[i], _ = env.step(clipped[i])
            if term[i] and self.absorbing:  # the terminating step leads to the absorbing state
                term[i] = trunc[i] = False
                self._in_absorbing[i] = True
                final.append(self._absorbing_obs)
                nxt.append(self._absorbing_obs)
                continue
            final.append(self._augment(o))
            if term[i] or trunc[i]:
                o, _ = env.reset()
            nxt.append(self._augment(o))

        def t(x: Any, dtype: torch.dtype = torch.float32) -> torch.Tensor:
            return torch.as_tensor(np.asarray(x), dtype=dtype, device=self.device)

        obs = self._obs
        self._obs = t(np.stack(nxt))
        absorbing = t(at_absorbing, torch.bool)
        applied = torch.where(absorbing.unsqueeze(-1), torch.zeros_like(applied), applied)
        closed = absorbing if self.absorbing and self.absorbing_tail == "closed_form" else None
        return self._finish_step(
            obs, t(np.stack(final)), self._obs, applied, t(rew), t(term, torch.bool), t(trunc, torch.bool), closed
        )

    def close(self) -> None:
        """Close the Gymnasium environments."""
        for env in self.envs:
            env.close()


# ====================================================================== Point Maze (pure torch)
@dataclass
class PointMazeCfg:
    """A 2-D point in [-1, 1]^2 with a wall at y = 0; the gap is on the right (or, flipped, on the left)."""

    flipped: bool = False
    gap: tuple[float, float] = (0.5, 1.0)
    """x-interval of the opening in the wall (mirrored to (-1.0, -0.5) when flipped)."""
    goal: tuple[float, float] = (0.0, 0.7)
    start_low: tuple[float, float] = (-0.3, -0.8)
    start_high: tuple[float, float] = (0.3, -0.6)
    dt: float = 0.1
    accel_scale: float = 1.0
    damping: float = 0.2
    horizon: int = 100
    expert_gains: tuple[float, float] = (3.0, 2.0)
    expert_noise: float = 0.1

    @property
    def gap_interval(self) -> tuple[float, float]:
        """The opening's x-interval in this variant."""
        lo, hi = self.gap
        return (-hi, -lo) if self.flipped else (lo, hi)


def maze_cfg(task: str) -> PointMazeCfg:
    """The layout of the registered Point Maze task ``task`` (a named error for any other task)."""
    spec = task_spec(task)
    if spec.env_id != "PointMaze":
        mazes = sorted(t for t, s in TASKS.items() if s.env_id == "PointMaze")
        raise ValueError(f"{task!r} is not a Point Maze task; the maze tasks are {mazes}")
    return PointMazeCfg(**spec.kwargs, horizon=spec.horizon)


class PointMazeEnv(BenchmarkVecEnv):
    """Continuous point maze: start below the wall, goal above; true reward -(maze distance to goal); time-outs only.

    ``task`` names the registered layout (``maze_cfg(task)`` unless ``cfg`` is given); without it the layout is
    ``pointmaze`` or ``pointmaze_flipped`` by ``cfg.flipped``."""

    def __init__(
        self,
        num_envs: int,
        cfg: PointMazeCfg | None = None,
        seed: int = 0,
        device: str = "cpu",
        task: str | None = None,
    ) -> None:
        self.cfg = cfg or maze_cfg(task or "pointmaze")
        self._setup(num_envs, 2, 4, self.cfg.horizon, device)
        self.feature_layout = "PointMaze (x, y, vx, vy)"
        self.spec = task_spec(task or ("pointmaze_flipped" if self.cfg.flipped else "pointmaze"))
        self.action_low = -torch.ones(2, device=device)
        self.action_high = torch.ones(2, device=device)
        self.generator = torch.Generator(device=device).manual_seed(seed)
        self.goal = torch.tensor(self.cfg.goal, device=device)
        self.pos = torch.zeros(num_envs, 2, device=device)
        self.vel = torch.zeros(num_envs, 2, device=device)
        self._reset(torch.arange(num_envs, device=device))

    def _obs(self) -> torch.Tensor:
        return torch.cat([self.pos, self.vel], dim=-1)

    def get_observations(self) -> TensorDict:
        """Position and velocity in every group."""
        return self._groups(self._obs())

    def in_gap(self, x: torch.Tensor) -> torch.Tensor:
        """Whether a crossing of the wall at abscissa x passes through the opening."""
        lo, hi = self.cfg.gap_interval
        return (x >= lo) & (x <= hi)

    def maze_distance(self, pos: torch.Tensor) -> torch.Tensor:
        """Shortest-path distance to the goal: straight above the wall, through the best point of the gap below it."""
        lo, hi = self.cfg.gap_interval
        gap = torch.stack([torch.linspace(lo, hi, 21, device=self.device), torch.zeros(21, device=self.device)], -1)
        via = ((pos[:, None, :] - gap[None]).norm(dim=-1) + (gap - self.goal).norm(dim=-1)[None]).min(dim=1).values
        return torch.where(pos[:, 1] < 0.0, via, (pos - self.goal).norm(dim=-1))

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        """Damped double integrator; the arena's border and the wall stop the motion normal to them."""
        c = self.cfg
        a = actions.to(self.device).float()
        obs = self._obs()
        self.vel = (1.0 - c.damping) * self.vel + c.dt * c.accel_scale * a.clamp(-1.0, 1.0)
        new = self.pos + c.dt * self.vel
        outside = new.abs() > 1.0
        new = new.clamp(-1.0, 1.0)  # the arena's border first: a point pressed against it crosses the wall there
        # the wall: a crossing of y = 0 outside the gap is blocked (the y motion stops at the previous y)
        crosses = (self.pos[:, 1] < 0.0) != (new[:, 1] < 0.0)
        frac = (self.pos[:, 1] / (self.pos[:, 1] - new[:, 1]).where(crosses, torch.ones_like(new[:, 1]))).clamp(0, 1)
        x_cross = self.pos[:, 0] + frac * (new[:, 0] - self.pos[:, 0])
        blocked = crosses & ~self.in_gap(x_cross)
        new[:, 1] = torch.where(blocked, self.pos[:, 1], new[:, 1])
        self.vel[:, 1] = torch.where(blocked, torch.zeros_like(self.vel[:, 1]), self.vel[:, 1])
        self.pos = new
        self.vel = torch.where(outside, torch.zeros_like(self.vel), self.vel)
        reward = -self.maze_distance(self.pos)
        truncated = self.episode_length_buf + 1 >= self.max_episode_length
        terminated = torch.zeros_like(truncated)
        final = self._obs()
        if truncated.any():
            self._reset(truncated.nonzero().squeeze(-1), keep_counters=True)
        return self._finish_step(obs, final, self._obs(), a, reward, terminated, truncated)

    def _reset(self, ids: torch.Tensor, keep_counters: bool = False) -> None:
        lo = torch.tensor(self.cfg.start_low, device=self.device)
        hi = torch.tensor(self.cfg.start_high, device=self.device)
        u = torch.rand(len(ids), 2, generator=self.generator, device=self.device)
        self.pos[ids] = lo + u * (hi - lo)
        self.vel[ids] = 0.0
        if not keep_counters:  # _finish_step zeroes the counters of episodes that just ended
            self.episode_length_buf[ids] = 0

    def expert_action(self, obs: torch.Tensor, noise: bool = True) -> torch.Tensor:
        """Scripted waypoint expert: under the gap, up through it, then PD to the goal."""
        kp, kd = self.cfg.expert_gains
        pos, vel = obs[:, :2], obs[:, 2:4]
        lo, hi = self.cfg.gap_interval
        gx = 0.5 * (lo + hi)
        below = pos[:, 1] < 0.05
        aligned = (pos[:, 0] - gx).abs() < 0.12
        target = self.goal.expand_as(pos).clone()
        target[:, 0] = torch.where(below, torch.full_like(pos[:, 0], gx), target[:, 0])
        target[:, 1] = torch.where(below, torch.where(aligned, 0.25, -0.15), target[:, 1])
        a = kp * (target - pos) - kd * vel
        if noise:
            a = a + self.cfg.expert_noise * torch.randn(a.shape, generator=self.generator, device=self.device)
        return a.clamp(-1.0, 1.0)

    def state_dict(self) -> dict:
        """Complete state (positions, velocities, counters, returns, RNG) for exact resume."""
        return {
            "pos": self.pos.clone(),
            "vel": self.vel.clone(),
            "episode_length_buf": self.episode_length_buf.clone(),
            "true_return_buf": self.true_return_buf.clone(),
            "generator": self.generator.get_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`."""
        self.pos = state["pos"].clone()
        self.vel = state["vel"].clone()
        self.episode_length_buf = state["episode_length_buf"].clone()
        self.true_return_buf = state["true_return_buf"].clone()
        self.generator.set_state(state["generator"])


# ====================================================================== evaluation and demonstrations
def run_episodes(
    env: BenchmarkVecEnv, policy: Any, num_episodes: int | None = None, on_step: Callable | None = None
) -> list[float]:
    """True returns of the first episode of every env (or of the first ``num_episodes`` of them) under ``policy``.
    ``on_step(s, extras, alive)``, if given, sees every step: the observation acted on, the step's extras and which
    envs were still in their first episode when it was taken."""
    n = env.num_envs if num_episodes is None else min(num_episodes, env.num_envs)
    env.true_return_buf.zero_()
    env.episode_length_buf.zero_()
    done = torch.zeros(env.num_envs, dtype=torch.bool)
    returns = torch.zeros(env.num_envs, dtype=torch.float64)
    obs = env.get_observations()
    while not bool(done[:n].all()):
        before = env.true_return_buf.clone()
        s = obs["policy"]
        obs, _, dones, extras = env.step(policy(obs))
        if on_step is not None:
            on_step(s, extras, ~done)
        ended = dones.bool().cpu() & ~done
        returns[ended] = (before + env.last_true_reward.double())[ended].cpu()
        done |= ended
    env.pop_completed_returns()
    return returns[:n].tolist()


def evaluate(task: str, policy: Any, num_episodes: int = 10, seed: int = 10_000) -> list[float]:
    """True returns of ``policy`` (a TensorDict -> actions callable) over ``num_episodes`` fresh episodes."""
    env = make_env(task, num_episodes, seed=seed)
    with torch.inference_mode():
        out = run_episodes(env, policy)
    if hasattr(env, "close"):
        env.close()
    return out


def uniform_random_policy(env: BenchmarkVecEnv, seed: int = 0) -> Any:
    """A policy drawing actions uniformly within the action bounds."""
    g = torch.Generator().manual_seed(seed)

    def act(obs: TensorDict) -> torch.Tensor:
        u = torch.rand(env.num_envs, env.num_actions, generator=g)
        return env.action_low.cpu() + u * (env.action_high - env.action_low).cpu()

    return act


def load_demos(path: str) -> dict[str, Any]:
    """Read a demonstration file (datasets as numpy arrays, attributes under ``"attrs"``)."""
    import h5py

    if not os.path.isfile(path):
        raise FileNotFoundError(f"demonstration file not found: {path} (make it with scripts/train_expert.py)")
    with h5py.File(path, "r") as f:
        out: dict[str, Any] = {k: np.asarray(f[k]) for k in f.keys()}
        out["attrs"] = dict(f.attrs)
    return out


def demo_features(demos: dict[str, Any], disc_input: str = "state_next_state", absorbing: bool = False) -> torch.Tensor:
    """Expert discriminator features (s, s') or (s, a) from a demonstration dict.

    ``absorbing``: the layout of GymMujocoVecEnv(absorbing=True): a flag column, terminal transitions lead to the
    absorbing state, and each terminated episode adds one (absorbing, absorbing) transition (action 0).
    """
    obs, nxt, act = demos["obs"], demos["next_obs"], demos["actions"]
    if absorbing:
        term = demos["terminals"].astype(bool)
        flag = np.zeros((len(obs), 1), dtype=np.float32)
        absorbing_obs = np.concatenate([np.zeros(obs.shape[1]), [1.0]]).astype(np.float32)
        obs = np.concatenate([obs, flag], axis=1)
        nxt = np.concatenate([nxt, flag], axis=1)
        nxt[term] = absorbing_obs
        k = int(term.sum())
        obs = np.concatenate([obs, np.tile(absorbing_obs, (k, 1))])
        nxt = np.concatenate([nxt, np.tile(absorbing_obs, (k, 1))])
        act = np.concatenate([act, np.zeros((k, act.shape[1]), dtype=act.dtype)])
    second = nxt if disc_input == "state_next_state" else act
    return torch.as_tensor(np.concatenate([obs, second], axis=1), dtype=torch.float32)


def normalised_return(ret: float, expert: float, random: float) -> float:
    """(R - R_random) / (R_expert - R_random)."""
    return (ret - random) / (expert - random) if not math.isclose(expert, random) else float("nan")
