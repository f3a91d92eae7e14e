"""Learning rates: the default for a batch size, and the schedules :func:`fit` offers.

The default learning rate follows the square-root scaling rule for Adam (Malladi et al.,
"On the SDEs and Scaling Rules for Adaptive Gradient Algorithms", NeurIPS 2022): when the
batch grows by a factor k the learning rate grows by √k, starting from Adam's usual
1e-3 at batch 32:

    lr = 1e-3 · √(batch_size / 32),  at most 2e-2

which gives 1.1e-2 at batch 4096. Large learning rates are only safe after a warm-up: the
"onecycle" and "cosine" schedules start low and ramp up, then anneal towards zero.

The per-batch schedules are functions of the *progress* of the run, a number from 0 to 1:
the fraction of the planned steps done or, when ``fit`` has a ``max_time`` budget, the
fraction of the time used, whichever is larger. A run cut short by the clock therefore
still ends with an annealed learning rate.
"""
from __future__ import annotations

import math

import torch

from .. import validate

SCHEDULES = ("onecycle", "cosine", "plateau", None)
ONECYCLE_WARMUP = 0.3  # fraction of the run spent warming up
ONECYCLE_START = 1 / 25  # the warm-up starts at lr/25 ...
ONECYCLE_END = 1 / 25 / 1e4  # ... and the annealing ends at lr/25/1e4 (as torch's OneCycleLR)
COSINE_WARMUP = 0.05


def default_lr(batch_size: int) -> float:
    """Adam learning rate for ``batch_size`` (a whole number ≥ 1): 1e-3 · √(batch_size/32),
    capped at 2e-2."""
    batch_size = validate.count(batch_size, "batch_size")
    return min(1e-3 * math.sqrt(batch_size / 32.0), 2e-2)


def _cos_ramp(start: float, end: float, x: float) -> float:
    """From start (x = 0) to end (x = 1) along half a cosine."""
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * min(max(x, 0.0), 1.0)))


def onecycle(progress: float) -> float:
    """Learning-rate factor of the one-cycle schedule (Smith 2018) at ``progress`` in [0, 1]:
    cosine warm-up from 1/25 to 1 over the first 30%, then cosine annealing to 1/25/1e4."""
    if progress < ONECYCLE_WARMUP:
        return _cos_ramp(ONECYCLE_START, 1.0, progress / ONECYCLE_WARMUP)
    return _cos_ramp(1.0, ONECYCLE_END, (progress - ONECYCLE_WARMUP) / (1 - ONECYCLE_WARMUP))


def cosine(progress: float) -> float:
    """Factor of the cosine schedule: linear warm-up over the first 5%, then cosine to 0."""
    if progress < COSINE_WARMUP:
        return max(progress / COSINE_WARMUP, 1e-3)
    return _cos_ramp(1.0, 0.0, (progress - COSINE_WARMUP) / (1 - COSINE_WARMUP))


class Schedule:
    """Sets the optimiser's learning rate: per batch from the run's progress ("onecycle",
    "cosine"), per epoch from the validation loss ("plateau"), or never (None)."""

    def __init__(self, name, optimizer, lr: float, patience: int | None):
        if name not in SCHEDULES:
            raise ValueError(f"schedule={name!r}: use one of {SCHEDULES}")
        self.name, self.optimizer, self.lr = name, optimizer, validate.positive(lr, "lr")
        self.factor = {"onecycle": onecycle, "cosine": cosine}.get(name)
        self.plateau = None
        if name == "plateau":
            wait = 2 if patience is None else max(1, patience // 2)
            self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="min", factor=0.1, patience=wait)
        self.set(0.0)

    def set(self, progress: float) -> None:
        """Set the learning rate for ``progress`` (0: start of the run, 1: its end)."""
        if self.factor is not None:
            for group in self.optimizer.param_groups:
                group["lr"] = self.lr * self.factor(progress)

    def after_epoch(self, monitored: float) -> None:
        if self.plateau is not None:
            self.plateau.step(monitored)
