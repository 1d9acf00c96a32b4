"""Every setting of a benchmark run, defined once: the shared agent, the env, the quick (pipeline-check) sizes."""

from __future__ import annotations

import copy
import json
from typing import Any

from trirl_isaac.algo.config import TrirlCfg
from trirl_isaac.envs.gym_mujoco import ABSORBING_TAILS, actor_critic_cfg, ppo_cfg_settings

ALGOS = ("trirl", "gail", "airl", "amp")
CONTROL = "ppo_true"
"""The control: plain PPO on the TRUE reward with the retraining settings and budget (the retrain ceiling)."""

NUM_ENVS = 16
ENV: dict[str, Any] = {"absorbing_tail": "closed_form"}
"""How the benchmark envs end an episode at an absorbing state (see ``GymMujocoVecEnv``), for every method: the
absorbing step's reward stands for the whole tail in closed form, r_abs / (1 - gamma) (Gymnasium's own semantics:
nothing is earned after a fall). Chosen with every method's Hopper runs (log, v9-v10): it trains TRIRL to the
expert (1.05-1.06 on every seed, where the bootstrapped tail stalled seeds at 0.05-0.32), the baselines train as before
(1.01-1.07), and the control (PPO on the true reward) falls from 0.79 to 0.33, so the control is always the
same-tail one. ``--absorbing_tail bootstrap`` is the critic bootstrapping V(absorbing) on itself (runs before v10)."""

STEPS_PER_ENV: dict[str, int] = {"pointmaze": 32, "pointmaze_detour": 32}
"""A task's rollout steps per env and iteration where it differs from ``AGENT``'s 128, for every method, its
retraining and the control alike (``--steps_per_env`` overrides it for every task). The mazes' 100k env steps are
48 iterations at 128, too few for TRIRL's binding trust region (train 0.70 / 0.49); at 32 they are 195 and TRIRL
trains the Point Maze to 1.02 and the detour maze to 1.05 over five seeds, as the baselines do (log, v10)."""

TRIRL: dict[str, Any] = {
    "method": "trirl",
    "policy_update": "trpl",
    "eps": 0.693,  # the authors' MuJoCo step; with their bounds eta ~ 2-10, so eps_tr = eps / (1 + eta) ~ 0.25-0.07
    "beta": 1.0e3,
    # the reward: the last 2 discriminators folded exactly, every older one distilled each iteration into one
    # warm-started network that starts the fold. Chosen by the 5-seed final table (README, v3): a far more reusable
    # frozen reward than the network alone (chain_length 0), at a training cost within the intervals
    "chain_length": 2,
    # the reward a run saves and re-optimises is the run's averaged reward (1/n) sum_i r_i; training is unchanged
    # (the policy trains on r_i). Chosen by v10: where training reaches the expert the final reward has forgotten
    # the informative discriminators (Point Maze retrain 0.01, Hopper 0.09) and the average keeps them (0.83, 0.81);
    # HalfCheetah, not converged at 1M, re-optimises its final reward better (v12, 5 seeds: averaged 0.59, final
    # 1.41); the run writes both, and `bench.table --by_accuracy` picks per run by the discriminator's final accuracy
    "average_reward": True,
    "disc_input": "state_next_state",
    "discriminator": {
        "hidden_dims": [64, 64],
        "learning_rate": 3.0e-4,
        "num_epochs": 10,
        "num_mini_batches": 4,
        "grad_penalty": 0.1,
    },
    "trust_region": {"mean_bound": 2.0e-4, "cov_bound": 4.5e-3, "trust_region_coef": 1.0},  # the authors': it binds
    "approximator": {
        "enabled": True,
        "hidden_dims": [64, 64],
        "num_steps": 50,
        "batch_size": 1024,
        "evict_chunk": 1,
        "skip_below": 0.0,
        "reservoir_size": 0,  # 8192 was tried (one seed): trained better, re-optimised and transferred less
    },
}
"""The benchmark's trirl_cfg (baselines read only method, beta, disc_input and discriminator)."""

AGENT: dict[str, Any] = {
    "num_steps_per_env": 128,
    "save_interval": 10**9,
    "check_for_nan": False,
    **actor_critic_cfg(),
    "algorithm": {"class_name": "trirl_isaac.algo.trirl:TRIRL", **ppo_cfg_settings(num_mini_batches=8)},
}
QUICK = {"num_envs": 4, "num_steps_per_env": 32, "iterations": 3, "chain_length": 2, "disc_epochs": 2}

