"""G1 agent configurations: TRIRL training and plain-PPO re-optimisation of a learned reward."""

from isaaclab.utils import configclass

from trirl_isaac.tasks.imitation.agents import PpoRetrainRunnerCfg, TrirlRunnerCfg


@configclass
class G1WalkRunnerCfg(TrirlRunnerCfg):
    experiment_name = "trirl_g1_walk"


@configclass
class G1RunRunnerCfg(TrirlRunnerCfg):
    experiment_name = "trirl_g1_run"


@configclass
class G1WalkRetrainCfg(PpoRetrainRunnerCfg):
    def __post_init__(self):
        super().__post_init__()
        self.experiment_name = "retrain_g1_walk"


@configclass
class G1RunRetrainCfg(PpoRetrainRunnerCfg):
    def __post_init__(self):
        super().__post_init__()
        self.experiment_name = "retrain_g1_run"
