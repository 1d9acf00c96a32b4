"""Base configuration of the TRIRL imitation tasks: a robot on flat ground learning from motion clips.

The reward manager holds ONE term, the learned reward; every other number is a config field a user overrides
(``env.motion.files=[...]``, ``env.scene.num_envs=...``) without touching code.
"""

from __future__ import annotations

from dataclasses import MISSING

import isaaclab.envs.mdp as base_mdp
from isaaclab.assets import ArticulationCfg
from isaaclab.envs import ManagerBasedRLEnvCfg
from isaaclab.managers import EventTermCfg as EventTerm
from isaaclab.managers import ObservationGroupCfg as ObsGroup
from isaaclab.managers import ObservationTermCfg as ObsTerm
from isaaclab.managers import RewardTermCfg as RewTerm
from isaaclab.managers import SceneEntityCfg
from isaaclab.managers import TerminationTermCfg as DoneTerm
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.sensors import ContactSensorCfg
from isaaclab.sim import SimulationCfg
from isaaclab.terrains import TerrainImporterCfg
from isaaclab.utils import configclass
from isaaclab.utils.noise import UniformNoiseCfg as Unoise
from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg, NewtonCollisionPipelineCfg, NewtonShapeCfg

from trirl_isaac.assets import GROUND_PLANE_USD
from trirl_isaac.spec import IMITATION
from trirl_isaac.tasks.imitation import mdp

_NOISE = IMITATION.policy_noise


@configclass
class MotionCfg:
    """Expert motion clips (HDF5, see data/motions/README.md) and how episodes start from them."""

    files: list[str] = MISSING
    """Clip files; relative paths are resolved against the repository's data/motions/ folder."""
    clips: list[str] | None = None
    """Clip names to use (None: all clips in the files)."""
    weights: list[float] | None = None
    """Sampling weight per clip (None: proportional to duration)."""
    key_bodies: list[str] = MISSING
    """Bodies whose base-frame positions enter the discriminator features (feet, hands)."""
    default_pose_share: float = IMITATION.default_pose_share
    """Share of episodes that start in the default pose instead of a random clip frame."""
    skip_checks: list[str] = []
    """Physical clip checks not to run (names in ``trirl_isaac.motion.checks.CHECKS``), for clips known to be right."""


@configclass
class ImitationSceneCfg(InteractiveSceneCfg):
    """Flat ground (the packaged plane, no cloud assets), the robot and its contact sensor."""

    terrain = TerrainImporterCfg(prim_path="/World/ground", terrain_type="usd", usd_path=GROUND_PLANE_USD)
    robot: ArticulationCfg = MISSING
    contact_forces = ContactSensorCfg(
        prim_path="{ENV_REGEX_NS}/Robot/[^/]*", history_length=IMITATION.contact_history, track_air_time=True
    )


@configclass
class ActionsCfg:
    """Joint position targets around the default pose."""

    joint_pos = base_mdp.JointPositionActionCfg(
        asset_name="robot", joint_names=[".*"], scale=IMITATION.action_scale, use_default_offset=True
    )


@configclass
class ObservationsCfg:
    """policy: what the real robot senses; critic: privileged; discriminator: noise-free features of the state."""

    @configclass
    class PolicyCfg(ObsGroup):
        base_ang_vel = ObsTerm(
            func=base_mdp.base_ang_vel, noise=Unoise(n_min=-_NOISE["base_ang_vel"], n_max=_NOISE["base_ang_vel"])
        )
        projected_gravity = ObsTerm(
            func=base_mdp.projected_gravity,
            noise=Unoise(n_min=-_NOISE["projected_gravity"], n_max=_NOISE["projected_gravity"]),
        )
        joint_pos = ObsTerm(
            func=base_mdp.joint_pos_rel, noise=Unoise(n_min=-_NOISE["joint_pos"], n_max=_NOISE["joint_pos"])
        )
        joint_vel = ObsTerm(
            func=base_mdp.joint_vel_rel, noise=Unoise(n_min=-_NOISE["joint_vel"], n_max=_NOISE["joint_vel"])
        )
        actions = ObsTerm(func=base_mdp.last_action)

        def __post_init__(self):
            self.enable_corruption = True
            self.concatenate_terms = True

    @configclass
    class CriticCfg(ObsGroup):
        base_lin_vel = ObsTerm(func=base_mdp.base_lin_vel)
        base_ang_vel = ObsTerm(func=base_mdp.base_ang_vel)
        projected_gravity = ObsTerm(func=base_mdp.projected_gravity)
        joint_pos = ObsTerm(func=base_mdp.joint_pos_rel)
        joint_vel = ObsTerm(func=base_mdp.joint_vel_rel)
        actions = ObsTerm(func=base_mdp.last_action)
        disc = ObsTerm(func=mdp.disc_features, params={"asset_cfg": MISSING})

        def __post_init__(self):
            self.enable_corruption = False
            self.concatenate_terms = True

    @configclass
    class DiscriminatorCfg(ObsGroup):
        features = ObsTerm(func=mdp.disc_features, params={"asset_cfg": MISSING})

        def __post_init__(self):
            self.enable_corruption = False
            self.concatenate_terms = True

    policy: PolicyCfg = PolicyCfg()
    critic: CriticCfg = CriticCfg()
    discriminator: DiscriminatorCfg = DiscriminatorCfg()


