"""Rendered videos from Isaac Lab's Newton GL visualizer, offscreen (EGL) when there is no display.

Isaac Lab 3.0 kit-less renders with the Newton GL visualizer: with a display it opens a window (``play.py`` on a
desktop); without one it creates an EGL context and renders on demand (``render_rgb_array``), which works on a
GPU machine and, through Mesa's llvmpipe, on a CPU-only one. :class:`ViewerVideo` follows one robot with the
camera and writes the frames as an H.264 mp4 (imageio + imageio-ffmpeg's bundled ffmpeg).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

_PROBE = (
    "import pyglet\n"
    "pyglet.options['headless'] = True\n"
    "w = pyglet.window.Window(16, 16, visible=False)\n"
    "from pyglet import gl\n"
    "print(gl.gl_info.get_renderer())\n"
    "w.close()\n"
)


def offscreen_gl_available(timeout_s: float = 120.0) -> tuple[bool, str]:
    """Whether an OpenGL context can be made without a display, as the headless visualizer does (EGL).

    Probed in a subprocess (pyglet's headless switch is process-wide and cannot be undone). Returns (ok, the
    renderer's name or why not)."""
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    try:
        res = subprocess.run(
            [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return False, f"creating an EGL context took longer than {timeout_s:.0f} s"
    if res.returncode != 0:
        lines = (res.stderr or res.stdout).strip().splitlines()
        return False, lines[-1] if lines else f"exit status {res.returncode}"
    return True, res.stdout.strip().splitlines()[-1] if res.stdout.strip() else "unknown renderer"


def offscreen_visualizer_cfg(width: int = 640, height: int = 360):
    """A Newton GL visualizer that renders offscreen only (no window, no picking), for ``env_cfg.sim``."""
    from isaaclab_visualizers.newton import NewtonGLVisualizerCfg

    return NewtonGLVisualizerCfg(headless=True, window_width=int(width), window_height=int(height))


class ViewerVideo:
    """Frames of the active Newton GL visualizer with the camera following env ``env_id``'s robot.

    The camera sits behind and beside the robot at a distance scaled by the robot's standing height, looking at
    its root. ``begin(path)`` opens an mp4 (written to ``<path>.part.mp4`` and renamed by ``finish()``), ``capture()``
    after each environment step encodes one frame at once (nothing accumulates in memory), ``discard()`` drops it.
    """

    def __init__(self, env, env_id: int = 0) -> None:
        self.env = env.unwrapped
        sim = getattr(self.env, "sim", None)
        visualizers = [v for v in getattr(sim, "visualizers", []) if hasattr(v, "render_rgb_array")]
        if not visualizers:
            raise RuntimeError(
                "no frame-capturing visualizer is active; launch the simulation with {'visualizer': ['newton_gl']} "
                "and env_cfg.sim.visualizer_cfgs = [offscreen_visualizer_cfg()]"
            )
        if not 0 <= env_id < self.env.num_envs:
            raise ValueError(f"video env_id {env_id} outside 0..{self.env.num_envs - 1}")
        self.viz = visualizers[0]
        self.env_id = int(env_id)
        robot = self.env.scene["robot"]
        scale = max(float(robot.data.default_root_pose.torch[0, 2]), 0.3)  # standing height of the root
        self.eye_offset = np.array([2.0, -2.6, 1.0]) * scale
        self.path: str | None = None
        self.num_frames = 0
        self._writer = None

    def _root(self) -> np.ndarray:
        pos = self.env.scene["robot"].data.root_link_pos_w.torch[self.env_id]
        return pos.detach().cpu().numpy().astype(np.float64)

    def begin(self, path: str, fps: float | None = None) -> None:
        """Start an mp4 (H.264) at ``path`` at ``fps`` (default: the env's control rate); an open one is dropped."""
        import imageio.v2 as imageio

        self.discard()
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        fps = float(fps) if fps else 1.0 / self.env.step_dt
        self.path, self.num_frames = path, 0
        self._writer = imageio.get_writer(self._tmp(), fps=fps, codec="libx264", quality=7, macro_block_size=8)

    def capture(self) -> None:
        """Render the current state (camera on the followed robot) and encode the frame."""
        if self._writer is None:
            raise RuntimeError("ViewerVideo.capture() before begin()")
        root = self._root()
        self.viz.set_camera_view(tuple(root + self.eye_offset), tuple(root))
        frame = self.viz.render_rgb_array()
        if frame is None:
            raise RuntimeError("the visualizer returned no frame (its viewer is not running)")
        self._writer.append_data(np.ascontiguousarray(np.asarray(frame)[..., :3], dtype=np.uint8))
        self.num_frames += 1

    def finish(self) -> str | None:
        """Close the mp4 and move it to its path; None (and no file) with fewer than two frames."""
        if self._writer is None or self.num_frames < 2:
            self.discard()
            return None
        self._writer.close()
        self._writer = None
        os.replace(self._tmp(), self.path)
        return self.path

    def discard(self) -> None:
        """Close and delete an open mp4."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            if os.path.exists(self._tmp()):
                os.remove(self._tmp())

    def _tmp(self) -> str:
        return f"{self.path}.part.mp4"


def resolve_render(mode: str) -> bool:
    """``--render auto|on|off``: whether to render mp4 videos; ``on`` fails with the reason when it cannot."""
    if mode not in ("auto", "on", "off"):
        raise ValueError(f"--render must be auto, on or off, got {mode!r}")
    if mode == "off":
        return False
    ok, why = offscreen_gl_available()
    if ok:
        print(f"[video] rendering offscreen with the Newton GL visualizer ({why})", flush=True)
        return True
    if mode == "on":
        raise RuntimeError(f"--render on, but no offscreen OpenGL (EGL) context can be made: {why}")
    print(f"[video] no offscreen OpenGL (EGL) context ({why}): no rendered mp4, clip and stick figure only", flush=True)
    return False


def viewer_video_or_none(env, mode: str, env_id: int = 0) -> ViewerVideo | None:
    """A :class:`ViewerVideo` on the launched env; if its visualizer did not come up, None with the reason
    printed (``--render auto``) or the error (``--render on``)."""
    try:
        return ViewerVideo(env, env_id=env_id)
    except RuntimeError as err:
        if mode == "on":
            raise
        print(f"[video] the offscreen visualizer is not available ({err}): no rendered mp4", flush=True)
        return None
