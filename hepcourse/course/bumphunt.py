"""The project's bump hunt, done right, for the scorer: a power law for the background on
:data:`hepcourse.course.project.FIT_RANGE` and a Gaussian peak of the simulator's width,
extended unbinned fits (iminuit), and the local significance Z = √q0 with
q0 = fval_b − fval_sb (iminuit's fval is already −2 ln L). A thin layer on the course's
generic bump hunt, :mod:`hepcourse.stats.bumps` (scans, toys, the look-elsewhere effect).

The solutions notebook writes the same fits out in full; tests/test_project_scoring.py
checks :func:`local_significance` against an independent binned likelihood.
"""
from __future__ import annotations

import numpy as np

from ..stats import bumps
from . import project

LOW, HIGH = project.FIT_RANGE


def power_law(m, p):
    """The density m^-p normalised on the fit range :data:`hepcourse.course.project.FIT_RANGE`."""
    return m ** (-p) * (1 - p) / (HIGH ** (1 - p) - LOW ** (1 - p))


def fit_background(masses):
    """The extended unbinned fit of a power law to ``masses`` (GeV; those outside the fit
    range are dropped); returns the Minuit object (``fval`` is −2 ln L)."""
    return bumps.fit_background(masses, project.FIT_RANGE, "power_law").minuit


def fit_peak(masses, m0: float, width: float, start=None):
    """Power law + a Gaussian peak of position ``m0`` and width ``width`` (GeV, fixed),
    n_s ≥ 0; returns the Minuit object. start: (n_b, p) to start from, e.g. the
    background fit's values."""
    start = None if start is None else dict(zip(("n_b", "p"), start))
    return bumps.fit_peak(masses, m0, width, project.FIT_RANGE, "power_law", start=start).minuit


def local_significance(masses, m0: float, width: float | None = None) -> float:
    """The local significance (σ) of a peak at ``m0`` (GeV) in the m_μμ values ``masses``:
    Z = √q0 with q0 = fval(background only) − fval(background + peak), the fvals being
    −2 ln L of the extended unbinned fits (iminuit's convention: no factor 2); q0 = 0
    where the best signal is none. width: the peak's σ in GeV (default
    :func:`hepcourse.simulate.dimuon.peak_width` at m0)."""
    from ..simulate.dimuon import peak_width

    width = float(peak_width(m0)) if width is None else width
    return bumps.local_significance(np.asarray(masses, dtype=float), m0, width, project.FIT_RANGE, "power_law")
