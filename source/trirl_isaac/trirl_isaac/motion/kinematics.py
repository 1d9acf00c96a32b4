"""Forward kinematics of a robot's kinematic MJCF for batches of motion frames (quaternions: :mod:`.quat`).

Joints are addressed by name, so a clip in any joint order (Isaac Lab's articulation order, the MJCF order, a
dataset's order) maps onto the model. The root is the model's free joint; quaternions are (w, x, y, z).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np

from trirl_isaac.robots import ROBOTS as ROBOT_MODULES
from trirl_isaac.spec import PACKAGE_DATA  # noqa: E402

PACKAGE_ROOT = PACKAGE_DATA.parent
"""Robot module MJCF paths (``data/robots/...``) resolve against the installed package (its data folder)."""


@dataclass(frozen=True)
class RobotSpec:
    """Where a robot's kinematic model lives and which of its bodies the motion tools care about."""

    mjcf: str  # relative to the repository root, or absolute
    key_bodies: tuple[str, ...]  # bodies whose positions enter the discriminator features
    feet: tuple[str, ...]  # bodies that touch the ground (contact and ground checks)


ROBOTS: dict[str, RobotSpec] = {
    name: RobotSpec(mjcf=r.mjcf, key_bodies=r.key_bodies, feet=r.feet) for name, r in ROBOT_MODULES.items()
}
"""The motion tools' view of each robot module in :mod:`trirl_isaac.robots`."""


def resolve_mjcf(robot_or_path: str | Path) -> Path:
    """Path of an MJCF given a robot name from :data:`ROBOTS` or a path (absolute, or relative to cwd or the repo)."""
    if str(robot_or_path) in ROBOTS:
        robot_or_path = ROBOTS[str(robot_or_path)].mjcf
    path = Path(robot_or_path)
    for candidate in (path, PACKAGE_ROOT / path):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"MJCF not found: {robot_or_path} (also looked under {PACKAGE_ROOT})")


from trirl_isaac.motion.quat import (  # noqa: E402,F401  (the motion tools' quaternion helpers, re-exported)
    quat_conj,
    quat_from_yaw,
    quat_mul,
    quat_normalize,
    quat_rotate,
    quat_slerp,
    quat_to_rotvec,
    rotvec_to_quat,
    up_alignment,
    yaw_of,
)

# ---------------------------------------------------------------------------------------------------------------
# Forward kinematics.
# ---------------------------------------------------------------------------------------------------------------


