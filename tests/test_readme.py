"""Every command the READMEs show still exists and takes the options they show (the docs cannot drift).

Each command is found in the README code blocks and inline code, mapped onto its script, and checked: the script
exists, and its argument parser accepts the exact arguments shown (train and play through their ``parse_args``;
the others must list every option the README uses in their ``--help``). Commands that can run in CI with tiny
budgets run elsewhere in the suite; the list below names the test that runs each one.
"""

import functools
import importlib
import os
import re
import shlex
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = ["README.md", os.path.join("data", "motions", "README.md"), os.path.join("docs", "benchmark", "README.md")]
RUN_ELSEWHERE = {
    "train": "test_tasks.py::test_train_with_video_then_play_headless (2 iterations, Go2) and the scenario tests",
    "play": "test_tasks.py::test_train_with_video_then_play_headless",
    "benchmark": "test_benchmark.py::test_benchmark_quick_runs_end_to_end (--quick)",
    "benchmark_speed": "test_tasks.py::test_benchmark_speed_alternates_runners_and_amortises_a_distillation",
    "tabular_check": "test_readme.py::test_tabular_check_runs (here)",
    "train_twin": "test_twin.py::test_train_in_the_twin_end_to_end (--mode expert via the script, 2 iterations)",
    "sim2sim": "test_tasks.py::test_train_with_video_then_play_headless (on play.py's export)",
    "probe_clip": "test_twin.py::test_clip_probe_reports_every_comparison (library path, tiny budget)",
    "probe_reward": "test_twin.py::test_reward_along_path_interpolates_two_policies_and_prices_each_reward",
    "test": "CI itself (.ci/run)",
}
"""Where the suite runs each README command with a tiny budget; the rest (a full benchmark table, a full G1 run, the
expert training, clip retargeting, asset building) needs hours or a display and is only parsed here."""


def _commands() -> list[tuple[str, str]]:
    """(doc, command) for every shell command in the docs' code blocks and inline code."""
    found = []
    for doc in DOCS:
        text = open(os.path.join(ROOT, doc)).read()
        blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", text, flags=re.S)
        lines = []
        for block in blocks:
            lines += block.replace("\\\n", " ").splitlines()
        lines += re.findall(r"`([^`\n]*(?:trirl\.sh|python scripts/|torchrun)[^`\n]*)`", text)
        for line in lines:
            line = line.split("  #")[0].strip()
            if re.match(r"^(OMP_NUM_THREADS=\d+ )?(\./trirl\.sh|python scripts/|torchrun)", line):
                found.append((doc, line))
    return found


def _script_and_args(command: str) -> tuple[str, list[str]]:
    words = shlex.split(command.replace("<", "PLACEHOLDER_").replace(">", ""))
    words = [w for w in words if not re.match(r"^[A-Z_]+=\S*$", w)]  # environment assignments
    if words[0] == "torchrun":
        words = words[next(i for i, w in enumerate(words) if w.endswith(".py")) :]
        words = ["python", *words]
    if words[0] == "./trirl.sh":
        return words[1], words[2:]
    assert words[0] == "python" and words[1].startswith("scripts/"), command
    return os.path.basename(words[1])[:-3], words[2:]


COMMANDS = _commands()


def test_the_readmes_show_commands() -> None:
    names = {_script_and_args(c)[0] for _, c in COMMANDS}
    assert {"train", "test", "play", "benchmark"} <= names, names


@pytest.mark.parametrize("doc, command", COMMANDS, ids=[c for _, c in COMMANDS])
def test_readme_command_exists_and_parses(doc: str, command: str) -> None:
    name, args = _script_and_args(command)
    if name == "test" or name == "PLACEHOLDER_name":  # ./trirl.sh test; the generic `./trirl.sh <name> ...` form
        return
    script = os.path.join(ROOT, "scripts", f"{name}.py")
    assert os.path.isfile(script), f"{doc} shows `{command}` but scripts/{name}.py does not exist"
    if args == ["..."]:  # the generic form, e.g. `python scripts/train.py ...`
        return
    if name in ("train", "play"):  # thin scripts over trirl_isaac.cli: parse with the package's own parser
        mod = importlib.import_module(f"trirl_isaac.cli.{name}")
        mod.parse_args(args)  # argparse exits (failing the test) on an unknown or malformed option
        return
    help_text = _help(script)
    options = [a.split("=")[0] for a in args if a.startswith("--")]
    missing = [o for o in options if o not in help_text]
    assert not missing, f"{doc} shows `{command}` but scripts/{name}.py --help has no {missing}"


@functools.cache
def _help(script: str) -> str:
    return subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True, timeout=120).stdout


def test_tabular_check_runs(tmp_path) -> None:
    out = tmp_path / "tabular.png"
    cmd = [sys.executable, os.path.join(ROOT, "scripts", "tabular_check.py"), "--iters", "20", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "G monotone: True" in proc.stdout and out.stat().st_size > 10_000
