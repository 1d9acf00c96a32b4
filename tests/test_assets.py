"""Packaged robot assets: files, USD layout, and a zero-action standing check in Isaac Lab (kit-less, CPU).

The standing checks run scripts/check_robots.py in a subprocess per robot (one Isaac Lab simulation per
process). First run on a machine compiles Warp's CPU kernels (~60-90 s once); afterwards ~25-35 s per robot.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trirl_isaac.robots import G1, GO2

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "source" / "trirl_isaac" / "trirl_isaac" / "assets" / "data"
G1_USD = DATA / "Robots" / "Unitree" / "G1" / "g1_29dof.usd"
GO2_USD = DATA / "Robots" / "Unitree" / "Go2" / "go2.usd"
GROUND_USD = DATA / "Environments" / "ground_plane.usda"
MAX_USD_BYTES = 15 * 2**20

G1_JOINTS = list(G1.joint_names)  # the robot module; checked here against the USD and the MJCF
GO2_JOINTS = list(GO2.joint_names)
G1_KEY_BODIES = ["left_ankle_roll_link", "right_ankle_roll_link", "left_wrist_yaw_link", "right_wrist_yaw_link"]
GO2_KEY_BODIES = ["FL_foot", "FR_foot", "RL_foot", "RR_foot"]

ROBOTS = {
    "g1": dict(usd=G1_USD, mjcf=REPO / "data/robots/g1/g1.xml", joints=G1_JOINTS, bodies=G1_KEY_BODIES, base="pelvis",
               min_height=0.6),
    "go2": dict(usd=GO2_USD, mjcf=REPO / "data/robots/go2/go2.xml", joints=GO2_JOINTS, bodies=GO2_KEY_BODIES,
                base="base", min_height=0.2),
}  # fmt: skip


def test_asset_files_exist():
    for path in (G1_USD, GO2_USD):
        assert path.is_file(), f"{path} missing: run scripts/build_assets.py"
        assert path.stat().st_size < MAX_USD_BYTES
        assert (path.parent / "LICENSE.Unitree-BSD-3-Clause").is_file()
    assert (G1_USD.parent / "LICENSE.mjlab-Apache-2.0").is_file()
    assert GROUND_USD.is_file()
    assert (DATA / "README.md").is_file()


@pytest.mark.parametrize("robot", sorted(ROBOTS))
def test_usd_layout(robot):
    """Isaac Lab layout: every rigid body a direct child of the robot prim; joints as in the MJCF."""
    pytest.importorskip("pxr")
    from pxr import Usd, UsdPhysics

    spec = ROBOTS[robot]
    stage = Usd.Stage.Open(str(spec["usd"]))
    root = stage.GetDefaultPrim()
    bodies = [p for p in stage.Traverse() if p.HasAPI(UsdPhysics.RigidBodyAPI)]
    assert all(p.GetParent() == root for p in bodies)
    names = [p.GetName() for p in bodies]
    assert set(spec["bodies"]) | {spec["base"]} <= set(names)
    roots = [p for p in stage.Traverse() if p.HasAPI(UsdPhysics.ArticulationRootAPI)]
    assert [p.GetName() for p in roots] == [spec["base"]]
    joints = [p for p in stage.Traverse() if p.IsA(UsdPhysics.RevoluteJoint)]
    assert [p.GetName() for p in joints] == spec["joints"]
    for prim in joints:
        joint = UsdPhysics.Joint(prim)
        for rel in (joint.GetBody0Rel(), joint.GetBody1Rel()):
            (target,) = rel.GetTargets()
            assert stage.GetPrimAtPath(target).HasAPI(UsdPhysics.RigidBodyAPI)
    assert not stage.GetRootLayer().GetCompositionAssetDependencies(), "USD must be self-contained"


@pytest.mark.parametrize("robot", sorted(ROBOTS))
def test_mjcf_joint_order_matches(robot):
    """The kinematic MJCF used by the motion tools lists the same hinge joints in the same order."""
    mujoco = pytest.importorskip("mujoco")
    model = mujoco.MjModel.from_xml_path(str(ROBOTS[robot]["mjcf"]))
    hinges = [model.joint(i).name for i in range(model.njnt) if model.jnt_type[i] == mujoco.mjtJoint.mjJNT_HINGE]
    assert hinges == ROBOTS[robot]["joints"]


def test_algo_does_not_import_assets():
    """The algorithm side (package root and every trirl_isaac.algo module) must not pull in the Isaac Lab assets."""
    code = (
        "import importlib, pkgutil, sys, trirl_isaac, trirl_isaac.algo\n"
        "for m in pkgutil.walk_packages(trirl_isaac.algo.__path__, 'trirl_isaac.algo.'):\n"
        "    importlib.import_module(m.name)\n"
        "assert 'trirl_isaac.assets' not in sys.modules, 'trirl_isaac.assets imported by the algorithm side'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)


@pytest.mark.parametrize("robot", ["go2", "g1"])
def test_robot_stands_in_isaaclab(robot):
    pytest.importorskip("isaaclab_tasks")
    spec = ROBOTS[robot]
    cmd = [sys.executable, str(REPO / "scripts" / "check_robots.py"), robot, "--num-envs", "4", "--steps", "100"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=dict(os.environ))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT ") :])
    assert result["joint_names"] == spec["joints"]
    assert set(spec["bodies"]) | {spec["base"]} <= set(result["body_names"])
    assert result["finite"]
    assert result["dones"] == 0, "a robot fell (terminated) during the zero-action rollout"
    assert min(result["base_height_min"]) > spec["min_height"]
    weight = result["weight_N"]
    for force in result["foot_force_N"]:
        assert abs(force - weight) < 0.25 * weight, (force, weight)
