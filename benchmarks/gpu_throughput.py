"""Training throughput of the HEPMASS MLP: batch size × mixed precision × torch.compile,
on the CPU and on every accelerator this machine has.

    python benchmarks/gpu_throughput.py                       # 1M simulated events
    python benchmarks/gpu_throughput.py --rows 200000 --batch-sizes 1024 4096 --epochs 3
    python benchmarks/gpu_throughput.py --devices cuda --full-epoch   # a real 7M-row epoch

Every point is :func:`hepcourse.train.fit` itself (data on the device, in-memory index
slicing, AdamW) training a fresh 28 → 3×112 → 1 MLP for ``--epochs`` epochs: the first
epoch pays the one-off costs (compilation above all), the median of the others is the
steady throughput. Columns: samples/s, the speed-up over float32 eager at the same batch
size, the one-off seconds, and the time one 7M-row HEPMASS epoch takes at that rate.
``--full-epoch`` (on a GPU) also trains on 7M rows (the simulated events tiled to the size
of the real training file) with the data on the device and reports the measured epoch time.

Writes benchmarks/results/gpu_throughput.json and prints a table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from hepcourse import data
from hepcourse.data.hepmass import to_arrays
from hepcourse.models import MLP
from hepcourse.train import fit
from hepcourse.train.bench import HEPMASS_EPOCH, throughput

RESULTS = Path(__file__).resolve().parent / "results"


def available_devices() -> list[str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def describe(device: str) -> str:
    if device.startswith("cuda"):
        return f"{torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})"
    if device == "mps":
        return "Apple GPU (MPS)"
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def full_epoch(X, y, device: str, batch_sizes, amp) -> list[dict]:
    """Train 2 epochs on HEPMASS_EPOCH rows (X tiled) with the data on ``device``."""
    reps = -(-HEPMASS_EPOCH // len(X))
    Xf = np.tile(X, (reps, 1))[:HEPMASS_EPOCH]
    yf = np.tile(y, reps)[:HEPMASS_EPOCH]
    rows = []
    for bs in batch_sizes:
        torch.manual_seed(0)
        model = MLP(X.shape[1]).set_scaling(X)
        h = fit(model, (Xf, yf), epochs=2, batch_size=bs, patience=None, amp=amp,
                device=device, progress=False)
        seconds = [len(Xf) / e["samples_per_s"] for e in h.epochs]
        rows.append({"device": h.device, "batch_size": bs, "precision": h.precision,
                     "rows": len(Xf), "epoch_s": seconds, "samples_per_s": h.epochs[-1]["samples_per_s"]})
        print(f"  full epoch on {h.device}: batch {bs:>6}, {h.precision}: "
              f"{seconds[-1]:.2f} s per {len(Xf):,}-row epoch (first {seconds[0]:.2f} s)", flush=True)
    return rows


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="simulated training events")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[256, 1024, 4096, 16384, 65536])
    p.add_argument("--epochs", type=int, default=3, help="epochs per point (the first is warm-up)")
    p.add_argument("--devices", nargs="+", default=None, help="default: cpu and every accelerator")
    p.add_argument("--no-compile", action="store_true", help="leave torch.compile out")
    p.add_argument("--compile-batch-sizes", type=int, nargs="+", default=None,
                   help="compile only at these batch sizes (compiling is slow on a CPU)")
    p.add_argument("--full-epoch", action="store_true",
                   help="on GPUs, also time a real 7M-row epoch with the data on the device")
    p.add_argument("--tf32", action="store_true",
                   help="let float32 matrix products use TF32 on NVIDIA GPUs (Ampere and newer)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads")
    p.add_argument("--source", default="simulated", choices=["simulated", "real", "auto"])
    p.add_argument("--output", type=Path, default=RESULTS / "gpu_throughput.json")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.tf32:
        torch.set_float32_matmul_precision("high")
    devices = args.devices or available_devices()

    t0 = time.perf_counter()
    frame = data.load("hepmass", source=args.source, split="train", n=args.rows)
    X, y, _ = to_arrays(frame)
    print(f"HEPMASS ({args.source}): {len(X):,} events in {time.perf_counter() - t0:.1f} s; "
          f"devices: {', '.join(f'{d} = {describe(d)}' for d in devices)}\n", flush=True)

    def make_model():
        torch.manual_seed(0)
        return MLP(X.shape[1]).set_scaling(X)

    def skip(dev, bs, amp, comp):
        return comp and args.compile_batch_sizes is not None and bs not in args.compile_batch_sizes

    def log(row):
        flag = "compiled" if row["compiled"] else ("compile FAILED" if row["compile"] else "eager")
        print(f"  {row['device']:<7} batch {row['batch_size']:>6} {row['precision']:<5} {flag:<14}"
              f"{row['samples_per_s']:>14,.0f} samples/s  (one-off {row['one_off_s']:.1f} s)", flush=True)

    rows = throughput(make_model, X, y, batch_sizes=args.batch_sizes, amp=(False, True),
                      compile=(False,) if args.no_compile else (False, True), devices=devices,
                      epochs=args.epochs, skip=skip, log=log)
    base = {(r["device"], r["batch_size"]): r["samples_per_s"] for r in rows
            if r["precision"] == "fp32" and not r["compile"]}
    for r in rows:
        ref = base.get((r["device"], r["batch_size"]))
        r["speedup"] = r["samples_per_s"] / ref if ref else float("nan")

    print(f"\n{'device':<8}{'batch':>7} {'precision':<10}{'mode':<10}{'samples/s':>13}"
          f"{'× fp32 eager':>13}{'one-off s':>11}{'7M epoch s':>12}")
    for r in rows:
        mode = "compiled" if r["compiled"] else ("failed" if r["compile"] else "eager")
        if r["compile"] and not r["compiled"]:
            print(f"{r['device']:<8}{r['batch_size']:>7} {'-':<10}{mode:<10}   {r['note'][:60]}")
            continue
        print(f"{r['device']:<8}{r['batch_size']:>7} {r['precision']:<10}{mode:<10}"
              f"{r['samples_per_s']:>13,.0f}{r['speedup']:>13.2f}{r['one_off_s']:>11.1f}"
              f"{r['epoch_7M_s']:>12.2f}")

    full = []
    if args.full_epoch:
        for dev in devices:
            if dev != "cpu":
                print(f"\nA full {HEPMASS_EPOCH:,}-row epoch on {dev}:")
                full += full_epoch(X, y, dev, [4096, 16384, 65536], amp=False)
                full += full_epoch(X, y, dev, [4096, 16384, 65536], amp=True)

    result = {"torch": torch.__version__, "machine": platform.node(),
              "devices": {d: describe(d) for d in devices}, "rows": len(X), "source": args.source,
              "epochs": args.epochs, "threads": torch.get_num_threads(), "tf32": args.tf32,
              "omp_num_threads": os.environ.get("OMP_NUM_THREADS"), "points": rows,
              "full_epoch": full}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=float))
    print(f"\nwrote {args.output}")
    return result


if __name__ == "__main__":
    main()
