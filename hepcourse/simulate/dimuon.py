"""High-mass dimuon events for a resonance search (the student project).

A new neutral boson Z' → μ⁺μ⁻ (a Breit-Wigner of width 3% of its mass) hidden among three
Standard Model backgrounds with two prompt or non-prompt muons above m_μμ = 150 GeV:

- ``drell_yan``  qq̄ → γ*/Z → μμ: prompt, isolated muons, a steeply falling mass spectrum
  (∝ m^-4.5). It looks like the signal in everything but the mass: irreducible.
- ``ttbar``      tt̄ → bW bW → bμν bμν: isolated muons, two b jets, large missing pT from
  the neutrinos, a broad mass spectrum.
- ``nonprompt``  bb̄ with semileptonic b decays: muons inside jets (poor isolation),
  displaced from the beam line (impact parameter d0 of order cτ_B ≈ 0.45 mm × angles).

The dimuon system (mass, pT, rapidity) decays with the 1 + cos²θ* distribution of a vector
boson (``vector`` four-vectors); the muons are smeared with σ(pT)/pT = 1% ⊕ 5·10⁻⁵·pT/GeV
(in quadrature), accepted within |η| < 2.4 and pT > 30 GeV, and m_μμ is recomputed from
the measured muons.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import vector

from .. import validate
from ..constants import MU_MASS
from ..physics.detector import pt_resolution
from ..physics.kinematics import SQRT_S, breit_wigner, from_pt_rapidity, two_body_decay
from ._sampling import accepted, power_law

PROCESSES = ("zprime", "drell_yan", "ttbar", "nonprompt")
# the classifier inputs: object quality and event activity, nothing that knows the dimuon
# mass (muon pT, the pair pT and Δφ all do, through the decay kinematics), so that a
# selection cannot sculpt a bump into the falling background
FEATURES = ("mu1_eta", "mu1_iso", "mu1_d0", "mu2_eta", "mu2_iso", "mu2_d0", "met", "n_jets",
            "n_bjets", "cos_theta")
MASS_MIN = 150.0  # GeV, the search region
ZPRIME_WIDTH = 0.03  # Γ/m of the Z'
MUON_RESOLUTION = (0.01, 5e-5)  # σ(pT)/pT = a ⊕ b·pT[GeV]


def _parents(rng, n, process, masses):
    """Masses (GeV), transverse momenta (GeV) and rapidities of n dimuon systems; for the
    Z' the mass is drawn per event from the Breit-Wigner of one of ``masses`` (GeV),
    truncated to [0.5, 1.5] times it."""
    if process == "zprime":
        centre = rng.choice(masses, size=n)
        m = breit_wigner(rng, n, centre, ZPRIME_WIDTH * centre, 0.5 * centre, 1.5 * centre)
        pt = rng.gamma(1.5, 15.0, n)  # produced by qq̄ annihilation, like Drell-Yan
        y = rng.normal(0.0, 1.0, n)
    elif process == "drell_yan":
        m = power_law(rng, n, MASS_MIN * 0.8, index=4.5)
        pt = rng.gamma(1.5, 15.0, n)
        y = rng.normal(0.0, 1.0, n)
    elif process == "ttbar":
        m = 30.0 + rng.gamma(2.5, 60.0, n)
        pt = rng.gamma(2.0, 45.0, n)
        y = rng.normal(0.0, 0.9, n)
    else:  # nonprompt
        m = power_law(rng, n, MASS_MIN * 0.8, index=4.0)
        pt = rng.gamma(1.8, 25.0, n)
        y = rng.normal(0.0, 1.0, n)
    return m, pt, y


def _measure(rng, mu):
    """The measured muons: pT smeared with σ(pT)/pT = a ⊕ b·pT (:data:`MUON_RESOLUTION`,
    added in quadrature), direction kept. ``mu``: a vector array [k]; returns one [k]."""
    true_pt = np.asarray(mu.pt)
    resolution = pt_resolution(true_pt, *MUON_RESOLUTION)
    return vector.array({"pt": true_pt * (1 + resolution * rng.standard_normal(true_pt.size)),
                         "eta": np.asarray(mu.eta), "phi": np.asarray(mu.phi),
                         "M": np.full(true_pt.size, MU_MASS)})


def _event_properties(rng, n, process):
    """Isolation (relative), d0 (μm) of both muons, missing pT (GeV), jets and b jets."""
    if process in ("zprime", "drell_yan"):
        iso = rng.exponential(0.03, (2, n))
        d0 = rng.normal(0.0, 15.0, (2, n))
        met = rng.rayleigh(14.0, n)
        n_jets = rng.poisson(0.7, n)
        n_b = rng.binomial(n_jets, 0.03)
    elif process == "ttbar":
        iso = rng.exponential(0.06, (2, n))
        d0 = rng.normal(0.0, 15.0, (2, n))
        met = np.hypot(rng.normal(0, 70, n), rng.normal(0, 70, n)) + rng.rayleigh(10.0, n)
        n_jets = 2 + rng.poisson(0.8, n)
        n_b = rng.binomial(2, 0.7, n) + rng.binomial(n_jets - 2, 0.03)
    else:  # nonprompt: muons from b decays inside jets
        iso = 0.05 + rng.exponential(0.35, (2, n))
        flight = rng.exponential(110.0, (2, n))  # μm, projected B flight distance
        d0 = rng.choice([-1.0, 1.0], size=(2, n)) * flight + rng.normal(0.0, 15.0, (2, n))
        met = rng.rayleigh(22.0, n)
        n_jets = 2 + rng.poisson(1.0, n)
        n_b = rng.binomial(2, 0.5, n) + rng.binomial(n_jets - 2, 0.03)
    return iso, d0, met, n_jets, n_b



def _process_block(rng, missing, process, masses):
    """The accepted events of one trial sample of ``process``, at most ``missing``, as a
    DataFrame of the columns of :func:`dimuon_search` (without label and process)."""
    trial = int(missing * 2.5) + 200
    m, pt, y = _parents(rng, trial, process, masses)
    parent = from_pt_rapidity(m, pt, y, rng.uniform(-np.pi, np.pi, trial))
    muons = [_measure(rng, mu) for mu in two_body_decay(rng, parent, MU_MASS, MU_MASS,
                                                         angular="vector")]
    # order by measured pT: muon 1 is the leading one
    swap = np.asarray(muons[1].pt > muons[0].pt)
    lead, sub = (vector.array({**{k: np.where(swap, np.asarray(getattr(muons[i], k)),
                                             np.asarray(getattr(muons[1 - i], k)))
                                  for k in ("pt", "eta", "phi")}, "M": np.full(trial, MU_MASS)})
                 for i in (1, 0))
    pair = lead + sub
    mass = np.asarray(pair.mass)
    ok = ((np.abs(lead.eta) < 2.4) & (np.abs(sub.eta) < 2.4) & (sub.pt > 30.0)
          & (mass > MASS_MIN))
    idx = np.flatnonzero(ok)[:missing]
    iso, d0, met, n_jets, n_b = _event_properties(rng, idx.size, process)
    lead, sub, pair = lead[idx], sub[idx], pair[idx]
    # Collins-Soper-like angle: the muon direction in the pair rest frame vs the pair boost
    cm_lead = lead.boostCM_of_p4(pair)
    cos_theta = np.asarray(np.cos(cm_lead.theta)) * np.sign(np.asarray(pair.pz) + 1e-12)
    return pd.DataFrame({
        "mu1_pt": np.asarray(lead.pt), "mu1_eta": np.asarray(lead.eta),
        "mu1_iso": iso[0], "mu1_d0": d0[0],
        "mu2_pt": np.asarray(sub.pt), "mu2_eta": np.asarray(sub.eta),
        "mu2_iso": iso[1], "mu2_d0": d0[1],
        "met": met, "n_jets": n_jets, "n_bjets": n_b,
        "pt_mumu": np.asarray(pair.pt), "cos_theta": cos_theta,
        "delta_phi": np.abs(np.asarray(lead.deltaphi(sub))),
        "m_mumu": mass[idx],
        "true_mass": m[idx] if process == "zprime" else np.full(idx.size, np.nan),
    })


def _check_mix(background_mix) -> np.ndarray:
    mix = validate.reals(background_mix, "background_mix", low=0.0, ndim=1)
    if mix.shape != (3,) or not np.isclose(mix.sum(), 1):
        raise ValueError(f"background_mix={background_mix!r} must be 3 fractions (drell_yan, "
                         "ttbar, nonprompt) that add up to 1")
    return mix


def dimuon_search(n: int, signal_fraction: float = 0.5, signal_mass=(400, 600, 800, 1000, 1200),
                  background_mix=(0.5, 0.3, 0.2), *, seed=0) -> pd.DataFrame:
    """n dimuon events with m_μμ > 150 GeV for a Z' → μμ search.

    signal_fraction: fraction of Z' events, in [0, 1]; signal_mass: a mass in GeV, or
    several (each signal event draws one), above 150 GeV and at most √s = 13.6 TeV;
    background_mix: fractions of drell_yan, ttbar, nonprompt (adding up to 1); seed:
    keyword only, an int ≥ 0 or a numpy Generator (same seed, same events).
    Returns a DataFrame, one row per event, shuffled: mu1_pt, mu2_pt, pt_mumu (GeV),
    delta_phi (rad), the classifier inputs of ``FEATURES`` (η, isolation relative to the
    muon pT, d0 in μm, met in GeV, jet counts, cos θ*), ``m_mumu`` (GeV), ``true_mass``
    (GeV: the Z' mass generated for the event, drawn from the Breit-Wigner of width 3%
    around its ``signal_mass``; NaN for background), ``label`` (1 for Z') and ``process``
    (one of ``PROCESSES``).
    """
    n = validate.count(n, "n")
    signal_fraction = validate.probability(signal_fraction, "signal_fraction")
    mix = _check_mix(background_mix)
    masses = np.atleast_1d(validate.reals(signal_mass, "signal_mass"))
    if masses.ndim != 1 or masses.size == 0 or np.any(masses <= MASS_MIN) or np.any(masses > SQRT_S):
        raise ValueError(f"signal_mass={signal_mass!r}: give masses in GeV above the search "
                         f"threshold {MASS_MIN} GeV and at most √s = {SQRT_S:.0f} GeV")
    rng = validate.rng(seed)
    counts = rng.multinomial(n, np.r_[signal_fraction, (1 - signal_fraction) * mix])
    frames = []
    for process, count in zip(PROCESSES, counts):
        if count == 0:
            continue
        def draw(missing, process=process):
            return _process_block(rng, missing, process, masses)

        blocks = accepted(draw, int(count), f"dimuon_search: {process}")
        frame = pd.concat(list(blocks), ignore_index=True)
        frame["label"] = int(process == "zprime")
        frame["process"] = process
        frames.append(frame)
    events = pd.concat(frames, ignore_index=True)
    events = events.iloc[rng.permutation(len(events))].reset_index(drop=True)
    events["n_jets"] = events["n_jets"].astype(np.int64)
    events["n_bjets"] = events["n_bjets"].astype(np.int64)
    events["process"] = pd.Categorical(events["process"], categories=PROCESSES)
    return events


def peak_width(mass, *, n: int = 20_000, seed=0):
    """The width σ (GeV) of the Gaussian that describes a Z' peak at ``mass`` in the
    measured m_μμ: the detector resolution ⊕ the natural width, both measured from this
    simulator (``n`` Z' events, ``seed``) and added in quadrature.

    The resolution is the robust standard deviation (interquartile range / 1.349) of
    m_μμ − m_true; the natural width Γ is the interquartile range of m_true (the FWHM of a
    Breit-Wigner) and enters as the Gaussian of the same FWHM, Γ / (2√(2 ln 2)).
    mass: a number or a 1-D array of masses (GeV) in the range :func:`dimuon_search`
    accepts; returns a float or an array of the same shape. Same seed, same widths.
    """
    masses = validate.reals(mass, "mass", low=MASS_MIN, low_open=True)
    if masses.ndim > 1:
        raise ValueError(f"mass: expected a number or a 1-D array of masses, got shape {masses.shape}")
    n = validate.count(n, "n", minimum=100)
    widths = []
    for m in np.atleast_1d(masses):
        events = dimuon_search(n, signal_fraction=1.0, signal_mass=float(m), seed=seed)
        q = np.percentile(events["m_mumu"] - events["true_mass"], [25, 75])
        resolution = (q[1] - q[0]) / 1.349
        natural = np.subtract(*np.percentile(events["true_mass"], [75, 25]))
        widths.append(float(np.hypot(resolution, natural / (2 * np.sqrt(2 * np.log(2))))))
    return widths[0] if masses.ndim == 0 else np.array(widths)
