"""Classifier figures with errors: the AUC with its DeLong interval, the paired DeLong
difference of two classifiers on the same events, and confusion matrices."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from .. import validate
from .intervals import ONE_SIGMA, PairedDifference

__all__ = ["AUC", "AUCDifference", "auc", "auc_difference", "confusion"]


def confusion(y_true, y_pred, n_classes: int, normalize: str | None = "true") -> np.ndarray:
    """Confusion matrix C[i, j] = events of true class i predicted as j
    (``sklearn.metrics.confusion_matrix``).

    ``y_pred`` may hold −1 ("unidentified", e.g. from n-sigma cuts): it gets an extra last
    column. normalize: "true" (each row sums to 1: the fraction of class i that ends in
    j), "pred" (each column sums to 1: the purity) or None (counts).
    Shape [n_classes, n_classes] (or [n_classes, n_classes + 1] with unidentified).
    """
    from sklearn.metrics import confusion_matrix

    n_classes = validate.count(n_classes, "n_classes")
    validate.choice(normalize, "normalize", ("true", "pred", None))
    y_true = np.asarray(y_true).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in length")
    if np.any((y_true < 0) | (y_true >= n_classes)):
        raise ValueError(f"y_true must hold labels 0..{n_classes - 1}")
    if np.any((y_pred < -1) | (y_pred >= n_classes)):
        raise ValueError(f"y_pred must hold labels 0..{n_classes - 1} or -1 (unidentified)")
    labels = list(range(n_classes)) + ([-1] if np.any(y_pred == -1) else [])
    counts = confusion_matrix(y_true, y_pred, labels=labels).astype(float)[:n_classes]
    if normalize == "true":
        return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    if normalize == "pred":
        return counts / np.maximum(counts.sum(axis=0, keepdims=True), 1)
    return counts


@dataclass
class AUC:
    """The area under the ROC curve with its DeLong standard error and a central interval."""

    value: float
    error: float
    low: float
    high: float
    cl: float
    n_signal: int
    n_background: int

    def __str__(self) -> str:
        return f"AUC = {self.value:.4f} ± {self.error:.4f} ({self.n_signal} signal, {self.n_background} background)"


@dataclass
class AUCDifference(PairedDifference):
    """AUC(a) − AUC(b) on the same events, with its paired DeLong error and interval."""

    value: float
    error: float
    low: float
    high: float
    cl: float
    auc_a: float
    auc_b: float

    def __str__(self) -> str:
        return f"ΔAUC = {self.value:+.4f} ± {self.error:.4f} ({self.interval_text('+.4f')})"


def _midranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..N of x along the last axis, ties getting their mean rank."""
    from scipy.stats import rankdata

    return rankdata(x, axis=-1, method="average")


def _delong(y, scores: np.ndarray):
    """AUCs [K] and their covariance [K, K] for K score arrays [K, N] (Sun & Xu 2014)."""
    y = np.asarray(y).reshape(-1)
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("labels must be 1 (signal) or 0 (background)")
    if scores.shape[-1] != y.size:
        raise ValueError(f"{scores.shape[-1]} scores for {y.size} labels")
    if not np.all(np.isfinite(scores)):
        raise ValueError("the scores contain NaN or inf")
    pos, neg = scores[:, y == 1], scores[:, y == 0]
    m, n = pos.shape[1], neg.shape[1]
    if m < 2 or n < 2:
        raise ValueError(f"an AUC error needs at least 2 signal and 2 background events; got {m} and {n}")
    combined = _midranks(np.concatenate([pos, neg], axis=1))
    v10 = (combined[:, :m] - _midranks(pos)) / n
    v01 = 1.0 - (combined[:, m:] - _midranks(neg)) / m
    aucs = v10.mean(axis=1)
    cov = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
    return aucs, cov, m, n


def auc(y, score, cl: float = ONE_SIGMA) -> AUC:
    """The AUC of ``score`` [N] for labels ``y`` [N] (1 signal, 0 background), with the
    DeLong standard error and a central interval at ``cl`` (normal approximation, clipped
    to [0, 1]). The value equals ``sklearn.metrics.roc_auc_score``."""
    cl = validate.real(cl, "cl", low=0.0, high=1.0, low_open=True, high_open=True)
    scores = np.asarray(score, dtype=float).reshape(1, -1)
    aucs, cov, m, n = _delong(y, scores)
    error = float(np.sqrt(max(cov[0, 0], 0.0)))
    z = norm.ppf(0.5 + cl / 2)
    value = float(aucs[0])
    return AUC(value, error, max(value - z * error, 0.0), min(value + z * error, 1.0), cl, m, n)


def auc_difference(y, score_a, score_b, cl: float = ONE_SIGMA) -> AUCDifference:
    """AUC(score_a) − AUC(score_b) measured on the SAME events (y [N], two scores [N]),
    with the paired DeLong error: the correlation between the two classifiers is taken
    into account, so the error is much smaller than the two AUC errors added. Use it for
    every "A beats B"; a difference whose interval contains 0 is not distinguishable."""
    cl = validate.real(cl, "cl", low=0.0, high=1.0, low_open=True, high_open=True)
    a = np.asarray(score_a, dtype=float).reshape(-1)
    b = np.asarray(score_b, dtype=float).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"score_a {a.shape} and score_b {b.shape} must be measured on the same events")
    aucs, cov, _, _ = _delong(y, np.stack([a, b]))
    diff = float(aucs[0] - aucs[1])
    error = float(np.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0)))
    z = norm.ppf(0.5 + cl / 2)
    return AUCDifference(diff, error, diff - z * error, diff + z * error, cl, float(aucs[0]), float(aucs[1]))

