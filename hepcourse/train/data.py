"""Turning user data into device tensors once, and the per-epoch index sampler.

The training data stay in memory (on the training device) as three tensors X, y, w; each
epoch draws a permutation of the row indices and every batch is a slice of it, gathered
with one indexing operation. There is no per-sample Dataset/DataLoader: at batch 4096 a
small MLP spends most of a DataLoader's time in Python, not in arithmetic.

:class:`IndexSampler` is the one place that decides which rows an epoch sees, so a
distributed variant (each rank a disjoint shard of the same permutation) can replace it.
:func:`fingerprint` identifies a data set cheaply, so that a resumed run can check that it
continues on the same events.
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from .. import validate

#: Rows of X that :func:`fingerprint` hashes (all of them for smaller data sets).
FINGERPRINT_ROWS = 65_536


@dataclass
class Arrays:
    """X float32 [N, ...], y (float32 [N] for "bce", int64 [N] for "ce"), w float32 [N] or None."""

    X: torch.Tensor
    y: torch.Tensor
    w: torch.Tensor | None

    def __len__(self) -> int:
        return self.X.shape[0]

    def to(self, device: torch.device) -> "Arrays":
        return Arrays(self.X.to(device), self.y.to(device),
                      None if self.w is None else self.w.to(device))


def _tensor(a, name: str) -> torch.Tensor:
    if isinstance(a, torch.Tensor):
        return a.detach()
    if hasattr(a, "to_numpy"):  # pandas
        a = a.to_numpy()
    a = np.asarray(a)
    with warnings.catch_warnings():  # read-only arrays (pandas, memory maps): fit never writes
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.as_tensor(a)


def as_arrays(data, name: str, target: str) -> Arrays:
    """Check and convert ``(X, y)`` or ``(X, y, w)`` (numpy, pandas or tensors).

    ``target`` is "float" (binary labels in {0, 1}, stored float32) or "long" (class
    indices, int64) or "any" (a user loss: y kept as float32 unless it is integer).
    """
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        raise ValueError(f"{name} must be a tuple (X, y) or (X, y, w) of arrays; got "
                         f"{type(data).__name__}" + (f" of length {len(data)}"
                                                     if isinstance(data, (tuple, list)) else ""))
    X = _tensor(data[0], f"{name} X").to(torch.float32)
    y = _tensor(data[1], f"{name} y")
    w = None if len(data) == 2 or data[2] is None else _tensor(data[2], f"{name} w").to(torch.float32)
    n = X.shape[0] if X.ndim else 0
    if X.ndim < 2:
        raise ValueError(f"{name} X must have shape [N, features...]; got {tuple(X.shape)}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} y must have shape [N]={n}; got {tuple(y.shape)}")
    if w is not None and (w.ndim != 1 or w.shape[0] != n):
        raise ValueError(f"{name} w must have shape [N]={n}; got {tuple(w.shape)}")
    if n == 0:
        raise ValueError(f"{name} holds no samples")
    if w is not None and not bool(torch.isfinite(w).all()):
        raise ValueError(f"{name} w: the per-sample weights hold NaN or infinite values")
    if target == "long":
        if y.is_floating_point():
            if not torch.equal(y, y.round()):
                raise ValueError(f"{name} y: loss='ce' needs integer class labels; got fractions")
        y = y.to(torch.int64)
        if y.min() < 0:
            raise ValueError(f"{name} y: class labels must be 0..C-1; got {int(y.min())}")
    elif target == "float":
        y = y.to(torch.float32)
        bad = (y != 0) & (y != 1)
        if bool(bad.any()):
            raise ValueError(f"{name} y: loss='bce' needs labels 0 or 1; got e.g. {float(y[bad][0])}")
    else:
        y = y if not y.is_floating_point() else y.to(torch.float32)
    return Arrays(X, y, w)


def class_weights(y: torch.Tensor, class_weight) -> dict[int, float] | None:
    """Per-class weights: None, "balanced" (N / (C n_c), as in scikit-learn) or a dict
    ``{label: weight}`` of integer labels ≥ 0 and finite weights ≥ 0 (not all 0)."""
    if class_weight is None:
        return None
    if not isinstance(class_weight, (str, dict)):
        raise ValueError(f"class_weight={class_weight!r}: use None, 'balanced' or {{label: weight}}")
    if y.is_floating_point() and not torch.equal(y, y.round()):
        raise ValueError(f"class_weight={class_weight!r} needs integer class labels; y holds fractions")
    labels, counts = torch.unique(y.to(torch.int64), return_counts=True)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight={class_weight!r}: use None, 'balanced' or {{label: weight}}")
        n, c = float(y.shape[0]), float(len(labels))
        return {int(k): n / (c * float(m)) for k, m in zip(labels, counts)}
    weights = {}
    for k, v in class_weight.items():
        label = validate.count(k, f"class_weight key {k!r}", minimum=0, what="a class label ≥ 0")
        weights[label] = validate.real(v, f"class_weight[{k!r}]", low=0.0)
    if not any(v > 0 for v in weights.values()):
        raise ValueError(f"class_weight={class_weight!r}: at least one weight must be positive")
    return weights


def describe_class_weight(class_weight) -> str | None:
    """``class_weight`` as a stable text (None, "balanced" or "{0: 1.0, 1: 5.0}")."""
    if class_weight is None or isinstance(class_weight, str):
        return class_weight
    items = sorted((int(k), float(v)) for k, v in class_weight.items())
    return "{" + ", ".join(f"{k}: {v!r}" for k, v in items) + "}"


def apply_class_weights(arrays: Arrays, weights: dict[int, float] | None) -> Arrays:
    """Multiply the per-sample weights by the weight of each sample's class."""
    if weights is None:
        return arrays
    labels = arrays.y.to(torch.int64)
    table = torch.ones(int(labels.max()) + 1, dtype=torch.float32)
    for k, v in weights.items():
        if 0 <= k < table.shape[0]:
            table[k] = v
    w = table[labels]
    if arrays.w is not None:
        w = w * arrays.w
    return Arrays(arrays.X, arrays.y, w)


