"""Maximum-likelihood fits of mass peaks with iminuit.

The Z→μμ peak model: a Voigt profile (a Breit-Wigner of width Γ convolved with a Gaussian
detector resolution σ) on an exponential background, fitted as an extended unbinned
likelihood in a mass window. Chapter 1 writes this model out in full; this module is the
same recipe, packaged for reuse and tests.
"""
from __future__ import annotations

import numpy as np
from iminuit import Minuit
from iminuit.cost import ExtendedUnbinnedNLL
from scipy.special import voigt_profile

from .. import validate
from ..constants import Z_MASS, Z_WIDTH  # noqa: F401  (Z_MASS re-exported for notebooks)


def _window(window) -> tuple[float, float]:
    bounds = validate.reals(window, "window", ndim=1)
    if bounds.shape != (2,) or not bounds[0] < bounds[1]:
        raise ValueError(f"window={window!r}: need (low, high) in GeV with low < high")
    return float(bounds[0]), float(bounds[1])


def voigt_pdf(x, m, sigma, width, window):
    """Voigt density in x (GeV), normalised to 1 on ``window`` = (low, high) GeV.

    m: peak position (GeV); sigma: Gaussian resolution (GeV); width: Breit-Wigner full
    width Γ (GeV). Shape of x is kept.
    """
    low, high = _window(window)
    sigma = validate.positive(sigma, "sigma")
    width = validate.real(width, "width", low=0.0)
    grid = np.linspace(low, high, 2001)
    norm = np.trapezoid(voigt_profile(grid - m, sigma, width / 2), grid)
    return voigt_profile(np.asarray(x) - m, sigma, width / 2) / norm


def exp_pdf(x, slope, window):
    """exp(-slope·x) normalised to 1 on ``window`` (GeV); slope in 1/GeV (may be ≤ 0)."""
    low, high = _window(window)
    slope = validate.real(slope, "slope")
    x = np.asarray(x)
    if abs(slope) < 1e-9:
        return np.full(x.shape, 1.0 / (high - low))
    norm = (np.exp(-slope * low) - np.exp(-slope * high)) / slope
    return np.exp(-slope * x) / norm


def zpeak_density(window, width=Z_WIDTH):
    """The extended density of iminuit's ExtendedUnbinnedNLL for the Z peak:
    ``density(x, n_sig, n_bkg, m, sigma, slope) -> (n_sig + n_bkg, expected events/GeV)``."""

    def density(x, n_sig, n_bkg, m, sigma, slope):
        return n_sig + n_bkg, (n_sig * voigt_pdf(x, m, sigma, width, window)
                               + n_bkg * exp_pdf(x, slope, window))

    return density


def fit_zpeak(masses, window=(70.0, 110.0), m=91.0, sigma=2.0, slope=0.05,
              width=Z_WIDTH) -> Minuit:
    """Extended unbinned maximum-likelihood fit of a Z peak.

    masses: dimuon masses in GeV, shape [N], finite (values outside ``window`` are dropped);
    window: (low, high) in GeV; m, sigma, slope: starting values (GeV, GeV, 1/GeV; the fit
    keeps m in the window, sigma in [0.1, 10] and slope in [−1, 1]); width: Γ_Z (GeV), fixed.
    Returns the Minuit object after MIGRAD and HESSE: ``fit.values["m"]``,
    ``fit.errors["m"]``, ``fit.valid``.
    """
    masses = validate.reals(masses, "masses", ndim=1)
    low, high = window = _window(window)
    m, sigma, slope = validate.real(m, "m"), validate.positive(sigma, "sigma"), validate.real(slope, "slope")
    width = validate.real(width, "width", low=0.0)
    x = masses[(masses > low) & (masses < high)]
    if x.size < 20:
        raise ValueError(f"only {x.size} masses inside the window {window} GeV; need at least 20")
    cost = ExtendedUnbinnedNLL(x, zpeak_density(window, width))
    fit = Minuit(cost, n_sig=0.9 * x.size, n_bkg=0.1 * x.size, m=m, sigma=sigma, slope=slope)
    fit.limits["n_sig"] = (0, None)
    fit.limits["n_bkg"] = (0, None)
    fit.limits["m"] = window
    fit.limits["sigma"] = (0.1, 10.0)
    fit.limits["slope"] = (-1.0, 1.0)
    fit.migrad()
    fit.hesse()
    return fit
