"""``fit``, ``evaluate`` and ``predict``: the training loop every chapter uses.

One epoch = a seeded permutation of the in-memory training rows, cut into batches; each
batch is gathered by one index operation, passed through the model, and the optimiser
(AdamW) and the learning-rate schedule take one step. After each epoch the validation
loss decides early stopping and the best checkpoint. Chapter 3 writes this loop out in
full once; afterwards the notebooks call :func:`fit`.

The same loop runs on a GPU and across processes (chapter 8): the device
(:func:`~hepcourse.train.devices.device`), the data's placement (moved once, in
:func:`_prepare`), mixed precision (:mod:`~hepcourse.train.precision`, an autocast context
around the forward pass), ``torch.compile``, data parallelism over processes started by
torchrun (:mod:`~hepcourse.train.distributed`: DistributedDataParallel, each process a
shard of every batch) and the resumable training state (:mod:`~hepcourse.train.resume`).

The pieces: :mod:`~hepcourse.train.losses` (loss functions, shapes, sums),
:mod:`~hepcourse.train.epoch` (one epoch), :mod:`~hepcourse.train.state` (what changes
during a run, saved and restored) and this module (checking the arguments, setting up,
the epochs, the end of the run).
"""
from __future__ import annotations

import logging
import math
import sys
import time

import numpy as np
import torch

from .. import config as hconfig
from .. import validate
from .data import (Arrays, IndexSampler, _tensor, apply_class_weights, as_arrays, class_weights,
                   describe_class_weight, fingerprint)
from .distributed import setup as setup_distributed
from .epoch import EpochResult, Trainer
from .history import History
from .losses import LOSSES, accumulator_dtype, describe, loss_function, reduce
from .precision import resolve as resolve_precision
from .resume import forked_rng, model_fingerprint
from .schedule import Schedule, default_lr
from .settings import COMPILE_MODES, Settings
from .state import TrainingState, save

log = logging.getLogger(__name__)
_loss_function = loss_function  # the old names, kept for notebooks and tests
_reduce = reduce
__all__ = ["COMPILE_MODES", "EVAL_BATCH", "LOSSES", "evaluate", "fit", "predict"]

EVAL_BATCH = 65536


def _forward(model, xb):
    """The forward pass (the place for an autocast context in mixed precision)."""
    return model(xb)


def _prepare(train, val, target, class_weight, dev, fingerprints: bool):
    """The training and validation Arrays on ``dev`` (class weights applied) and, when
    asked, the fingerprints of the data as given (for the resumable state)."""
    tr = as_arrays(train, "train", target)
    va = None if val is None else as_arrays(val, "val", target)
    if va is not None and va.X.shape[1:] != tr.X.shape[1:]:
        raise ValueError(f"val X has shape {tuple(va.X.shape)}, train X {tuple(tr.X.shape)}: "
                         "the feature dimensions must agree")
    prints = (None, None)
    if fingerprints:
        prints = (fingerprint(tr), None if va is None else fingerprint(va))
    weights = class_weights(tr.y, class_weight)
    tr = apply_class_weights(tr, weights)
    va = None if va is None else apply_class_weights(va, weights)
    return tr.to(dev), (None if va is None else va.to(dev)), prints


