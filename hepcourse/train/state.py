""":class:`TrainingState`: what changes while :func:`~hepcourse.train.fit` trains, and how
it is written to and read back from the resumable state file of
:mod:`hepcourse.train.resume`."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..files import atomic_write
from .data import IndexSampler
from .history import History
from .precision import Precision
from .resume import FORMAT, check_config, load_state, restore_rng, rng_snapshot
from .schedule import Schedule

CPU = torch.device("cpu")


def save(payload, path) -> None:
    """``torch.save`` through :func:`hepcourse.files.atomic_write`: a reader never sees a
    half-written file, and the file gets the permissions of the umask (e.g. 0644)."""
    with atomic_write(Path(path)) as tmp:
        torch.save(payload, tmp)


def _on(state: dict | None, dev: torch.device) -> dict | None:
    return None if state is None else {k: v.detach().to(dev) for k, v in state.items()}


@dataclass
class TrainingState:
    """The model, optimiser, learning-rate schedule, grad scaler, batch-order and
    augmentation generators, counters (completed ``epoch``, optimiser ``step``), early-
    stopping bookkeeping (``best`` weights, ``best_loss``, ``stale`` epochs) and the
    :class:`History` of one run. ``config`` is the dict of settings and fingerprints that
    a resumed run must share (see :data:`~hepcourse.train.resume.CONFIG_KEYS`)."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    schedule: Schedule
    precision: Precision
    sampler: IndexSampler
    augment_generator: torch.Generator | None
    history: History
    config: dict = field(default_factory=dict)
    epoch: int = 0
    step: int = 0
    finished: bool = False
    best: dict | None = None
    best_loss: float = math.inf
    stale: int = 0
    prior_seconds: float = 0.0
    rng: list | None = None  # the saved global generators of each process, after restore()

    def record(self, epoch: int, val_loss: float | None) -> bool:
        """Early-stopping bookkeeping after ``epoch``: True when ``val_loss`` is a new best
        (its weights are copied into ``best``); without validation data nothing changes."""
        if val_loss is None:
            return False
        if val_loss < self.best_loss:
            self.best_loss, self.stale = val_loss, 0
            self.best = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            self.history.best_epoch, self.history.best_val_loss = epoch, val_loss
            return True
        self.stale += 1
        return False

    def payload(self, ctx, dev: torch.device) -> dict | None:
        """The dict written to the state file, on rank 0 (None on the other ranks). Every
        process must call it: the generator states of all processes are gathered."""
        rng = ctx.gather(rng_snapshot(dev))
        gen = self.augment_generator
        augment = None if gen is None else ctx.gather(gen.get_state())
        if not ctx.is_main:
            return None
        h = self.history
        return {
            "format": FORMAT, "epoch": self.epoch, "step": self.step, "finished": self.finished,
            "config": dict(self.config),
            "model": _on(self.model.state_dict(), CPU),
            "optimizer": self.optimizer.state_dict(),
            "schedule": None if self.schedule.plateau is None else self.schedule.plateau.state_dict(),
            "scaler": None if self.precision.scaler is None else self.precision.scaler.state_dict(),
            "sampler": self.sampler.generator.get_state(),
            "augment": augment,
            "rng": [{"cpu": r["cpu"].to(CPU), "device_type": r["device_type"],
                     "device": None if r["device"] is None else r["device"].to(CPU)} for r in rng],
            "best": _on(self.best, CPU), "best_loss": self.best_loss, "stale": self.stale,
            "history": {"epochs": [dict(e) for e in h.epochs], "best_epoch": h.best_epoch,
                        "best_val_loss": h.best_val_loss, "stopped_early": h.stopped_early,
                        "stop_reason": h.stop_reason, "seconds": h.seconds},
        }

    def save(self, path, ctx, dev: torch.device) -> None:
        """Write the state file (rank 0; the other ranks take part in the gathering)."""
        payload = self.payload(ctx, dev)
        if payload is not None:
            save(payload, path)

    def restore(self, path, ctx, dev: torch.device) -> None:
        """Continue the run saved at ``path``: check that its data and settings are those
        of this run (:class:`~hepcourse.train.resume.StateError` naming the differences),
        then load everything but the global generators (see :meth:`restore_rng`)."""
        saved = load_state(path)
        check_config(saved, self.config, path)
        self.model.load_state_dict(saved["model"])
        self.optimizer.load_state_dict(saved["optimizer"])
        if saved["schedule"] is not None and self.schedule.plateau is not None:
            self.schedule.plateau.load_state_dict(saved["schedule"])
        if saved["scaler"] is not None and self.precision.scaler is not None:
            self.precision.scaler.load_state_dict(saved["scaler"])
        self.sampler.generator.set_state(saved["sampler"])
        self.rng = list(saved["rng"])
        gen = self.augment_generator
        if gen is not None and saved["augment"] is not None and len(self.rng) == ctx.world_size:
            gen.set_state(saved["augment"][ctx.rank])
        self.step, self.epoch = int(saved["step"]), int(saved["epoch"])
        self.finished = bool(saved["finished"])
        self.best, self.best_loss = _on(saved["best"], dev), float(saved["best_loss"])
        self.stale = int(saved["stale"])
        h, history = saved["history"], self.history
        history.epochs = [dict(e) for e in h["epochs"]]
        history.best_epoch, history.best_val_loss = h["best_epoch"], h["best_val_loss"]
        history.stopped_early = h["stopped_early"]
        history.stop_reason = h["stop_reason"] if self.finished else "completed"
        self.prior_seconds, history.resumed_from = float(h["seconds"]), self.epoch

    def restore_rng(self, ctx, dev: torch.device) -> None:
        """Set this process's global generators (dropout) to those of the saved run; with
        another number of processes, or on another kind of device, say in the notes that
        the random draws differ from the uninterrupted run."""
        if self.rng is None:
            return
        if len(self.rng) != ctx.world_size:
            self.history.notes.append(f"resumed with {ctx.world_size} processes instead of "
                                      f"{len(self.rng)}: dropout/augmentation draws differ")
        elif not restore_rng(self.rng[ctx.rank], dev):
            self.history.notes.append(f"resumed on {dev.type} from a state saved on "
                                      f"{self.rng[ctx.rank].get('device_type')}: dropout draws differ")
