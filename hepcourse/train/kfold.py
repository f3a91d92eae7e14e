"""k-fold cross-validation with an inner validation split (chapter 5).

Each of the K folds is held out once. The rest, the fold's training part, is split again:
most of it trains the network, a stratified inner validation part drives early stopping
and the learning-rate schedule. The held-out fold is touched by nothing but the final
measurement, so the K held-out scores are honest estimates, and together (the
"out-of-fold" scores) they cover every event of the pool exactly once.

>>> from hepcourse.train.kfold import nested_folds
>>> for fold in nested_folds(labels, k=4, inner_fraction=0.2, seed=0):
...     fit(net, (x[fold.train], y[fold.train]), (x[fold.val], y[fold.val]), ...)
...     auc = roc_auc_score(y[fold.held_out], predict(net, x[fold.held_out]))
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import validate

__all__ = ["Fold", "nested_folds"]


class Fold(NamedTuple):
    """Index arrays into the pool (disjoint; together they are the whole pool).

    train: the events the model is fitted on; val: the inner validation events (early
    stopping, schedule); held_out: the fold, used only to measure the trained model.
    """

    train: np.ndarray
    val: np.ndarray
    held_out: np.ndarray


def nested_folds(labels, k: int = 4, inner_fraction: float = 0.2, seed: int = 0) -> list[Fold]:
    """Stratified K-fold splits of a pool with a stratified inner validation split.

    labels: class labels [N] (any hashable values; stratification keeps every class's
    fraction in each part). k: number of folds (≥ 2). inner_fraction: the fraction of each
    fold's training part kept for the inner validation (0 < f < 1). seed: the shuffling.
    Returns K :class:`Fold` s; their ``held_out`` parts partition the pool.
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split

    k = validate.count(k, "k", minimum=2)
    inner_fraction = validate.real(inner_fraction, "inner_fraction", low=0.0, high=1.0,
                                   low_open=True, high_open=True)
    y = np.asarray(labels).reshape(-1)
    outer = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    folds = []
    for i, (rest, held_out) in enumerate(outer.split(np.zeros(len(y)), y)):
        train, val = train_test_split(rest, test_size=inner_fraction, stratify=y[rest],
                                      random_state=seed + 1000 + i)
        folds.append(Fold(np.sort(train), np.sort(val), np.sort(held_out)))
    return folds
