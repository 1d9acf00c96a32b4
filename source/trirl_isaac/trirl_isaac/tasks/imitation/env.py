"""The imitation environment: Isaac Lab's manager-based RL env plus the expert motion library and reward hook."""

from __future__ import annotations

import torch
from isaaclab.envs import ManagerBasedRLEnv

from trirl_isaac.algo.reward import LearnedReward
from trirl_isaac.algo.trirl import check_reward_compatible
from trirl_isaac.motion.features import quat_rotate_inverse
from trirl_isaac.motion.kinematics import ROBOTS, Kinematics, resolve_mjcf
from trirl_isaac.motion.library import MotionLibrary, MotionSource
from trirl_isaac.motion.schema import load_motion_file
from trirl_isaac.spec import MOTION_DIR, resolve_motion_path  # noqa: F401 (re-exported)
from trirl_isaac.tasks.imitation import mdp
from trirl_isaac.tasks.imitation.env_cfg import ImitationEnvCfg
from trirl_isaac.twin.env import DISC_FEATURES, AbsorbingExpert


def validate_motion_cfg(cfg: ImitationEnvCfg) -> None:
    """Check the task's motion files against the robot's kinematic model (joint names, limits, bodies, length)."""
    m = cfg.motion
    if isinstance(m.files, str):  # a single path given on the command line
        m.files = [m.files]
    if not m.files:
        raise ValueError("motion.files is empty: the task needs at least one expert motion clip")
    if m.weights is not None and len(m.weights) != len(m.files):
        raise ValueError(f"motion.weights has {len(m.weights)} entries for {len(m.files)} motion files")
    kin = Kinematics(resolve_mjcf(cfg.robot_name))
    feet = ROBOTS[cfg.robot_name].feet if cfg.robot_name in ROBOTS else ()
    missing = [b for b in m.key_bodies if b not in kin.body_names]
    if missing:
        raise ValueError(f"motion.key_bodies {missing} are not bodies of robot '{cfg.robot_name}'")
    limits = {n: tuple(kin.joint_limits[i]) for i, n in enumerate(kin.joint_names)}
    for f in m.files:
        load_motion_file(
            resolve_motion_path(f),
            kin.joint_names,
            limits,
            robot=cfg.robot_name,
            clips=m.clips,
            control_dt=cfg.decimation * cfg.sim.dt,
            kinematics=kin,
            feet=feet,
            skip_checks=m.skip_checks,
        )


def mean_forward_velocity(library: MotionLibrary) -> torch.Tensor:
    """Mean base-frame forward speed of all clip frames (the metric's target)."""
    state, _, _ = library.sample_states(4096)
    return quat_rotate_inverse(state.root_quat_w, state.root_lin_vel_w)[:, 0].mean()


