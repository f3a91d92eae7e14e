"""Distance correlation (Székely, Rizzo & Bakirov 2007): a measure of dependence between two
per-event variables that is 0 if and only if they are independent, not only uncorrelated.

For n events with values x_i, y_i and weights w_i (normalised to Σ w = 1), the distances
a_ij = |x_i − x_j| are double-centred, A_ij = a_ij − a_i· − a_·j + a_·· (a_i· = Σ_j w_j a_ij,
a_·· = Σ_i w_i a_i·), likewise B_ij from y, and

    dCov²(x, y) = Σ_ij w_i w_j A_ij B_ij,     dCor²(x, y) = dCov²(x, y) / √(dCov²(x, x) dCov²(y, y)).

dCor is in [0, 1]: 1 for y = a·x + b (a ≠ 0), 0 when either variable is constant. This is
the V-statistic: on n independent events it is positive, falling like 1/√n (dCor²: 1/n).
DisCo (Kasieczka & Shih, arXiv:2001.05310) adds λ·dCor²(score, mass) over each batch to a
loss so that the score stops sculpting the mass.

>>> distance_correlation(score, mass)                       # numpy, for measuring: a float
>>> term = distance_correlation_torch(err, m, squared=True)  # torch, differentiable, O(B²)
"""
from __future__ import annotations

import numpy as np

from .. import validate

__all__ = ["distance_correlation", "distance_correlation_torch"]

def _inputs(x, y, weights):
    x = validate.reals(x, "x").reshape(-1)
    y = validate.reals(y, "y").reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"x has {x.size} values and y {y.size}: give one value of each per event")
    if x.size < 2:
        raise ValueError(f"x and y hold {x.size} event(s); a distance correlation needs at least 2")
    if weights is None:
        w = np.full(x.size, 1.0 / x.size)
    else:
        w = validate.reals(weights, "weights", low=0.0).reshape(-1)
        if w.shape != x.shape:
            raise ValueError(f"weights has {w.size} values for {x.size} events")
        if not w.sum() > 0:
            raise ValueError("weights: at least one weight must be > 0")
        w = w / w.sum()
    return x, y, w