@torch.no_grad()
def evaluate(model, data, loss_fn, batch_size: int = EVAL_BATCH, *, precision=None,
             context=None) -> float:
    """Mean (weighted) loss of ``model`` on ``data`` in eval mode (a Python float).

    data: :class:`~hepcourse.train.data.Arrays`, or ``(X, y)``/``(X, y, w)`` as for
    :func:`fit` (moved to the model's device). loss_fn: a per-sample loss
    ``f(output, y) -> [N]`` (see :func:`~hepcourse.train.losses.loss_function`) or a loss as
    ``fit`` takes it ("bce", "ce", a torch loss module). batch_size: rows per forward pass.
    precision: a :class:`~hepcourse.train.precision.Precision` whose autocast wraps the
    forward pass (None: float32). context: a :class:`~hepcourse.train.distributed.Context`;
    with several processes each evaluates its share of the rows and the sums are added up,
    so every process gets the loss over all of ``data``. The sums are kept in
    :func:`~hepcourse.train.losses.accumulator_dtype` (float64 on CPUs and CUDA GPUs).
    """
    batch_size = validate.count(batch_size, "batch_size")
    target = "any"
    if isinstance(loss_fn, (str, torch.nn.Module)):
        loss_fn, target = loss_function(loss_fn)
    if not isinstance(data, Arrays):
        data = as_arrays(data, "data", target).to(_model_device(model))
    was_training = model.training
    model.eval()
    dev = data.X.device
    sums = torch.zeros(2, dtype=accumulator_dtype(dev), device=dev)  # Σ w·ℓ, Σ w
    lo, hi = 0, len(data)
    if context is not None and context.enabled:
        size, extra = divmod(len(data), context.world_size)
        lo = context.rank * size + min(context.rank, extra)
        hi = lo + size + (1 if context.rank < extra else 0)
    try:
        for start in range(lo, hi, batch_size):
            sl = slice(start, min(start + batch_size, hi))
            if precision is None:
                out = _forward(model, data.X[sl])
            else:
                with precision.autocast():
                    out = _forward(model, data.X[sl])
                if out.dtype in (torch.float16, torch.bfloat16):
                    out = out.float()
            per = loss_fn(out, data.y[sl]).to(sums.dtype)
            if data.w is None:
                sums[0] += per.sum()
                sums[1] += per.shape[0]
            else:
                w = data.w[sl].to(sums.dtype)
                sums[0] += (per * w).sum()
                sums[1] += w.sum()
    finally:
        model.train(was_training)
    if context is not None:
        context.all_sum(sums)
    total, norm = sums.tolist()
    return total / max(norm, 1e-12)


def _model_device(model) -> torch.device:
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def _progress_bar(total: int, enabled: bool, initial: int = 0):
    if not enabled:
        return None
    try:
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    live = sys.stderr.isatty() or "ipykernel" in sys.modules  # else a log: a line a minute, and the last
    return tqdm(total=total, initial=initial, unit="epoch", desc="fit", leave=True,
                dynamic_ncols=True, mininterval=0.1 if live else 60)


def _rank_seed(seed: int, rank: int, stream: int) -> int:
    """Seed of random stream ``stream`` on process ``rank``: rank 0 keeps the plain seeds
    (a one-process run is unchanged), other ranks get independent ones."""
    if rank == 0:
        return seed + stream
    return int(np.random.SeedSequence([int(seed), int(rank), int(stream)]).generate_state(1)[0])


