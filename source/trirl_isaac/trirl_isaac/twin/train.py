"""Training in the MuJoCo twin: TRIRL on a task's clips, plain PPO on a frozen learned reward, or the Go2 expert.

The agents are the Isaac Lab tasks' own (``rsl_rl_cfg_entry_point`` for TRIRL, ``rsl_rl_ppo_cfg_entry_point`` for
re-optimising a reward; Isaac Lab's flat Go2 PPO runner for the expert), so a run in the twin is the run a user
would start in Isaac Lab, on a simulator that is fast on a CPU. :func:`gait_report` measures what a gait is judged
by: survival of full episodes, forward speed against the clip's, and each foot's duty factor against the clip's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from typing import Any

import numpy as np
import torch

MODES = ("trirl", "retrain", "expert")


def agent_config(
    task: str, mode: str, trirl_overrides: list[str] | None = None, algorithm_overrides: list[str] | None = None
) -> dict[str, Any]:
    """The rsl_rl runner config (a dict) of ``task`` for ``mode``: the Isaac Lab task's own agent settings.

    ``trirl_overrides`` (``key[.sub]=value`` items, mode ``trirl`` only) change the task's ``trirl_cfg``, checked by
    name and value as the benchmark's ``--trirl`` is; ``method=gail policy_update=ppo`` runs a baseline (with its own
    reward form: the task's ``d_transform`` then returns to ``logit`` unless an override names it)."""
    import gymnasium as gym
    from isaaclab.utils import to_dict
    from isaaclab_rl.rsl_rl import handle_deprecated_rsl_rl_cfg
    from rsl_rl.utils import resolve_callable

    import trirl_isaac.tasks  # noqa: F401  (registers the TRIRL-* tasks)
    from trirl_isaac.tasks.launch import RSL_RL_VERSION

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "expert":
        from isaaclab_tasks.core.velocity.config.go2.agents.rsl_rl_ppo_cfg import UnitreeGo2FlatPPORunnerCfg

        cfg = UnitreeGo2FlatPPORunnerCfg()
        cfg.experiment_name = "go2_velocity_expert_twin"
        cfg.obs_groups = {"actor": ["policy"], "critic": ["critic"]}
    else:
        entry = "rsl_rl_cfg_entry_point" if mode == "trirl" else "rsl_rl_ppo_cfg_entry_point"
        cfg = resolve_callable(gym.spec(task).kwargs[entry])()
    cfg.device = "cpu"
    cfg = to_dict(handle_deprecated_rsl_rl_cfg(cfg, RSL_RL_VERSION))
    if trirl_overrides:
        if mode != "trirl":
            raise ValueError(f"trirl overrides apply to mode 'trirl' only, not {mode!r}")
        from trirl_isaac.bench.settings import with_overrides

        items = list(trirl_overrides)
        given = {key.strip(): value.strip() for key, _, value in (item.partition("=") for item in items)}
        if given.get("method", "trirl") != "trirl" and "d_transform" not in given:
            items.append("d_transform=logit")  # a baseline pays D in its own form; the TRIRL fold's form is TRIRL's
        alg = cfg["algorithm"]
        alg["trirl_cfg"] = with_overrides(items, trirl=alg["trirl_cfg"])
    if algorithm_overrides:
        from trirl_isaac.algo.ppo import ENTROPY_FLOOR_KEYS
        from trirl_isaac.bench.settings import parse_setting

        alg = cfg["algorithm"]
        known = sorted(k for k in alg if k not in ("class_name", "trirl_cfg"))  # trirl_cfg: --trirl's
        floor_defaults = {"entropy_floor": None, "entropy_floor_start": None, "entropy_floor_iterations": 1000}
        if mode != "trirl":  # plain PPO takes an entropy bound (EntropyFloorPPO); TRIRL has its trust_region one
            known = sorted(known + list(ENTROPY_FLOOR_KEYS))
        for item in algorithm_overrides:
            key, sep, value = item.partition("=")
            if not sep or key not in known:
                raise ValueError(f"algorithm override {item!r}: expected KEY=VALUE with KEY one of {known}")
            old = alg[key] if key in alg else floor_defaults[key]
            alg[key] = parse_setting(key, value, old, flag="--algorithm", error=ValueError)
        if any(k in alg for k in ENTROPY_FLOOR_KEYS):
            alg["class_name"] = "trirl_isaac.algo.ppo:EntropyFloorPPO"
    return cfg


