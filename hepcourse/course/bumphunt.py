"""The project's bump hunt, done right, for the scorer: a power law for the background and
a Gaussian peak of the simulator's width, extended unbinned fits (iminuit), and the local
significance Z = √q0 with q0 = fval_b − fval_sb (iminuit's fval is already −2 ln L).

The solutions notebook writes the same fits out in full; tests/test_project_scoring.py
checks :func:`local_significance` against an independent binned likelihood.
"""
from __future__ import annotations

import numpy as np

from . import project

LOW, HIGH = project.FIT_RANGE


def power_law(m, p):
    """The density m^-p normalised on the fit range :data:`hepcourse.course.project.FIT_RANGE`."""
    return m ** (-p) * (1 - p) / (HIGH ** (1 - p) - LOW ** (1 - p))


def _peak(m, m0, width):
    from scipy.stats import norm

    return norm.pdf(m, m0, width) / (norm.cdf(HIGH, m0, width) - norm.cdf(LOW, m0, width))


def fit_background(masses):
    """The extended unbinned fit of a power law to ``masses`` (GeV, inside the fit range);
    returns the Minuit object (``fval`` is −2 ln L)."""
    from iminuit import Minuit
    from iminuit.cost import ExtendedUnbinnedNLL

    fit = Minuit(ExtendedUnbinnedNLL(masses, lambda m, n_b, p: (n_b, n_b * power_law(m, p))),
                 n_b=masses.size, p=4.0)
    fit.limits["n_b"], fit.limits["p"] = (0, None), (1.5, 10)
    fit.migrad()
    return fit


def fit_peak(masses, m0: float, width: float, start=None):
    """Power law + a Gaussian peak of position ``m0`` and width ``width`` (GeV, fixed),
    n_s ≥ 0; returns the Minuit object."""
    from iminuit import Minuit
    from iminuit.cost import ExtendedUnbinnedNLL

    def density(m, n_b, p, n_s):
        return n_b + n_s, n_b * power_law(m, p) + n_s * _peak(m, m0, width)

    n_b, p = (masses.size, 4.0) if start is None else start
    fit = Minuit(ExtendedUnbinnedNLL(masses, density), n_b=n_b, p=p, n_s=1.0)
    fit.limits["n_b"], fit.limits["p"], fit.limits["n_s"] = (0, None), (1.5, 10), (0, None)
    fit.migrad()
    return fit


def local_significance(masses, m0: float, width: float | None = None) -> float:
    """The local significance (σ) of a peak at ``m0`` (GeV) in the m_μμ values ``masses``:
    Z = √q0 with q0 = fval(background only) − fval(background + peak), the fvals being
    −2 ln L of the extended unbinned fits (iminuit's convention: no factor 2). width:
    the peak's σ in GeV (default :func:`hepcourse.simulate.dimuon.peak_width` at m0)."""
    from ..simulate.dimuon import peak_width

    masses = np.asarray(masses, dtype=float)
    masses = masses[(masses > LOW) & (masses < HIGH)]
    width = peak_width(m0) if width is None else width
    background = fit_background(masses)
    peak = fit_peak(masses, m0, width, start=(background.values["n_b"], background.values["p"]))
    return float(np.sqrt(max(background.fval - peak.fval, 0.0)))
