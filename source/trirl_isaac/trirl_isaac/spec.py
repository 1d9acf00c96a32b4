"""The robot-independent numbers of the imitation tasks, defined once (no Isaac Lab import).

The Isaac Lab tasks (:mod:`trirl_isaac.tasks.imitation.env_cfg`) and the native-MuJoCo twin
(:mod:`trirl_isaac.twin`) both read them, so the two simulators run the same task: control step, episode length,
action scale, observation terms and their noise, reference-state initialisation and the fall thresholds.
"""

from __future__ import annotations

import importlib.resources
import math
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ImitationSpec:
    """What an imitation task is, apart from the robot and its clips."""

    sim_dt: float = 0.005
    """Physics step (s)."""
    physics_substeps: int = 2
    """Solver substeps per physics step (Newton's ``num_substeps``; the twin takes as many MuJoCo steps of
    ``sim_dt / physics_substeps``)."""
    contact_stiffness: float = 160000.0
    contact_damping: float = 1100.0
    """Contact stiffness (N/m) and damping (N s/m) of every shape (Newton's shape ``ke`` / ``kd``). Newton's MuJoCo
    solver turns them into MuJoCo's ``solref`` (see :meth:`contact_solref`); the twin uses the same."""
    decimation: int = 4
    """Physics steps per policy step (control dt = sim_dt * decimation = 0.02 s)."""
    episode_length_s: float = 10.0
    action_scale: float = 0.25
    """Joint position target = default pose + action_scale * action (rad)."""
    default_pose_share: float = 0.2
    """Share of episodes that start in the default pose instead of a random clip frame."""
    soft_joint_pos_limit_factor: float = 0.9
    """Clip frames used as start states are clamped to this share of each joint's range (about its middle)."""
    contact_threshold: float = 1.0
    """Contact force (N) on a termination body that ends an episode."""
    limit_angle: float = math.radians(70.0)
    """Base tilt from upright (rad) that ends an episode."""
    contact_history: int = 3
    """Physics steps of contact history the contact termination looks at."""
    absorbing_falls: bool = True
    """Falls lead to an absorbing state (a flag after the discriminator features) whose learned reward is counted for
    its whole infinite tail, instead of ending the episode for free (see :mod:`trirl_isaac.twin.env`)."""
    policy_terms: tuple[str, ...] = ("base_ang_vel", "projected_gravity", "joint_pos", "joint_vel", "actions")
    """The policy observation, in order (what the real robot senses; the layout exported in policy.json)."""
    policy_noise: dict[str, float] = field(
        default_factory=lambda: {"base_ang_vel": 0.2, "projected_gravity": 0.05, "joint_pos": 0.01, "joint_vel": 1.5}
    )
    """Uniform noise half-widths on policy terms during training (none in play mode)."""
    critic_terms: tuple[str, ...] = (
        "base_lin_vel",
        "base_ang_vel",
        "projected_gravity",
        "joint_pos",
        "joint_vel",
        "actions",
        "disc",
    )
    """The critic's (privileged, noise-free) observation, in order; ``disc`` = the discriminator features."""

    def contact_solref(self) -> tuple[float, float]:
        """MuJoCo's contact ``solref`` (time constant, damping ratio) for ``contact_stiffness`` / ``contact_damping``,
        as Newton's MuJoCo solver converts them (``convert_solref`` with unit impedance): time constant 2 / kd,
        damping ratio kd / (2 sqrt(ke)). MuJoCo raises a time constant below two solver steps to two steps."""
        return 2.0 / self.contact_damping, self.contact_damping / (2.0 * math.sqrt(self.contact_stiffness))

    @property
    def control_dt(self) -> float:
        """Policy step (s)."""
        return self.sim_dt * self.decimation

    @property
    def max_episode_length(self) -> int:
        """Policy steps per episode (Isaac Lab's ``ceil(episode_length_s / step_dt)``)."""
        return math.ceil(round(self.episode_length_s / self.control_dt, 6))


IMITATION = ImitationSpec()
"""The spec of every TRIRL imitation task (G1 walk/run, Go2 walk)."""


PACKAGE_DATA = Path(str(importlib.resources.files("trirl_isaac"))) / "data"
"""The package's data folder: ``motions/`` (the shipped clips) and ``robots/`` (the MJCFs). In the repository they
are links to the top-level ``data/motions`` and ``data/robots``; a built wheel holds the files themselves."""
MOTION_DIR = str(PACKAGE_DATA / "motions")
"""Where relative motion paths in task configs resolve (the shipped clips, found through the installed package)."""


def resolve_motion_path(path: str) -> str:
    """Absolute path of a clip file: as given if it exists, else under data/motions/."""
    if os.path.isabs(path) or os.path.exists(path):
        return os.path.abspath(path)
    return os.path.join(MOTION_DIR, path)


@dataclass(frozen=True)
class TaskSpec:
    """One imitation task: the robot, its default clips and the name of its Isaac Lab env config."""

    robot: str
    motion_files: tuple[str, ...]
    env_cfg: str
    """Name of the Isaac Lab configclass (stored in learned rewards' metadata as ``task_cfg``)."""


TASKS: dict[str, TaskSpec] = {
    "TRIRL-G1-Walk": TaskSpec("g1", ("g1_walk.h5",), "G1WalkEnvCfg"),
    "TRIRL-G1-Run": TaskSpec("g1", ("g1_run.h5",), "G1RunEnvCfg"),
    "TRIRL-Go2-Walk": TaskSpec("go2", ("go2_walk.h5",), "Go2WalkEnvCfg"),
}
"""The imitation tasks, by their gym id (Isaac Lab) = twin task name."""