def _bytes(t: torch.Tensor) -> bytes:
    t = t.detach().to("cpu").contiguous().reshape(-1)
    return t.view(torch.uint8).numpy().tobytes() if t.numel() else b""


def fingerprint(arrays: Arrays) -> str:
    """A short, deterministic identity of a data set, e.g.
    ``"6000 rows, X (6000, 8) torch.float32, y torch.float32, w none, blake2b 1f3a…"``.

    The hash covers the shapes and dtypes, every label and weight, and the bytes of
    :data:`FINGERPRINT_ROWS` rows of X evenly spread over the data (all rows of smaller
    data sets): cheap on 7M rows (milliseconds), and different for another data set of the
    same size, other labels or other weights. A change confined to rows of X that are not
    sampled goes unnoticed.
    """
    n = len(arrays)
    if n > FINGERPRINT_ROWS:
        rows = torch.arange(FINGERPRINT_ROWS, dtype=torch.int64) * (n - 1) // (FINGERPRINT_ROWS - 1)
        X = arrays.X[rows.to(arrays.X.device)]
    else:
        X = arrays.X
    digest = hashlib.blake2b(digest_size=16)
    for name, t in (("X", arrays.X), ("y", arrays.y), ("w", arrays.w)):
        digest.update(f"{name}:{None if t is None else (tuple(t.shape), str(t.dtype))};".encode())
    for t in (X, arrays.y, arrays.w):
        if t is not None:
            digest.update(_bytes(t))
    w = "none" if arrays.w is None else str(arrays.w.dtype)
    return (f"{n} rows, X {tuple(arrays.X.shape)} {arrays.X.dtype}, y {arrays.y.dtype}, w {w}, "
            f"blake2b {digest.hexdigest()}")


class IndexSampler:
    """Row indices of each epoch: a seeded permutation of range(n), cut into batches.

    The permutation is drawn on the CPU with its own :class:`torch.Generator`, so the order
    is the same on every device. A distributed sampler would return this rank's share.
    """

    def __init__(self, n: int, batch_size: int, seed: int, shuffle: bool = True):
        self.n, self.batch_size, self.shuffle = n, batch_size, shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        """Batches per epoch (the last one may be smaller)."""
        return -(-self.n // self.batch_size)

    def epoch(self, device: torch.device) -> list[torch.Tensor]:
        """The batches of the next epoch: index tensors on ``device``."""
        if self.shuffle:
            order = torch.randperm(self.n, generator=self.generator)
        else:
            order = torch.arange(self.n)
        return list(order.to(device).split(self.batch_size))
