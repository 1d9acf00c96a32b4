"""End-to-end: TRIRL learns the point-mass task from expert (s, s') pairs alone (never sees the true reward)."""

from trirl_isaac.envs.train_point_mass import train_point_mass


def test_trirl_reaches_expert_level_on_point_mass() -> None:
    result = train_point_mass(iterations=60, seed=1)
    print(
        f"normalised return {result['normalised_return']:.3f} "
        f"(policy {result['return_policy']:.2f}, expert {result['return_expert']:.2f}, "
        f"random {result['return_random']:.2f}) in {result['wall_s']:.1f} s, {result['env_steps']} env steps"
    )
    assert result["normalised_return"] >= 0.8
    history = result["runner"].history
    assert len(history) == 60
    assert all(0 < h["eps_tr"] <= 0.5 for h in history)
