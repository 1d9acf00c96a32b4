"""One benchmark run: train a method on a task, then re-optimise its frozen reward (retrain) and transfer it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np
import torch

from trirl_isaac.bench.settings import CONTROL, NUM_ENVS, QUICK, agent_cfg, ppo_cfg, settings_used


def provenance() -> dict[str, str]:
    """The code a run used: git HEAD and a hash of the algorithm, env and benchmark (this module and the settings it
    applies) sources in the working tree."""
    from trirl_isaac.algo import trirl
    from trirl_isaac.envs import gym_mujoco

    digest = hashlib.sha1()
    for folder in (os.path.dirname(trirl.__file__), os.path.dirname(gym_mujoco.__file__)):
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py"):
                with open(os.path.join(folder, name), "rb") as f:
                    digest.update(f.read())
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("run.py", "settings.py"):  # how settings are applied is code too: a fix there moves every key
        with open(os.path.join(here, name), "rb") as f:
            digest.update(f.read())
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True).stdout.strip()
    import torch

    # the CPU kernels torch dispatched to (trirl_isaac._cpu)
    return {
        "git_head": head,
        "source_sha1": digest.hexdigest()[:12],
        "cpu_kernels": torch.backends.cpu.get_cpu_capability(),
    }


def run_key(budget: dict[str, Any], algo: str, source_sha1: str) -> str:
    """The cache key of a run: what the algorithm reads of its settings, plus the code's hash."""
    blob = json.dumps(settings_used(budget, algo), sort_keys=True) + source_sha1
    return hashlib.sha1(blob.encode()).hexdigest()[:10]


def steps_for(args, task: str, retrain: bool = False) -> int:
    """The env-step budget of a training run on ``task`` (or of PPO on its frozen reward)."""
    steps = args.task_steps.get(task, args.steps)
    return int(steps * args.retrain_fraction) if retrain else steps


def reference_returns(task: str, demo_dir: str, episodes: int) -> dict[str, Any]:
    """Expert and random returns normalising ``task``: from its demo file, else base expert + measured random."""
    from trirl_isaac.envs.gym_mujoco import evaluate, load_demos, make_env, task_spec, uniform_random_policy

    path = os.path.join(demo_dir, f"{task}.h5")
    if os.path.isfile(path):
        attrs = load_demos(path)["attrs"]
        return {"expert": float(attrs["expert_return"]), "random": float(attrs["random_return"]), "source": path}
    base = task_spec(task).base
    if base is None:
        raise FileNotFoundError(f"{path} not found: run scripts/train_expert.py --task {task}")
    ref = reference_returns(base, demo_dir, episodes)
    env = make_env(task, episodes, seed=12_345)
    rand = float(np.mean(evaluate(task, uniform_random_policy(env), episodes, seed=12_345)))
    return {"expert": ref["expert"], "random": rand, "source": f"expert of {base} ({ref['source']}); random measured"}


def norm(ret: float, ref: dict[str, Any]) -> float:
    """Normalised return against a reference dict."""
    from trirl_isaac.envs.gym_mujoco import normalised_return

    return normalised_return(ret, ref["expert"], ref["random"])


def progress_bar(total_steps: int, desc: str, quiet: bool = False):
    """A tqdm bar over env steps on stderr (runs take minutes to hours); ``quiet`` gives one that prints nothing."""
    from tqdm import tqdm

    return tqdm(total=total_steps, desc=desc, unit="step", unit_scale=True, disable=quiet, file=sys.stderr)


def train_with_curve(
    runner, task: str, iterations: int, batch: int, args, ref: dict, seed: int, label: str = ""
) -> dict[str, Any]:
    """Run ``iterations`` in chunks, evaluating the deterministic policy after each (last point: eval_episodes);
    a progress bar labelled ``label`` (the phase) shows env steps and the latest normalised return."""
    from trirl_isaac.envs.gym_mujoco import evaluate

    points = max(1, min(args.curve_points, iterations))
    edges = np.linspace(0, iterations, points + 1).round().astype(int)
    curve, t0, returns = [], time.time(), []
    policy = runner.get_inference_policy()
    bar = progress_bar(iterations * batch, f"{task} {label}".strip())
    for k in range(points):
        runner.learn(int(edges[k + 1] - edges[k]))
        last = k == points - 1
        returns = evaluate(task, policy, args.eval_episodes if last else args.curve_episodes, 10_000 + seed)
        mean_return = float(np.mean(returns))
        curve.append([int(edges[k + 1]) * batch, norm(mean_return, ref), mean_return])
        bar.set_postfix(normalised=f"{curve[-1][1]:.2f}", refresh=False)
        bar.update(int(edges[k + 1] - edges[k]) * batch)
    bar.close()
    return {
        "curve": curve,
        "returns": returns,
        "return": float(np.mean(returns)),
        "normalised": norm(float(np.mean(returns)), ref),
        "wall_s": time.time() - t0,
    }


