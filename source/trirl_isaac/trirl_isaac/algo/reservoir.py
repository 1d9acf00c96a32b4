"""A bounded uniform sample of every row ever offered (Vitter's reservoir sampling, algorithm R, vectorised)."""

from __future__ import annotations

import torch


class Reservoir:
    """Keeps at most ``size`` rows; after n rows were offered each is held with probability size / n, so every
    past iteration (offering equally many rows) holds an equal share on average."""

    def __init__(self, size: int) -> None:
        if int(size) != size or size < 1:
            raise ValueError(f"a reservoir needs a size >= 1, got {size}")
        self.size = int(size)
        self.buffer: torch.Tensor | None = None
        self.seen = 0

    @torch.no_grad()
    def add(self, rows: torch.Tensor) -> None:
        """Offer rows (N, F)."""
        rows = rows.detach()
        if self.buffer is None:
            with torch.inference_mode(False):
                self.buffer = torch.zeros(self.size, rows.shape[1], device=rows.device)
        elif rows.shape[1] != self.buffer.shape[1]:
            raise ValueError(f"reservoir rows have {self.buffer.shape[1]} features, offered {rows.shape[1]}")
        index = self.seen + torch.arange(rows.shape[0], device=rows.device)
        fill = index < self.size
        self.buffer[index[fill]] = rows[fill]
        slot = (torch.rand(rows.shape[0], device=rows.device) * (index + 1).float()).long()
        keep = ~fill & (slot < self.size)
        self.buffer[slot[keep]] = rows[keep]
        self.seen += rows.shape[0]

    def rows(self) -> torch.Tensor | None:
        """The filled part (None while empty)."""
        if self.buffer is None or self.seen == 0:
            return None
        return self.buffer[: min(self.seen, self.size)]

    def sample(self, n: int) -> torch.Tensor:
        """n rows drawn uniformly with replacement from the filled part."""
        kept = self.rows()
        if kept is None:
            raise ValueError("cannot sample from an empty reservoir")
        return kept[torch.randint(kept.shape[0], (n,), device=kept.device)]

    def state_dict(self) -> dict:
        """The kept rows and the count of rows offered."""
        return {"buffer": self.buffer, "seen": self.seen, "size": self.size}

    def load_state_dict(self, state: dict) -> None:
        """Restore from :meth:`state_dict` (a reservoir of another size is a named error)."""
        if int(state["size"]) != self.size:
            raise ValueError(f"a saved reservoir of size {state['size']} cannot load into one of size {self.size}")
        self.buffer = state["buffer"]
        self.seen = int(state["seen"])
