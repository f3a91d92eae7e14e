"""Particle identification: charged tracks seen by a tracker, a dE/dx detector, a
time-of-flight wall, a ring-imaging Cherenkov detector and an electromagnetic calorimeter.

Every response comes from the physics of the particle's mass at a given momentum:

- **dE/dx** (specific ionisation in a gas detector) follows the Bethe-Bloch curve in the
  ALEPH parameterisation used by the ALICE TPC (:func:`bethe_bloch_aleph`); it depends on
  βγ = p/m only, has its minimum near βγ ≈ 3.5, rises logarithmically above it (the
  "relativistic rise") and is measured with a Gaussian relative resolution of about 5.5%
  (a truncated mean of many samples).
- **time of flight** t = L/(βc) with β = p/√(p²+m²) over the helix path length L from the
  beam line to a cylinder of radius R (3.7 m, as the ALICE TOF) in a solenoid field; tracks
  that curl up before reaching it (low pT) and a few percent of unmatched tracks have no
  time (NaN). Resolution about 80 ps.
- **Cherenkov angle** cos θ = 1/(nβ) in a radiator of refractive index n: no light below
  the threshold momentum p = m/√(n²-1), and near it only a few photons (the yield goes as
  sin²θ), so the angle is NaN when no photon was detected. The per-track resolution is the
  single-photon resolution over √N_photons, added in quadrature to a tracking term.
- **E/p** in the electromagnetic calorimeter: electrons deposit all their energy (E/p ≈ 1);
  muons and non-interacting hadrons a minimum-ionising 0.27 GeV; interacting hadrons a
  fraction of it.

The default :class:`Detector` is a barrel detector like ALICE's TPC and TOF, with a quartz
DIRC (n = 1.473, as BaBar's) as its Cherenkov detector: in 0.2–5 GeV a gas radiator such as
C4F10 (n = 1.0014) gives no π/K information at all, because kaons radiate in it only above
9.3 GeV (:meth:`Detector.with_radiator` makes the gas, aerogel or liquid variants).

All momenta and energies are in GeV (c = 1), lengths in m, times in ns, angles in rad.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np
import pandas as pd

from .. import validate
from ..constants import C_LIGHT, MASSES, PDG_IDS  # noqa: F401  (C_LIGHT re-exported)
from ..physics import detector as response
from ..physics.detector import (  # noqa: F401  (re-exported: notebooks import them from here)
    ALEPH_PARAMETERS,
    beta,
    bethe_bloch_aleph,
    cherenkov_angle,
    cherenkov_threshold,
    path_length,
    time_of_flight,
)
from ._sampling import tabulated

#: Species this simulator knows (PDG ids and masses in GeV from :mod:`hepcourse.constants`).
SPECIES = tuple(PDG_IDS)

#: Cherenkov radiators: refractive index, single-photon angular resolution (rad) and mean
#: number of detected photons for β = 1. Numbers of the order of BaBar's DIRC (quartz),
#: LHCb RICH1 and Belle II ARICH (aerogel), LHCb RICH (C4F10) and ALICE HMPID (C6F14).
RADIATORS = {
    "quartz": dict(refractive_index=1.473, cherenkov_resolution=0.010, cherenkov_photons=20.0),
    "aerogel": dict(refractive_index=1.03, cherenkov_resolution=0.014, cherenkov_photons=10.0),
    "c4f10": dict(refractive_index=1.0014, cherenkov_resolution=0.0016, cherenkov_photons=30.0),
    "c6f14": dict(refractive_index=1.2989, cherenkov_resolution=0.012, cherenkov_photons=15.0),
}

SPECTRA = ("log", "flat", "tsallis")
MIP_ENERGY = 0.27  # GeV deposited by a minimum-ionising particle in the calorimeter

# the allowed range of every number of a Detector (each must also be finite)
_RANGES = {
    **{key: dict(low=0.0, low_open=True) for key in (
        "eta_max", "pt_resolution", "dedx_scale", "dedx_resolution", "dedx_gain", "tof_radius",
        "tof_resolution", "cherenkov_resolution", "cherenkov_photons", "cherenkov_track_resolution",
        "ecal_radius", "ecal_stochastic", "ecal_constant")},
    "b_field": dict(low=0.0), "pt_resolution_per_gev": dict(low=0.0),
    "tof_efficiency": dict(low=0.0, low_open=True, high=1.0), "tof_offset": {},
    "refractive_index": dict(low=1.0, low_open=True),  # 1.0014 C4F10, 1.03 aerogel, 1.473 quartz
}


@dataclass(frozen=True)
class Detector:
    """The detector description: geometry, resolutions and calibration.

    Tracking: ``b_field`` (T) of the solenoid, ``eta_max`` the acceptance |η| < eta_max,
    relative transverse-momentum resolution σ(pT)/pT = ``pt_resolution``/β ⊕
    ``pt_resolution_per_gev``·pT (multiple scattering, curvature).
    dE/dx: ``dedx_scale`` (arbitrary units of the minimum-ionising signal, 50 as in ALICE),
    ``dedx_resolution`` (relative, Gaussian), ``dedx_gain`` (calibration factor, 1 when
    calibrated), ``bethe_bloch`` the ALEPH parameters P1..P5.
    Time of flight: ``tof_radius`` (m) of the TOF cylinder, ``tof_resolution`` (ns),
    ``tof_efficiency`` (probability that a track reaching it gets a matched time),
    ``tof_offset`` (ns, a time-zero miscalibration; 0 when calibrated).
    Cherenkov: ``radiator`` (a label), ``refractive_index`` n > 1, ``cherenkov_resolution``
    (rad, single photon), ``cherenkov_photons`` (mean photons at β = 1),
    ``cherenkov_track_resolution`` (rad, from the track direction).
    Calorimeter: ``ecal_radius`` (m), ``ecal_stochastic`` (GeV^½) and ``ecal_constant``:
    σ(E)/E = stochastic/√E ⊕ constant.

    Make variants with :meth:`replace`, :meth:`with_radiator` and :meth:`shifted`.
    """

    name: str = "default"
    b_field: float = 0.5
    eta_max: float = 0.9
    pt_resolution: float = 0.008
    pt_resolution_per_gev: float = 0.003
    dedx_scale: float = 50.0
    dedx_resolution: float = 0.055
    dedx_gain: float = 1.0
    bethe_bloch: tuple[float, float, float, float, float] = ALEPH_PARAMETERS
    tof_radius: float = 3.7
    tof_resolution: float = 0.080
    tof_efficiency: float = 0.95
    tof_offset: float = 0.0
    radiator: str = "quartz"
    refractive_index: float = 1.473
    cherenkov_resolution: float = 0.010
    cherenkov_photons: float = 20.0
    cherenkov_track_resolution: float = 0.001
    ecal_radius: float = 4.4
    ecal_stochastic: float = 0.11
    ecal_constant: float = 0.017

    def __post_init__(self):
        for key in ("name", "radiator"):
            if not isinstance(getattr(self, key), str):
                raise TypeError(f"Detector.{key}={getattr(self, key)!r}: expected a label (str)")
        for key, bounds in _RANGES.items():  # frozen: store the checked float
            object.__setattr__(self, key, validate.real(getattr(self, key), f"Detector.{key}", **bounds))
        parameters = validate.reals(self.bethe_bloch, "Detector.bethe_bloch", ndim=1)
        if parameters.shape != (5,):
            raise ValueError("Detector.bethe_bloch: the ALEPH form has five parameters P1..P5")
        object.__setattr__(self, "bethe_bloch", tuple(float(x) for x in parameters))

    def replace(self, **changes) -> "Detector":
        """A copy with some fields changed (validated), e.g. ``tof_resolution=0.05``."""
        validate.options(changes, [f.name for f in fields(self)], "Detector.replace")
        return replace(self, **changes)

    def with_radiator(self, radiator: str) -> "Detector":
        """A copy with another Cherenkov radiator: one of ``RADIATORS``
        ("quartz", "aerogel", "c4f10", "c6f14"), with its index, resolution and yield."""
        validate.choice(radiator, "radiator", RADIATORS)
        return replace(self, radiator=radiator, **RADIATORS[radiator])

    def shifted(self, *, dedx_gain: float = 1.08, tof_offset: float = 0.08,
                resolution_scale: float = 1.25, name: str = "shifted") -> "Detector":
        """The same detector in other running conditions: the dE/dx gain multiplied by
        ``dedx_gain`` (gas density and amplification drift), ``tof_offset`` ns added to the
        time zero, and the dE/dx, time and Cherenkov resolutions multiplied by
        ``resolution_scale``. A classifier trained on ``self`` sees shifted bands on it."""
        dedx_gain = validate.positive(dedx_gain, "dedx_gain")
        resolution_scale = validate.positive(resolution_scale, "resolution_scale")
        tof_offset = validate.real(tof_offset, "tof_offset")
        return replace(
            self, name=name, dedx_gain=self.dedx_gain * dedx_gain,
            tof_offset=self.tof_offset + tof_offset,
            dedx_resolution=self.dedx_resolution * resolution_scale,
            tof_resolution=self.tof_resolution * resolution_scale,
            cherenkov_resolution=self.cherenkov_resolution * resolution_scale)

    def to_dict(self) -> dict:
        """The fields as a plain dict (stored in ``DataFrame.attrs["detector"]``)."""
        return asdict(self)


# ------------------------------------------------ the detector response of a Detector


def check_detector(detector) -> Detector:
    """``detector`` itself, or ``Detector()`` for None; TypeError for anything else."""
    if detector is None:
        return Detector()
    if not isinstance(detector, Detector):
        raise TypeError(f"detector must be a hepcourse.simulate.tracks.Detector or None, not "
                        f"{type(detector).__name__}")
    return detector


def mass(species: str) -> float:
    """Mass in GeV of ``species`` ("e", "mu", "pi", "K", "p"), from the ``particle`` package."""
    _check_species((species,))
    return MASSES[species]


def expected_dedx(p, m, detector: Detector | None = None):
    """Expected dE/dx (arbitrary units, MIP ≈ ``detector.dedx_scale``) of a particle of
    mass m at momentum p (GeV), including the detector's gain (arrays broadcast)."""
    d = check_detector(detector)
    return response.mean_dedx(p, m, d.dedx_scale * d.dedx_gain, d.bethe_bloch)


