"""Isaac Lab scenarios run in a fresh process each (one simulation per process); results printed as one JSON line.

    python tests/isaaclab_scenarios.py task TRIRL-Go2-Walk OUT_DIR
    python tests/isaaclab_scenarios.py bad_inputs TRIRL-G1-Walk OUT_DIR

The pytest side (tests/test_tasks.py) runs these and asserts on the JSON, so every check can fail there.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

import torch

SMALL_TRIRL = {
    "chain_length": 2,
    "discriminator": {"hidden_dims": [32, 32], "num_epochs": 1, "num_mini_batches": 2},
    "approximator": {"enabled": True, "hidden_dims": [32], "num_steps": 5, "batch_size": 256, "evict_chunk": 1},
}


def _configs(task: str, entry: str, num_envs: int):
    from trirl_isaac.tasks.launch import task_configs

    env_cfg, agent_cfg = task_configs(task, entry, overrides=[], device="cpu")
    env_cfg.scene.num_envs = num_envs
    agent_cfg.num_steps_per_env = 8
    agent_cfg.actor.hidden_dims = agent_cfg.critic.hidden_dims = [32, 32]
    agent_cfg.algorithm.num_learning_epochs = 1
    agent_cfg.algorithm.num_mini_batches = 2
    if entry == "rsl_rl_cfg_entry_point":
        agent_cfg.algorithm.trirl_cfg.update(SMALL_TRIRL)
    return env_cfg, agent_cfg


def scenario_task(task: str, out: str) -> dict:
    """Build, step, train TRIRL 3 iterations, check the reward term and hook, retrain with PPO, export ONNX."""
    import gymnasium as gym
    from isaaclab.app import launch_simulation
    from isaaclab.utils import to_dict
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper
    from rsl_rl.runners import OnPolicyRunner

    from trirl_isaac.algo.reward import LearnedReward
    from trirl_isaac.algo.runner import TrirlRunner
    from trirl_isaac.tasks.imitation.export import export_policy

    res: dict = {}
    env_cfg, agent_cfg = _configs(task, "rsl_rl_cfg_entry_point", num_envs=8)
    with launch_simulation(env_cfg, {}):
        env = RslRlVecEnvWrapper(gym.make(task, cfg=env_cfg))
        base = env.unwrapped
        obs = env.get_observations()
        res["obs_shapes"] = {k: list(v.shape) for k, v in obs.items()}
        res["expert_feature_dim"] = base.expert_sampler.feature_dim
        finite, rewards = True, []
        for _ in range(10):
            obs, rew, dones, extras = env.step(torch.zeros(env.num_envs, env.num_actions))
            finite &= all(bool(torch.isfinite(v).all()) for v in obs.values()) and bool(torch.isfinite(rew).all())
            rewards.append(rew.abs().max().item())
        res["zero_action_finite"] = finite
        res["reward_before_training_max_abs"] = max(rewards)
        res["base_height_after_10_steps"] = base.scene["robot"].data.root_link_pos_w.torch[:, 2].tolist()

        term = base.reward_manager.get_term_cfg("learned").func
        asset = base.key_body_cfg
        runner = TrirlRunner(env, to_dict(agent_cfg), log_dir=os.path.join(out, "trirl"), device="cpu")
        seen = []
        runner.add_reward_consumer(lambda r: seen.append(len(r.chain)))
        before = term(base, asset).clone()
        runner.learn(3)
        after = term(base, asset).clone()
        res["term_shape"] = list(after.shape)
        res["term_finite"] = bool(torch.isfinite(after).all())
        res["term_changed"] = not torch.allclose(before, after)
        res["term_uses_runner_reward"] = term.reward_fn is runner.alg.reward
        res["consumer_chain_lengths"] = seen
        res["chain_length"] = len(runner.alg.reward.chain)
        res["history_eps_tr"] = [h["eps_tr"] for h in runner.history]
        reward_file = os.path.join(out, "reward.pt")
        runner.alg.reward.save(reward_file)
        res["export"] = {
            k: v
            for k, v in export_policy(runner, env, os.path.join(out, "exported")).items()
            if k in ("onnx_max_abs_diff", "samples", "control_dt", "joint_names")
        }

        # record the policy as expert clips (what scripts/record_expert.py does) and validate the file
        from trirl_isaac.motion.kinematics import Kinematics, resolve_mjcf
        from trirl_isaac.motion.schema import load_motion_file, save_motion_file
        from trirl_isaac.tasks.imitation.recording import record_rollout

        policy = runner.get_inference_policy(device="cpu")
        clips = record_rollout(env, policy, 30, [0, 1], "rec", "scenario", key_bodies=list(base.cfg.motion.key_bodies))
        rec_path = os.path.join(out, "recorded.h5")
        save_motion_file(rec_path, base.cfg.robot_name, clips)
        kin = Kinematics(resolve_mjcf(base.cfg.robot_name))
        loaded = load_motion_file(rec_path, kin.joint_names, robot=base.cfg.robot_name)
        res["recorded_clip_frames"] = [c.num_frames for c in loaded]
        res["recorded_body_names"] = loaded[0].body_names

        # re-optimise the frozen reward with plain rsl_rl PPO (fresh policy) for one iteration
        _, ppo_cfg = _configs(task, "rsl_rl_ppo_cfg_entry_point", num_envs=8)
        ppo = OnPolicyRunner(env, to_dict(ppo_cfg), log_dir=None, device="cpu")
        frozen = LearnedReward.load(reward_file)
        base.install_frozen_reward(frozen, source=reward_file)
        obs = env.get_observations()
        _, rew, _, _ = env.step(torch.zeros(env.num_envs, env.num_actions))
        res["frozen_reward_finite"] = bool(torch.isfinite(rew).all())
        ppo.learn(1)
        res["ppo_retrain_ok"] = True
        foreign = LearnedReward.load(reward_file)
        foreign.metadata["robot"] = "some_other_robot"
        try:
            base.install_frozen_reward(foreign, source="foreign_reward.pt")
            res["foreign_reward_error"] = "no error"
        except ValueError as err:
            res["foreign_reward_error"] = str(err)
        env.close()
    return res


def scenario_playback(task: str, out: str) -> dict:
    """Play every frame of the task's clip kinematically in the simulator (root and joints set, no physics).

    Returns the largest distance between the key bodies Isaac Lab/Newton computes and the clip's key bodies
    (MuJoCo forward kinematics of the kinematic MJCF), and the lowest simulated foot body height per frame.
    """
    import gymnasium as gym
    from isaaclab.app import launch_simulation

    from trirl_isaac.tasks.imitation import mdp

    env_cfg, _ = _configs(task, "rsl_rl_cfg_entry_point", num_envs=1)
    with launch_simulation(env_cfg, {}):
        env = gym.make(task, cfg=env_cfg).unwrapped
        robot, lib = env.scene["robot"], env.motion_library
        asset = env.key_body_cfg
        ids = torch.zeros(1, dtype=torch.long)
        env_ids = torch.zeros(1, dtype=torch.long)
        errs, heights = [], []
        for step in range(int(lib.num_steps[0])):
            s = lib.state_at(ids, torch.tensor([step]))
            pose = torch.cat([s.root_pos_w + env.scene.env_origins[:1], mdp.wxyz_to_xyzw(s.root_quat_w)], dim=-1)
            robot.write_root_link_pose_to_sim_index(root_pose=pose, env_ids=env_ids)
            robot.write_joint_position_to_sim_index(position=s.joint_pos, env_ids=env_ids)
            env.sim.forward()
            env.scene.update(dt=0.0)
            sim_state = mdp.robot_state(env, asset)
            errs.append((sim_state.key_body_pos_w - s.key_body_pos_w).norm(dim=-1).max().item())
            heights.append(sim_state.key_body_pos_w[0, :, 2].tolist())
        env.close()
    return {"frames": len(errs), "max_key_body_error_m": max(errs), "key_body_heights": heights}


def falls_check(env, base) -> dict:
    """Env 0 knocked over under a frozen reward of -1 everywhere; three zero-action steps of the wrapped env."""
    from trirl_isaac.tasks.imitation import mdp

    class Constant:
        metadata = base.reward_metadata()
        feature_dim = 2 * base.observation_manager.group_obs_dim["discriminator"][0]

        def __call__(self, x):
            return -torch.ones(x.shape[0], device=x.device)

    base.install_frozen_reward(Constant(), source="constant", gamma=0.99)
    env.get_observations()
    robot = base.scene["robot"]
    pose = robot.data.root_link_pose_w.torch.clone()
    pose[0, 2] = base.scene.env_origins[0, 2] + 0.05  # env 0 lies on the floor
    robot.write_root_link_pose_to_sim_index(root_pose=pose[:1], env_ids=torch.tensor([0]))
    res = {"absorbing_falls": bool(base.cfg.absorbing_falls)}
    for k in range(3):
        obs, rew, dones, extras = env.step(torch.zeros(env.num_envs, env.num_actions))
        res[f"step{k}"] = {
            "done": dones.tolist()[:2],
            "reward": rew.tolist()[:2],
            "absorbing": extras.get("absorbing", torch.zeros(env.num_envs, dtype=torch.bool)).tolist()[:2],
            "disc_flag": obs["discriminator"][:2, -1].tolist(),
            "final_disc_flag": extras["final_obs"]["discriminator"][:2, -1].tolist() if "final_obs" in extras else None,
        }
    res["flags_after"] = {k: v.tolist()[:2] for k, v in mdp.absorbing_flags(base).items()}
    return res


def disc_blocks(j: int) -> list[tuple[str, int, int]]:
    """The blocks of :func:`trirl_isaac.motion.features.discriminator_features` (name, start, end)."""
    sizes = [("joint_pos", j), ("joint_vel", j), ("lin_vel", 3), ("ang_vel", 3), ("height", 1), ("gravity", 3)]
    out, start = [], 0
    for name, size in sizes:
        out.append((name, start, start + size))
        start += size
    return out + [("key_bodies", start, None)]


def scenario_twin(task: str, out: str) -> dict:
    """The MuJoCo twin against the Isaac Lab task in the same states (clip frames) and for the same actions.

    Returns the largest differences of the policy observation (noise off), the critic observation, the
    discriminator features and the joint torques, the policy layouts of both, and the twin's metadata check."""
    import gymnasium as gym
    from isaaclab.app import launch_simulation
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

    from trirl_isaac.tasks.imitation import mdp
    from trirl_isaac.tasks.imitation.export import deployment_metadata
    from trirl_isaac.twin import TwinEnv, pd_torque

    n = 6
    env_cfg, _ = _configs(task, "rsl_rl_cfg_entry_point", num_envs=n)
    env_cfg.play_mode()
    env_cfg.scene.num_envs = n
    env_cfg.sim.physics.num_substeps = 1  # one actuator evaluation per physics step: torques of the written state
    with launch_simulation(env_cfg, {}):
        env = gym.make(task, cfg=env_cfg).unwrapped
        robot, lib = env.scene["robot"], env.motion_library
        twin = TwinEnv(task, n, play=True, absorbing=env_cfg.absorbing_falls)
        gen = torch.Generator().manual_seed(0)
        state, _, _ = lib.sample_states(n)
        ids = torch.arange(n)
        pose = torch.cat([state.root_pos_w + env.scene.env_origins, mdp.wxyz_to_xyzw(state.root_quat_w)], dim=-1)
        vel = torch.cat([state.root_lin_vel_w, state.root_ang_vel_w], dim=-1)
        robot.write_root_link_pose_to_sim_index(root_pose=pose, env_ids=ids)
        robot.write_root_link_velocity_to_sim_index(root_velocity=vel, env_ids=ids)
        robot.write_joint_position_to_sim_index(position=state.joint_pos, env_ids=ids)
        robot.write_joint_velocity_to_sim_index(velocity=state.joint_vel, env_ids=ids)
        env.sim.forward()
        env.scene.update(dt=0.0)
        actions = torch.randn(n, env.action_manager.total_action_dim, generator=gen)
        env.action_manager.process_action(actions)
        env.action_manager.apply_action()
        robot.write_data_to_sim()
        isaac_obs = env.observation_manager.compute()
        col = robot.actuators
        native = bool(robot._actuator_control.compute_native_actuators(col, env.physics_dt))
        # torques of the written state: Isaac Lab's actuators (implicit PD) report them when the action is written;
        # Newton's native DC motors (Go2) compute them inside the physics step, implicitly, with the step's end
        # state: read them after one physics step and evaluate the twin's formula on both states
        written = (robot.data.joint_pos.torch.clone(), robot.data.joint_vel.torch.clone())
        env.sim.step(render=False)
        robot.update(env.physics_dt)
        end = (robot.data.joint_pos.torch.clone(), robot.data.joint_vel.torch.clone())
        isaac_torque = col.applied_effort.torch.clone()

        twin.set_state(state)
        twin.actions = actions.clone()
        twin_obs = twin.get_observations()
        targets = twin.tm.default_joint_pos + twin.spec.action_scale * actions.double().numpy()
        twin_torque = torch.as_tensor(twin.joint_torques(targets), dtype=torch.float32)
        torque_end = torch.as_tensor(pd_torque(twin.tm, targets, end[0].double().numpy(), end[1].double().numpy()))
        torque_written = torch.as_tensor(
            pd_torque(twin.tm, targets, written[0].double().numpy(), written[1].double().numpy())
        )

        def diff(a, b):
            return float((a.float() - b.float()).abs().max())

        meta = deployment_metadata(env)
        per_term = {}
        for entry in meta["observation"]["layout"]:
            sl = slice(entry["start"], entry["start"] + entry["size"])
            per_term[entry["term"]] = diff(isaac_obs["policy"][:, sl], twin_obs["policy"][:, sl])
        res = {
            "policy_shape": [list(isaac_obs["policy"].shape), list(twin_obs["policy"].shape)],
            "policy_max_diff": diff(isaac_obs["policy"], twin_obs["policy"]),
            "policy_term_diff": per_term,
            "critic_max_diff": diff(isaac_obs["critic"], twin_obs["critic"]),
            "disc_max_diff": diff(isaac_obs["discriminator"], twin_obs["discriminator"]),
            "disc_scale": float(isaac_obs["discriminator"].abs().max()),
            "native_actuators": native,
            "torque_diff_written_state": diff(isaac_torque, torque_written),
            "torque_diff_end_state": diff(isaac_torque, torque_end),
            "torque_twin_vs_written": diff(twin_torque, torque_written),
            "torque_scale": float(isaac_torque.abs().max()),
            "disc_block_diff": {
                name: diff(isaac_obs["discriminator"][:, a:b], twin_obs["discriminator"][:, a:b])
                for name, a, b in disc_blocks(len(robot.joint_names))
            },
            "joint_names_equal": list(robot.joint_names) == list(twin.robot.joint_names),
            "default_pos_diff": diff(robot.data.default_joint_pos.torch[0], torch.as_tensor(twin.tm.default_joint_pos)),
            "stiffness_diff": diff(robot.data.joint_stiffness.torch[0], torch.as_tensor(twin.tm.stiffness))
            if not twin.tm.explicit.any()
            else 0.0,
            "metadata_equal": {
                k: env.reward_metadata()[k] == twin.reward_metadata()[k]
                for k in ("robot", "joint_names", "key_bodies", "disc_features", "task_cfg")
            },
            "control_dt": [float(env.step_dt), twin.step_dt],
            "max_episode_length": [int(env.max_episode_length), twin.max_episode_length],
        }
        # falls in the same simulation: (s, absorbing), then (absorbing, absorbing) with the whole tail
        env.cfg.motion.default_pose_share = 1.0
        env.reset()
        res["falls"] = falls_check(RslRlVecEnvWrapper(env), env)
        env.close()
    return res


