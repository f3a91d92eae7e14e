"""The record of a training run returned by :func:`hepcourse.train.fit`."""
from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class History:
    """What happened during :func:`~hepcourse.train.fit`, one dict per epoch.

    ``epochs``: list of dicts with keys ``epoch`` (1-based), ``train_loss`` (mean training
    loss of the epoch), ``val_loss`` (None without validation data), ``lr`` (learning rate
    at the end of the epoch), ``seconds`` (wall-clock time of the epoch, validation
    included) and ``samples_per_s`` (training samples per second, validation excluded).
    ``best_epoch``/``best_val_loss``: the epoch whose weights were restored (the lowest
    validation loss; without validation data, the last epoch and None).
    ``stopped_early``: True when early stopping ended the run; ``stop_reason`` says why the
    run ended ("completed", "early stopping", "max_time").
    How it ran: ``device`` (e.g. "cpu", "cuda:0"), ``precision`` ("fp32", "bf16", "fp16"),
    ``compiled`` (True when torch.compile was used), ``world_size`` (processes training
    together), ``resumed_from`` (the completed epoch a resumed run started from, else None)
    and ``notes`` (things worth knowing, e.g. why compile fell back to eager mode).
    """

    epochs: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    best_val_loss: float | None = None
    stopped_early: bool = False
    stop_reason: str = "completed"
    seconds: float = 0.0
    device: str = "cpu"
    precision: str = "fp32"
    compiled: bool = False
    world_size: int = 1
    resumed_from: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_frame(self):
        """The epochs as a pandas DataFrame indexed by epoch."""
        import pandas as pd

        columns = ["epoch", "train_loss", "val_loss", "lr", "seconds", "samples_per_s"]
        frame = pd.DataFrame(self.epochs, columns=columns)
        return frame.set_index("epoch")

    @property
    def train_loss(self) -> list[float]:
        return [e["train_loss"] for e in self.epochs]

    @property
    def val_loss(self) -> list[float | None]:
        return [e["val_loss"] for e in self.epochs]

    @property
    def samples_per_s(self) -> float:
        """Mean training throughput over all epochs (samples per second)."""
        rates = [e["samples_per_s"] for e in self.epochs if e["samples_per_s"]]
        return sum(rates) / len(rates) if rates else math.nan

    def __len__(self) -> int:
        return len(self.epochs)

    def __repr__(self) -> str:
        best = (f"best epoch {self.best_epoch} (val loss {self.best_val_loss:.4f})"
                if self.best_val_loss is not None else f"last epoch {self.best_epoch}")
        return (f"History({len(self.epochs)} epochs, {best}, {self.stop_reason}, "
                f"{self.samples_per_s:,.0f} samples/s, {self.seconds:.1f} s)")
