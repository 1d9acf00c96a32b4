"""MuJoCo / Point Maze benchmark of TRIRL against GAIL, AIRL and AMP (same env, budget, seeds, networks).

    python scripts/benchmark.py --tasks pointmaze halfcheetah hopper --algos trirl gail airl amp \
        --seeds 0 1 2 --steps 500000 --retrain --transfer --out results/bench
    python scripts/benchmark.py --quick --out /tmp/bench_quick          # pipeline check in a few minutes
    python scripts/benchmark.py --speed --tasks halfcheetah --out /tmp/bench_speed

Every algorithm runs through the same code path (TRIRL's rsl_rl algorithm with trirl_cfg.method set; baselines use
policy_update 'ppo'), the same observation groups, rollout size, PPO settings and network sizes, and learns from
the expert (s, s') pairs in data/demos/<task>.h5 (made by scripts/train_expert.py) without ever seeing the true
reward. Reported is the normalised return (R - R_random) / (R_expert - R_random) of the deterministic policy (the
Gaussian's mean) over --eval_episodes fresh episodes, R_expert and R_random being the demo file's expert mean return
and a uniform-random policy's mean return. --retrain re-optimises each learned reward from a fresh policy with
plain rsl_rl PPO; --transfer does so on the shifted-dynamics variants (ant_disabled, halfcheetah_wind,
halfcheetah_mars, pointmaze_flipped). Per task: mean and a 95% Student-t interval over seeds; aggregate: the
interquartile mean over all (task, seed) scores with a 95% percentile interval from a stratified bootstrap
(seeds resampled within each task), as in rliable (Agarwal et al. 2021).

Outputs in --out: results.md (tables), results.json (raw numbers, curves, TRIRL diagnostics), curves.png,
trirl_<task>.png (KL(pi_new || pi_old), eta, eps_tr and the dual estimate per iteration), runs/*.json (one per
finished run; re-running the same command skips them), rewards/*.pt (learned rewards). --speed adds speed.json:
seconds per iteration of TRIRL vs PPO at the same batch, and the cost of the K-snapshot chain vs one discriminator.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import time
from typing import Any

import numpy as np
import scipy.stats
import torch

from trirl_isaac.envs.gym_mujoco import actor_critic_cfg, ppo_cfg_settings

ALGOS = ("trirl", "gail", "airl", "amp")

# ---------------------------------------------------------------------------------------------- configuration
BENCH_AGENT: dict[str, Any] = {
    "num_steps_per_env": 128,
    "save_interval": 10**9,
    "check_for_nan": False,
    **actor_critic_cfg(),
    "algorithm": {
        "class_name": "trirl_isaac.algo.trirl:TRIRL",
        **ppo_cfg_settings(num_mini_batches=8),
        "trirl_cfg": {
            "method": "trirl",
            "policy_update": "trpl",
            "eps": 0.5,
            "beta": 1.0e3,
            "chain_length": 50,
            "disc_input": "state_next_state",
            "discriminator": {
                "hidden_dims": [64, 64],
                "learning_rate": 3.0e-4,
                "num_epochs": 10,
                "num_mini_batches": 4,
                "grad_penalty": 0.1,
            },
            "trust_region": {"mean_bound": 0.03, "cov_bound": 0.005, "trust_region_coef": 1.0},
            "approximator": {"enabled": True, "hidden_dims": [64, 64], "num_steps": 50, "batch_size": 1024},
        },
    },
}
BENCH_NUM_ENVS = 16
QUICK = {"num_envs": 4, "num_steps_per_env": 32, "iterations": 3, "chain_length": 2, "disc_epochs": 2}


def agent_cfg(algo: str, quick: bool = False) -> dict[str, Any]:
    """The shared agent config with ``trirl_cfg.method`` = algo (baselines: plain PPO policy step)."""
    cfg = copy.deepcopy(BENCH_AGENT)
    tc = cfg["algorithm"]["trirl_cfg"]
    tc["method"] = algo
    tc["policy_update"] = "trpl" if algo == "trirl" else "ppo"
    if quick:
        cfg["num_steps_per_env"] = QUICK["num_steps_per_env"]
        cfg["algorithm"]["num_mini_batches"] = 4
        cfg["algorithm"]["num_learning_epochs"] = 2
        tc["chain_length"] = QUICK["chain_length"]
        tc["discriminator"]["num_epochs"] = QUICK["disc_epochs"]
        tc["approximator"]["num_steps"] = 5
        from trirl_isaac.algo.config import ApproximatorCfg

        if "evict_chunk" in ApproximatorCfg.__dataclass_fields__:  # must not exceed the tiny chain
            tc["approximator"]["evict_chunk"] = 1
    return cfg


TRIRL_ONLY_KEYS = ("eps", "chain_length", "trust_region", "approximator", "policy_update")
"""trirl_cfg entries the baselines never read (their policy step is plain PPO on the latest D)."""


def settings_used(budget: dict[str, Any], algo: str) -> dict[str, Any]:
    """The part of a run's budget that ``algo`` reads: a saved run is reused only when this part is unchanged, so
    retuning TRIRL's trust region does not throw away baseline runs that never read it."""
    used = json.loads(json.dumps(budget))
    if algo != "trirl":
        tc = used.get("agent", {}).get("algorithm", {}).get("trirl_cfg", {})
        for key in TRIRL_ONLY_KEYS:
            tc.pop(key, None)
    return used


