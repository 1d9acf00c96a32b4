"""Isaac Lab configurations of the Unitree G1 (29 DoF) and Go2 built from the USD files shipped in this package.

The USDs come from MuJoCo Menagerie-derived MJCFs (see ``data/README.md`` and ``scripts/build_assets.py``), so
nothing is fetched from Isaac Sim's asset server and no ``ISAACSIM_ASSET_ROOT`` is needed (a value set by the
user is left alone). Prim layout follows Isaac Lab's robot USDs: every link is a direct child of the robot prim.

Joint order in Isaac Lab (Newton, kit-less) is the USD/MJCF tree order, printed by ``scripts/check_robots.py``:

* G1: left leg (hip pitch, roll, yaw, knee, ankle pitch, roll), right leg, waist (yaw, roll, pitch),
  left arm (shoulder pitch, roll, yaw, elbow, wrist roll, pitch, yaw), right arm -- the MJCF order.
* Go2: FL, FR, RL, RR legs, each hip, thigh, calf -- the MJCF order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import isaaclab.sim as sim_utils
from isaaclab.actuators import DCMotorCfg, ImplicitActuatorCfg
from isaaclab.assets.articulation import ArticulationCfg
from isaaclab_newton.sim.schemas import NewtonArticulationCfg

from trirl_isaac.robots import G1, GO2, ActuatorGroup, Robot
from trirl_isaac.spec import IMITATION

ASSET_DIR: str = str(Path(__file__).resolve().parent / "data")
"""Root of the packaged asset tree (``Robots/``, ``Environments/``)."""

G1_29DOF_USD: str = f"{ASSET_DIR}/{G1.usd}"
GO2_USD: str = f"{ASSET_DIR}/{GO2.usd}"
GROUND_PLANE_USD: str = f"{ASSET_DIR}/Environments/ground_plane.usda"
"""Infinite collision plane (friction 1.0) with a 100 m visual quad; same layout as Isaac Lab's default plane."""

# Body names and contact budgets, as the robot modules (trirl_isaac.robots) define them.
G1_FEET: list[str] = list(G1.feet)
G1_KEY_BODIES: list[str] = list(G1.key_bodies)
G1_BASE_BODY: str = G1.base_body
G1_TORSO_BODY: str = G1.termination_bodies[1]
GO2_FEET: list[str] = list(GO2.feet)
GO2_KEY_BODIES: list[str] = list(GO2.key_bodies)
GO2_BASE_BODY: str = GO2.base_body
G1_NCONMAX, G1_NJMAX = G1.nconmax, G1.njmax
GO2_NCONMAX, GO2_NJMAX = GO2.nconmax, GO2.njmax


def actuator_cfg(group: ActuatorGroup) -> ImplicitActuatorCfg | DCMotorCfg:
    """Isaac Lab's actuator model of a robot module's actuator group (DC motor when it has velocity limits)."""
    if group.velocity_limit is not None:
        return DCMotorCfg(
            joint_names_expr=list(group.joints),
            actuator_effort_limit=group.effort_limit,
            saturation_effort=group.effort_limit,
            actuator_velocity_limit=group.velocity_limit,
            stiffness=group.stiffness,
            damping=group.damping,
            friction=0.0,
        )
    return ImplicitActuatorCfg(
        joint_names_expr=list(group.joints),
        joint_effort_limit=group.effort_limit,
        stiffness=group.stiffness,
        damping=group.damping,
        armature=group.armature,
    )


def articulation_cfg(robot: Robot) -> ArticulationCfg:
    """The packaged USD of ``robot`` with its initial pose and actuator groups."""
    return ArticulationCfg(
        prim_path="{ENV_REGEX_NS}/Robot",
        spawn=sim_utils.UsdFileCfg(
            usd_path=f"{ASSET_DIR}/{robot.usd}",
            activate_contact_sensors=True,
            articulation_props=[NewtonArticulationCfg(self_collision_enabled=False)],
        ),
        init_state=ArticulationCfg.InitialStateCfg(
            pos=(0.0, 0.0, robot.root_height), joint_pos=dict(robot.default_joint_pos), joint_vel={".*": 0.0}
        ),
        soft_joint_pos_limit_factor=IMITATION.soft_joint_pos_limit_factor,
        actuators={name: actuator_cfg(group) for name, group in robot.actuators.items()},
    )


G1_29DOF_CFG = articulation_cfg(G1)
"""Unitree G1 29-DoF (rev 1.0, no hands) with implicit PD joints; knees slightly bent, arms relaxed.

Standing still with zero actions: pelvis at ~0.747 m, foot forces = m * g (33.34 kg).
"""

GO2_CFG = articulation_cfg(GO2)
"""Unitree Go2 with Isaac Lab's DC-motor leg model (PD 25 / 0.5, torque-speed saturation); standing pose.

With the joints exactly at their defaults the base stands at ~0.32 m (spawned at 0.34 m; Isaac Lab's own
go2.usd uses 0.4 m). With zero actions the soft PD sags, calves ~0.25 rad off target: base at ~0.273 m with
MuJoCo Menagerie's contact settings (elliptic cone, impratio 100); ~0.243 m with Isaac Lab's velocity-task preset
(pyramidal cone, impratio 1), where the feet also creep outwards (hips ~0.27 rad splayed). Foot forces = m * g
(15.37 kg) in both.
"""


##
# Helpers that patch an environment configuration.
##


def set_mjwarp_limits(env_cfg: Any, nconmax: int = G1_NCONMAX, njmax: int = G1_NJMAX) -> None:
    """Set MuJoCo-Warp's per-world contact (``nconmax``) and constraint (``njmax``) budgets of ``env_cfg``.

    Works on an unresolved physics preset (``env_cfg.sim.physics.newton_mjwarp`` / ``.default``, e.g. inside a
    ``__post_init__``) and on a resolved ``NewtonCfg`` (after ``isaaclab_tasks.utils.parse_env_cfg``).
    Non-MuJoCo-Warp solvers are left untouched.
    """
    physics = env_cfg.sim.physics
    candidates = [physics] + [getattr(physics, name, None) for name in ("newton_mjwarp", "default")]
    for candidate in candidates:
        solver = getattr(candidate, "solver_cfg", None)
        if solver is not None and hasattr(solver, "nconmax") and hasattr(solver, "njmax"):
            solver.nconmax = nconmax
            solver.njmax = njmax


def use_local_ground_plane(env_cfg: Any, terrain_name: str = "terrain") -> None:
    """Make the scene's terrain importer load :data:`GROUND_PLANE_USD` instead of Isaac Lab's cloud ground plane.

    Isaac Lab's ``terrain_type="plane"`` always spawns the ground plane from the Isaac Sim asset server; the
    ``"usd"`` terrain type loads a given file. The packaged plane carries its own friction-1.0 physics
    material (the terrain's ``physics_material`` only applies to generated terrains and planes).
    """
    terrain = getattr(env_cfg.scene, terrain_name)
    terrain.terrain_type = "usd"
    terrain.usd_path = GROUND_PLANE_USD
    terrain.terrain_generator = None
    terrain.visual_material = None
