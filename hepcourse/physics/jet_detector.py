"""A simple LHC detector for jets: a tracker for charged particles and two sampling
calorimeters with cells in (η, φ) for everything else, so that jets made from generated
particles are not generator-level perfect.

What happens to each visible final-state particle (neutrinos never reach it):

* charged, |η| < ``tracker_eta_max`` and pT > ``track_pt_min``: reconstructed as a track
  with probability ``track_efficiency``; its pT is smeared with σ(pT)/pT =
  ``track_resolution`` ⊕ ``track_resolution_per_gev``·pT (multiple scattering, sagitta;
  :func:`~hepcourse.physics.detector.pt_resolution`), its direction kept;
* charged below ``track_pt_min`` inside the tracker: curls up in the solenoid and is lost;
* charged but not tracked (inefficiency, or beyond the tracker): electrons shower in the
  ECAL, hadrons in the HCAL, muons leave the detector unseen;
* photons go to the ECAL, neutral hadrons (n, K⁰_L, ...) to the HCAL;
* a calorimeter sums the true energy of what enters each cell (square cells of side
  ``ecal_cell`` / ``hcal_cell`` in η and φ, |η| < ``calo_eta_max``), smears the sum with
  σ(E) = a√E ⊕ cE (:func:`~hepcourse.physics.detector.energy_resolution`) and keeps cells
  above its threshold, as massless objects at the cell centre.

The result is what a particle-flow reconstruction would hand to the jet finder: tracks
(pid ±11, ±13 or ±211 for a charged hadron, the sign of the charge), ECAL cells (pid 22)
and HCAL cells (pid 130). The default numbers are ATLAS/CMS-like (tracking 90%, 1% ⊕
0.05%·pT; ECAL 10%/√E ⊕ 1% in cells of 0.025; HCAL 50%/√E ⊕ 5% in cells of 0.1).

Units: GeV, radians.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from .. import validate
from .detector import energy_resolution, pt_resolution
from .kinematics import wrap_phi

__all__ = ["PID_ECAL", "PID_HCAL", "JetDetector", "reconstruct"]

PID_ECAL, PID_HCAL = 22, 130  # the pid given to ECAL and HCAL cells
_NEUTRINOS = (12, 14, 16)

_RANGES = {
    "tracker_eta_max": {"low": 0.0, "low_open": True}, "track_pt_min": {"low": 0.0},
    "track_efficiency": {"low": 0.0, "high": 1.0}, "track_resolution": {"low": 0.0},
    "track_resolution_per_gev": {"low": 0.0}, "calo_eta_max": {"low": 0.0, "low_open": True},
    "ecal_cell": {"low": 0.0, "low_open": True, "high": 1.0}, "ecal_stochastic": {"low": 0.0},
    "ecal_constant": {"low": 0.0}, "ecal_threshold": {"low": 0.0},
    "hcal_cell": {"low": 0.0, "low_open": True, "high": 1.0}, "hcal_stochastic": {"low": 0.0},
    "hcal_constant": {"low": 0.0}, "hcal_threshold": {"low": 0.0},
}


@dataclass(frozen=True)
class JetDetector:
    """The detector's numbers (see the module docstring for what each does).

    Tracker: ``tracker_eta_max``, ``track_pt_min`` (GeV), ``track_efficiency``,
    ``track_resolution`` and ``track_resolution_per_gev`` (1/GeV).
    Calorimeters: ``calo_eta_max``; ECAL and HCAL cell sides (in η and in φ, rad),
    stochastic terms a (GeV^½), constant terms c and cell thresholds (GeV, on the measured
    energy). ``JetDetector.perfect()`` is the generator-level limit, for comparison.
    """

    name: str = "default"
    tracker_eta_max: float = 2.5
    track_pt_min: float = 0.5
    track_efficiency: float = 0.90
    track_resolution: float = 0.01
    track_resolution_per_gev: float = 5e-4
    calo_eta_max: float = 3.0
    ecal_cell: float = 0.025
    ecal_stochastic: float = 0.10
    ecal_constant: float = 0.01
    ecal_threshold: float = 0.5
    hcal_cell: float = 0.1
    hcal_stochastic: float = 0.50
    hcal_constant: float = 0.05
    hcal_threshold: float = 1.0

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise TypeError(f"JetDetector.name={self.name!r}: expected a label (str)")
        for key, bounds in _RANGES.items():
            object.__setattr__(self, key, validate.real(getattr(self, key), f"JetDetector.{key}", **bounds))

    def replace(self, **changes) -> JetDetector:
        """A copy with some fields changed (validated), e.g. ``track_efficiency=0.8``."""
        validate.options(changes, [f.name for f in fields(self)], "JetDetector.replace")
        return replace(self, **changes)

    def config(self) -> dict:
        """Every field as a plain dict (for cache keys and provenance)."""
        return asdict(self)

    @classmethod
    def perfect(cls) -> JetDetector:
        """Every charged particle tracked exactly, no cells' smearing or thresholds (the
        photons and neutral hadrons still go through cells of 0.01)."""
        return cls(name="perfect", track_pt_min=0.0, track_efficiency=1.0, track_resolution=0.0,
                   track_resolution_per_gev=0.0, tracker_eta_max=10.0, calo_eta_max=10.0,
                   ecal_cell=0.01, ecal_stochastic=0.0, ecal_constant=0.0, ecal_threshold=0.0,
                   hcal_cell=0.01, hcal_stochastic=0.0, hcal_constant=0.0, hcal_threshold=0.0)


def _cells(event, eta, phi, energy, cell: float, eta_max: float, stochastic: float,
           constant: float, threshold: float, rng):
    """Sum ``energy`` into cells of side ``cell`` per event, smear, apply the threshold.
    Returns (event, eta, phi, energy) of the kept cells, sorted by event."""
    n_eta = max(1, round(2 * eta_max / cell))
    n_phi = max(1, round(2 * np.pi / cell))
    inside = np.abs(eta) < eta_max
    event, eta, phi, energy = event[inside], eta[inside], phi[inside], energy[inside]
    i_eta = np.clip(((eta + eta_max) / (2 * eta_max) * n_eta).astype(np.int64), 0, n_eta - 1)
    i_phi = np.clip(((phi + np.pi) / (2 * np.pi) * n_phi).astype(np.int64), 0, n_phi - 1)
    key = (event.astype(np.int64) * n_eta + i_eta) * n_phi + i_phi
    unique, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=energy, minlength=unique.size)
    sigma = energy_resolution(summed, stochastic, constant)
    measured = summed + sigma * rng.standard_normal(unique.size)
    keep = measured > max(threshold, 1e-9)
    unique, measured = unique[keep], measured[keep]
    i_phi, rest = unique % n_phi, unique // n_phi
    i_eta, cell_event = rest % n_eta, rest // n_eta
    cell_eta = -eta_max + (i_eta + 0.5) * (2 * eta_max / n_eta)
    cell_phi = wrap_phi(-np.pi + (i_phi + 0.5) * (2 * np.pi / n_phi))
    return cell_event, cell_eta, cell_phi, measured


def reconstruct(detector: JetDetector, event, px, py, pz, energy, charge, pid, rng) -> dict:
    """What ``detector`` sees of the visible final-state particles of many events.

    All inputs are flat arrays [P] over the particles of all events: ``event`` (the event
    index of each particle, int), ``px``, ``py``, ``pz``, ``energy`` (GeV), ``charge`` (units
    of e) and ``pid`` (PDG id). ``rng``: a numpy Generator (the tracking and calorimeter
    random numbers). Returns a dict of flat arrays [R] sorted by event (then tracks, ECAL
    cells, HCAL cells): ``event``, ``pt``, ``eta``, ``phi``, ``energy``, ``px``, ``py``,
    ``pz``, ``charge`` (float) and ``pid`` (int: ±11, ±13, ±211, 22 or 130).
    """
    d = detector
    event, pid = np.asarray(event, np.int64), np.asarray(pid, np.int64)
    px, py, pz, energy, charge = (np.asarray(x, np.float64) for x in (px, py, pz, energy, charge))
    apid = np.abs(pid)
    visible = ~np.isin(apid, _NEUTRINOS)
    pt = np.hypot(px, py)
    p = np.sqrt(pt**2 + pz**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.arcsinh(np.where(pt > 0, pz / np.where(pt > 0, pt, 1.0), np.sign(pz) * 1e3))
    phi = np.arctan2(py, px)
    charged = visible & (charge != 0)
    in_tracker = charged & (np.abs(eta) < d.tracker_eta_max)
    reachable = in_tracker & (pt > d.track_pt_min)
    tracked = reachable & (rng.random(pt.size) < d.track_efficiency)
    curled = in_tracker & ~reachable
    untracked = charged & ~tracked & ~curled
    muon = apid == 13
    to_ecal = visible & (((charge == 0) & (apid == 22)) | (untracked & (apid == 11)))
    to_hcal = visible & (((charge == 0) & (apid != 22)) | (untracked & ~muon & (apid != 11)))

    # tracks: pT smeared, direction kept, the particle's own mass
    t = np.flatnonzero(tracked)
    sigma = pt_resolution(pt[t], d.track_resolution, d.track_resolution_per_gev)
    scale = np.maximum(1.0 + sigma * rng.standard_normal(t.size), 0.05)
    mass2 = np.maximum(energy[t] ** 2 - p[t] ** 2, 0.0)
    track_pid = np.where(np.isin(apid[t], (11, 13)), pid[t], 211 * np.sign(charge[t]).astype(np.int64))
    parts = [{"event": event[t], "pt": pt[t] * scale, "eta": eta[t], "phi": phi[t],
              "energy": np.sqrt((p[t] * scale) ** 2 + mass2), "charge": charge[t], "pid": track_pid}]
    for mask, side, a, c, threshold, code in (
            (to_ecal, d.ecal_cell, d.ecal_stochastic, d.ecal_constant, d.ecal_threshold, PID_ECAL),
            (to_hcal, d.hcal_cell, d.hcal_stochastic, d.hcal_constant, d.hcal_threshold, PID_HCAL)):
        ce, ceta, cphi, cenergy = _cells(event[mask], eta[mask], phi[mask], energy[mask], side,
                                         d.calo_eta_max, a, c, threshold, rng)
        parts.append({"event": ce, "pt": cenergy / np.cosh(ceta), "eta": ceta, "phi": cphi,
                      "energy": cenergy, "charge": np.zeros(ce.size),
                      "pid": np.full(ce.size, code, np.int64)})
    out = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    order = np.argsort(out["event"], kind="stable")
    out = {key: value[order] for key, value in out.items()}
    out["px"], out["py"] = out["pt"] * np.cos(out["phi"]), out["pt"] * np.sin(out["phi"])
    out["pz"] = out["pt"] * np.sinh(out["eta"])
    return out
