"""Classifier quality plots: the normalised confusion matrix and the reliability diagram
(are the predicted probabilities frequencies?); the numbers behind them are
:func:`hepcourse.stats.confusion` and :func:`hepcourse.stats.reliability_table`.
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from ..stats import confusion, reliability_table

__all__ = ["confusion_matrix", "reliability_diagram"]


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
