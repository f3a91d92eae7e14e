"""Physics baselines that a classifier of images must beat (chapter 5).

- :class:`HistogramRatio`: the likelihood ratio p(x|S)/p(x|B) of one or two features,
  estimated as a ratio of histograms filled with training events (Neyman-Pearson: the
  best possible use of those features, up to the binning);
- :func:`boosted_trees`: a gradient-boosted decision-tree classifier (scikit-learn's
  ``HistGradientBoostingClassifier``) on a table of features, with early stopping on an
  inner validation split of the training events.

Both are fitted on training events only; score the test events with the fitted object.
"""
from __future__ import annotations

import numpy as np

from .. import validate

__all__ = ["HistogramRatio", "boosted_trees"]


class HistogramRatio:
    """Likelihood ratio of d features (d = 1 or 2) from histograms of training events.

    values: [N] or [N, d] training features; labels: [N] (1 signal, 0 background).
    bins: bins per feature, with edges at quantiles of the training values (so every bin
    holds events); ``prior`` (default 0.5) is added to every bin count of each class
    before normalising, so that empty bins give a finite ratio.
    Calling the object on [M] or [M, d] values returns the ratio [M]; values outside the
    training range fall in the first or last bin.
    """

    def __init__(self, values, labels, bins: int = 40, prior: float = 0.5):
        bins = validate.count(bins, "bins", minimum=1)
        x = self._columns(values)
        y = np.asarray(labels).reshape(-1)
        if len(y) != len(x):
            raise ValueError(f"{len(x)} feature rows for {len(y)} labels")
        if not np.any(y == 1) or not np.any(y == 0):
            raise ValueError("HistogramRatio needs signal (1) and background (0) training events")
        self.edges = [np.unique(np.quantile(c, np.linspace(0, 1, bins + 1))) for c in x.T]
        s = np.histogramdd(x[y == 1], bins=self.edges)[0] + prior
        b = np.histogramdd(x[y == 0], bins=self.edges)[0] + prior
        self.ratio = (s / s.sum()) / (b / b.sum())

    @staticmethod
    def _columns(values) -> np.ndarray:
        x = np.asarray(values, dtype=float)
        x = x.reshape(-1, 1) if x.ndim == 1 else x
        if x.ndim != 2 or x.shape[1] not in (1, 2):
            raise ValueError(f"values must be [N] or [N, 2]; got shape {np.shape(values)}")
        return x

    def __call__(self, values) -> np.ndarray:
        x = self._columns(values)
        if x.shape[1] != len(self.edges):
            raise ValueError(f"fitted on {len(self.edges)} feature(s), called with {x.shape[1]}")
        index = tuple(np.clip(np.searchsorted(e, c, side="right") - 1, 0, len(e) - 2)
                      for e, c in zip(self.edges, x.T))
        return self.ratio[index]


def boosted_trees(features, labels, seed: int = 0, validation_fraction: float = 0.2,
                  max_iter: int = 500, learning_rate: float = 0.1):
    """A gradient-boosted tree classifier fitted on ``features`` [N, d] (array or
    DataFrame) with ``labels`` [N] (1 signal, 0 background).

    Early stopping: ``validation_fraction`` of the training events (stratified, seeded) is
    held back and boosting stops when its loss has not improved for 10 iterations (at most
    ``max_iter``). Classes are weighted to equal total weight (``class_weight="balanced"``).
    Returns the fitted ``HistGradientBoostingClassifier``; score with
    ``model.predict_proba(x)[:, 1]``. The fit runs on one OpenMP thread: on the course's
    samples (at most ~10^5 events of a few features) that costs little on an idle 2-core
    machine, and two threads on a busy one (a second process, a test worker) run many times
    slower than one (measured: 15× for the small fits of chapter 7's tests).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    validation_fraction = validate.real(validation_fraction, "validation_fraction", low=0.0, high=1.0,
                                        low_open=True, high_open=True)
    model = HistGradientBoostingClassifier(max_iter=validate.count(max_iter, "max_iter"),
                                           learning_rate=learning_rate, early_stopping=True,
                                           validation_fraction=validation_fraction, n_iter_no_change=10,
                                           class_weight="balanced", random_state=seed)
    with threadpool_limits(limits=1, user_api="openmp"):
        return model.fit(features, np.asarray(labels).reshape(-1))
