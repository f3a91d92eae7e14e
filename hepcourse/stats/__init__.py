"""Statistics of the course, written once: efficiencies with exact binomial intervals,
working points, background rejection at a fixed signal efficiency with its errors,
paired comparisons of classifiers, cuts chosen on one sample and reported on another,
the expected (Asimov) significance, confusion matrices, calibration and seed ensembles.
The plot modules only draw what these compute.

Conventions: labels are 1 for signal and 0 for background; intervals are central and at
confidence ``cl`` (68.27% by default): Clopper-Pearson (``hist.intervals``) for counts,
DeLong for AUCs, a seeded bootstrap for rejections.

Topics: :mod:`~hepcourse.stats.intervals`, :mod:`~hepcourse.stats.cuts` (working points,
rejection), :mod:`~hepcourse.stats.significance`, :mod:`~hepcourse.stats.classifiers` (AUC,
confusion), :mod:`~hepcourse.stats.calibration`, :mod:`~hepcourse.stats.seeds`,
:mod:`~hepcourse.stats.dependence` (distance correlation, also as a differentiable loss); every public
name is importable from ``hepcourse.stats`` itself. The bump hunt (background fits, local
significance, mass scans, background-only toys, the look-elsewhere effect) is used through
its module: ``stats.bumps.scan(...)``, :mod:`~hepcourse.stats.bumps`.

>>> from hepcourse import stats
>>> eff, low, high = stats.binomial_interval(7, 10)              # 0.7, 0.49, 0.86
>>> wp = stats.working_point(y, score, rejection=1000)            # ε_S at 1/ε_B = 1000
>>> r = stats.rejection_at_efficiency(y, score, efficiency=0.5)  # 1/ε_B at ε_S = 50%, with errors
>>> stats.asimov_significance(10, 100)                           # ≈ S/√B for S ≪ B
>>> stats.bumps.local_significance(mjj, 4000, 280, (2800, 6000), shape="dijet")  # σ
"""
from __future__ import annotations

from . import bumps
from .calibration import expected_calibration_error, reliability_table
from .classifiers import AUC, AUCDifference, auc, auc_difference, confusion
from .cuts import (
    RejectionAtEfficiency,
    RejectionDifference,
    WorkingPoint,
    efficiency_above,
    rejection_at_efficiency,
    rejection_difference,
    working_point,
)
from .dependence import distance_correlation, distance_correlation_torch
from .intervals import ONE_SIGMA, binomial_interval  # noqa: F401  (ONE_SIGMA: the default cl)
from .seeds import SeedSpread, over_seeds, seed_spread
from .significance import (
    OptimisedCut,
    asimov_significance,
    optimise_cut,
    significance_scan,
)

__all__ = [
    "AUC", "AUCDifference", "OptimisedCut", "RejectionAtEfficiency", "RejectionDifference",
    "SeedSpread", "WorkingPoint", "asimov_significance", "auc", "auc_difference",
    "binomial_interval", "bumps", "confusion", "distance_correlation", "distance_correlation_torch", "efficiency_above", "expected_calibration_error",
    "optimise_cut", "over_seeds", "rejection_at_efficiency", "rejection_difference",
    "reliability_table", "seed_spread", "significance_scan", "working_point",
]
