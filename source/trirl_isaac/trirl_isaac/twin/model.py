"""The native-MuJoCo model of a robot task: the robot module's MJCF on a floor, with its actuators and solver.

Everything comes from the robot module (:mod:`trirl_isaac.robots`) and the task spec (:mod:`trirl_isaac.spec`):

* joints in the robot's joint order (= Isaac Lab's articulation order), addressed by name;
* implicit PD groups (Isaac Lab's ``ImplicitActuatorCfg``) become MuJoCo position actuators (kp, kv, force range =
  effort limit; the damping is integrated implicitly by ``implicitfast``, as PhysX/Newton joint drives do);
* DC-motor groups (Isaac Lab's ``DCMotorCfg``, explicit) become torque motors whose torque the env computes every
  physics step with Isaac Lab's formula (PD, then the torque-speed saturation, then the effort limit);
* armature where the robot module sets one (else the MJCF's), the solver settings of the Isaac Lab tasks
  (pyramidal friction cones, impratio 1, implicitfast) and their physics step.

* contacts as stiff as the Isaac Lab task's: the same solver substeps (two MuJoCo steps of 2.5 ms per physics step)
  and the ``solref`` Newton's MuJoCo solver derives from the task's contact stiffness and damping
  (:meth:`~trirl_isaac.spec.ImitationSpec.contact_solref`; at 2.5 ms MuJoCo raises its time constant to 5 ms).

Known differences from the Isaac Lab task (Newton + MuJoCo-Warp): MuJoCo's collision detection instead of Newton's
collision pipeline; the MJCF's passive joint damping and friction loss are kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import mujoco
import numpy as np

from trirl_isaac.motion.kinematics import resolve_mjcf
from trirl_isaac.robots import Robot
from trirl_isaac.spec import IMITATION, ImitationSpec

FLOOR_FRICTION = 1.0
"""Friction of the floor (the Isaac Lab tasks' packaged ground plane: 1.0)."""
SOLIMP = (0.9, 0.95, 0.001, 0.5, 2.0)
"""MuJoCo's default contact impedance, set on every geom (the Isaac tasks use Newton's contacts, not the MJCF's).
The menagerie Go2's feet are far softer (solimp 0.015 1 0.022): a foot within a few mm of the floor then has almost
no friction, and a PPO velocity expert learned to skate on three dragging feet (foot skate 1.15 m/s at 1.07 m/s
forward, duty factors 0.09 / 1.0 / 0.97 / 1.0); with the defaults the same policy's duty factors fall to ~0.5 and
its speed to 0.90 m/s. Until 2026-12-06 the twin also used MuJoCo's default ``solref`` (0.02, 1) at one 5 ms step:
the Go2's trotting feet then sank up to 3 cm (7 mm with the task's contacts, the same policy)."""


@dataclass(frozen=True)
class Dynamics:
    """Changed dynamics for re-optimising a learned reward or checking a policy on another robot or floor (transfer):
    the task (observations, actions, clip, reward, terminations) stays the same, the world it runs in does not.
    The default is the task's own dynamics."""

    payload_kg: float = 0.0
    """Mass added to the base body at its centre of mass (a point mass: the inertia is unchanged); may be negative
    down to the base's own mass."""
    motor_strength: float = 1.0
    """Scales every joint's effort limit (a DC motor's torque-speed saturation too): 0.7 = motors 30% weaker."""
    friction: float = 1.0
    """Scales the sliding friction of every geom, the floor's included (MuJoCo combines two geoms' by their max)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"dynamics {f.name}={value!r}: expected a finite number")
        if self.motor_strength <= 0.0 or self.friction <= 0.0:
            raise ValueError(f"dynamics motor_strength and friction must be > 0, got {self}")

    @classmethod
    def parse(cls, items: list[str] | None) -> Dynamics:
        """From ``KEY=VALUE`` items (``--dynamics payload_kg=3 motor_strength=0.8``); a bad item is a named error."""
        known = [f.name for f in fields(cls)]
        given: dict[str, float] = {}
        for item in items or []:
            key, sep, value = item.partition("=")
            if not sep or key not in known:
                raise ValueError(f"dynamics {item!r}: expected KEY=VALUE with KEY one of {known}")
            if key in given:
                raise ValueError(f"dynamics {key!r} given twice")
            try:
                given[key] = float(value)
            except ValueError:
                raise ValueError(f"dynamics {item!r}: {value!r} is not a number") from None
        return cls(**given)

    @classmethod
    def from_cli(cls, items: list[str] | None) -> Dynamics:
        """:meth:`parse` for a script's ``--dynamics``: a bad item exits naming the option and the problem."""
        try:
            return cls.parse(items)
        except ValueError as e:
            raise SystemExit(f"--dynamics: {e}") from None

    def changed(self) -> dict[str, float]:
        """The settings that differ from the task's own dynamics (empty: the task's)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != f.default}


@dataclass
class TwinModel:
    """A compiled model and the index arrays the env reads, all in the robot's joint order."""

    robot: Robot
    spec: ImitationSpec
    model: mujoco.MjModel
    qpos_adr: np.ndarray
    """(J,) qpos index of each joint."""
    dof_adr: np.ndarray
    """(J,) qvel index of each joint."""
    act_ids: np.ndarray
    """(J,) actuator of each joint."""
    stiffness: np.ndarray
    damping: np.ndarray
    effort_limit: np.ndarray
    velocity_limit: np.ndarray
    """(J,) DC-motor velocity limit (inf for implicit joints)."""
    explicit: np.ndarray
    """(J,) bool: the torque is computed by the env (DC motor), not by a MuJoCo position actuator."""
    default_joint_pos: np.ndarray
    soft_limits: np.ndarray
    """(J, 2) the joint range shrunk about its middle by ``spec.soft_joint_pos_limit_factor`` (as Isaac Lab)."""
    base_body: int
    dynamics: Dynamics
    """The dynamics the model was built with (:class:`Dynamics`; the default: the task's own)."""
    key_bodies: np.ndarray
    termination_geom: np.ndarray
    """(ngeom,) bool: geoms of the termination bodies (their contact ends an episode)."""
    floor_geom: int
    termination_force_adr: np.ndarray
    """(T, 3) sensordata indices of each termination body's net contact force."""
    foot_force_adr: np.ndarray
    """(F, 3) sensordata indices of each foot's net contact force."""


def build_twin_model(robot: Robot, spec: ImitationSpec = IMITATION, dynamics: Dynamics | None = None) -> TwinModel:
    """Compile ``robot``'s MJCF with a floor, its actuators and the task's solver settings; ``dynamics`` changes the
    robot or floor (:class:`Dynamics`)."""
    dynamics = Dynamics() if dynamics is None else dynamics
    ms = mujoco.MjSpec.from_file(str(resolve_mjcf(robot.name)))
    for a in list(ms.actuators):
        ms.delete(a)
    ms.option.timestep = spec.sim_dt / spec.physics_substeps
    ms.option.cone = mujoco.mjtCone.mjCONE_PYRAMIDAL
    ms.option.impratio = 1.0
    ms.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    solref = list(spec.contact_solref())
    for geom in ms.geoms:  # the task's contact softness on every geom (see SOLIMP)
        geom.solimp = list(SOLIMP)
        geom.solref = solref
    floor = ms.worldbody.add_geom()
    floor.name = "twin_floor"
    floor.type = mujoco.mjtGeom.mjGEOM_PLANE
    floor.size = [0.0, 0.0, 0.05]
    floor.friction = [FLOOR_FRICTION, 0.005, 0.0001]
    floor.condim = 3
    floor.solimp = list(SOLIMP)
    floor.solref = solref
    floor.rgba = [0.55, 0.6, 0.65, 1.0]
    floor.contype = floor.conaffinity = 1
    if dynamics.friction != 1.0:
        for geom in ms.geoms:
            geom.friction = [geom.friction[0] * dynamics.friction, geom.friction[1], geom.friction[2]]
    if dynamics.payload_kg != 0.0:
        base = ms.body(robot.base_body)
        if base is None or base.mass + dynamics.payload_kg <= 0.0:
            raise ValueError(
                f"dynamics payload_kg={dynamics.payload_kg}: the base {robot.base_body!r} would have no mass left"
            )
        base.mass = base.mass + dynamics.payload_kg
    j = len(robot.joint_names)
    kp, kd, eff, vlim = (np.zeros(j) for _ in range(4))
    explicit = np.zeros(j, dtype=bool)
    for i, name in enumerate(robot.joint_names):
        group = robot.actuator_of(name)
        (kp[i],) = robot.per_joint(group.stiffness, (name,))
        (kd[i],) = robot.per_joint(group.damping, (name,))
        (eff[i],) = robot.per_joint(group.effort_limit, (name,))
        eff[i] *= dynamics.motor_strength
        if group.velocity_limit is not None:
            explicit[i] = True
            (vlim[i],) = robot.per_joint(group.velocity_limit, (name,))
        else:
            vlim[i] = np.inf
        if group.armature > 0.0:
            ms.joint(name).armature = group.armature
        act = ms.add_actuator()
        act.name = f"twin_{name}"
        act.target = name
        act.trntype = mujoco.mjtTrn.mjTRN_JOINT
        act.gear = [1.0, 0, 0, 0, 0, 0]
        act.ctrllimited = False
        if explicit[i]:  # torque motor; the env computes the DC-motor torque
            act.gaintype = mujoco.mjtGain.mjGAIN_FIXED
            act.gainprm = [1.0] + [0.0] * 9
            act.biastype = mujoco.mjtBias.mjBIAS_NONE
        else:  # position actuator: kp (ctrl - q) - kv qdot, clamped to the effort limit
            act.gaintype = mujoco.mjtGain.mjGAIN_FIXED
            act.gainprm = [kp[i]] + [0.0] * 9
            act.biastype = mujoco.mjtBias.mjBIAS_AFFINE
            act.biasprm = [0.0, -kp[i], -kd[i]] + [0.0] * 7
            act.forcelimited = True
            act.forcerange = [-eff[i], eff[i]]
    # net contact force on each termination body and each foot, computed by MuJoCo (sensordata: found, force xyz)
    contact_bodies = list(dict.fromkeys([*robot.termination_bodies, *robot.feet]))
    for name in contact_bodies:
        sen = ms.add_sensor()
        sen.name = f"twin_contact_{name}"
        sen.type = mujoco.mjtSensor.mjSENS_CONTACT
        sen.objtype = mujoco.mjtObj.mjOBJ_BODY
        sen.objname = name
        sen.intprm = [3, 3, 1]  # data: found | force; reduce: netforce; one result
    model = ms.compile()
    jid = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, n) for n in robot.joint_names]
    missing = [n for n, k in zip(robot.joint_names, jid) if k < 0]
    if missing:
        raise ValueError(f"robot {robot.name!r}: joints {missing} are not in {robot.mjcf}")

    def body(name: str) -> int:
        k = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, name)
        if k < 0:
            raise ValueError(f"robot {robot.name!r}: body {name!r} is not in {robot.mjcf}")
        return k

    term_bodies = [body(b) for b in robot.termination_bodies]
    rng = model.jnt_range[jid]
    mid, half = rng.mean(axis=1), 0.5 * (rng[:, 1] - rng[:, 0]) * spec.soft_joint_pos_limit_factor
    return TwinModel(
        robot=robot,
        spec=spec,
        model=model,
        qpos_adr=model.jnt_qposadr[jid].copy(),
        dof_adr=model.jnt_dofadr[jid].copy(),
        act_ids=np.array(
            [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_ACTUATOR, f"twin_{n}") for n in robot.joint_names]
        ),
        stiffness=kp,
        damping=kd,
        effort_limit=eff,
        velocity_limit=vlim,
        explicit=explicit,
        default_joint_pos=np.asarray(robot.default_joint_positions()),
        soft_limits=np.stack([mid - half, mid + half], axis=1),
        base_body=body(robot.base_body),
        dynamics=dynamics,
        key_bodies=np.array([body(b) for b in robot.key_bodies]),
        termination_geom=np.isin(model.geom_bodyid, term_bodies),
        floor_geom=mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, "twin_floor"),
        termination_force_adr=np.stack([force_adr(model, b) for b in robot.termination_bodies]),
        foot_force_adr=np.stack([force_adr(model, b) for b in robot.feet]),
    )


def force_adr(model: mujoco.MjModel, body: str) -> np.ndarray:
    """sensordata indices (3,) of the net contact force on ``body`` (its twin contact sensor)."""
    k = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_SENSOR, f"twin_contact_{body}")
    return model.sensor_adr[k] + 1 + np.arange(3)


def pd_torque(tm: TwinModel, target: np.ndarray, q: np.ndarray, qd: np.ndarray) -> np.ndarray:
    """Joint torques (N, J) Isaac Lab's actuators apply for position targets: PD, DC-motor saturation (explicit
    joints: the torque bound shrinks linearly with joint speed, as ``DCMotor``), effort limit."""
    tau = tm.stiffness * (target - q) - tm.damping * qd
    sat = tm.effort_limit
    with np.errstate(invalid="ignore"):
        hi = np.clip(sat * (1.0 - qd / tm.velocity_limit), 0.0, tm.effort_limit)
        lo = np.clip(sat * (-1.0 - qd / tm.velocity_limit), -tm.effort_limit, 0.0)
    hi = np.where(tm.explicit, hi, tm.effort_limit)
    lo = np.where(tm.explicit, lo, -tm.effort_limit)
    return np.clip(tau, lo, hi)
