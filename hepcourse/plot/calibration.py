"""Classifier quality plots: the normalised confusion matrix and the reliability diagram
(are the predicted probabilities frequencies?), with the numbers behind them.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["confusion", "confusion_matrix", "expected_calibration_error", "reliability_diagram",
           "reliability_table"]


def confusion(y_true, y_pred, n_classes: int, normalize: str | None = "true") -> np.ndarray:
    """Confusion matrix C[i, j] = tracks of true class i predicted as j.

    ``y_pred`` may hold -1 ("unidentified", e.g. from n-sigma cuts): it gets an extra last
    column. normalize: "true" (each row sums to 1: the fraction of class i that ends in
    j), "pred" (each column sums to 1: the purity) or None (counts).
    Shape [n_classes, n_classes] (or [n_classes, n_classes + 1] with unidentified).
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if normalize not in ("true", "pred", None):
        raise ValueError(f"normalize={normalize!r}; allowed: 'true', 'pred', None")
    if np.any((y_true < 0) | (y_true >= n_classes)):
        raise ValueError(f"y_true must hold labels 0..{n_classes - 1}")
    if np.any((y_pred < -1) | (y_pred >= n_classes)):
        raise ValueError(f"y_pred must hold labels 0..{n_classes - 1} or -1 (unidentified)")
    extra = bool(np.any(y_pred == -1))
    columns = n_classes + extra
    pred = np.where(y_pred == -1, n_classes, y_pred)
    counts = np.bincount(y_true * columns + pred, minlength=n_classes * columns)
    counts = counts.reshape(n_classes, columns).astype(float)
    if normalize == "true":
        return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    if normalize == "pred":
        return counts / np.maximum(counts.sum(axis=0, keepdims=True), 1)
    return counts


def confusion_matrix(y_true, y_pred, names, ax=None, normalize: str = "true",
                     title: str | None = None, cmap: str = "Blues"):
    """Draw the normalised confusion matrix with the value in every cell (in %).

    names: class names in label order (e.g. ``["$\\pi$", "K", "p"]``). Rows are the true
    class, columns the predicted one (plus "none" for unidentified, label -1).
    Returns the Axes.
    """
    names = list(names)
    c = confusion(y_true, y_pred, len(names), normalize)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.imshow(c, cmap=cmap, vmin=0, vmax=1 if normalize else None)
    columns = names + (["none"] if c.shape[1] > len(names) else [])
    for i in range(c.shape[0]):
        for j in range(c.shape[1]):
            value = c[i, j]
            text = (f"{100 * value:.2f}%" if value < 0.9995 else f"{100 * value:.1f}%") \
                if normalize else f"{value:.0f}"
            ax.text(j, i, text, ha="center", va="center", fontsize="small",
                    color="white" if (normalize and value > 0.5) else "black")
    ax.set_xticks(range(len(columns)), columns)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted species")
    ax.set_ylabel("true species")
    if title:
        ax.set_title(title)
    return ax


def reliability_table(y, prob, bins=10) -> pd.DataFrame:
    """The numbers of a reliability diagram for a binary question ("is it a kaon?").

    y: true answers (bool or 0/1) [N]; prob: predicted probabilities [N] in [0, 1];
    bins: a number of equal-width bins in probability, or their edges.
    Returns a DataFrame per non-empty bin: low, high, n, mean_prob (mean prediction),
    fraction (observed fraction of true answers), err_low, err_high (68% Clopper-Pearson).
    A calibrated classifier has fraction ≈ mean_prob in every bin.
    """
    y = np.asarray(y).astype(bool)
    prob = np.asarray(prob, dtype=float)
    if prob.shape != y.shape:
        raise ValueError(f"y and prob must have the same shape; got {y.shape} and {prob.shape}")
    if np.any((prob < 0) | (prob > 1)):
        raise ValueError("prob must lie in [0, 1]")
    edges = np.linspace(0, 1, bins + 1) if np.isscalar(bins) else np.asarray(bins, dtype=float)
    index = np.clip(np.digitize(prob, edges) - 1, 0, len(edges) - 2)
    n = np.bincount(index, minlength=len(edges) - 1)
    k = np.bincount(index, weights=y, minlength=len(edges) - 1)
    s = np.bincount(index, weights=prob, minlength=len(edges) - 1)
    keep = n > 0
    n, k, s = n[keep], k[keep], s[keep]
    frac = k / n
    low = np.where(k > 0, stats.beta.ppf(0.15865, k, n - k + 1), 0.0)
    high = np.where(k < n, stats.beta.ppf(0.84135, k + 1, n - k), 1.0)
    return pd.DataFrame({"low": edges[:-1][keep], "high": edges[1:][keep], "n": n,
                         "mean_prob": s / n, "fraction": frac,
                         "err_low": frac - low, "err_high": high - frac})


def expected_calibration_error(y, prob, bins=10) -> float:
    """Expected calibration error: Σ_bins (n_b/N)·|fraction_b − mean_prob_b|."""
    t = reliability_table(y, prob, bins)
    return float(np.sum(t.n * np.abs(t.fraction - t.mean_prob)) / t.n.sum())


def reliability_diagram(y, prob, bins=10, ax=None, label: str | None = None,
                        counts: bool = True):
    """Observed fraction against predicted probability, with the diagonal of perfect
    calibration and (``counts``) the number of predictions per bin on a log scale in grey
    on a second axis. Call it again on the same ``ax`` to compare classifiers.
    Returns the Axes.
    """
    t = reliability_table(y, prob, bins)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    if not ax.lines:
        ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfectly calibrated")
    ax.errorbar(t.mean_prob, t.fraction, yerr=[t.err_low, t.err_high], fmt="o-", ms=4,
                label=label)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed fraction")
    if counts and not getattr(ax, "_hepcourse_counts", False):
        twin = ax.twinx()
        twin.bar(0.5 * (t.low + t.high), t.n, width=(t.high - t.low) * 0.9, color="grey",
                 alpha=0.2)
        twin.set_yscale("log")
        twin.set_ylim(0.5, 3 * t.n.max())
        twin.set_ylabel("predictions per bin", color="grey")
        ax.set_zorder(twin.get_zorder() + 1)  # points above the bars
        ax.patch.set_visible(False)
        ax._hepcourse_counts = True
    ax.legend(loc="upper left", frameon=False)
    return ax
