"""One module per robot holding every fact about it that the rest of the package reads (no Isaac Lab import):
model files, bodies, contact budgets, initial pose and the PD actuator groups. Assets (Isaac Lab articulations),
kinematics (MuJoCo), recording, export and the build/check scripts take them from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ActuatorGroup:
    """Joints (regular expressions) sharing a PD actuator model; per-joint values as {regex: value} or a scalar."""

    joints: tuple[str, ...]
    stiffness: float | dict[str, float]
    damping: float | dict[str, float]
    effort_limit: float | dict[str, float]
    armature: float = 0.0
    velocity_limit: dict[str, float] | None = None
    """Set for a DC-motor model (torque-speed saturation), as Isaac Lab's Go2."""


@dataclass(frozen=True)
class Robot:
    """The facts about one robot."""

    name: str
    mjcf: str
    """Kinematic MJCF, relative to the repository root."""
    usd: str
    """USD file, relative to the package's assets/data folder."""
    joint_names: tuple[str, ...]
    """Actuated joints in the MJCF / USD tree order (= Isaac Lab's articulation order, kit-less Newton)."""
    base_body: str
    feet: tuple[str, ...]
    key_bodies: tuple[str, ...]
    """Bodies whose base-frame positions enter the discriminator features, in feature order."""
    termination_bodies: tuple[str, ...]
    """Bodies whose ground contact ends an episode (a fall)."""
    minimum_base_height: float
    """Base height (m) below which an episode ends."""
    nconmax: int
    njmax: int
    root_height: float
    """Spawn height of the root (m)."""
    default_joint_pos: dict[str, float]
    actuators: dict[str, ActuatorGroup] = field(default_factory=dict)


from .g1 import G1  # noqa: E402
from .go2 import GO2  # noqa: E402

ROBOTS: dict[str, Robot] = {r.name: r for r in (G1, GO2)}
"""Every robot by name ("g1", "go2")."""

__all__ = ["G1", "GO2", "ROBOTS", "ActuatorGroup", "Robot"]
