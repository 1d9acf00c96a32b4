"""Go2 imitation task configuration: the base task with the Go2, its feet and its trot clip."""

from isaaclab.utils import configclass

from trirl_isaac.assets import GO2_CFG, set_mjwarp_limits
from trirl_isaac.robots import GO2
from trirl_isaac.spec import TASKS
from trirl_isaac.tasks.imitation.env_cfg import ImitationEnvCfg


@configclass
class Go2WalkEnvCfg(ImitationEnvCfg):
    """Go2 learning to trot like the go2_walk clip."""

    def __post_init__(self):
        super().__post_init__()
        self.robot_name = GO2.name
        self.scene.robot = GO2_CFG.replace(prim_path="{ENV_REGEX_NS}/Robot")
        set_mjwarp_limits(self, GO2.nconmax, GO2.njmax)
        self.motion.files = list(TASKS["TRIRL-Go2-Walk"].motion_files)
        self.set_key_bodies(list(GO2.key_bodies), list(GO2.termination_bodies), minimum_height=GO2.minimum_base_height)


@configclass
class Go2WalkEnvCfg_PLAY(Go2WalkEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()
