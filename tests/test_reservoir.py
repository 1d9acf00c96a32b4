"""The reservoir (uniform over every row offered, bounded) and the discriminator's replay of past policies."""

import pytest
import torch

from trirl_isaac.algo.config import DiscriminatorCfg
from trirl_isaac.algo.discriminator import Discriminator, DiscriminatorTrainer
from trirl_isaac.algo.expert import ExpertBuffer
from trirl_isaac.algo.reservoir import Reservoir


def test_reservoir_is_uniform_over_iterations_bounded_and_restorable() -> None:
    torch.manual_seed(0)
    res = Reservoir(300)
    assert res.rows() is None
    for it in range(60):  # 60 iterations x 40 rows; column 0 holds the iteration
        res.add(torch.stack([torch.full((40,), float(it)), torch.randn(40)], dim=1))
    kept = res.rows()
    assert kept.shape == (300, 2) and res.seen == 2400
    counts = torch.bincount(kept[:, 0].long(), minlength=60).float()
    assert counts[:30].sum().item() == pytest.approx(150, abs=35)  # 5 per iteration expected, early ones kept
    assert (counts > 0).sum() >= 50
    drawn = res.sample(5000)
    assert drawn.shape == (5000, 2) and set(drawn[:, 0].long().tolist()) <= set(kept[:, 0].long().tolist())
    other = Reservoir(300)
    other.load_state_dict(res.state_dict())
    assert torch.equal(other.rows(), kept) and other.seen == 2400


def test_reservoir_names_bad_use() -> None:
    with pytest.raises(ValueError, match="size >= 1"):
        Reservoir(0)
    with pytest.raises(ValueError, match="empty reservoir"):
        Reservoir(4).sample(1)
    res = Reservoir(4)
    res.add(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="3 features, offered 2"):
        res.add(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="size 4 cannot load into one of size 5"):
        Reservoir(5).load_state_dict(res.state_dict())


def _fit_on_converged_policy(replay_size: int) -> tuple[float, float, DiscriminatorTrainer]:
    """A policy that went to x ~ 3 earlier and now sits on the expert (x ~ 0): D at 3 and at 0 after the fit."""
    torch.manual_seed(1)
    expert = ExpertBuffer(0.3 * torch.randn(4000, 1))
    cfg = DiscriminatorCfg(
        hidden_dims=[32, 32],
        learning_rate=3e-3,
        num_epochs=20,
        num_mini_batches=8,
        grad_penalty=0.0,
        replay_size=replay_size,
    )
    trainer = DiscriminatorTrainer(Discriminator(1, [32, 32], obs_normalization=True), cfg, least_squares=False)
    if trainer.replay is not None:
        trainer.replay.add(3.0 + 0.3 * torch.randn(4000, 1))  # the earlier rollouts
    trainer.fit(0.3 * torch.randn(4000, 1), expert)
    with torch.no_grad():
        d = trainer.disc(torch.tensor([[3.0], [0.0]]))
    return d[0].item(), d[1].item(), trainer


def test_discriminator_replay_keeps_past_policies_states_negative() -> None:
    far_replay, here_replay, trainer = _fit_on_converged_policy(replay_size=8000)
    far_plain, here_plain, plain = _fit_on_converged_policy(replay_size=0)
    assert plain.replay is None
    # against the current rollout alone D carries nothing where the policy no longer goes; against the replay it
    # still marks the past policies' states as the policy's (log ratio << 0), and stays ~ log 2 higher on the expert
    assert far_replay < -3.0 and far_replay < far_plain - 2.0, (far_replay, far_plain)
    assert here_replay > far_replay + 3.0
    assert trainer.replay.seen == 8000  # the fitted rollout was offered after the fit


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"replay_size": -1}, "replay_size must be an integer >= 0"),
        ({"replay_size": 2.5}, "replay_size must be an integer >= 0"),
        ({"replay_fraction": 0.0}, r"replay_fraction must lie in \(0, 1\)"),
        ({"replay_fraction": 1.0}, r"replay_fraction must lie in \(0, 1\)"),
    ],
)
def test_bad_replay_settings_are_named(values, message) -> None:
    from trirl_isaac.algo.config import ConfigError, TrirlCfg

    with pytest.raises(ConfigError, match=message):
        TrirlCfg.from_dict({"discriminator": values})