def cherenkov_photons(p, m, detector: Detector | None = None):
    """Mean number of detected Cherenkov photons (∝ sin²θ; 0 below threshold)."""
    d = check_detector(detector)
    return response.cherenkov_yield(p, m, d.refractive_index, d.cherenkov_photons)


def cherenkov_resolution(photons, detector: Detector | None = None):
    """Per-track Cherenkov-angle resolution (rad) with ``photons`` detected photons (≥ 1)."""
    d = check_detector(detector)
    return response.ring_resolution(photons, d.cherenkov_resolution, d.cherenkov_track_resolution)


def momentum_resolution(pt, beta_, detector: Detector | None = None):
    """Relative resolution σ(p)/p = σ(pT)/pT = (pt_resolution/β) ⊕ pt_resolution_per_gev·pT
    for ``pt`` in GeV and the particle's velocity ``beta_``."""
    d = check_detector(detector)
    return response.pt_resolution(pt, d.pt_resolution, d.pt_resolution_per_gev, beta_)


def tof_beta_resolution(p, m, length, detector: Detector | None = None):
    """Resolution of the measured β = L/(ct): σβ = β·σt/t over a path ``length`` (m)."""
    return response.beta_resolution(p, m, length, check_detector(detector).tof_resolution)


# --------------------------------------------------------------------------- generator


