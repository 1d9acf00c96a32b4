"""Motion clips: schema validation (malformed-file corpus), resampling, looping, sampling, importers, shipped clips."""

import math
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from trirl_isaac.algo.expert import ExpertSampler
from trirl_isaac.motion.features import feature_dim
from trirl_isaac.motion.kinematics import (
    ROBOTS,
    Kinematics,
    quat_from_yaw,
    quat_mul,
    rotvec_to_quat,
    yaw_of,
)
from trirl_isaac.motion.library import MotionLibrary, MotionSource, loop_displacement, resample_clip
from trirl_isaac.motion.retarget import finite_difference_velocities
from trirl_isaac.motion.schema import MotionClip, MotionFileError, load_motion_file, save_motion_file

REPO = Path(__file__).resolve().parents[1]
MOTIONS = REPO / "data" / "motions"
DT = 0.02
G1_KEY = list(ROBOTS["g1"].key_bodies)


@pytest.fixture(scope="module")
def g1():
    return Kinematics("g1")


@pytest.fixture(scope="module")
def go2():
    return Kinematics("go2")


@pytest.fixture(scope="module")
def convert():
    from trirl_isaac.motion import importers

    return importers


def limits_of(kin):
    return {n: tuple(kin.joint_limits[i]) for i, n in enumerate(kin.joint_names)}


def synthetic_clip(kin, frames=61, fps=30.0, cyclic=False, name="synth", yaw_rate=0.3, speed=0.8, bodies=False):
    """A smooth clip within joint limits; cyclic clips repeat exactly after `frames` frames (one period)."""
    t = np.arange(frames) / fps
    period = frames / fps
    lo, hi = kin.joint_limits[:, 0], kin.joint_limits[:, 1]
    mid, amp = 0.5 * (lo + hi), 0.2 * (hi - lo)
    phase = np.arange(len(kin.joint_names))[None] * 0.37
    joint_pos = mid + amp * np.sin(2 * np.pi * t[:, None] / period + phase)
    yaw = yaw_rate * t
    # Constant speed along the heading: a circle arc (exactly consistent with the loop displacement model).
    if abs(yaw_rate) > 0:
        xy = speed / yaw_rate * np.stack([np.sin(yaw), 1 - np.cos(yaw)], -1)
    else:
        xy = speed * t[:, None] * np.array([1.0, 0.0])
    z = 0.75 + 0.02 * np.cos(2 * np.pi * t / period)
    tilt = rotvec_to_quat(
        np.stack([0.05 * np.sin(2 * np.pi * t / period), 0.03 * np.cos(2 * np.pi * t / period), 0 * t], -1)
    )
    root_quat = quat_mul(quat_from_yaw(yaw), tilt)
    zero = np.zeros((frames, 3))
    clip = MotionClip(
        name,
        fps,
        list(kin.joint_names),
        joint_pos,
        np.zeros_like(joint_pos),
        np.concatenate([xy, z[:, None]], -1),
        root_quat,
        zero,
        zero.copy(),
        cyclic=cyclic,
        source="test",
        licence="CC0",
        how_made="synthetic",
    )
    # stand on the ground: the lowest foot sole of the clip touches z = 0 (the loader's ground checks)
    feet = [f for spec in ROBOTS.values() for f in spec.feet if f in kin.body_names]
    clip.root_pos[:, 2] -= kin.sole_heights(kin.qpos(clip.root_pos, clip.root_quat, clip.joint_pos), feet).min()
    if bodies:
        q = kin.qpos(clip.root_pos, clip.root_quat, clip.joint_pos)
        clip.body_names = list(G1_KEY)
        clip.body_pos, clip.body_quat = kin.forward(q, G1_KEY)
    return finite_difference_velocities(clip)


# ---------------------------------------------------------------------------------------------------------------
# Malformed files: one per error, each naming the file, the clip and the problem.
# ---------------------------------------------------------------------------------------------------------------


def _write_valid(path, g1, **kw):
    save_motion_file(path, "g1", [synthetic_clip(g1, name="c0", **kw)])
    return path


def _mutate(path, fn):
    with h5py.File(path, "r+") as f:
        fn(f, f["clips/c0"])


def _replace(g, key, value):
    del g[key]
    g[key] = value


