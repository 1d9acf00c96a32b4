"""The K-snapshot reward: vectorised evaluation equals the recursive fold; eviction, approximator, save/load."""

import pytest
import torch
import torch.nn.functional as F

from trirl_isaac.algo.config import ApproximatorCfg
from trirl_isaac.algo.discriminator import Discriminator
from trirl_isaac.algo.reward import LearnedReward, RewardChain, regression_rows, transform


def _random_disc(dim: int = 6, seed: int = 0) -> Discriminator:
    torch.manual_seed(seed)
    d = Discriminator(dim, [16, 16], obs_normalization=True)
    d.train()
    d.update_normalization(torch.randn(256, dim) * (1 + seed) + seed)  # each snapshot has its own statistics
    return d


def _recursive(discs: list[Discriminator], steps: list[float], x: torch.Tensor, f=lambda d: d) -> torch.Tensor:
    r = torch.zeros(x.shape[0])
    for d, s in zip(discs, steps):
        r = (1 - s) * r + s * f(d.eval()(x))
    return r


def test_vectorised_chain_equals_recursive_fold() -> None:
    discs = [_random_disc(seed=k) for k in range(7)]
    steps = [0.5, 0.3, 0.9, 0.1, 0.44, 0.2, 0.7]
    chain = RewardChain(discs[0], chain_length=10)
    for d, s in zip(discs, steps):
        chain.append(d, s, eta=0.0)
    x = torch.randn(300, 6)
    torch.testing.assert_close(chain(x), _recursive(discs, steps, x), rtol=1e-5, atol=1e-5)
    assert chain.logits(x).shape == (7, 300)


