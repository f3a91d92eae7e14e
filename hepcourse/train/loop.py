"""``fit`` and ``predict``: the training loop every chapter uses.

One epoch = a seeded permutation of the in-memory training rows, cut into batches; each
batch is gathered by one index operation, passed through the model, and the optimiser
(AdamW) and the learning-rate schedule take one step. After each epoch the validation
loss decides early stopping and the best checkpoint. Chapter 2 writes this loop out in
full once; afterwards the notebooks call :func:`fit`.

The same loop runs on a GPU and across processes (chapter 5): the device
(:func:`~hepcourse.train.devices.device`), the data's placement (moved once, in
:func:`_prepare`), mixed precision (:mod:`~hepcourse.train.precision`, an autocast context
around the forward pass), ``torch.compile``, data parallelism over processes started by
torchrun (:mod:`~hepcourse.train.distributed`: DistributedDataParallel, each process a
shard of every batch) and the resumable training state (:mod:`~hepcourse.train.resume`).
"""
from __future__ import annotations

import math
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .data import Arrays, IndexSampler, _tensor, apply_class_weights, as_arrays, class_weights
from .distributed import setup as setup_distributed
from .history import History
from .precision import resolve as resolve_precision
from .resume import FORMAT as RESUME_FORMAT
from .resume import check_config, load_state, restore_rng, rng_snapshot
from .schedule import Schedule, default_lr

LOSSES = ("bce", "ce")
EVAL_BATCH = 65536


def _loss_function(loss):
    """Per-sample loss ``f(output, y) -> Tensor [N]`` and the label type it needs."""
    if loss == "bce":
        def bce(out, y):
            if out.ndim == 2 and out.shape[1] == 1:
                out = out[:, 0]
            if out.shape != y.shape:
                raise ValueError(f"loss='bce' needs model outputs of shape [N] or [N, 1]; "
                                 f"got {tuple(out.shape)} for {y.shape[0]} samples")
            return F.binary_cross_entropy_with_logits(out, y, reduction="none")
        return bce, "float"
    if loss == "ce":
        def ce(out, y):
            if out.ndim != 2:
                raise ValueError(f"loss='ce' needs logits of shape [N, C]; got {tuple(out.shape)}")
            return F.cross_entropy(out, y, reduction="none")
        return ce, "long"
    if isinstance(loss, torch.nn.Module):
        if not hasattr(loss, "reduction"):
            raise ValueError(f"loss={loss!r}: a loss module needs a 'reduction' attribute "
                             "(torch.nn losses have one)")
        module = loss

        def custom(out, y):
            saved = module.reduction
            module.reduction = "none"
            try:
                value = module(out, y)
            finally:
                module.reduction = saved
            return value.reshape(value.shape[0], -1).mean(dim=1) if value.ndim > 1 else value
        return custom, "any"
    raise ValueError(f"loss={loss!r}: use 'bce', 'ce' or a torch loss module (e.g. nn.MSELoss())")


