"""One training epoch of :func:`~hepcourse.train.fit`: batches, forward and backward passes,
optimiser and schedule steps, the loss sum, the NaN guard and the clock.

:class:`Trainer` holds what stays fixed during a run (the data on the device, the loss,
the processes, the precision, the network the batches go through); the
:class:`~hepcourse.train.state.TrainingState` it updates holds what changes.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import torch

from .data import Arrays
from .losses import accumulator_dtype, reduce
from .precision import Precision
from .state import TrainingState


@dataclass
class EpochResult:
    """train_loss: mean training loss of the epoch; samples: training rows seen; seconds:
    wall-clock time of the training part; out_of_time: ``max_time`` ran out; complete:
    every batch of the epoch was done."""

    train_loss: float
    samples: int
    seconds: float
    out_of_time: bool
    complete: bool


@dataclass
class Trainer:
    """The fixed parts of a run. ``net`` is what the batches go through (the model, maybe
    wrapped in DistributedDataParallel and compiled), ``eager`` the same without
    ``torch.compile`` (the fallback when compiling fails)."""

    net: torch.nn.Module
    eager: torch.nn.Module
    train: Arrays
    loss_fn: object
    ctx: object
    precision: Precision
    augment: object = None
    max_time: float | None = None
    start_time: float = 0.0
    total_steps: int = 1
    time_progress: bool = False  # the per-batch schedule also follows the clock
    compile_pending: bool = False

    @property
    def device(self) -> torch.device:
        return self.train.X.device

    @property
    def check_every(self) -> int:
        """Batches between NaN checks: every batch on one CPU (free), else every 32 (each
        check waits for the device or the other processes)."""
        return 1 if self.device.type == "cpu" and not self.ctx.enabled else 32

    def backward(self, module, xb, yb, wb, gidx) -> torch.Tensor:
        """Forward and backward pass of one batch; returns this process's part of the
        batch loss (the batch loss itself with one process)."""
        with self.precision.autocast():
            out = module(xb)
        if out.dtype in (torch.float16, torch.bfloat16):
            out = out.float()
        per = self.loss_fn(out, yb)
        ctx = self.ctx
        if not ctx.enabled:
            part = value = reduce(per, wb)
        else:  # Σ_shard w·ℓ / Σ_batch w: the shards' parts add up to the batch loss
            norm = gidx.shape[0] if wb is None else self.train.w[gidx].sum().clamp_min(1e-12)
            part = (per.sum() if wb is None else (per * wb).sum()) / norm
            value = part * ctx.world_size  # DDP averages the gradients over the processes
        if self.precision.scaler is not None:
            self.precision.scaler.scale(value).backward()
        else:
            value.backward()
        return part.detach()

    def step(self, state: TrainingState, batch) -> torch.Tensor:
        """One optimiser step on ``batch`` = (xb, yb, wb, gidx); returns the loss part."""
        state.optimizer.zero_grad(set_to_none=True)
        if self.compile_pending:
            part = self._first_compiled_step(state, batch)
        else:
            part = self.backward(self.net, *batch)
        scaler = self.precision.scaler
        if scaler is not None:
            scaler.step(state.optimizer)
            scaler.update()
        else:
            state.optimizer.step()
        state.step += 1
        return part

    def _first_compiled_step(self, state: TrainingState, batch) -> torch.Tensor:
        """The first batch through the compiled model, where compilation happens. If it
        fails, the batch is redone eagerly; when that works, compile is noted as unavailable."""
        self.compile_pending = False
        try:
            part = self.backward(self.net, *batch)
            state.history.compiled = True
            return part
        except Exception as err:  # noqa: BLE001 - dynamo/inductor raise many kinds
            state.optimizer.zero_grad(set_to_none=True)
            part = self.backward(self.eager, *batch)  # a genuine error in the model raises here again
            self.net = self.eager
            text = str(err).strip()
            reason = f"{type(err).__name__}: {text.splitlines()[0][:300] if text else ''}"
            message = f"torch.compile failed, training eagerly instead ({reason})"
            state.history.notes.append(message)
            warnings.warn(message, RuntimeWarning, stacklevel=6)  # at the fit() call
            return part

    def elapsed(self) -> float:
        """Seconds since the run started (the largest of all processes: one clock for all,
        so that they agree on the learning rate and on the last batch)."""
        seconds = time.perf_counter() - self.start_time
        if self.ctx.enabled:
            clock = torch.tensor(seconds, dtype=accumulator_dtype(self.device), device=self.device)
            seconds = float(self.ctx.all_max(clock))
        return seconds

    def first_bad_batch(self, first_bad: torch.Tensor) -> int:
        """The first batch (1-based) whose loss was not finite on any process, or -1."""
        if not self.ctx.enabled:
            return int(first_bad)
        big = 1 << 40
        code = torch.where(first_bad >= 0, big - first_bad, torch.zeros_like(first_bad))
        code = int(self.ctx.all_max(code))
        return big - code if code > 0 else -1

    def epoch(self, state: TrainingState, epoch: int) -> EpochResult:
        """Train one epoch (number ``epoch``, 1-based) and return its :class:`EpochResult`.

        Raises FloatingPointError naming the epoch and the first batch whose loss was NaN
        or infinite."""
        t0 = time.perf_counter()
        dev, ctx, tr = self.device, self.ctx, self.train
        state.model.train()
        running = torch.zeros((), dtype=accumulator_dtype(dev), device=dev)  # Σ batch loss · rows
        first_bad = torch.full((), -1, dtype=torch.int64, device=dev)
        seen, out_of_time, complete = 0, False, True
        batches = state.sampler.epoch(dev)
        for b, gidx in enumerate(batches, start=1):
            idx = ctx.shard(gidx)
            xb, yb = tr.X[idx], tr.y[idx]
            wb = None if tr.w is None else tr.w[idx]
            if self.augment is not None:
                xb = self.augment(xb, state.augment_generator)
            part = self.step(state, (xb, yb, wb, gidx))
            elapsed = None if self.max_time is None else self.elapsed()
            progress = state.step / self.total_steps
            if self.time_progress:
                progress = max(progress, elapsed / self.max_time)
            state.schedule.set(progress)
            running += part.to(running.dtype) * gidx.shape[0]
            seen += gidx.shape[0]
            first_bad = torch.where(~torch.isfinite(part) & (first_bad < 0), b, first_bad)
            if b % self.check_every == 0 or b == len(batches):
                bad = self.first_bad_batch(first_bad)
                if bad >= 0:
                    raise FloatingPointError(
                        f"the training loss became {float(part)} in epoch {epoch}, batch {bad} of "
                        f"{len(batches)} (lr {state.optimizer.param_groups[0]['lr']:.3g}); check "
                        "the inputs for NaN/inf, lower the learning rate or scale the features")
            if self.max_time is not None and elapsed > self.max_time:
                out_of_time, complete = True, b == len(batches)
                break
        seconds = time.perf_counter() - t0
        train_loss = float(ctx.all_sum(running)) / max(seen, 1)
        return EpochResult(train_loss, seen, seconds, out_of_time, complete)