def reoptimise(
    task: str, target: str, algo: str, seed: int, args, refs: dict[str, dict], reward=None
) -> dict[str, Any]:
    """Plain PPO (the retraining settings, ``args.retrain_ppo`` included) from a fresh policy on ``target``, with
    ``reward`` (a frozen learned reward of ``task``) or, for None, the true reward (the control)."""
    from rsl_rl.runners import OnPolicyRunner

    from trirl_isaac.algo.trust_region import gaussian_entropy
    from trirl_isaac.envs.gym_mujoco import make_env

    num_envs = QUICK["num_envs"] if args.quick else NUM_ENVS
    cfg = ppo_cfg(args.quick, getattr(args, "retrain_ppo", None), getattr(args, "steps_per_env", None))
    batch = num_envs * cfg["num_steps_per_env"]
    iterations = QUICK["iterations"] if args.quick else max(1, steps_for(args, task, retrain=True) // batch)
    torch.manual_seed(seed + 1)
    env = make_env(target, num_envs, seed=seed + 1, absorbing_tail=args.env["absorbing_tail"])
    if reward is not None:
        env.install_frozen_reward(reward, source=f"{task}/{algo}/s{seed}", gamma=cfg["algorithm"]["gamma"])
    cfg["seed"] = seed + 1
    ppo = OnPolicyRunner(env, cfg, log_dir=None, device="cpu")
    phase = ("retrain" if target == task else "transfer") if reward is not None else "control"
    result = train_with_curve(ppo, target, iterations, batch, args, refs[target], seed, label=f"{algo} s{seed} {phase}")
    result["env_steps"] = iterations * batch
    dist = ppo.alg.actor.distribution
    std = dist.log_std_param.exp() if hasattr(dist, "log_std_param") else dist.std_param.clamp(min=1e-6)
    result["policy_entropy_per_dim"] = float(gaussian_entropy(std.detach())) / std.numel()
    getattr(env, "close", lambda: None)()
    return result


FINAL_SUFFIX = ".final.pt"  # beside a run's averaged reward: its final reward (the chain), for --reward_variant final


def saved_reward(
    folder: str, task: str, algo: str, seed: int, key: str | None = None, variant: str = "reoptimised"
) -> dict[str, Any]:
    """The reward file an earlier benchmark in ``folder`` saved for (task, algo, seed) (``key``: its run key, when
    several runs of other settings match), with its SHA-1 and what its run measured (when the run JSON is there).
    ``variant``: "reoptimised", the reward its run re-optimised, or "final", the final reward a run that re-optimised
    its averaged reward saved beside it."""
    import glob

    suffix = FINAL_SUFFIX if variant == "final" else ".pt"
    pattern = os.path.join(folder, "rewards", f"{task}__{algo}__s{seed}__{key or '*'}{suffix}")
    found = sorted(p for p in glob.glob(pattern) if variant == "final" or not p.endswith(FINAL_SUFFIX))
    if len(found) != 1:
        names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(folder, "rewards", f"{task}__{algo}__*")))
        what = "no reward file" if not found else f"{len(found)} reward files (pick one with --reward_key)"
        raise SystemExit(f"--rewards_from {folder}: {what} matches {os.path.basename(pattern)}; there: {names}")
    path = found[0]
    with open(path, "rb") as f:
        sha1 = hashlib.sha1(f.read()).hexdigest()
    run_json = os.path.join(folder, "runs", os.path.basename(path)[: -len(suffix)] + ".json")
    run: dict[str, Any] = {"file": os.path.basename(path), "variant": variant}
    if os.path.isfile(run_json):
        with open(run_json) as f:
            saved = json.load(f)
        run.update(key=saved.get("key"), overrides=saved.get("overrides"), code=saved.get("code"))
        run.update({k: saved[k]["normalised"] for k in saved if k in ("train", "retrain") or k.startswith("transfer:")})
    return {"path": path, "sha1": sha1, "run": run}


