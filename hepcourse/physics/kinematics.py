"""Relativistic kinematics used by every simulator: masses from a Breit-Wigner, two-body
decays in the parent's rest frame boosted to the lab (``vector``), a parent built from its
mass, pT, rapidity and azimuth, isotropic directions, azimuths wrapped.

Energies, momenta and masses in GeV; angles in rad.
"""
from __future__ import annotations

import numpy as np
import vector

ANGULAR = ("isotropic", "vector")

#: Centre-of-mass energy of the LHC in Run 3 (GeV): no produced mass can exceed it.
SQRT_S = 13_600.0


def breit_wigner(rng: np.random.Generator, n: int, mass, width, low, high) -> np.ndarray:
    """n masses [GeV] from a relativistic Breit-Wigner of pole ``mass`` and ``width``
    (GeV), truncated to [low, high]: inverse-CDF sampling in atan((m² − M²)/(MΓ)).

    ``mass``, ``width``, ``low`` and ``high`` may be numbers or arrays of shape [n]; a
    zero width returns the pole mass. Returns float64 [n].
    """
    mass, width = np.asarray(mass, float), np.asarray(width, float)
    if not (np.all(np.isfinite(mass)) and np.all(np.isfinite(width))):
        raise ValueError("breit_wigner: the mass and the width must be finite")
    if np.any(width < 0) or np.any(mass <= 0):
        raise ValueError("breit_wigner: the mass must be > 0 and the width ≥ 0")
    safe = np.where(width > 0, width, 1.0)
    lo = np.arctan((np.square(low) - mass**2) / (mass * safe))
    hi = np.arctan((np.square(high) - mass**2) / (mass * safe))
    u = rng.uniform(0.0, 1.0, n) * (hi - lo) + lo
    return np.where(width > 0, np.sqrt(mass**2 + mass * safe * np.tan(u)), mass * np.ones(n))


def from_pt_rapidity(mass, pt, rapidity, phi):
    """Four-vectors (a vector 4D array) of particles of ``mass`` (GeV) with transverse
    momentum ``pt`` (GeV), ``rapidity`` y and azimuth ``phi`` (rad), all arrays [n] or
    numbers: E = mT cosh y, pz = mT sinh y with mT = √(m² + pT²)."""
    mass, pt = np.asarray(mass, float), np.asarray(pt, float)
    mt = np.sqrt(mass**2 + pt**2)
    return vector.array({"px": pt * np.cos(phi), "py": pt * np.sin(phi),
                         "pz": mt * np.sinh(rapidity), "E": mt * np.cosh(rapidity)})


def wrap_phi(phi):
    """Azimuths folded into [−π, π) (any input; returns a new float array)."""
    return (np.asarray(phi, dtype=float) + np.pi) % (2 * np.pi) - np.pi


def isotropic(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n unit vectors uniform on the sphere: (ux, uy, uz), each [n]."""
    cos = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    sin = np.sqrt(1.0 - cos**2)
    return sin * np.cos(phi), sin * np.sin(phi), cos


def _vector_boson_cos(rng: np.random.Generator, n: int) -> np.ndarray:
    """cos θ* from 1 + cos²θ* (a vector boson decaying to two fermions), accept-reject."""
    cos = np.empty(0)
    while cos.size < n:
        trial = rng.uniform(-1, 1, 2 * n)
        keep = rng.uniform(0, 2, 2 * n) < 1 + trial**2
        cos = np.concatenate([cos, trial[keep]])
    return cos[:n]


def two_body_decay(rng: np.random.Generator, parent, m1, m2, angular: str = "isotropic"):
    """Decay ``parent`` (a vector 4D array of n particles, mass M) into daughters of
    masses m1 and m2 (GeV, numbers or arrays [n]; needs M ≥ m1 + m2).

    angular: ``"isotropic"`` in the parent's rest frame, or ``"vector"`` for the 1 + cos²θ*
    distribution of a vector boson (Z, γ*, Z′) decaying into fermions.
    Returns both daughters in the lab frame (vector arrays). The first is boosted from the
    rest frame; the second is parent − first (momentum conservation, one boost).
    """
    if angular not in ANGULAR:
        raise ValueError(f"angular={angular!r}: use one of {ANGULAR}")
    n = len(parent)
    M = np.asarray(parent.mass)
    m1 = np.broadcast_to(np.asarray(m1, float), (n,))
    m2 = np.broadcast_to(np.asarray(m2, float), (n,))
    lam = (M**2 - (m1 + m2) ** 2) * (M**2 - (m1 - m2) ** 2)
    p = np.sqrt(np.clip(lam, 0.0, None)) / (2.0 * M)
    if angular == "isotropic":
        ux, uy, uz = isotropic(rng, n)
    else:
        uz = _vector_boson_cos(rng, n)
        phi = rng.uniform(-np.pi, np.pi, n)
        sin = np.sqrt(1 - uz**2)
        ux, uy = sin * np.cos(phi), sin * np.sin(phi)
    first = vector.array({"px": p * ux, "py": p * uy, "pz": p * uz, "M": m1}).boost_p4(parent)
    px, py, pz = np.asarray(first.px), np.asarray(first.py), np.asarray(first.pz)
    second = vector.array({"px": np.asarray(parent.px) - px, "py": np.asarray(parent.py) - py,
                           "pz": np.asarray(parent.pz) - pz, "M": m2})
    return first, second
