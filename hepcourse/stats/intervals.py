"""Exact (Clopper-Pearson) intervals of efficiencies, via ``hist.intervals``."""
from __future__ import annotations

import numpy as np
from hist.intervals import clopper_pearson_interval

from .. import validate

__all__ = ["ONE_SIGMA", "binomial_interval"]

ONE_SIGMA = 0.6827


def binomial_interval(k, n, cl: float = ONE_SIGMA):
    """Clopper-Pearson (exact) interval of an efficiency k/n at confidence ``cl``.

    k, n: counts (numbers or arrays of one shape), 0 ≤ k ≤ n.
    Returns (efficiency, low, high) as float arrays; all three are NaN where n = 0.
    """
    cl = validate.real(cl, "cl", low=0.0, high=1.0, low_open=True, high_open=True)
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    if not (np.all(np.isfinite(k)) and np.all(np.isfinite(n))):
        raise ValueError("binomial_interval: k and n must be finite counts")
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("binomial_interval: need 0 <= k <= n for every entry")
    empty = n == 0
    safe_n = np.where(empty, 1.0, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = clopper_pearson_interval(np.atleast_1d(k), np.atleast_1d(safe_n), coverage=cl)
    low, high = low.reshape(k.shape), high.reshape(k.shape)
    eff = np.where(empty, np.nan, k / safe_n)
    return eff, np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def upper_limit(k: int, n: int, cl: float = ONE_SIGMA) -> float:
    """One-sided Clopper-Pearson upper limit at ``cl`` on an efficiency with k of n passing
    (for k = 0: 1 − (1 − cl)^(1/n))."""
    from scipy.stats import beta

    return 1.0 if k >= n else float(beta.ppf(cl, k + 1, n - k))


class PairedDifference:
    """Shared by the paired comparisons (ΔAUC, Δ rejection): a difference whose interval
    [``low``, ``high``] either excludes zero (distinguishable) or not."""

    low: float
    high: float

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero: the two are distinguishable at ``cl``."""
        return self.low > 0 or self.high < 0

    @property
    def verdict(self) -> str:
        """"distinguishable" or "not distinguishable"."""
        return "distinguishable" if self.significant else "not distinguishable"

    def interval_text(self, spec: str) -> str:
        """``"68% interval [-0.0012, +0.0034]: not distinguishable"``, the bounds formatted
        with ``spec`` (e.g. ``"+.4f"``); needs a ``cl`` field (0.68 for 68%)."""
        return f"{100 * self.cl:.0f}% interval [{self.low:{spec}}, {self.high:{spec}}]: {self.verdict}"