def scenario_bad_inputs(task: str, out: str) -> dict:
    """Each bad input must fail with a message naming the problem (before or while building the env)."""
    import gymnasium as gym
    import h5py
    import numpy as np

    from trirl_isaac.motion.schema import load_motion_file

    env_cfg, _ = _configs(task, "rsl_rl_cfg_entry_point", num_envs=2)
    motion = os.path.join(os.path.dirname(__file__), "..", "data", "motions", env_cfg.motion.files[0])
    cases = {}

    def attempt(name: str, files: list[str], **cfg_changes) -> None:
        cfg, _ = _configs(task, "rsl_rl_cfg_entry_point", num_envs=2)
        cfg.motion.files = files
        for k, v in cfg_changes.items():
            setattr(cfg.motion, k, v)
        try:
            gym.make(task, cfg=cfg)
            cases[name] = "no error"
        except Exception as err:  # noqa: BLE001 - the message is what is checked
            cases[name] = f"{type(err).__name__}: {err}"

    attempt("missing_file", [os.path.join(out, "nope.h5")])
    bad = os.path.join(out, "not_hdf5.h5")
    with open(bad, "w") as f:
        f.write("x, y, z\n")
    attempt("malformed_file", [bad])
    renamed = os.path.join(out, "renamed_joint.h5")
    with h5py.File(motion, "r") as src, h5py.File(renamed, "w") as dst:
        for k, v in src.attrs.items():
            dst.attrs[k] = v
        src.copy(src["clips"], dst, "clips")
        clip = next(iter(dst["clips"].values()))
        names = [n.decode() if isinstance(n, bytes) else n for n in clip["joint_names"][()]]
        names[0] = "elbow_of_a_different_robot"
        del clip["joint_names"]
        clip.create_dataset("joint_names", data=np.array(names, dtype=object), dtype=h5py.string_dtype())
    attempt("wrong_joint_names", [renamed])
    attempt("unknown_key_body", [motion], key_bodies=["no_such_body"])
    attempt("weights_mismatch", [motion], weights=[1.0, 2.0])
    try:
        load_motion_file(motion, None)
        cases["shipped_clip_loads"] = "ok"
    except Exception as err:  # noqa: BLE001
        cases["shipped_clip_loads"] = f"{type(err).__name__}: {err}"
    return cases


if __name__ == "__main__":
    scenario, task_id, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out_dir, exist_ok=True)
    try:
        result = {"ok": True, **globals()[f"scenario_{scenario}"](task_id, out_dir)}
    except Exception:  # noqa: BLE001 - reported to the test as data
        result = {"ok": False, "error": traceback.format_exc()}
    print("SCENARIO_RESULT " + json.dumps(result), flush=True)
