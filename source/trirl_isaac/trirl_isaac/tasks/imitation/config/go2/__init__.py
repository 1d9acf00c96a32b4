"""Unitree Go2 trotting at 1 m/s."""

import gymnasium as gym

for suffix, env_cls in (("", "Go2WalkEnvCfg"), ("-Play", "Go2WalkEnvCfg_PLAY")):
    gym.register(
        id=f"TRIRL-Go2-Walk{suffix}",
        entry_point="trirl_isaac.tasks.imitation.env:ImitationEnv",
        disable_env_checker=True,
        kwargs={
            "env_cfg_entry_point": f"{__name__}.env_cfg:{env_cls}",
            "rsl_rl_cfg_entry_point": f"{__name__}.agents:Go2WalkRunnerCfg",
            "rsl_rl_ppo_cfg_entry_point": f"{__name__}.agents:Go2WalkRetrainCfg",
            "default_agent": "rsl_rl",
        },
    )

for suffix, env_cls in (("", "Go2VelocityExpertEnvCfg"), ("-Play", "Go2VelocityExpertEnvCfg_PLAY")):
    gym.register(
        id=f"TRIRL-Go2-Expert-Velocity{suffix}",
        entry_point="isaaclab.envs:ManagerBasedRLEnv",
        disable_env_checker=True,
        kwargs={
            "env_cfg_entry_point": f"{__name__}.expert_cfg:{env_cls}",
            "rsl_rl_cfg_entry_point": f"{__name__}.expert_cfg:Go2VelocityExpertRunnerCfg",
            "default_agent": "rsl_rl",
        },
    )
