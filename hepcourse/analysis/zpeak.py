"""Maximum-likelihood fits of mass peaks with iminuit.

The Z→μμ peak model: a Voigt profile (a Breit-Wigner of width Γ convolved with a Gaussian
detector resolution σ) on an exponential background, fitted as an extended unbinned
likelihood in a mass window. Chapter 1 writes this model out in full; this module is the
same recipe, packaged for reuse and tests.

Convention: iminuit's likelihood costs (``UnbinnedNLL``, ``ExtendedUnbinnedNLL``) return
−2 ln L, so their ``errordef`` is 1 and Δ(−2 ln L) = Δfval: a rise of 1 is the 68% (1σ)
interval of one parameter. Never multiply a difference of fvals by 2.
"""
from __future__ import annotations

import warnings

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


def profile(fit: Minuit, parameter: str, values) -> np.ndarray:
    """The profile likelihood Δ(−2 ln L) of one parameter of a fit.

    fit: a Minuit object after MIGRAD (e.g. from :func:`fit_zpeak`); parameter: the name of
    one of its parameters (e.g. "m"); values: the parameter values to scan, shape [K], in
    its units (GeV for "m"). At each value the parameter is fixed and every other free
    parameter re-minimised (``Minuit.mnprofile``); ``fit`` itself is not changed.
    Returns Δ(−2 ln L) = (fval − fit.fval)/errordef, shape [K]: Δfval itself for iminuit's
    likelihood costs (−2 ln L, errordef 1), 2Δfval for a hand-written −ln L (errordef 0.5).
    It crosses 1 at the MINOS interval. Points where the re-minimisation did not converge
    are NaN (with a warning).
    """
    if not isinstance(fit, Minuit) or fit.fmin is None:
        raise TypeError(f"fit={fit!r}: expected an iminuit.Minuit object after migrad()")
    if parameter not in fit.parameters:
        raise ValueError(f"parameter={parameter!r}: the fit's parameters are {list(fit.parameters)}")
    if fit.fixed[parameter]:
        raise ValueError(f"parameter={parameter!r} is fixed in this fit; release it to profile it")
    grid = validate.reals(values, "values", ndim=1)
    if grid.size == 0:
        raise ValueError("values: expected at least one parameter value to scan")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, fval, converged = fit.mnprofile(parameter, grid=grid)
    delta = (np.asarray(fval, dtype=float) - fit.fval) / fit.errordef
    if not np.all(converged):
        warnings.warn(f"profile of {parameter!r}: the fit did not converge at "
                      f"{np.count_nonzero(~converged)} of {grid.size} values (NaN there); "
                      f"first message: {caught[0].message if caught else 'none'}", stacklevel=2)
    return np.where(converged, delta, np.nan)


def profile_crossings(values, delta, level: float = 1.0) -> tuple[float, float]:
    """Where a profile ``delta`` [K] over ``values`` [K] (increasing) rises through
    ``level`` on either side of its minimum, by linear interpolation: (low, high) in the
    units of ``values``. For Δ(−2 ln L) and level 1 that is the 68% interval (MINOS).
    NaN on a side where the scan does not reach ``level``.
    """
    x = validate.reals(values, "values", ndim=1)
    y = np.asarray(delta, dtype=float).reshape(-1)
    if y.shape != x.shape:
        raise ValueError(f"values {x.shape} and delta {y.shape} differ in length")
    if x.size < 3 or np.any(np.diff(x) <= 0):
        raise ValueError("values: need at least three strictly increasing values")
    level = validate.positive(level, "level")
    good = np.isfinite(y)
    x, y = x[good], y[good]
    best = int(np.argmin(y))
    left, right = y[:best + 1][::-1], x[:best + 1][::-1]
    crossings = []
    for ys, xs in ((left, right), (y[best:], x[best:])):
        above = np.nonzero(ys >= level)[0]
        if above.size == 0:
            crossings.append(float("nan"))
            continue
        i = above[0]
        if i == 0:  # the scan's minimum is already above the level
            return float("nan"), float("nan")
        crossings.append(float(np.interp(level, [ys[i - 1], ys[i]], [xs[i - 1], xs[i]])))
    return crossings[0], crossings[1]