def make_twin(
    task: str,
    mode: str,
    num_envs: int,
    seed: int,
    play: bool = False,
    expert_reward: str = "gait",
    motion_files: list[str] | None = None,
    dynamics=None,
    default_pose_share: float | None = None,
    num_threads: int = 1,
):
    """The twin for ``mode``: absorbing falls for learned rewards, the velocity reward ``expert_reward`` (a key of
    :data:`~trirl_isaac.twin.expert.EXPERT_REWARDS`) for the expert; ``motion_files`` replace the task's clips;
    ``dynamics`` (:class:`~trirl_isaac.twin.model.Dynamics`) changes the robot or floor; ``default_pose_share``
    (learned-reward modes) replaces the task's share of episodes that start in the default pose (the expert: 1);
    ``num_threads`` steps the physics on that many threads (the same result as one)."""
    from trirl_isaac.twin import TwinEnv
    from trirl_isaac.twin.expert import EXPERT_REWARDS, VelocityReward

    if mode == "expert":
        if expert_reward not in EXPERT_REWARDS:
            raise ValueError(f"expert_reward must be one of {sorted(EXPERT_REWARDS)}, got {expert_reward!r}")
        reward = VelocityReward(weights=dict(EXPERT_REWARDS[expert_reward]))
        return TwinEnv(
            task,
            num_envs,
            seed=seed,
            play=play,
            task_reward=reward,
            default_pose_share=1.0,
            absorbing=False,
            motion_files=motion_files,
            dynamics=dynamics,
            num_threads=num_threads,
        )
    if default_pose_share is not None and not 0.0 <= default_pose_share <= 1.0:
        raise ValueError(f"default_pose_share must lie in [0, 1], got {default_pose_share}")
    return TwinEnv(task, num_envs, seed=seed, play=play, motion_files=motion_files, dynamics=dynamics,
                   default_pose_share=default_pose_share, num_threads=num_threads)  # fmt: skip


def clip_gait(env, frames: int = 4096) -> dict[str, Any]:
    """The clip's forward speed and per-foot duty factor.

    Duty factors come from the clips' own contact-sensor numbers (``quality_duty_factor_<foot>``, written by the
    twin's recorder) when every clip has them, weighted by clip length, so they are measured as the policy's are;
    otherwise from foot heights (foot low: within 1.5 cm of its lowest height). ``duty_source`` says which."""
    from trirl_isaac.motion.features import quat_rotate_inverse
    from trirl_isaac.motion.schema import load_motion_file

    lib = env.motion_library
    state, _, _ = lib.sample_states(frames)
    speed = quat_rotate_inverse(state.root_quat_w, state.root_lin_vel_w)[:, 0]
    clips = [c for path in env.motion_files for c in load_motion_file(path, None)]
    keys = [f"duty_factor_{foot}" for foot in env.robot.feet]
    if clips and all(k in c.quality for c in clips for k in keys):
        w = np.array([c.num_frames for c in clips], dtype=float)
        duty = (np.array([[c.quality[k] for k in keys] for c in clips]) * w[:, None]).sum(0) / w.sum()
        return {"forward_speed": float(speed.mean()), "duty_factor": duty.tolist(), "duty_source": "contact sensors"}
    feet = [lib.key_body_names.index(f) for f in env.robot.feet if f in lib.key_body_names]
    z = state.key_body_pos_w[:, feet, 2]
    low = z <= z.min(dim=0).values + 0.015
    return {"forward_speed": float(speed.mean()), "duty_factor": low.float().mean(dim=0).tolist(),
            "duty_source": "foot height"}  # fmt: skip


@torch.no_grad()
def gait_report(env, policy, steps: int | None = None) -> dict[str, Any]:
    """Run ``policy`` (obs -> actions) once through an episode in every env (play mode) and measure the gait.

    survival: share of envs whose first episode lasted the full episode; forward_speed: mean base-frame forward
    speed over the steps the robots were up; duty_factor: per foot, the share of those steps in contact."""
    steps = env.max_episode_length if steps is None else steps
    obs = env.get_observations()
    alive = np.ones(env.num_envs, dtype=bool)
    speed, contact, counted = [], [], []
    for _ in range(steps):
        obs, _, done, extras = env.step(policy(obs))
        up = alive.copy()
        speed.append(extras["final_obs"]["critic"][:, 0].numpy())
        contact.append(env.foot_contact.copy())
        counted.append(up)
        ended = done.numpy().astype(bool) & ~extras["time_outs"].numpy().astype(bool)
        alive &= ~ended
    counted = np.array(counted)
    speed = np.array(speed)[counted]
    contact = np.array(contact)[counted]
    return {
        "survival": float(alive.mean()),
        "forward_speed": float(speed.mean()) if speed.size else 0.0,
        "duty_factor": contact.mean(axis=0).tolist() if contact.size else [],
        "envs": env.num_envs,
        "steps": steps,
    }