def fit(model: torch.nn.Module, train, val=None, *, loss="bce", epochs: int = 20,
        batch_size: int = 4096, lr: float | None = None, weight_decay: float = 0.0,
        schedule: str | None = "onecycle", patience: int | None = 5, checkpoint=None,
        class_weight=None, augment=None, seed: int = 0, device="auto", progress: bool = True,
        max_time: float | None = None, amp=False, compile=False, state=None, resume=None,
        distributed="auto") -> History:
    """Train ``model`` in place and return its :class:`History`.

    train, val: ``(X, y)`` or ``(X, y, w)``; X float32 [N, ...] (numpy, pandas or torch),
        y float {0, 1} [N] for ``loss="bce"`` or int64 class indices [N] for ``loss="ce"``,
        w per-sample weights [N]. All of it is moved to the device once and stays there.
    loss: "bce" (BCEWithLogits; the model returns logits [N] or [N, 1]), "ce"
        (CrossEntropy; logits [N, C]), a torch loss module (e.g. ``nn.MSELoss()`` for a
        regression: outputs [N] or [N, 1], targets [N]) or a function
        ``f(output, y) -> Tensor [N]`` of per-sample losses. Outputs [N, 1] are matched to
        labels [N]; other shapes that do not fit are a ValueError naming both (see
        :func:`~hepcourse.train.losses.match_shapes`). With weights the loss is the
        weighted mean Σ w·ℓ / Σ w.
    epochs, batch_size: passes over the data and samples per step (default 4096). With
        several processes ``batch_size`` is the GLOBAL batch: each of the ``world_size``
        processes takes its share of every batch (4096 / 2 = 2048 each for two).
    lr: peak learning rate of AdamW; None takes :func:`~hepcourse.train.schedule.default_lr`
        = 1e-3·√(batch_size/32) (square-root scaling for Adam, 1.1e-2 at 4096).
    weight_decay: AdamW's decoupled weight decay (≥ 0).
    schedule: "onecycle" (30% warm-up from lr/25 to lr, then cosine annealing; per batch),
        "cosine" (5% linear warm-up, then cosine to 0; per batch), "plateau" (×0.1 when the
        validation loss stops improving; per epoch) or None (constant). The per-batch
        schedules follow the larger of the fraction of steps done and, with ``max_time``,
        the fraction of the time budget used, so a run cut by the clock ends annealed
        (with ``state``, the steps only, so that a resumed run is the same run).
    patience: stop after this many epochs without a lower validation loss (None: never);
        the weights of the best epoch are restored into ``model`` at the end.
    checkpoint: path where the best ``state_dict`` is saved (atomically) whenever it
        improves; load it with ``model.load_state_dict(torch.load(path, weights_only=True))``.
    class_weight: None, "balanced" (N / (C·n_c) per class, fitted on train) or
        ``{label: weight}``; multiplies the per-sample weights of train and val.
    augment: ``augment(xb, generator) -> xb``, applied to every training batch.
    seed: seeds the batch order, dropout and ``augment``'s generator (the global torch RNG
        is restored afterwards). The model's initial weights are yours to seed.
    device: "auto" (CUDA, then MPS, then CPU), "cpu", "cuda", ... (see
        :func:`~hepcourse.train.devices`). The model is moved there and stays there. Under
        torchrun, "auto" means the GPU ``cuda:LOCAL_RANK`` of each process.
    progress: show a tqdm bar (one tick per epoch, with losses and throughput), unless
        ``HEPCOURSE_PROGRESS=0`` turns progress bars off.
    max_time: wall-clock budget in seconds; when it runs out the current epoch is cut
        short, validated and the run ends (``history.stop_reason == "max_time"``).
    amp: mixed precision. False (float32), True or "auto" (bfloat16 where the device has
        it: CUDA from Ampere on, CPUs; else float16 with a gradient scaler), "bf16" or
        "fp16". Weights and optimiser stay float32 (see :mod:`hepcourse.train.precision`).
    compile: True (or a mode: "reduce-overhead", "max-autotune", ...) trains through
        ``torch.compile(model)``. The first batches pay the compilation; if compiling fails
        (no C++ compiler, an unsupported model) ``fit`` trains eagerly and says why in
        ``history.notes``.
    state: path of the resumable training state, written after every completed epoch
        (see :mod:`hepcourse.train.resume`).
    resume: True (continue from ``state`` when that file exists, else start afresh: the
        same command works for the first run and after a requeue), the path of a state
        to continue from, or None/False (start afresh). The data (fingerprinted), the model
        architecture and the settings (batch, epochs, lr, schedule, patience, seed, loss,
        class_weight, precision) must be those of the saved run, else a
        :class:`~hepcourse.train.resume.StateError` names what changed; so does a damaged
        state file. ``epochs`` is the total, not the number still to do. (``augment`` is
        not compared: a function has no reliable fingerprint.)
    distributed: "auto" (data-parallel with DistributedDataParallel when started by
        torchrun with several processes; see :mod:`hepcourse.train.distributed`), False
        (each process trains alone) or True (require torchrun). Only rank 0 shows progress
        and writes ``checkpoint`` and ``state``; every process returns the same History
        and ends with the same weights.

    Raises FloatingPointError naming the epoch and batch when the loss becomes NaN or inf,
    TypeError/ValueError naming the argument for bad arguments.
    """
    start_time = time.perf_counter()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, not {type(model).__name__}")
    o = Settings.checked(
        loss=loss, epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
        schedule=schedule, patience=patience, checkpoint=checkpoint, class_weight=class_weight,
        augment=augment, seed=seed, progress=progress, max_time=max_time, amp=amp,
        compile=compile, state=state, resume=resume)
    loss_fn, target = loss_function(loss)
    ctx = setup_distributed(device, distributed)  # under torchrun: joins the process group
    return _fit(model, train, val, ctx, o, loss_fn, target, start_time)


