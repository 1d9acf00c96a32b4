"""Record simulated rollouts as motion clips (our HDF5 schema): headless playback and expert-clip recording."""

from __future__ import annotations

import os
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
    on_step: Callable[[], None] | None = None,
) -> list[MotionClip]:
    """Run ``policy`` for num_steps control steps and return one clip per env in env_ids (cut at its first reset).

    Works on any Isaac Lab task whose articulation is called ``robot`` (imitation tasks, velocity tasks, ...).
    ``on_step`` is called after every step (e.g. :meth:`ViewerVideo.capture`).
    """
    from isaaclab.managers import SceneEntityCfg

    env = vec_env.unwrapped
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
        if on_step is not None:
            on_step()
        done = dones[env_ids].bool().cpu().numpy()
        ends[alive & done] = t + 1
        alive &= ~done
    return clips_from_frames(env, frames, ends, env_ids, name_prefix, how_made, key_bodies)


def clips_from_frames(env, frames, ends, env_ids, name_prefix: str, how_made: str, key_bodies) -> list[MotionClip]:
    """Motion clips from per-step robot states (each frame holds arrays over env_ids), env i cut at ends[i]."""
    robot = env.scene["robot"]
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
                velocity_source="simulator",  # the task's robot_state velocities, as its discriminator sees them
            )
        )
    return clips


class TrainingVideoRecorder:
    """``train.py --video`` for kit-less runs: Isaac Lab's periodic training videos without a renderer.

    Wraps the vectorised env's ``step``: every ``interval`` environment steps (step 0 included, like Isaac Lab's
    ``RecordVideo`` step trigger) it records env ``env_id`` for ``length`` steps, or until that env resets, and
    writes ``<out_dir>/step-<n>.h5`` (a clip in the motion schema, so ``show_motion.py`` and ``convert`` tools read
    it) and, with ``render``, ``<out_dir>/step-<n>.gif`` (animated stick figure from MuJoCo kinematics; no OpenGL).
    With a :class:`~trirl_isaac.tasks.imitation.viewer_video.ViewerVideo` (``viewer``) it also writes
    ``<out_dir>/step-<n>.mp4``, rendered by the Newton GL visualizer with the camera on env ``env_id``.
    Recording reads the robot state after each step; training is not changed.
    """

    def __init__(
        self,
        vec_env,
        out_dir: str,
        robot_name: str,
        key_bodies: list[str],
        length: int = 200,
        interval: int = 2000,
        env_id: int = 0,
        render: bool = True,
        viewer=None,
    ) -> None:
        if length < 2:
            raise ValueError(f"video length must be at least 2 steps, got {length}")
        if interval < 1:
            raise ValueError(f"video interval must be at least 1 step, got {interval}")
        from isaaclab.managers import SceneEntityCfg

        self.vec_env, self.env = vec_env, vec_env.unwrapped
        if not 0 <= env_id < self.env.num_envs:
            raise ValueError(f"video env_id {env_id} outside 0..{self.env.num_envs - 1}")
        self.out_dir, self.robot_name, self.key_bodies = out_dir, robot_name, list(key_bodies)
        self.length, self.interval, self.env_id, self.render = int(length), int(interval), int(env_id), render
        self.viewer = viewer
        self.asset = SceneEntityCfg("robot", body_names=self.key_bodies, preserve_order=True)
        self.asset.resolve(self.env.scene)
        self.step_count = 0
        self.frames: list[dict[str, np.ndarray]] | None = None
        self.start_step = 0
        self.written: list[str] = []
        self._inner_step = vec_env.step
        vec_env.step = self.step

    def _capture(self) -> None:
        state = mdp.robot_state(self.env, self.asset)
        self.frames.append(  # type: ignore[union-attr]
            {k: getattr(state, k)[[self.env_id]].detach().cpu().numpy().astype(np.float64) for k in vars(state)}
        )
        if self.viewer is not None:
            self.viewer.capture()

    def step(self, actions):
        """The wrapped env's step, recording env ``env_id`` while a video is due."""
        if self.frames is None and self.step_count % self.interval == 0:
            self.frames, self.start_step = [], self.step_count
            if self.viewer is not None:
                self.viewer.begin(os.path.join(self.out_dir, f"step-{self.start_step:07d}.mp4"))
            self._capture()  # the state the first recorded action acts on
        out = self._inner_step(actions)
        self.step_count += 1
        if self.frames is not None:
            done = bool(out[2][self.env_id])
            if not done:  # after a reset the state belongs to the next episode
                self._capture()
            if done or len(self.frames) > self.length:
                self._write()
        return out

    def _write(self) -> None:
        from trirl_isaac.motion.schema import save_motion_file

        frames, self.frames = self.frames, None
        if len(frames) < 2:
            if self.viewer is not None:
                self.viewer.discard()
            return
        clips = clips_from_frames(
            self.env,
            frames,
            np.array([len(frames)]),
            [self.env_id],
            f"train_step{self.start_step}",
            f"training rollout, env {self.env_id}, from environment step {self.start_step}",
            self.key_bodies,
        )
        os.makedirs(self.out_dir, exist_ok=True)
        path = os.path.join(self.out_dir, f"step-{self.start_step:07d}.h5")
        save_motion_file(path, self.robot_name, clips)
        self.written.append(path)
        if self.render:
            from trirl_isaac.motion.render import render_animation

            self.written.append(render_animation(path, path.replace(".h5", ".gif")))
        if self.viewer is not None:
            mp4 = self.viewer.finish()
            if mp4 is not None:
                self.written.append(mp4)
        print(f"[video] recorded {len(frames)} frames of env {self.env_id} to {path}", flush=True)
