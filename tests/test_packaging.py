"""An installed wheel carries what the tasks read at run time: clips, MJCFs and USDs, found through the package."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import zipfile

import pytest

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
        "data/motions/go2_trot_procedural.h5",
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


def _third_party_imports(folder: str) -> set[str]:
    """Top-level module names imported anywhere under ``folder`` that are neither stdlib nor the package itself."""
    import ast

    found: set[str] = set()
    for path in glob.glob(os.path.join(folder, "**", "*.py"), recursive=True):
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "trirl_isaac"}


def test_every_third_party_import_of_the_package_is_a_declared_dependency() -> None:
    """A wheel installed with its dependencies can import every module: each third-party import of the package
    belongs to a distribution in extension.toml's python_dependencies, or to one a declared dependency pulls in."""
    import importlib.metadata as md
    import re
    import tomllib

    with open(os.path.join(ROOT, "extension.toml"), "rb") as f:
        declared = {re.sub(r"[-_.]+", "-", n).lower() for n in tomllib.load(f)["python_dependencies"]}
    reachable, todo = set(), list(declared)
    while todo:  # the declared distributions and everything they require, as installed here
        name = todo.pop()
        if name in reachable:
            continue
        reachable.add(name)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for req in requires:
            if "extra ==" not in req:
                todo.append(re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", req).group(0)).lower())
    owners = md.packages_distributions()
    imports = _third_party_imports(os.path.join(ROOT, "source", "trirl_isaac", "trirl_isaac"))
    assert imports, "the scan found no third-party imports at all"
    undeclared = {
        module: owners.get(module, ["<not installed>"])
        for module in imports
        if not any(re.sub(r"[-_.]+", "-", d).lower() in reachable for d in owners.get(module, []))
    }
    assert not undeclared, f"imported by the package but not declared in extension.toml: {undeclared}"


def test_cpu_kernel_choice_is_safe_and_overridable() -> None:
    from trirl_isaac import _cpu

    avx512 = {"avx2", "avx512f", "sse2"}
    env: dict[str, str] = {}
    assert _cpu.prefer_vectorised_cpu_kernels(avx512, env, {}) == "avx2" and env == {"ATEN_CPU_CAPABILITY": "avx2"}
    env = {"ATEN_CPU_CAPABILITY": "avx512"}  # the user's choice stands
    assert _cpu.prefer_vectorised_cpu_kernels(avx512, env, {}) is None and env["ATEN_CPU_CAPABILITY"] == "avx512"
    env = {}
    assert _cpu.prefer_vectorised_cpu_kernels({"avx2", "sse2"}, env, {}) is None and env == {}  # nothing to gain
    assert _cpu.prefer_vectorised_cpu_kernels({"sse2"}, env, {}) is None and env == {}  # AVX2 would crash torch
    assert _cpu.prefer_vectorised_cpu_kernels(avx512, env, {"torch": object()}) is None and env == {}  # too late


@pytest.mark.parametrize("preset", [None, "default"])
def test_importing_the_package_first_picks_the_kernels_in_a_fresh_process(preset) -> None:
    from trirl_isaac import _cpu

    code = "import trirl_isaac, torch; print(torch.backends.cpu.get_cpu_capability())"
    env = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
    if preset:
        env["ATEN_CPU_CAPABILITY"] = preset
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    flags = _cpu.cpu_flags()
    if preset:
        expected = "DEFAULT"
    elif {"avx512f", "avx2"} <= flags:
        expected = "AVX2"
    else:
        expected = None  # torch's own choice, whatever this CPU offers
    assert expected is None or out.stdout.strip() == expected, out.stdout + out.stderr
