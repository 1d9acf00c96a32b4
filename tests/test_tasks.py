"""Isaac Lab tasks on the CPU (kit-less, Newton MuJoCo-Warp): each scenario runs in its own process."""

import json
import os
import subprocess
import sys

import pytest

SCENARIOS = os.path.join(os.path.dirname(__file__), "isaaclab_scenarios.py")
TASKS = ["TRIRL-G1-Walk", "TRIRL-G1-Run", "TRIRL-Go2-Walk"]


def run_scenario(name: str, task: str, tmp_path) -> dict:
    proc = subprocess.run(
        [sys.executable, SCENARIOS, name, task, str(tmp_path)], capture_output=True, text=True, timeout=900
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("SCENARIO_RESULT ")]
    assert lines, f"scenario printed no result (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    result = json.loads(lines[-1][len("SCENARIO_RESULT ") :])
    assert result["ok"], result.get("error")
    return result


def test_tasks_are_registered_for_gym_and_isaaclab_cli() -> None:
    code = (
        "import gymnasium as gym, importlib.metadata as md\n"
        "eps = [e for e in md.entry_points(group='isaaclab.tasks') if e.name == 'trirl_isaac']\n"
        "assert eps, 'no isaaclab.tasks entry point'\n"
        "eps[0].load()\n"
        "ids = [t for t in gym.registry if t.startswith('TRIRL-')]\n"
        "print(sorted(ids))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for task in TASKS:
        assert f"'{task}'" in out and f"'{task}-Play'" in out


@pytest.mark.parametrize("task", TASKS)
def test_task_trains_exports_and_retrains(task, tmp_path) -> None:
    r = run_scenario("task", task, tmp_path)
    disc_dim = r["obs_shapes"]["discriminator"][1]
    assert r["expert_feature_dim"] == 2 * disc_dim
    assert r["zero_action_finite"]
    assert r["reward_before_training_max_abs"] == 0.0  # r_0 = 0 before the first correction
    min_height = 0.5 if "G1" in task else 0.2
    assert min(r["base_height_after_10_steps"]) > min_height
    assert r["term_shape"] == [8] and r["term_finite"] and r["term_changed"] and r["term_uses_runner_reward"]
    assert r["consumer_chain_lengths"] == [0, 1, 2, 2]  # K = 2: the third snapshot evicts the first
    assert r["chain_length"] == 2 and all(0 < e <= 1 for e in r["history_eps_tr"])
    assert r["export"]["onnx_max_abs_diff"] <= 1e-5 and r["export"]["samples"] == 1000
    assert r["export"]["control_dt"] == pytest.approx(0.02)
    assert r["frozen_reward_finite"] and r["ppo_retrain_ok"]
    assert "another task" in r["foreign_reward_error"] and "foreign_reward.pt" in r["foreign_reward_error"]
    assert len(r["recorded_clip_frames"]) >= 1 and all(2 <= n <= 30 for n in r["recorded_clip_frames"])
    assert len(r["recorded_body_names"]) == 4  # G1: feet + hands, Go2: feet


def test_bad_inputs_are_named(tmp_path) -> None:
    c = run_scenario("bad_inputs", "TRIRL-G1-Walk", tmp_path)
    assert "nope.h5" in c["missing_file"] and "not found" in c["missing_file"]
    assert "not_hdf5.h5" in c["malformed_file"] and "not an HDF5 file" in c["malformed_file"]
    assert "elbow_of_a_different_robot" in c["wrong_joint_names"]
    assert "no_such_body" in c["unknown_key_body"]
    assert "motion.weights" in c["weights_mismatch"]
    assert c["shipped_clip_loads"] == "ok"


@pytest.mark.parametrize("task", TASKS)
def test_shipped_clip_plays_kinematically_in_the_simulator(task, tmp_path) -> None:
    r = run_scenario("playback", task, tmp_path)
    assert r["frames"] >= 20
    # Isaac Lab/Newton puts the key bodies where the clip's kinematic model (MuJoCo FK) does, so the clip checks
    # of tests/test_motion.py (soles within 2 cm of the ground in stance, no penetration) hold in the simulator.
    # Measured: Go2 1e-7 m; G1 2.4e-3 m (walk) and 9.0e-3 m (run) at the largest joint angles.
    assert r["max_key_body_error_m"] < 1.5e-2


def test_train_with_video_then_play_headless(tmp_path) -> None:
    """The user's commands end to end: train.py --video, then play.py headless (export + recording).

    Where an offscreen OpenGL context can be made (EGL; Mesa's llvmpipe on the CPU machine) both also render mp4s
    with the Newton GL visualizer (--render on, which must then succeed); elsewhere --render on must fail with the
    reason and the run is repeated with --render off."""
    import h5py
    import imageio.v2 as imageio
    import numpy as np

    from trirl_isaac.motion.schema import load_motion_file
    from trirl_isaac.tasks.imitation.viewer_video import offscreen_gl_available

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    logs = str(tmp_path / "logs")

    def script(name: str, *argv: str, expect_ok: bool = True) -> str:
        proc = subprocess.run(
            [sys.executable, os.path.join(root, "scripts", name), *argv],
            capture_output=True,
            text=True,
            timeout=900,
            cwd=str(tmp_path),
        )
        if not expect_ok:
            assert proc.returncode != 0
            return proc.stdout + proc.stderr
        assert proc.returncode == 0, f"{name} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc.stdout

    def check_mp4(path) -> None:
        frames = [np.asarray(f) for f in imageio.get_reader(str(path))]
        assert len(frames) >= 3 and frames[0].shape == (360, 640, 3)
        assert frames[0].std() > 5.0  # a scene, not a blank frame
        assert any(np.abs(f.astype(int) - frames[0].astype(int)).mean() > 0.1 for f in frames[1:])  # it moves

    rendering, why = offscreen_gl_available()
    common = ["--task", "TRIRL-Go2-Walk", "--device", "cpu", "--log_root", logs]
    train_args = [*common, "--num_envs", "4", "--max_iterations", "2", "--video", "--video_interval", "30",
                  "--video_length", "8", "agent.num_steps_per_env=24", "agent.save_interval=1"]  # fmt: skip
    if not rendering:
        out = script("train.py", *train_args, "--render", "on", expect_ok=False)
        assert "no offscreen OpenGL (EGL) context" in out and why in out
    script("train.py", *train_args, "--render", "on" if rendering else "off")
    (run,) = (tmp_path / "logs" / "rsl_rl" / "trirl_go2_walk").iterdir()
    assert (run / "model_1.pt").is_file() and (run / "reward_1.pt").is_file()
    videos = sorted(p.name for p in (run / "videos" / "train").iterdir())
    # 2 iterations x 24 steps = 48 env steps: recordings start at steps 0 and 30 (unless env 0 reset first)
    assert "step-0000000.h5" in videos and "step-0000000.gif" in videos and "step-0000030.h5" in videos
    (clip,) = load_motion_file(str(run / "videos" / "train" / "step-0000000.h5"), None)
    assert 2 <= clip.num_frames <= 9 and clip.fps == 50.0
    with open(run / "videos" / "train" / "step-0000000.gif", "rb") as f:
        assert f.read(6) in (b"GIF87a", b"GIF89a")
    if rendering:
        check_mp4(run / "videos" / "train" / "step-0000000.mp4")
    assert not list(run.rglob("*.part.mp4"))

    out = script("play.py", "--task", "TRIRL-Go2-Walk-Play", "--checkpoint", "latest", "--log_root", logs,
                 "--device", "cpu", "--viewer", "off", "--num_envs", "2", "--steps", "12",
                 "--render", "on" if rendering else "off")  # fmt: skip
    exported = run / "exported"
    assert {"policy.onnx", "policy.pt", "policy.json"} <= {p.name for p in exported.iterdir()}
    (recording,) = exported.glob("play_*.h5")
    assert recording.with_suffix(".gif").is_file() and recording.with_suffix(".png").is_file()
    if rendering:
        check_mp4(recording.with_suffix(".mp4"))
    assert not list(run.rglob("*.part.mp4"))
    with h5py.File(recording) as f:
        assert f.attrs["robot"] == "go2"
    assert "ONNX vs torch max |diff|" in out

    # sim2sim: the exported policy in the MuJoCo twin, from policy.json and the MJCF only (no Isaac Lab import)
    before = {p.name: p.stat().st_mtime_ns for p in exported.iterdir()}
    out = script("sim2sim.py", str(exported), "--num_envs", "2", "--steps", "15", "--video", "auto")
    result = json.loads(out.strip().splitlines()[-1])
    assert result["isaaclab_imported"] is False and result["task"] == "TRIRL-Go2-Walk"
    assert 0.0 <= result["survival"] <= 1.0 and len(result["duty_factor"]) == 4
    (sim_clip,) = load_motion_file(result["clip_file"], None)
    assert sim_clip.num_frames >= 2 and sim_clip.fps == 50.0
    assert result["video"].endswith(".mp4") or "video_error" in result
    if result["video"].endswith(".mp4"):
        frames = [np.asarray(f) for f in imageio.get_reader(result["video"])]
        assert len(frames) == sim_clip.num_frames and frames[0].std() > 5.0
    assert all(p.stat().st_mtime_ns == before[p.name] for p in exported.iterdir() if p.name in before)
    bad = tmp_path / "bad_export"
    bad.mkdir()
    for name in ("policy.onnx", "policy.json"):
        (bad / name).write_bytes((exported / name).read_bytes())
    meta = json.loads((bad / "policy.json").read_text())
    meta["joint_names"][3] = "FL_knee_of_another_robot"
    (bad / "policy.json").write_text(json.dumps(meta))
    out = script("sim2sim.py", str(bad), "--num_envs", "1", "--steps", "2", expect_ok=False)
    assert "joint_names[3] is 'FL_knee_of_another_robot'" in out


def test_render_mode_resolution(monkeypatch, capsys) -> None:
    from trirl_isaac.tasks.imitation import viewer_video

    monkeypatch.setattr(viewer_video, "offscreen_gl_available", lambda: (False, "EGL: no display found"))
    assert viewer_video.resolve_render("off") is False
    assert viewer_video.resolve_render("auto") is False
    assert "EGL: no display found" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="--render on.*EGL: no display found"):
        viewer_video.resolve_render("on")
    with pytest.raises(ValueError, match="auto, on or off"):
        viewer_video.resolve_render("yes")
    monkeypatch.setattr(viewer_video, "offscreen_gl_available", lambda: (True, "llvmpipe"))
    assert viewer_video.resolve_render("auto") is True and viewer_video.resolve_render("on") is True


