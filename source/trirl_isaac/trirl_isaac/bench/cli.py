"""The benchmark's command line (``scripts/benchmark.py``): TRIRL against GAIL, AIRL and AMP on MuJoCo / Point Maze.

    python scripts/benchmark.py --tasks pointmaze halfcheetah hopper --algos trirl gail airl amp --control \
        --seeds 0 1 2 --steps 500000 --retrain --transfer --out docs/benchmark
    python scripts/benchmark.py --quick --out /tmp/bench_quick          # pipeline check in a few minutes
    python scripts/benchmark.py --speed --tasks halfcheetah --out /tmp/bench_speed

Every algorithm runs through the same code path (TRIRL's rsl_rl algorithm with trirl_cfg.method set; baselines use
policy_update 'ppo'), the same observation groups, rollout size, PPO settings and network sizes, and learns from
the expert (s, s') pairs in data/demos/<task>.h5 (made by scripts/train_expert.py) without ever seeing the true
reward. Reported is the normalised return (R - R_random) / (R_expert - R_random) of the deterministic policy (the
Gaussian's mean) over --eval_episodes fresh episodes, R_expert and R_random being the demo file's expert mean return
and a uniform-random policy's mean return. --retrain re-optimises each learned reward from a fresh policy with
plain rsl_rl PPO; --transfer does so on the shifted-dynamics variants (ant_disabled, halfcheetah_wind,
halfcheetah_mars, pointmaze_flipped); --control adds plain PPO on the TRUE reward with the same settings and budget
(task and variants): the ceiling each retrain/transfer number is read against. Per task: mean and a 95% Student-t
interval over seeds; aggregate: the interquartile mean over all (task, seed) scores with a 95% percentile interval
from a stratified bootstrap (seeds resampled within each task), computed by rliable (Agarwal et al. 2021).

Outputs in --out: results.md, results.json, curves.png, trirl_<task>.png (KL(pi_new || pi_old), eta, eps_tr and the
dual estimate per iteration), runs/<task>__<algo>__s<seed>__<key>.json, one per finished run, <key> hashing the
settings the algorithm reads and the code (a rerun skips them; runs of other settings stay beside them), and
rewards/<same name>.pt (learned rewards; a TRIRL run that re-optimises its averaged reward also keeps its final
reward, <same name>.final.pt, for --rewards_from DIR --reward_variant final). --speed adds speed.json: seconds per
iteration of TRIRL vs PPO at the same batch, and the cost of the K-snapshot chain vs one discriminator.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

from trirl_isaac.bench.report import renormalise, summarise, write_report
from trirl_isaac.bench.run import (
    provenance,
    reference_returns,
    reoptimise_saved,
    run_key,
    run_one,
    saved_reward,
    steps_for,
)
from trirl_isaac.bench.settings import (
    AGENT,
    ALGOS,
    CONTROL,
    ENV,
    NUM_ENVS,
    STEPS_PER_ENV,
    env_settings,
    retrain_overrides,
    task_steps_per_env,
    with_overrides,
)
from trirl_isaac.bench.speed import measure_speed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The benchmark's arguments, with ``args.trirl`` / ``args.env`` the validated settings of this invocation."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=None, help="default: pointmaze halfcheetah hopper walker2d ant")
    p.add_argument("--algos", nargs="+", default=list(ALGOS), choices=[*ALGOS, CONTROL])
    p.add_argument("--control", action="store_true", help=f"also run {CONTROL}: PPO on the true reward (ceiling)")
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
        help="override TRIRL settings for an ablation, e.g. eps=0.1 trust_region.mean_bound=2e-4",
    )
    p.add_argument(
        "--retrain_ppo",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="PPO settings of every retraining and of the control, e.g. entropy_floor=0.2 entropy_floor_start=1.42 "
        "entropy_floor_iterations=488 (a lower bound on the policy's entropy per action dimension, nats)",
    )
    p.add_argument(
        "--rewards_from",
        default=None,
        metavar="DIR",
        help="retrain (and transfer) the rewards an earlier benchmark saved in DIR/rewards instead of training: "
        "results go to --out/runs as <task>__<algo>__s<seed>__re-<key>.json",
    )
    p.add_argument(
        "--reward_key", default=None, help="with --rewards_from: the run key of the reward files (when several match)"
    )
    p.add_argument(
        "--reward_variant",
        choices=("reoptimised", "final"),
        default="reoptimised",
        help="with --rewards_from: the reward each run re-optimised (default), or the final reward a TRIRL run that "
        "re-optimised its averaged reward saved beside it (<name>.final.pt)",
    )
    p.add_argument(
        "--absorbing_tail",
        default=None,
        help=f"bootstrap or closed_form, for every method (default: {ENV['absorbing_tail']})",
    )
    p.add_argument(
        "--heatmaps", action="store_true", help="Point Maze: plot each method's learned reward (first seed) as a field"
    )
    p.add_argument(
        "--steps_per_env",
        type=int,
        default=None,
        help=f"rollout steps per env and iteration for every task, for every method, its retraining and the control "
        f"alike (default: the task's own, {STEPS_PER_ENV}, else {AGENT['num_steps_per_env']}; fewer means more "
        "iterations for the same env steps)",
    )
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    if args.steps_per_env is not None and not (1 <= args.steps_per_env and NUM_ENVS * args.steps_per_env >= 8):
        p.error(f"--steps_per_env must be a positive number of steps with {NUM_ENVS} envs x steps >= 8 (the "
                f"mini-batches of an iteration), got {args.steps_per_env}")  # fmt: skip
    args.overrides = list(args.trirl)
    args.trirl = with_overrides(args.trirl)
    args.env = env_settings(args.absorbing_tail)
    args.retrain_ppo = retrain_overrides(args.retrain_ppo)
    if args.rewards_from is not None:
        if not os.path.isdir(os.path.join(args.rewards_from, "rewards")):
            p.error(f"--rewards_from {args.rewards_from}: no rewards/ folder there")
        if not (args.retrain or args.transfer):
            p.error("--rewards_from re-optimises saved rewards: add --retrain and/or --transfer")
        if CONTROL in args.algos:
            p.error(f"--rewards_from: {CONTROL} has no saved reward (run it without --rewards_from)")
    elif args.reward_key is not None:
        p.error("--reward_key needs --rewards_from")
    elif args.reward_variant != "reoptimised":
        p.error("--reward_variant needs --rewards_from")
    if args.control and CONTROL not in args.algos:
        args.algos.append(CONTROL)
    if args.tasks is None:
        args.tasks = ["pointmaze"] if args.quick else ["pointmaze", "halfcheetah", "hopper", "walker2d", "ant"]
    args.task_steps = {k: int(float(v)) for k, v in (kv.split("=") for kv in args.task_steps)}
    if args.quick:
        args.curve_points = min(args.curve_points, 2)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(os.path.join(args.out, "runs"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "rewards"), exist_ok=True)

    from trirl_isaac.envs.gym_mujoco import TRANSFER_VARIANTS

    speed = [measure_speed(t, args) for t in args.tasks] if args.speed or args.speed_only else []
    speed_file = os.path.join(args.out, "speed.json")
    if not speed and os.path.isfile(speed_file):  # keep an earlier measurement in the report
        with open(speed_file) as f:
            speed = json.load(f)
    runs: list[dict] = []
    refs: dict[str, dict] = {}
    code = provenance()
    if not args.speed_only:
        for task in args.tasks:
            refs[task] = reference_returns(task, args.demo_dir, args.eval_episodes)
            if args.transfer:
                for v in TRANSFER_VARIANTS.get(task, []):
                    refs[v] = reference_returns(v, args.demo_dir, args.eval_episodes)
        # seeds outermost: a run cut short still has every task and algorithm for its first seeds
        for seed in args.seeds:
            for task in args.tasks:
                budget = {
                    "quick": args.quick,
                    "steps": steps_for(args, task),
                    "retrain_steps": steps_for(args, task, retrain=True),
                    "retrain": args.retrain,
                    "transfer": args.transfer,
                    "eval_episodes": args.eval_episodes,
                    "num_envs": NUM_ENVS,
                    "env": args.env,
                    "agent": {"algorithm": {"trirl_cfg": args.trirl}},
                }
                if args.retrain_ppo:  # absent when unset: the keys of runs with the usual retraining are unchanged
                    budget["retrain_ppo"] = args.retrain_ppo
                spe = task_steps_per_env(task, args.steps_per_env, args.quick)
                if spe is not None:  # absent at AGENT's rollout, likewise
                    budget["steps_per_env"] = spe
                targs = argparse.Namespace(**{**vars(args), "steps_per_env": spe})  # what run.py reads for this task
                for algo in args.algos:
                    source = None
                    if args.rewards_from is not None:  # re-optimise a saved reward: keyed by its bytes, not training
                        source = saved_reward(args.rewards_from, task, algo, seed, args.reward_key, args.reward_variant)
                        budget = {k: v for k, v in budget.items() if k not in ("steps", "agent")}
                        budget["reward_sha1"] = source["sha1"]
                    key = run_key(budget, algo, code["source_sha1"])
                    name = f"{task}__{algo}__s{seed}__{'re-' if source else ''}{key}"
                    path = os.path.join(args.out, "runs", f"{name}.json")
                    if os.path.isfile(path):
                        with open(path) as f:
                            runs.append(json.load(f))
                        continue
                    if args.report_only:
                        continue
                    t0 = time.time()
                    print(f"[{task} {algo} seed {seed}] started ({name})", flush=True)
                    reward_path = os.path.join(args.out, "rewards", f"{name}.pt")
                    if source is not None:
                        result = reoptimise_saved(task, algo, seed, targs, refs, source["path"])
                        result["source_run"] = source["run"]
                    else:
                        result = run_one(task, algo, seed, targs, refs, reward_path)
                    result.update(budget=budget, code=code, key=key, overrides=args.overrides)
                    result["wall_s"] = time.time() - t0
                    extra = "".join(
                        f", {k} {v['normalised']:.2f}" for k, v in result.items() if k == "retrain" or ":" in k
                    )
                    if "train" in result:
                        train = f"normalised {result['train']['normalised']:.3f}"
                    else:  # the control, or a saved reward re-optimised
                        train = f"reward {result['reward_file']}" if "reward_file" in result else "control"
                    print(f"[{task} {algo} seed {seed}] {train}{extra} in {result['wall_s']:.0f} s", flush=True)
                    with open(f"{path}.tmp", "w") as f:
                        json.dump(result, f, default=float)
                    os.replace(f"{path}.tmp", path)
                    runs.append(result)
                    if not args.quick:  # keep results.md / .json / plots current while the benchmark runs
                        renormalise(runs, refs)
                        write_report(args, runs, refs, summarise(runs, args.algos), speed, verbose=False)
    if args.speed or args.speed_only:
        with open(speed_file, "w") as f:
            json.dump(speed, f, indent=1)
    renormalise(runs, refs)
    write_report(args, runs, refs, summarise(runs, args.algos), speed)
    if args.heatmaps:
        write_heatmaps(args, runs)


def write_heatmaps(args: argparse.Namespace, runs: list[dict]) -> None:
    """<maze>_rewards.png (and <transfer>_rewards.png) for every Point Maze task run: the first seed's learned reward
    of each method beside the layout's true reward, drawn in the training layout and in its transfer layout."""
    from trirl_isaac.algo.reward import LearnedReward
    from trirl_isaac.bench.heatmap import plot_fields
    from trirl_isaac.envs.gym_mujoco import TRANSFER_VARIANTS, PointMazeEnv, task_spec

    for task in [t for t in args.tasks if task_spec(t).env_id == "PointMaze"]:
        for layout in [task, *TRANSFER_VARIANTS.get(task, [])]:
            maze = PointMazeEnv(1, task=layout)
            fields = {"true reward (-maze distance)": lambda x, maze=maze: -maze.maze_distance(x[:, 4:6])}
            for algo in args.algos:
                mine = [r for r in runs if r["task"] == task and r["algo"] == algo and "train" in r]
                if not mine:
                    continue
                first = min(mine, key=lambda r: r["seed"])
                path = os.path.join(args.out, "rewards", f"{task}__{algo}__s{first['seed']}__{first['key']}.pt")
                if os.path.isfile(path):
                    fields[f"{algo} (seed {first['seed']})"] = LearnedReward.load(path)
            plot_fields(fields, os.path.join(args.out, f"{layout}_rewards.png"), task=layout)
