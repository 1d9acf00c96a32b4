"""Unitree G1 (29 DoF) walking and running from retargeted motion capture."""

import gymnasium as gym

ENTRY = "trirl_isaac.tasks.imitation.env:ImitationEnv"

for name in ("Walk", "Run"):
    for suffix, env_cls in (("", f"G1{name}EnvCfg"), ("-Play", f"G1{name}EnvCfg_PLAY")):
        gym.register(
            id=f"TRIRL-G1-{name}{suffix}",
            entry_point=ENTRY,
            disable_env_checker=True,
            kwargs={
                "env_cfg_entry_point": f"{__name__}.env_cfg:{env_cls}",
                "rsl_rl_cfg_entry_point": f"{__name__}.agents:G1{name}RunnerCfg",
                "rsl_rl_ppo_cfg_entry_point": f"{__name__}.agents:G1{name}RetrainCfg",
                "default_agent": "rsl_rl",
            },
        )