def _standardised(v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """v shifted and scaled to weighted mean 0 and spread 1 (dCor does not change; the sums
    below lose fewer digits); a constant stays constant (0)."""
    v = v - w @ v
    spread = np.sqrt(w @ (v * v))
    return v / spread if spread > 0 else np.zeros_like(v)


def _row_means(v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """a_i· = Σ_j w_j |v_i − v_j| for every i, in O(n log n) through the sorted values."""
    order = np.argsort(v, kind="stable")
    vs, ws = v[order], w[order]
    cw = np.cumsum(ws)                 # Σ_{j ≤ k} w_j
    cwv = np.cumsum(ws * vs)           # Σ_{j ≤ k} w_j v_j
    below = vs * cw - cwv              # Σ_{j ≤ k} w_j (v_k − v_j)
    above = (cwv[-1] - cwv) - vs * (cw[-1] - cw)   # Σ_{j > k} w_j (v_j − v_k)
    out = np.empty_like(v)
    out[order] = below + above
    return out


def _pair_sum(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Σ_ij w_i w_j |x_i − x_j| |y_i − y_j| in O(n log² n): a bottom-up merge over the events
    sorted by x. At each level every event j of a right half meets the events i of the left
    half before it (x_i ≤ x_j); sorting the pair of halves by y splits those into y_i ≤ y_j
    and y_i > y_j, and four running sums (of w, w·x, w·y, w·x·y over the left events) give
    Σ_i w_i (x_j − x_i) |y_j − y_i| for all j at once. Ties contribute 0 either way."""
    order = np.argsort(x, kind="stable")
    x, y, w = x[order], y[order], w[order]
    index = np.arange(x.size)
    total, size = 0.0, 1
    while size < x.size:
        block = index // (2 * size)
        left = (index // size) % 2 == 0
        o = np.lexsort((y, block))            # by block, then by y
        bo, lo = block[o], left[o]
        xo, yo, wo = x[o], y[o], w[o]
        first = np.flatnonzero(np.r_[True, bo[1:] != bo[:-1]])
        parts = []
        for q in (wo, wo * xo, wo * yo, wo * xo * yo):
            q = np.where(lo, q, 0.0)
            running = np.cumsum(q)
            start = (running - q)[first][bo]   # the running sum before the block
            below = running - start            # left events of the block with y up to here
            parts.append((below, np.add.reduceat(q, first)[bo] - below))
        (b0, a0), (bx, ax), (by, ay), (bxy, axy) = parts
        # Σ_i w_i (x_j − x_i)(y_j − y_i) over the left events below y_j, minus the same above
        term = (xo * yo * (b0 - a0) - xo * (by - ay) - yo * (bx - ax) + (bxy - axy))
        total += float(np.sum(np.where(lo, 0.0, wo * term)))
        size *= 2
    return 2.0 * total                         # both orders of every pair


def _dcov2(u, v, w, ru, rv) -> float:
    """Σ_ij w_i w_j A_ij B_ij = Σ w w a b − 2 Σ_i w_i a_i· b_i· + a_·· b_·· (the
    double-centred form expanded)."""
    return _pair_sum(u, v, w) - 2.0 * float(np.sum(w * ru * rv)) + float(w @ ru) * float(w @ rv)


def distance_correlation(x, y, weights=None, *, squared: bool = False) -> float:
    """The distance correlation dCor(x, y) in [0, 1] of two per-event variables x, y [N]
    (any units; dCor does not change under x → a·x + b), optionally with per-event weights
    [N] (≥ 0; a weight k counts like k copies of the event). squared: return dCor² (the
    DisCo term) instead. Returns 0 when x or y is constant.

    Exact, in float64, in O(N log² N) time and O(N) memory (the pair sum by a merge over
    the sorted values, not the N × N matrices): about 1 s for N = 10⁵ on one core.
    """
    x, y, w = _inputs(x, y, weights)
    x, y = _standardised(x, w), _standardised(y, w)
    rx, ry = _row_means(x, w), _row_means(y, w)
    xx = _dcov2(x, x, w, rx, rx)
    yy = _dcov2(y, y, w, ry, ry)
    if xx <= 1e-12 or yy <= 1e-12:  # a constant (after scaling to spread 1, dVar² ≈ 0.1-1)
        return 0.0
    xy = _dcov2(x, y, w, rx, ry)
    r2 = min(max(xy, 0.0) / np.sqrt(xx * yy), 1.0)
    return float(r2 if squared else np.sqrt(r2))


def distance_correlation_torch(x, y, weights=None, *, squared: bool = False):
    """dCor(x, y) (or dCor² with ``squared``) of two tensors [B] as a differentiable scalar
    tensor: the same formula as :func:`distance_correlation`, written as the DisCo reference
    code does (the B × B matrices in memory, O(B²)), for a loss over one batch. weights:
    a tensor [B] of per-event weights ≥ 0, or None. A constant x or y gives 0 (with zero
    gradient); use ``squared=True`` in a loss, since √ has an infinite slope at 0.
    """
    import torch

    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError("x, y: expected torch tensors [B] (use distance_correlation for numpy)")
    x, y = x.reshape(-1), y.reshape(-1).to(x.dtype)
    if x.shape != y.shape:
        raise ValueError(f"x has {x.numel()} values and y {y.numel()}: give one of each per event")
    if x.numel() < 2:
        raise ValueError(f"x and y hold {x.numel()} event(s); a distance correlation needs at least 2")
    if weights is None:
        w = torch.full_like(x, 1.0 / x.numel())
    else:
        w = weights.reshape(-1).to(x)
        if w.shape != x.shape:
            raise ValueError(f"weights has {w.numel()} values for {x.numel()} events")
        w = w / w.sum()

    def centred(v):
        a = (v[:, None] - v[None, :]).abs()
        row = a @ w
        return a - row[:, None] - row[None, :] + w @ row

    A, B = centred(x), centred(y)
    xy = w @ (A * B) @ w
    xx = w @ (A * A) @ w
    yy = w @ (B * B) @ w
    tiny = torch.finfo(x.dtype).tiny
    denominator = torch.sqrt(torch.clamp(xx * yy, min=tiny))
    r2 = torch.where((xx > tiny) & (yy > tiny), torch.clamp(xy, min=0.0) / denominator,
                     torch.zeros_like(xy))
    return r2 if squared else torch.sqrt(torch.clamp(r2, min=tiny))
