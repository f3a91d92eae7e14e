"""Input features seen before any training: pairwise distributions by class and the
correlation matrix, drawn with seaborn (a DataFrame plot serves here better than hist)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def _seaborn():
    try:
        import seaborn
    except ImportError:  # pragma: no cover - seaborn is a core dependency
        raise ImportError("hepcourse.plot.feature_pairs needs seaborn: pip install seaborn") from None
    return seaborn


def feature_pairs(frame, columns, label: str = "label", names=None, n: int = 2000,
                  seed: int = 0, units=None):
    """A seaborn pair plot of ``columns`` of ``frame`` coloured by ``label``: histograms
    on the diagonal, scatter plots (``n`` random rows, for speed) off it.

    names: {label value: legend name} (e.g. {0: "SM tt̄", 1: "X → tt̄"});
    units: {column: unit} for the axis labels (e.g. {"m_jjj": "GeV"}).
    Returns the seaborn PairGrid.
    """
    sns = _seaborn()
    columns = list(columns)
    missing = [c for c in [*columns, label] if c not in frame.columns]
    if missing:
        raise ValueError(f"feature_pairs: columns {missing} are not in the frame")
    sample = frame.sample(min(n, len(frame)), random_state=seed)[[*columns, label]].copy()
    if names:
        sample[label] = sample[label].map(lambda v: names.get(v, names.get(int(v), v)))
    units = units or {}
    sample = sample.rename(columns={c: f"{c} [{units[c]}]" for c in columns if units.get(c)})
    grid = sns.pairplot(sample, hue=label, corner=True, diag_kind="hist", height=1.8,
                        plot_kws={"s": 4, "alpha": 0.4, "linewidth": 0},
                        diag_kws={"element": "step", "fill": False, "common_norm": False,
                                  "stat": "density"})
    return grid


def correlation_matrix(frame, columns, ax=None, title: str | None = None):
    """The Pearson correlation matrix of ``columns`` as a seaborn heat map (values in
    cells, −1 blue to +1 red). Returns the Axes."""
    sns = _seaborn()
    corr = frame[list(columns)].corr()
    if ax is None:
        size = 0.45 * len(corr) + 2
        _, ax = plt.subplots(figsize=(size, size * 0.85))
    mask = np.triu(np.ones_like(corr, dtype=bool), k=1)
    sns.heatmap(corr, mask=mask, vmin=-1, vmax=1, center=0, cmap="coolwarm", square=True,
                annot=len(corr) <= 12, fmt=".2f", cbar_kws={"label": "correlation coefficient"},
                ax=ax)
    if title:
        ax.set_title(title)
    return ax
