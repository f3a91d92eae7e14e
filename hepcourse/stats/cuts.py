"""Cuts on a classifier score: working points at a fixed background rejection, and the
background rejection 1/ε_B at a fixed signal efficiency with errors from both samples,
alone or as a paired comparison of two classifiers on the same events.

The rejection errors come from a seeded bootstrap over events, stratified by class: the
signal and the background events are resampled separately, with replacement, and the
cut is re-derived from each resampled signal sample, so the uncertainty of the threshold
(estimated from the signal events) and of the background count above it both enter.
Intervals are the central percentile intervals of the bootstrap replicas.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import validate
from .intervals import ONE_SIGMA, PairedDifference, binomial_interval, upper_limit

__all__ = ["RejectionAtEfficiency", "RejectionDifference", "WorkingPoint", "efficiency_above",
           "rejection_at_efficiency", "rejection_difference", "working_point"]


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


# --------------------------------------------------------------------------- rejection at ε_S

def _rank(n_signal: int, efficiency: float) -> int:
    """The 1-based ascending rank j of the signal score used as the threshold, so that
    n_signal − j ≈ efficiency·n_signal signal events lie strictly above it."""
    keep = round(efficiency * n_signal)
    if not 1 <= keep <= n_signal - 1:
        raise ValueError(f"efficiency={efficiency:g}: with {n_signal} signal events the cut would keep "
                         f"{keep}; need at least one signal event on each side of it")
    return n_signal - keep


def _central(values: np.ndarray, cl: float) -> tuple[float, float]:
    """Central percentile interval of bootstrap replicas (no interpolation, so ±inf is fine)."""
    values = values[~np.isnan(values)]
    low, high = np.quantile(values, [(1 - cl) / 2, (1 + cl) / 2], method="inverted_cdf")
    return float(low), float(high)


def _inverse(efficiency: float) -> float:
    return 1.0 / efficiency if efficiency > 0 else np.inf


@dataclass
class RejectionAtEfficiency:
    """The background rejection 1/ε_B of the cut ``score > threshold`` that keeps a
    fraction ``target_efficiency`` of the signal, with a central interval at ``cl``.

    rejection, low, high: 1/ε_B and its interval (``high`` is inf when the interval of ε_B
    reaches 0); background_efficiency, background_low, background_high: ε_B and its
    interval; signal_efficiency: the fraction of signal events above the threshold (the
    target up to rounding and ties); n_background_passing: background events above it.
    With no background event passing, rejection and high are inf and ``low`` is the
    one-sided lower limit at ``cl``.
    """

    rejection: float
    low: float
    high: float
    background_efficiency: float
    background_low: float
    background_high: float
    signal_efficiency: float
    threshold: float
    n_signal: int
    n_background: int
    n_background_passing: int
    target_efficiency: float
    cl: float
    n_boot: int

    def __str__(self) -> str:
        if self.n_background_passing == 0:
            value = f"1/ε_B > {self.low:.3g} (no background event passes)"
        else:
            value = f"1/ε_B = {self.rejection:.3g} [{self.low:.3g}, {self.high:.3g}]"
        return (f"{value} at ε_S = {self.signal_efficiency:.3f} ({100 * self.cl:.0f}% interval; "
                f"{self.n_background_passing} of {self.n_background} background and "
                f"{self.n_signal} signal events)")


def rejection_at_efficiency(y, score, efficiency: float = 0.5, cl: float = ONE_SIGMA,
                            n_boot: int = 1000, *, seed=0) -> RejectionAtEfficiency:
    """Background rejection 1/ε_B at a fixed signal efficiency ε_S, with its uncertainty
    from BOTH samples: the threshold is itself estimated from the signal events.

    y: labels [N] (1 signal, 0 background); score [N] (higher = more signal-like);
    efficiency: the target ε_S in (0, 1); cl: confidence of the central interval;
    n_boot: bootstrap replicas; seed: int or numpy Generator (keyword-only).

    The threshold is the signal score with round((1 − ε_S)·N_S) signal scores at or below
    it; ε_B is the fraction of background scores strictly above. The interval is the
    percentile interval of a stratified bootstrap over events (signal and background
    resampled separately), drawn exactly and cheaply: the threshold of a resampled signal
    sample is an order statistic, i.e. the sorted scores read at ⌊U·N_S⌋ with
    U ~ Beta(j, N_S − j + 1), and the background count above a threshold in a resampled
    background sample is Binomial(N_B, fraction above). It is never narrower than the
    Clopper-Pearson interval at the fixed threshold (which alone ignores the threshold's
    error; it matters when few background events pass). With no background event passing,
    the upper limit on ε_B is the one-sided Clopper-Pearson limit at ``cl`` (or the
    bootstrap's, if larger), so 1/ε_B has only a lower limit. Unweighted events only.
    """
    efficiency = validate.real(efficiency, "efficiency", low=0.0, high=1.0, low_open=True, high_open=True)
    cl = validate.real(cl, "cl", low=0.0, high=1.0, low_open=True, high_open=True)
    n_boot = validate.count(n_boot, "n_boot", minimum=100)
    rng = validate.rng(seed)
    s, _, b, _ = _split(y, score)
    s, b = np.sort(s), np.sort(b)
    n_s, n_b = s.size, b.size
    j = _rank(n_s, efficiency)
    threshold = float(s[j - 1])
    passing = int(n_b - np.searchsorted(b, threshold, side="right"))
    # the bootstrap: thresholds of resampled signal samples, background counts above them
    u = rng.beta(j, n_s - j + 1, size=n_boot)
    t_star = s[np.minimum((u * n_s).astype(np.int64), n_s - 1)]
    p_star = (n_b - np.searchsorted(b, t_star, side="right")) / n_b
    eff_star = rng.binomial(n_b, p_star) / n_b
    eff_b = passing / n_b
    _, cp_low, cp_high = binomial_interval(passing, n_b, cl)
    if passing == 0:
        low = 0.0
        high = max(upper_limit(0, n_b, cl), float(np.quantile(eff_star, cl, method="inverted_cdf")))
    else:
        low, high = _central(eff_star, cl)
        low, high = min(low, float(cp_low)), max(high, float(cp_high))
    eff_s = float(np.count_nonzero(s > threshold) / n_s)
    return RejectionAtEfficiency(_inverse(eff_b), _inverse(high), _inverse(low), eff_b, low, high, eff_s,
                                 threshold, n_s, n_b, passing, efficiency, cl, n_boot)


@dataclass
class RejectionDifference(PairedDifference):
    """Rejection(a) − rejection(b) at the same signal efficiency on the SAME events, with a
    paired-bootstrap interval at ``cl``; ``ratio`` = rejection(a)/rejection(b) with its
    interval (ratio_low, ratio_high)."""

    value: float
    low: float
    high: float
    cl: float
    rejection_a: float
    rejection_b: float
    ratio: float
    ratio_low: float
    ratio_high: float
    efficiency: float
    threshold_a: float
    threshold_b: float
    n_boot: int

    def __str__(self) -> str:
        return (f"Δ(1/ε_B) = {self.value:+.3g} at ε_S = {self.efficiency:.2f} ({self.interval_text('+.3g')}; "
                f"ratio {self.ratio:.3f} [{self.ratio_low:.3f}, {self.ratio_high:.3f}])")


def _paired_thresholds(signal: np.ndarray, j: int, n_boot: int, rng) -> np.ndarray:
    """The j-th smallest score of each classifier in n_boot resamplings of the signal
    events, the SAME resampled events for every classifier. signal [K, N_S] → [n_boot, K]."""
    k, n_s = signal.shape
    out = np.empty((n_boot, k))
    chunk = max(1, 2**21 // (k * n_s))
    for start in range(0, n_boot, chunk):
        index = rng.integers(0, n_s, size=(min(chunk, n_boot - start), n_s))
        for i in range(k):
            out[start:start + len(index), i] = np.partition(signal[i][index], j - 1, axis=1)[:, j - 1]
    return out


def rejection_difference(y, score_a, score_b, efficiency: float = 0.5, cl: float = ONE_SIGMA,
                         n_boot: int = 1000, *, seed=0) -> RejectionDifference:
    """Compare two classifiers measured on the SAME events (y [N], score_a [N], score_b [N])
    by their background rejection 1/ε_B at the signal efficiency ``efficiency``.

    Paired bootstrap over events, stratified by class: each replica resamples the signal
    and the background events once and uses the same resampled events for both scores
    (thresholds re-derived from the resampled signal as in :func:`rejection_at_efficiency`;
    the joint background counts above the two thresholds drawn exactly as a multinomial
    over the four pass/fail combinations). The correlation between the classifiers is kept,
    so the interval is much narrower than the two single intervals combined. Needs at least
    one background event passing each cut. seed: int or numpy Generator (keyword-only).
    """
    efficiency = validate.real(efficiency, "efficiency", low=0.0, high=1.0, low_open=True, high_open=True)
    cl = validate.real(cl, "cl", low=0.0, high=1.0, low_open=True, high_open=True)
    n_boot = validate.count(n_boot, "n_boot", minimum=100)
    rng = validate.rng(seed)
    a = np.asarray(score_a, dtype=float).reshape(-1)
    b = np.asarray(score_b, dtype=float).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"score_a {a.shape} and score_b {b.shape} must be measured on the same events")
    sa, _, ba, _ = _split(y, a)
    sb, _, bb, _ = _split(y, b)
    n_s, n_b = sa.size, ba.size
    j = _rank(n_s, efficiency)
    t_a, t_b = float(np.sort(sa)[j - 1]), float(np.sort(sb)[j - 1])
    k_a, k_b = int(np.count_nonzero(ba > t_a)), int(np.count_nonzero(bb > t_b))
    if k_a == 0 or k_b == 0:
        raise ValueError(f"no background event passes the cut of score_{'a' if k_a == 0 else 'b'} at "
                         f"efficiency={efficiency:g}: the rejection is unbounded; use "
                         "rejection_at_efficiency for its lower limit, or more background events")
    thresholds = _paired_thresholds(np.stack([sa, sb]), j, n_boot, rng)
    ta, tb = thresholds[:, 0], thresholds[:, 1]
    ba_sorted, bb_sorted = np.sort(ba), np.sort(bb)
    above_a = n_b - np.searchsorted(ba_sorted, ta, side="right")
    above_b = n_b - np.searchsorted(bb_sorted, tb, side="right")
    # only background events above the loosest thresholds can pass both cuts
    candidates = (ba > ta.min()) & (bb > tb.min())
    ca, cb = ba[candidates], bb[candidates]
    both = np.empty(n_boot, dtype=np.int64)
    chunk = max(1, 2**22 // max(ca.size, 1))
    for start in range(0, n_boot, chunk):
        stop = min(start + chunk, n_boot)
        both[start:stop] = np.count_nonzero((ca > ta[start:stop, None]) & (cb > tb[start:stop, None]), axis=1)
    cells = np.stack([both, above_a - both, above_b - both, n_b - above_a - above_b + both], axis=1)
    counts = rng.multinomial(n_b, cells / n_b)
    ka_star, kb_star = counts[:, 0] + counts[:, 1], counts[:, 0] + counts[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        diff_star = n_b / ka_star - n_b / kb_star
        ratio_star = kb_star / ka_star
    low, high = _central(diff_star, cl)
    ratio_low, ratio_high = _central(ratio_star, cl)
    r_a, r_b = n_b / k_a, n_b / k_b
    return RejectionDifference(r_a - r_b, low, high, cl, r_a, r_b, r_a / r_b, ratio_low, ratio_high,
                               efficiency, t_a, t_b, n_boot)