CORPUS = {
    "schema_version": (lambda f, g: f.attrs.__setitem__("schema_version", 2), "schema_version 2", False),
    "missing_key": (lambda f, g: g.__delitem__("root_quat"), "missing key(s) ['root_quat']", True),
    "inconsistent_T": (lambda f, g: _replace(g, "joint_vel", g["joint_vel"][:-1]), "inconsistent frame count", True),
    "wrong_shape": (lambda f, g: _replace(g, "root_pos", g["root_pos"][:, :2]), "root_pos", True),
    "nan": (
        lambda f, g: _replace(g, "joint_pos", np.where(np.arange(29) == 3, np.nan, g["joint_pos"][()])),
        "NaN or Inf",
        True,
    ),
    "inf": (lambda f, g: _replace(g, "root_lin_vel", np.full(g["root_lin_vel"].shape, np.inf)), "NaN or Inf", True),
    "fps": (lambda f, g: g.attrs.__setitem__("fps", 0.0), "fps must be > 0", True),
    "non_unit_quat": (lambda f, g: _replace(g, "root_quat", 1.1 * g["root_quat"][()]), "not unit-norm", True),
    "quat_convention": (lambda f, g: g.attrs.__setitem__("quat_convention", "xyzw"), "quat_convention", True),
    "unknown_joint": (
        lambda f, g: _replace(
            g, "joint_names", np.array([b"tail_joint"] + [n for n in g["joint_names"][1:]], dtype=object)
        ),
        "joint names the robot lacks: ['tail_joint']",
        True,
    ),
    "joint_limit": (
        lambda f, g: _replace(
            g,
            "joint_pos",
            np.where((np.arange(61)[:, None] == 7) & (np.arange(29)[None] == 3), -0.5, g["joint_pos"][()]),
        ),
        "joint 'left_knee_joint' at frame 7 is -0.5000, outside its limits [-0.0873, 2.8798]",
        True,
    ),
    "no_clips": (lambda f, g: f.__delitem__("clips"), "missing group '/clips'", False),
    "robot_attr": (lambda f, g: f.attrs.__delitem__("robot"), "missing root attribute 'robot'", False),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_malformed_corpus(tmp_path, g1, case):
    mutate, problem, names_clip = CORPUS[case]
    path = _write_valid(tmp_path / f"{case}.h5", g1)
    _mutate(path, mutate)
    with pytest.raises(MotionFileError) as e:
        load_motion_file(path, g1.joint_names, limits_of(g1))
    msg = str(e.value)
    assert str(path) in msg and problem in msg, msg
    if names_clip:
        assert "[clip 'c0']" in msg, msg


def test_missing_and_not_hdf5(tmp_path, g1):
    with pytest.raises(MotionFileError, match="file not found") as e:
        load_motion_file(tmp_path / "absent.h5", g1.joint_names)
    assert str(tmp_path / "absent.h5") in str(e.value)
    bad = tmp_path / "clip.h5"
    bad.write_text("x,y,z\n1,2,3\n")
    with pytest.raises(MotionFileError, match="not an HDF5 file") as e:
        load_motion_file(bad, g1.joint_names)
    assert str(bad) in str(e.value)


def test_too_short_and_key_bodies_and_robot(tmp_path, g1):
    path = _write_valid(tmp_path / "short.h5", g1, frames=2)  # 1/30 s < 2 control steps of 0.02 s
    with pytest.raises(MotionFileError) as e:
        load_motion_file(path, g1.joint_names, control_dt=DT)
    msg = str(e.value)
    assert str(path) in msg and "[clip 'c0']" in msg and "shorter than 2 control steps" in msg
    path = _write_valid(tmp_path / "nobodies.h5", g1)
    with pytest.raises(MotionFileError) as e:
        load_motion_file(path, g1.joint_names, required_bodies=G1_KEY)
    msg = str(e.value)
    assert "[clip 'c0']" in msg and "key bodies missing" in msg and "left_wrist_yaw_link" in msg
    with pytest.raises(MotionFileError, match="not 'go2'"):
        load_motion_file(path, None, robot="go2")
    # A library without an MJCF cannot compute key bodies, so it requires them in the file.
    with pytest.raises(MotionFileError, match="key bodies missing"):
        MotionLibrary([path], g1.joint_names, torch.zeros(29), G1_KEY, DT)


def test_missing_robot_joint_listed(tmp_path, g1):
    clip = synthetic_clip(g1, name="c0")
    keep = [i for i, n in enumerate(clip.joint_names) if "wrist" not in n]
    clip.joint_names = [clip.joint_names[i] for i in keep]
    clip.joint_pos, clip.joint_vel = clip.joint_pos[:, keep], clip.joint_vel[:, keep]
    save_motion_file(tmp_path / "f.h5", "g1", [clip])
    with pytest.raises(MotionFileError, match="robot joints missing from the clip: .*left_wrist_roll_joint"):
        load_motion_file(tmp_path / "f.h5", g1.joint_names)


# ---------------------------------------------------------------------------------------------------------------
# Resampling, looping, sampling, reordering.
# ---------------------------------------------------------------------------------------------------------------


def test_resampling_velocities_consistent(g1):
    clip = synthetic_clip(g1, frames=45, fps=30.0, cyclic=False)
    r = resample_clip(clip, DT, G1_KEY, g1)
    assert r.num_steps == math.floor(44 / 30 / DT + 1e-6) + 1
    # Central differences of the resampled positions are the velocities, exactly.
    np.testing.assert_allclose((r.root_pos[2:] - r.root_pos[:-2]) / (2 * DT), r.root_lin_vel[1:-1], atol=1e-9)
    np.testing.assert_allclose((r.joint_pos[2:] - r.joint_pos[:-2]) / (2 * DT), r.joint_vel[1:-1], atol=1e-9)
    # Angular velocity: q[k+1] ~= exp(w dt) q[k] (world frame).
    for k in range(1, r.num_steps - 1):
        w = 0.5 * (r.root_ang_vel[k] + r.root_ang_vel[k + 1])
        pred = quat_mul(rotvec_to_quat(w * DT), r.root_quat[k])
        assert min(np.abs(pred - r.root_quat[k + 1]).max(), np.abs(pred + r.root_quat[k + 1]).max()) < 2e-4
    # Slerp keeps unit norm; positions at step k match the source at time k*dt (linear interpolation).
    np.testing.assert_allclose(np.linalg.norm(r.root_quat, axis=-1), 1.0, atol=1e-12)
    t = np.arange(r.num_steps) * DT
    for j in (0, 5, 20):
        np.testing.assert_allclose(r.joint_pos[:, j], np.interp(t, np.arange(45) / 30.0, clip.joint_pos[:, j]))
    # Yaw rate of the synthetic clip is 0.3 rad/s about z, plus a small tilt wobble.
    assert abs(np.median(r.root_ang_vel[:, 2]) - 0.3) < 0.05


@pytest.mark.parametrize("cyclic", [False, True])
def test_simulator_velocities_kept_on_the_control_grid(tmp_path, g1, cyclic):
    """velocity_source 'simulator' (recorded clips): on the control grid the stored velocities are used as they are,
    because a simulator's velocity is not the central difference of its positions; off the grid, or unmarked, the
    library recomputes them. The attribute survives a save/load; a wrong value is a named error."""
    clip = synthetic_clip(g1, frames=50, fps=1.0 / DT, cyclic=cyclic)
    rng = np.random.default_rng(0)
    clip.joint_vel = clip.joint_vel + rng.normal(0.0, 0.05, clip.joint_vel.shape)  # not a finite difference
    clip.root_lin_vel = clip.root_lin_vel + rng.normal(0.0, 0.05, clip.root_lin_vel.shape)
    clip.root_ang_vel = clip.root_ang_vel + rng.normal(0.0, 0.05, clip.root_ang_vel.shape)
    clip.velocity_source = "simulator"
    path = tmp_path / "sim.h5"
    save_motion_file(path, "g1", [clip])
    (loaded,) = load_motion_file(path, g1.joint_names, limits_of(g1))
    assert loaded.velocity_source == "simulator"
    r = resample_clip(loaded, DT, G1_KEY, g1)
    assert r.num_steps == 50
    np.testing.assert_allclose(r.joint_vel, clip.joint_vel, atol=1e-6)  # float32 on disk
    np.testing.assert_allclose(r.root_lin_vel, clip.root_lin_vel, atol=1e-6)
    np.testing.assert_allclose(r.root_ang_vel, clip.root_ang_vel, atol=1e-6)
    np.testing.assert_allclose(r.joint_pos, clip.joint_pos, atol=1e-6)
    fd = resample_clip(loaded, DT / 2, G1_KEY, g1)  # off the grid: recomputed
    np.testing.assert_allclose((fd.joint_pos[2:] - fd.joint_pos[:-2]) / DT, fd.joint_vel[1:-1], atol=1e-9)
    loaded.velocity_source = "finite_difference"
    unmarked = resample_clip(loaded, DT, G1_KEY, g1)
    assert np.abs(unmarked.joint_vel - clip.joint_vel).max() > 0.05
    with h5py.File(path, "r+") as f:
        f["clips"][clip.name].attrs["velocity_source"] = "mocap"
    with pytest.raises(MotionFileError, match="velocity_source is 'mocap'"):
        load_motion_file(path, g1.joint_names, limits_of(g1))
    with h5py.File(path, "r+") as f:
        del f["clips"][clip.name].attrs["velocity_source"]  # files written before the attribute
    assert load_motion_file(path, g1.joint_names, limits_of(g1))[0].velocity_source == "finite_difference"


def test_resampling_exact_for_linear_motion(g1):
    clip = synthetic_clip(g1, frames=31, fps=30.0, yaw_rate=0.0)
    clip.joint_pos = np.linspace(0.0, 0.3, 31)[:, None] * np.ones(29)[None]
    clip.joint_pos = np.clip(clip.joint_pos, g1.joint_limits[:, 0], g1.joint_limits[:, 1])
    clip.root_quat = np.tile([1.0, 0, 0, 0], (31, 1))
    r = resample_clip(clip, DT, [], None)
    np.testing.assert_allclose(r.root_lin_vel[:, 0], 0.8, atol=1e-9)
    np.testing.assert_allclose(r.root_ang_vel, 0.0, atol=1e-12)
    np.testing.assert_allclose(r.joint_vel[:, 4], 0.3, atol=1e-9)  # left_ankle_pitch: range contains [0, 0.3]


def test_looping_continuity(g1):
    # One exact period of a periodic gait on a circle: frame T is frame 0 displaced by the loop.
    clip = synthetic_clip(g1, frames=40, fps=30.0, cyclic=True, yaw_rate=0.3, speed=0.8)
    yaw, xy = loop_displacement(clip.root_pos, clip.root_quat)
    assert abs(yaw - 0.3 * 40 / 30) < 1e-4  # heading of a slightly tilted root
    lib = MotionLibrary([clip], g1.joint_names, torch.zeros(29), G1_KEY, DT, mjcf="g1", seed=0)
    k_len = int(lib.num_steps[0])
    assert k_len == round(40 / 30 / DT)
    steps = torch.arange(-3, 2 * k_len + 3)
    s = lib.state_at(torch.zeros_like(steps), steps)
    pos = s.root_pos_w.double().numpy()
    step_len = np.linalg.norm(np.diff(pos[:, :2], axis=0), axis=-1)
    np.testing.assert_allclose(step_len, step_len.mean(), rtol=2e-3)  # constant speed, seams included
    jump = np.abs(np.diff(s.joint_pos.numpy(), axis=0)).max(axis=1)
    assert jump.max() < 1.5 * np.median(jump) + 1e-3
    kb = s.key_body_pos_w.double().numpy()
    kb_jump = np.linalg.norm(np.diff(kb, axis=0), axis=-1).max(axis=1)
    assert kb_jump.max() < 1.5 * np.median(kb_jump)
    # Step K is step 0 displaced by one loop; velocities rotate with the heading.
    s0 = lib.state_at(torch.tensor([0]), torch.tensor([0]))
    sk = lib.state_at(torch.tensor([0]), torch.tensor([k_len]))
    assert abs(yaw_of(sk.root_quat_w.double().numpy()[0]) - yaw_of(s0.root_quat_w.double().numpy()[0]) - yaw) < 1e-4
    speed0, speed_k = (float(torch.linalg.norm(s.root_lin_vel_w[0, :2])) for s in (s0, sk))
    assert abs(speed0 - speed_k) < 1e-4
    assert np.allclose(sk.joint_pos.numpy(), s0.joint_pos.numpy(), atol=1e-6)
    # Consecutive transitions always differ by one control step of motion (no jump at the seam).
    a, b = lib.sample_transitions(4096)
    d = torch.linalg.norm(b.root_pos_w[:, :2] - a.root_pos_w[:, :2], dim=-1).double()
    chord = 0.8 / 0.3 * 2 * math.sin(0.5 * 0.3 * (40 / 30) / k_len)  # one step of clip time P/K on the circle
    assert abs(float(d.max()) - chord) < 1e-5 and abs(float(d.min()) - chord) < 1e-5


def test_weighted_sampling_and_states(tmp_path, g1):
    save_motion_file(tmp_path / "a.h5", "g1", [synthetic_clip(g1, name="a")])
    save_motion_file(
        tmp_path / "b.h5", "g1", [synthetic_clip(g1, name="b", frames=31), synthetic_clip(g1, name="c", frames=50)]
    )
    lib = MotionLibrary(
        [MotionSource(tmp_path / "a.h5", weight=1.0), MotionSource(tmp_path / "b.h5", ["c"], 3.0)],
        g1.joint_names,
        torch.zeros(29),
        G1_KEY,
        DT,
        mjcf="g1",
        seed=1,
    )
    assert lib.clip_names == ["a", "c"]
    ids = lib.sample_clips(40000)
    frac = torch.bincount(ids, minlength=2).float() / ids.numel()
    assert abs(float(frac[1]) - 0.75) < 0.01
    state, clip_ids, times = lib.sample_states(1000)
    assert state.joint_pos.shape == (1000, 29) and state.key_body_pos_w.shape == (1000, 4, 3)
    assert bool((times >= 0).all()) and bool((times < lib.num_steps[clip_ids] * DT).all())
    assert torch.allclose(state.root_quat_w.norm(dim=-1), torch.ones(1000), atol=1e-5)


def test_joint_reordering_by_name(tmp_path, g1):
    clip = synthetic_clip(g1, name="shuffled", bodies=True)
    perm = np.random.default_rng(0).permutation(29)
    shuffled = MotionClip(
        **{
            **clip.__dict__,
            "joint_names": [clip.joint_names[i] for i in perm],
            "joint_pos": clip.joint_pos[:, perm],
            "joint_vel": clip.joint_vel[:, perm],
        }
    )
    save_motion_file(tmp_path / "s.h5", "g1", [shuffled])
    # An Isaac Lab-like articulation order (interleaved left/right), not the MJCF order.
    robot_order = sorted(g1.joint_names, key=lambda n: (n.replace("left_", "").replace("right_", ""), n))
    lib = MotionLibrary([tmp_path / "s.h5"], robot_order, torch.zeros(29), G1_KEY, DT, mjcf="g1")
    s = lib.state_at(torch.tensor([0]), torch.tensor([0]))
    for j, name in enumerate(robot_order):
        assert abs(float(s.joint_pos[0, j]) - clip.joint_pos[0, g1.joint_names.index(name)]) < 1e-6
    # Stored key bodies and FK of the reordered joints agree.
    lib_fk = MotionLibrary([synthetic_clip(g1, name="fk")], g1.joint_names, torch.zeros(29), G1_KEY, DT, mjcf="g1")
    s_fk = lib_fk.state_at(torch.tensor([0]), torch.tensor([0]))
    assert torch.allclose(s.key_body_pos_w, s_fk.key_body_pos_w, atol=1e-5)


# ---------------------------------------------------------------------------------------------------------------
# Importers: write a clip in a foreign format -> convert -> load -> equal.
# ---------------------------------------------------------------------------------------------------------------


def _assert_same(clip, loaded, atol=1e-5):
    assert loaded.num_frames == clip.num_frames and abs(loaded.fps - clip.fps) < 1e-9
    order = [clip.joint_names.index(n) for n in loaded.joint_names]
    np.testing.assert_allclose(loaded.joint_pos, clip.joint_pos[:, order], atol=atol)
    np.testing.assert_allclose(loaded.root_pos, clip.root_pos, atol=atol)
    dots = np.abs(np.sum(loaded.root_quat * clip.root_quat, axis=-1))
    np.testing.assert_allclose(dots, 1.0, atol=1e-5)


def test_import_humanoid_amp_npz(tmp_path, g1, convert):
    clip = synthetic_clip(g1, name="amp")
    names = ["pelvis"] + G1_KEY
    q = g1.qpos(clip.root_pos, clip.root_quat, clip.joint_pos)
    bpos, bquat = g1.forward(q, names)
    perm = np.random.default_rng(1).permutation(29)
    src = tmp_path / "amp.npz"
    np.savez(
        src,
        fps=np.int64(30),
        dof_names=np.array(clip.joint_names)[perm],
        body_names=np.array(names),
        dof_positions=clip.joint_pos[:, perm].astype(np.float32),
        dof_velocities=clip.joint_vel[:, perm],
        body_positions=bpos,
        body_rotations=bquat,
        body_linear_velocities=np.repeat(clip.root_lin_vel[:, None], len(names), 1),  # only body 0 (root) is read
        body_angular_velocities=np.repeat(clip.root_ang_vel[:, None], len(names), 1),
    )
    assert convert.main(["humanoid-amp-npz", str(src), "--robot", "g1", "--out", str(tmp_path / "amp.h5")]) == 0
    loaded = load_motion_file(tmp_path / "amp.h5", g1.joint_names, limits_of(g1), required_bodies=G1_KEY)[0]
    _assert_same(clip, loaded)
    np.testing.assert_allclose(loaded.body_pos[:, 1:], bpos[:, 1:], atol=1e-5)
    # The isaaclab wheel's layout: every frame stored twice at fps=60 -> duplicates dropped, 30 Hz.
    dup = tmp_path / "dup.npz"
    data = dict(np.load(src))
    for k in (
        "dof_positions",
        "dof_velocities",
        "body_positions",
        "body_rotations",
        "body_linear_velocities",
        "body_angular_velocities",
    ):
        data[k] = np.repeat(data[k], 2, axis=0)
    data["fps"] = np.int64(60)
    np.savez(dup, **data)
    with pytest.warns(UserWarning, match="stored 2 times"):
        c2 = convert.convert_humanoid_amp_npz(dup, g1)
    assert c2.fps == 30.0 and c2.num_frames == clip.num_frames
    np.testing.assert_allclose(c2.root_lin_vel, clip.root_lin_vel, atol=1e-4)


def test_import_lafan_csv(tmp_path, g1, convert):
    assert list(convert.G1_LAFAN_JOINT_ORDER) == g1.joint_names  # the Unitree order is the MJCF order
    clip = synthetic_clip(g1, name="lafan")
    order = [g1.joint_names.index(n) for n in convert.G1_LAFAN_JOINT_ORDER]
    xyzw = clip.root_quat[:, [1, 2, 3, 0]]
    rows = np.concatenate([clip.root_pos, xyzw, clip.joint_pos[:, order]], axis=1)
    np.savetxt(tmp_path / "walk1_subject1.csv", rows, delimiter=",", fmt="%.9f")
    assert convert.main(["lafan-csv", str(tmp_path / "walk1_subject1.csv"), "--out", str(tmp_path / "l.h5")]) == 0
    loaded = load_motion_file(tmp_path / "l.h5", g1.joint_names, limits_of(g1))[0]
    _assert_same(clip, loaded)
    np.testing.assert_allclose(loaded.root_lin_vel, clip.root_lin_vel, atol=1e-4)
    # A CSV written with w first: detected (the declared xyzw would be upside down), converted with a warning.
    rows_w = np.concatenate([clip.root_pos, clip.root_quat, clip.joint_pos[:, order]], axis=1)
    np.savetxt(tmp_path / "wfirst.csv", rows_w, delimiter=",", fmt="%.9f")
    with pytest.warns(UserWarning, match="reading them as wxyz"):
        c = convert.convert_lafan_csv(tmp_path / "wfirst.csv", g1)
    np.testing.assert_allclose(np.abs(np.sum(c.root_quat * clip.root_quat, -1)), 1.0, atol=1e-6)
    # Non-unit quaternions (e.g. a column shifted) are rejected.
    rows_bad = rows.copy()
    rows_bad[:, 3:7] *= 2.0
    np.savetxt(tmp_path / "bad.csv", rows_bad, delimiter=",")
    with pytest.raises(convert.ConversionError, match="not unit-norm"):
        convert.convert_lafan_csv(tmp_path / "bad.csv", g1)


def test_import_mjlab_npz(tmp_path, g1, convert):
    clip = synthetic_clip(g1, name="mj", frames=80, fps=50.0)
    names = ["pelvis"] + G1_KEY
    bpos, bquat = g1.forward(g1.qpos(clip.root_pos, clip.root_quat, clip.joint_pos), names)
    np.savez(
        tmp_path / "mj.npz",
        fps=np.array([50]),
        joint_pos=clip.joint_pos,
        joint_vel=clip.joint_vel,
        body_pos_w=bpos,
        body_quat_w=bquat,
        body_lin_vel_w=np.repeat(clip.root_lin_vel[:, None], len(names), 1),  # only body 0 (root) is read
        body_ang_vel_w=np.repeat(clip.root_ang_vel[:, None], len(names), 1),
    )
    out = tmp_path / "mj.h5"
    assert (
        convert.main(
            ["mjlab-npz", str(tmp_path / "mj.npz"), "--out", str(out), "--body-names", ",".join(names), "--cyclic"]
        )
        == 0
    )
    loaded = load_motion_file(out, g1.joint_names, limits_of(g1))[0]
    _assert_same(clip, loaded)
    assert loaded.cyclic and loaded.body_names == names
    # Joint names given in another order: columns are interpreted with them and reordered by name.
    rev = list(reversed(g1.joint_names))
    np.savez(
        tmp_path / "rev.npz",
        fps=50,
        joint_pos=clip.joint_pos[:, ::-1],
        joint_vel=clip.joint_vel[:, ::-1],
        body_pos_w=bpos,
        body_quat_w=bquat,
        body_lin_vel_w=np.repeat(clip.root_lin_vel[:, None], len(names), 1),
        body_ang_vel_w=np.repeat(clip.root_ang_vel[:, None], len(names), 1),
    )
    c = convert.convert_mjlab_npz(tmp_path / "rev.npz", g1, joint_names=rev)
    save_motion_file(tmp_path / "rev.h5", "g1", [c])
    _assert_same(clip, load_motion_file(tmp_path / "rev.h5", g1.joint_names)[0])
    with pytest.raises(convert.ConversionError, match="unknown \\['tail_joint'\\]"):
        convert.convert_mjlab_npz(tmp_path / "rev.npz", g1, joint_names=["tail_joint"] + rev[1:])


def test_quat_convention_detection(convert):
    q = quat_from_yaw(np.linspace(-0.4, 0.4, 20))
    pos = np.stack([np.linspace(0, 1, 20), np.zeros(20), np.full(20, 0.7)], -1)  # walking forward along x
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert convert.choose_quat_convention(q, "wxyz", "auto", "x", pos) == ("wxyz", pytest.approx(1.0))
        assert convert.choose_quat_convention(q[:, [1, 2, 3, 0]], "xyzw", "auto", "x", pos)[0] == "xyzw"
    # w, x, y, z data declared x, y, z, w: read as declared the root is upside down -> switched, with a warning.
    with pytest.warns(UserWarning, match="reading them as wxyz"):
        assert convert.choose_quat_convention(q, "xyzw", "auto", "x", pos)[0] == "wxyz"
    # x, y, z, w data declared w, x, y, z: still upright (a half turn about ~z), but walking backwards -> warning.
    with pytest.warns(UserWarning, match="travels backwards"):
        assert convert.choose_quat_convention(q[:, [1, 2, 3, 0]], "wxyz", "auto", "x", pos)[0] == "wxyz"
    with pytest.warns(UserWarning, match="not upright"):
        convert.choose_quat_convention(q, "xyzw", "xyzw", "x")


# ---------------------------------------------------------------------------------------------------------------
# The shipped clips.
# ---------------------------------------------------------------------------------------------------------------

SHIPPED = [("g1_walk.h5", "g1"), ("g1_run.h5", "g1"), ("go2_walk.h5", "go2"), ("go2_trot_procedural.h5", "go2")]
SPEED = {
    "g1_walk.h5": (0.9, 1.5),
    "g1_run.h5": (2.0, 3.2),
    "go2_walk.h5": (0.9, 1.05),
    "go2_trot_procedural.h5": (0.95, 1.05),
}
RECORDED = {"go2_walk.h5"}  # recorded from a policy in the twin: several clips, not cyclic, simulator velocities


@pytest.mark.parametrize("name,robot", SHIPPED)
def test_shipped_clip_valid_and_grounded(name, robot, g1, go2):
    kin = g1 if robot == "g1" else go2
    clips = load_motion_file(
        MOTIONS / name,
        kin.joint_names,
        limits_of(kin),
        robot=robot,
        control_dt=DT,
        limit_tol=0.0,
        required_bodies=ROBOTS[robot].key_bodies,
    )
    assert len(clips) >= (4 if name in RECORDED else 1)
    for clip in clips:
        assert clip.licence and clip.source and clip.how_made
        if name in RECORDED:
            assert not clip.cyclic and clip.velocity_source == "simulator" and clip.duration >= 5.0
            assert "record_expert.py" in clip.how_made and "sha1" in clip.source
        else:
            assert clip.cyclic
        for k in ("foot_skate_mps", "min_foot_height_m"):
            assert k in clip.quality
        q = kin.qpos(clip.root_pos, clip.root_quat, clip.joint_pos, clip.joint_names)
        # Stored key bodies are the FK of the stored joints.
        np.testing.assert_allclose(kin.forward(q, clip.body_names)[0], clip.body_pos, atol=1e-4)
        # Feet: never more than 5 mm below the ground (a recorded clip: 1 cm at a touchdown frame, where MuJoCo's
        # contacts at the task's stiffness give way a few mm in the twin), and within 2 cm of it whenever they
        # stand still (stance).
        feet = list(ROBOTS[robot].feet)
        heights = kin.sole_heights(q, feet)
        assert heights.min() > (-0.01 if name in RECORDED else -0.005), (name, clip.name, heights.min())
        if name in RECORDED:
            assert np.percentile(heights, 1) > -0.005, (name, clip.name)
        # Stance: the foot stands still (3-D speed < 0.1 m/s) for at least 3 consecutive frames.
        pos = kin.forward(q, feet)[0]
        still = np.linalg.norm(np.gradient(pos, axis=0), axis=-1) * clip.fps < 0.1
        stance = np.zeros_like(still)
        for t in range(still.shape[0] - 2):
            stance[t : t + 3] |= still[t : t + 3].all(axis=0)
        assert stance.mean() > 0.1
        assert heights[stance].max() < 0.02, (name, heights[stance].max())
        # Gait speed as documented.
        v = np.linalg.norm(np.diff(clip.root_pos[:, :2], axis=0), axis=-1).mean() * clip.fps
        assert SPEED[name][0] < v < SPEED[name][1], (name, clip.name, v)


def test_shipped_expert_features(g1, go2):
    lib = MotionLibrary(
        [MotionSource(MOTIONS / "g1_walk.h5", weight=2.0), MotionSource(MOTIONS / "g1_run.h5")],
        g1.joint_names,
        torch.zeros(29),
        G1_KEY,
        DT,
        mjcf="g1",
        robot="g1",
        seed=0,
    )
    assert isinstance(lib, ExpertSampler)
    assert lib.feature_dim == 2 * feature_dim(29, 4)
    f = lib.expert_features(256)
    assert f.shape == (256, lib.feature_dim) and bool(torch.isfinite(f).all())
    assert lib.sample(8).shape == (8, lib.feature_dim)
    go2_key = list(ROBOTS["go2"].key_bodies)
    lib2 = MotionLibrary(
        [MOTIONS / "go2_trot_procedural.h5"], go2.joint_names, torch.zeros(12), go2_key, DT, mjcf="go2"
    )
    f2 = lib2.expert_features(64)
    assert f2.shape == (64, 2 * feature_dim(12, 4))
    # Base height feature (index 2J + 6) is the trot's 0.30 m; base linear velocity (2J) is 1 m/s forward.
    assert torch.allclose(f2[:, 2 * 12 + 6], torch.full((64,), 0.30), atol=1e-4)
    assert torch.allclose(f2[:, 2 * 12], torch.ones(64), atol=1e-3)
    s, s_next = lib2.sample_transitions(64)
    assert torch.allclose(s_next.root_pos_w[:, 0] - s.root_pos_w[:, 0], torch.full((64,), DT), atol=1e-4)