def test_benchmark_speed_alternates_runners_and_amortises_a_distillation(tmp_path) -> None:
    """scripts/benchmark_speed.py end to end (tiny): with the robot default (K = 2, evict_chunk 1) every timed
    iteration evicts and distils, and the median ratio is taken over all pairs."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = tmp_path / "speed.json"
    proc = subprocess.run(
        [sys.executable, os.path.join(root, "scripts", "benchmark_speed.py"), "--task", "TRIRL-Go2-Walk",
         "--num_envs", "2", "--iterations", "2", "--device", "cpu", "--prefill_eta", "20", "--out", str(out),
         "--trirl", "approximator.batch_size=256"],
        capture_output=True, text=True, timeout=900, cwd=str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r = json.loads(out.read_text())
    # an override reaches the TRIRL runner (and is recorded); the task's other approximator settings stay
    assert r["trirl_overrides"] == ["approximator.batch_size=256"] and r["approximator"]["batch_size"] == 256
    assert r["approximator"]["num_steps"] == 50 and r["approximator"]["hidden_dims"] == [512, 256]
    assert len(r["trirl_times"]) == len(r["ppo_times"]) == 2 and r["evict_chunk"] == 1 and r["chain_length"] == 2
    # the robot default (K = 2): every iteration evicts the oldest snapshot and distils it into the approximator
    assert r["trirl_iteration_evicted"] == [True, True] and r["distillations"] == 2 and r["history_weight"] > 1e-3
    assert r["ratio"] > 0 and r["ratio_median_of_pairs"] > 0 and r["chain_eval_ms"] > r["single_disc_eval_ms"]
    assert "| TRIRL-Go2-Walk | cpu | 2 |" in proc.stdout
    bad = subprocess.run([sys.executable, os.path.join(root, "scripts", "benchmark_speed.py"), "--trirl",
                          "approximator.batch_sise=512"], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert bad.returncode != 0 and "approximator.batch_sise: unknown setting" in bad.stderr


def test_viewer_video_without_a_visualizer(capsys) -> None:
    from types import SimpleNamespace

    from trirl_isaac.tasks.imitation.viewer_video import viewer_video_or_none

    env = SimpleNamespace(unwrapped=SimpleNamespace(sim=SimpleNamespace(visualizers=[]), num_envs=1))
    assert viewer_video_or_none(env, "auto") is None
    assert "no frame-capturing visualizer is active" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="no frame-capturing visualizer is active"):
        viewer_video_or_none(env, "on")


def test_viewer_video_streams_frames_to_an_mp4(tmp_path) -> None:
    """begin/capture/finish write an mp4 frame by frame (camera on the followed robot); short or dropped ones vanish."""
    from types import SimpleNamespace

    import imageio.v2 as imageio
    import numpy as np
    import torch

    from trirl_isaac.tasks.imitation.viewer_video import ViewerVideo

    class FakeViz:
        def __init__(self) -> None:
            self.views, self.t = [], 0

        def set_camera_view(self, eye, target) -> None:
            self.views.append((eye, target))

        def render_rgb_array(self):
            self.t += 1
            frame = np.zeros((48, 64, 4), dtype=np.uint8)  # RGBA, as some viewers return
            frame[:, : 8 * self.t % 64, 0] = 255
            return frame

    viz = FakeViz()
    root = torch.tensor([[1.0, 2.0, 0.3], [5.0, 5.0, 0.3]])
    data = SimpleNamespace(default_root_pose=SimpleNamespace(torch=torch.tensor([[0.0, 0.0, 0.5, 1, 0, 0, 0]])),
                           root_link_pos_w=SimpleNamespace(torch=root))  # fmt: skip
    env = SimpleNamespace(unwrapped=SimpleNamespace(sim=SimpleNamespace(visualizers=[viz]), num_envs=2, step_dt=0.02,
                                                    scene={"robot": SimpleNamespace(data=data)}))  # fmt: skip
    video = ViewerVideo(env, env_id=1)
    with pytest.raises(RuntimeError, match="before begin"):
        video.capture()
    out = tmp_path / "v" / "a.mp4"
    video.begin(str(out))
    for _ in range(5):
        video.capture()
    assert not out.exists() and not hasattr(video, "frames")  # encoded as captured, renamed only when finished
    assert video.finish() == str(out) and not (tmp_path / "v" / "a.mp4.part.mp4").exists()
    frames = [np.asarray(f) for f in imageio.get_reader(str(out))]
    assert len(frames) == 5 and frames[0].shape == (48, 64, 3)
    eye, target = viz.views[0]
    assert np.allclose(target, (5.0, 5.0, 0.3)) and np.allclose(np.subtract(eye, target), [1.0, -1.3, 0.5])  # env 1
    video.begin(str(tmp_path / "b.mp4"))
    video.capture()
    assert video.finish() is None and not list(tmp_path.glob("b.mp4*"))  # one frame: no video
    video.begin(str(tmp_path / "c.mp4"))
    video.capture()
    video.capture()
    video.discard()
    assert not list(tmp_path.glob("c.mp4*"))


def test_train_cli_fails_fast_on_bad_options(tmp_path) -> None:
    """Bad overrides, unknown tasks, damaged checkpoints and a missing GPU fail before the simulator starts."""
    damaged = tmp_path / "model_3.pt"
    damaged.write_bytes(b"PK\x03\x04 not a whole checkpoint")
    code = f"""
