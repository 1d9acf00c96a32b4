"""Pictures of motion clips from MuJoCo kinematics, no OpenGL needed: contact sheets (stick figures in side and top
views, foot heights) and animated stick-figure GIFs (the headless "video" of play.py and train.py --video)."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from trirl_isaac.motion.kinematics import ROBOTS, Kinematics, resolve_mjcf  # noqa: E402
from trirl_isaac.motion.schema import load_motion_file, read_file_robot  # noqa: E402

CONTACT_HEIGHT = 0.02


def side_of(name: str) -> str:
    """'left', 'right' or 'centre' from a body name (G1 left_/right_, Go2 FL/FR/RL/RR)."""
    if name.startswith("left") or re.match(r"^[FR]L_", name):
        return "left"
    if name.startswith("right") or re.match(r"^[FR]R_", name):
        return "right"
    return "centre"


COLOURS = {"left": "tab:blue", "right": "tab:red", "centre": "0.2"}


def draw(ax, pos: np.ndarray, edges, axes: tuple[int, int], feet_idx, contact) -> None:
    """Stick figure of one frame projected on two world axes."""
    for child, parent, side in edges:
        a, b = pos[parent], pos[child]
        ax.plot([a[axes[0]], b[axes[0]]], [a[axes[1]], b[axes[1]]], color=COLOURS[side], lw=1.6)
    for i, c in zip(feet_idx, contact):
        ax.plot(pos[i, axes[0]], pos[i, axes[1]], "o", ms=4, color="k" if c else "none", mec="k")


def render_contact_sheet(
    path: str, out: str, clip_name: str | None = None, frames_shown: int = 8, mjcf: str | None = None
) -> str:
    """Render one clip of a motion file (default: the first) to a PNG at ``out``; returns ``out``."""
    robot, clip, pos, edges, feet, feet_idx, soles = _figure_data(path, clip_name, mjcf)
    contact = soles < CONTACT_HEIGHT
    t = np.arange(clip.num_frames) / clip.fps

    n = frames_shown
    fig = plt.figure(figsize=(2.2 * n, 11))
    gs = fig.add_gridspec(4, n, height_ratios=[1.3, 1.2, 1.0, 1.0])
    # Strobe: the whole clip from the side.
    ax = fig.add_subplot(gs[0, :])
    step = max(1, clip.num_frames // 24)
    for f in range(0, clip.num_frames, step):
        draw(ax, pos[f], edges, (0, 2), feet_idx, contact[f])
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_aspect("equal")
    speed = np.linalg.norm(np.diff(clip.root_pos[:, :2], axis=0), axis=-1).mean() * clip.fps
    q = ", ".join(f"{k}={v:.3g}" for k, v in clip.quality.items())
    ax.set_title(
        f"{path} [{clip.name}]  robot={robot}  {clip.num_frames} frames @ {clip.fps:g} fps  "
        f"cyclic={clip.cyclic}  mean root speed {speed:.2f} m/s\n{q}",
        fontsize=8,
    )
    # Frames one by one: side (x-z) and top (x-y) views centred on the root.
    frames = np.linspace(0, clip.num_frames - 1, n).round().astype(int)
    extent = np.abs(pos - pos[:, :1]).max() + 0.05
    for col, f in enumerate(frames):
        c = pos[f, 0]
        for row, axes in ((1, (0, 2)), (2, (0, 1))):
            ax = fig.add_subplot(gs[row, col])
            draw(ax, pos[f], edges, axes, feet_idx, contact[f])
            ax.set_xlim(c[axes[0]] - extent, c[axes[0]] + extent)
            if row == 1:
                ax.set_ylim(-0.05, 2 * extent)
                ax.axhline(0.0, color="0.5", lw=0.8)
                ax.set_title(f"t={t[f]:.2f}s", fontsize=8)
            else:
                ax.set_ylim(c[axes[1]] - extent, c[axes[1]] + extent)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=6)
    # Foot sole heights and root height over time.
    ax = fig.add_subplot(gs[3, :])
    for i, name in enumerate(feet):
        ax.plot(t, soles[:, i], color=COLOURS[side_of(name)], ls="-" if i < 2 else "--", label=f"{name} sole")
    ax.plot(t, clip.root_pos[:, 2] - clip.root_pos[:, 2].mean(), color="0.4", lw=0.8, label="root z - mean")
    ax.axhline(CONTACT_HEIGHT, color="0.6", ls=":", lw=0.8)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlabel("t (s)")
    ax.set_ylabel("height (m)")
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out


def _figure_data(path: str, clip_name: str | None, mjcf: str | None):
    """(robot, clip, body positions (T, B, 3), stick edges, feet, feet indices, sole heights) of one clip of a file."""
    robot = read_file_robot(path)
    kin = Kinematics(resolve_mjcf(mjcf or robot))
    clip = load_motion_file(path, None, clips=[clip_name] if clip_name else None)[0]
    feet = list(ROBOTS[robot].feet) if robot in ROBOTS else []
    qpos = kin.qpos(clip.root_pos, clip.root_quat, clip.joint_pos, clip.joint_names)
    pos, _ = kin.forward(qpos)
    names = kin.body_names
    edges = [
        (names.index(n), names.index(kin.body_parent[n]), side_of(n)) for n in names if kin.body_parent[n] in names
    ]
    feet_idx = [names.index(f) for f in feet]
    soles = kin.sole_heights(qpos, feet) if feet else np.zeros((clip.num_frames, 0))
    return robot, clip, pos, edges, feet, feet_idx, soles


def render_animation(
    path: str,
    out: str,
    clip_name: str | None = None,
    mjcf: str | None = None,
    fps: float = 25.0,
    max_seconds: float = 20.0,
) -> str:
    """Animate one clip of a motion file (default: the first) as a GIF at ``out``: side and top views that follow
    the root, sole contacts marked, the time and root speed in the title. Returns ``out``.

    Frames are taken at ``fps`` (the clip is subsampled, never interpolated) for at most ``max_seconds``.
    """
    from matplotlib.animation import FuncAnimation, PillowWriter

    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    robot, clip, pos, edges, feet, feet_idx, soles = _figure_data(path, clip_name, mjcf)
    contact = soles < CONTACT_HEIGHT
    stride = max(1, int(round(clip.fps / fps)))
    frames = np.arange(0, min(clip.num_frames, int(max_seconds * clip.fps) + 1), stride)
    extent = np.abs(pos - pos[:, :1]).max() + 0.05
    speed = np.linalg.norm(clip.root_lin_vel[:, :2], axis=-1)
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))

    def show(f: int) -> None:
        c = pos[f, 0]
        for ax, ax_pair in zip(axes, ((0, 2), (0, 1))):
            ax.clear()
            draw(ax, pos[f], edges, ax_pair, feet_idx, contact[f])
            ax.set_xlim(c[ax_pair[0]] - extent, c[ax_pair[0]] + extent)
            if ax_pair[1] == 2:
                ax.set_ylim(-0.05, 2 * extent)
                ax.axhline(0.0, color="0.5", lw=0.8)
            else:
                ax.set_ylim(c[1] - extent, c[1] + extent)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=6)
        axes[0].set_title("side (x-z)", fontsize=8)
        axes[1].set_title("top (x-y)", fontsize=8)
        fig.suptitle(f"{robot} [{clip.name}]  t={f / clip.fps:5.2f} s  root speed {speed[f]:.2f} m/s", fontsize=9)

    anim = FuncAnimation(fig, show, frames=frames, interval=1000.0 * stride / clip.fps)
    anim.save(out, writer=PillowWriter(fps=clip.fps / stride))
    plt.close(fig)
    return out
