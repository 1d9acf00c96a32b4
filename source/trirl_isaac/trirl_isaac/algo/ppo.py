"""rsl_rl's PPO with a lower bound on the policy's entropy: the re-optimiser of a frozen learned reward.

Max-entropy IRL assumes the learned reward is re-optimised by a max-ent learner. Plain PPO with no entropy bonus
lets the policy's std shrink as fast as the reward's local shape asks, which on a reward with a plateau between
standing and walking can end exploration before walking is found. :class:`EntropyFloorPPO` is rsl_rl's ``PPO``
unchanged, except that after each update the actor's state-independent std parameter is lifted onto an entropy
bound per action dimension (constant, or falling linearly from ``entropy_floor_start``), the same lift TRIRL's
``trust_region.entropy_floor`` applies to its own policy. Name it in an rsl_rl config as
``class_name="trirl_isaac.algo.ppo:EntropyFloorPPO"``.
"""

from __future__ import annotations

from typing import Any

from rsl_rl.algorithms import PPO

from trirl_isaac.algo.config import ConfigError, check_entropy_floor
from trirl_isaac.algo.trust_region import has_std_parameter, lift_std_to_entropy, scheduled_entropy_floor

ENTROPY_FLOOR_KEYS = ("entropy_floor", "entropy_floor_start", "entropy_floor_iterations")
"""The settings :class:`EntropyFloorPPO` adds to rsl_rl's PPO."""


class EntropyFloorPPO(PPO):
    """rsl_rl PPO whose policy entropy per action dimension never falls below a (scheduled) bound, in nats.

    Reference: std 1 -> 1.419, 0.5 -> 0.726, 0.3 -> 0.215, 0.2 -> -0.19 nats per dimension. The schedule's position
    is saved in checkpoints, so a resumed run continues it."""

    def __init__(
        self,
        actor,
        critic,
        storage,
        entropy_floor: float | None = None,
        entropy_floor_start: float | None = None,
        entropy_floor_iterations: int = 1000,
        **ppo_kwargs: Any,
    ) -> None:
        check_entropy_floor("algorithm.", entropy_floor, entropy_floor_start, entropy_floor_iterations)
        if entropy_floor is None:
            raise ConfigError("algorithm.entropy_floor is required by EntropyFloorPPO (use class PPO for no bound)")
        if not has_std_parameter(actor.distribution):
            raise ConfigError(
                "algorithm.entropy_floor lifts a state-independent std parameter (rsl_rl's GaussianDistribution); "
                f"this actor's {type(actor.distribution).__name__} has none"
            )
        super().__init__(actor, critic, storage, **ppo_kwargs)
        self.entropy_floor = float(entropy_floor)
        self.entropy_floor_start = None if entropy_floor_start is None else float(entropy_floor_start)
        self.entropy_floor_iterations = int(entropy_floor_iterations)
        self.floor_iteration = 0
        """Updates done so far: the position in the bound's schedule."""

    def current_floor(self) -> float:
        """The bound the next update ends on."""
        return scheduled_entropy_floor(
            self.entropy_floor, self.entropy_floor_start, self.entropy_floor_iterations, self.floor_iteration
        )

    def update(self) -> dict[str, float]:
        """PPO's update, then the std lifted onto this iteration's bound (both logged with the losses)."""
        losses = super().update()
        floor = self.current_floor()
        losses["entropy_floor"] = floor
        losses["entropy_floor_lift"] = lift_std_to_entropy(self.actor.distribution, floor)
        self.floor_iteration += 1
        return losses

    def save(self) -> dict:
        """PPO's checkpoint plus the schedule's position."""
        saved = super().save()
        saved["entropy_floor_iteration"] = self.floor_iteration
        return saved

    def load(self, loaded_dict: dict, load_cfg: dict | None, strict: bool) -> bool:
        """PPO's load, and the schedule continues where the checkpoint left it (0 for a plain PPO checkpoint)."""
        resumed = super().load(loaded_dict, load_cfg, strict)
        self.floor_iteration = int(loaded_dict.get("entropy_floor_iteration", 0))
        return resumed
