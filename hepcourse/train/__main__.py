"""Train the HEPMASS classifier from the command line, on one process or many.

    python -m hepcourse.train --source simulated --n-train 200000 --epochs 3 \\
        --checkpoint out/best.pt --output out/metrics.json

    torchrun --standalone --nproc_per_node=2 -m hepcourse.train --source simulated \\
        --n-train 200000 --epochs 3 --checkpoint out/best.pt --output out/metrics.json

The network is the parameterized MLP of chapter 2 (the 27 features and the mass
hypothesis, 28 → 112 → 112 → 112 → 1), its input scaling fitted on the training events.
Under torchrun every process loads the same events, builds the same network from the
same seed and trains its shard of every global batch (``--batch-size`` is the global
batch, shared between the processes) with DistributedDataParallel; rank 0 alone prints,
writes ``--checkpoint`` (best weights), ``--state`` (resumable training state) and
``--output`` (a JSON summary with the test AUC). ``--state PATH --resume`` continues a run
from its last completed epoch, so a job requeued after hitting a time limit picks up where
it stopped; the first run of the same command starts from scratch.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

SCHEDULES = ("onecycle", "cosine", "plateau", "none")
AMP = ("off", "auto", "bf16", "fp16")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m hepcourse.train",
        description="Train the HEPMASS MLP (also under torchrun: data-parallel over processes).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    data = p.add_argument_group("data")
    data.add_argument("--data", default="hepmass", choices=["hepmass"], help="dataset")
    data.add_argument("--source", default="auto", choices=["auto", "real", "simulated"],
                      help="real files (cache/mirror/download), the simulated twin, or auto")
    data.add_argument("--n-train", type=int, default=1_000_000,
                      help="training events (0: the whole training split but the validation part)")
    data.add_argument("--val-fraction", type=float, default=0.1,
                      help="validation events, as a fraction of the training events")
    data.add_argument("--n-test", type=int, default=200_000, help="test events (0: all)")
    data.add_argument("--masses", type=float, nargs="+", default=None,
                      help="keep only these mass hypotheses in GeV; None: all five")
    data.add_argument("--data-seed", type=int, default=0, help="seed of the simulated events")
    model = p.add_argument_group("model")
    model.add_argument("--hidden", type=int, nargs="+", default=[112, 112, 112],
                       help="widths of the hidden layers")
    model.add_argument("--dropout", type=float, default=0.0)
    train = p.add_argument_group("training (see hepcourse.train.fit)")
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--batch-size", type=int, default=4096,
                       help="GLOBAL batch, split between the processes")
    train.add_argument("--lr", type=float, default=None,
                       help="peak learning rate; None: 1e-3·√(batch/32)")
    train.add_argument("--weight-decay", type=float, default=0.0)
    train.add_argument("--schedule", default="onecycle", choices=SCHEDULES)
    train.add_argument("--patience", type=int, default=5, help="early stopping (0: off)")
    train.add_argument("--amp", default="off", choices=AMP, help="mixed precision")
    train.add_argument("--compile", action="store_true", help="train through torch.compile")
    train.add_argument("--compile-mode", default="default",
                       choices=["default", "reduce-overhead", "max-autotune"])
    train.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    train.add_argument("--seed", type=int, default=0,
                       help="seeds the initial weights, the batch order and dropout")
    train.add_argument("--max-time", type=float, default=None,
                       help="wall-clock budget in seconds, a little under the job's limit; None: no limit")
    train.add_argument("--threads", type=int, default=None,
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


def load_events(args, ctx):
    """(X, y) for training, validation and test: float32 [N, 28] and [N]. Rank 0 reads the
    real files first (filling the caches), then the others; simulated events are generated
    by every process from the same seed."""
    from hepcourse import data
    from hepcourse.data.hepmass import to_arrays

    n_val = max(1, round(args.n_train * args.val_fraction)) if args.n_train else None
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
    cut = args.n_train if args.n_train else len(X) - max(1, round(len(X) * args.val_fraction / (1 + args.val_fraction)))
    source = getattr(train, "attrs", {}).get("source", args.source)
    return (X[:cut], y[:cut]), (X[cut:], y[cut:]), (Xt, yt), source


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.n_train < 0 or args.n_test < 0:
        raise SystemExit("--n-train and --n-test must be positive (or 0 for all)")
    if args.threads:
        torch.set_num_threads(args.threads)
    from sklearn.metrics import roc_auc_score

    from hepcourse.models import MLP
    from hepcourse.train import distributed, fit, predict

    ctx = distributed.setup(args.device)
    try:
        t0 = time.perf_counter()
        (X, y), (Xv, yv), (Xt, yt), source = load_events(args, ctx)
        load_seconds = time.perf_counter() - t0
        if ctx.is_main:
            print(f"hepcourse.train: {args.data} ({source.split(':')[0]}), {len(X):,} training / {len(Xv):,} "
                  f"validation / {len(Xt):,} test events; {ctx.world_size} process(es) on "
                  f"{ctx.device}{' with ' + ctx.backend if ctx.backend else ''}, global batch "
                  f"{args.batch_size} ({args.batch_size // ctx.world_size} per process)", flush=True)
        torch.manual_seed(args.seed)
        model = MLP(X.shape[1], hidden=tuple(args.hidden), dropout=args.dropout).set_scaling(X)
        history = fit(
            model, (X, y), (Xv, yv), epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
            weight_decay=args.weight_decay,
            schedule=None if args.schedule == "none" else args.schedule,
            patience=args.patience or None, checkpoint=args.checkpoint, seed=args.seed,
            device=ctx.device, progress=not args.quiet and ctx.is_main, max_time=args.max_time,
            amp=False if args.amp == "off" else args.amp,
            compile=(args.compile_mode if args.compile_mode != "default" else True) if args.compile else False,
            state=args.state, resume=True if args.resume else None)
        if not ctx.is_main:
            return 0
        p = predict(model, Xt)
        auc = float(roc_auc_score(yt, p))
        accuracy = float(((p > 0.5) == (yt > 0.5)).mean())
        summary = {
            "auc": auc, "accuracy": accuracy, "source": source, "data": args.data,
            "train_events": int(len(X)), "val_events": int(len(Xv)), "test_events": int(len(Xt)),
            "world_size": ctx.world_size, "backend": ctx.backend, "device": history.device,
            "precision": history.precision, "compiled": history.compiled,
            "global_batch": args.batch_size, "batch_per_process": args.batch_size // ctx.world_size,
            "epochs_run": len(history), "best_epoch": history.best_epoch,
            "best_val_loss": history.best_val_loss, "stop_reason": history.stop_reason,
            "resumed_from": history.resumed_from, "seconds": history.seconds,
            "load_seconds": load_seconds, "samples_per_s": history.samples_per_s,
            "threads_per_process": torch.get_num_threads(), "notes": history.notes,
            "machine": f"{platform.node()} ({platform.machine()})",
            "history": history.epochs,
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        }
        resumed = f", resumed after epoch {history.resumed_from}" if history.resumed_from else ""
        print(f"hepcourse.train: {len(history)} epochs ({history.stop_reason}{resumed}), best "
              f"epoch {history.best_epoch}, {history.samples_per_s:,.0f} samples/s; test AUC "
              f"{auc:.4f}, accuracy {accuracy:.4f}", flush=True)
        for label, path in (("best weights", args.checkpoint), ("training state", args.state)):
            if path is not None:
                print(f"hepcourse.train: {label} in {path}")
        if args.output is not None:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(json.dumps(summary, indent=2, default=_json_default))
            print(f"hepcourse.train: summary in {args.output}")
        return 0
    finally:
        ctx.close()


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


if __name__ == "__main__":
    sys.exit(main())