TRIRL_ONLY_KEYS = (
    "eps",
    "chain_length",
    "trust_region",
    "approximator",
    "policy_update",
    "eps_halving",
    "average_reward",
    "average_power",
)
"""trirl_cfg entries the baselines never read (their policy step is plain PPO on the latest D, their reward D itself).
A key joins this list only if no saved baseline run has it in its budget (the list decides their cache keys)."""


def with_overrides(items: list[str], trirl: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of the trirl_cfg with ``key[.sub]=value`` items set (typed like the setting they replace).

    A key may name any ``TrirlCfg`` field, also one the dict leaves at its default; an unknown key or a value
    that does not parse fails naming the key."""
    tc = copy.deepcopy(TRIRL if trirl is None else trirl)
    defaults = TrirlCfg().to_dict()
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--trirl expects KEY=VALUE, got {item!r}")
        *parents, leaf = key.split(".")
        node, known = tc, defaults
        for part in parents:
            known = known.get(part) if isinstance(known, dict) else None
            if not isinstance(known, dict):
                raise SystemExit(f"--trirl {key}: no settings group {part!r} in trirl_cfg")
            node = node.setdefault(part, {})
        if leaf not in known:
            raise SystemExit(f"--trirl {key}: unknown setting (known: {sorted(known)})")
        old = node.get(leaf, known[leaf])
        node[leaf] = parse_setting(key, value, old)
    try:
        TrirlCfg.from_dict(tc)
    except ValueError as e:
        raise SystemExit(f"--trirl: {e}") from e
    return tc


def parse_setting(key: str, value: str, old: Any, flag: str = "--trirl", error: type[Exception] = SystemExit) -> Any:
    """``value`` as the type of the setting's current value ``old``; a bad value raises ``error`` naming ``flag``
    and ``key``."""
    if isinstance(old, bool):
        if value.lower() not in ("true", "false", "1", "0"):
            raise error(f"{flag} {key}: expected true or false, got {value!r}")
        return value.lower() in ("true", "1")
    if isinstance(old, (int, float)):
        try:
            return type(old)(float(value))
        except ValueError:
            raise error(f"{flag} {key}: expected a number, got {value!r}") from None
    if old is None:  # an optional setting (off by default): None, a number, or text (a path)
        if value.lower() == "none":
            return None
        try:
            return float(value)
        except ValueError:
            return value
    return value


def env_settings(absorbing_tail: str | None = None) -> dict[str, Any]:
    """The env settings, optionally with another absorbing tail (checked by name)."""
    env = dict(ENV)
    if absorbing_tail is not None:
        if absorbing_tail not in ABSORBING_TAILS:
            raise SystemExit(f"--absorbing_tail must be one of {ABSORBING_TAILS}, got {absorbing_tail!r}")
        env["absorbing_tail"] = absorbing_tail
    return env


def task_steps_per_env(task: str, given: int | None = None, quick: bool = False) -> int | None:
    """The rollout steps per env a run of ``task`` uses: ``given`` (``--steps_per_env``), else the task's own
    (``STEPS_PER_ENV``); None means ``AGENT``'s (or the quick sizes'), and an explicit value equal to ``AGENT``'s is
    None too outside quick runs, so the keys of runs at the usual rollout stay as they were."""
    spe = given if given is not None else STEPS_PER_ENV.get(task)
    return None if spe == AGENT["num_steps_per_env"] and not quick else spe


def agent_cfg(
    algo: str, trirl: dict[str, Any] | None = None, quick: bool = False, steps_per_env: int | None = None
) -> dict[str, Any]:
    """The shared agent config with ``trirl_cfg.method`` = algo (baselines: plain PPO policy step; TRIRL: its own
    ``policy_update``, the trust region unless ``--trirl policy_update=...`` says otherwise);
    ``steps_per_env`` (``--steps_per_env``) sets the rollout length per iteration for every method alike."""
    cfg = copy.deepcopy(AGENT)
    tc = copy.deepcopy(TRIRL if trirl is None else trirl)
    cfg["algorithm"]["trirl_cfg"] = tc
    tc["method"] = algo
    if algo != "trirl":  # until 2026-12-07 TRIRL's was forced to "trpl" too: --trirl policy_update=ppo was ignored
        tc["policy_update"] = "ppo"
    if algo != "trirl":  # a baseline's reward is its latest D: it keeps no average (TRIRL_ONLY_KEYS)
        tc["average_reward"] = False
        tc.pop("average_power", None)
    if quick:
        cfg["num_steps_per_env"] = QUICK["num_steps_per_env"]
        cfg["algorithm"]["num_mini_batches"] = 4
        cfg["algorithm"]["num_learning_epochs"] = 2
        tc["chain_length"] = min(tc["chain_length"], QUICK["chain_length"])
        tc["discriminator"]["num_epochs"] = QUICK["disc_epochs"]
        tc["approximator"]["num_steps"] = 5
        tc["approximator"]["evict_chunk"] = 1  # must not exceed the tiny chain
    if steps_per_env is not None:  # after the quick sizes, so a quick run checks it too
        cfg["num_steps_per_env"] = steps_per_env
    return cfg


def ppo_cfg(
    quick: bool = False, retrain_ppo: dict[str, Any] | None = None, steps_per_env: int | None = None
) -> dict[str, Any]:
    """Plain rsl_rl PPO with the same networks and settings (re-optimisation of a frozen reward; the control).

    ``retrain_ppo`` (from ``--retrain_ppo``) changes PPO settings for every method's retraining and the control
    alike; an entropy bound (``entropy_floor`` ...) makes it :class:`~trirl_isaac.algo.ppo.EntropyFloorPPO`."""
    from trirl_isaac.algo.ppo import ENTROPY_FLOOR_KEYS

    cfg = agent_cfg("gail", quick=quick, steps_per_env=steps_per_env)
    cfg["algorithm"].pop("trirl_cfg")
    cfg["algorithm"]["class_name"] = "PPO"
    for key, value in (retrain_ppo or {}).items():
        cfg["algorithm"][key] = value
    if any(k in ENTROPY_FLOOR_KEYS for k in retrain_ppo or {}):
        cfg["algorithm"]["class_name"] = "trirl_isaac.algo.ppo:EntropyFloorPPO"
    return cfg


def retrain_overrides(items: list[str]) -> dict[str, Any]:
    """``--retrain_ppo KEY=VALUE`` items: PPO settings (typed like the current value) or the entropy bound's."""
    from trirl_isaac.algo.config import ConfigError, check_entropy_floor
    from trirl_isaac.algo.ppo import ENTROPY_FLOOR_KEYS

    known = {k: v for k, v in ppo_cfg()["algorithm"].items() if k != "class_name"}
    known.update({"entropy_floor": None, "entropy_floor_start": None, "entropy_floor_iterations": 1000})
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--retrain_ppo expects KEY=VALUE, got {item!r}")
        if key not in known:
            raise SystemExit(f"--retrain_ppo {key}: unknown setting (known: {sorted(known)})")
        out[key] = parse_setting(key, value, known[key], flag="--retrain_ppo")
    if any(k in ENTROPY_FLOOR_KEYS for k in out):
        if out.get("entropy_floor") is None:
            raise SystemExit("--retrain_ppo: entropy_floor_start / entropy_floor_iterations need entropy_floor")
        try:
            check_entropy_floor(
                "--retrain_ppo ",
                out["entropy_floor"],
                out.get("entropy_floor_start"),
                out.get("entropy_floor_iterations", 1000),
            )
        except ConfigError as e:
            raise SystemExit(str(e)) from e
    return out


def settings_used(budget: dict[str, Any], algo: str) -> dict[str, Any]:
    """The part of a run's budget that ``algo`` reads: a saved run is reused only when this part (and the code) is
    unchanged, so retuning TRIRL's trust region does not throw away baseline runs that never read it."""
    used = json.loads(json.dumps(budget))
    tc = used.get("agent", {}).get("algorithm", {}).get("trirl_cfg", {})
    if algo != "trirl":
        for key in TRIRL_ONLY_KEYS:
            tc.pop(key, None)
    if algo == CONTROL:  # PPO on the true reward reads no trirl_cfg and no demos
        used.get("agent", {}).get("algorithm", {}).pop("trirl_cfg", None)
    return used
