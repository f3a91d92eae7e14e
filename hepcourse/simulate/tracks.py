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
from particle import Particle

C_LIGHT = 0.299792458  # speed of light, m/ns

#: The five ALEPH Bethe-Bloch parameters (P1..P5) of the ALICE TPC.
ALEPH_PARAMETERS = (0.076176, 10.632, 1.3279e-5, 1.8631, 1.9479)

#: Species this simulator knows: short name -> PDG id of the positive (or negative) particle.
PDG_IDS = {"e": 11, "mu": 13, "pi": 211, "K": 321, "p": 2212}
SPECIES = tuple(PDG_IDS)
#: Masses in GeV, from the ``particle`` package (PDG).
MASSES = {name: Particle.from_pdgid(pdg).mass / 1000.0 for name, pdg in PDG_IDS.items()}

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
        positive = ("eta_max", "pt_resolution", "dedx_scale", "dedx_resolution", "dedx_gain",
                    "tof_radius", "tof_resolution", "cherenkov_resolution",
                    "cherenkov_photons", "cherenkov_track_resolution", "ecal_radius",
                    "ecal_stochastic", "ecal_constant")
        for key in positive:
            value = getattr(self, key)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"Detector.{key}={value!r}: must be a positive number "
                                 "(resolutions, lengths and scales are > 0)")
        if not np.isfinite(self.pt_resolution_per_gev) or self.pt_resolution_per_gev < 0:
            raise ValueError(f"Detector.pt_resolution_per_gev={self.pt_resolution_per_gev!r}: "
                             "must be >= 0")
        if not np.isfinite(self.b_field) or self.b_field < 0:
            raise ValueError(f"Detector.b_field={self.b_field!r}: must be >= 0 (tesla)")
        if not 0 < self.tof_efficiency <= 1:
            raise ValueError(f"Detector.tof_efficiency={self.tof_efficiency!r}: must lie in (0, 1]")
        if not np.isfinite(self.refractive_index) or self.refractive_index <= 1:
            raise ValueError(f"Detector.refractive_index={self.refractive_index!r}: a radiator "
                             "has n > 1 (e.g. 1.0014 C4F10, 1.03 aerogel, 1.473 quartz)")
        if not np.isfinite(self.tof_offset):
            raise ValueError(f"Detector.tof_offset={self.tof_offset!r}: must be finite (ns)")
        if len(self.bethe_bloch) != 5:
            raise ValueError("Detector.bethe_bloch: the ALEPH form has five parameters P1..P5")

    def replace(self, **changes) -> "Detector":
        """A copy with some fields changed (validated), e.g. ``tof_resolution=0.05``."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown Detector field(s) {sorted(unknown)}; allowed: "
                             f"{[f.name for f in fields(self)]}")
        return replace(self, **changes)

    def with_radiator(self, radiator: str) -> "Detector":
        """A copy with another Cherenkov radiator: one of ``RADIATORS``
        ("quartz", "aerogel", "c4f10", "c6f14"), with its index, resolution and yield."""
        if radiator not in RADIATORS:
            raise ValueError(f"unknown radiator {radiator!r}; allowed: {list(RADIATORS)}")
        return replace(self, radiator=radiator, **RADIATORS[radiator])

    def shifted(self, *, dedx_gain: float = 1.08, tof_offset: float = 0.08,
                resolution_scale: float = 1.25, name: str = "shifted") -> "Detector":
        """The same detector in other running conditions: the dE/dx gain multiplied by
        ``dedx_gain`` (gas density and amplification drift), ``tof_offset`` ns added to the
        time zero, and the dE/dx, time and Cherenkov resolutions multiplied by
        ``resolution_scale``. A classifier trained on ``self`` sees shifted bands on it."""
        if resolution_scale <= 0 or dedx_gain <= 0:
            raise ValueError("dedx_gain and resolution_scale must be > 0")
        return replace(
            self, name=name, dedx_gain=self.dedx_gain * dedx_gain,
            tof_offset=self.tof_offset + tof_offset,
            dedx_resolution=self.dedx_resolution * resolution_scale,
            tof_resolution=self.tof_resolution * resolution_scale,
            cherenkov_resolution=self.cherenkov_resolution * resolution_scale)

    def to_dict(self) -> dict:
        """The fields as a plain dict (stored in ``DataFrame.attrs["detector"]``)."""
        return asdict(self)


# --------------------------------------------------------------------------- physics


def _check_momentum(p):
    p = np.asarray(p, dtype=float)
    if np.any(p < 0):
        raise ValueError("momentum must be >= 0 GeV (a magnitude); got negative values")
    return p


def _check_mass(m):
    m = np.asarray(m, dtype=float)
    if np.any(m <= 0):
        raise ValueError("mass must be > 0 GeV")
    return m


def mass(species: str) -> float:
    """Mass in GeV of ``species`` ("e", "mu", "pi", "K", "p"), from the ``particle`` package."""
    _check_species((species,))
    return MASSES[species]


def beta(p, m):
    """Velocity β = p/√(p²+m²) for momentum p (GeV) and mass m (GeV); arrays broadcast."""
    p, m = _check_momentum(p), _check_mass(m)
    return p / np.sqrt(p * p + m * m)


def bethe_bloch_aleph(betagamma, parameters=ALEPH_PARAMETERS):
    """Mean dE/dx as a function of βγ in the ALEPH parameterisation, in units where the
    minimum-ionising signal is ≈ 1 (minimum 0.995 at βγ ≈ 3.4; plateau 1.59):

        f(βγ) = P1/β^P4 · (P2 − β^P4 − ln(P3 + 1/(βγ)^P5))

    ``betagamma``: array (> 0). ``parameters``: (P1, P2, P3, P4, P5).
    """
    bg = np.asarray(betagamma, dtype=float)
    if np.any(bg <= 0):
        raise ValueError("betagamma must be > 0")
    p1, p2, p3, p4, p5 = parameters
    b = bg / np.sqrt(1.0 + bg * bg)
    bp = b**p4
    return p1 / bp * (p2 - bp - np.log(p3 + bg ** (-p5)))


def expected_dedx(p, m, detector: Detector | None = None):
    """Expected dE/dx (arbitrary units, MIP ≈ ``detector.dedx_scale``) of a particle of
    mass m at momentum p (GeV), including the detector's gain."""
    d = detector or Detector()
    p, m = _check_momentum(p), _check_mass(m)
    return d.dedx_scale * d.dedx_gain * bethe_bloch_aleph(np.maximum(p, 1e-9) / m, d.bethe_bloch)