def _new_state(model, tr: Arrays, ctx, precision, o: Settings, lr: float, config: dict):
    dev = ctx.device
    sampler = IndexSampler(len(tr), o.batch_size, o.seed)
    fused = {"fused": True} if dev.type == "cuda" else {}  # one kernel for the whole update
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=o.weight_decay, **fused)
    schedule = Schedule(o.schedule, optimizer, lr, o.patience)
    generator = None
    if o.augment is not None:
        generator = torch.Generator(device=dev).manual_seed(_rank_seed(o.seed, ctx.rank, 1))
    history = History(device=str(dev), precision=precision.name, world_size=ctx.world_size)
    return TrainingState(model, optimizer, schedule, precision, sampler, generator, history,
                         config=config)


def _network(model, ctx, compile) -> tuple[torch.nn.Module, torch.nn.Module]:
    """(what the batches go through, the same without torch.compile)."""
    net = model
    if ctx.enabled:  # gradients averaged over the processes after every backward pass
        from torch.nn.parallel import DistributedDataParallel

        dev = ctx.device
        net = DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None)
    eager = net
    if compile:
        net = torch.compile(net, mode=None if compile is True or compile == "default" else compile)
    return net, eager


def _fit(model, train, val, ctx, o: Settings, loss_fn, target, start_time) -> History:
    dev = ctx.device
    precision = resolve_precision(o.amp, dev)
    resume_path = o.resume_path()
    tr, va, prints = _prepare(train, val, target, o.class_weight, dev,
                              fingerprints=o.state is not None or resume_path is not None)
    model.to(dev)
    lr = default_lr(o.batch_size) if o.lr is None else o.lr
    config = {"n_train": len(tr), "batch_size": o.batch_size, "epochs": o.epochs, "lr": lr,
              "schedule": o.schedule, "weight_decay": o.weight_decay, "seed": o.seed,
              "loss": describe(o.loss), "patience": o.patience,
              "class_weight": describe_class_weight(o.class_weight), "precision": precision.name,
              "model": model_fingerprint(model), "train_data": prints[0], "val_data": prints[1]}
    state = _new_state(model, tr, ctx, precision, o, lr, config)
    if resume_path is not None:
        state.restore(resume_path, ctx, dev)
        log.info("resuming %s after epoch %d of %d", resume_path, state.epoch, o.epochs)
    net, eager = _network(model, ctx, o.compile)
    trainer = Trainer(net, eager, tr, loss_fn, ctx, precision, augment=o.augment,
                      max_time=o.max_time, start_time=start_time,
                      total_steps=o.epochs * len(state.sampler),
                      time_progress=o.max_time is not None and o.state is None,
                      compile_pending=bool(o.compile))
    bar = _progress_bar(o.epochs, o.progress and ctx.is_main and hconfig.progress(),
                        initial=state.epoch)
    was_training = model.training
    try:
        with forked_rng(dev):
            torch.manual_seed(_rank_seed(o.seed, ctx.rank, 0))
            state.restore_rng(ctx, dev)
            for epoch in range(state.epoch + 1, o.epochs + 1):
                if state.finished:
                    break
                t0 = time.perf_counter()
                result = trainer.epoch(state, epoch)
                if _end_epoch(state, trainer, result, va, epoch, o, bar, start_time, t0):
                    break
    finally:
        if bar is not None:
            bar.close()
        model.train(was_training)
        del net, eager, trainer
    return _finish(state, o, ctx, start_time)