def _check_species(species) -> tuple[str, ...]:
    if isinstance(species, str):
        species = (species,)
    try:
        species = tuple(species)
    except TypeError:
        raise TypeError(f"species={species!r}: expected names from {list(SPECIES)}") from None
    if not species:
        raise ValueError(f"species is empty; use names from {list(SPECIES)}")
    for s in species:
        validate.choice(s, "species", SPECIES)
    if len(set(species)) != len(species):
        raise ValueError(f"species={species}: has duplicates")
    return species


def _sample_momentum(rng, n, m, p_range, spectrum):
    low, high = p_range
    if spectrum == "flat":
        return rng.uniform(low, high, n)
    if spectrum == "log":
        return np.exp(rng.uniform(np.log(low), np.log(high), n))
    # "tsallis": dN/dp ∝ p·(1 + (mT − m)/(nT))^−n, T = 0.15 GeV, n = 7 (pp collisions)
    grid = np.linspace(low, high, 4001)
    mt = np.sqrt(grid**2 + m * m)
    return tabulated(rng, n, grid, grid * (1 + (mt - m) / (7 * 0.15)) ** -7)


def _calorimeter_energy(rng, name, p, m):
    """True energy (GeV) deposited in the electromagnetic calorimeter."""
    e = np.sqrt(p * p + m * m)
    if name == "e":
        return e
    mip = MIP_ENERGY * rng.gamma(16.0, 1 / 16.0, p.size)  # Landau-like spread, 25%
    if name == "mu":
        return np.minimum(mip, e - m)
    # hadrons: about half interact in the calorimeter (~0.7 interaction lengths) and
    # leave a fraction of their kinetic energy; the others pass as MIPs
    interact = rng.uniform(size=p.size) < 0.5
    fraction = rng.beta(2.0, 3.0, p.size)
    return np.where(interact, np.maximum(fraction * (e - m), mip * 0.5), np.minimum(mip, e - m))


