"""Simulated twin of the reconstructed-object branches of ``uproot-HZZ.root`` (the CMS
HEP-tutorial simulation): ragged jets, muons and electrons per event, about 60% of the
events with a Z→μμ pair from :mod:`hepcourse.simulate.drell_yan`.

Momenta and energies in GeV.
"""
from __future__ import annotations

import awkward as ak
import numpy as np
import vector

from .. import validate
from ..constants import E_MASS, MU_MASS
from .drell_yan import _generate, _measure


def hzz(n: int = 2421, *, seed=0) -> ak.Array:
    """Simulated twin of the reconstructed-object branches of ``uproot-HZZ.root``.

    Each event has a Poisson number of jets and 0-4 muons; about 60% hold a Z→μμ pair
    (Breit-Wigner mass, smeared). Returns an awkward array of n records with NJet,
    Jet_Px/Py/Pz/E (GeV, float32, ragged), Jet_btag, Jet_ID, NMuon, Muon_Px/Py/Pz/E,
    Muon_Charge, Muon_Iso, NElectron, Electron_Px/Py/Pz/E, Electron_Charge, Electron_Iso,
    MET_px, MET_py (GeV), NPrimaryVertices and EventWeight. The MC-truth branches of the
    real file are not simulated. ``seed`` (keyword only): an int ≥ 0 or a numpy Generator.
    """
    n = validate.count(n, "n")
    rng = validate.rng(seed)
    # muons: a Z pair in 60% of events, plus 0-2 extra (non-isolated, softer) muons
    has_z = rng.uniform(size=n) < 0.60
    z_a, z_b, _ = _generate(rng, n, 1.0, (60.0, 120.0))
    z_a, z_b = _measure(rng, z_a)[0], _measure(rng, z_b)[0]
    z_charge = rng.choice(np.array([-1, 1], np.int32), size=n)
    n_extra = rng.choice(3, size=n, p=[0.45, 0.50, 0.05])
    n_extra = np.where(has_z, np.minimum(n_extra, 2) * (rng.uniform(size=n) < 0.05), n_extra)
    n_mu = np.where(has_z, 2, 0) + n_extra
    extra_total = int(n_extra.sum())
    e_pt = rng.exponential(25.0, extra_total) + 10.0
    e_eta = rng.uniform(-2.4, 2.4, extra_total)
    e_phi = rng.uniform(-np.pi, np.pi, extra_total)
    extra = vector.array({"pt": e_pt, "eta": e_eta, "phi": e_phi, "M": np.full(extra_total, MU_MASS)})
    # lay the muons out event by event: the Z pair first, then the extra ones
    counts = n_mu
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    total = int(counts.sum())
    px, py, pz, E = (np.empty(total, np.float32) for _ in range(4))
    charge = np.empty(total, np.int32)
    iso = np.empty(total, np.float32)
    zi = np.flatnonzero(has_z)
    for k, (mu, sign) in enumerate(((z_a, 1), (z_b, -1))):
        at = starts[zi] + k
        for arr, name in ((px, "px"), (py, "py"), (pz, "pz"), (E, "E")):
            arr[at] = np.asarray(getattr(mu, name))[zi]
        charge[at] = sign * z_charge[zi]
        iso[at] = rng.exponential(0.5, zi.size)
    offset_in_event = np.where(has_z, 2, 0)
    owner = np.repeat(np.arange(n), n_extra)
    rank = np.arange(extra_total) - np.repeat(np.cumsum(n_extra) - n_extra, n_extra)
    at = starts[owner] + offset_in_event[owner] + rank
    px[at], py[at], pz[at], E[at] = extra.px, extra.py, extra.pz, extra.E
    charge[at] = rng.choice(np.array([-1, 1], np.int32), size=extra_total)
    iso[at] = rng.exponential(6.0, extra_total)

    def ragged(values, counts_):
        return ak.unflatten(values, counts_)

    # jets: Poisson multiplicity, falling pT, b-tag discriminant -1 for untagged
    n_jet = np.minimum(rng.poisson(1.2, n), 6)
    nj = int(n_jet.sum())
    jet = vector.array({"pt": 30.0 + rng.exponential(35.0, nj), "eta": rng.uniform(-2.4, 2.4, nj),
                        "phi": rng.uniform(-np.pi, np.pi, nj), "M": rng.uniform(4.0, 15.0, nj)})
    btag = np.where(rng.uniform(size=nj) < 0.2, rng.uniform(0.5, 3.5, nj), -1.0).astype(np.float32)
    # electrons: rare, as in the real file
    n_el = rng.choice(3, size=n, p=[0.95, 0.03, 0.02])
    ne = int(n_el.sum())
    el = vector.array({"pt": 10.0 + rng.exponential(20.0, ne), "eta": rng.uniform(-2.5, 2.5, ne),
                       "phi": rng.uniform(-np.pi, np.pi, ne), "M": np.full(ne, E_MASS)})
    met = rng.rayleigh(18.0, n)
    met_phi = rng.uniform(-np.pi, np.pi, n)
    f32 = np.float32
    return ak.Array({
        "NJet": n_jet.astype(np.int32),
        "Jet_Px": ragged(np.asarray(jet.px, f32), n_jet), "Jet_Py": ragged(np.asarray(jet.py, f32), n_jet),
        "Jet_Pz": ragged(np.asarray(jet.pz, f32), n_jet), "Jet_E": ragged(np.asarray(jet.E, f32), n_jet),
        "Jet_btag": ragged(btag, n_jet), "Jet_ID": ragged(np.ones(nj, bool), n_jet),
        "NMuon": n_mu.astype(np.int32),
        "Muon_Px": ragged(px, n_mu), "Muon_Py": ragged(py, n_mu), "Muon_Pz": ragged(pz, n_mu),
        "Muon_E": ragged(E, n_mu), "Muon_Charge": ragged(charge, n_mu), "Muon_Iso": ragged(iso, n_mu),
        "NElectron": n_el.astype(np.int32),
        "Electron_Px": ragged(np.asarray(el.px, f32), n_el), "Electron_Py": ragged(np.asarray(el.py, f32), n_el),
        "Electron_Pz": ragged(np.asarray(el.pz, f32), n_el), "Electron_E": ragged(np.asarray(el.E, f32), n_el),
        "Electron_Charge": ragged(rng.choice(np.array([-1, 1], np.int32), size=ne), n_el),
        "Electron_Iso": ragged(rng.exponential(2.0, ne).astype(f32), n_el),
        "MET_px": (met * np.cos(met_phi)).astype(f32), "MET_py": (met * np.sin(met_phi)).astype(f32),
        "NPrimaryVertices": rng.poisson(8.5, n).astype(np.int32),
        "EventWeight": np.full(n, 0.00699, f32),
    })
