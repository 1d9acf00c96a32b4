"""G1 imitation task configurations: the base task with the G1, its key bodies and its clips."""

from isaaclab.utils import configclass

from trirl_isaac.assets import (
    G1_29DOF_CFG,
    G1_BASE_BODY,
    G1_KEY_BODIES,
    G1_NCONMAX,
    G1_NJMAX,
    G1_TORSO_BODY,
    set_mjwarp_limits,
)
from trirl_isaac.tasks.imitation.env_cfg import ImitationEnvCfg


@configclass
class G1WalkEnvCfg(ImitationEnvCfg):
    """G1 learning to walk like the retargeted walking clip."""

    def __post_init__(self):
        super().__post_init__()
        self.robot_name = "g1"
        self.scene.robot = G1_29DOF_CFG.replace(prim_path="{ENV_REGEX_NS}/Robot")
        set_mjwarp_limits(self, G1_NCONMAX, G1_NJMAX)
        self.motion.files = ["g1_walk.h5"]
        self.set_key_bodies(G1_KEY_BODIES, [G1_BASE_BODY, G1_TORSO_BODY], minimum_height=0.35)


@configclass
class G1RunEnvCfg(G1WalkEnvCfg):
    """G1 learning to run like the retargeted running clip."""

    def __post_init__(self):
        super().__post_init__()
        self.motion.files = ["g1_run.h5"]


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
