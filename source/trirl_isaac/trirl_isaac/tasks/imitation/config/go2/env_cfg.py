"""Go2 imitation task configuration: the base task with the Go2, its feet and its trot clip."""

from isaaclab.utils import configclass

from trirl_isaac.assets import GO2_BASE_BODY, GO2_CFG, GO2_KEY_BODIES, GO2_NCONMAX, GO2_NJMAX, set_mjwarp_limits
from trirl_isaac.tasks.imitation.env_cfg import ImitationEnvCfg


@configclass
class Go2WalkEnvCfg(ImitationEnvCfg):
    """Go2 learning to trot like the go2_walk clip."""

    def __post_init__(self):
        super().__post_init__()
        self.robot_name = "go2"
        self.scene.robot = GO2_CFG.replace(prim_path="{ENV_REGEX_NS}/Robot")
        set_mjwarp_limits(self, GO2_NCONMAX, GO2_NJMAX)
        self.motion.files = ["go2_walk.h5"]
        self.set_key_bodies(GO2_KEY_BODIES, [GO2_BASE_BODY], minimum_height=0.15)


@configclass
class Go2WalkEnvCfg_PLAY(Go2WalkEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()