def _check_options(n, species, detector, p_range, spectrum, fractions):
    n = validate.count(n, "n")
    species = _check_species(species)
    d = check_detector(detector)
    bounds = validate.reals(p_range, "p_range", low=0.0, low_open=True, ndim=1)
    if bounds.shape != (2,) or not bounds[0] < bounds[1]:
        raise ValueError(f"p_range={p_range!r}: need (low, high) with 0 < low < high (GeV)")
    validate.choice(spectrum, "spectrum", SPECTRA)
    if fractions is None:
        fractions = np.ones(len(species))
    fractions = validate.reals(fractions, "fractions", low=0.0, ndim=1)
    if fractions.shape != (len(species),) or fractions.sum() <= 0:
        raise ValueError(f"fractions={fractions.tolist()!r}: need one non-negative number per "
                         f"species {list(species)}, not all zero")
    return n, species, d, (float(bounds[0]), float(bounds[1])), fractions / fractions.sum()


def pid(n: int = 100_000, species=("pi", "K", "p"), detector: Detector | None = None, *,
        seed=0, p_range: tuple[float, float] = (0.2, 5.0), spectrum: str = "log",
        fractions=None) -> pd.DataFrame:
    """Simulate ``n`` charged tracks and their detector responses.

    Parameters
    ----------
    n : number of tracks (> 0).
    species : names from ``SPECIES`` ("e", "mu", "pi", "K", "p"); the label of a track is
        the index of its species in this tuple (integer class labels for cross-entropy).
    detector : a :class:`Detector` (default: ``Detector()``).
    seed : keyword only; an int ≥ 0 or a numpy Generator (same seed, same tracks).
    p_range : (low, high) momentum range in GeV, 0 < low < high.
    spectrum : momentum spectrum of every species: "log" (dN/dp ∝ 1/p, as many tracks per
        factor of momentum at low as at high p; default), "flat" (uniform in p) or
        "tsallis" (a steeply falling pp-collision spectrum).
    fractions : relative abundances, one per species (default: equal).

    Returns
    -------
    pandas.DataFrame, one row per track:
    ``species`` (categorical), ``label`` (int64), ``pdg`` (signed PDG id), ``charge`` (±1),
    ``p_true`` (GeV), measured ``p``, ``pt`` (GeV), ``eta``, ``phi`` (rad),
    ``dedx`` (a.u., MIP ≈ 50), ``length`` (m, track length to the TOF; NaN if the track
    does not reach it), ``tof`` (ns; NaN without a matched hit), ``beta`` (= length/(c·tof)),
    ``cherenkov_photons`` (int), ``cherenkov_angle`` (rad; NaN when no photon: below
    threshold or too few), ``ep`` (calorimeter E over p; NaN if the track does not reach
    the calorimeter). ``attrs`` holds ``species``, ``masses`` (GeV) and ``detector``.
    """
    n, species, d, p_range, fractions = _check_options(n, species, detector, p_range, spectrum,
                                                       fractions)
    rng = validate.rng(seed)
    label = rng.choice(len(species), size=n, p=fractions)
    masses = np.array([MASSES[s] for s in species])
    m = masses[label]
    p_true = np.empty(n)
    e_dep = np.empty(n)
    for k, s in enumerate(species):
        sel = label == k
        p_true[sel] = _sample_momentum(rng, int(sel.sum()), masses[k], p_range, spectrum)

    eta = rng.uniform(-d.eta_max, d.eta_max, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    charge = rng.choice(np.array([-1, 1], dtype=np.int8), size=n)
    pt_true = p_true / np.cosh(eta)
    pt = pt_true * (1.0 + momentum_resolution(pt_true, beta(p_true, m), d) * rng.standard_normal(n))
    p = pt * np.cosh(eta)

    # dE/dx: truncated mean, Gaussian with a relative resolution
    dedx = expected_dedx(p_true, m, d) * (1.0 + d.dedx_resolution * rng.standard_normal(n))

    # time of flight: helix to the TOF cylinder, matching efficiency, resolution, t0 offset
    length = path_length(pt_true, eta, d.tof_radius, d.b_field)
    matched = np.isfinite(length) & (rng.uniform(size=n) < d.tof_efficiency)
    t = time_of_flight(p_true, m, length)
    tof = np.where(matched, t + d.tof_offset + d.tof_resolution * rng.standard_normal(n), np.nan)
    beta_measured = np.where(matched, response.beta_from_time(length, tof), np.nan)

    # Cherenkov: Poisson number of photons ∝ sin²θ; the angle is measured only with photons
    n_photons = rng.poisson(cherenkov_photons(p_true, m, d))
    theta = cherenkov_angle(p_true, m, d.refractive_index)
    theta_measured = np.where(
        n_photons > 0,
        np.nan_to_num(theta) + cherenkov_resolution(n_photons, d) * rng.standard_normal(n),
        np.nan)

    # calorimeter E/p: only for tracks that reach it
    for k, s in enumerate(species):
        sel = label == k
        e_dep[sel] = _calorimeter_energy(rng, s, p_true[sel], masses[k])
    e_safe = np.maximum(e_dep, 1e-3)
    sigma_e = response.energy_resolution(e_safe, d.ecal_stochastic, d.ecal_constant) / e_safe
    e_measured = e_dep * (1.0 + sigma_e * rng.standard_normal(n))
    reaches = np.isfinite(path_length(pt_true, eta, d.ecal_radius, d.b_field))
    ep = np.where(reaches, e_measured / p, np.nan)

    pdg = np.array([PDG_IDS[s] for s in species])[label]
    # PDG sign convention: e-, mu- are particles with negative charge; pi+, K+, p positive
    sign = np.where(np.isin(pdg, (11, 13)), -charge, charge)
    frame = pd.DataFrame({
        "species": pd.Categorical.from_codes(label, categories=list(species)),
        "label": label.astype(np.int64),
        "pdg": (sign * pdg).astype(np.int64),
        "charge": charge,
        "p_true": p_true,
        "p": p,
        "pt": pt,
        "eta": eta,
        "phi": phi,
        "dedx": dedx,
        "length": length,
        "tof": tof,
        "beta": beta_measured,
        "cherenkov_photons": n_photons.astype(np.int64),
        "cherenkov_angle": theta_measured,
        "ep": ep,
    })
    frame.attrs["species"] = list(species)
    frame.attrs["masses"] = {s: MASSES[s] for s in species}
    frame.attrs["detector"] = d.to_dict()
    return frame
