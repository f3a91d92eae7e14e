"""Detector response, written once: specific ionisation (Bethe-Bloch in the ALEPH form),
velocity and time of flight over a helix, Cherenkov threshold, angle, photon yield and
ring resolution, and the resolutions of trackers and calorimeters.

The functions take the physical parameters explicitly (numbers or arrays that broadcast);
:mod:`hepcourse.simulate.tracks` binds them to its :class:`~hepcourse.simulate.tracks.Detector`.
Array arguments may hold NaN, which marks a missing measurement and propagates; infinite
or out-of-range values raise ValueError naming the argument.

Units: momenta, masses and energies in GeV (c = 1), lengths in m, times in ns, angles in
rad, magnetic fields in T.
"""
from __future__ import annotations

import numpy as np

from .. import validate
from ..constants import C_LIGHT

__all__ = [
    "ALEPH_PARAMETERS", "beta", "beta_from_time", "beta_resolution", "bethe_bloch_aleph",
    "cherenkov_angle", "cherenkov_threshold", "cherenkov_yield", "energy_resolution",
    "mean_dedx", "path_length", "pt_resolution", "ring_resolution", "time_of_flight",
    "tower_edges",
]

#: The five ALEPH Bethe-Bloch parameters (P1..P5) of the ALICE TPC.
ALEPH_PARAMETERS = (0.076176, 10.632, 1.3279e-5, 1.8631, 1.9479)

#: Curvature radius per unit pT and field: ρ [m] = pT [GeV] / (0.2998 · B [T]).
_CURVATURE = 0.299792458


