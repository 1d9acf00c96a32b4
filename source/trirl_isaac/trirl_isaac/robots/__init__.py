"""One module per robot holding every fact about it that the rest of the package reads (no Isaac Lab import):
model files, bodies, contact budgets, initial pose and the PD actuator groups. Assets (Isaac Lab articulations),
kinematics (MuJoCo), recording, export and the build/check scripts take them from here.
"""

from __future__ import annotations

import re
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

    def per_joint(self, values: float | dict[str, float], joints: tuple[str, ...] | None = None) -> list[float | None]:
        """``values`` (a scalar, or {regex: value} matched in full as Isaac Lab does) for each of ``joints``
        (default: all, in :attr:`joint_names` order); None where no pattern matches."""
        joints = self.joint_names if joints is None else joints
        if not isinstance(values, dict):
            return [float(values)] * len(joints)
        out: list[float | None] = []
        for name in joints:
            hits = [v for pattern, v in values.items() if re.fullmatch(pattern, name)]
            if len(hits) > 1:
                raise ValueError(f"robot {self.name!r}: joint {name!r} matches several patterns of {values}")
            out.append(float(hits[0]) if hits else None)
        return out

    def default_joint_positions(self) -> list[float]:
        """The default pose, one value per joint in :attr:`joint_names` order (0 where no pattern matches)."""
        return [0.0 if v is None else v for v in self.per_joint(self.default_joint_pos)]

    def actuator_of(self, joint: str) -> ActuatorGroup:
        """The actuator group driving ``joint`` (exactly one must match)."""
        groups = [g for g in self.actuators.values() if any(re.fullmatch(p, joint) for p in g.joints)]
        if len(groups) != 1:
            raise ValueError(f"robot {self.name!r}: joint {joint!r} is driven by {len(groups)} actuator groups")
        return groups[0]


from .g1 import G1  # noqa: E402
from .go2 import GO2  # noqa: E402

ROBOTS: dict[str, Robot] = {r.name: r for r in (G1, GO2)}
"""Every robot by name ("g1", "go2")."""

__all__ = ["G1", "GO2", "ROBOTS", "ActuatorGroup", "Robot"]
