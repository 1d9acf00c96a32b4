"""Damaged and physically wrong motion files: every kind is a MotionFileError naming file, clip and problem, in the
loader and in every importer, and a failed import never replaces an existing file."""

import os

import h5py
import numpy as np
import pytest

from tests.test_motion import G1_KEY, limits_of, synthetic_clip
from trirl_isaac.motion import importers
from trirl_isaac.motion.checks import CHECKS
from trirl_isaac.motion.kinematics import ROBOTS, Kinematics, quat_from_yaw, quat_mul, rotvec_to_quat
from trirl_isaac.motion.retarget import finite_difference_velocities
from trirl_isaac.motion.schema import MotionFileError, load_motion_file, save_motion_file

FEET = ROBOTS["g1"].feet


@pytest.fixture(scope="module")
def g1():
    return Kinematics("g1")


def _load(path, g1, **kw):
    return load_motion_file(path, g1.joint_names, limits_of(g1), kinematics=g1, feet=FEET, **kw)


def _save(path, clip):
    save_motion_file(path, "g1", [clip])
    return path


def _tumbling_clip(g1):
    """A root rolling about its own x axis while facing +y: world- and body-frame angular velocities differ."""
    clip = synthetic_clip(g1, name="c0", yaw_rate=0.0)
    t = np.arange(clip.num_frames) / clip.fps
    roll = rotvec_to_quat(np.stack([0.4 * np.sin(3.0 * t), 0 * t, 0 * t], -1))
    clip.root_quat = quat_mul(quat_from_yaw(np.full_like(t, np.pi / 2)), roll)
    clip.root_pos[:, 2] -= g1.sole_heights(g1.qpos(clip.root_pos, clip.root_quat, clip.joint_pos), FEET).min()
    return finite_difference_velocities(clip)


def _body_frame(clip):
    from trirl_isaac.motion.kinematics import quat_conj, quat_rotate

    clip.root_ang_vel = quat_rotate(quat_conj(clip.root_quat), clip.root_ang_vel)
    return clip


def _with(clip, **changes):
    for k, v in changes.items():
        setattr(clip, k, v(clip) if callable(v) else v)
    return clip


def _teleport(clip):
    pos = clip.root_pos.copy()
    pos[30:, 0] += 2.0  # two clips glued together
    return pos


# kind -> (clip factory(g1), text the message must contain, check name or None)
PHYSICAL = {
    "joint_vel_in_degrees": (
        lambda g1: _with(synthetic_clip(g1, name="c0"), joint_vel=lambda c: np.degrees(c.joint_vel)),
        "joint_vel disagrees with the finite differences of joint_pos",
        "joint_vel",
    ),
    "joint_vel_per_frame": (
        lambda g1: _with(synthetic_clip(g1, name="c0"), joint_vel=lambda c: c.joint_vel / c.fps),
        "joint_vel disagrees",
        "joint_vel",
    ),
    "joint_vel_shuffled_columns": (
        lambda g1: _with(synthetic_clip(g1, name="c0"), joint_vel=lambda c: c.joint_vel[:, ::-1]),
        "joint_vel disagrees",
        "joint_vel",
    ),
    "root_lin_vel_zero": (
        lambda g1: _with(synthetic_clip(g1, name="c0"), root_lin_vel=lambda c: 0 * c.root_lin_vel),
        "root_lin_vel disagrees with the finite differences of root_pos",
        "root_lin_vel",
    ),
    "root_lin_vel_body_frame_axes_swapped": (
        lambda g1: _with(synthetic_clip(g1, name="c0"), root_lin_vel=lambda c: c.root_lin_vel[:, [1, 0, 2]]),
        "root_lin_vel disagrees",
        "root_lin_vel",
    ),
    "root_ang_vel_body_frame": (
        lambda g1: _body_frame(_tumbling_clip(g1)),
        "it matches the body frame: the schema wants the world frame",
        "root_ang_vel",
    ),
    "root_ang_vel_in_degrees": (
        lambda g1: _with(_tumbling_clip(g1), root_ang_vel=lambda c: np.degrees(c.root_ang_vel)),
        "root_ang_vel disagrees with the root quaternion's rate of change",
        "root_ang_vel",
    ),
    "teleport": (
        lambda g1: finite_difference_velocities(_with(synthetic_clip(g1, name="c0"), root_pos=_teleport)),
        "the root jumps 2.0",
        "teleport",
    ),
    "below_ground": (
        lambda g1: _with(synthetic_clip(g1, name="c0"), root_pos=lambda c: c.root_pos - [0, 0, 0.3]),
        "the lowest foot sole is 0.300 m below the ground",
        "below_ground",
    ),
    "floating": (
        lambda g1: _with(synthetic_clip(g1, name="c0"), root_pos=lambda c: c.root_pos + [0, 0, 0.5]),
        "never comes within 0.15 m of the ground (closest 0.500 m)",
        "floating",
    ),
    "body_pos_from_another_model": (
        lambda g1: _with(synthetic_clip(g1, name="c0", bodies=True), body_pos=lambda c: c.body_pos * 1.3),
        "from forward kinematics of the joints",
        "body_fk",
    ),
}


