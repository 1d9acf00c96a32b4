"""The Go2 expert of the paper's setup: plain PPO on a forward-velocity reward (1.0 m/s), on our Go2 asset.

Isaac Lab's flat Go2 velocity task with the packaged robot and ground plane and the command fixed to
vx = 1.0 m/s. Train it (on a GPU) with ``scripts/train.py --task TRIRL-Go2-Expert-Velocity`` and turn it into
the go2_walk clip with ``scripts/record_expert.py`` (see data/motions/README.md).
"""

from isaaclab.utils import configclass
from isaaclab_tasks.core.velocity.config.go2.agents.rsl_rl_ppo_cfg import UnitreeGo2FlatPPORunnerCfg
from isaaclab_tasks.core.velocity.config.go2.flat_env_cfg import UnitreeGo2FlatEnvCfg

from trirl_isaac.assets import GO2_CFG, GO2_NCONMAX, GO2_NJMAX, set_mjwarp_limits, use_local_ground_plane


@configclass
class Go2VelocityExpertEnvCfg(UnitreeGo2FlatEnvCfg):
    """Forward walking at 1.0 m/s with Isaac Lab's velocity-tracking rewards."""

    robot_name: str = "go2"
    """Kinematic model name (clip recording, train.py --video)."""

    def __post_init__(self):
        super().__post_init__()
        self.scene.robot = GO2_CFG.replace(prim_path="{ENV_REGEX_NS}/Robot")
        set_mjwarp_limits(self, GO2_NCONMAX, GO2_NJMAX)
        use_local_ground_plane(self)
        self.scene.sky_light = None  # its texture lives on Isaac Sim's asset server
        ranges = self.commands.base_velocity.ranges
        ranges.lin_vel_x, ranges.lin_vel_y, ranges.ang_vel_z = (1.0, 1.0), (0.0, 0.0), (0.0, 0.0)
        ranges.heading = (0.0, 0.0)
        self.commands.base_velocity.rel_standing_envs = 0.0
        self.rewards.base_height_l2.params["target_height"] = 0.3  # this model stands ~0.3 m high, not 0.4 m


@configclass
class Go2VelocityExpertEnvCfg_PLAY(Go2VelocityExpertEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()


@configclass
class Go2VelocityExpertRunnerCfg(UnitreeGo2FlatPPORunnerCfg):
    def __post_init__(self):
        super().__post_init__()
        self.experiment_name = "go2_velocity_expert"