def reoptimise_saved(task: str, algo: str, seed: int, args, refs: dict[str, dict], reward_path: str) -> dict[str, Any]:
    """Retrain (and with ``--transfer`` transfer) a reward saved by an earlier run, without training it again."""
    from trirl_isaac.algo.reward import LearnedReward
    from trirl_isaac.envs.gym_mujoco import TRANSFER_VARIANTS

    reward = LearnedReward.load(reward_path)
    out: dict[str, Any] = {"task": task, "algo": algo, "seed": seed, "reward_file": os.path.basename(reward_path)}
    transfer = TRANSFER_VARIANTS.get(task, []) if args.transfer else []
    for target in ([task] if args.retrain else []) + transfer:
        out["retrain" if target == task else f"transfer:{target}"] = reoptimise(
            task, target, algo, seed, args, refs, reward
        )
    return out


def run_one(
    task: str, algo: str, seed: int, args, refs: dict[str, dict], reward_path: str | None = None
) -> dict[str, Any]:
    """Train ``algo`` on ``task`` with ``seed``; optionally re-optimise and transfer its learned reward.

    ``algo == "ppo_true"`` is the control: plain PPO on the true reward with the retraining settings, on the task
    and (with ``--transfer``) on its shifted variants: the ceiling of retrain/transfer at this budget."""
    from trirl_isaac.algo.expert import ExpertBuffer
    from trirl_isaac.algo.runner import TrirlRunner
    from trirl_isaac.envs.gym_mujoco import TRANSFER_VARIANTS, demo_features, load_demos, make_env

    num_envs = QUICK["num_envs"] if args.quick else NUM_ENVS
    tail = args.env["absorbing_tail"]
    steps_per_env = getattr(args, "steps_per_env", None)
    batch = num_envs * ppo_cfg(args.quick, steps_per_env=steps_per_env)["num_steps_per_env"]
    out: dict[str, Any] = {"task": task, "algo": algo, "seed": seed}
    transfer = TRANSFER_VARIANTS.get(task, []) if args.transfer else []

    def ppo_on(target: str, reward=None) -> dict[str, Any]:
        return reoptimise(task, target, algo, seed, args, refs, reward)

    if algo == CONTROL:  # the same PPO, budget and seeds as retraining, on the true reward
        for target in [task, *transfer]:
            out["retrain" if target == task else f"transfer:{target}"] = ppo_on(target)
        return out

    cfg = agent_cfg(algo, args.trirl, args.quick, steps_per_env)
    cfg["seed"] = seed
    iterations = QUICK["iterations"] if args.quick else max(1, steps_for(args, task) // batch)
    disc_input = cfg["algorithm"]["trirl_cfg"]["disc_input"]
    torch.manual_seed(seed)
    np.random.seed(seed)
    env = make_env(task, num_envs, seed=seed, absorbing_tail=tail)
    demos = load_demos(os.path.join(args.demo_dir, f"{task}.h5"))
    env.expert_sampler = ExpertBuffer(demo_features(demos, disc_input, env.absorbing), name=f"{task} demos")
    runner = TrirlRunner(env, cfg, log_dir=None, device="cpu")
    out["iterations"] = iterations
    out["train"] = train_with_curve(
        runner, task, iterations, batch, args, refs[task], seed, label=f"{algo} s{seed} train"
    )
    out["env_steps"] = iterations * batch
    out["history"] = runner.history
    reward = runner.alg.reward
    if algo == "trirl" and runner.alg.averaged_reward() is not None:  # trirl_cfg.average_reward: the run's average
        reward = runner.alg.averaged_reward()
        out["reoptimised_reward"] = "average"
    if reward_path:
        reward.save(reward_path)
        if reward is not runner.alg.reward:  # keep the final reward too: --rewards_from DIR --reward_variant final
            runner.alg.reward.save(reward_path[: -len(".pt")] + FINAL_SUFFIX)
            out["final_reward_file"] = os.path.basename(reward_path[: -len(".pt")] + FINAL_SUFFIX)
    getattr(env, "close", lambda: None)()
    for target in ([task] if args.retrain else []) + transfer:
        out["retrain" if target == task else f"transfer:{target}"] = ppo_on(target, reward)
    return out
