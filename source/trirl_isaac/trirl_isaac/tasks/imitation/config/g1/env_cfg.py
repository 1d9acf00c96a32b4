"""G1 imitation task configurations: the base task with the G1, its key bodies and its clips."""

from isaaclab.utils import configclass

from trirl_isaac.assets import G1_29DOF_CFG, set_mjwarp_limits
from trirl_isaac.robots import G1
from trirl_isaac.spec import TASKS
from trirl_isaac.tasks.imitation.env_cfg import ImitationEnvCfg


@configclass
class G1WalkEnvCfg(ImitationEnvCfg):
    """G1 learning to walk like the retargeted walking clip."""

    def __post_init__(self):
        super().__post_init__()
        self.robot_name = G1.name
        self.scene.robot = G1_29DOF_CFG.replace(prim_path="{ENV_REGEX_NS}/Robot")
        set_mjwarp_limits(self, G1.nconmax, G1.njmax)
        self.motion.files = list(TASKS["TRIRL-G1-Walk"].motion_files)
        self.set_key_bodies(list(G1.key_bodies), list(G1.termination_bodies), minimum_height=G1.minimum_base_height)


@configclass
class G1RunEnvCfg(G1WalkEnvCfg):
    """G1 learning to run like the retargeted running clip."""

    def __post_init__(self):
        super().__post_init__()
        self.motion.files = list(TASKS["TRIRL-G1-Run"].motion_files)


@configclass
class G1WalkEnvCfg_PLAY(G1WalkEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()


@configclass
class G1RunEnvCfg_PLAY(G1RunEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()
