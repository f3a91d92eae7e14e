"""Statistics of the course, written once: efficiencies with exact binomial intervals,
working points at a fixed background rejection, the expected (Asimov) significance,
confusion matrices and calibration. The plot modules only draw what these compute.

Conventions: labels are 1 for signal and 0 for background; intervals are central
Clopper-Pearson intervals (``hist.intervals``) at confidence ``cl`` (68.27% by default).

>>> from hepcourse import stats
>>> eff, low, high = stats.binomial_interval(7, 10)           # 0.7, 0.49, 0.86
>>> wp = stats.working_point(y, score, rejection=1000)         # ε_S at 1/ε_B = 1000
>>> stats.asimov_significance(10, 100)                        # ≈ S/√B for S ≪ B
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from hist.intervals import clopper_pearson_interval
from scipy.stats import norm

from . import validate

__all__ = [
    "AUC", "AUCDifference", "SeedSpread", "WorkingPoint", "asimov_significance", "auc",
    "auc_difference", "binomial_interval", "confusion", "efficiency_above",
    "expected_calibration_error", "reliability_table", "seed_spread", "significance_scan",
    "working_point",
]

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


def asimov_significance(s, b):
    """Median expected discovery significance Z = √(2((s+b) ln(1+s/b) − s)) for s signal
    and b background events (numbers or arrays); ≈ s/√b when s ≪ b. Z = 0 where b ≤ 0."""
    s, b = np.asarray(s, dtype=float), np.asarray(b, dtype=float)
    if np.any(~np.isfinite(s)) or np.any(~np.isfinite(b)) or np.any(s < 0) or np.any(b < 0):
        raise ValueError("asimov_significance: s and b must be finite and ≥ 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.sqrt(np.maximum(2 * ((s + b) * np.log1p(s / b) - s), 0.0))
    return np.where(b > 0, z, 0.0)


# --------------------------------------------------------------------------- working points

def _split(y, score, sample_weight=None):
    y = np.asarray(y).reshape(-1)
    score = np.asarray(score, dtype=np.float64).reshape(-1)
    if y.shape != score.shape:
        raise ValueError(f"labels {y.shape} and scores {score.shape} differ in length")
    if not np.all(np.isfinite(score)):
        raise ValueError("the scores contain NaN or inf")
    if sample_weight is None:
        w = np.ones_like(score)
    else:
        w = validate.reals(sample_weight, "sample_weight", low=0.0).reshape(-1)
        if w.shape != score.shape:
            raise ValueError(f"sample_weight {w.shape} and scores {score.shape} differ in length")
    signal = y == 1
    if not np.all((y == 0) | signal):
        raise ValueError("labels must be 1 (signal) or 0 (background)")
    if not signal.any() or signal.all():
        raise ValueError("need both signal (label 1) and background (label 0) events")
    return score[signal], w[signal], score[~signal], w[~signal]


def efficiency_above(scores, weights, thresholds) -> np.ndarray:
    """Weighted fraction of ``scores`` [N] strictly above each of ``thresholds`` [T]."""
    scores, weights = np.asarray(scores, float), np.asarray(weights, float)
    order = np.argsort(scores)
    s, w = scores[order], weights[order]
    above = np.concatenate([np.cumsum(w[::-1])[::-1], [0.0]])
    return above[np.searchsorted(s, thresholds, side="right")] / w.sum()


@dataclass
class WorkingPoint:
    """A cut ``score > threshold`` and what it keeps.

    signal_efficiency ε_S with its 68% Clopper-Pearson interval (signal_low, signal_high;
    ``signal_efficiency_error`` is half its width), background_efficiency ε_B (the
    rejection is 1/ε_B), and how many labelled signal and background events measured them.
    """

    threshold: float
    signal_efficiency: float
    signal_efficiency_error: float
    background_efficiency: float
    n_signal: int
    n_background: int
    signal_low: float = float("nan")
    signal_high: float = float("nan")

    @property
    def rejection(self) -> float:
        return 1.0 / self.background_efficiency if self.background_efficiency > 0 else np.inf

    def __str__(self) -> str:
        return (f"score > {self.threshold:.4g}: signal efficiency {self.signal_efficiency:.3f} "
                f"± {self.signal_efficiency_error:.3f} at background rejection {self.rejection:.0f} "
                f"({self.n_signal} signal, {self.n_background} background events)")


def working_point(y, score, rejection: float = 1000.0, sample_weight=None) -> WorkingPoint:
    """The cut on ``score`` that keeps a fraction 1/rejection of the background, and the
    signal efficiency there.

    y: labels [N] (1 signal, 0 background); score [N]; sample_weight [N] optional.
    The threshold is the (1 − 1/rejection) quantile of the background scores, so it needs
    more than ``rejection`` background events (a ValueError says so when there are fewer).
    With weights the binomial interval uses the effective number of signal events.
    """
    rejection = validate.real(rejection, "rejection", low=1.0, low_open=True)
    s, ws, b, wb = _split(y, score, sample_weight)
    if len(b) < rejection:
        raise ValueError(f"a background rejection of {rejection:g} needs more than {rejection:g} "
                         f"background events; got {len(b)}")
    order = np.argsort(b)
    cum = np.cumsum(wb[order]) / wb.sum()
    threshold = float(b[order][min(np.searchsorted(cum, 1 - 1 / rejection), len(b) - 1)])
    eff_s = float(efficiency_above(s, ws, [threshold])[0])
    eff_b = float(efficiency_above(b, wb, [threshold])[0])
    n_eff = ws.sum() ** 2 / np.sum(ws**2)
    _, low, high = binomial_interval(eff_s * n_eff, n_eff)
    return WorkingPoint(threshold, eff_s, float(high - low) / 2, eff_b, len(s), len(b),
                        float(low), float(high))


def significance_scan(y, score, n_signal: float, n_background: float, sample_weight=None,
                      points: int = 200, min_background: float = 1.0) -> pd.DataFrame:
    """Expected significance of a cut ``score > threshold`` for a search that expects
    ``n_signal`` signal and ``n_background`` background events before the cut.

    The efficiencies come from the labelled events (y, score); S = n_signal·ε_S and
    B = n_background·ε_B. Returns a DataFrame with one row per threshold (``points``
    quantiles of the signal scores): threshold, eff_signal, eff_background, S, B,
    ``s_over_sqrt_b`` = S/√B and ``z_asimov`` (:func:`asimov_significance`, the better
    formula when B is small). Thresholds that leave B < ``min_background`` events, or
    fewer than 10 background events in the sample, are dropped: there the efficiency is
    not measured, only guessed. Choose a cut on one sample and report it on another.
    """
    n_signal = validate.positive(n_signal, "n_signal")
    n_background = validate.positive(n_background, "n_background")
    points = validate.count(points, "points", minimum=2)
    min_background = validate.real(min_background, "min_background", low=0.0)
    s, ws, b, wb = _split(y, score, sample_weight)
    thresholds = np.unique(np.quantile(s, np.linspace(0, 0.999, points)))
    eff_s = efficiency_above(s, ws, thresholds)
    eff_b = efficiency_above(b, wb, thresholds)
    n_b_sample = efficiency_above(b, np.ones_like(b), thresholds) * len(b)
    S, B = n_signal * eff_s, n_background * eff_b
    keep = (B >= min_background) & (n_b_sample >= 10) & (B > 0)
    S, B = S[keep], B[keep]
    return pd.DataFrame({"threshold": thresholds[keep], "eff_signal": eff_s[keep],
                         "eff_background": eff_b[keep], "S": S, "B": B,
                         "s_over_sqrt_b": S / np.sqrt(B), "z_asimov": asimov_significance(S, B)})


# --------------------------------------------------------------------------- classification

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


# --------------------------------------------------------------------------- AUC with errors

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
class AUCDifference:
    """AUC(a) − AUC(b) on the same events, with its paired DeLong error and interval."""

    value: float
    error: float
    low: float
    high: float
    cl: float
    auc_a: float
    auc_b: float

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero: the two are distinguishable at ``cl``."""
        return self.low > 0 or self.high < 0

    def __str__(self) -> str:
        verdict = "distinguishable" if self.significant else "not distinguishable"
        return (f"ΔAUC = {self.value:+.4f} ± {self.error:.4f} "
                f"({100 * self.cl:.0f}% interval [{self.low:+.4f}, {self.high:+.4f}]: {verdict})")


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


@dataclass
class SeedSpread:
    """A number measured with several seeds: mean, standard deviation between seeds
    (ddof = 1), standard error of the mean, and the values themselves."""

    mean: float
    std: float
    error: float
    values: tuple

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.std:.4f} (spread of {len(self.values)} seeds)"


def seed_spread(values) -> SeedSpread:
    """Summarise one quantity measured over seeds (at least two values)."""
    v = validate.reals(values, "values", ndim=1)
    if v.size < 2:
        raise ValueError(f"values: a seed spread needs at least two seeds; got {v.size}")
    std = float(np.std(v, ddof=1))
    return SeedSpread(float(v.mean()), std, std / np.sqrt(v.size), tuple(float(x) for x in v))
