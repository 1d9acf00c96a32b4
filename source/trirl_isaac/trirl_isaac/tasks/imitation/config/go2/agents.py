"""Go2 agent configurations: TRIRL training and plain-PPO re-optimisation of a learned reward."""

from isaaclab.utils import configclass

from trirl_isaac.tasks.imitation.agents import PpoRetrainRunnerCfg, TrirlRunnerCfg


@configclass
class Go2WalkRunnerCfg(TrirlRunnerCfg):
    experiment_name = "trirl_go2_walk"


@configclass
class Go2WalkRetrainCfg(PpoRetrainRunnerCfg):
    def __post_init__(self):
        super().__post_init__()
        self.experiment_name = "retrain_go2_walk"
