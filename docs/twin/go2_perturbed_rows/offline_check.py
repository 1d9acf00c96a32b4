"""The offline check of docs/twin/go2_perturbed_rows/README.md (a stand-in for the algorithm's distillations).

Records 200 steps x 16 envs of the TRIRL gait, the three-legged stance and the expert in the twin, then regresses
the transfer base run's approximator 60 times, warm-started, onto (1 - 0.1) x itself + 0.1 x softplus(newest D) on
the gait's and the expert's rows, with or without perturbed copies (approximator.perturbed_share / perturb_std),
and prints its raw output on each policy's rows every 20 regressions. Run from the repository's root:

    python docs/twin/go2_perturbed_rows/offline_check.py --share 0.5 --scale 2     # --share 0: data rows only
"""

import argparse

import torch
from torch.func import functional_call

from trirl_isaac.algo.config import ApproximatorCfg
from trirl_isaac.algo.reward import LearnedReward, fold_term, regression_rows
from trirl_isaac.twin.record import load_policy
from trirl_isaac.twin.train import make_twin

TASK = "TRIRL-Go2-Walk"
BASE = "docs/twin/go2_trirl_transfer_base"
POLICIES = {
    "gait": ("retrain", f"{BASE}/model_250_actor.pt"),
    "stance": ("retrain", "docs/twin/go2_payload_transfer/retrain_init_p4_model_400_actor.pt"),
    "expert": ("expert", "docs/twin/go2_expert_gait_limits/model_700.pt"),
}


def record(mode: str, checkpoint: str, steps: int = 200, envs: int = 16) -> torch.Tensor:
    """(s, s') discriminator rows of one policy on the task's dynamics, the first half of the steps dropped."""
    host = make_twin(TASK, mode, envs, 0)
    policy = load_policy(host, TASK, mode, checkpoint)
    host.close()
    env = make_twin(TASK, "retrain", envs, 0)
    obs, rows = env.get_observations(), []
    for _ in range(steps):
        s = obs["discriminator"].clone()
        obs, _, done, extras = env.step(policy(obs))
        s_next = torch.where(done.bool().unsqueeze(-1), extras["final_obs"]["discriminator"], obs["discriminator"])
        rows.append(torch.cat([s, s_next], dim=-1))
    env.close()
    return torch.cat(rows[steps // 2 :])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--share", type=float, default=0.5)
    p.add_argument("--scale", type=float, default=2.0)
    p.add_argument("--rounds", type=int, default=60)
    args = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    xs = {name: record(*policy) for name, policy in POLICIES.items()}
    chain = LearnedReward.load(f"{BASE}/reward.pt").chain
    newest = chain.snapshots[-1]
    data = torch.cat([xs["gait"], xs["expert"]])
    cfg = ApproximatorCfg(perturbed_share=args.share, perturb_std=args.scale, absorbing_share=0.0)

    def show(tag: str) -> None:
        with torch.no_grad():
            print(tag, "  ".join(f"{k} {chain.base(v).mean().item():+.2f}" for k, v in xs.items()), flush=True)

    show("start    ")
    for i in range(args.rounds):
        rows = regression_rows(data, None, cfg)
        with torch.no_grad():
            d = functional_call(chain.template, newest, (rows,))
            target = 0.9 * chain.base(rows).squeeze(-1) + 0.1 * fold_term("softplus", d)
        chain._fit_base(target, rows, newest)
        if (i + 1) % 20 == 0:
            show(f"round {i + 1:3d}")


if __name__ == "__main__":
    main()