@pytest.mark.parametrize("kind", sorted(PHYSICAL))
def test_physically_wrong_clip_is_named_and_can_be_skipped(tmp_path, g1, kind):
    make, problem, check = PHYSICAL[kind]
    path = _save(tmp_path / f"{kind}.h5", make(g1))
    with pytest.raises(MotionFileError) as e:
        _load(path, g1)
    msg = str(e.value)
    assert str(path) in msg and "[clip 'c0']" in msg and problem in msg, msg
    assert f"skip_checks=['{check}']" in msg, msg
    # a user who knows better skips exactly that check; the clip then loads (all its other checks pass)
    assert _load(path, g1, skip_checks=[check])[0].name == "c0"


def test_shipped_and_synthetic_clips_pass_every_check(g1):
    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "motions")
    for name, robot in (
        ("g1_walk.h5", "g1"),
        ("g1_run.h5", "g1"),
        ("go2_walk.h5", "go2"),
        ("go2_trot_procedural.h5", "go2"),
    ):
        kin = g1 if robot == "g1" else Kinematics("go2")
        assert load_motion_file(os.path.join(root, name), None, kinematics=kin, feet=ROBOTS[robot].feet)


def test_unknown_check_name_lists_the_known_ones(tmp_path, g1):
    path = _save(tmp_path / "ok.h5", synthetic_clip(g1, name="c0"))
    with pytest.raises(ValueError, match="unknown motion check") as e:
        _load(path, g1, skip_checks=["gravity"])
    assert all(c in str(e.value) for c in CHECKS)


def _mutated(tmp_path, g1, name, fn):
    path = _save(tmp_path / f"{name}.h5", synthetic_clip(g1, name="c0"))
    with h5py.File(path, "r+") as f:
        fn(f, f["clips/c0"])
    return path


def _replace(g, key, value):
    del g[key]
    g[key] = value


FILE_DAMAGE = {
    "fps_as_text": (lambda f, g: g.attrs.__setitem__("fps", "thirty"), "attribute 'fps' must be a number", True),
    "cyclic_as_text": (lambda f, g: g.attrs.__setitem__("cyclic", "yes"), "attribute 'cyclic' must be a number", True),
    "schema_version_as_text": (
        lambda f, g: f.attrs.__setitem__("schema_version", "one"),
        "attribute 'schema_version' must be a number",
        False,
    ),
    "joint_pos_strings": (
        lambda f, g: _replace(g, "joint_pos", np.full(g["joint_pos"].shape, b"0.1", dtype="S3")),
        "dataset 'joint_pos' must hold numbers",
        True,
    ),
    "duplicate_joint_names": (
        lambda f, g: _replace(g, "joint_names", np.array([g["joint_names"][1]] + list(g["joint_names"][1:]))),
        "duplicate joint names ['left_hip_roll_joint']",
        True,
    ),
}


@pytest.mark.parametrize("kind", sorted(FILE_DAMAGE))
def test_damaged_fields_are_named(tmp_path, g1, kind):
    fn, problem, names_clip = FILE_DAMAGE[kind]
    path = _mutated(tmp_path, g1, kind, fn)
    with pytest.raises(MotionFileError) as e:
        _load(path, g1)
    msg = str(e.value)
    assert str(path) in msg and problem in msg, msg
    assert ("[clip 'c0']" in msg) == names_clip, msg


def test_duplicate_body_names_are_named(tmp_path, g1):
    clip = synthetic_clip(g1, name="c0", bodies=True)
    clip.body_names = [G1_KEY[0], G1_KEY[0], *G1_KEY[2:]]
    path = _save(tmp_path / "dup_bodies.h5", clip)
    with pytest.raises(MotionFileError, match=r"\[clip 'c0'\]: duplicate body names \['left_ankle_roll_link'\]"):
        _load(path, g1)


@pytest.mark.parametrize("damage", ["truncated", "zeroed_middle"])
def test_truncated_or_corrupted_file_is_a_named_error(tmp_path, g1, damage):
    path = _save(tmp_path / f"{damage}.h5", synthetic_clip(g1, name="c0"))
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[1024:-1024] = bytes(len(data) - 2048)
    path.write_bytes(bytes(data))
    with pytest.raises(MotionFileError) as e:
        _load(path, g1)
    assert str(path) in str(e.value)


