"""Unitree G1, 29 DoF (rev 1.0, no hands): the MJCF from mjlab's asset zoo, implicit PD joints."""

from __future__ import annotations

from . import ActuatorGroup, Robot

G1 = Robot(
    name="g1",
    mjcf="data/robots/g1/g1.xml",
    usd="Robots/Unitree/G1/g1_29dof.usd",
    joint_names=(
        "left_hip_pitch_joint",
        "left_hip_roll_joint",
        "left_hip_yaw_joint",
        "left_knee_joint",
        "left_ankle_pitch_joint",
        "left_ankle_roll_joint",
        "right_hip_pitch_joint",
        "right_hip_roll_joint",
        "right_hip_yaw_joint",
        "right_knee_joint",
        "right_ankle_pitch_joint",
        "right_ankle_roll_joint",
        "waist_yaw_joint",
        "waist_roll_joint",
        "waist_pitch_joint",
        "left_shoulder_pitch_joint",
        "left_shoulder_roll_joint",
        "left_shoulder_yaw_joint",
        "left_elbow_joint",
        "left_wrist_roll_joint",
        "left_wrist_pitch_joint",
        "left_wrist_yaw_joint",
        "right_shoulder_pitch_joint",
        "right_shoulder_roll_joint",
        "right_shoulder_yaw_joint",
        "right_elbow_joint",
        "right_wrist_roll_joint",
        "right_wrist_pitch_joint",
        "right_wrist_yaw_joint",
    ),  # fmt: skip
    base_body="pelvis",
    feet=("left_ankle_roll_link", "right_ankle_roll_link"),
    key_bodies=("left_ankle_roll_link", "right_ankle_roll_link", "left_wrist_yaw_link", "right_wrist_yaw_link"),
    termination_bodies=("pelvis", "torso_link"),
    minimum_base_height=0.35,
    nconmax=64,  # 7 capsules per foot; Isaac Lab's G1 flat preset (10) lets the robot sink through the floor
    njmax=400,  # pyramidal cones: several constraint rows per contact
    root_height=0.76,
    default_joint_pos={
        ".*_hip_pitch_joint": -0.312,
        ".*_knee_joint": 0.669,
        ".*_ankle_pitch_joint": -0.363,
        ".*_elbow_joint": 0.6,
        "left_shoulder_roll_joint": 0.2,
        "left_shoulder_pitch_joint": 0.2,
        "right_shoulder_roll_joint": -0.2,
        "right_shoulder_pitch_joint": 0.2,
    },
    actuators={
        "legs": ActuatorGroup(
            joints=(".*_hip_yaw_joint", ".*_hip_roll_joint", ".*_hip_pitch_joint", ".*_knee_joint", "waist_.*_joint"),
            stiffness={".*_hip_.*": 150.0, ".*_knee_joint": 200.0, "waist_.*": 200.0},
            damping={".*_hip_.*": 5.0, ".*_knee_joint": 5.0, "waist_.*": 5.0},
            effort_limit={".*_hip_.*": 88.0, ".*_knee_joint": 139.0, "waist_.*": 88.0},
            armature=0.01,
        ),
        # Stiff ankles: standing still on ankle springs needs 2 * k_ankle > m * g * h_com (~33 kg * 9.81 * 0.65 m
        # = 210 N m/rad). With Isaac Lab's G1 ankle gains (20 / 2) the robot tips forward within ~1.2 s of zero
        # actions (MuJoCo and Newton alike); 200 / 5 keeps it standing indefinitely.
        "feet": ActuatorGroup(
            joints=(".*_ankle_pitch_joint", ".*_ankle_roll_joint"),
            stiffness=200.0,
            damping=5.0,
            effort_limit=50.0,
            armature=0.01,
        ),
        "arms": ActuatorGroup(
            joints=(".*_shoulder_.*_joint", ".*_elbow_joint", ".*_wrist_.*_joint"),
            stiffness=40.0,
            damping=10.0,
            effort_limit=25.0,
            armature=0.01,
        ),
    },
)