def _values(x, name: str, *, low: float | None = None, low_open: bool = False) -> np.ndarray:
    """x as a float array; NaN allowed (a missing measurement), ±inf and values below
    ``low`` (or equal to it with ``low_open``) refused."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name}={x!r}: expected numbers")
    try:
        array = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected numbers, got {type(x).__name__}") from None
    validate.reals(array[~np.isnan(array)], name, low=low, low_open=low_open)
    return array


def beta(p, m):
    """Velocity β = p/√(p² + m²) of a particle of momentum ``p`` ≥ 0 and mass ``m`` > 0
    (GeV; arrays broadcast). Returns β in [0, 1), the broadcast shape."""
    p, m = _values(p, "p", low=0.0), _values(m, "m", low=0.0, low_open=True)
    return p / np.sqrt(p * p + m * m)


def bethe_bloch_aleph(betagamma, parameters=ALEPH_PARAMETERS):
    """Mean dE/dx as a function of βγ in the ALEPH parameterisation, in units where the
    minimum-ionising signal is ≈ 1 (minimum 0.995 at βγ ≈ 3.4; plateau 1.59):

        f(βγ) = P1/β^P4 · (P2 − β^P4 − ln(P3 + 1/(βγ)^P5))

    ``betagamma``: βγ = p/m > 0 (array). ``parameters``: (P1, P2, P3, P4, P5), finite.
    Returns an array of the shape of ``betagamma``.
    """
    bg = _values(betagamma, "betagamma", low=0.0, low_open=True)
    parameters = validate.reals(parameters, "parameters", ndim=1)
    if parameters.shape != (5,):
        raise ValueError(f"parameters: the ALEPH form has five parameters P1..P5, got {parameters.size}")
    p1, p2, p3, p4, p5 = parameters
    b = bg / np.sqrt(1.0 + bg * bg)
    bp = b**p4
    return p1 / bp * (p2 - bp - np.log(p3 + bg ** (-p5)))


def mean_dedx(p, m, scale: float = 1.0, parameters=ALEPH_PARAMETERS):
    """Expected dE/dx of a particle of mass ``m`` at momentum ``p`` (GeV): ``scale`` (the
    signal of a minimum-ionising particle, detector units) times :func:`bethe_bloch_aleph`
    of βγ = p/m. p = 0 is taken as 10⁻⁹ GeV (a stopped particle: a very large signal)."""
    p, m = _values(p, "p", low=0.0), _values(m, "m", low=0.0, low_open=True)
    scale = validate.positive(scale, "scale")
    return scale * bethe_bloch_aleph(np.maximum(p, 1e-9) / m, parameters)


def time_of_flight(p, m, length):
    """Time of flight t = L/(βc) in ns over a path ``length`` L > 0 (m) at momentum ``p``
    (GeV) for mass ``m`` (GeV). Arrays broadcast."""
    length = _values(length, "length", low=0.0, low_open=True)
    return length / (beta(p, m) * C_LIGHT)


def beta_from_time(length, time):
    """The velocity a time-of-flight detector measures: β = L/(c·t) for a path ``length``
    (m) and a time ``time`` (ns; NaN where there is no matched hit)."""
    length = _values(length, "length", low=0.0, low_open=True)
    time = _values(time, "time")
    with np.errstate(divide="ignore", invalid="ignore"):
        return length / (C_LIGHT * time)


def beta_resolution(p, m, length, time_resolution: float):
    """Resolution of the measured β = L/(ct): σβ = β·σt/t, for a time resolution
    ``time_resolution`` (ns) over a path ``length`` (m) at momentum ``p`` for mass ``m``."""
    time_resolution = validate.positive(time_resolution, "time_resolution")
    return beta(p, m) * time_resolution / time_of_flight(p, m, length)


def path_length(pt, eta, radius: float, b_field: float):
    """Helix path length (m) from the beam line to a cylinder of ``radius`` (m) for a track
    of transverse momentum ``pt`` (GeV) and pseudorapidity ``eta`` in a solenoid of
    ``b_field`` (T): the transverse arc 2ρ·asin(R/2ρ), ρ = pT/(0.3 B), times cosh η.
    NaN where the track curls up before reaching the cylinder (2ρ < R). Arrays broadcast.
    """
    pt, eta = _values(pt, "pt", low=0.0), _values(eta, "eta")
    radius = validate.positive(radius, "radius")
    b_field = validate.real(b_field, "b_field", low=0.0)
    if b_field == 0:
        return radius * np.cosh(eta) * np.ones_like(pt)
    rho = pt / (_CURVATURE * b_field)
    ratio = radius / (2.0 * np.maximum(rho, 1e-12))
    with np.errstate(invalid="ignore"):
        arc = np.where(ratio <= 1, 2.0 * rho * np.arcsin(np.minimum(ratio, 1.0)), np.nan)
    return arc * np.cosh(eta)


def cherenkov_threshold(m, n):
    """Momentum (GeV) above which a particle of mass ``m`` (GeV) radiates in a medium of
    refractive index ``n`` > 1: p = m/√(n² − 1)."""
    m = _values(m, "m", low=0.0, low_open=True)
    n = _values(n, "n", low=1.0, low_open=True)
    return m / np.sqrt(n * n - 1.0)


def cherenkov_angle(p, m, n):
    """Cherenkov angle θ (rad), cos θ = 1/(nβ), for momentum ``p`` and mass ``m`` (GeV) in
    a radiator of index ``n`` > 1; NaN below threshold (no light)."""
    n = _values(n, "n", low=1.0, low_open=True)
    cos = 1.0 / (n * beta(p, m))
    with np.errstate(invalid="ignore"):
        return np.where(cos <= 1.0, np.arccos(np.minimum(cos, 1.0)), np.nan)


def cherenkov_yield(p, m, n, saturated: float):
    """Mean number of detected Cherenkov photons: ``saturated`` (the mean at β = 1) times
    sin²θ / sin²θ_max, since the yield per unit length goes as sin²θ; 0 below threshold."""
    saturated = validate.real(saturated, "saturated", low=0.0)
    n = _values(n, "n", low=1.0, low_open=True)
    theta = cherenkov_angle(p, m, n)
    return np.nan_to_num(saturated * np.sin(theta) ** 2 / (1.0 - 1.0 / n**2), nan=0.0)


def ring_resolution(photons, single_photon: float, track: float):
    """Per-track Cherenkov-angle resolution (rad) with ``photons`` detected photons (taken
    as ≥ 1): ``single_photon``/√N in quadrature with the ``track`` direction term (rad)."""
    photons = np.maximum(_values(photons, "photons", low=0.0), 1.0)
    single_photon = validate.positive(single_photon, "single_photon")
    track = validate.real(track, "track", low=0.0)
    return np.hypot(single_photon / np.sqrt(photons), track)


def pt_resolution(pt, multiple_scattering: float, curvature: float, velocity=1.0):
    """Relative transverse-momentum resolution of a tracker, σ(pT)/pT =
    (``multiple_scattering``/β) ⊕ ``curvature``·pT: the multiple-scattering term (∝ 1/β,
    worse for slow heavy particles) and the sagitta measurement (∝ pT, ``curvature`` in
    1/GeV). ``pt`` (GeV) and ``velocity`` β (default 1) are arrays that broadcast."""
    pt = _values(pt, "pt", low=0.0)
    velocity = _values(velocity, "velocity", low=0.0, low_open=True)
    multiple_scattering = validate.real(multiple_scattering, "multiple_scattering", low=0.0)
    curvature = validate.real(curvature, "curvature", low=0.0)
    return np.hypot(multiple_scattering / velocity, curvature * pt)


def energy_resolution(energy, stochastic: float, constant: float, noise: float = 0.0):
    """Absolute energy resolution of a calorimeter, σ(E) = √(a²E + (cE)² + σ_noise²) in GeV
    (that is σ/E = a/√E ⊕ c ⊕ σ_noise/E) for ``energy`` E ≥ 0 (GeV, array), the stochastic
    term ``stochastic`` a (GeV^½), the ``constant`` term c and the electronic ``noise``
    (GeV). Returns an array of the shape of ``energy``."""
    energy = _values(energy, "energy", low=0.0)
    a = validate.real(stochastic, "stochastic", low=0.0)
    c = validate.real(constant, "constant", low=0.0)
    noise = validate.real(noise, "noise", low=0.0)
    return np.sqrt(a * a * energy + (c * energy) ** 2 + noise * noise)


def tower_edges(n_eta: int, n_phi: int, eta_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Tower edges of a calorimeter of ``n_eta`` × ``n_phi`` towers covering |η| < eta_max
    and the full azimuth: (eta_edges [n_eta + 1], phi_edges [n_phi + 1], from −π to π)."""
    n_eta, n_phi = validate.count(n_eta, "n_eta"), validate.count(n_phi, "n_phi")
    eta_max = validate.positive(eta_max, "eta_max")
    return np.linspace(-eta_max, eta_max, n_eta + 1), np.linspace(-np.pi, np.pi, n_phi + 1)
