"""The MuJoCo twin of an imitation task: an rsl_rl ``VecEnv`` that is the Isaac Lab task, run by native MuJoCo.

Same task as the Isaac Lab env (:mod:`trirl_isaac.tasks.imitation`), from the same definitions:

* observations: ``policy`` in the exact layout the Isaac Lab task exports in ``policy.json`` (with the same noise
  in training, none in play mode), ``critic`` (privileged) and ``discriminator`` (the features of
  :mod:`trirl_isaac.motion.features`), term order from :data:`trirl_isaac.spec.IMITATION`;
* actions: joint position offsets x ``action_scale`` around the default pose, the robot module's actuators
  (:mod:`trirl_isaac.twin.model`), the same physics step and decimation;
* episodes: reference-state initialisation from the same :class:`~trirl_isaac.motion.library.MotionLibrary`, the
  same fall terminations (termination-body contact, base too low, tilt) and time-out;
* reward: the learned reward r(s, s') on the discriminator features (zero until one is installed), or, for an
  expert, a user-supplied ``task_reward`` function of the twin.

With ``absorbing=True`` (the spec's default, as in the Isaac Lab tasks) a fall is not the end of the world (DAC,
Kostrikov et al. 2019): the discriminator features get a last "absorbing" flag, the falling step leads to the
absorbing state (zeros, flag 1), and the next step, (absorbing, absorbing), ends the episode flagged in
``extras["absorbing"]``: a learner (TRIRL, or the frozen reward installed here) values it as r_abs / (1 - gamma),
the absorbing state's whole tail. Under a log-ratio reward that is negative on most policy states, falling then
costs what it should instead of ending the negative rewards early.

With ``num_threads > 1`` the physics steps the envs in that many blocks on a thread pool: MuJoCo's Python
``mj_step`` releases the GIL, and every env keeps its own ``MjData`` (its solver warm start included), so the result
is the serial twin's bit for bit. (``mujoco.rollout`` offers a thread pool too, but it starts each call from a
state vector without the solver's warm start and returns none, so stepping through it would change the physics.)
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import mujoco
import numpy as np
import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from trirl_isaac.algo.reward import with_absorbing_tail
from trirl_isaac.motion.features import RobotState, discriminator_features, quat_rotate, quat_rotate_inverse
from trirl_isaac.motion.kinematics import resolve_mjcf
from trirl_isaac.motion.library import MotionLibrary, MotionSource
from trirl_isaac.robots import ROBOTS
from trirl_isaac.spec import IMITATION, TASKS, ImitationSpec, resolve_motion_path
from trirl_isaac.twin.model import Dynamics, TwinModel, build_twin_model, pd_torque

DISC_FEATURES = "trirl_isaac.motion.features.discriminator_features:v1"
"""The feature version the Isaac Lab tasks store in reward metadata (the twin's features are the same)."""


class AbsorbingExpert:
    """An expert sampler whose (s, s') rows get the absorbing flag 0 after s and after s' (experts never fall)."""

    def __init__(self, sampler: Any) -> None:
        self.sampler = sampler
        self.feature_dim = int(sampler.feature_dim) + 2

    def sample(self, n: int) -> torch.Tensor:
        """n expert rows (n, feature_dim)."""
        x = self.sampler.sample(n)
        s, s_next = x.chunk(2, dim=-1)
        zero = torch.zeros(n, 1, dtype=x.dtype, device=x.device)
        return torch.cat([s, zero, s_next, zero], dim=-1)


class TwinEnv(VecEnv):
    """``num_envs`` independent MuJoCo worlds of one imitation task (see the module docstring)."""

    def __init__(
        self,
        task: str,
        num_envs: int,
        *,
        motion_files: list[str] | None = None,
        seed: int = 0,
        play: bool = False,
        absorbing: bool | None = None,
        task_reward: Callable[[TwinEnv], torch.Tensor] | None = None,
        default_pose_share: float | None = None,
        spec: ImitationSpec = IMITATION,
        dynamics: Dynamics | None = None,
        device: str = "cpu",
        num_threads: int = 1,
    ) -> None:
        if task not in TASKS:
            raise ValueError(f"unknown twin task {task!r} (known: {sorted(TASKS)})")
        if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f"num_threads must be an integer >= 1, got {num_threads!r}")
        self.task = TASKS[task]
        self.task_name = task
        self.robot = ROBOTS[self.task.robot]
        self.spec = spec
        self.tm: TwinModel = build_twin_model(self.robot, spec, dynamics)
        self.dynamics = self.tm.dynamics
        self.model = self.tm.model
        self.datas = [mujoco.MjData(self.model) for _ in range(num_envs)]
        self.num_envs = num_envs
        self.num_threads = min(num_threads, num_envs)
        self._blocks = [b for b in np.array_split(np.arange(num_envs), self.num_threads) if len(b)]
        self._pool = ThreadPoolExecutor(self.num_threads, "twin-physics") if self.num_threads > 1 else None
        self.num_actions = len(self.robot.joint_names)
        self.device = device
        self.max_episode_length = spec.max_episode_length
        self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long)
        self.step_dt = spec.control_dt
        self.play = play
        self.absorbing = spec.absorbing_falls if absorbing is None else absorbing
        absorbing = self.absorbing
        self.task_reward = task_reward
        self.default_pose_share = spec.default_pose_share if default_pose_share is None else default_pose_share
        if play and default_pose_share is None:
            self.default_pose_share = 0.0
        self.rng = np.random.default_rng(seed)
        self.torch_gen = torch.Generator().manual_seed(seed)
        files = list(self.task.motion_files if motion_files is None else motion_files)
        self.motion_files = [str(resolve_motion_path(f)) for f in files]
        self.motion_library = MotionLibrary(
            [MotionSource(f) for f in self.motion_files],
            robot_joint_names=list(self.robot.joint_names),
            default_joint_pos=torch.as_tensor(self.tm.default_joint_pos, dtype=torch.float32),
            key_body_names=list(self.robot.key_bodies),
            control_dt=self.step_dt,
            mjcf=resolve_mjcf(self.robot.name),
            robot=self.robot.name,
            seed=seed,
        )
        self.expert_sampler = AbsorbingExpert(self.motion_library) if absorbing else self.motion_library
        self.cfg = {"task": task, "num_envs": num_envs, "seed": seed, "absorbing": absorbing, "play": play}
        self.learned_reward = None
        self.reward_gamma = 0.99
        self.frozen = False
        j = self.num_actions
        self.actions = torch.zeros(num_envs, j)
        self._targets = np.tile(self.tm.default_joint_pos, (num_envs, 1))
        self._in_absorbing = np.zeros(num_envs, dtype=bool)
        self.disc_dim = 2 * j + 10 + 3 * len(self.robot.key_bodies) + int(absorbing)
        self.last_torque = np.zeros((num_envs, j))
        self._cache: dict[str, np.ndarray] | None = None
        self._base_com = self.model.body_ipos[self.tm.base_body].copy()
        self.foot_contact = np.zeros((num_envs, len(self.robot.feet)), dtype=bool)
        """(N, F) foot contacts at the end of the last policy step (gait statistics, air-time rewards)."""
        self._reset(np.arange(num_envs))
        self._disc = self._disc_features()

    # ------------------------------------------------------------------ state
    def _gather(self) -> dict[str, np.ndarray]:
        """Every env's state as arrays, cached until the next physics step or state change."""
        if self._cache is not None:
            return self._cache
        tm = self.tm
        for d in self.datas:  # mj_step leaves body poses at the state before its integration: bring them up to date
            mujoco.mj_kinematics(self.model, d)
        qpos = np.stack([d.qpos for d in self.datas])
        qvel = np.stack([d.qvel for d in self.datas])
        self._cache = {
            "root_pos": qpos[:, 0:3],
            "root_quat": qpos[:, 3:7],
            "root_lin_vel_w": qvel[:, 0:3],
            "root_ang_vel_b": qvel[:, 3:6],
            "joint_pos": qpos[:, tm.qpos_adr],
            "joint_vel": qvel[:, tm.dof_adr],
            "key_pos": np.stack([d.xpos[tm.key_bodies] for d in self.datas]),
        }
        return self._cache

    def robot_state(self) -> RobotState:
        """The simulated state in the layout shared with motion clips (world = env frame, as in Isaac Lab)."""
        g = self._gather()
        t = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in g.items()}
        return RobotState(
            root_pos_w=t["root_pos"],
            root_quat_w=t["root_quat"],
            root_lin_vel_w=t["root_lin_vel_w"],
            root_ang_vel_w=quat_rotate(t["root_quat"], t["root_ang_vel_b"]),
            joint_pos=t["joint_pos"],
            joint_vel=t["joint_vel"],
            key_body_pos_w=t["key_pos"],
        )

    def set_state(self, state: RobotState, ids: np.ndarray | None = None) -> None:
        """Put envs ``ids`` (default all) in ``state`` (joint positions as given, not clamped), then forward."""
        ids = np.arange(self.num_envs) if ids is None else np.asarray(ids)
        tm = self.tm
        self._cache = None
        quat = state.root_quat_w / state.root_quat_w.norm(dim=-1, keepdim=True)
        ang_b = quat_rotate_inverse(quat, state.root_ang_vel_w)
        for k, i in enumerate(ids):
            d = self.datas[i]
            mujoco.mj_resetData(self.model, d)
            d.qpos[0:3] = state.root_pos_w[k].numpy()
            d.qpos[3:7] = quat[k].numpy()
            d.qpos[tm.qpos_adr] = state.joint_pos[k].numpy()
            d.qvel[0:3] = state.root_lin_vel_w[k].numpy()
            d.qvel[3:6] = ang_b[k].numpy()
            d.qvel[tm.dof_adr] = state.joint_vel[k].numpy()
            mujoco.mj_forward(self.model, d)
        if hasattr(self, "_disc"):  # the discriminator observation follows the new state
            self._disc[torch.as_tensor(ids)] = self._disc_features()[torch.as_tensor(ids)]

    def _reset(self, ids: np.ndarray) -> None:
        """Reference state initialisation: random clip frames; ``default_pose_share`` of them the default pose."""
        if len(ids) == 0:
            return
        tm = self.tm
        n = len(ids)
        state = RobotState(
            root_pos_w=torch.tensor([[0.0, 0.0, self.robot.root_height]]).repeat(n, 1),
            root_quat_w=torch.tensor([[1.0, 0.0, 0.0, 0.0]]).repeat(n, 1),
            root_lin_vel_w=torch.zeros(n, 3),
            root_ang_vel_w=torch.zeros(n, 3),
            joint_pos=torch.as_tensor(tm.default_joint_pos, dtype=torch.float32).repeat(n, 1),
            joint_vel=torch.zeros(n, self.num_actions),
            key_body_pos_w=torch.zeros(n, len(self.robot.key_bodies), 3),
        )
        from_clip = torch.as_tensor(self.rng.random(n) >= self.default_pose_share)
        k = int(from_clip.sum())
        if k > 0:
            clip, _, _ = self.motion_library.sample_states(k)
            idx = from_clip.nonzero().squeeze(-1)
            lo = torch.as_tensor(tm.soft_limits[:, 0], dtype=torch.float32)
            hi = torch.as_tensor(tm.soft_limits[:, 1], dtype=torch.float32)
            state.root_pos_w[idx, 2] = clip.root_pos_w[:, 2]  # xy at the origin; height and attitude from the clip
            state.root_quat_w[idx] = clip.root_quat_w
            state.root_lin_vel_w[idx] = clip.root_lin_vel_w
            state.root_ang_vel_w[idx] = clip.root_ang_vel_w
            state.joint_pos[idx] = torch.maximum(torch.minimum(clip.joint_pos, hi), lo)
            state.joint_vel[idx] = clip.joint_vel
        self.set_state(state, ids)
        self.actions[torch.as_tensor(ids)] = 0.0
        self._targets[ids] = tm.default_joint_pos
        self.episode_length_buf[torch.as_tensor(ids)] = 0
        self._in_absorbing[ids] = False

    # ------------------------------------------------------------------ observations
    def _disc_features(self) -> torch.Tensor:
        x = discriminator_features(self.robot_state(), torch.as_tensor(self.tm.default_joint_pos, dtype=torch.float32))
        if self.absorbing:
            x = torch.cat([x, torch.zeros(self.num_envs, 1)], dim=-1)
        return x

    def _absorbing_features(self, n: int) -> torch.Tensor:
        x = torch.zeros(n, self.disc_dim)
        x[:, -1] = 1.0
        return x

    def observation_terms(self) -> dict[str, torch.Tensor]:
        """Every observation term, noise-free, by the names of :data:`trirl_isaac.spec.IMITATION`'s term lists."""
        g = self._gather()
        q = torch.as_tensor(g["root_quat"], dtype=torch.float32)
        gravity = torch.tensor([0.0, 0.0, -1.0]).expand(self.num_envs, 3)
        return {
            # Isaac Lab's base_lin_vel is the centre of mass's velocity (root_com_lin_vel_b), the clips' the frame's
            "base_lin_vel": quat_rotate_inverse(q, torch.as_tensor(g["root_lin_vel_w"], dtype=torch.float32))
            + torch.as_tensor(np.cross(g["root_ang_vel_b"], self._base_com), dtype=torch.float32),
            "base_ang_vel": torch.as_tensor(g["root_ang_vel_b"], dtype=torch.float32),
            "projected_gravity": quat_rotate_inverse(q, gravity),
            "joint_pos": torch.as_tensor(g["joint_pos"] - self.tm.default_joint_pos, dtype=torch.float32),
            "joint_vel": torch.as_tensor(g["joint_vel"], dtype=torch.float32),
            "actions": self.actions.clone(),
        }

    def _observations(self, disc: torch.Tensor, terms: dict[str, torch.Tensor] | None = None) -> TensorDict:
        """The observation groups from ``disc`` and the observation terms (computed now unless given)."""
        terms = dict(self.observation_terms() if terms is None else terms)
        policy = []
        for name in self.spec.policy_terms:
            x = terms[name]
            width = 0.0 if self.play else self.spec.policy_noise.get(name, 0.0)
            if width > 0.0:
                x = x + (torch.rand(x.shape, generator=self.torch_gen) * 2.0 - 1.0) * width
            policy.append(x)
        terms["disc"] = disc
        critic = [terms[name] for name in self.spec.critic_terms]
        return TensorDict(
            {"policy": torch.cat(policy, -1), "critic": torch.cat(critic, -1), "discriminator": disc.clone()},
            batch_size=[self.num_envs],
        )

    def get_observations(self) -> TensorDict:
        """The current observation groups (``policy``, ``critic``, ``discriminator``)."""
        return self._observations(self._disc)

    # ------------------------------------------------------------------ stepping
    def joint_torques(self, targets: np.ndarray) -> np.ndarray:
        """The torques (N, J) the actuators apply now for joint position ``targets`` (Isaac Lab's formulas)."""
        if self._cache is not None:
            q, qd = self._cache["joint_pos"], self._cache["joint_vel"]
        else:
            q = np.stack([d.qpos[self.tm.qpos_adr] for d in self.datas])
            qd = np.stack([d.qvel[self.tm.dof_adr] for d in self.datas])
        return pd_torque(self.tm, targets, q, qd)

    def _physics_step(self, record_contacts: bool, last: bool) -> np.ndarray:
        tm = self.tm
        torque = self.joint_torques(self._targets)
        self.last_torque = torque
        ctrl = np.where(tm.explicit, torque, self._targets)
        self._cache = None
        if self._pool is None:
            self._step_block(np.arange(self.num_envs), ctrl)
        else:  # list() waits for every block and re-raises a block's error here
            list(self._pool.map(self._step_block, self._blocks, [ctrl] * len(self._blocks)))
        if not (record_contacts or last):
            return np.zeros(self.num_envs, dtype=bool)
        sensors = np.stack([d.sensordata for d in self.datas])
        if last:
            self.foot_contact = np.linalg.norm(sensors[:, tm.foot_force_adr], axis=-1) > self.spec.contact_threshold
        if not record_contacts:
            return np.zeros(self.num_envs, dtype=bool)
        force = np.linalg.norm(sensors[:, tm.termination_force_adr], axis=-1)
        return (force > self.spec.contact_threshold).any(axis=1)

    def _step_block(self, ids: np.ndarray, ctrl: np.ndarray) -> None:
        """One physics step of the envs ``ids`` (a thread's block; ``mj_step`` runs without the GIL)."""
        act, model, n = self.tm.act_ids, self.model, self.spec.physics_substeps
        for i in ids:
            d = self.datas[i]
            d.ctrl[act] = ctrl[i]
            mujoco.mj_step(model, d, nstep=n)

    def fallen(self, contact: np.ndarray) -> np.ndarray:
        """Fall terminations of the Isaac Lab task: termination-body contact, base too low, tilted too far."""
        g = self._gather()
        q = torch.as_tensor(g["root_quat"], dtype=torch.float32)
        up = quat_rotate_inverse(q, torch.tensor([0.0, 0.0, -1.0]).expand(self.num_envs, 3))[:, 2].numpy()
        tilt = np.arccos(np.clip(-up, -1.0, 1.0))
        return contact | (g["root_pos"][:, 2] < self.robot.minimum_base_height) | (tilt > self.spec.limit_angle)

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        """One policy step of every env; finished ones are reset in the same step (``final_obs`` is pre-reset)."""
        actions = actions.detach().to("cpu", torch.float32)
        if actions.shape != (self.num_envs, self.num_actions):
            raise ValueError(f"actions of shape {tuple(actions.shape)}, expected {(self.num_envs, self.num_actions)}")
        in_abs = self._in_absorbing.copy()
        self.actions = torch.where(torch.as_tensor(in_abs).unsqueeze(-1), torch.zeros_like(actions), actions)
        self._targets = self.tm.default_joint_pos + self.spec.action_scale * self.actions.numpy().astype(np.float64)
        contact = np.zeros(self.num_envs, dtype=bool)
        for k in range(self.spec.decimation):
            record = k >= self.spec.decimation - self.spec.contact_history
            contact |= self._physics_step(record_contacts=record, last=k == self.spec.decimation - 1)
        self.episode_length_buf += 1
        s = self._disc
        s_next = self._disc_features()
        fell = self.fallen(contact) & ~in_abs
        time_out = (self.episode_length_buf >= self.max_episode_length).numpy() & ~fell & ~in_abs
        terms = self.observation_terms()
        if self.absorbing:
            s_next[torch.as_tensor(fell | in_abs)] = self._absorbing_features(1)
            terminated = in_abs  # (absorbing, absorbing) ends the episode; the fall itself leads there
            self._in_absorbing = fell.copy()
        else:
            terminated = fell
        reward = self._reward(s, s_next, torch.as_tensor(in_abs), terms)
        extras: dict[str, Any] = {
            "time_outs": torch.as_tensor(time_out),
            "final_obs": self._observations(s_next, terms),  # the pre-reset state the terms were read from
            "applied_actions": self.actions.clone(),
            "log": {"/metrics/forward_velocity": terms["base_lin_vel"][:, 0].mean()},
        }
        extras["log"].update(getattr(self.task_reward, "log", {}))
        if self.absorbing:
            extras["absorbing"] = torch.as_tensor(in_abs)
        done = terminated | time_out
        self._reset(np.nonzero(done)[0])
        self._disc = self._disc_features()
        if self.absorbing:  # an env that just fell sits in the absorbing state until its next step
            self._disc[torch.as_tensor(self._in_absorbing)] = self._absorbing_features(1)
        return self.get_observations(), reward, torch.as_tensor(done).long(), extras

    def _reward(self, s, s_next, at_absorbing, terms) -> torch.Tensor:
        if self.task_reward is not None:
            return self.task_reward(self, terms).float()
        if self.learned_reward is None:
            return torch.zeros(self.num_envs)
        with torch.no_grad():
            r = self.learned_reward(torch.cat([s, s_next], dim=-1)).float().view(-1)
        if self.frozen and self.absorbing:
            r = with_absorbing_tail(self.learned_reward, r, at_absorbing, self.reward_gamma)
        return r

    # ------------------------------------------------------------------ TRIRL's env contract (algo.expert.TrirlEnv)
    reward_is_learned_reward = True
    """The reward is exactly the installed learned reward (unless ``task_reward`` is set)."""

    def reward_metadata(self) -> dict:
        """What the features mean: the Isaac Lab task's metadata (rewards move between the two simulators)."""
        return {
            "robot": self.robot.name,
            "joint_names": list(self.robot.joint_names),
            "key_bodies": list(self.robot.key_bodies),
            "disc_features": DISC_FEATURES + ("+absorbing" if self.absorbing else ""),
            "task_cfg": self.task.env_cfg,
        }

    def set_learned_reward(self, reward) -> None:
        """The reward-correction hook: use the corrected reward from now on (TRIRL adds the absorbing tail)."""
        self.learned_reward = reward
        self.frozen = False

    def install_frozen_reward(self, reward, source: str = "reward", gamma: float = 0.99) -> None:
        """Return a saved learned reward (plain PPO re-optimising it), its absorbing tail in closed form."""
        from trirl_isaac.algo.trirl import check_reward_compatible

        try:
            check_reward_compatible(reward.metadata, self.reward_metadata())
        except ValueError as err:
            raise ValueError(f"{source}: {err}") from None
        if reward.feature_dim != 2 * self.disc_dim:
            raise ValueError(
                f"{source}: the reward reads {reward.feature_dim} features, this task has {2 * self.disc_dim}"
            )
        self.learned_reward = reward
        self.frozen = True
        self.reward_gamma = float(gamma)
        self.reward_is_learned_reward = False

    def observation_layout(self) -> list[dict[str, Any]]:
        """The policy observation's terms as ``policy.json`` lists them: name, start, size."""
        terms = self.observation_terms()
        layout, start = [], 0
        for name in self.spec.policy_terms:
            size = int(terms[name].shape[-1])
            layout.append({"term": name, "start": start, "size": size})
            start += size
        return layout

    def deployment_metadata(self) -> dict[str, Any]:
        """What ``policy.json`` holds, as the Isaac Lab task exports it (see ``tasks.imitation.export``)."""
        from trirl_isaac.tasks.imitation.export import actuator_metadata

        layout = self.observation_layout()
        return {
            "task_cfg": self.task.env_cfg,
            "robot": self.robot.name,
            "joint_names": list(self.robot.joint_names),
            "default_joint_pos": self.tm.default_joint_pos.tolist(),
            "action": {"type": "joint_position_offset", "scale": self.spec.action_scale, "offset": "default_joint_pos"},
            "observation": {
                "size": sum(e["size"] for e in layout),
                "layout": layout,
                "notes": "joint_pos/vel relative to defaults",
            },
            "control_dt": self.step_dt,
            **actuator_metadata(self.robot.name),
        }

    def state_dict(self) -> dict[str, Any]:
        """State a resumed run needs beyond the networks: the dynamics it trained on (what differs from the task's)
        and the task reward's (the expert's command curriculum)."""
        state: dict[str, Any] = {"dynamics": self.dynamics.changed()}
        reward_state = getattr(self.task_reward, "state_dict", None)
        if reward_state is not None:
            state["task_reward"] = reward_state()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`. A checkpoint of another kind of run, or one trained on other dynamics, is a
        named error (checkpoints written before the dynamics were stored are not checked)."""
        if "dynamics" in state and state["dynamics"] != self.dynamics.changed():

            def what(changed: dict[str, float]) -> str:
                return f"dynamics {changed}" if changed else "the task's dynamics"

            raise ValueError(
                f"the checkpoint was trained on {what(state['dynamics'])}, this twin runs "
                f"{what(self.dynamics.changed())}: resume with the same --dynamics (to start PPO from its actor on "
                "new dynamics: --init_actor)"
            )
        if "task_reward" in state:
            if not hasattr(self.task_reward, "load_state_dict"):
                raise ValueError("the checkpoint holds a task-reward state, but this twin has no task reward")
            self.task_reward.load_state_dict(state["task_reward"])

    def close(self) -> None:
        """Stop the physics thread pool, if any (MuJoCo data are freed with the env)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
