"""Record simulated rollouts as motion clips (our HDF5 schema): headless playback and expert-clip recording."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from trirl_isaac.motion.schema import MotionClip
from trirl_isaac.tasks.imitation import mdp


@torch.inference_mode()
def record_rollout(
    vec_env,
    policy: Callable[[object], torch.Tensor],
    num_steps: int,
    env_ids: list[int],
    name_prefix: str,
    how_made: str,
    key_bodies: list[str],
) -> list[MotionClip]:
    """Run ``policy`` for num_steps control steps and return one clip per env in env_ids (cut at its first reset).

    Works on any Isaac Lab task whose articulation is called ``robot`` (imitation tasks, velocity tasks, ...).
    """
    from isaaclab.managers import SceneEntityCfg

    env = vec_env.unwrapped
    robot = env.scene["robot"]
    asset = SceneEntityCfg("robot", body_names=list(key_bodies), preserve_order=True)
    asset.resolve(env.scene)
    frames: list[dict[str, np.ndarray]] = []
    alive = np.ones(len(env_ids), dtype=bool)
    ends = np.full(len(env_ids), num_steps)
    obs = vec_env.get_observations()
    for t in range(num_steps):
        state = mdp.robot_state(env, asset)
        frames.append({k: getattr(state, k)[env_ids].cpu().numpy().astype(np.float64) for k in vars(state)})
        obs, _, dones, _ = vec_env.step(policy(obs))
        done = dones[env_ids].bool().cpu().numpy()
        ends[alive & done] = t + 1
        alive &= ~done
    stacked = {k: np.stack([f[k] for f in frames], axis=1) for k in frames[0]}  # (E, T, ...)
    clips = []
    for i, e in enumerate(env_ids):
        t_end = int(ends[i])
        if t_end < 2:
            continue
        clips.append(
            MotionClip(
                name=f"{name_prefix}_{e}",
                fps=1.0 / env.step_dt,
                joint_names=list(robot.joint_names),
                joint_pos=stacked["joint_pos"][i, :t_end],
                joint_vel=stacked["joint_vel"][i, :t_end],
                root_pos=stacked["root_pos_w"][i, :t_end],
                root_quat=stacked["root_quat_w"][i, :t_end],
                root_lin_vel=stacked["root_lin_vel_w"][i, :t_end],
                root_ang_vel=stacked["root_ang_vel_w"][i, :t_end],
                cyclic=False,
                how_made=how_made,
                body_names=list(key_bodies),
                body_pos=stacked["key_body_pos_w"][i, :t_end],
            )
        )
    return clips