class Kinematics:
    """A kinematic MJCF with a free-joint root: joint name -> qpos address, batched body poses, foot sole heights."""

    def __init__(self, mjcf: str | Path) -> None:
        self.path = resolve_mjcf(mjcf)
        self.model = mujoco.MjModel.from_xml_path(str(self.path))
        self.data = mujoco.MjData(self.model)
        m = self.model
        free = [j for j in range(m.njnt) if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE]
        if len(free) != 1 or m.jnt_qposadr[free[0]] != 0:
            raise ValueError(f"{self.path}: expected exactly one free joint (the root) at qpos[0:7]")
        self.root_body = int(m.jnt_bodyid[free[0]])
        scalar = (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE))
        hinges = [j for j in range(m.njnt) if int(m.jnt_type[j]) in scalar]
        self.joint_names: list[str] = [m.joint(j).name for j in hinges]
        self.joint_qpos_adr = np.array([m.jnt_qposadr[j] for j in hinges], dtype=int)
        self.joint_dof_adr = np.array([m.jnt_dofadr[j] for j in hinges], dtype=int)
        limited = np.array([bool(m.jnt_limited[j]) for j in hinges])
        rng = np.array([m.jnt_range[j] for j in hinges], dtype=float).reshape(-1, 2)
        self.joint_limits = np.where(limited[:, None], rng, np.array([-np.inf, np.inf]))
        self.body_names: list[str] = [m.body(b).name for b in range(1, m.nbody)]
        self.body_parent = {m.body(b).name: m.body(int(m.body_parentid[b])).name for b in range(1, m.nbody)}

    @property
    def root_body_name(self) -> str:
        """Name of the body that carries the free joint."""
        return self.model.body(self.root_body).name

    def body_id(self, name: str) -> int:
        """MuJoCo id of a body; KeyError naming the known bodies if absent."""
        bid = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_BODY, name)
        if bid < 0:
            raise KeyError(f"{self.path.name} has no body {name!r} (bodies: {', '.join(self.body_names)})")
        return int(bid)

    def joint_columns(self, joint_names: Sequence[str]) -> np.ndarray:
        """Indices into :attr:`joint_names` for the given names; KeyError listing the names the model lacks."""
        index = {n: i for i, n in enumerate(self.joint_names)}
        missing = [n for n in joint_names if n not in index]
        if missing:
            raise KeyError(f"{self.path.name} has no joint(s) {missing}")
        return np.array([index[n] for n in joint_names], dtype=int)

    def qpos(
        self,
        root_pos: np.ndarray,
        root_quat: np.ndarray,
        joint_pos: np.ndarray,
        joint_names: Sequence[str] | None = None,
    ) -> np.ndarray:
        """(T, nq) generalized positions from root pose and joint positions (joints not named stay at qpos0)."""
        joint_pos = np.atleast_2d(np.asarray(joint_pos, dtype=float))
        t = joint_pos.shape[0]
        q = np.tile(self.model.qpos0, (t, 1))
        q[:, 0:3] = np.reshape(root_pos, (t, 3))
        q[:, 3:7] = quat_normalize(np.reshape(root_quat, (t, 4)))
        cols = np.arange(len(self.joint_names)) if joint_names is None else self.joint_columns(joint_names)
        q[:, self.joint_qpos_adr[cols]] = joint_pos
        return q

    def forward(self, qpos: np.ndarray, body_names: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """World positions (T, B, 3) and quaternions (T, B, 4) of bodies (default: all but the world) for (T, nq)."""
        ids = [self.body_id(n) for n in (self.body_names if body_names is None else body_names)]
        qpos = np.atleast_2d(qpos)
        pos = np.empty((qpos.shape[0], len(ids), 3))
        quat = np.empty((qpos.shape[0], len(ids), 4))
        for i, q in enumerate(qpos):
            self.data.qpos[:] = q
            mujoco.mj_kinematics(self.model, self.data)
            pos[i] = self.data.xpos[ids]
            quat[i] = self.data.xquat[ids]
        return pos, quat

    def foot_geoms(self, feet: Sequence[str]) -> list[list[int]]:
        """Ids of the sphere/capsule collision geoms of each foot body."""
        m = self.model
        shapes = (int(mujoco.mjtGeom.mjGEOM_SPHERE), int(mujoco.mjtGeom.mjGEOM_CAPSULE))
        out = []
        for name in feet:
            bid = self.body_id(name)
            g = [
                i
                for i in range(m.ngeom)
                if m.geom_bodyid[i] == bid
                and int(m.geom_type[i]) in shapes
                and (m.geom_contype[i] or m.geom_conaffinity[i])
            ]
            if not g:
                raise ValueError(f"{self.path.name}: foot body {name!r} has no sphere/capsule collision geom")
            out.append(g)
        return out

    def sole_points(self, qpos: np.ndarray, feet: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Lowest point of each foot's sphere/capsule collision geoms: heights (T, F) and body-frame points (T, F, 3).

        The body-frame point lets callers follow the contact point as the foot rolls (heel strike, toe-off).
        """
        m, d = self.model, self.data
        geoms = self.foot_geoms(feet)
        bids = [self.body_id(n) for n in feet]
        capsule = int(mujoco.mjtGeom.mjGEOM_CAPSULE)
        qpos = np.atleast_2d(qpos)
        heights = np.empty((qpos.shape[0], len(feet)))
        local = np.empty((qpos.shape[0], len(feet), 3))
        for i, q in enumerate(qpos):
            d.qpos[:] = q
            mujoco.mj_kinematics(m, d)
            for f, (g, bid) in enumerate(zip(geoms, bids)):
                best, point = np.inf, None
                for gi in g:
                    c, r = d.geom_xpos[gi].copy(), m.geom_size[gi, 0]
                    if int(m.geom_type[gi]) == capsule:
                        axis = d.geom_xmat[gi].reshape(3, 3)[:, 2] * m.geom_size[gi, 1]  # capsule axis is local z
                        if abs(axis[2]) > 1e-9:
                            c = c - np.sign(axis[2]) * axis
                    p = c - np.array([0.0, 0.0, r])
                    if p[2] < best:
                        best, point = p[2], p
                heights[i, f] = best
                local[i, f] = d.xmat[bid].reshape(3, 3).T @ (point - d.xpos[bid])
        return heights, local

    def sole_heights(self, qpos: np.ndarray, feet: Sequence[str]) -> np.ndarray:
        """(T, F) height above z=0 of the lowest point of each foot body's sphere/capsule collision geoms."""
        return self.sole_points(qpos, feet)[0]

    def point_positions(self, qpos: np.ndarray, bodies: Sequence[str], local: np.ndarray) -> np.ndarray:
        """(T, P, 3) world positions of body-frame points local (T, P, 3) on bodies (P,) for configurations (T, nq)."""
        pos, quat = self.forward(qpos, bodies)
        return pos + quat_rotate(quat, local)

    def body_positions(
        self,
        root_pos: np.ndarray,
        root_quat: np.ndarray,
        joint_pos: np.ndarray,
        joint_names: Sequence[str] | None,
        body_names: Sequence[str],
    ) -> np.ndarray:
        """(T, B, 3) world positions of bodies for T frames of root pose and named joint positions."""
        return self.forward(self.qpos(root_pos, root_quat, joint_pos, joint_names), body_names)[0]
