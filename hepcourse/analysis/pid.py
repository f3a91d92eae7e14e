"""Particle identification analysis: n-sigma bands, cut-based identification, features
with missing detector information, and efficiencies and mis-identification rates against
momentum with binomial uncertainties.

The detector responses come from :func:`hepcourse.simulate.tracks` (or from a real detector
with the same columns: ``p``, ``pt``, ``dedx``, ``length``, ``tof``, ``beta``,
``cherenkov_angle``, ``cherenkov_photons``). Expected values and resolutions come from the
:class:`~hepcourse.simulate.tracks.Detector` the analyst *believes* describes the data: pass
the nominal one to see what an uncalibrated shift does to the cuts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import validate
from ..constants import MASSES
from ..physics.detector import beta, beta_from_time, beta_resolution, cherenkov_angle
from ..simulate.tracks import (
    SPECIES,
    Detector,
    check_detector,
    cherenkov_photons,
    cherenkov_resolution,
    expected_dedx,
    momentum_resolution,
)
from ..stats import binomial_interval

DETECTORS = ("dedx", "tof", "rich")
MISSING = ("indicator", "nan", "fill")

__all__ = [
    "DETECTORS", "MISSING", "binomial_interval", "efficiency_at_misid", "efficiency_table",
    "identify", "kaon_score", "nsigma", "band_score", "prepare_features", "resolutions",
]


def _species(frame, species):
    species = tuple(species) if species is not None else tuple(frame.attrs.get("species", ("pi", "K", "p")))
    for s in species:
        validate.choice(s, "species", SPECIES)
    return species


def nsigma(frame: pd.DataFrame, species=None, detector: Detector | None = None,
           detectors=DETECTORS) -> pd.DataFrame:
    """Number of standard deviations between each measured response and the one expected
    for each species hypothesis, at the track's measured momentum.

    Columns ``"{detector}_{species}"``, e.g. ``"dedx_K"``, ``"tof_pi"``, ``"rich_p"``:

    - dedx: (dE/dx − expected)/σ, σ = σ_rel·expected ⊕ (d expected/d ln p)·σp/p.
    - tof: (β − β_expected)/σβ, σβ = β·σt/t ⊕ β(1−β²)·σp/p, β = L/(c(t − t_offset)) from the
      measured time corrected by ``detector.tof_offset``; NaN where no time was measured.
    - rich: with a ring, (θ − θ_expected)/σθ(N photons); +inf if the hypothesis is below
      threshold (it could not have made the ring). Without a ring, the two-sided Gaussian
      equivalent of the Poisson probability exp(−N_expected) of seeing no photon: 0 when
      the hypothesis is below threshold, large when it should have made a bright ring.

    Every resolution includes the momentum resolution of the hypothesis (multiple
    scattering grows as 1/β), which dominates the time of flight of slow protons.

    ``detector``: what the analyst assumes (default ``Detector()``).
    Returns a DataFrame with the frame's index. The resolutions σ themselves:
    :func:`resolutions`.
    """
    return _nsigma(frame, species, detector, detectors)[0]


def resolutions(frame: pd.DataFrame, species=None, detector: Detector | None = None,
                detectors=DETECTORS) -> pd.DataFrame:
    """The resolution σ of each Gaussian measurement under each species hypothesis, the
    denominators of :func:`nsigma` (same columns, same index; dE/dx in MIP = 50 units, β,
    rad). NaN where the detector gave no Gaussian measurement: no time, no ring, or a ring
    from a hypothesis below threshold.

    The resolutions depend on the hypothesis (the dE/dx resolution is relative to the
    expected value), so a Gaussian likelihood needs them:
    ln L_h = −½ Σ_d nσ_d(h)² − Σ_d ln σ_d(h) + const.
    """
    return _nsigma(frame, species, detector, detectors)[1]


def _nsigma(frame, species, detector, detectors):
    species = _species(frame, species)
    for name in detectors:
        validate.choice(name, "detectors", DETECTORS)
    d = check_detector(detector)
    p = validate.reals(frame["p"].to_numpy(float), "frame['p']", low=0.0)
    pt = frame["pt"].to_numpy(float) if "pt" in frame else p
    out, widths = {}, {}
    for s in species:
        m = MASSES[s]
        b = beta(p, m)
        sigma_p = momentum_resolution(pt, b, d)  # relative, for this mass hypothesis
        if "dedx" in detectors:
            mu = expected_dedx(p, m, d)
            slope = (expected_dedx(p * 1.001, m, d) - expected_dedx(p * 0.999, m, d)) / 0.002
            sigma = np.hypot(d.dedx_resolution * mu, slope * sigma_p)
            out[f"dedx_{s}"] = (frame["dedx"].to_numpy(float) - mu) / sigma
            widths[f"dedx_{s}"] = sigma
        if "tof" in detectors:
            length = frame["length"].to_numpy(float)
            # β from the time corrected by the time zero the analyst believes in
            measured = beta_from_time(length, frame["tof"].to_numpy(float) - d.tof_offset)
            sigma = np.hypot(beta_resolution(p, m, length, d.tof_resolution), b * (1 - b * b) * sigma_p)
            out[f"tof_{s}"] = (measured - b) / sigma
            widths[f"tof_{s}"] = np.where(np.isfinite(measured), sigma, np.nan)
        if "rich" in detectors:
            theta = frame["cherenkov_angle"].to_numpy(float)
            ring = np.isfinite(theta)
            n = d.refractive_index
            expected = cherenkov_angle(p, m, n)
            n_exp = cherenkov_photons(p, m, d)
            with np.errstate(invalid="ignore", divide="ignore"):
                slope = (1 - b * b) / (n * b * np.sin(expected))  # dθ/d ln p
                sigma = np.hypot(
                    cherenkov_resolution(frame["cherenkov_photons"].to_numpy(float), d),
                    slope * sigma_p)
                z_ring = np.where(np.isfinite(expected), (theta - expected) / sigma, np.inf)
            z_dark = stats.norm.isf(np.exp(-n_exp) / 2.0)
            out[f"rich_{s}"] = np.where(ring, z_ring, z_dark)
            widths[f"rich_{s}"] = np.where(ring & np.isfinite(expected), sigma, np.nan)
    return pd.DataFrame(out, index=frame.index), pd.DataFrame(widths, index=frame.index)


def _pulls(ns: pd.DataFrame, hypothesis: str) -> np.ndarray:
    """|nσ| of one hypothesis, [N, n_detectors] (NaN where a detector gave nothing)."""
    validate.choice(hypothesis, "species", SPECIES)
    dets = [d for d in DETECTORS if f"{d}_{hypothesis}" in ns]
    if not dets:
        raise ValueError(f"species={hypothesis!r}: no n-sigma columns for it; columns are {list(ns)}")
    return np.abs(np.stack([ns[f"{d}_{hypothesis}"].to_numpy(float) for d in dets], axis=-1))


def _stack(ns: pd.DataFrame, species):
    """Array [N, n_species, n_detectors] of |nσ| (NaN where a detector gave nothing)."""
    return np.stack([_pulls(ns, s) for s in species], axis=1)


def identify(ns: pd.DataFrame, species, n_sigma: float = 3.0) -> np.ndarray:
    """Cut-based identification with n-sigma bands.

    A hypothesis is compatible when every available detector is within ``n_sigma`` of
    it; among compatible hypotheses the one with the smallest χ² = Σ nσ² wins. Tracks
    compatible with none get -1 ("unidentified"). Returns int64 labels [N] (the index of
    the species in ``species``, as the simulator's ``label``).
    """
    species = _species(ns, species)
    n_sigma = validate.positive(n_sigma, "n_sigma")
    z = _stack(ns, species)
    worst = np.nanmax(z, axis=-1)
    chi2 = np.nansum(z**2, axis=-1)
    chi2 = np.where(worst < n_sigma, chi2, np.inf)
    best = np.argmin(chi2, axis=1)
    return np.where(np.isfinite(chi2.min(axis=1)), best, -1).astype(np.int64)


def band_score(ns: pd.DataFrame, hypothesis: str) -> np.ndarray:
    """Score of the n-sigma band selection for one species: −max |nσ| over the available
    detectors. Selecting ``score > −c`` is the band cut |nσ| < c in every detector, so
    scanning the threshold scans the band width."""
    return -np.nanmax(_pulls(ns, hypothesis), axis=-1)


def kaon_score(ns: pd.DataFrame) -> np.ndarray:
    """:func:`band_score` for the kaon hypothesis."""
    return band_score(ns, "K")


_DERIVED = {
    "log_p": lambda f: np.log(f["p"].to_numpy(float)),
    "mass2": lambda f: f["p"].to_numpy(float) ** 2 * (1.0 / f["beta"].to_numpy(float) ** 2 - 1.0),
    "inv_beta": lambda f: 1.0 / f["beta"].to_numpy(float),
}
# columns that a detector may leave empty: they always get an indicator, so that training
# and test features have the same layout even if a small sample happens to have no NaN
_MAYBE_MISSING = {"length", "tof", "beta", "cherenkov_angle", "ep", "mass2", "inv_beta"}


def prepare_features(frame: pd.DataFrame, columns=("p", "dedx", "beta", "cherenkov_angle"),
                     missing: str = "indicator", fill=0.0):
    """Feature matrix for a classifier, with a policy for missing detector information.

    ``columns``: frame columns, or the derived ``"log_p"``, ``"mass2"`` (m² = p²(1/β²−1)
    from the time of flight, GeV²) and ``"inv_beta"``.
    ``missing``: ``"indicator"`` replaces NaN by ``fill`` AND adds a 0/1 column
    ``has_<name>`` (1 = measured) after the features (the network learns that "no ring"
    is information); ``"fill"`` only replaces NaN by ``fill`` (the network cannot tell a
    missing value from a measured one equal to it); ``"nan"`` keeps NaN (for
    gradient-boosted trees, which send missing values down a learned branch).
    ``fill``: a number, or a dict {column: number}.

    Returns ``(X, names)``: float32 array [N, F] and the list of F feature names.
    Indicator columns are added for the columns a detector may leave empty (``length``,
    ``tof``, ``beta``, ``cherenkov_angle``, ``ep``, ``mass2``, ``inv_beta``) and for any
    other column with NaN in *this* frame: compare the names of training and test features.
    """
    validate.choice(missing, "missing", MISSING)
    if isinstance(fill, dict):
        fill = {c: validate.real(v, f"fill[{c!r}]") for c, v in fill.items()}
    elif missing != "nan":
        fill = validate.real(fill, "fill")
    names, values, flags = [], [], []
    for c in columns:
        if c in _DERIVED:
            v = _DERIVED[c](frame)
        elif c in frame:
            v = frame[c].to_numpy(float)
        else:
            raise ValueError(f"unknown column {c!r}; allowed: frame columns or {list(_DERIVED)}")
        names.append(c)
        nan = ~np.isfinite(v)
        if missing != "nan":
            value = fill.get(c, 0.0) if isinstance(fill, dict) else fill
            v = np.where(nan, value, v)
            if missing == "indicator" and (c in _MAYBE_MISSING or nan.any()):
                flags.append((f"has_{c}", (~nan).astype(float)))
        values.append(v)
    for name, v in flags:
        names.append(name)
        values.append(v)
    return np.stack(values, axis=1).astype(np.float32), names


def _momenta(p) -> np.ndarray:
    return validate.reals(p, "p", low=0.0, ndim=1)


def _bins(bins) -> np.ndarray:
    bins = validate.reals(bins, "bins", ndim=1)
    if bins.size < 2 or np.any(np.diff(bins) <= 0):
        raise ValueError(f"bins: need at least two increasing bin edges, got {bins.tolist()}")
    return bins


def efficiency_table(p, selected, among, bins) -> pd.DataFrame:
    """Fraction of the tracks ``among`` (bool [N]) that are ``selected`` (bool [N]), in
    bins of momentum ``p`` (GeV) with edges ``bins``.

    Efficiency: among = true kaons, selected = identified as kaon. Mis-identification
    rate: among = true pions, selected = identified as kaon.
    Returns a DataFrame: p_low, p_high, p (bin centre), n, k, efficiency, low, high
    (68.3% Clopper-Pearson bounds).
    """
    p, bins = _momenta(p), _bins(bins)
    selected, among = np.asarray(selected, dtype=bool), np.asarray(among, dtype=bool)
    if selected.shape != p.shape or among.shape != p.shape:
        raise ValueError(f"selected {selected.shape} and among {among.shape} must have the shape of p {p.shape}")
    index = np.digitize(p, bins) - 1
    inside = (index >= 0) & (index < len(bins) - 1)
    n = np.bincount(index[inside & among], minlength=len(bins) - 1)
    k = np.bincount(index[inside & among & selected], minlength=len(bins) - 1)
    eff, low, high = binomial_interval(k, n)
    return pd.DataFrame({"p_low": bins[:-1], "p_high": bins[1:], "p": 0.5 * (bins[:-1] + bins[1:]),
                         "n": n, "k": k, "efficiency": eff, "low": low, "high": high})


def efficiency_at_misid(p, y, score, bins, signal: int = 1, background: int = 0,
                        misid: float = 0.01) -> pd.DataFrame:
    """Signal efficiency at a fixed mis-identification rate, bin by bin in momentum.

    In each bin of ``p`` (GeV), the threshold on ``score`` (higher = more signal-like) is
    the one that accepts a fraction ``misid`` of the ``background`` tracks (true label
    ``background``); the efficiency is the fraction of ``signal`` tracks above it.
    Returns a DataFrame: p_low, p_high, p, threshold, n (signal tracks), k, efficiency,
    low, high (68.3% Clopper-Pearson), misid (achieved), n_background.
    """
    misid = validate.real(misid, "misid", low=0.0, high=1.0, low_open=True, high_open=True)
    p, bins = _momenta(p), _bins(bins)
    y = np.asarray(y)
    score = np.asarray(score, dtype=float)
    if y.shape != p.shape or score.shape != p.shape:
        raise ValueError(f"y {y.shape} and score {score.shape} must have the shape of p {p.shape}")
    rows = []
    for lo, hi in zip(bins[:-1], bins[1:]):
        in_bin = (p >= lo) & (p < hi)
        bkg = score[in_bin & (y == background)]
        sig = score[in_bin & (y == signal)]
        if bkg.size == 0:
            threshold = np.nan
        else:
            threshold = np.quantile(bkg, 1.0 - misid, method="higher")
        k = int(np.sum(sig > threshold))
        rows.append((lo, hi, threshold, sig.size, k,
                     float(np.mean(bkg > threshold)) if bkg.size else np.nan, bkg.size))
    t = pd.DataFrame(rows, columns=["p_low", "p_high", "threshold", "n", "k", "misid", "n_background"])
    eff, low, high = binomial_interval(t["k"].to_numpy(), t["n"].to_numpy())
    t.insert(2, "p", 0.5 * (t.p_low + t.p_high))
    t["efficiency"], t["low"], t["high"] = eff, low, high
    return t[["p_low", "p_high", "p", "threshold", "n", "k", "efficiency", "low", "high",
              "misid", "n_background"]]