# ------------------------------------------------------------------------------------------------------ importers
def _amp_npz(path, clip, g1, **override):
    names = ["pelvis", *G1_KEY]
    bpos, bquat = g1.forward(g1.qpos(clip.root_pos, clip.root_quat, clip.joint_pos), names)
    arrays = dict(
        fps=np.int64(int(clip.fps)),
        dof_names=np.array(clip.joint_names),
        body_names=np.array(names),
        dof_positions=clip.joint_pos.astype(np.float32),
        dof_velocities=clip.joint_vel,
        body_positions=bpos,
        body_rotations=bquat,
        body_linear_velocities=np.repeat(clip.root_lin_vel[:, None], len(names), 1),
        body_angular_velocities=np.repeat(clip.root_ang_vel[:, None], len(names), 1),
    )
    arrays.update(override)
    np.savez(path, **arrays)
    return path


def _lafan_csv(path, clip):
    rows = np.concatenate([clip.root_pos, clip.root_quat[:, [1, 2, 3, 0]], clip.joint_pos], axis=1)
    np.savetxt(path, rows, delimiter=",", fmt="%.9f")
    return path


def _mjlab_npz(path, clip, g1):
    names = ["pelvis", *G1_KEY]
    bpos, bquat = g1.forward(g1.qpos(clip.root_pos, clip.root_quat, clip.joint_pos), names)
    np.savez(
        path,
        fps=np.array([int(clip.fps)]),
        joint_pos=clip.joint_pos,
        joint_vel=clip.joint_vel,
        body_pos_w=bpos,
        body_quat_w=bquat,
        body_lin_vel_w=np.repeat(clip.root_lin_vel[:, None], len(names), 1),
        body_ang_vel_w=np.repeat(clip.root_ang_vel[:, None], len(names), 1),
    )
    return path


IMPORTS = {
    "amp_npz_velocities_in_degrees": (
        lambda tmp, g1: ["humanoid-amp-npz", str(_amp_npz(tmp / "a.npz", _deg(synthetic_clip(g1, name="a")), g1))],
        "joint_vel disagrees",
    ),
    "amp_npz_root_velocity_zero": (
        lambda tmp, g1: [
            "humanoid-amp-npz",
            str(
                _amp_npz(
                    tmp / "a.npz",
                    synthetic_clip(g1, name="a"),
                    g1,
                    body_linear_velocities=np.zeros((61, 5, 3)),
                )
            ),
        ],
        "root_lin_vel disagrees",
    ),
    "lafan_csv_floating": (
        lambda tmp, g1: [
            "lafan-csv",
            str(_lafan_csv(tmp / "walk.csv", _with(synthetic_clip(g1, name="w"), root_pos=lambda c: c.root_pos + 1.0))),
        ],
        "never comes within",
    ),
    "lafan_csv_teleport": (
        lambda tmp, g1: [
            "lafan-csv",
            str(_lafan_csv(tmp / "walk.csv", _with(synthetic_clip(g1, name="w"), root_pos=_teleport))),
        ],
        "the root jumps",
    ),
    "mjlab_npz_below_ground": (
        lambda tmp, g1: [
            "mjlab-npz",
            str(
                _mjlab_npz(tmp / "m.npz", _with(synthetic_clip(g1, name="m"), root_pos=lambda c: c.root_pos - 0.4), g1)
            ),
        ],
        "below the ground",
    ),
}


def _sunk(clip):
    return clip.root_pos - [0.0, 0.0, 0.4]


def _deg(clip):
    clip.joint_vel = np.degrees(clip.joint_vel)
    return clip


@pytest.mark.parametrize("kind", sorted(IMPORTS))
def test_importers_run_the_checks_and_keep_an_existing_file(tmp_path, g1, kind, capsys):
    make, problem = IMPORTS[kind]
    out = tmp_path / "existing.h5"
    _save(out, synthetic_clip(g1, name="keep"))
    before = out.read_bytes()
    argv = [*make(tmp_path, g1), "--robot", "g1", "--out", str(out)]
    assert importers.main(argv) == 1
    err = capsys.readouterr().err
    assert problem in err and str(out) in err and "not written" in err, err
    assert out.read_bytes() == before  # the earlier file is untouched
    assert not [p for p in os.listdir(tmp_path) if "staged" in p]  # and no partial file is left behind


def test_importer_skip_check_by_name(tmp_path, g1):
    clip = _with(synthetic_clip(g1, name="w"), root_pos=lambda c: c.root_pos + 1.0)
    src = _lafan_csv(tmp_path / "walk.csv", clip)
    out = tmp_path / "w.h5"
    assert importers.main(["lafan-csv", str(src), "--out", str(out), "--skip-check", "floating"]) == 0
    assert load_motion_file(out, g1.joint_names, skip_checks=["floating"])[0].name == "walk"
    assert importers.main(["lafan-csv", str(src), "--out", str(out), "--skip-check", "gravity"]) == 1
