"""A generic bump hunt: a smooth background on a fit range, a Gaussian peak of fixed
position and width on top, extended unbinned fits (iminuit), the local significance
Z = √q0 with q0 = fval_b − fval_sb (iminuit's fval is already −2 ln L), a scan over peak
positions, and the look-elsewhere effect from background-only toys (Gross & Vitells).

Backgrounds, normalised on the fit range (low, high) in GeV:

- ``"power_law"``: f(m) ∝ m^-p (normalised analytically);
- ``"dijet"``: f(m) ∝ (1 − x)^a / x^(b + c ln x), x = m/√s, the LHC dijet searches'
  function, normalised on a Gauss-Legendre grid in ln m (to ~1e-12); the log term matters
  on wide ranges (160 000 QCD dijets in 2.8-6 TeV: χ² 104/61 bins at c = 0, 57/60 free);
- ``"dijet3"``: the same at c = 0, for narrow ranges and small samples (where c is not
  determined and runs to its limits). Events outside the fit range are dropped everywhere.

>>> from hepcourse.stats import bumps
>>> background = bumps.fit_background(mjj, (2800, 6000), shape="dijet")
>>> table = bumps.scan(mjj, np.arange(3000, 5600, 100), lambda m: 0.07 * m, (2800, 6000), "dijet")
>>> toys = bumps.scan_toys(background, table.m0, lambda m: 0.07 * m, n_toys=50, seed=1)  # [50, 26]
>>> bumps.global_significance(table.z.max(), toys)     # p_local, trials factor, Z_global, direct count
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .. import validate
from .intervals import ONE_SIGMA, binomial_interval

__all__ = ["SHAPES", "BackgroundFit", "GlobalSignificance", "LocalExcess", "PeakFit", "fit_background",
           "fit_peak", "global_significance", "local_excess", "local_significance", "scan", "scan_toys"]

#: The background shapes and their parameters (besides the number of events n_b).
SHAPES = {"power_law": ("p",), "dijet": ("a", "b", "c"), "dijet3": ("a", "b")}
_LIMITS = {"p": (0.0, 30.0), "a": (-50.0, 200.0), "b": (-30.0, 60.0), "c": (-10.0, 10.0)}
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(96)


def _check_setup(fit_range, shape: str, sqrt_s: float) -> tuple[tuple[float, float], float]:
    validate.choice(shape, "shape", tuple(SHAPES))
    sqrt_s = validate.positive(sqrt_s, "sqrt_s")
    bounds = validate.reals(fit_range, "fit_range", ndim=1)
    if bounds.shape != (2,) or not 0 < bounds[0] < bounds[1]:
        raise ValueError(f"fit_range={fit_range!r}: expected (low, high) in GeV with 0 < low < high")
    low, high = float(bounds[0]), float(bounds[1])
    if shape != "power_law" and high >= sqrt_s:
        raise ValueError(f"fit_range={fit_range!r}: the dijet function needs high < sqrt_s = {sqrt_s:g} GeV")
    return (low, high), sqrt_s


def _in_range(masses, fit_range) -> np.ndarray:
    masses = validate.reals(masses, "masses", ndim=1)
    low, high = fit_range
    inside = masses[(masses > low) & (masses < high)]
    if inside.size == 0:
        raise ValueError(f"masses: none of the {masses.size} events lies inside fit_range=({low:g}, "
                         f"{high:g}) GeV; give masses in GeV and a fit range that holds them")
    return inside


def _features(shape: str, m, sqrt_s: float) -> tuple[np.ndarray, ...]:
    """The data-dependent pieces of ln f: (ln m,) or (ln(1 − x), ln x) with x = m/√s."""
    log_m = np.log(np.asarray(m, dtype=float))
    return (log_m,) if shape == "power_law" else (np.log1p(-np.exp(log_m) / sqrt_s), log_m - np.log(sqrt_s))


def _log_f(shape: str, features, params) -> np.ndarray:
    """ln of the unnormalised background shape from :func:`_features`."""
    if shape == "power_law":
        return -params[0] * features[0]
    return params[0] * features[0] - (params[1] + (params[2] if len(params) > 2 else 0.0) * features[1]) * features[1]


def _log_norm(shape: str, params, fit_range, sqrt_s: float) -> float:
    """ln ∫ f dm over ``fit_range``: analytic for the power law, Gauss-Legendre in ln m
    for the dijet function (∫ f dm = ∫ f(e^t) e^t dt)."""
    low, high = fit_range
    span = np.log(high / low)
    if shape == "power_law":
        k = (1.0 - params[0]) * span  # ∫ m^-p dm = low^(1-p) · span · (e^k − 1)/k, stable at p = 1
        return float((1.0 - params[0]) * np.log(low) + np.log(span)
                     + (np.log(np.expm1(k) / k) if abs(k) > 1e-12 else 0.0))
    t = np.log(low) + 0.5 * span * (_NODES + 1.0)
    g = _log_f(shape, _features(shape, np.exp(t), sqrt_s), params) + t
    top = g.max()
    return float(top + np.log(0.5 * span * np.sum(_WEIGHTS * np.exp(g - top))))


def _gaussian(m, m0, width, fit_range) -> np.ndarray:
    """The Gaussian density of mean m0, σ width (GeV) truncated to ``fit_range``, at m [N]."""
    low, high = fit_range
    inside = ndtr((high - m0) / width) - ndtr((low - m0) / width)
    return np.exp(-0.5 * ((m - m0) / width) ** 2) / (np.sqrt(2 * np.pi) * width * inside)


@dataclass(frozen=True)
class _Fit:
    minuit: object = field(repr=False)
    shape: str
    fit_range: tuple[float, float]
    sqrt_s: float
    n_events: int

    @property
    def fval(self) -> float:
        """−2 ln L at the minimum (iminuit's convention)."""
        return float(self.minuit.fval)

    @property
    def valid(self) -> bool:
        return bool(self.minuit.valid)

    @property
    def values(self) -> dict[str, float]:
        """The fitted parameters by name: n_b, the shape's parameters (and n_s for a peak)."""
        return dict(zip(self.minuit.parameters, map(float, self.minuit.values)))

    def background_pdf(self, m) -> np.ndarray:
        """The fitted background shape, normalised to 1 on the fit range (per GeV), at m [N]."""
        params = [self.values[name] for name in SHAPES[self.shape]]
        log_f = _log_f(self.shape, _features(self.shape, m, self.sqrt_s), params)
        return np.exp(log_f - _log_norm(self.shape, params, self.fit_range, self.sqrt_s))


@dataclass(frozen=True)
class BackgroundFit(_Fit):
    """An extended unbinned fit of a background shape: ``minuit`` (the Minuit object),
    ``shape``, ``fit_range`` (GeV), ``sqrt_s`` (GeV), ``n_events`` (fitted events)."""

    def density(self, m) -> np.ndarray:
        """The fitted background in events per GeV at m (GeV) [N]."""
        return self.values["n_b"] * self.background_pdf(m)

    def sample(self, seed=0, grid: int = 4097) -> np.ndarray:
        """A background-only toy data set: Poisson(n_b) masses (GeV) [N] drawn from the
        fitted shape by inverting its CDF, tabulated on ``grid`` points in ln m.
        seed: an int or a numpy Generator (advanced)."""
        rng = validate.rng(seed)
        low, high = self.fit_range
        t = np.linspace(np.log(low), np.log(high), validate.count(grid, "grid", minimum=3))
        g = self.background_pdf(np.exp(t)) * np.exp(t)
        cdf = np.r_[0.0, np.cumsum(0.5 * (g[1:] + g[:-1]) * np.diff(t))]
        u = rng.uniform(size=rng.poisson(self.values["n_b"]))
        return np.exp(np.interp(u * cdf[-1], cdf, t))


@dataclass(frozen=True)
class PeakFit(_Fit):
    """Background + a Gaussian of fixed ``m0`` and ``width`` (GeV) truncated to the fit
    range, n_s ≥ 0 signal events; fields as :class:`BackgroundFit`."""

    m0: float
    width: float

    def density(self, m) -> np.ndarray:
        """The fitted background + peak in events per GeV at m (GeV) [N]."""
        peak = _gaussian(np.asarray(m, dtype=float), self.m0, self.width, self.fit_range)
        return self.values["n_b"] * self.background_pdf(m) + self.values["n_s"] * peak


def _start(shape: str, masses, fit_range) -> dict[str, float]:
    """Starting values: the Hill estimate of a power law's index for both shapes (a = 0)."""
    p = float(np.clip(1.0 + masses.size / max(np.sum(np.log(masses / fit_range[0])), 1e-12), 0.5, 25.0))
    shape_start = {"p": p} if shape == "power_law" else {"a": 0.0, "b": p, "c": 0.0}
    return {"n_b": float(masses.size), **{k: shape_start[k] for k in SHAPES[shape]}}


def _fit(masses, fit_range, shape, sqrt_s, start, peak=None):
    from iminuit import Minuit
    from iminuit.cost import ExtendedUnbinnedNLL

    names = SHAPES[shape]
    k = len(names)
    m0, width = peak or (None, None)
    cache = {}  # the data-dependent pieces, computed once for the data array iminuit passes

    def on(m):
        if cache.get("m") is not m:
            cache.update(m=m, features=_features(shape, m, sqrt_s),
                         signal=None if peak is None else _gaussian(m, m0, width, fit_range))
        return cache["features"], cache["signal"]

    def model(m, *args):  # args: n_b, the shape's parameters, (n_s); returns ln of the density
        features, signal = on(m)
        params = args[1:k + 1]
        log_b = _log_f(shape, features, params) - _log_norm(shape, params, fit_range, sqrt_s)
        if peak is None:
            return args[0], np.log(args[0]) + log_b
        return args[0] + args[k + 1], np.log(args[0] * np.exp(log_b) + args[k + 1] * signal)

    parameters = ("n_b",) + names + (() if peak is None else ("n_s",))
    cost = ExtendedUnbinnedNLL(masses, model, name=parameters, log=True)
    minuit = Minuit(cost, **{p: start[p] for p in parameters})
    for name in parameters:
        minuit.limits[name] = _LIMITS.get(name, (0, None))  # n_b, n_s ≥ 0
    if not minuit.migrad().valid:
        minuit.simplex().migrad()
    for fixed in ((True, False) if not minuit.valid and "c" in parameters else ()):
        minuit.values["c"] = 0.0 if fixed else minuit.values["c"]  # a runaway log term: refit from
        minuit.fixed["c"] = fixed                                   # c = 0, then free it again
        minuit.migrad()
    if not minuit.valid:
        what = "background" if peak is None else f"background + peak at m0={m0:g} GeV (width {width:g})"
        raise RuntimeError(f"the {shape} {what} fit of {masses.size} events on fit_range=({fit_range[0]:g}, "
                           f"{fit_range[1]:g}) GeV did not converge (fval {minuit.fval:.6g}, values "
                           f"{dict(zip(parameters, np.round(minuit.values, 4)))}); use more events, a "
                           "narrower range or the other shape")
    return minuit


def _background(masses, fit_range, shape, sqrt_s, start=None) -> BackgroundFit:
    minuit = _fit(masses, fit_range, shape, sqrt_s, start or _start(shape, masses, fit_range))
    return BackgroundFit(minuit, shape, fit_range, sqrt_s, int(masses.size))


def fit_background(masses, fit_range, shape: str = "power_law", sqrt_s: float = 13000.0) -> BackgroundFit:
    """The extended unbinned fit of a background ``shape`` (see :data:`SHAPES`) to the
    ``masses`` [N] (GeV) inside ``fit_range`` = (low, high) GeV; ``sqrt_s`` (GeV) sets
    x = m/√s of the dijet function. Raises RuntimeError when the fit does not converge."""
    fit_range, sqrt_s = _check_setup(fit_range, shape, sqrt_s)
    return _background(_in_range(masses, fit_range), fit_range, shape, sqrt_s)


def _setup_peak(masses, m0, width, fit_range, shape, sqrt_s):
    fit_range, sqrt_s = _check_setup(fit_range, shape, sqrt_s)
    m0, width = validate.real(m0, "m0"), validate.positive(width, "width")
    if not fit_range[0] < m0 < fit_range[1]:
        raise ValueError(f"m0={m0:g} GeV lies outside fit_range=({fit_range[0]:g}, {fit_range[1]:g}) GeV")
    return _in_range(masses, fit_range), m0, width, fit_range, sqrt_s


def fit_peak(masses, m0: float, width: float, fit_range, shape: str = "power_law", sqrt_s: float = 13000.0,
             start=None) -> PeakFit:
    """Background ``shape`` + a Gaussian peak of fixed position ``m0`` and σ ``width`` (GeV),
    truncated to ``fit_range``, with n_s ≥ 0 events; an extended unbinned fit of the
    ``masses`` [N] (GeV) inside the range. start: a :class:`BackgroundFit` or a dict of
    starting values (n_b and the shape's parameters); by default as :func:`fit_background`."""
    masses, m0, width, fit_range, sqrt_s = _setup_peak(masses, m0, width, fit_range, shape, sqrt_s)
    return _peak_fit(masses, m0, width, fit_range, shape, sqrt_s, start)


def _peak_fit(masses, m0, width, fit_range, shape, sqrt_s, start) -> PeakFit:
    values = _start(shape, masses, fit_range)
    given = start.values if isinstance(start, _Fit) else (start or {})
    values.update({k: float(v) for k, v in given.items() if k in values}, n_s=1.0)
    minuit = _fit(masses, fit_range, shape, sqrt_s, values, peak=(m0, width))
    return PeakFit(minuit, shape, fit_range, sqrt_s, int(masses.size), m0, width)


@dataclass(frozen=True)
class LocalExcess:
    """The test of one peak position: z = √max(q0, 0) (σ), q0 = fval_b − fval_sb, n_s
    (fitted signal events, ± n_s_error from Hesse: symmetric, only indicative near 0),
    and both fits."""

    m0: float
    width: float
    z: float
    q0: float
    n_s: float
    n_s_error: float
    background: BackgroundFit
    peak: PeakFit

    @property
    def p_local(self) -> float:
        """The one-sided local p-value P(Z > z) of the standard normal."""
        return float(ndtr(-self.z))


def _slope(masses, m0, width, background: BackgroundFit) -> float:
    """½ d(−2 ln L)/dn_s at n_s = 0 and the background fit: 1 − Σ g/(n_b f_b). Where it is
    ≥ 0, adding signal does not help: n̂_s = 0 and q0 = 0 (the one-sided test)."""
    signal = _gaussian(masses, m0, width, background.fit_range)
    return float(1.0 - np.sum(signal / background.density(masses)))


def _excess(masses, m0, width, background: BackgroundFit) -> LocalExcess:
    peak = _peak_fit(masses, m0, width, background.fit_range, background.shape, background.sqrt_s, background)
    q0 = 0.0 if _slope(masses, m0, width, background) >= 0 else background.fval - peak.fval
    n_s, n_s_error = peak.values["n_s"], float(peak.minuit.errors["n_s"])
    return LocalExcess(m0, width, float(np.sqrt(max(q0, 0.0))), float(q0), n_s, n_s_error, background, peak)


def local_excess(masses, m0: float, width: float, fit_range, shape: str = "power_law",
                 sqrt_s: float = 13000.0) -> LocalExcess:
    """The local significance of a peak at ``m0`` with σ ``width`` (GeV) in the ``masses``
    [N] (GeV; those outside ``fit_range`` are dropped), with the fitted n_s and both fits."""
    masses, m0, width, fit_range, sqrt_s = _setup_peak(masses, m0, width, fit_range, shape, sqrt_s)
    return _excess(masses, m0, width, _background(masses, fit_range, shape, sqrt_s))


def local_significance(masses, m0: float, width: float, fit_range, shape: str = "power_law",
                       sqrt_s: float = 13000.0) -> float:
    """Z = √max(q0, 0) (σ) of a peak at ``m0``, σ ``width`` (GeV): :func:`local_excess`'s z."""
    return local_excess(masses, m0, width, fit_range, shape, sqrt_s).z


def _widths(width, m0_grid, fit_range) -> tuple[np.ndarray, np.ndarray]:
    m0_grid = validate.reals(m0_grid, "m0_grid", ndim=1)
    if m0_grid.size == 0:
        raise ValueError("m0_grid: expected at least one peak position (GeV)")
    if np.any(m0_grid <= fit_range[0]) or np.any(m0_grid >= fit_range[1]):
        raise ValueError(f"m0_grid: every peak position must lie inside fit_range=({fit_range[0]:g}, "
                         f"{fit_range[1]:g}) GeV")
    if callable(width):
        widths = validate.reals([width(m) for m in m0_grid], "width(m0) (GeV)", low=0.0, low_open=True)
    else:
        widths = np.full(m0_grid.size, validate.positive(width, "width"))
    return m0_grid, widths


def scan(masses, m0_grid, width, fit_range, shape: str = "power_law",
         sqrt_s: float = 13000.0) -> pd.DataFrame:
    """The local significance at every peak position of ``m0_grid`` [G] (GeV), one
    background fit shared by all; ``width`` a σ in GeV or a callable width(m0).
    Returns a DataFrame [G rows]: m0, width, z, n_s, n_s_error."""
    fit_range, sqrt_s = _check_setup(fit_range, shape, sqrt_s)
    m0_grid, widths = _widths(width, m0_grid, fit_range)
    inside = _in_range(masses, fit_range)
    background = _background(inside, fit_range, shape, sqrt_s)
    rows = [_excess(inside, m0, w, background) for m0, w in zip(m0_grid, widths)]
    return pd.DataFrame({"m0": m0_grid, "width": widths, "z": [r.z for r in rows],
                         "n_s": [r.n_s for r in rows], "n_s_error": [r.n_s_error for r in rows]})


def scan_toys(fit: BackgroundFit, m0_grid, width, n_toys: int, seed=0) -> np.ndarray:
    """Background-only pseudo-experiments for the look-elsewhere effect: ``n_toys`` data
    sets drawn from the background ``fit`` (:meth:`BackgroundFit.sample`), each scanned as
    :func:`scan` does (same shape, range and √s). Returns the local Z [n_toys, G]."""
    if not isinstance(fit, BackgroundFit):
        raise TypeError(f"fit: expected a BackgroundFit from fit_background, not {type(fit).__name__}")
    m0_grid, widths = _widths(width, m0_grid, fit.fit_range)
    n_toys = validate.count(n_toys, "n_toys")
    rng = validate.rng(seed)
    z = np.empty((n_toys, m0_grid.size))
    for i in range(n_toys):
        toy = _in_range(fit.sample(rng), fit.fit_range)
        background = _background(toy, fit.fit_range, fit.shape, fit.sqrt_s, start=fit.values)
        for j, (m0, w) in enumerate(zip(m0_grid, widths)):  # no peak fit where q0 = 0 anyway
            z[i, j] = 0.0 if _slope(toy, m0, w, background) >= 0 else _excess(toy, m0, w, background).z
    return z


@dataclass(frozen=True)
class GlobalSignificance:
    """The look-elsewhere effect at an observed local ``z_local`` (σ).

    p_local = P(Z > z_local); upcrossings: the mean number of upward crossings of
    ``level`` per background-only scan; p_global = min(1, p_local + upcrossings ·
    exp(−(z_local² − level²)/2)) (Gross & Vitells, arXiv:1005.1891), z_global its one-sided
    normal quantile (0 where p_global ≥ 1/2), trials = p_global/p_local. The direct count: n_above of n_toys scans
    reach z_local somewhere, p_toys = n_above/n_toys in [p_toys_low, p_toys_high]
    (Clopper-Pearson at ``cl``).
    """

    z_local: float
    p_local: float
    level: float
    upcrossings: float
    p_global: float
    z_global: float
    trials: float
    n_toys: int
    n_above: int
    p_toys: float
    p_toys_low: float
    p_toys_high: float
    cl: float

    def __str__(self) -> str:
        return (f"Z_local {self.z_local:.2f}σ → Z_global {self.z_global:.2f}σ (trials factor "
                f"{self.trials:.3g}, {self.upcrossings:.2f} upcrossings of Z={self.level:g}); toys: "
                f"{self.n_above}/{self.n_toys} reach it, p_global in [{self.p_toys_low:.3g}, {self.p_toys_high:.3g}]")


def global_significance(z_observed: float, toy_scans, level: float = 1.0,
                        cl: float = ONE_SIGMA) -> GlobalSignificance:
    """The global significance of the largest local excess ``z_observed`` (σ) of a scan,
    from ``toy_scans`` [n_toys, G]: the local Z of background-only scans over the same grid
    (e.g. :func:`scan_toys`), in grid order. See :class:`GlobalSignificance`."""
    from scipy.stats import norm

    z_observed = validate.real(z_observed, "z_observed", low=0.0)
    level = validate.real(level, "level", low=0.0)
    toy_scans = validate.reals(toy_scans, "toy_scans", low=0.0, ndim=2)
    if toy_scans.shape[0] == 0 or toy_scans.shape[1] < 2:
        raise ValueError(f"toy_scans: expected [n_toys ≥ 1, n_grid ≥ 2] local Z values, got {toy_scans.shape}")
    upcrossings = float(np.mean(np.sum((toy_scans[:, :-1] < level) & (toy_scans[:, 1:] >= level), axis=1)))
    p_local = float(norm.sf(z_observed))
    p_global = min(1.0, p_local + upcrossings * float(np.exp(-(z_observed ** 2 - level ** 2) / 2)))
    n_toys = toy_scans.shape[0]
    n_above = int(np.sum(toy_scans.max(axis=1) >= z_observed))
    p_toys, low, high = binomial_interval(n_above, n_toys, cl)
    trials = p_global / p_local if p_local > 0 else np.nan
    z_global = float(max(norm.isf(p_global), 0.0))  # 0 where p_global ≥ 1/2
    return GlobalSignificance(z_observed, p_local, level, upcrossings, p_global, z_global, trials,
                              n_toys, n_above, float(p_toys), float(low), float(high), cl)