def apply_trirl_overrides(items: list[str]) -> None:
    """Set ``key[.sub]=value`` entries of BENCH_AGENT's trirl_cfg (numbers parsed as floats); unknown keys fail."""
    tc = BENCH_AGENT["algorithm"]["trirl_cfg"]
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--trirl expects KEY=VALUE, got {item!r}")
        *parents, leaf = key.split(".")
        node = tc
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                raise SystemExit(f"--trirl {key}: no settings group {part!r} in trirl_cfg")
        if leaf not in node:
            raise SystemExit(f"--trirl {key}: unknown setting (known: {sorted(node)})")
        old = node[leaf]
        node[leaf] = type(old)(float(value)) if isinstance(old, (int, float)) and not isinstance(old, bool) else value


def ppo_cfg(quick: bool = False) -> dict[str, Any]:
    """Plain rsl_rl PPO with the same networks and settings (re-optimisation of a frozen learned reward)."""
    cfg = agent_cfg("gail", quick)
    cfg["algorithm"].pop("trirl_cfg")
    cfg["algorithm"]["class_name"] = "PPO"
    return cfg


def provenance() -> dict[str, str]:
    """The code a run used: git HEAD and a hash of the algorithm and env sources as they are in the working tree."""
    import hashlib
    import subprocess

    from trirl_isaac.algo import trirl
    from trirl_isaac.envs import gym_mujoco

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    digest = hashlib.sha1()
    for folder in (os.path.dirname(trirl.__file__), os.path.dirname(gym_mujoco.__file__)):
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py"):
                with open(os.path.join(folder, name), "rb") as f:
                    digest.update(f.read())
    return {"git_head": head, "source_sha1": digest.hexdigest()[:12]}


def steps_for(args, task: str, retrain: bool = False) -> int:
    """The env-step budget of a training run on ``task`` (or of PPO on its frozen reward)."""
    steps = args.task_steps.get(task, args.steps)
    return int(steps * args.retrain_fraction) if retrain else steps


# ---------------------------------------------------------------------------------------------- statistics
def iqm(scores: np.ndarray) -> float:
    """Interquartile mean: the mean of the middle 50% of all scores (scipy's 25% trimmed mean)."""
    return float(scipy.stats.trim_mean(np.asarray(scores, dtype=float).ravel(), proportiontocut=0.25))


