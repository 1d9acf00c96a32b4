"""An installed wheel carries what the tasks read at run time: clips, MJCFs and USDs, found through the package."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_wheel_holds_the_data_and_an_installed_copy_finds_it(tmp_path) -> None:
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), ROOT],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = glob.glob(str(wheels / "*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_files = [
        "data/motions/go2_walk.h5",
        "data/motions/g1_walk.h5",
        "data/motions/g1_run.h5",
        "data/robots/go2/go2.xml",
        "data/robots/g1/g1.xml",
        "assets/data/Robots/Unitree/Go2/go2.usd",
    ]
    for shipped in shipped_files:
        assert f"trirl_isaac/{shipped}" in names, shipped
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), wheel],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    assert not os.path.islink(target / "trirl_isaac" / "data" / "motions")  # files, not links into a repository
    code = (
        f"import sys, json, os; sys.path.insert(0, {str(target)!r}); os.chdir({str(tmp_path)!r})\n"
        "import trirl_isaac.spec as spec\n"
        "from trirl_isaac.motion.kinematics import resolve_mjcf\n"
        "from trirl_isaac.motion.schema import load_motion_file\n"
        "clip = spec.resolve_motion_path(spec.TASKS['TRIRL-Go2-Walk'].motion_files[0])\n"
        "load_motion_file(clip, None)\n"
        "print(json.dumps({'package': spec.__file__, 'clip': clip, 'mjcf': str(resolve_mjcf('g1').resolve())}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    for key in ("package", "clip", "mjcf"):
        assert found[key].startswith(str(target)), (key, found[key])
        assert os.path.isfile(found[key])
