"""High-mass dimuon events for a resonance search (the student project).

A new neutral boson Z' → μ⁺μ⁻ (a Breit-Wigner of width 3% of its mass) hidden among three
Standard Model backgrounds with two prompt or non-prompt muons above m_μμ = 150 GeV:

- ``drell_yan``  qq̄ → γ*/Z → μμ: prompt, isolated muons, a steeply falling mass spectrum
  (∝ m^-4.5). It looks like the signal in everything but the mass: irreducible.
- ``ttbar``      tt̄ → bW bW → bμν bμν: isolated muons, two b jets, large missing pT from
  the neutrinos, a broad mass spectrum.
- ``nonprompt``  bb̄ with semileptonic b decays: muons inside jets (poor isolation),
  displaced from the beam line (impact parameter d0 of order cτ_B ≈ 0.45 mm × angles).

Muons are generated as four-vectors (``vector``), smeared with σ(pT)/pT = 1% ⊕ 5·10⁻⁵·pT/GeV,
accepted within |η| < 2.4 and pT > 30 GeV; m_μμ is recomputed from the measured muons.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import vector

from .drell_yan import MU_MASS, breit_wigner_mass, two_body_decay

PROCESSES = ("zprime", "drell_yan", "ttbar", "nonprompt")
# the classifier inputs: object quality and event activity, nothing that knows the dimuon
# mass (muon pT, the pair pT and Δφ all do, through the decay kinematics), so that a
# selection cannot sculpt a bump into the falling background
FEATURES = ("mu1_eta", "mu1_iso", "mu1_d0", "mu2_eta", "mu2_iso", "mu2_d0", "met", "n_jets",
            "n_bjets", "cos_theta")
MASS_MIN = 150.0  # GeV, the search region


def _parents(rng, n, process, mass_value):
    """Masses (GeV), transverse momenta (GeV) and rapidities of the dimuon system."""
    if process == "zprime":
        masses = np.atleast_1d(np.asarray(mass_value, dtype=float))
        centre = rng.choice(masses, size=n)
        m = np.array([breit_wigner_mass(rng, 1, c, 0.03 * c, 0.5 * c, 1.5 * c)[0] for c in centre]) \
            if n < 64 else _bw_many(rng, centre)
        pt = rng.gamma(1.5, 15.0, n)  # produced by qq̄ annihilation, like Drell-Yan
        y = rng.normal(0.0, 1.0, n)
    elif process == "drell_yan":
        m = MASS_MIN * 0.8 * rng.uniform(size=n) ** (-1 / 3.5)
        pt = rng.gamma(1.5, 15.0, n)
        y = rng.normal(0.0, 1.0, n)
    elif process == "ttbar":
        m = 30.0 + rng.gamma(2.5, 60.0, n)
        pt = rng.gamma(2.0, 45.0, n)
        y = rng.normal(0.0, 0.9, n)
    else:  # nonprompt
        m = MASS_MIN * 0.8 * rng.uniform(size=n) ** (-1 / 3.0)
        pt = rng.gamma(1.8, 25.0, n)
        y = rng.normal(0.0, 1.0, n)
    return m, pt, y


def _bw_many(rng, centre):
    out = np.empty(centre.size)
    for value in np.unique(centre):
        idx = np.flatnonzero(centre == value)
        out[idx] = breit_wigner_mass(rng, idx.size, value, 0.03 * value, 0.5 * value, 1.5 * value)
    return out


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


def _process_events(rng, n, process, mass_value):
    """n accepted events of one process as a dict of columns."""
    rows, have = [], 0
    while have < n:
        trial = int((n - have) * 2.5) + 200
        m, pt, y = _parents(rng, trial, process, mass_value)
        mt = np.sqrt(m**2 + pt**2)
        phi = rng.uniform(-np.pi, np.pi, trial)
        parent = vector.array({"px": pt * np.cos(phi), "py": pt * np.sin(phi),
                               "pz": mt * np.sinh(y), "E": mt * np.cosh(y)})
        mu_a, mu_b = two_body_decay(rng, parent, MU_MASS)
        measured = []
        for mu in (mu_a, mu_b):
            true_pt = np.asarray(mu.pt)
            resolution = 0.01 + 5e-5 * true_pt
            measured.append(vector.array({
                "pt": true_pt * (1 + resolution * rng.standard_normal(trial)),
                "eta": np.asarray(mu.eta), "phi": np.asarray(mu.phi),
                "M": np.full(trial, MU_MASS)}))
        # order by measured pT: muon 1 is the leading one
        swap = measured[1].pt > measured[0].pt
        lead = vector.array({k: np.where(swap, getattr(measured[1], k), getattr(measured[0], k))
                             for k in ("pt", "eta", "phi", "M")})
        sub = vector.array({k: np.where(swap, getattr(measured[0], k), getattr(measured[1], k))
                            for k in ("pt", "eta", "phi", "M")})
        pair = lead + sub
        mass = np.asarray(pair.mass)
        ok = ((np.abs(lead.eta) < 2.4) & (np.abs(sub.eta) < 2.4) & (sub.pt > 30.0)
              & (mass > MASS_MIN))
        idx = np.flatnonzero(ok)[: n - have]
        iso, d0, met, n_jets, n_b = _event_properties(rng, idx.size, process)
        # Collins-Soper-like angle: the muon direction in the pair rest frame vs the pair boost
        cm_lead = lead[idx].boostCM_of_p4(pair[idx])
        cos_theta = np.asarray(np.cos(cm_lead.theta)) * np.sign(np.asarray(pair[idx].pz) + 1e-12)
        rows.append({
            "mu1_pt": np.asarray(lead.pt)[idx], "mu1_eta": np.asarray(lead.eta)[idx],
            "mu1_iso": iso[0], "mu1_d0": d0[0],
            "mu2_pt": np.asarray(sub.pt)[idx], "mu2_eta": np.asarray(sub.eta)[idx],
            "mu2_iso": iso[1], "mu2_d0": d0[1],
            "met": met, "n_jets": n_jets, "n_bjets": n_b,
            "pt_mumu": np.asarray(pair.pt)[idx], "cos_theta": cos_theta,
            "delta_phi": np.abs(np.asarray(lead.deltaphi(sub)))[idx],
            "m_mumu": mass[idx],
        })
        have += idx.size
    return {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}


def dimuon_search(n: int, signal_fraction: float = 0.5, signal_mass=(400, 600, 800, 1000, 1200),
                  background_mix=(0.5, 0.3, 0.2), seed: int = 0) -> pd.DataFrame:
    """n dimuon events with m_μμ > 150 GeV for a Z' → μμ search.

    signal_fraction: fraction of Z' events; signal_mass: a mass in GeV, or several (each
    signal event draws one); background_mix: fractions of drell_yan, ttbar, nonprompt.
    Returns a DataFrame, one row per event, shuffled: mu1_pt, mu2_pt, pt_mumu (GeV),
    delta_phi (rad), the classifier inputs of ``FEATURES`` (η, isolation relative to the
    muon pT, d0 in μm, met in GeV, jet counts, cos θ*), ``m_mumu`` (GeV), ``label``
    (1 for Z'), ``process`` (one of ``PROCESSES``) and ``true_mass`` (GeV, NaN for background).
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n={n!r}: the number of events must be a positive integer")
    if not 0 <= signal_fraction <= 1:
        raise ValueError(f"signal_fraction={signal_fraction!r} must lie in [0, 1]")
    mix = np.asarray(background_mix, dtype=float)
    if mix.shape != (3,) or np.any(mix < 0) or not np.isclose(mix.sum(), 1):
        raise ValueError(f"background_mix={background_mix!r} must be 3 fractions (drell_yan, "
                         "ttbar, nonprompt) that add up to 1")
    masses = np.atleast_1d(np.asarray(signal_mass, dtype=float))
    if np.any(masses <= MASS_MIN):
        raise ValueError(f"signal_mass must be above the search threshold {MASS_MIN} GeV")
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(int(n), np.r_[signal_fraction, (1 - signal_fraction) * mix])
    frames = []
    for process, count in zip(PROCESSES, counts):
        if count == 0:
            continue
        columns = _process_events(rng, int(count), process, masses)
        frame = pd.DataFrame(columns)
        frame["label"] = int(process == "zprime")
        frame["process"] = process
        frame["true_mass"] = np.nan
        frames.append(frame)
    events = pd.concat(frames, ignore_index=True)
    events = events.iloc[rng.permutation(len(events))].reset_index(drop=True)
    events["n_jets"] = events["n_jets"].astype(np.int64)
    events["n_bjets"] = events["n_bjets"].astype(np.int64)
    events["process"] = pd.Categorical(events["process"], categories=PROCESSES)
    return events