def test_softplus_fold_sums_the_transformed_logits_and_survives_a_file(tmp_path) -> None:
    discs = [_random_disc(seed=k) for k in range(5)]
    steps = [0.5, 0.3, 0.9, 0.1, 0.44]
    chain = RewardChain(discs[0], chain_length=3, d_transform="softplus")
    for d, s in zip(discs[:4], steps[:4]):
        chain.append(d, s, eta=0.0)
    x = torch.randn(200, 6)
    expected = _recursive(discs[1:4], steps[1:4], x, F.softplus)  # the oldest left the window (no approximator)
    torch.testing.assert_close(chain(x), expected, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(chain(x), _recursive(discs[1:4], steps[1:4], x), atol=1e-3)
    pending = chain(x, pending=discs[4], pending_step=steps[4])
    torch.testing.assert_close(pending, (1 - steps[4]) * expected + steps[4] * F.softplus(discs[4].eval()(x)))
    path = str(tmp_path / "r.pt")
    LearnedReward(chain, "trirl", 1.0).save(path)
    loaded = LearnedReward.load(path)
    assert loaded.chain.d_transform == "softplus"
    torch.testing.assert_close(loaded(x), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="unknown d_transform 'exp'"):
        RewardChain(discs[0], chain_length=3, d_transform="exp")


def test_softplus_distillation_regresses_onto_the_transformed_fold() -> None:
    torch.manual_seed(0)
    approx = ApproximatorCfg(hidden_dims=[64, 64], learning_rate=3e-3, num_steps=1500, batch_size=512, skip_below=0.0)
    chain = RewardChain(_random_disc(), chain_length=0, approximator=approx, d_transform="softplus")
    d = _random_disc(seed=3)
    x = torch.randn(2048, 6)
    chain.append(d, 0.5, 0.0, data=x)  # K = 0: the approximator alone is the reward, fitted to 0.5 * f(D)
    soft, raw = 0.5 * F.softplus(d.eval()(x)), 0.5 * d.eval()(x)
    err_soft, err_raw = (chain(x) - soft).pow(2).mean(), (chain(x) - raw).pow(2).mean()
    assert err_soft < 0.2 * err_raw, (err_soft, err_raw)


def test_pending_discriminator_enters_with_full_eps() -> None:
    discs = [_random_disc(seed=k) for k in range(3)]
    chain = RewardChain(discs[0], chain_length=10)
    for d in discs[:2]:
        chain.append(d, 0.25, eta=1.0)
    x = torch.randn(50, 6)
    r_i = chain(x)
    r_tilde = chain(x, pending=discs[2], pending_step=0.6)
    torch.testing.assert_close(r_tilde, 0.4 * r_i + 0.6 * discs[2].eval()(x), rtol=1e-5, atol=1e-5)


def test_snapshots_are_frozen_copies() -> None:
    d = _random_disc()
    chain = RewardChain(d, chain_length=3)
    chain.append(d, 1.0, eta=0.0)
    x = torch.randn(20, 6)
    before = chain(x)
    with torch.no_grad():
        for p in d.parameters():
            p.add_(1.0)
    torch.testing.assert_close(chain(x), before)


def test_window_without_approximator_drops_oldest() -> None:
    discs = [_random_disc(seed=k) for k in range(5)]
    chain = RewardChain(discs[0], chain_length=3)
    for d in discs:
        chain.append(d, 0.5, eta=0.0)
    assert len(chain) == 3 and chain.num_evicted == 2
    x = torch.randn(40, 6)
    torch.testing.assert_close(chain(x), _recursive(discs[2:], [0.5] * 3, x), rtol=1e-5, atol=1e-5)


def test_approximator_absorbs_evicted_history() -> None:
    discs = [_random_disc(seed=k) for k in range(4)]
    x = torch.randn(2048, 6)
    approx = ApproximatorCfg(hidden_dims=[64, 64], learning_rate=3e-3, num_steps=1500, batch_size=512)
    chain = RewardChain(discs[0], chain_length=2, approximator=approx)
    for d in discs:
        chain.append(d, 0.5, eta=0.0, data=x)
    assert chain.base_active and chain.num_evicted == 2
    full = _recursive(discs, [0.5] * 4, x)
    window_only = _recursive(discs[2:], [0.5] * 2, x)
    err_with = (chain(x) - full).pow(2).mean()
    err_without = (window_only - full).pow(2).mean()
    assert err_with < 0.2 * err_without, (err_with, err_without)


def test_chunked_eviction_keeps_the_fold() -> None:
    discs = [_random_disc(seed=k) for k in range(6)]
    x = torch.randn(2048, 6)
    approx = ApproximatorCfg(hidden_dims=[64, 64], learning_rate=3e-3, num_steps=1500, batch_size=512, evict_chunk=3)
    chain = RewardChain(discs[0], chain_length=4, approximator=approx)
    lengths = []
    for d in discs:
        chain.append(d, 0.4, eta=0.0, data=x)
        lengths.append(len(chain))
    assert lengths == [1, 2, 3, 4, 2, 3] and chain.num_evicted == 3  # the 5th append evicts 3 at once
    full = _recursive(discs, [0.4] * 6, x)
    window_only = _recursive(discs[3:], [0.4] * 3, x)
    assert (chain(x) - full).pow(2).mean() < 0.2 * (window_only - full).pow(2).mean()


def test_eviction_into_approximator_needs_data() -> None:
    chain = RewardChain(_random_disc(), chain_length=1, approximator=ApproximatorCfg(num_steps=5, evict_chunk=1))
    chain.append(_random_disc(1), 0.5, eta=0.0, data=torch.randn(10, 6))
    with pytest.raises(ValueError, match="needs feature data"):
        chain.append(_random_disc(2), 0.5, eta=0.0)


def test_learned_reward_save_load_roundtrip(tmp_path) -> None:
    discs = [_random_disc(seed=k) for k in range(3)]
    chain = RewardChain(
        discs[0], chain_length=2, approximator=ApproximatorCfg(hidden_dims=[8], num_steps=20, evict_chunk=1)
    )
    x = torch.randn(64, 6)
    for d in discs:
        chain.append(d, 0.3, eta=0.5, data=x)
    reward = LearnedReward(chain, "trirl", beta=10.0, metadata={"task": "unit"})
    path = str(tmp_path / "reward.pt")
    reward.save(path)
    loaded = LearnedReward.load(path)
    torch.testing.assert_close(loaded(x), reward(x))
    assert loaded.metadata == {"task": "unit"} and loaded.chain.etas == [0.5, 0.5]
    with pytest.raises(ValueError, match="reads 6 features"):
        loaded(torch.randn(3, 5))


def test_load_errors_name_the_problem(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        LearnedReward.load(str(tmp_path / "missing.pt"))
    bogus = tmp_path / "bogus.pt"
    torch.save({"hello": 1}, bogus)
    with pytest.raises(ValueError, match="not a trirl_isaac learned-reward file"):
        LearnedReward.load(str(bogus))


def test_failed_save_keeps_previous_file(tmp_path, monkeypatch) -> None:
    chain = RewardChain(_random_disc(), chain_length=2)
    chain.append(_random_disc(1), 0.5, eta=0.0)
    reward = LearnedReward(chain, "trirl", beta=1.0)
    path = str(tmp_path / "reward.pt")
    reward.save(path)
    original = open(path, "rb").read()

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        reward.save(path)
    assert open(path, "rb").read() == original


def test_baseline_transforms() -> None:
    d = torch.linspace(-3, 3, 13)
    torch.testing.assert_close(transform("gail", d), -torch.log(1 - torch.sigmoid(d)))
    torch.testing.assert_close(transform("amp", d), torch.clamp(1 - 0.25 * (d - 1) ** 2, min=0))
    assert torch.equal(transform("trirl", d), d) and torch.equal(transform("airl", d), d)


@pytest.mark.parametrize("approx", [None, ApproximatorCfg(hidden_dims=[8], num_steps=2, batch_size=32, evict_chunk=3)])
def test_stacked_buffer_follows_appends_evictions_and_loads(approx) -> None:
    discs = [_random_disc(seed=k) for k in range(11)]
    chain = RewardChain(discs[0], chain_length=4, approximator=approx)
    x = torch.randn(64, 6)
    window: list[Discriminator] = []
    for d in discs:
        chain.append(d, 0.5, eta=0.0, data=x)
        window = (window + [d])[-len(chain) :]
        expected = {k: torch.stack([s[k] for s in chain.snapshots]) for k in chain.snapshots[0]}
        stacked = chain._stack()
        assert stacked.keys() == expected.keys()
        for k in expected:
            assert torch.equal(stacked[k], expected[k]), k
        torch.testing.assert_close(chain.logits(x), torch.stack([w.eval()(x) for w in window]))
    assert chain.num_evicted == 11 - len(chain)
    clone = RewardChain(discs[0], chain_length=4, approximator=approx)
    clone.load_state_dict(chain.state_dict())
    torch.testing.assert_close(clone(x), chain(x))
    clone.append(discs[3], 0.2, eta=1.0, data=x)  # the rebuilt buffer keeps taking appends
    torch.testing.assert_close(clone.logits(x)[-1], discs[3].eval()(x))


def test_chunked_evaluation_equals_one_batch(monkeypatch) -> None:
    import trirl_isaac.algo.reward as reward_module

    discs = [_random_disc(seed=k) for k in range(5)]
    chain = RewardChain(discs[0], chain_length=10)
    for d in discs:
        chain.append(d, 0.3, eta=0.0)
    x = torch.randn(1000, 6)
    whole = chain.logits(x)
    monkeypatch.setattr(reward_module, "_CHUNK_ELEMENTS_CPU", 5 * 16 * 7)  # 7 rows per chunk: 143 chunks
    calls = []
    real_cat = torch.cat
    monkeypatch.setattr(torch, "cat", lambda parts, dim=0: calls.append(len(parts)) or real_cat(parts, dim=dim))
    chunked = chain.logits(x)
    assert calls == [143]
    torch.testing.assert_close(chunked, whole)


def test_distillation_is_skipped_only_when_the_history_weight_is_negligible() -> None:
    x = torch.randn(512, 6)
    approx = ApproximatorCfg(hidden_dims=[16], num_steps=20, batch_size=128, evict_chunk=2, skip_below=1e-5)
    discs = [_random_disc(seed=k) for k in range(24)]
    # eps_tr = 0.5: after the 21st append evicts 2, the 19 left weigh the history 0.5^19 = 1.9e-6 < skip_below
    fast = RewardChain(discs[0], chain_length=20, approximator=approx)
    for d in discs[:21]:
        fast.append(d, 0.5, eta=0.0, data=x)
    assert fast.num_evicted == 2 and fast.num_distilled == 0 and not fast.base_active
    assert fast.history_weight() == pytest.approx(0.5**19)
    full = _recursive(discs[:21], [0.5] * 21, x)
    assert (fast(x) - full).abs().max() < 1e-5 * (1 + full.abs().max())
    # a small step (large eta) keeps a long memory: the same eviction distils
    slow = RewardChain(discs[0], chain_length=20, approximator=approx)
    for d in discs[:21]:
        slow.append(d, 0.05, eta=9.0, data=x)
    assert slow.num_distilled == 1 and slow.base_active and slow.history_weight() > 0.3
    never = RewardChain(discs[0], chain_length=20, approximator=ApproximatorCfg(**{**vars(approx), "skip_below": 0.0}))
    for d in discs[:21]:
        never.append(d, 0.5, eta=0.0, data=x)
    assert never.num_distilled == 1 and never.base_active


def test_chain_length_zero_makes_the_approximator_the_reward() -> None:
    discs = [_random_disc(seed=k) for k in range(3)]
    x = torch.randn(2048, 6)
    approx = ApproximatorCfg(hidden_dims=[64, 64], learning_rate=3e-3, num_steps=1500, batch_size=512)
    chain = RewardChain(discs[0], chain_length=0, approximator=approx)
    for d in discs:
        chain.append(d, 0.5, eta=0.0, data=x)
        assert len(chain) == 0 and chain.base_active  # every D is distilled at once
    assert chain.num_distilled == 3 and chain.history_weight() == 1.0
    full = _recursive(discs, [0.5] * 3, x)
    assert (chain(x) - full).pow(2).mean() < 0.05 * full.var()
    # r~ = (1 - eps) A_i + eps D_i: the pending discriminator enters on top of the approximator
    pending = _random_disc(seed=9)
    expected = 0.5 * chain.base(x).squeeze(-1) + 0.5 * pending.eval()(x)
    torch.testing.assert_close(chain(x, pending=pending, pending_step=0.5), expected, rtol=1e-5, atol=1e-5)


def test_reservoir_is_uniform_over_iterations_bounded_and_saved() -> None:
    torch.manual_seed(0)
    approx = ApproximatorCfg(hidden_dims=[8], num_steps=1, batch_size=16, reservoir_size=400)
    chain = RewardChain(_random_disc(dim=2), chain_length=1, approximator=approx)
    for it in range(80):  # 80 iterations x 50 rows; column 0 holds the iteration
        rows = torch.stack([torch.full((50,), float(it)), torch.randn(50)], dim=1)
        chain._remember(rows)
    kept = chain.reservoir_rows()
    assert kept.shape == (400, 2) and chain.reservoir_seen == 4000
    counts = torch.bincount(kept[:, 0].long(), minlength=80).float()
    # uniform: 5 rows per iteration expected; the early iterations are not crowded out by the late ones
    assert counts[:40].sum().item() == pytest.approx(200, abs=45)
    assert counts.max() <= 16 and (counts > 0).sum() >= 70
    restored = RewardChain(_random_disc(dim=2), chain_length=1, approximator=approx)
    restored.load_state_dict(chain.state_dict())
    assert torch.equal(restored.reservoir_rows(), kept) and restored.reservoir_seen == 4000


def test_distillation_regresses_on_the_reservoir_too(monkeypatch) -> None:
    approx = ApproximatorCfg(hidden_dims=[8], num_steps=1, batch_size=16, reservoir_size=30, skip_below=0.0)
    chain = RewardChain(_random_disc(), chain_length=0, approximator=approx)
    sizes = []
    distill = chain._distill
    monkeypatch.setattr(chain, "_distill", lambda ev, data: (sizes.append(data.shape[0]), distill(ev, data)))
    for k in range(3):
        chain.append(_random_disc(seed=k), 0.5, 0.0, data=torch.randn(20, 6), remember=torch.randn(20, 6))
    assert sizes == [20, 40, 50]  # current rows plus the reservoir (empty, then 20, then full at 30)


def test_compaction_drops_only_negligible_history_and_bounds_the_change(tmp_path) -> None:
    discs = [_random_disc(seed=k) for k in range(12)]
    approx = ApproximatorCfg(hidden_dims=[8], num_steps=2, batch_size=16, evict_chunk=1, skip_below=0.0)
    chain = RewardChain(discs[0], chain_length=10, approximator=approx)
    x = torch.randn(300, 6)
    for d in discs:
        chain.append(d, 0.6, eta=0.0, data=x)
    assert chain.base_active and len(chain) == 10
    before = chain(x)
    path, out = str(tmp_path / "r.pt"), str(tmp_path / "small.pt")
    LearnedReward(chain, "trirl", 1.0).save(path)
    from trirl_isaac.algo.reward import compact_reward_file

    kept, dropped, weight = compact_reward_file(path, out, 1e-3)
    # weights 0.6 * 0.4^k (k = 0 newest .. 9) and 0.4^10 for the approximator: 1.0e-4 + 1.6e-4 + 3.9e-4 fit in
    # 1e-3, the next (9.8e-4) does not, so the approximator and the 2 oldest go
    assert (kept, dropped) == (8, 2) and weight == pytest.approx(0.4**10 + 0.6 * (0.4**9 + 0.4**8))
    small = LearnedReward.load(out)
    assert not small.chain.base_active and small.metadata["compacted"]["dropped"] == 2
    bound = weight * max(chain.logits(x).abs().max(), chain.base(x).abs().max())
    assert (small(x) - before).abs().max() <= bound + 1e-5
    torch.testing.assert_close(small(x), _recursive(discs[-8:], [0.6] * 8, x), rtol=1e-5, atol=1e-5)
    with pytest.raises(FileExistsError, match="nothing saved is overwritten"):
        compact_reward_file(path, out, 1e-3)
    assert RewardChain(discs[0], chain_length=3).compact(0.0) == (0, 0.0)
    with pytest.raises(ValueError, match="max_dropped_weight"):
        chain.compact(-1.0)


def test_softplus_approximator_head_fits_the_small_policy_side_values_with_relative_precision(tmp_path) -> None:
    """A softplus fold spans ~5 on expert rows and ~1e-3 on policy rows; a linear head's absolute error swamps the
    policy rows (their reward becomes noise), a softplus head regressed in pre-activation space does not."""
    from trirl_isaac.algo.config import ConfigError, TrirlCfg

    torch.manual_seed(1)
    disc = Discriminator(6, [32, 32], obs_normalization=False)
    expert, policy = torch.randn(1024, 6) * 0.5 + 1.0, torch.randn(1024, 6) * 0.5 - 1.0
    opt = torch.optim.Adam(disc.parameters(), lr=1e-2)
    for _ in range(300):  # separable clusters: the logits grow apart, as a saturated discriminator's do
        loss = F.binary_cross_entropy_with_logits(disc(expert), torch.ones(1024)) + F.binary_cross_entropy_with_logits(
            disc(policy), torch.zeros(1024)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    target = 0.5 * F.softplus(disc.eval()(policy)).detach()
    assert target.max() < 0.05 < 0.5 * F.softplus(disc(expert)).mean()
    errors = {}
    for output in ("linear", "softplus"):
        torch.manual_seed(0)
        approx = ApproximatorCfg(hidden_dims=[64, 64], num_steps=400, batch_size=512, skip_below=0.0, output=output)
        chain = RewardChain(disc, chain_length=0, approximator=approx, d_transform="softplus")
        chain.append(disc, 0.5, 0.0, data=torch.cat([expert, policy]))
        errors[output] = ((chain(policy) - target).abs() / target).median().item()
        if output == "softplus":
            assert (chain(torch.randn(500, 6) * 3) > 0).all()  # positive everywhere, like the fold it fits
            LearnedReward(chain, "trirl", 1.0).save(str(tmp_path / "r.pt"))
            loaded = LearnedReward.load(str(tmp_path / "r.pt"))
            assert loaded.chain.approx_cfg.output == "softplus"
            torch.testing.assert_close(loaded(policy), chain(policy))
    assert errors["softplus"] < 0.3 and errors["linear"] > 3 * errors["softplus"], errors
    with pytest.raises(ConfigError, match="approximator.output='softplus' fits a positive fold"):
        TrirlCfg.from_dict({"approximator": {"output": "softplus"}})
    with pytest.raises(ConfigError, match="approximator.output must be one of"):
        TrirlCfg.from_dict({"approximator": {"output": "exp"}, "d_transform": "softplus"})


def test_reward_average_is_the_mean_of_the_runs_rewards() -> None:
    from trirl_isaac.algo.reward import RewardAverage

    approx = ApproximatorCfg(hidden_dims=[64, 64], num_steps=400, batch_size=256, learning_rate=3e-3)
    avg = RewardAverage(_random_disc(), approx, "logit")
    data = torch.randn(512, 6)
    values = []
    for k in range(3):  # three iterations whose rewards are three different single discriminators
        reward = RewardChain(_random_disc(seed=k + 1), chain_length=1)
        reward.append(_random_disc(seed=k + 1), 1.0, 0.0)
        values.append(reward(data))
        avg.update(reward, data)
    mean = torch.stack(values).mean(0)
    assert avg.count == 3
    err = (avg.chain(data) - mean).pow(2).mean()
    assert err < 0.05 * mean.var(), (err, mean.var())  # the mean, not the last reward nor the first
    assert (avg.chain(data) - values[-1]).pow(2).mean() > 4 * err
    restored = RewardAverage(_random_disc(), approx, "logit")
    restored.load_state_dict(avg.state_dict())
    torch.testing.assert_close(restored.chain(data), avg.chain(data))
    with pytest.raises(ValueError, match="no discriminator snapshot"):
        avg.update(RewardChain(_random_disc(), chain_length=1), data)


def test_regression_rows_add_perturbed_copies_and_the_absorbing_row_at_their_shares() -> None:
    torch.manual_seed(0)
    data = torch.randn(300, 6) * torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0, 0.1]) + 5.0
    absorbing = torch.full((1, 6), -9.0)
    off = ApproximatorCfg(absorbing_share=0.0)
    assert regression_rows(data, absorbing, off) is data  # the option off: the rows as given, no random draws
    cfg = ApproximatorCfg(perturbed_share=0.5, perturb_std=2.0, absorbing_share=0.1)
    rows = regression_rows(data, absorbing, cfg)
    perturbed, tail = rows[300:-75], rows[-75:]
    assert rows.shape[0] == 300 + 375 + 75  # 375 / 750 = 0.5 and 75 / 750 = 0.1 of the result
    assert torch.equal(rows[:300], data) and (tail == absorbing).all()
    nearest = torch.cdist(perturbed / data.std(0), data / data.std(0)).min(1).values
    assert (nearest > 0.0).all() and nearest.max() < 2.0 * 4.0 * 6**0.5  # within the scale's reach
    spread = (perturbed - data.mean(0)).std(0) / data.std(0)  # each feature widened in its own units
    assert (spread > 1.1).all() and (spread < 2.0).all(), spread


def test_perturbed_rows_hold_the_fold_off_the_data_where_the_approximator_would_extrapolate() -> None:
    """The approximator is regressed on the rollout's and the expert's rows; elsewhere it extrapolates. With
    perturbed rows in every distillation it holds the fold's own value in a band around the data."""
    discs = []
    for k in range(5):  # steep, curved logits: values off the data that a regression cannot guess from the data
        torch.manual_seed(k)
        d = Discriminator(6, [32, 32], obs_normalization=False)
        with torch.no_grad():
            for p in d.parameters():
                p.mul_(3.0)
        discs.append(d)
    torch.manual_seed(1)
    x = 0.3 * torch.randn(1024, 6)  # the data: a tight cloud; the probe points lie 3-6 data deviations out
    probe = torch.randn(512, 6) * 0.3 * (3.0 + 3.0 * torch.rand(512, 1))
    full = _recursive(discs, [0.5] * 5, probe)
    errors = {}
    for share in (0.0, 0.5):
        approx = ApproximatorCfg(hidden_dims=[64, 64], learning_rate=3e-3, num_steps=800, batch_size=512)
        approx.perturbed_share, approx.perturb_std = share, 8.0
        chain = RewardChain(discs[0], chain_length=1, approximator=approx)
        torch.manual_seed(2)
        for d in discs:
            chain.append(d, 0.5, eta=0.0, data=regression_rows(x, None, approx))
        errors[share] = (chain(probe) - full).pow(2).mean().item()
    assert errors[0.5] < 0.2 * errors[0.0], errors


def test_folding_a_discriminator_into_a_saved_reward_is_one_more_fold_step(tmp_path) -> None:
    """``folded``: (1 - step) r + step D on any input, for an averaged reward (approximator only) and a chain; the
    original is untouched, the result survives a file, a discriminator of another shape is refused."""
    discs = [_random_disc(seed=k) for k in range(3)]
    x = torch.randn(500, 6)
    approx = ApproximatorCfg(hidden_dims=[16], num_steps=5, batch_size=64)
    averaged = RewardChain(discs[0], chain_length=0, approximator=approx)
    averaged.append(discs[0], 0.5, eta=0.0, data=x)
    chain = RewardChain(discs[0], chain_length=2)
    for d, s in zip(discs, [0.5, 0.3, 0.2]):
        chain.append(d, s, eta=0.0)
    extra = _random_disc(seed=7)
    for base in (averaged, chain):
        reward = LearnedReward(base, "trirl", 10.0, {"disc_input": "state_next_state"})
        before = reward(x).clone()
        repaired = reward.folded(extra, 0.3, {"round": 1})
        torch.testing.assert_close(repaired(x), 0.7 * before + 0.3 * extra.eval()(x), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(reward(x), before)  # the original reward is not changed
        assert len(repaired.chain) == len(reward.chain) + 1 and repaired.metadata["folded"] == [
            {"step": 0.3, "round": 1}
        ]
        twice = repaired.folded(extra, 0.5)
        assert [f["step"] for f in twice.metadata["folded"]] == [0.3, 0.5] and "folded" not in reward.metadata
        path = tmp_path / f"r{len(reward.chain)}.pt"
        twice.save(str(path))
        torch.testing.assert_close(LearnedReward.load(str(path))(x), twice(x))
    with pytest.raises(ValueError, match="architecture is not the reward's"):
        reward.folded(Discriminator(6, [8], obs_normalization=True), 0.3)
    with pytest.raises(ValueError, match=r"fold step must lie in \(0, 1\]"):
        reward.folded(extra, 0.0)
    with pytest.raises(ValueError, match="only a TRIRL reward"):
        LearnedReward(chain, "gail", 1.0).folded(extra, 0.3)
