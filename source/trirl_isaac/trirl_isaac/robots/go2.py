"""Unitree Go2: MuJoCo Menagerie's MJCF (with ``<LEG>_foot`` bodies added), Isaac Lab's DC-motor leg model."""

from __future__ import annotations

from . import ActuatorGroup, Robot

GO2 = Robot(
    name="go2",
    mjcf="data/robots/go2/go2.xml",
    usd="Robots/Unitree/Go2/go2.usd",
    joint_names=tuple(f"{leg}_{part}_joint" for leg in ("FL", "FR", "RL", "RR") for part in ("hip", "thigh", "calf")),
    base_body="base",
    feet=("FL_foot", "FR_foot", "RL_foot", "RR_foot"),
    key_bodies=("FL_foot", "FR_foot", "RL_foot", "RR_foot"),
    termination_bodies=("base",),
    minimum_base_height=0.15,
    nconmax=35,  # Isaac Lab's Go2 flat preset
    njmax=65,
    root_height=0.34,
    default_joint_pos={
        ".*L_hip_joint": 0.1,
        ".*R_hip_joint": -0.1,
        "F[L,R]_thigh_joint": 0.8,
        "R[L,R]_thigh_joint": 1.0,
        ".*_calf_joint": -1.5,
    },
    actuators={
        # as Isaac Lab's UNITREE_GO2_CFG: the calf sits behind an extra 1.92:1 knee reduction
        "base_legs": ActuatorGroup(
            joints=(".*_hip_joint", ".*_thigh_joint", ".*_calf_joint"),
            stiffness=25.0,
            damping=0.5,
            effort_limit={".*_hip_joint": 23.7, ".*_thigh_joint": 23.7, ".*_calf_joint": 45.43},
            velocity_limit={".*_hip_joint": 30.1, ".*_thigh_joint": 30.1, ".*_calf_joint": 15.70},
        ),
    },
)