def _reduce(per_sample: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
    """Weighted mean of per-sample losses: Σ w·ℓ / Σ w (plain mean without weights)."""
    if w is None:
        return per_sample.mean()
    return (per_sample * w).sum() / w.sum().clamp_min(1e-12)


def _forward(model, xb):
    """The forward pass (the place for an autocast context in mixed precision)."""
    return model(xb)


def _prepare(train, val, target, class_weight, dev):
    tr = as_arrays(train, "train", target)
    va = None if val is None else as_arrays(val, "val", target)
    weights = class_weights(tr.y, class_weight)
    tr = apply_class_weights(tr, weights)
    if va is not None:
        va = apply_class_weights(va, weights)
        if va.X.shape[1:] != tr.X.shape[1:]:
            raise ValueError(f"val X has shape {tuple(va.X.shape)}, train X {tuple(tr.X.shape)}: "
                             "the feature dimensions must agree")
    return tr.to(dev), (None if va is None else va.to(dev))


@torch.no_grad()
def evaluate(model, data: Arrays, loss_fn, batch_size: int = EVAL_BATCH, *, precision=None,
             context=None) -> float:
    """Mean (weighted) loss of ``model`` on ``data`` in eval mode.

    precision: a :class:`~hepcourse.train.precision.Precision` whose autocast wraps the
    forward pass (None: float32). context: a :class:`~hepcourse.train.distributed.Context`;
    with several processes each evaluates its share of the rows and the sums are added up,
    so every process gets the loss over all of ``data``.
    """
    was_training = model.training
    model.eval()
    dev = data.X.device
    sums = torch.zeros(2, dtype=torch.float64, device=dev)  # Σ w·ℓ, Σ w
    lo, hi = 0, len(data)
    if context is not None and context.enabled:
        size, extra = divmod(len(data), context.world_size)
        lo = context.rank * size + min(context.rank, extra)
        hi = lo + size + (1 if context.rank < extra else 0)
    for start in range(lo, hi, batch_size):
        sl = slice(start, min(start + batch_size, hi))
        if precision is None:
            out = _forward(model, data.X[sl])
        else:
            with precision.autocast():
                out = _forward(model, data.X[sl])
            if out.dtype in (torch.float16, torch.bfloat16):
                out = out.float()
        per = loss_fn(out, data.y[sl]).to(torch.float64)
        if data.w is None:
            sums[0] += per.sum()
            sums[1] += per.shape[0]
        else:
            w = data.w[sl].to(torch.float64)
            sums[0] += (per * w).sum()
            sums[1] += w.sum()
    if context is not None:
        context.all_sum(sums)
    model.train(was_training)
    total, norm = sums.tolist()
    return total / max(norm, 1e-12)


def _save(state: dict, path: Path) -> None:
    """torch.save to a temporary file in the same folder, then rename (atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _progress_bar(total: int, enabled: bool, initial: int = 0):
    if not enabled:
        return None
    try:
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm(total=total, initial=initial, unit="epoch", desc="fit", leave=True,
                dynamic_ncols=True)


def _rng_devices(dev: torch.device) -> list:
    return [dev] if dev.type == "cuda" else []


COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def _rank_seed(seed: int, rank: int, stream: int) -> int:
    """Seed of random stream ``stream`` on process ``rank``: rank 0 keeps the plain seeds
    (a one-process run is unchanged), other ranks get independent ones."""
    if rank == 0:
        return seed + stream
    return int(np.random.SeedSequence([int(seed), int(rank), int(stream)]).generate_state(1)[0])


def _loss_name(loss) -> str:
    return loss if isinstance(loss, str) else type(loss).__name__


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
        (CrossEntropy; logits [N, C]) or a torch loss module. With weights the loss is the
        weighted mean Σ w·ℓ / Σ w.
    epochs, batch_size: passes over the data and samples per step (default 4096). With
        several processes ``batch_size`` is the GLOBAL batch: each of the ``world_size``
        processes takes its share of every batch (4096 / 2 = 2048 each for two).
    lr: peak learning rate of AdamW; None takes :func:`~hepcourse.train.schedule.default_lr`
        = 1e-3·√(batch_size/32) (square-root scaling for Adam, 1.1e-2 at 4096).
    weight_decay: AdamW's decoupled weight decay.
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
    progress: show a tqdm bar (one tick per epoch, with losses and throughput).
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
        same command works for the first run and after a requeue) or the path of a state
        to continue from. The settings (data size, batch, epochs, lr, schedule, seed, loss)
        must be those of the saved run; ``epochs`` is the total, not the number still to do.
    distributed: "auto" (data-parallel with DistributedDataParallel when started by
        torchrun with several processes; see :mod:`hepcourse.train.distributed`), False
        (each process trains alone) or True (require torchrun). Only rank 0 shows progress
        and writes ``checkpoint`` and ``state``; every process returns the same History
        and ends with the same weights.

    Raises FloatingPointError naming the epoch and batch when the loss becomes NaN or inf.
    """
    start_time = time.perf_counter()
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs={epochs!r} must be a positive integer")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} must be a positive integer")
    if patience is not None and (int(patience) != patience or patience < 1):
        raise ValueError(f"patience={patience!r} must be a positive integer or None")
    if max_time is not None and not max_time > 0:
        raise ValueError(f"max_time={max_time!r} must be a positive number of seconds or None")
    if augment is not None and not callable(augment):
        raise ValueError("augment must be a callable augment(xb, generator) -> xb")
    if not (compile is None or isinstance(compile, bool) or compile in COMPILE_MODES):
        raise ValueError(f"compile={compile!r}: use False, True or one of {COMPILE_MODES}")
    if resume is True and state is None:
        raise ValueError("resume=True continues from the file given as state=...; pass "
                         "state=path (or resume=path)")
    epochs, batch_size = int(epochs), int(batch_size)
    loss_fn, target = _loss_function(loss)
    ctx = setup_distributed(device, distributed)  # under torchrun: joins the process group
    return _fit(model, train, val, ctx, loss=loss, loss_fn=loss_fn, target=target,
                epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                schedule=schedule, patience=patience, checkpoint=checkpoint,
                class_weight=class_weight, augment=augment, seed=seed, progress=progress,
                max_time=max_time, amp=amp, compile=compile, state=state, resume=resume,
                start_time=start_time)


def _fit(model, train, val, ctx, *, loss, loss_fn, target, epochs, batch_size, lr,
         weight_decay, schedule, patience, checkpoint, class_weight, augment, seed, progress,
         max_time, amp, compile, state, resume, start_time) -> History:
    dev = ctx.device
    precision = resolve_precision(amp, dev)
    tr, va = _prepare(train, val, target, class_weight, dev)
    model.to(dev)
    lr = default_lr(batch_size) if lr is None else float(lr)
    if not lr > 0:
        raise ValueError(f"lr={lr!r} must be positive")

    sampler = IndexSampler(len(tr), batch_size, seed)
    fused = {"fused": True} if dev.type == "cuda" else {}  # one kernel for the whole update
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, **fused)
    sched = Schedule(schedule, optimizer, lr, patience)
    total_steps, step = epochs * len(sampler), 0
    aug_gen = None
    if augment is not None:
        aug_gen = torch.Generator(device=dev).manual_seed(_rank_seed(seed, ctx.rank, 1))

    history = History(device=str(dev), precision=precision.name, world_size=ctx.world_size)
    best_state, best_loss, stale = None, math.inf, 0
    config = {"n_train": len(tr), "batch_size": batch_size, "epochs": epochs, "lr": lr,
              "schedule": schedule, "weight_decay": float(weight_decay), "seed": int(seed),
              "loss": _loss_name(loss)}
    saved, start_epoch, finished, prior_seconds = None, 0, False, 0.0
    resume_path = state if resume is True else resume
    if resume_path is not None and (resume is not True or Path(resume_path).is_file()):
        saved = load_state(resume_path)
        check_config(saved, config, resume_path)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        if saved["schedule"] is not None and sched.plateau is not None:
            sched.plateau.load_state_dict(saved["schedule"])
        if saved["scaler"] is not None and precision.scaler is not None:
            precision.scaler.load_state_dict(saved["scaler"])
        sampler.generator.set_state(saved["sampler"])
        if aug_gen is not None and saved["augment"] is not None and len(saved["rng"]) == ctx.world_size:
            aug_gen.set_state(saved["augment"][ctx.rank])
        step, start_epoch, finished = int(saved["step"]), int(saved["epoch"]), bool(saved["finished"])
        best_state, best_loss, stale = saved["best"], float(saved["best_loss"]), int(saved["stale"])
        if best_state is not None:
            best_state = {k: v.to(dev) for k, v in best_state.items()}
        h = saved["history"]
        history.epochs = [dict(e) for e in h["epochs"]]
        history.best_epoch, history.best_val_loss = h["best_epoch"], h["best_val_loss"]
        history.stopped_early = h["stopped_early"]
        history.stop_reason = h["stop_reason"] if finished else "completed"
        prior_seconds, history.resumed_from = float(h["seconds"]), start_epoch

    net = model
    if ctx.enabled:  # gradients averaged over the processes after every backward pass
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None)
    eager = net
    if compile:
        mode = None if compile is True or compile == "default" else compile
        net = torch.compile(net, mode=mode)
    compile_pending = bool(compile)

    bar = _progress_bar(epochs, progress and ctx.is_main, initial=start_epoch)
    was_training = model.training
    # check the loss every batch on the CPU (free); on accelerators and with several
    # processes every 32 batches (each check waits), still naming the first bad batch.
    check_every = 1 if dev.type == "cpu" and not ctx.enabled else 32
    time_progress = max_time is not None and state is None

    def backward(module, xb, yb, wb, gidx):
        """Forward and backward pass of one batch; returns this process's part of the
        batch loss (the batch loss itself with one process)."""
        with precision.autocast():
            out = module(xb)
        if out.dtype in (torch.float16, torch.bfloat16):
            out = out.float()
        per = loss_fn(out, yb)
        if not ctx.enabled:
            part = value = _reduce(per, wb)
        else:  # Σ_shard w·ℓ / Σ_batch w: the shards' parts add up to the batch loss
            norm = gidx.shape[0] if wb is None else tr.w[gidx].sum().clamp_min(1e-12)
            part = (per.sum() if wb is None else (per * wb).sum()) / norm
            value = part * ctx.world_size  # DDP averages the gradients over the processes
        if precision.scaler is not None:
            precision.scaler.scale(value).backward()
        else:
            value.backward()
        return part.detach()

    try:
        with torch.random.fork_rng(devices=_rng_devices(dev)):
            torch.manual_seed(_rank_seed(seed, ctx.rank, 0))
            if saved is not None and len(saved["rng"]) == ctx.world_size:
                restore_rng(saved["rng"][ctx.rank], dev)
            elif saved is not None:
                history.notes.append(f"resumed with {ctx.world_size} processes instead of "
                                     f"{len(saved['rng'])}: dropout/augmentation draws differ")
            for epoch in range(start_epoch + 1, epochs + 1):
                if finished:
                    break
                t0 = time.perf_counter()
                model.train()
                running = torch.zeros((), dtype=torch.float64, device=dev)
                first_bad = torch.full((), -1, dtype=torch.int64, device=dev)
                seen, out_of_time, complete = 0, False, True
                batches = sampler.epoch(dev)
                for b, gidx in enumerate(batches, start=1):
                    idx = ctx.shard(gidx)
                    xb, yb = tr.X[idx], tr.y[idx]
                    wb = None if tr.w is None else tr.w[idx]
                    if augment is not None:
                        xb = augment(xb, aug_gen)
                    optimizer.zero_grad(set_to_none=True)
                    if compile_pending:
                        part = _first_compiled_step(backward, net, eager, optimizer, history,
                                                    (xb, yb, wb, gidx))
                        compile_pending = False
                        if not history.compiled:
                            net = eager
                    else:
                        part = backward(net, xb, yb, wb, gidx)
                    if precision.scaler is not None:
                        precision.scaler.step(optimizer)
                        precision.scaler.update()
                    else:
                        optimizer.step()
                    step += 1
                    elapsed = None
                    if max_time is not None:
                        elapsed = time.perf_counter() - start_time
                        if ctx.enabled:  # one clock for all: the same lr and the same last batch
                            elapsed = float(ctx.all_max(
                                torch.tensor(elapsed, dtype=torch.float64, device=dev)))
                    progress_now = step / total_steps
                    if time_progress:
                        progress_now = max(progress_now, elapsed / max_time)
                    sched.set(progress_now)
                    running += part.to(torch.float64) * gidx.shape[0]
                    seen += gidx.shape[0]
                    finite = torch.isfinite(part)
                    first_bad = torch.where(~finite & (first_bad < 0), b, first_bad)
                    if b % check_every == 0 or b == len(batches):
                        bad = _first_bad_batch(first_bad, ctx)
                        if bad >= 0:
                            raise FloatingPointError(
                                f"the training loss became {float(part)} in epoch {epoch}, "
                                f"batch {bad} of {len(batches)} (lr {optimizer.param_groups[0]['lr']:.3g}); "
                                "check the inputs for NaN/inf, lower the learning rate or scale the features")
                    if max_time is not None and elapsed > max_time:
                        out_of_time, complete = True, b == len(batches)
                        break
                train_seconds = time.perf_counter() - t0
                train_loss = float(ctx.all_sum(running)) / max(seen, 1)
                val_loss = None if va is None else evaluate(model, va, loss_fn,
                                                            precision=precision, context=ctx)
                monitored = train_loss if val_loss is None else val_loss
                sched.after_epoch(monitored)
                history.epochs.append({
                    "epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                    "lr": optimizer.param_groups[0]["lr"],
                    "seconds": time.perf_counter() - t0,
                    "samples_per_s": seen / train_seconds if train_seconds > 0 else math.nan,
                })
                if val_loss is not None and not math.isfinite(val_loss):
                    raise FloatingPointError(
                        f"the validation loss became {val_loss} after epoch {epoch}; "
                        "check the validation inputs for NaN/inf")
                improved = va is not None and val_loss < best_loss
                if improved:
                    best_loss, stale = val_loss, 0
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    history.best_epoch, history.best_val_loss = epoch, val_loss
                    if checkpoint is not None and ctx.is_main:
                        _save(best_state, checkpoint)
                elif va is not None:
                    stale += 1
                if bar is not None:
                    bar.set_postfix(train=f"{train_loss:.4f}",
                                    val="-" if val_loss is None else f"{val_loss:.4f}",
                                    lr=f"{optimizer.param_groups[0]['lr']:.2g}",
                                    rate=f"{history.epochs[-1]['samples_per_s']:,.0f}/s")
                    bar.update(1)
                if out_of_time:
                    history.stop_reason = "max_time"
                elif patience is not None and va is not None and stale >= patience:
                    history.stopped_early, history.stop_reason = True, "early stopping"
                finished = complete and (history.stopped_early or epoch == epochs)
                if state is not None and complete:
                    history.seconds = prior_seconds + time.perf_counter() - start_time
                    _save_state(state, ctx, dev, config=config, epoch=epoch, step=step,
                                finished=finished, model=model, optimizer=optimizer,
                                sched=sched, precision=precision, sampler=sampler,
                                aug_gen=aug_gen, best_state=best_state, best_loss=best_loss,
                                stale=stale, history=history)
                if out_of_time or history.stopped_early:
                    break
    finally:
        if bar is not None:
            bar.close()
        model.train(was_training)
        del net, eager
    if best_state is not None:
        model.load_state_dict(best_state)
    else:  # no validation data: keep the last weights
        history.best_epoch = history.epochs[-1]["epoch"] if history.epochs else None
        if checkpoint is not None and ctx.is_main:
            _save({k: v.detach().clone() for k, v in model.state_dict().items()}, checkpoint)
    history.seconds = prior_seconds + time.perf_counter() - start_time
    return history


def _first_compiled_step(backward, net, eager, optimizer, history, batch):
    """The first batch through the compiled model, where compilation happens. If it fails,
    the batch is redone eagerly; when that works, compile is noted as unavailable."""
    try:
        part = backward(net, *batch)
        history.compiled = True
        return part
    except Exception as err:  # noqa: BLE001 - dynamo/inductor raise many kinds
        optimizer.zero_grad(set_to_none=True)
        part = backward(eager, *batch)  # a genuine error in the model raises here again
        reason = f"{type(err).__name__}: {str(err).strip().splitlines()[0][:300] if str(err).strip() else ''}"
        message = f"torch.compile failed, training eagerly instead ({reason})"
        history.notes.append(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        return part


def _first_bad_batch(first_bad: torch.Tensor, ctx) -> int:
    """The first batch (1-based) whose loss was not finite on any process, or -1."""
    if not ctx.enabled:
        return int(first_bad)
    big = 1 << 40
    code = torch.where(first_bad >= 0, big - first_bad, torch.zeros_like(first_bad))
    code = int(ctx.all_max(code))
    return big - code if code > 0 else -1


def _save_state(path, ctx, dev, *, config, epoch, step, finished, model, optimizer, sched,
                precision, sampler, aug_gen, best_state, best_loss, stale, history) -> None:
    """Gather the random-generator states of all processes; rank 0 writes the file."""
    rng = ctx.gather(rng_snapshot(dev))
    augment = None if aug_gen is None else ctx.gather(aug_gen.get_state())
    if not ctx.is_main:
        return
    cpu = torch.device("cpu")
    payload = {
        "format": RESUME_FORMAT, "epoch": epoch, "step": step, "finished": finished,
        "config": dict(config),
        "model": {k: v.detach().to(cpu) for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "schedule": None if sched.plateau is None else sched.plateau.state_dict(),
        "scaler": None if precision.scaler is None else precision.scaler.state_dict(),
        "sampler": sampler.generator.get_state(),
        "augment": augment,
        "rng": [{"cpu": r["cpu"].to(cpu), "cuda": None if r["cuda"] is None else r["cuda"].to(cpu)}
                for r in rng],
        "best": None if best_state is None else {k: v.to(cpu) for k, v in best_state.items()},
        "best_loss": best_loss, "stale": stale,
        "history": {"epochs": [dict(e) for e in history.epochs],
                    "best_epoch": history.best_epoch, "best_val_loss": history.best_val_loss,
                    "stopped_early": history.stopped_early, "stop_reason": history.stop_reason,
                    "seconds": history.seconds},
    }
    _save(payload, path)


@torch.no_grad()
def predict(model: torch.nn.Module, X, batch_size: int = EVAL_BATCH) -> np.ndarray:
    """Class probabilities of ``model`` for X (float32 [N, ...]), in eval mode.

    Returns numpy float32: sigmoid probabilities [N] when the model has one output (or
    returns [N]), softmax probabilities [N, C] for C > 1 outputs. Runs on the model's
    device in batches of ``batch_size``; the model's train/eval mode is restored.
    """
    X = _tensor(X, "X").to(torch.float32)
    try:
        dev = next(model.parameters()).device
    except StopIteration:
        dev = torch.device("cpu")
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