def _end_epoch(state: TrainingState, trainer: Trainer, result: EpochResult, va, epoch: int,
               o: Settings, bar, start_time: float, t0: float) -> bool:
    """Validation, history, best weights, progress bar, stopping rules and the state file
    after an epoch; returns True when the run ends here."""
    ctx, history = trainer.ctx, state.history
    val_loss = None if va is None else evaluate(state.model, va, trainer.loss_fn,
                                                precision=trainer.precision, context=ctx)
    state.schedule.after_epoch(result.train_loss if val_loss is None else val_loss)
    lr = state.optimizer.param_groups[0]["lr"]
    rate = result.samples / result.seconds if result.seconds > 0 else math.nan
    history.epochs.append({"epoch": epoch, "train_loss": result.train_loss, "val_loss": val_loss,
                           "lr": lr, "seconds": time.perf_counter() - t0, "samples_per_s": rate})
    if val_loss is not None and not math.isfinite(val_loss):
        raise FloatingPointError(f"the validation loss became {val_loss} after epoch {epoch}; "
                                 "check the validation inputs for NaN/inf")
    if state.record(epoch, val_loss) and o.checkpoint is not None and ctx.is_main:
        save(state.best, o.checkpoint)
    if bar is not None:
        bar.set_postfix(train=f"{result.train_loss:.4f}",
                        val="-" if val_loss is None else f"{val_loss:.4f}", lr=f"{lr:.2g}",
                        rate=f"{rate:,.0f}/s")
        bar.update(1)
    if result.out_of_time:
        history.stop_reason = "max_time"
    elif o.patience is not None and va is not None and state.stale >= o.patience:
        history.stopped_early, history.stop_reason = True, "early stopping"
    state.finished = result.complete and (history.stopped_early or epoch == o.epochs)
    if result.complete:
        state.epoch = epoch
        if o.state is not None:
            history.seconds = state.prior_seconds + time.perf_counter() - start_time
            state.save(o.state, ctx, trainer.device)
    return result.out_of_time or history.stopped_early


def _finish(state: TrainingState, o: Settings, ctx, start_time: float) -> History:
    """The best weights back into the model (or, without validation data, the last ones
    into ``checkpoint``), and the run's total time."""
    model, history = state.model, state.history
    if state.best is not None:
        model.load_state_dict(state.best)
    else:  # no validation data: keep the last weights
        history.best_epoch = history.epochs[-1]["epoch"] if history.epochs else None
        if o.checkpoint is not None and ctx.is_main:
            save({k: v.detach().clone() for k, v in model.state_dict().items()}, o.checkpoint)
    history.seconds = state.prior_seconds + time.perf_counter() - start_time
    return history


@torch.no_grad()
def predict(model: torch.nn.Module, X, batch_size: int = EVAL_BATCH) -> np.ndarray:
    """Class probabilities of ``model`` for X (float32 [N, ...]), in eval mode.

    Returns numpy float32: sigmoid probabilities [N] when the model has one output (or
    returns [N]), softmax probabilities [N, C] for C > 1 outputs. Runs on the model's
    device in batches of ``batch_size`` rows (a whole number ≥ 1); the model's train/eval
    mode is restored.
    """
    batch_size = validate.count(batch_size, "batch_size")
    X = _tensor(X, "X").to(torch.float32)
    if X.ndim < 1:
        raise ValueError(f"X must have shape [N, ...]; got a scalar {tuple(X.shape)}")
    dev = _model_device(model)
    was_training = model.training
    model.eval()
    outputs = []
    try:
        for start in range(0, X.shape[0], batch_size):
            out = _forward(model, X[start:start + batch_size].to(dev))
            if out.ndim == 1 or (out.ndim == 2 and out.shape[1] == 1):
                out = torch.sigmoid(out.reshape(-1))
            else:
                out = torch.softmax(out, dim=1)
            outputs.append(out.float().cpu())
    finally:
        model.train(was_training)
    if not outputs:
        return np.zeros((0,), np.float32)
    return torch.cat(outputs).numpy()