def time_of_flight(p, m, length):
    """Time of flight t = L/(βc) in ns over a path ``length`` L (m) at momentum p (GeV)."""
    length = np.asarray(length, dtype=float)
    if np.any(length <= 0):
        raise ValueError("path length must be > 0 m")
    return length / (beta(p, m) * C_LIGHT)


def path_length(pt, eta, radius, b_field):
    """Helix path length (m) from the beam line to a cylinder of ``radius`` (m) for a track
    of transverse momentum ``pt`` (GeV) and pseudorapidity ``eta`` in a solenoid of
    ``b_field`` (T): the transverse arc 2ρ·asin(R/2ρ), ρ = pT/(0.3 B), times cosh η.
    NaN where the track curls up before reaching the cylinder (2ρ < R)."""
    pt = _check_momentum(pt)
    eta = np.asarray(eta, dtype=float)
    if b_field == 0:
        return radius * np.cosh(eta) * np.ones_like(pt)
    rho = pt / (0.299792458 * b_field)
    ratio = radius / (2.0 * np.maximum(rho, 1e-12))
    with np.errstate(invalid="ignore"):
        arc = np.where(ratio <= 1, 2.0 * rho * np.arcsin(np.minimum(ratio, 1.0)), np.nan)
    return arc * np.cosh(eta)


def cherenkov_threshold(m, n):
    """Momentum (GeV) above which a particle of mass m radiates in a medium of refractive
    index n > 1: p = m/√(n²−1)."""
    m = _check_mass(m)
    n = np.asarray(n, dtype=float)
    if np.any(n <= 1):
        raise ValueError("refractive index must be > 1")
    return m / np.sqrt(n * n - 1.0)


def cherenkov_angle(p, m, n):
    """Cherenkov angle θ (rad), cos θ = 1/(nβ); NaN below threshold (no light)."""
    n = np.asarray(n, dtype=float)
    if np.any(n <= 1):
        raise ValueError("refractive index must be > 1")
    cos = 1.0 / (n * beta(p, m))
    with np.errstate(invalid="ignore"):
        return np.where(cos <= 1.0, np.arccos(np.minimum(cos, 1.0)), np.nan)


def cherenkov_photons(p, m, detector: Detector | None = None):
    """Mean number of detected photons (∝ sin²θ; 0 below threshold)."""
    d = detector or Detector()
    theta = cherenkov_angle(p, m, d.refractive_index)
    sin2_max = 1.0 - 1.0 / d.refractive_index**2
    return np.nan_to_num(d.cherenkov_photons * np.sin(theta) ** 2 / sin2_max, nan=0.0)