def compare(report: dict[str, Any], clip: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets: >= 90% survival, speed within 15% of the clip's, duty factors within 0.15 of the clip's."""
    speed_err = abs(report["forward_speed"] - clip["forward_speed"]) / max(abs(clip["forward_speed"]), 1e-6)
    duty_err = float(np.max(np.abs(np.array(report["duty_factor"]) - np.array(clip["duty_factor"]))))
    return {
        "speed_rel_error": speed_err,
        "duty_factor_max_error": duty_err,
        "meets": bool(report["survival"] >= 0.9 and speed_err <= 0.15 and duty_err <= 0.15),
    }


def reward_sequence(folder: str) -> list[tuple[int, str]]:
    """A TRIRL run's saved rewards ``reward_<iteration>.pt`` in ``folder``, as (iteration, path) in iteration order:
    the moving target the run's policy followed. Re-optimised in order (``train(reward_sequence_dir=...)``), a fresh
    policy at iteration k is paid by the reward the run had at iteration k."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"reward_sequence: {folder} is not a folder (give a TRIRL run's log folder)")
    found = []
    for name in os.listdir(folder):
        match = re.fullmatch(r"reward_(\d+)\.pt", name)
        if match:
            found.append((int(match.group(1)), os.path.join(folder, name)))
    if not found:
        raise ValueError(f"reward_sequence: {folder} holds no reward_<iteration>.pt files (a TRIRL run's log folder "
                         "has one per checkpoint)")  # fmt: skip
    return sorted(found)


def _sha1(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


def train(
    task: str,
    mode: str,
    iterations: int,
    num_envs: int,
    seed: int,
    log_dir: str,
    reward_path: str | None = None,
    eval_every: int = 50,
    eval_envs: int = 16,
    resume: str | None = None,
    max_minutes: float | None = None,
    expert_reward: str = "gait",
    motion_files: list[str] | None = None,
    trirl_overrides: list[str] | None = None,
    algorithm_overrides: list[str] | None = None,
    dynamics=None,
    init_actor: str | None = None,
    default_pose_share: float | None = None,
    reward_sequence_dir: str | None = None,
    num_threads: int = 1,
) -> dict[str, Any]:
    """Train in the twin, evaluating the gait every ``eval_every`` iterations; writes ``summary.json``.

    ``max_minutes`` ends the run at the first evaluation past that wall time (checkpoint and summary written), so a
    run sized for a session finishes inside it; ``resume`` continues from a checkpoint. ``dynamics``
    (:class:`~trirl_isaac.twin.model.Dynamics`) trains and evaluates on changed dynamics; ``init_actor`` starts the
    PPO policy (modes ``retrain``, ``expert``) from another twin checkpoint's actor (of any mode: e.g. a TRIRL policy
    re-optimising its frozen reward on new dynamics), with a fresh critic and optimizer. A run that starts from a
    checkpoint (``init_actor``, ``resume``) is evaluated before its first iteration too (``iterations=0``: only that),
    so its curve begins with the policy as it was given. ``default_pose_share`` replaces the task's share of training
    episodes that start in the default pose (learned-reward modes). Every evaluation runs twice: from clip frames
    (play mode, the curve's numbers and ``meets``) and from the default pose, as a robot starts
    (``from_default_pose``, the same numbers). ``reward_sequence_dir`` (mode ``retrain``, instead of ``reward_path``)
    re-optimises a TRIRL run's saved rewards in order: iteration k is paid by the reward the run's policy was paid by
    at its iteration k (``reward_<j>.pt`` from iteration j + 1; the first file from 0), the last one from then on
    (:func:`reward_sequence`). ``num_threads`` steps the twins' physics (training and evaluation) on that many
    threads, which changes the speed and nothing else."""
    from rsl_rl.runners import OnPolicyRunner

    from trirl_isaac.algo.reward import LearnedReward
    from trirl_isaac.algo.runner import TrirlRunner

    if resume and init_actor:
        raise ValueError("resume continues a run and init_actor starts one from another run's actor: give one")
    if init_actor is not None and mode == "trirl":
        raise ValueError("init_actor starts plain PPO (modes 'retrain', 'expert') from another run's actor, not TRIRL")
    if init_actor is not None and not os.path.isfile(init_actor):
        raise FileNotFoundError(f"init_actor checkpoint not found: {init_actor}")
    torch.manual_seed(seed)
    os.makedirs(log_dir, exist_ok=True)
    cfg = agent_config(task, mode, trirl_overrides, algorithm_overrides)
    cfg["seed"] = seed
    if default_pose_share is not None and mode == "expert":
        raise ValueError("default_pose_share applies to the learned-reward modes (the expert starts every episode "
                         "in the default pose)")  # fmt: skip
    env = make_twin(
        task, mode, num_envs, seed, expert_reward=expert_reward, motion_files=motion_files, dynamics=dynamics,
        default_pose_share=default_pose_share, num_threads=num_threads,
    )  # fmt: skip
    schedule: list[tuple[int, str]] = []  # mode retrain: (first iteration it pays, reward file); the first from 0
    installed = 0  # index into schedule of the reward the env pays
    if reward_sequence_dir is not None and (mode != "retrain" or reward_path is not None):
        raise ValueError("reward_sequence_dir replaces the reward file of mode 'retrain': give one of the two")
    if mode == "retrain":
        if reward_path is None and reward_sequence_dir is None:
            raise ValueError("mode 'retrain' needs a learned reward file")
        # reward_<k>.pt is saved after iteration index k, i.e. it paid the run's policy from iteration k + 1 on
        seq = reward_sequence(reward_sequence_dir) if reward_sequence_dir else [(-1, reward_path)]
        schedule = [(max(k + 1, 0) if i else 0, path) for i, (k, path) in enumerate(seq)]
        rewards = [LearnedReward.load(path) for _, path in schedule]
        temperatures = {r.temperature for r in rewards}
        if len(temperatures) > 1:
            raise ValueError(f"reward_sequence: the rewards were learned at different temperatures {temperatures}")
        cfg["algorithm"] = rewards[0].retrain_algorithm_cfg(cfg["algorithm"])
        for (_, path), reward in zip(schedule, rewards, strict=True):  # every file checked before the first step
            env.install_frozen_reward(reward, source=path, gamma=cfg["algorithm"]["gamma"])
        env.install_frozen_reward(rewards[0], source=schedule[0][1], gamma=cfg["algorithm"]["gamma"])

    def pay_for(iteration: int) -> None:  # install the sequence's reward of this (absolute) iteration
        nonlocal installed
        while installed + 1 < len(schedule) and schedule[installed + 1][0] <= iteration:
            installed += 1
            path = schedule[installed][1]
            env.install_frozen_reward(rewards[installed], source=path, gamma=cfg["algorithm"]["gamma"])
            print(f"[twin retrain] iteration {iteration}: paid by {path}", flush=True)

    runner_cls = TrirlRunner if mode == "trirl" else OnPolicyRunner
    runner = runner_cls(env, cfg, log_dir=log_dir, device="cpu")
    if resume:
        infos = runner.load(resume)  # TrirlRunner restores env.state_dict itself; rsl_rl's runner via infos
        if isinstance(infos, dict) and "env_state" in infos:
            env.load_state_dict(infos["env_state"])
        elif mode == "expert":
            print(f"[twin] {resume} holds no curriculum state (a checkpoint from the middle of a run): the command "
                  "curriculum starts again", flush=True)  # fmt: skip
    if init_actor:
        try:
            runner.load(init_actor, load_cfg={"actor": True}, map_location="cpu")
        except (RuntimeError, KeyError) as err:  # torch: size mismatch / missing keys; no actor_state_dict at all
            raise ValueError(
                f"init_actor {init_actor}: its actor does not fit mode {mode!r}'s policy network (another "
                f"architecture, e.g. the expert's agent): {str(err).splitlines()[0]}"
            ) from err
        runner.current_learning_iteration = 0
    probe_args = {"play": True, "expert_reward": expert_reward, "motion_files": motion_files, "dynamics": dynamics,
                  "num_threads": num_threads}  # fmt: skip
    probe = make_twin(task, mode, eval_envs, seed + 1000, **probe_args)
    clip = clip_gait(probe)
    probe.close()
    policy = runner.get_inference_policy(device="cpu")
    curve, t0, env_steps = [], time.time(), 0
    done_iters = 0
    # iterations the resumed checkpoint had done: checkpoint names and their ``iter`` count from the run's start
    start_iteration = int(runner.current_learning_iteration) if resume else 0
    pay_for(start_iteration)

    def evaluate() -> None:
        probe = make_twin(task, mode, eval_envs, seed + 1000, **probe_args)
        report = gait_report(probe, policy)
        probe.close()
        point = {"iteration": done_iters, "env_steps": env_steps, "wall_s": time.time() - t0, **report}
        point.update(compare(report, clip))
        standing_line = ""
        if mode != "expert":  # the expert's play twin starts in the default pose already
            standing = make_twin(task, mode, eval_envs, seed + 2000, default_pose_share=1.0, **probe_args)
            report_d = gait_report(standing, policy)
            standing.close()
            point["from_default_pose"] = {**report_d, **compare(report_d, clip)}
            duty = np.round(report_d["duty_factor"], 2).tolist()
            standing_line = (f"; from the default pose: survival {report_d['survival']:.2f} speed "
                             f"{report_d['forward_speed']:.2f} duty {duty}")  # fmt: skip
        curve.append(point)
        print(
            f"[twin {task} {mode}] it {done_iters} steps {env_steps} {point['wall_s']:.0f}s survival "
            f"{report['survival']:.2f} speed {report['forward_speed']:.2f} (clip {clip['forward_speed']:.2f}) duty "
            f"{np.round(report['duty_factor'], 2).tolist()} (clip {np.round(clip['duty_factor'], 2).tolist()})"
            + standing_line,
            flush=True,
        )

    if init_actor or resume:  # the policy as it starts (e.g. a gait moved to new dynamics before any retraining)
        evaluate()
    while done_iters < iterations and (max_minutes is None or time.time() - t0 < 60.0 * max_minutes):
        chunk = min(eval_every - done_iters % eval_every, iterations - done_iters)
        if installed + 1 < len(schedule):  # learn up to the next reward of the sequence, then switch
            chunk = min(chunk, schedule[installed + 1][0] - start_iteration - done_iters)
        runner.learn(chunk, init_at_random_ep_len=done_iters == 0 and resume is None and init_actor is None)
        done_iters += chunk
        # rsl_rl's learn leaves its counter at its last iteration's index (one short of the count), and the next
        # call starts there: set it to the count, or each chunk would lose one from the checkpoints' numbering
        runner.current_learning_iteration = start_iteration + done_iters
        env_steps += chunk * num_envs * cfg["num_steps_per_env"]
        pay_for(start_iteration + done_iters)
        if done_iters % eval_every == 0 or done_iters == iterations:
            evaluate()
    last = os.path.join(log_dir, f"model_{start_iteration + done_iters}.pt")
    runner.save(last, infos={"env_state": env.state_dict()})
    if mode == "trirl":
        runner.alg.reward.save(os.path.join(log_dir, "reward.pt"))
    summary = {"task": task, "mode": mode, "seed": seed, "num_envs": num_envs, "clip": clip, "curve": curve,
               "iterations": done_iters, "resumed_from": resume, "start_iteration": start_iteration,
               "agent": cfg}  # fmt: skip
    summary["motion_files"] = motion_files
    summary["trirl_overrides"] = list(trirl_overrides or [])
    summary["algorithm_overrides"] = list(algorithm_overrides or [])
    summary["dynamics"] = env.dynamics.changed()
    summary["init_actor"] = init_actor
    summary["default_pose_share"] = env.default_pose_share
    summary["threads"] = num_threads
    env.close()
    if mode == "retrain":  # the reward re-optimised: the path as given and the file's SHA-1 (paths move, bytes do not)
        if reward_sequence_dir is None:
            summary["reward"] = {"file": reward_path, "sha1": _sha1(reward_path)}
        else:  # the rewards in order, each with the iteration it began to pay, and the last one reached
            summary["reward_sequence"] = [{"from_iteration": k, "file": path, "sha1": _sha1(path)}
                                          for k, path in schedule]  # fmt: skip
            summary["reward"] = {"file": schedule[installed][1], "sha1": _sha1(schedule[installed][1])}
    if mode == "expert":
        summary["expert_reward"] = {"name": expert_reward, "weights": env.task_reward.weights,
                                    "forward_command": env.task_reward.forward_command}  # fmt: skip
    first = next((p for p in curve if p["meets"]), None)
    summary["first_meeting_targets"] = first
    with open(os.path.join(log_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary
