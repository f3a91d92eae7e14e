"""Train the HEPMASS classifier from the command line, on one process or many.

    python -m hepcourse.train --source simulated --n-train 200000 --epochs 3 \\
        --checkpoint out/best.pt --output out/metrics.json

    torchrun --standalone --nproc_per_node=2 -m hepcourse.train --source simulated \\
        --n-train 200000 --epochs 3 --checkpoint out/best.pt --output out/metrics.json

The network is the parameterized MLP of chapter 3 (the 27 features and the mass
hypothesis, 28 → 112 → 112 → 112 → 1), its input scaling fitted on the training events.
Under torchrun every process loads the same events, builds the same network from the
same seed and trains its shard of every global batch (``--batch-size`` is the global
batch, shared between the processes) with DistributedDataParallel; rank 0 alone prints,
writes ``--checkpoint`` (best weights), ``--state`` (resumable training state) and
``--output`` (a JSON summary with the test AUC). ``--state PATH --resume`` continues a run
from its last completed epoch, so a job requeued after hitting a time limit picks up where
it stopped; the first run of the same command starts from scratch.

Every flag is checked before any event is read: a missing or bad value (a negative count,
``--val-fraction`` outside (0, 1) or leaving no validation event, an unknown mass, an
``--output``/``--checkpoint``/``--state`` whose folder cannot be written, ``--resume``
without ``--state``, a damaged or foreign ``--state`` file) ends in a usage message and
exit status 2. Flags are never abbreviated (as under torchrun, which rejects
abbreviations): write ``--n-train``, not ``--n``.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .. import validate
from ..files import atomic_write, temporary_path
from ..simulate.resonant_ttbar import MASSES
from .devices import device
from .resume import StateError

SCHEDULES = ("onecycle", "cosine", "plateau", "none")
AMP = ("off", "auto", "bf16", "fp16")


def _number(kind, name: str, check):
    """An argparse ``type=``: ``kind(text)`` passed through ``check``; a bad value is a
    usage error (exit 2) naming the flag, never a traceback."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected a {name}") from None
        try:
            return check(value)
        except (TypeError, ValueError) as err:
            message = str(err).split(": ", 1)[-1]
            raise argparse.ArgumentTypeError(f"{text!r}: {message}") from None
    parse.__name__ = name  # argparse names the type in its messages
    return parse


def _integer(text: str):
    text = text.strip()
    return int(text) if text.lstrip("+-").isdigit() else float(text)  # 1e6 is a whole number


def whole(minimum: int):
    return _number(_integer, f"whole number ≥ {minimum}",
                   lambda v: validate.count(v, "value", minimum=minimum))


def positive():
    return _number(float, "positive number", lambda v: validate.positive(v, "value"))


def fraction(low_open: bool = False, high_open: bool = True):
    return _number(float, "fraction", lambda v: validate.real(
        v, "value", low=0.0, high=1.0, low_open=low_open, high_open=high_open))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m hepcourse.train", allow_abbrev=False,  # as torchrun: full flags only
        description="Train the HEPMASS MLP (also under torchrun: data-parallel over processes).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    data = p.add_argument_group("data")
    data.add_argument("--data", default="hepmass", choices=["hepmass"], help="dataset")
    data.add_argument("--source", default="auto", choices=["auto", "real", "simulated"],
                      help="real files (cache/mirror/download), the simulated twin, or auto")
    data.add_argument("--n-train", type=whole(0), default=1_000_000,
                      help="training events (0: the whole training split but the validation part)")
    data.add_argument("--val-fraction", type=fraction(low_open=True), default=0.1,
                      help="validation events, as a fraction in (0, 1) of the training events")
    data.add_argument("--n-test", type=whole(0), default=200_000, help="test events (0: all)")
    data.add_argument("--masses", type=positive(), nargs="+", default=None,
                      help=f"keep only these mass hypotheses in GeV (of {', '.join(map(str, MASSES))}); "
                           "None: all five")
    data.add_argument("--data-seed", type=whole(0), default=0, help="seed of the simulated events")
    model = p.add_argument_group("model")
    model.add_argument("--hidden", type=whole(1), nargs="+", default=[112, 112, 112],
                       help="widths of the hidden layers")
    model.add_argument("--dropout", type=fraction(), default=0.0, help="in [0, 1)")
    train = p.add_argument_group("training (see hepcourse.train.fit)")
    train.add_argument("--epochs", type=whole(1), default=10)
    train.add_argument("--batch-size", type=whole(1), default=4096,
                       help="GLOBAL batch, split between the processes")
    train.add_argument("--lr", type=positive(), default=None,
                       help="peak learning rate; None: 1e-3·√(batch/32)")
    train.add_argument("--weight-decay", type=_number(float, "number ≥ 0", lambda v: validate.real(
        v, "value", low=0.0)), default=0.0)
    train.add_argument("--schedule", default="onecycle", choices=SCHEDULES)
    train.add_argument("--patience", type=whole(0), default=5, help="early stopping (0: off)")
    train.add_argument("--amp", default="off", choices=AMP, help="mixed precision")
    train.add_argument("--compile", action="store_true", help="train through torch.compile")
    train.add_argument("--compile-mode", default="default",
                       choices=["default", "reduce-overhead", "max-autotune"])
    train.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps")
    train.add_argument("--seed", type=whole(0), default=0,
                       help="seeds the initial weights, the batch order and dropout")
    train.add_argument("--max-time", type=positive(), default=None,
                       help="wall-clock budget in seconds, a little under the job's limit; None: no limit")
    train.add_argument("--threads", type=whole(1), default=None,
                       help="CPU threads per process; None: torch's choice (1 under torchrun)")
    files = p.add_argument_group("files (written by rank 0 only)")
    files.add_argument("--checkpoint", type=Path, default=None, help="best weights (state_dict)")
    files.add_argument("--state", type=Path, default=None,
                       help="resumable training state, written after every epoch")
    files.add_argument("--resume", action="store_true",
                       help="continue from --state when it exists (else start afresh)")
    files.add_argument("--output", type=Path, default=None, help="JSON summary with the test AUC")
    files.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def check_arguments(p: argparse.ArgumentParser, args) -> None:
    """What argparse cannot check alone; a problem is a usage error (exit 2)."""
    if args.masses is not None:
        unknown = sorted(set(args.masses) - {float(m) for m in MASSES})
        if unknown:
            p.error(f"--masses: no mass hypothesis {unknown} in the data; use some of {list(MASSES)}")
    if args.n_train and round(args.n_train * args.val_fraction) < 1:
        p.error(f"--val-fraction {args.val_fraction} of --n-train {args.n_train} is no validation "
                "event; use a larger fraction or more training events")
    if args.resume and args.state is None:
        p.error("--resume continues from the file given by --state PATH; pass --state")
    try:
        device(args.device)
    except ValueError as err:
        p.error(f"--device: {err}")
    if os.environ.get("RANK", "0") != "0":
        return  # rank 0 alone writes the files
    for flag, path in (("--output", args.output), ("--checkpoint", args.checkpoint),
                       ("--state", args.state)):
        if path is not None:
            problem = unwritable(path)
            if problem:
                p.error(f"{flag} {path}: {problem}")


def unwritable(path: Path) -> str | None:
    """Why ``path`` cannot be written (its folder is created if missing, and checked by
    creating and removing a temporary file there), or None when it can."""
    path = Path(path)
    if path.is_dir():
        return "is a folder; give a file name"
    existing = path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary_path(path).unlink()
    except OSError as err:
        return f"cannot write in {path.parent} ({err.strerror or err})"
    return None


def load_events(args, ctx):
    """(X, y) for training, validation and test: float32 [N, 28] and [N]. Rank 0 reads the
    real files first (filling the caches), then the others; simulated events are generated
    by every process from the same seed."""
    from hepcourse import data
    from hepcourse.data.hepmass import to_arrays

    n_val = round(args.n_train * args.val_fraction) if args.n_train else None
    options = {"source": args.source}
    if args.masses is not None:
        options["masses"] = list(args.masses)
    if args.source == "simulated":
        options["seed"] = args.data_seed

    def read():
        train = data.load(args.data, split="train", n=(args.n_train + n_val) if args.n_train else None, **options)
        test = data.load(args.data, split="test", n=args.n_test or None, **options)
        return train, test

    serial = args.source != "simulated" and ctx.enabled
    if serial and not ctx.is_main:
        ctx.barrier()
    quiet = contextlib.redirect_stdout(io.StringIO()) if not ctx.is_main else contextlib.nullcontext()
    with quiet:
        train, test = read()
    if serial and ctx.is_main:
        ctx.barrier()
    X, y, _ = to_arrays(train)
    Xt, yt, _ = to_arrays(test)
    f = args.val_fraction
    cut = min(args.n_train, len(X)) if args.n_train else len(X) - round(len(X) * f / (1 + f))
    source = getattr(train, "attrs", {}).get("source", args.source)
    return (X[:cut], y[:cut]), (X[cut:], y[cut:]), (Xt, yt), source


def main(argv=None) -> int:
    """The command line (``python -m hepcourse.train``, ``hepcourse train``); returns the
    exit status. Bad arguments end in a usage message and exit status 2 (SystemExit)."""
    p = parser()
    args = p.parse_args(argv)
    check_arguments(p, args)
    if args.threads:
        torch.set_num_threads(args.threads)
    from hepcourse.train import distributed

    # the process group, if any, stays open until the process exits: creating a gloo group
    # again after destroying it can hang (a second main() in the same process)
    ctx = distributed.setup(args.device)
    t0 = time.perf_counter()
    (X, y), (Xv, yv), (Xt, yt), source = load_events(args, ctx)
    load_seconds = time.perf_counter() - t0
    if len(X) < 2 or len(Xv) < 1 or len(Xt) < 1:
        p.error(f"the {source.split(':')[0]} data give {len(X)} training, {len(Xv)} validation and "
                f"{len(Xt)} test events; at least 2, 1 and 1 are needed (check --n-train, "
                "--val-fraction, --n-test and --masses)")
    if ctx.is_main:
        print(f"hepcourse.train: {args.data} ({source.split(':')[0]}), {len(X):,} training / {len(Xv):,} "
              f"validation / {len(Xt):,} test events; {ctx.world_size} process(es) on "
              f"{ctx.device}{' with ' + ctx.backend if ctx.backend else ''}, global batch "
              f"{args.batch_size} ({args.batch_size // ctx.world_size} per process)", flush=True)
    try:
        model, history = train_model(args, ctx, (X, y), (Xv, yv))
    except StateError as err:  # a damaged state, or one of another run
        p.error(f"--state {args.state}: {err}")
    if not ctx.is_main:
        return 0
    summary = summarize(args, ctx, model, history, (Xt, yt))
    summary.update(source=source, train_events=len(X), val_events=len(Xv), test_events=len(Xt),
                   load_seconds=load_seconds)
    resumed = f", resumed after epoch {history.resumed_from}" if history.resumed_from else ""
    print(f"hepcourse.train: {len(history)} epochs ({history.stop_reason}{resumed}), best "
          f"epoch {history.best_epoch}, {history.samples_per_s:,.0f} samples/s; test AUC "
          f"{summary['auc']:.4f}, accuracy {summary['accuracy']:.4f}", flush=True)
    for label, path in (("best weights", args.checkpoint), ("training state", args.state)):
        if path is not None:
            print(f"hepcourse.train: {label} in {path}")
    if args.output is not None:
        with atomic_write(args.output) as tmp:
            tmp.write_text(json.dumps(summary, indent=2, default=_json_default))
        print(f"hepcourse.train: summary in {args.output}")
    return 0


def train_model(args, ctx, train, val):
    """The network of the command line, trained with :func:`hepcourse.train.fit`."""
    from hepcourse.models import MLP
    from hepcourse.train import fit

    torch.manual_seed(args.seed)
    model = MLP(train[0].shape[1], hidden=tuple(args.hidden), dropout=args.dropout).set_scaling(train[0])
    compile = (args.compile_mode if args.compile_mode != "default" else True) if args.compile else False
    history = fit(
        model, train, val, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        weight_decay=args.weight_decay, schedule=None if args.schedule == "none" else args.schedule,
        patience=args.patience or None, checkpoint=args.checkpoint, seed=args.seed,
        device=ctx.device, progress=not args.quiet and ctx.is_main, max_time=args.max_time,
        amp=False if args.amp == "off" else args.amp, compile=compile, state=args.state,
        resume=True if args.resume else None)
    return model, history


def summarize(args, ctx, model, history, test) -> dict:
    """The JSON summary of a run: test AUC and accuracy, how it ran, its history."""
    from sklearn.metrics import roc_auc_score

    from hepcourse.train import predict

    Xt, yt = test
    p = predict(model, Xt)
    return {
        "auc": float(roc_auc_score(yt, p)), "accuracy": float(((p > 0.5) == (yt > 0.5)).mean()),
        "data": args.data, "world_size": ctx.world_size, "backend": ctx.backend,
        "device": history.device, "precision": history.precision, "compiled": history.compiled,
        "global_batch": args.batch_size, "batch_per_process": args.batch_size // ctx.world_size,
        "epochs_run": len(history), "best_epoch": history.best_epoch,
        "best_val_loss": history.best_val_loss, "stop_reason": history.stop_reason,
        "resumed_from": history.resumed_from, "seconds": history.seconds,
        "samples_per_s": history.samples_per_s, "threads_per_process": torch.get_num_threads(),
        "notes": history.notes, "machine": f"{platform.node()} ({platform.machine()})",
        "history": history.epochs,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


if __name__ == "__main__":
    sys.exit(main())
