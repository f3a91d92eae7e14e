"""The HEPMASS tutorial's training recipe against ``hepcourse.train.fit``, side by side.

    python benchmarks/train_throughput.py                   # 1M training events, 120 s budget
    python benchmarks/train_throughput.py --train 300000 --budget 30

Same data (the simulated HEPMASS twin, or the real files with --real), the same
28 → 3×112 → 1 MLP with the same initial weights and the input scaling fitted on the
training data, each run given the same wall-clock budget:

  tutorial   batch 32 through a per-sample torch DataLoader, Adam 1e-3, constant rate
             (the recipe of the well-known Keras HEPMASS tutorial, in PyTorch)
  fit        ``fit`` defaults: in-memory index slicing, batch 4096, lr = 1e-3·√(4096/32)
             with one-cycle warm-up and annealing, early stopping on a validation set
  fit-noscale the same batch of 4096 with the tutorial's lr 1e-3 and no schedule: what the
             big batch costs WITHOUT learning-rate scaling and warm-up
  slicing-32 in-memory index slicing at batch 32 (throughput only, a short run): the
             part of the speed-up that comes from the data path rather than the batch

Two phases. Throughput: the tutorial recipe and ``fit`` run in alternating slices of
--slice seconds (--rounds each), so that both see the same load on a shared machine; the
median samples per second of each and their ratio are reported. Budget: each recipe then
trains a fresh model for --budget seconds of wall-clock time and is scored on the test set.
Prints a table and writes benchmarks/results/train_throughput.json.

PyTorch uses all cores by default (--threads to change it). On a machine that other
processes keep busy, two intra-op threads on two cores can stall each other badly at
every operation; compare with --threads 1 there.
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
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader, TensorDataset

from hepcourse import data
from hepcourse.data.hepmass import to_arrays
from hepcourse.models import MLP
from hepcourse.train import default_lr, fit, predict

RESULTS = Path(__file__).resolve().parent / "results"


def tutorial_recipe(model, X, y, budget: float, seed: int) -> dict:
    """Batch 32 from a shuffled per-sample DataLoader, Adam(1e-3), until the budget is spent."""
    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=32,
                        shuffle=True, generator=torch.Generator().manual_seed(seed))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    start, seen, epochs = time.perf_counter(), 0, 0
    model.train()
    while time.perf_counter() - start < budget:
        for xb, yb in loader:
            loss = loss_fn(model(xb)[:, 0], yb)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            seen += xb.shape[0]
            if time.perf_counter() - start >= budget:
                break
        else:
            epochs += 1
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "samples": seen, "samples_per_s": seen / seconds,
            "epochs": epochs + (seen - epochs * len(X)) / len(X)}


def throughput(X, y, Xv, yv, new_model, slice_s: float, rounds: int, seed: int) -> dict:
    """Alternate short runs of each recipe; median samples/s per recipe."""
    rates = {"tutorial": [], "fit": [], "slicing-32": []}
    for _ in range(rounds):
        rates["tutorial"].append(tutorial_recipe(new_model(), X, y, slice_s, seed)["samples_per_s"])
        h = fit(new_model(), (X, y), epochs=1000, max_time=slice_s, seed=seed, progress=False)
        rates["fit"].append(h.samples_per_s)
        h = fit(new_model(), (X, y), batch_size=32, lr=1e-3, schedule=None, epochs=1000,
                max_time=slice_s, seed=seed, progress=False)
        rates["slicing-32"].append(h.samples_per_s)
    return {name: float(np.median(r)) for name, r in rates.items()} | {"all": rates}


def scores(model, X, y) -> dict:
    p = predict(model, X)
    return {"auc": float(roc_auc_score(y, p)), "accuracy": float(((p > 0.5) == (y > 0.5)).mean())}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=1_000_000, help="training events")
    parser.add_argument("--test", type=int, default=300_000, help="test events")
    parser.add_argument("--budget", type=float, default=120.0, help="wall-clock seconds per recipe")
    parser.add_argument("--slice", type=float, default=8.0, help="seconds per throughput slice")
    parser.add_argument("--rounds", type=int, default=3, help="throughput slices per recipe")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--real", action="store_true", help="use the real HEPMASS files")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    source = "real" if args.real else "simulated"
    train = data.load("hepmass", source=source, split="train", n=args.train + args.train // 10,
                      seed=args.seed)
    test = data.load("hepmass", source=source, split="test", n=args.test, seed=args.seed)
    X, y, _ = to_arrays(train)
    Xv, yv = X[args.train:], y[args.train:]
    X, y = X[:args.train], y[:args.train]
    Xt, yt, _ = to_arrays(test)

    def new_model():
        torch.manual_seed(args.seed)
        return MLP(28).set_scaling(X)

    rates = throughput(X, y, Xv, yv, new_model, args.slice, args.rounds, args.seed)

    rows = {}
    model = new_model()
    run = tutorial_recipe(model, X, y, args.budget, args.seed)
    rows["tutorial"] = {"batch": 32, "data path": "DataLoader", "lr": 1e-3, **run,
                        "samples_per_s": rates["tutorial"], "budget_samples_per_s": run["samples_per_s"],
                        **scores(model, Xt, yt)}

    model = new_model()
    h = fit(model, (X, y), (Xv, yv), max_time=args.budget, seed=args.seed, progress=False)
    rows["fit"] = {"batch": 4096, "data path": "index slicing", "lr": default_lr(4096),
                   "seconds": h.seconds, "samples_per_s": rates["fit"],
                   "budget_samples_per_s": h.samples_per_s,
                   "epochs": len(h), "stop": h.stop_reason, **scores(model, Xt, yt)}

    model = new_model()
    h2 = fit(model, (X, y), (Xv, yv), lr=1e-3, schedule=None, epochs=len(h), patience=None,
             max_time=args.budget, seed=args.seed, progress=False)
    rows["fit-noscale"] = {"batch": 4096, "data path": "index slicing", "lr": 1e-3,
                           "seconds": h2.seconds, "samples_per_s": h2.samples_per_s,
                           "budget_samples_per_s": h2.samples_per_s,
                           "epochs": len(h2), "stop": h2.stop_reason, **scores(model, Xt, yt)}
    rows["slicing-32"] = {"batch": 32, "data path": "index slicing", "lr": 1e-3,
                          "samples_per_s": rates["slicing-32"]}

    base = rows["tutorial"]["samples_per_s"]
    print(f"HEPMASS ({source}), {args.train:,} training / {args.test:,} test events, "
          f"MLP 28→3×112→1, {torch.get_num_threads()} threads")
    print(f"throughput: median of {args.rounds} alternating {args.slice:.0f}-s slices per recipe; "
          f"AUC: each recipe trains for the same {args.budget:.0f} s budget\n")
    print(f"{'recipe':<12}{'batch':>6}{'lr':>9}{'samples/s':>12}{'× tutorial':>11}{'epochs':>8}"
          f"{'seconds':>9}{'test AUC':>10}{'accuracy':>10}")
    for name, r in rows.items():
        auc = f"{r['auc']:.4f}" if "auc" in r else "-"
        acc = f"{r['accuracy']:.4f}" if "accuracy" in r else "-"
        epochs = f"{r['epochs']:.1f}" if "epochs" in r else "-"
        seconds = f"{r['seconds']:.1f}" if "seconds" in r else "-"
        print(f"{name:<12}{r['batch']:>6}{r['lr']:>9.2g}{r['samples_per_s']:>12,.0f}"
              f"{r['samples_per_s'] / base:>11.1f}{epochs:>8}{seconds:>9}{auc:>10}{acc:>10}")
    ratio = rows["fit"]["samples_per_s"] / base
    gain = rows["fit"]["auc"] - rows["tutorial"]["auc"]
    print(f"\nfit / tutorial throughput: {ratio:.1f}x; AUC within the same budget: "
          f"fit {rows['fit']['auc']:.4f} vs tutorial {rows['tutorial']['auc']:.4f} ({gain:+.4f})")
    result = {"machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads",
              "load_average": os.getloadavg(), "source": source, "train": args.train,
              "test": args.test, "budget_s": args.budget, "slice_s": args.slice,
              "rounds": args.rounds, "rows": rows, "throughput_slices": rates["all"],
              "throughput_ratio": ratio, "auc_gain": gain}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "train_throughput.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
