"""Calibration of predicted probabilities: reliability tables and the expected calibration
error."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import validate
from .intervals import ONE_SIGMA, binomial_interval

__all__ = ["expected_calibration_error", "reliability_table"]


def reliability_table(y, prob, bins: int = 10, cl: float = ONE_SIGMA) -> pd.DataFrame:
    """The numbers of a reliability diagram for a binary question ("is it a kaon?").

    y: true answers (bool or 0/1) [N]; prob: predicted probabilities [N] in [0, 1];
    bins: the number of equal-width bins in probability.
    Returns a DataFrame per non-empty bin: low, high, n, mean_prob (mean prediction,
    from ``sklearn.calibration.calibration_curve``), fraction (observed fraction of true
    answers), err_low, err_high (Clopper-Pearson at ``cl``). A calibrated classifier has
    fraction ≈ mean_prob in every bin.
    """
    from sklearn.calibration import calibration_curve

    bins = validate.count(bins, "bins")
    y = np.asarray(y).reshape(-1)
    prob = validate.reals(prob, "prob", low=0.0, high=1.0).reshape(-1)
    if prob.shape != y.shape:
        raise ValueError(f"y and prob must have the same shape; got {y.shape} and {prob.shape}")
    y = y.astype(bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    # the same binning as calibration_curve(strategy="uniform")
    index = np.searchsorted(edges[1:-1], prob, side="right")
    n = np.bincount(index, minlength=bins)
    k = np.bincount(index, weights=y, minlength=bins)
    keep = n > 0
    if y.all() or not y.any():
        mean_prob = (np.bincount(index, weights=prob, minlength=bins)[keep] / n[keep])
    else:
        _, mean_prob = calibration_curve(y, prob, n_bins=bins, strategy="uniform")
    frac, low, high = binomial_interval(k[keep], n[keep], cl)
    return pd.DataFrame({"low": edges[:-1][keep], "high": edges[1:][keep], "n": n[keep],
                         "mean_prob": mean_prob, "fraction": frac,
                         "err_low": frac - low, "err_high": high - frac})


def expected_calibration_error(y, prob, bins: int = 10) -> float:
    """Expected calibration error: Σ_bins (n_b/N)·|fraction_b − mean_prob_b|."""
    t = reliability_table(y, prob, bins)
    return float(np.sum(t.n * np.abs(t.fraction - t.mean_prob)) / t.n.sum())