import json, sys
from trirl_isaac.cli import train
cases = {{
    "bad_value": ["--task", "TRIRL-Go2-Walk", "agent.algorithm.trirl_cfg.eps=2"],
    "misspelt_key": ["--task", "TRIRL-Go2-Walk", "agent.algorithm.trirl_cfg.epsilon=0.1"],
    "bad_choice": ["--task", "TRIRL-Go2-Walk", "agent.algorithm.trirl_cfg.policy_update=trpo"],
    "unknown_task": ["--task", "TRIRL-G1-Runn"],
    "damaged_resume": ["--task", "TRIRL-Go2-Walk", "--device", "cpu", "--resume", {str(damaged)!r}],
    "cuda": ["--task", "TRIRL-Go2-Walk", "--device", "cuda"],
}}
out = {{}}
for name, argv in cases.items():
    try:
        train.main(argv + ["--log_root", {str(tmp_path / "logs")!r}])
        out[name] = "no error"
    except SystemExit as e:
        out[name] = str(e.code)
print("RESULT " + json.dumps(out))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, proc.stdout[-2000:] + proc.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT ") :])
    assert "trirl_cfg.eps must lie in (0, 1], got 2" in out["bad_value"]
    assert "unknown key(s) ['epsilon']" in out["misspelt_key"] and "'eps'" in out["misspelt_key"]
    assert "policy_update must be one of ('trpl', 'kl_penalty', 'ppo')" in out["bad_choice"]
    assert "did you mean ['TRIRL-G1-Run'" in out["unknown_task"]
    assert "cannot be read" in out["damaged_resume"] and str(damaged) in out["damaged_resume"]
    assert damaged.read_bytes() == b"PK\x03\x04 not a whole checkpoint"
    import torch

    if not torch.cuda.is_available():
        assert "no CUDA device" in out["cuda"] and "\n" not in out["cuda"]
    assert not (tmp_path / "logs").exists()  # nothing started, nothing written