@configclass
class EventsCfg:
    """Reference state initialisation (no domain randomisation by default; add terms here to randomise)."""

    reset_from_motion = EventTerm(func=mdp.reset_from_motion, mode="reset")


@configclass
class RewardsCfg:
    """The learned TRIRL reward is the only reward (its weight undoes Isaac Lab's multiplication by step_dt)."""

    learned = RewTerm(func=mdp.learned_reward, weight=1.0, params={"asset_cfg": MISSING})


@configclass
class TerminationsCfg:
    """Time-out and falls (termination-body contact / base too low / tipped over); with ``absorbing_falls`` a fall
    first leads to the absorbing state and the episode ends one step later (see ``mdp.fall``)."""

    time_out = DoneTerm(func=base_mdp.time_out, time_out=True)
    fall = DoneTerm(
        func=mdp.fall,
        params={
            "sensor_cfg": SceneEntityCfg("contact_forces", body_names=MISSING),
            "threshold": IMITATION.contact_threshold,
            "minimum_height": MISSING,
            "limit_angle": IMITATION.limit_angle,
        },
    )


@configclass
class ImitationEnvCfg(ManagerBasedRLEnvCfg):
    """Robot-independent part of the TRIRL imitation tasks."""

    sim: SimulationCfg = SimulationCfg(
        physics=NewtonCfg(
            solver_cfg=MJWarpSolverCfg(
                njmax=400,
                nconmax=64,
                cone="pyramidal",
                impratio=1.0,
                integrator="implicitfast",
                use_mujoco_contacts=False,
            ),
            collision_cfg=NewtonCollisionPipelineCfg(),
            num_substeps=IMITATION.physics_substeps,
            debug_mode=False,
            default_shape_cfg=NewtonShapeCfg(margin=0.0, ke=IMITATION.contact_stiffness, kd=IMITATION.contact_damping),
        )
    )
    scene: ImitationSceneCfg = ImitationSceneCfg(num_envs=4096, env_spacing=2.5)
    observations: ObservationsCfg = ObservationsCfg()
    actions: ActionsCfg = ActionsCfg()
    events: EventsCfg = EventsCfg()
    rewards: RewardsCfg = RewardsCfg()
    terminations: TerminationsCfg = TerminationsCfg()
    motion: MotionCfg = MotionCfg()
    absorbing_falls: bool = IMITATION.absorbing_falls
    """Falls lead to an absorbing state priced by the learned reward (a flag column after the features)."""
    robot_name: str = MISSING
    """Robot id ("g1", "go2"): motion files must be for it, its MJCF gives clip kinematics, rewards store it."""

    def __post_init__(self):
        self.decimation = IMITATION.decimation
        self.episode_length_s = IMITATION.episode_length_s
        self.sim.dt = IMITATION.sim_dt
        self.sim.render_interval = self.decimation
        self.scene.contact_forces.update_period = self.sim.dt
        # (s, s') pairs at episode ends need the observation before the reset
        self.compute_final_obs = True
        # the reward manager multiplies by step_dt; the learned reward should reach the agent unscaled
        self.rewards.learned.weight = 1.0 / (self.decimation * self.sim.dt)

    def set_key_bodies(self, key_bodies: list[str], base_bodies: list[str], minimum_height: float) -> None:
        """Wire robot-specific body names into the observation, reward and termination terms."""
        self.motion.key_bodies = key_bodies
        asset = SceneEntityCfg("robot", body_names=key_bodies, preserve_order=True)
        self.observations.discriminator.features.params["asset_cfg"] = asset
        self.observations.critic.disc.params["asset_cfg"] = asset
        self.rewards.learned.params["asset_cfg"] = asset
        self.terminations.fall.params["sensor_cfg"] = SceneEntityCfg("contact_forces", body_names=base_bodies)
        self.terminations.fall.params["minimum_height"] = minimum_height

    def play_mode(self):
        """Fewer envs, no noise, episodes from clip frames only."""
        super().play_mode()
        self.scene.num_envs = 16
        self.observations.policy.enable_corruption = False
        self.motion.default_pose_share = 0.0
