"""Expected significance of a search: the Asimov formula, a scan over cuts on a
classifier score, and a cut chosen on one sample and reported on another."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import validate
from .cuts import _split, efficiency_above
from .intervals import ONE_SIGMA, binomial_interval

__all__ = ["OptimisedCut", "asimov_significance", "optimise_cut", "significance_scan"]


def asimov_significance(s, b):
    """Median expected discovery significance Z = √(2((s+b) ln(1+s/b) − s)) for s signal
    and b background events (numbers or arrays); ≈ s/√b when s ≪ b. Z = 0 where b ≤ 0."""
    s, b = np.asarray(s, dtype=float), np.asarray(b, dtype=float)
    if np.any(~np.isfinite(s)) or np.any(~np.isfinite(b)) or np.any(s < 0) or np.any(b < 0):
        raise ValueError("asimov_significance: s and b must be finite and ≥ 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.sqrt(np.maximum(2 * ((s + b) * np.log1p(s / b) - s), 0.0))
    return np.where(b > 0, z, 0.0)


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


_FIGURES = {"asimov": "z_asimov", "s_over_sqrt_b": "s_over_sqrt_b"}


@dataclass
class OptimisedCut:
    """A cut ``score > threshold`` chosen where ``figure`` is largest on the validation
    sample, and what it gives on the independent test sample.

    validation: the figure of merit on the validation sample (optimistic: the cut was
    chosen on its fluctuations); test: the same figure on the test sample, the number to
    report. Efficiencies on both samples; on the test sample with Clopper-Pearson intervals
    at ``cl`` from the counts (signal_test_low/high, background_test_low/high).
    expected_signal, expected_background: S = n_signal·ε_S and B = n_background·ε_B on the
    test sample (events after the cut).
    """

    threshold: float
    figure: str
    validation: float
    test: float
    signal_efficiency_validation: float
    background_efficiency_validation: float
    signal_efficiency_test: float
    background_efficiency_test: float
    signal_test_low: float
    signal_test_high: float
    background_test_low: float
    background_test_high: float
    expected_signal: float
    expected_background: float
    n_signal: float
    n_background: float
    cl: float

    @property
    def optimism(self) -> float:
        """validation − test: how much choosing on the validation sample flattered it."""
        return self.validation - self.test

    def __str__(self) -> str:
        return (f"score > {self.threshold:.4g} ({self.figure}): {self.test:.2f} on the test sample "
                f"(S = {self.expected_signal:.3g}, B = {self.expected_background:.3g}); "
                f"{self.validation:.2f} on the validation sample where it was chosen")


def optimise_cut(y_val, score_val, y_test, score_test, n_signal: float, n_background: float, *,
                 figure: str = "asimov", points: int = 200, min_background: float = 1.0,
                 cl: float = ONE_SIGMA) -> OptimisedCut:
    """Choose a cut on a validation sample, report it on a test sample.

    y_val, score_val: labels (1 signal, 0 background) and scores [N_val] of the validation
    events, where the threshold is chosen: the maximum of ``figure`` ("asimov" for
    :func:`asimov_significance`, "s_over_sqrt_b" for S/√B) over the scan of
    :func:`significance_scan` (``points``, ``min_background`` as there). y_test,
    score_test [N_test]: independent events, used once, at that threshold. n_signal,
    n_background: expected events of the search before the cut, so S = n_signal·ε_S and
    B = n_background·ε_B. The validation value is biased up (the maximum of noisy values);
    the test value is not. A figure with B = 0 on the test sample is 0 (asimov) or inf.
    """
    validate.choice(figure, "figure", tuple(_FIGURES))
    cl = validate.real(cl, "cl", low=0.0, high=1.0, low_open=True, high_open=True)
    scan = significance_scan(y_val, score_val, n_signal, n_background, points=points,
                             min_background=min_background)
    if scan.empty:
        raise ValueError(f"no cut on the validation sample leaves B ≥ min_background={min_background:g} "
                         "and ≥ 10 background events: use more validation events")
    best = scan.iloc[int(np.argmax(scan[_FIGURES[figure]].to_numpy()))]
    threshold = float(best.threshold)
    s, _, b, _ = _split(y_test, score_test)
    k_s = int(np.count_nonzero(s > threshold))
    k_b = int(np.count_nonzero(b > threshold))
    (eff_s, eff_b), (s_low, b_low), (s_high, b_high) = binomial_interval([k_s, k_b], [s.size, b.size], cl)
    S, B = n_signal * eff_s, n_background * eff_b
    if figure == "asimov":
        test = float(asimov_significance(S, B))
    else:
        test = float(S / np.sqrt(B)) if B > 0 else np.inf
    return OptimisedCut(threshold, figure, float(best[_FIGURES[figure]]), test, float(best.eff_signal),
                        float(best.eff_background), float(eff_s), float(eff_b), float(s_low), float(s_high),
                        float(b_low), float(b_high), float(S), float(B), float(n_signal),
                        float(n_background), cl)
