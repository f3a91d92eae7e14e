"""Measuring training throughput with :func:`~hepcourse.train.fit` itself.

Each measurement trains a fresh model for a few epochs with the settings under test and
reads the throughput off the :class:`~hepcourse.train.History`: the first epoch pays the
one-off costs (``torch.compile``'s compilation, memory allocation, kernel selection), the
later ones are the steady state. What is measured is therefore exactly what a user of
``fit`` gets, data path and optimiser step included.

>>> rows = throughput(lambda: MLP(28).set_scaling(X), X, y, batch_sizes=[1024, 4096])
>>> pandas.DataFrame(rows)
"""
from __future__ import annotations

import itertools
import math
import statistics
import time

import torch

from .. import validate
from .devices import device as choose_device
from .loop import fit

HEPMASS_EPOCH = 7_000_000
"""Rows in one epoch of the real HEPMASS training file."""


def measure(make_model, X, y, *, batch_size: int, amp=False, compile=False, device="auto",
            epochs: int = 3, seed: int = 0) -> dict:
    """Train ``make_model()`` on (X, y) for ``epochs`` epochs and report its throughput.

    Returns a dict: device, batch_size, precision ("fp32"/"bf16"/"fp16"), compile
    (requested), compiled (done), samples_per_s (median of the epochs after the first),
    first_epoch_s, one_off_s (the first epoch's extra time over a steady epoch: mostly
    compilation), epoch_7M_s (seconds a 7M-row HEPMASS epoch takes at this rate) and
    note (why compile did not happen, if it did not). The learning rate is fixed
    (1e-3, no schedule) so that every setting does the same work per step.
    """
    batch_size = validate.count(batch_size, "batch_size")
    epochs = validate.count(epochs, "epochs", minimum=2,
                            what="a whole number ≥ 2 (the first epoch pays the one-off costs)")
    if compile:
        torch._dynamo.reset()  # compile from scratch: the cost a new run pays
    model = make_model()
    start = time.perf_counter()
    h = fit(model, (X, y), epochs=epochs, batch_size=batch_size, lr=1e-3, schedule=None,
            patience=None, amp=amp, compile=compile, device=device, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    rate = statistics.median(e["samples_per_s"] for e in h.epochs[1:])
    n = len(X)
    first = n / h.epochs[0]["samples_per_s"]
    return {
        "device": h.device, "batch_size": batch_size, "precision": h.precision,
        "compile": bool(compile), "compiled": h.compiled, "samples_per_s": rate,
        "first_epoch_s": first, "one_off_s": max(0.0, first - n / rate),
        "epoch_7M_s": HEPMASS_EPOCH / rate, "rows": n, "epochs": epochs, "seconds": seconds,
        "note": "; ".join(h.notes),
    }


def throughput(make_model, X, y, *, batch_sizes=(1024, 4096, 16384), amp=(False, True),
               compile=(False, True), devices=("auto",), epochs: int = 3, seed: int = 0,
               skip=None, log=None) -> list[dict]:
    """:func:`measure` over the grid ``devices × batch_sizes × amp × compile``.

    X, y: the training data (numpy or tensors; moved to each device once per measurement).
    skip: optional ``skip(device, batch_size, amp, compile) -> bool`` to leave points out
    (e.g. compile at one batch size only, where compiling is slow). log: optional
    ``log(row)`` called after each measurement (e.g. ``print``). Once compiling has
    failed on a device it is not tried again there; those rows carry the reason in note.
    """
    batch_sizes = validate.counts(batch_sizes, "batch_sizes")
    epochs = validate.count(epochs, "epochs", minimum=2,
                            what="a whole number ≥ 2 (the first epoch pays the one-off costs)")
    rows, failed = [], {}
    for dev_name, bs, a, c in itertools.product(devices, batch_sizes, amp, compile):
        dev = str(choose_device(dev_name))
        if skip is not None and skip(dev, bs, a, c):
            continue
        if c and dev in failed:
            rows.append({"device": dev, "batch_size": bs, "precision": None, "compile": True,
                         "compiled": False, "samples_per_s": math.nan, "note": failed[dev]})
            continue
        row = measure(make_model, X, y, batch_size=bs, amp=a, compile=c, device=dev_name,
                      epochs=epochs, seed=seed)
        if c and not row["compiled"]:
            failed[dev] = row["note"] or "torch.compile did not compile"
        rows.append(row)
        if log is not None:
            log(row)
    return rows
