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

ASSET_DIR: str = str(Path(__file__).resolve().parent / "data")
"""Root of the packaged asset tree (``Robots/``, ``Environments/``)."""

G1_29DOF_USD: str = f"{ASSET_DIR}/Robots/Unitree/G1/g1_29dof.usd"
GO2_USD: str = f"{ASSET_DIR}/Robots/Unitree/Go2/go2.usd"
GROUND_PLANE_USD: str = f"{ASSET_DIR}/Environments/ground_plane.usda"
"""Infinite collision plane (friction 1.0) with a 100 m visual quad; same layout as Isaac Lab's default plane."""

##
# Body and joint names.
##

G1_FEET: list[str] = ["left_ankle_roll_link", "right_ankle_roll_link"]
G1_KEY_BODIES: list[str] = [
    "left_ankle_roll_link",
    "right_ankle_roll_link",
    "left_wrist_yaw_link",
    "right_wrist_yaw_link",
]
G1_BASE_BODY: str = "pelvis"
G1_TORSO_BODY: str = "torso_link"
GO2_FEET: list[str] = ["FL_foot", "FR_foot", "RL_foot", "RR_foot"]
GO2_KEY_BODIES: list[str] = GO2_FEET
GO2_BASE_BODY: str = "base"

##
# Newton / MuJoCo-Warp contact budgets.
##

G1_NCONMAX: int = 64
"""Contacts per world for the G1: 7 capsules per foot; Isaac Lab's G1 flat preset (10) lets the robot sink."""
G1_NJMAX: int = 400
"""Constraint rows per world for the G1 (pyramidal cones: several rows per contact)."""
GO2_NCONMAX: int = 35
"""Contacts per world for the Go2 (Isaac Lab's Go2 flat preset)."""
GO2_NJMAX: int = 65
"""Constraint rows per world for the Go2 (Isaac Lab's Go2 flat preset)."""


##
# Articulations.
##

G1_29DOF_CFG = ArticulationCfg(
    prim_path="{ENV_REGEX_NS}/Robot",
    spawn=sim_utils.UsdFileCfg(
        usd_path=G1_29DOF_USD,
        activate_contact_sensors=True,
        articulation_props=[NewtonArticulationCfg(self_collision_enabled=False)],
    ),
    init_state=ArticulationCfg.InitialStateCfg(
        pos=(0.0, 0.0, 0.76),
        joint_pos={
            ".*_hip_pitch_joint": -0.312,
            ".*_knee_joint": 0.669,
            ".*_ankle_pitch_joint": -0.363,
            ".*_elbow_joint": 0.6,
            "left_shoulder_roll_joint": 0.2,
            "left_shoulder_pitch_joint": 0.2,
            "right_shoulder_roll_joint": -0.2,
            "right_shoulder_pitch_joint": 0.2,
        },
        joint_vel={".*": 0.0},
    ),
    soft_joint_pos_limit_factor=0.9,
    actuators={
        "legs": ImplicitActuatorCfg(
            joint_names_expr=[
                ".*_hip_yaw_joint",
                ".*_hip_roll_joint",
                ".*_hip_pitch_joint",
                ".*_knee_joint",
                "waist_.*_joint",
            ],
            joint_effort_limit={".*_hip_.*": 88.0, ".*_knee_joint": 139.0, "waist_.*": 88.0},
            stiffness={".*_hip_.*": 150.0, ".*_knee_joint": 200.0, "waist_.*": 200.0},
            damping={".*_hip_.*": 5.0, ".*_knee_joint": 5.0, "waist_.*": 5.0},
            armature=0.01,
        ),
        # Stiff ankles: standing still on ankle springs needs 2 * k_ankle > m * g * h_com (~33 kg * 9.81 * 0.65 m
        # = 210 N m/rad). With Isaac Lab's G1 ankle gains (20 / 2) the robot tips forward within ~1.2 s of zero
        # actions (MuJoCo and Newton alike); 200 / 5 keeps it standing indefinitely.
        "feet": ImplicitActuatorCfg(
            joint_names_expr=[".*_ankle_pitch_joint", ".*_ankle_roll_joint"],
            joint_effort_limit=50.0,
            stiffness=200.0,
            damping=5.0,
            armature=0.01,
        ),
        "arms": ImplicitActuatorCfg(
            joint_names_expr=[".*_shoulder_.*_joint", ".*_elbow_joint", ".*_wrist_.*_joint"],
            joint_effort_limit=25.0,
            stiffness=40.0,
            damping=10.0,
            armature=0.01,
        ),
    },
)
"""Unitree G1 29-DoF (rev 1.0, no hands) with implicit PD joints; knees slightly bent, arms relaxed.

Standing still with zero actions: pelvis at ~0.747 m, foot forces = m * g (33.34 kg).
"""

GO2_CFG = ArticulationCfg(
    prim_path="{ENV_REGEX_NS}/Robot",
    spawn=sim_utils.UsdFileCfg(
        usd_path=GO2_USD,
        activate_contact_sensors=True,
        articulation_props=[NewtonArticulationCfg(self_collision_enabled=False)],
    ),
    init_state=ArticulationCfg.InitialStateCfg(
        pos=(0.0, 0.0, 0.34),
        joint_pos={
            ".*L_hip_joint": 0.1,
            ".*R_hip_joint": -0.1,
            "F[L,R]_thigh_joint": 0.8,
            "R[L,R]_thigh_joint": 1.0,
            ".*_calf_joint": -1.5,
        },
        joint_vel={".*": 0.0},
    ),
    soft_joint_pos_limit_factor=0.9,
    actuators={
        # as Isaac Lab's UNITREE_GO2_CFG: the calf sits behind an extra 1.92:1 knee reduction
        "base_legs": DCMotorCfg(
            joint_names_expr=[".*_hip_joint", ".*_thigh_joint", ".*_calf_joint"],
            actuator_effort_limit={".*_hip_joint": 23.7, ".*_thigh_joint": 23.7, ".*_calf_joint": 45.43},
            saturation_effort={".*_hip_joint": 23.7, ".*_thigh_joint": 23.7, ".*_calf_joint": 45.43},
            actuator_velocity_limit={".*_hip_joint": 30.1, ".*_thigh_joint": 30.1, ".*_calf_joint": 15.70},
            stiffness=25.0,
            damping=0.5,
            friction=0.0,
        ),
    },
)
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