def cherenkov_resolution(photons, detector: Detector | None = None):
    """Per-track angular resolution (rad) with ``photons`` detected photons (≥ 1)."""
    d = detector or Detector()
    photons = np.maximum(np.asarray(photons, dtype=float), 1.0)
    return np.hypot(d.cherenkov_resolution / np.sqrt(photons), d.cherenkov_track_resolution)


def momentum_resolution(pt, beta_, detector: Detector | None = None):
    """Relative resolution σ(p)/p = σ(pT)/pT = (pt_resolution/β) ⊕ pt_resolution_per_gev·pT:
    multiple scattering (∝ 1/β, worse for slow heavy particles) and the curvature
    measurement (∝ pT). ``pt`` in GeV, ``beta_`` the particle's velocity."""
    d = detector or Detector()
    pt = _check_momentum(pt)
    return np.hypot(d.pt_resolution / np.asarray(beta_, dtype=float), d.pt_resolution_per_gev * pt)


def tof_beta_resolution(p, m, length, detector: Detector | None = None):
    """Resolution of the measured β = L/(ct): σβ = β·σt/t."""
    d = detector or Detector()
    return beta(p, m) * d.tof_resolution / time_of_flight(p, m, length)


# --------------------------------------------------------------------------- generator


def _check_species(species) -> tuple[str, ...]:
    if isinstance(species, str):
        species = (species,)
    species = tuple(species)
    if not species:
        raise ValueError(f"species is empty; allowed: {list(SPECIES)}")
    for s in species:
        if s not in PDG_IDS:
            raise ValueError(f"unknown species {s!r}; allowed: {list(SPECIES)}")
    if len(set(species)) != len(species):
        raise ValueError(f"species {species} has duplicates")
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
    density = grid * (1 + (mt - m) / (7 * 0.15)) ** -7
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(grid))])
    return np.interp(rng.uniform(0, cdf[-1], n), cdf, grid)


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


def pid(n: int = 100_000, species=("pi", "K", "p"), detector: Detector | None = None,
        seed: int = 0, p_range: tuple[float, float] = (0.2, 5.0), spectrum: str = "log",
        fractions=None) -> pd.DataFrame:
    """Simulate ``n`` charged tracks and their detector responses.

    Parameters
    ----------
    n : number of tracks (> 0).
    species : names from ``SPECIES`` ("e", "mu", "pi", "K", "p"); the label of a track is
        the index of its species in this tuple (integer class labels for cross-entropy).
    detector : a :class:`Detector` (default: ``Detector()``).
    seed : random seed (same seed, same tracks).
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
    if isinstance(n, bool) or int(n) != n or n <= 0:
        raise ValueError(f"n={n!r}: the number of tracks must be a positive integer")
    n = int(n)
    species = _check_species(species)
    d = Detector() if detector is None else detector
    if not isinstance(d, Detector):
        raise ValueError(f"detector must be a hepcourse.simulate.tracks.Detector, not {type(d).__name__}")
    low, high = (float(x) for x in p_range)
    if not (np.isfinite(low) and np.isfinite(high)) or low <= 0 or high <= low:
        raise ValueError(f"p_range={p_range!r}: need 0 < low < high (GeV); momenta are positive")
    if spectrum not in SPECTRA:
        raise ValueError(f"unknown spectrum {spectrum!r}; allowed: {list(SPECTRA)}")
    if fractions is None:
        fractions = np.full(len(species), 1.0 / len(species))
    fractions = np.asarray(fractions, dtype=float)
    if fractions.shape != (len(species),) or np.any(fractions < 0) or fractions.sum() <= 0:
        raise ValueError(f"fractions={fractions.tolist()!r}: need one non-negative number per "
                         f"species {list(species)}, not all zero")

    rng = np.random.default_rng(seed)
    label = rng.choice(len(species), size=n, p=fractions / fractions.sum())
    masses = np.array([MASSES[s] for s in species])
    m = masses[label]
    p_true = np.empty(n)
    e_dep = np.empty(n)
    for k, s in enumerate(species):
        sel = label == k
        p_true[sel] = _sample_momentum(rng, int(sel.sum()), masses[k], (low, high), spectrum)

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
    with np.errstate(invalid="ignore"):
        t = length / (beta(p_true, m) * C_LIGHT)
    tof = np.where(matched, t + d.tof_offset + d.tof_resolution * rng.standard_normal(n), np.nan)
    beta_measured = np.where(matched, length / (C_LIGHT * tof), np.nan)
    length = np.where(np.isfinite(length), length, np.nan)

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
    sigma_e = np.hypot(d.ecal_stochastic / np.sqrt(e_safe), d.ecal_constant)
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