def stratified_bootstrap_ci(
    per_task: list[np.ndarray], statistic=iqm, reps: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """(point, low, high): percentile interval of ``statistic`` when runs are resampled within each task."""
    rng = np.random.default_rng(seed)
    per_task = [np.asarray(x, dtype=float) for x in per_task if len(x)]
    point = statistic(np.concatenate(per_task))
    stats = np.empty(reps)
    for b in range(reps):
        stats[b] = statistic(np.concatenate([x[rng.integers(0, len(x), len(x))] for x in per_task]))
    tail = 100 * (1 - confidence) / 2
    return point, float(np.percentile(stats, tail)), float(np.percentile(stats, 100 - tail))


def mean_ci(x: list[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval over seeds (a single seed gives an interval of NaN)."""
    a = np.asarray(x, dtype=float)
    m = float(a.mean())
    if len(a) < 2:
        return m, float("nan"), float("nan")
    h = float(scipy.stats.t.ppf(0.5 + confidence / 2, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a)))
    return m, m - h, m + h


# ---------------------------------------------------------------------------------------------- runs
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


def policy_of(runner) -> Any:
    """The deterministic (mean) policy of a runner, as a TensorDict -> actions callable."""
    policy = runner.get_inference_policy()
    return lambda obs: policy(obs)


def train_with_curve(runner, task: str, iterations: int, batch: int, args, ref: dict, seed: int) -> dict[str, Any]:
    """Run ``iterations`` in chunks, evaluating the deterministic policy after each; last point uses eval_episodes."""
    from trirl_isaac.envs.gym_mujoco import evaluate

    points = max(1, min(args.curve_points, iterations))
    edges = np.linspace(0, iterations, points + 1).round().astype(int)
    curve, t0, returns = [], time.time(), []
    for k in range(points):
        runner.learn(int(edges[k + 1] - edges[k]))
        last = k == points - 1
        returns = evaluate(task, policy_of(runner), args.eval_episodes if last else args.curve_episodes, 10_000 + seed)
        mean_return = float(np.mean(returns))
        curve.append([int(edges[k + 1]) * batch, norm(mean_return, ref), mean_return])
    return {
        "curve": curve,
        "returns": returns,
        "return": float(np.mean(returns)),
        "normalised": norm(float(np.mean(returns)), ref),
        "wall_s": time.time() - t0,
    }


def run_one(task: str, algo: str, seed: int, args, refs: dict[str, dict]) -> dict[str, Any]:
    """Train ``algo`` on ``task`` with ``seed``; optionally re-optimise and transfer its learned reward."""
    from rsl_rl.runners import OnPolicyRunner

    from trirl_isaac.algo.expert import ExpertBuffer
    from trirl_isaac.algo.runner import TrirlRunner
    from trirl_isaac.envs.gym_mujoco import TRANSFER_VARIANTS, demo_features, load_demos, make_env

    num_envs = QUICK["num_envs"] if args.quick else BENCH_NUM_ENVS
    cfg = agent_cfg(algo, args.quick)
    cfg["seed"] = seed
    batch = num_envs * cfg["num_steps_per_env"]
    iterations = QUICK["iterations"] if args.quick else max(1, steps_for(args, task) // batch)
    disc_input = cfg["algorithm"]["trirl_cfg"]["disc_input"]
    torch.manual_seed(seed)
    np.random.seed(seed)
    env = make_env(task, num_envs, seed=seed)
    demos = load_demos(os.path.join(args.demo_dir, f"{task}.h5"))
    env.expert_sampler = ExpertBuffer(demo_features(demos, disc_input, env.absorbing), name=f"{task} demos")
    runner = TrirlRunner(env, cfg, log_dir=None, device="cpu")
    out: dict[str, Any] = {"task": task, "algo": algo, "seed": seed, "iterations": iterations, "env_steps": 0}
    out["train"] = train_with_curve(runner, task, iterations, batch, args, refs[task], seed)
    out["env_steps"] = iterations * batch
    out["history"] = runner.history
    reward = runner.alg.reward
    os.makedirs(os.path.join(args.out, "rewards"), exist_ok=True)
    reward.save(os.path.join(args.out, "rewards", f"{task}__{algo}__s{seed}.pt"))
    if hasattr(env, "close"):
        env.close()

    targets = ([task] if args.retrain else []) + (TRANSFER_VARIANTS.get(task, []) if args.transfer else [])
    for target in targets:
        torch.manual_seed(seed + 1)
        renv = make_env(target, num_envs, seed=seed + 1)
        renv.install_frozen_reward(reward, disc_input, source=f"{task}/{algo}/s{seed}")
        pcfg = ppo_cfg(args.quick)
        pcfg["seed"] = seed + 1
        ppo = OnPolicyRunner(renv, pcfg, log_dir=None, device="cpu")
        r_iters = QUICK["iterations"] if args.quick else max(1, steps_for(args, task, retrain=True) // batch)
        result = train_with_curve(ppo, target, r_iters, batch, args, refs[target], seed)
        result["env_steps"] = r_iters * batch
        out["retrain" if target == task else f"transfer:{target}"] = result
        if hasattr(renv, "close"):
            renv.close()
    return out


# ---------------------------------------------------------------------------------------------- speed
def measure_speed(task: str, args) -> dict[str, Any]:
    """Seconds per iteration of TRIRL (full chain) vs PPO on the same env and batch; chain vs single-D cost."""
    from rsl_rl.runners import OnPolicyRunner

    from trirl_isaac.algo.expert import ExpertBuffer
    from trirl_isaac.algo.runner import TrirlRunner
    from trirl_isaac.envs.gym_mujoco import demo_features, load_demos, make_env

    num_envs = QUICK["num_envs"] if args.quick else BENCH_NUM_ENVS
    iters = 2 if args.quick else args.speed_iterations

    def timed(runner, n: int) -> list[float]:
        out = []
        for _ in range(n + 1):  # the first is a warm-up
            t0 = time.perf_counter()
            runner.learn(1)
            out.append(time.perf_counter() - t0)
        return out[1:]

    cfg = agent_cfg("trirl", args.quick)
    disc_input = cfg["algorithm"]["trirl_cfg"]["disc_input"]
    env = make_env(task, num_envs, seed=0)
    demos = load_demos(os.path.join(args.demo_dir, f"{task}.h5"))
    env.expert_sampler = ExpertBuffer(demo_features(demos, disc_input, env.absorbing), name=task)
    trirl = TrirlRunner(env, cfg, log_dir=None, device="cpu")
    chain = trirl.alg.reward.chain
    while len(chain) < chain.chain_length - 1:  # steady state: a full window (evictions distil while the
        # history's weight is >= approximator.skip_below; at eps 0.5 it is ~1e-12, so they skip)
        chain.append(trirl.alg.discriminator, trirl.alg.trirl_cfg.eps, 0.0)
    t_trirl = timed(trirl, iters)
    gail_env = make_env(task, num_envs, seed=0)
    gail_env.expert_sampler = env.expert_sampler
    t_gail = timed(TrirlRunner(gail_env, agent_cfg("gail", args.quick), log_dir=None, device="cpu"), iters)
    t_ppo = timed(OnPolicyRunner(make_env(task, num_envs, seed=0), ppo_cfg(args.quick), None, "cpu"), iters)
    frozen_env = make_env(task, num_envs, seed=0)
    frozen_env.install_frozen_reward(trirl.alg.reward, disc_input)
    t_ppo_frozen = timed(OnPolicyRunner(frozen_env, ppo_cfg(args.quick), None, "cpu"), iters)
    x = env.expert_sampler.sample(num_envs * cfg["num_steps_per_env"])
    reps = 3 if args.quick else 20
    t0 = time.perf_counter()
    for _ in range(reps):
        chain(x)
    t_chain = (time.perf_counter() - t0) / reps
    t0 = time.perf_counter()
    with torch.no_grad():
        for _ in range(reps):
            trirl.alg.discriminator(x)
    t_single = (time.perf_counter() - t0) / reps
    mean = lambda v: float(np.mean(v))  # noqa: E731
    return {
        "task": task,
        "num_envs": num_envs,
        "steps_per_env": cfg["num_steps_per_env"],
        "threads": torch.get_num_threads(),
        "trirl_s_per_iter": mean(t_trirl),
        "gail_s_per_iter": mean(t_gail),
        "ppo_s_per_iter": mean(t_ppo),
        "ppo_frozen_reward_s_per_iter": mean(t_ppo_frozen),
        "ratio_trirl_ppo": mean(t_trirl) / mean(t_ppo),
        "ratio_trirl_gail": mean(t_trirl) / mean(t_gail),
        "chain_length": len(chain),
        "chain_eval_ms": 1000 * t_chain,
        "single_disc_eval_ms": 1000 * t_single,
        "chain_vs_single": t_chain / t_single,
        "eval_batch": int(x.shape[0]),
    }


# ---------------------------------------------------------------------------------------------- report
def fmt(m: float, lo: float, hi: float) -> str:
    """'m [lo, hi]' with NaN intervals shown as 'm'."""
    return f"{m:.2f}" if math.isnan(lo) else f"{m:.2f} [{lo:.2f}, {hi:.2f}]"


def renormalise(runs: list[dict], refs: dict[str, dict]) -> None:
    """Recompute normalised returns from the raw ones with the current reference returns (demo files may change)."""
    for r in runs:
        for key, value in r.items():
            if key == "train" or key == "retrain" or key.startswith("transfer:"):
                ref = refs[r["task"] if ":" not in key else key.split(":")[1]]
                value["normalised"] = norm(value["return"], ref)
                for point in value["curve"]:
                    point[1] = norm(point[2], ref)


def summarise(runs: list[dict], algos: list[str]) -> dict[str, Any]:
    """Per-setting, per-task mean and CI, and per-setting IQM with stratified bootstrap CIs."""
    settings: dict[str, dict[str, dict[str, list[float]]]] = {}
    for r in runs:
        for key, value in r.items():
            if key == "train" or key == "retrain" or key.startswith("transfer:"):
                setting = key.split(":")[0]
                task = r["task"] if ":" not in key else key.split(":")[1]
                settings.setdefault(setting, {}).setdefault(task, {}).setdefault(r["algo"], []).append(
                    value["normalised"]
                )
    out: dict[str, Any] = {}
    for setting, tasks in settings.items():
        per_task = {
            t: {a: dict(zip(("mean", "low", "high"), mean_ci(v))) | {"n": len(v)} for a, v in d.items()}
            for t, d in tasks.items()
        }
        agg = {}
        for a in algos:
            groups = [np.asarray(tasks[t][a]) for t in tasks if a in tasks[t]]
            if groups:
                agg[a] = dict(zip(("iqm", "low", "high"), stratified_bootstrap_ci(groups))) | {
                    "n_tasks": len(groups),
                    "n_scores": int(sum(len(g) for g in groups)),
                }
        out[setting] = {"per_task": per_task, "iqm": agg}
    return out


def write_report(args, runs: list[dict], refs: dict, summary: dict, speed: list[dict], verbose: bool = True) -> None:
    """results.md, results.json, curves.png and trirl_<task>.png."""
    algos = [a for a in args.algos]
    lines = ["# Benchmark: normalised return (R - R_random) / (R_expert - R_random)", ""]
    lines += [
        "Budget per training run (env steps): "
        + ("quick" if args.quick else ", ".join(f"{t} {steps_for(args, t)}" for t in args.tasks))
        + f" ({BENCH_NUM_ENVS if not args.quick else QUICK['num_envs']} envs), seeds {args.seeds}, deterministic "
        f"evaluation over {args.eval_episodes} episodes; retrain/transfer: plain PPO on the frozen learned reward "
        f"for {args.retrain_fraction:g} x the task's budget.",
        "Per task: mean [95% Student-t CI over seeds]; IQM: interquartile mean over all (task, seed) scores "
        "[95% stratified-bootstrap CI].",
        "",
    ]
    titles = {
        "train": "Imitation (policy trained with the method)",
        "retrain": "Retraining (fresh PPO on the frozen learned reward, same task)",
        "transfer": "Transfer (fresh PPO on the frozen reward, shifted dynamics)",
    }
    for setting in ("train", "retrain", "transfer"):
        if setting not in summary:
            continue
        s = summary[setting]
        lines += [f"## {titles[setting]}", "", "| task | " + " | ".join(algos) + " |", "|---" * (len(algos) + 1) + "|"]
        for task, d in s["per_task"].items():
            cells = [fmt(d[a]["mean"], d[a]["low"], d[a]["high"]) if a in d else "-" for a in algos]
            lines.append(f"| {task} | " + " | ".join(cells) + " |")
        cells = [
            fmt(s["iqm"][a]["iqm"], s["iqm"][a]["low"], s["iqm"][a]["high"]) if a in s["iqm"] else "-" for a in algos
        ]
        lines += ["| **IQM** | " + " | ".join(cells) + " |", ""]
    lines += ["## Reference returns", "", "| task | expert | random | source |", "|---|---|---|---|"]
    for t, r in refs.items():
        lines.append(f"| {t} | {r['expert']:.1f} | {r['random']:.1f} | {r['source']} |")
    if speed:
        lines += [
            "",
            "## Speed (CPU, seconds per iteration at the same batch)",
            "",
            "| task | batch | threads | TRIRL | GAIL | PPO (true r) | PPO (frozen chain r) | TRIRL/PPO | "
            "K | chain eval ms | single D ms | chain/single |",
            "|---" * 12 + "|",
        ]
        for sp in speed:
            lines.append(
                f"| {sp['task']} | {sp['num_envs']}x{sp['steps_per_env']} | {sp['threads']} | "
                f"{sp['trirl_s_per_iter']:.3f} | {sp['gail_s_per_iter']:.3f} | {sp['ppo_s_per_iter']:.3f} | "
                f"{sp['ppo_frozen_reward_s_per_iter']:.3f} | {sp['ratio_trirl_ppo']:.2f} | {sp['chain_length']} | "
                f"{sp['chain_eval_ms']:.2f} | {sp['single_disc_eval_ms']:.3f} | {sp['chain_vs_single']:.1f} |"
            )
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    blob = {
        "args": vars(args),
        "agent_cfg": BENCH_AGENT,
        "num_envs": BENCH_NUM_ENVS,
        "references": refs,
        "summary": summary,
        "runs": runs,
        "speed": speed,
        "code": provenance(),
    }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(blob, f, indent=1, default=float)
    plot(args, runs)
    if verbose:
        print("\n".join(lines))


def plot(args, runs: list[dict]) -> None:
    """Learning curves per task and setting, and TRIRL's per-iteration diagnostics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(r["task"], k) for r in runs for k in r if k == "train" or k == "retrain" or ":" in k})
    if panels:
        cols = min(3, len(panels))
        rows = math.ceil(len(panels) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
        for ax, (task, key) in zip(axes.flat, panels):
            for algo in args.algos:
                curves = [np.asarray(r[key]["curve"]) for r in runs if r["task"] == task and r["algo"] == algo]
                curves = [c for c in curves if len(c)]
                if not curves:
                    continue
                n = min(len(c) for c in curves)
                ys = np.stack([c[:n, 1] for c in curves])
                x = curves[0][:n, 0]
                ax.plot(x, ys.mean(0), label=algo)
                ax.fill_between(x, ys.min(0), ys.max(0), alpha=0.2)
            ax.set_title(f"{task}: {key}")
            ax.set_xlabel("env steps")
            ax.set_ylabel("normalised return")
            ax.axhline(1.0, color="k", lw=0.5, ls="--")
            ax.legend(fontsize=7)
        for ax in list(axes.flat)[len(panels) :]:
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(os.path.join(args.out, "curves.png"), dpi=90)
        plt.close(fig)
    keys = (
        ("kl_new_old", "KL(pi_new || pi_old)"),
        ("eta", "eta"),
        ("eps_tr", "eps_tr"),
        ("dual_estimate", "dual estimate G/beta"),
    )
    for task in sorted({r["task"] for r in runs if r["algo"] == "trirl"}):
        fig, axes = plt.subplots(1, 4, figsize=(18, 3.4))
        for r in runs:
            if r["task"] != task or r["algo"] != "trirl" or not r.get("history"):
                continue
            it = [h["iteration"] for h in r["history"]]
            for ax, (k, title) in zip(axes, keys):
                ax.plot(it, [h.get(k, float("nan")) for h in r["history"]], lw=0.8, label=f"seed {r['seed']}")
                ax.set_title(title)
                ax.set_xlabel("iteration")
        axes[1].set_yscale("symlog", linthresh=1e-2)
        axes[0].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(args.out, f"trirl_{task}.png"), dpi=90)
        plt.close(fig)


# ---------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=None, help="default: pointmaze halfcheetah hopper walker2d ant")
    p.add_argument("--algos", nargs="+", default=list(ALGOS), choices=ALGOS)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=500_000, help="env steps per training run")
    p.add_argument("--task_steps", nargs="*", default=[], help="per-task budgets overriding --steps: pointmaze=100000")
    p.add_argument(
        "--retrain_fraction", type=float, default=1.0, help="PPO budget on a frozen reward, as a fraction of training's"
    )
    p.add_argument("--retrain", action="store_true")
    p.add_argument("--transfer", action="store_true")
    p.add_argument("--speed", action="store_true", help="also time TRIRL vs PPO and the chain vs one D")
    p.add_argument("--speed_only", action="store_true")
    p.add_argument("--speed_iterations", type=int, default=5)
    p.add_argument("--report_only", action="store_true", help="summarise the finished runs in --out, train nothing")
    p.add_argument("--quick", action="store_true", help="tiny budgets: a pipeline check, not numbers")
    p.add_argument("--eval_episodes", type=int, default=10)
    p.add_argument("--curve_episodes", type=int, default=5)
    p.add_argument("--curve_points", type=int, default=10)
    p.add_argument("--demo_dir", default=os.path.join("data", "demos"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--trirl",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="override TRIRL settings for an ablation, e.g. eps=0.1 trust_region.mean_bound=2e-4 (use its own --out)",
    )
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.tasks is None:
        args.tasks = ["pointmaze"] if args.quick else ["pointmaze", "halfcheetah", "hopper", "walker2d", "ant"]
    apply_trirl_overrides(args.trirl)
    args.task_steps = dict(kv.split("=") for kv in args.task_steps)
    args.task_steps = {k: int(float(v)) for k, v in args.task_steps.items()}
    if args.quick:
        args.curve_points = min(args.curve_points, 2)
    os.makedirs(os.path.join(args.out, "runs"), exist_ok=True)

    from trirl_isaac.envs.gym_mujoco import TRANSFER_VARIANTS

    speed = [measure_speed(t, args) for t in args.tasks] if args.speed or args.speed_only else []
    speed_file = os.path.join(args.out, "speed.json")
    if not speed and os.path.isfile(speed_file):  # keep an earlier measurement in the report
        with open(speed_file) as f:
            speed = json.load(f)
    runs: list[dict] = []
    refs: dict[str, dict] = {}
    if not args.speed_only:
        for task in args.tasks:
            refs[task] = reference_returns(task, args.demo_dir, args.eval_episodes)
            if args.transfer:
                for v in TRANSFER_VARIANTS.get(task, []):
                    refs[v] = reference_returns(v, args.demo_dir, args.eval_episodes)
        budgets = {
            task: {
                "quick": args.quick,
                "steps": steps_for(args, task),
                "retrain_steps": steps_for(args, task, retrain=True),
                "retrain": args.retrain,
                "transfer": args.transfer,
                "eval_episodes": args.eval_episodes,
                "num_envs": BENCH_NUM_ENVS,
                "agent": BENCH_AGENT,
            }
            for task in args.tasks
        }
        # seeds outermost: a run cut short still has every task and algorithm for its first seeds
        for seed in args.seeds:
            for task in args.tasks:
                budget = budgets[task]
                for algo in args.algos:
                    path = os.path.join(args.out, "runs", f"{task}__{algo}__s{seed}.json")
                    if os.path.isfile(path):
                        with open(path) as f:
                            saved = json.load(f)
                        if settings_used(saved.get("budget", {}), algo) == settings_used(budget, algo):
                            runs.append(saved)
                            continue
                    if args.report_only:
                        continue
                    t0 = time.time()
                    result = run_one(task, algo, seed, args, refs)
                    result["budget"] = budget
                    result["code"] = provenance()
                    result["wall_s"] = time.time() - t0
                    extra = "".join(
                        f", {k} {v['normalised']:.2f}" for k, v in result.items() if k == "retrain" or ":" in k
                    )
                    print(
                        f"[{task} {algo} seed {seed}] normalised {result['train']['normalised']:.3f} "
                        f"(return {result['train']['return']:.1f}){extra} in {result['wall_s']:.0f} s",
                        flush=True,
                    )
                    with open(f"{path}.tmp", "w") as f:
                        json.dump(result, f, default=float)
                    os.replace(f"{path}.tmp", path)
                    runs.append(result)
                    if not args.quick:  # keep results.md / .json / plots current while the benchmark runs
                        renormalise(runs, refs)
                        write_report(args, runs, refs, summarise(runs, args.algos), speed, verbose=False)
    if args.speed or args.speed_only:
        with open(os.path.join(args.out, "speed.json"), "w") as f:
            json.dump(speed, f, indent=1)
    renormalise(runs, refs)
    write_report(args, runs, refs, summarise(runs, args.algos), speed)


if __name__ == "__main__":
    main()