class ImitationEnv(ManagerBasedRLEnv):
    """Loads the task's motion clips once the robot exists (joint order and defaults come from the articulation).

    Exposes ``expert_sampler`` (expert (s, s') discriminator features, the same function as the simulated
    discriminator observations) and ``set_learned_reward`` (the reward-correction hook's consumer).
    """

    cfg: ImitationEnvCfg
    reward_is_learned_reward = True
    """The env's reward is exactly the installed learned reward r(s, s') (one term, weight 1/step_dt), so TRIRL may
    reuse the per-step values instead of evaluating its K snapshots again (it checks a subsample every iteration)."""

    motion_library: MotionLibrary
    """The expert clips in the robot's joint order (built once the robot exists, before the managers)."""
    clip_forward_velocity: torch.Tensor
    """Mean base-frame forward speed of the clips (the forward-velocity metric's target)."""
    absorbing: dict[str, torch.Tensor]
    """Per-env absorbing-state flags (:func:`mdp.absorbing_flags`): ``in`` (the env sits in the absorbing state) and
    ``step`` (this step is its (absorbing, absorbing) step)."""

    def __init__(self, cfg: ImitationEnvCfg, render_mode: str | None = None, **kwargs) -> None:
        validate_motion_cfg(cfg)  # fail fast, before the simulator is built
        super().__init__(cfg, render_mode, **kwargs)
        disc_dim = self.observation_manager.group_obs_dim["discriminator"][0]
        if 2 * disc_dim != self.expert_sampler.feature_dim:
            raise ValueError(
                f"motion features ({self.motion_library.feature_dim}) do not match twice the discriminator "
                f"observation ({disc_dim}); check motion.key_bodies against the robot"
            )

    def load_managers(self) -> None:
        """Isaac Lab builds the managers once the simulator has started (the robot's joint names and default pose
        exist); the state their terms read (motion reference, absorbing flags) is created first, so no term has to
        look for it."""
        zeros = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        self.absorbing = {"in": zeros.clone(), "step": zeros.clone()}
        self._load_motion_reference()
        super().load_managers()

    def _load_motion_reference(self) -> None:
        cfg = self.cfg
        robot = self.scene["robot"]
        m = cfg.motion
        weights = m.weights if m.weights is not None else [1.0] * len(m.files)
        self.motion_library = MotionLibrary(
            [MotionSource(resolve_motion_path(f), m.clips, w) for f, w in zip(m.files, weights)],
            robot_joint_names=list(robot.joint_names),
            default_joint_pos=robot.data.default_joint_pos.torch[0],
            key_body_names=list(m.key_bodies),
            control_dt=cfg.decimation * cfg.sim.dt,
            mjcf=resolve_mjcf(cfg.robot_name),
            robot=cfg.robot_name,
            skip_checks=m.skip_checks,
            device=self.device,
            seed=cfg.seed,
        )
        self.expert_sampler = AbsorbingExpert(self.motion_library) if cfg.absorbing_falls else self.motion_library
        self.clip_forward_velocity = mean_forward_velocity(self.motion_library)

    @property
    def key_body_cfg(self):
        """The robot's SceneEntityCfg with the key bodies resolved (body_ids in feature order)."""
        return self.reward_manager.get_term_cfg("learned").params["asset_cfg"]

    def reward_metadata(self) -> dict:
        """What the discriminator features mean; stored with every learned reward and checked when loading one."""
        return {
            "robot": self.cfg.robot_name,
            "joint_names": list(self.scene["robot"].joint_names),
            "key_bodies": list(self.cfg.motion.key_bodies),
            "disc_features": DISC_FEATURES + ("+absorbing" if self.cfg.absorbing_falls else ""),
            "task_cfg": type(self.cfg).__name__,
        }

    def install_frozen_reward(self, reward: LearnedReward, source: str = "reward", gamma: float = 0.99) -> None:
        """Use a saved learned reward as this task's (fixed) reward, after checking it reads these features;
        with ``absorbing_falls`` the (absorbing, absorbing) step returns its whole tail r / (1 - ``gamma``)."""
        try:
            check_reward_compatible(reward.metadata, self.reward_metadata())
        except ValueError as err:
            raise ValueError(f"{source}: {err}") from None
        disc_dim = self.observation_manager.group_obs_dim["discriminator"][0]
        if reward.feature_dim != 2 * disc_dim:
            raise ValueError(
                f"{source}: the reward reads {reward.feature_dim} features, this task provides {2 * disc_dim}"
            )
        self.reward_manager.get_term_cfg("learned").func.set_reward(reward, tail_gamma=float(gamma))
        self.reward_is_learned_reward = False

    def set_learned_reward(self, reward) -> None:
        """Install the current learned reward in the reward manager's learned-reward term."""
        self.reward_manager.get_term_cfg("learned").func.set_reward(reward)

    def step(self, action: torch.Tensor):
        """Isaac Lab's step; with ``absorbing_falls`` ``extras["absorbing"]`` marks the (absorbing, absorbing) steps
        (episode ends whose reward stands for the absorbing state's whole tail, priced by the learner)."""
        out = super().step(action)
        if self.cfg.absorbing_falls:
            self.extras["absorbing"] = mdp.absorbing_flags(self)["step"].clone()
        return out
