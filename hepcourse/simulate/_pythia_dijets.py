"""One chunk of dijet events, resonance or QCD: Pythia 8, the detector, anti-kT with
FastJet, the two leading jets and their substructure. Runs in a worker process
(:mod:`.dijet_resonance` hands out the chunks); everything here is a pure function of its
configuration and the chunk's seeds, so a chunk is the same whichever process makes it.
"""
from __future__ import annotations

import awkward as ak
import numpy as np

from ..physics.jet_detector import JetDetector
from ._pythia_jets import (
    PARTICLE_FIELDS,
    _substructure,
    collect,
    constituents_of,
    make_pythia,
    quiet_fastjet_banner,
    reconstructed_batch,
)

JET_PT_MIN = 20.0  # GeV: the jets FastJet hands back (the two leading ones are far above)
#: Per jet (stored with the suffix _1 for the heavier jet, _2 for the lighter one).
JET_FIELDS = ("pt", "eta", "phi", "mass", "tau1", "tau2", "tau3", "n_particles")
EVENT_FIELDS = ("mjj",)
HADRONIC = "1 2 3 4 5"  # d u s c b: W → q q̄', Z → q q̄ (no tops, no leptons, no neutrinos)


def settings(process: str, config: dict) -> list[str]:
    """The Pythia settings of ``process`` ("signal" or "qcd"), beams included; the signal
    is config["signal"]: "WZ" (W′ → W Z) or "tt" (Z′ → t t̄)."""
    common = [f"Beams:eCM = {config['sqrt_s']}", f"PartonLevel:MPI = {'on' if config['mpi'] else 'off'}"]
    if process == "qcd":
        low, high = config["pthat"]
        return [*common, "HardQCD:all = on", f"PhaseSpace:pTHatMin = {low}", f"PhaseSpace:pTHatMax = {high}"]
    if config["signal"] == "tt":   # Z' → t t̄, t → W b, W → q q̄': three-prong jets
        return [*common, "NewGaugeBoson:ffbar2gmZZprime = on",
                "Zprime:gmZmode = 3",          # the Z' alone (no γ*/Z interference)
                f"32:m0 = {config['resonance_mass']}",
                "32:onMode = off", "32:onIfAny = 6",
                "24:onMode = off", f"24:onIfAny = {HADRONIC}"]
    return [*common, "NewGaugeBoson:ffbar2Wprime = on",
            "Wprime:coup2WZ = 1",          # W' → W Z open (Pythia's default is 0: closed)
            f"34:m0 = {config['resonance_mass']}",
            "34:onMode = off", "34:onIfMatch = 24 23",   # W' → W Z only
            "24:onMode = off", f"24:onIfAny = {HADRONIC}",
            "23:onMode = off", f"23:onIfAny = {HADRONIC}"]


def _mass(e, x, y, z):
    return np.sqrt(np.maximum(e**2 - x**2 - y**2 - z**2, 0.0))


def _one_batch(pythia, config: dict, detector: JetDetector, rng):
    """The events of one batch that pass the selection, as a dict of arrays (or None)."""
    rec, det, per_event, sequence = reconstructed_batch(pythia, detector, config["radius"], rng)
    n_events = rec["counts"].size
    jets = sequence.inclusive_jets(JET_PT_MIN)
    index = sequence.constituent_index(JET_PT_MIN)
    n_jets = ak.to_numpy(ak.num(jets))
    jx, jy, jz, je = (ak.to_numpy(ak.flatten(jets[c])) for c in ("px", "py", "pz", "E"))
    jpt = np.hypot(jx, jy)
    jeta = np.arcsinh(jz / np.maximum(jpt, 1e-9))
    jet_event = np.repeat(np.arange(n_events), n_jets)
    size = ak.to_numpy(ak.flatten(ak.num(index, axis=2)))  # constituents of every jet [J]
    # the two leading jets (by pT) within |η| < eta_max of each event
    accepted = np.flatnonzero(np.abs(jeta) < config["eta_max"])
    accepted = accepted[np.lexsort((-jpt[accepted], jet_event[accepted]))]
    event_of = jet_event[accepted]
    first = np.flatnonzero(np.r_[True, event_of[1:] != event_of[:-1]]) if accepted.size else accepted
    rank = np.arange(accepted.size) - np.repeat(first, np.diff(np.r_[first, accepted.size]))
    lead, sub = np.full(n_events, -1), np.full(n_events, -1)
    lead[event_of[rank == 0]] = accepted[rank == 0]
    sub[event_of[rank == 1]] = accepted[rank == 1]
    keep = (lead >= 0) & (sub >= 0)
    keep[keep] = (jpt[lead[keep]] > config["trigger_pt"]) & (size[lead[keep]] >= 3) & (size[sub[keep]] >= 3)
    rows = np.flatnonzero(keep)
    if rows.size == 0:
        return None
    a, b = lead[rows], sub[rows]
    heavier = _mass(je[a], jx[a], jy[a], jz[a]) >= _mass(je[b], jx[b], jy[b], jz[b])
    j1, j2 = np.where(heavier, a, b), np.where(heavier, b, a)  # jet 1: the heavier one
    out = {"mjj": _mass(je[a] + je[b], jx[a] + jx[b], jy[a] + jy[b], jz[a] + jz[b])}
    # both jets' constituents, jet 1 of every event then jet 2 of every event
    both, both_events = np.concatenate([j1, j2]), np.concatenate([rows, rows])
    members, count, within = constituents_of(index, size, per_event, both, both_events, det["pt"])
    constituents = ak.unflatten(ak.zip({name: det[name][members] for name in PARTICLE_FIELDS}), count)
    tau1, tau2, tau3, _ = _substructure(constituents, config["radius"])
    k = rows.size
    kept_count = np.minimum(count, config["n_constituents"])
    for suffix, part, jet in (("_1", slice(0, k), j1), ("_2", slice(k, 2 * k), j2)):
        out["pt" + suffix] = jpt[jet]
        out["eta" + suffix] = jeta[jet]
        out["phi" + suffix] = np.arctan2(jy[jet], jx[jet])
        out["mass" + suffix] = _mass(je[jet], jx[jet], jy[jet], jz[jet])
        out["tau1" + suffix], out["tau2" + suffix], out["tau3" + suffix] = tau1[part], tau2[part], tau3[part]
        out["n_particles" + suffix] = count[part]
        out["kept" + suffix] = kept_count[part]
    out["counts"] = out["kept_1"] + out["kept_2"]
    # the kept constituents, event by event: jet 1's, then jet 2's
    jet_slot = np.repeat(np.arange(2 * k), count)             # 0..k-1 jet 1, k..2k-1 jet 2
    event_row, which = jet_slot % k, jet_slot // k
    kept = within < config["n_constituents"]
    order = np.lexsort((within[kept], which[kept], event_row[kept]))
    for name in PARTICLE_FIELDS:
        out["c_" + name] = det[name][members][kept][order]
    return out


def chunk(process: str, config: dict, seeds: tuple[int, int], count: int) -> dict:
    """``count`` selected events of ``process`` ("signal" or "qcd") with the Pythia seed
    and the detector seed of ``seeds``. Returns a dict of numpy arrays: per event [count]
    ``mjj`` and, for jet 1 (the heavier) and jet 2 with the suffixes ``_1`` and ``_2``,
    those of :data:`JET_FIELDS` and ``kept`` (constituents kept); ``counts`` [count] (both
    jets' kept constituents); the constituents flat, ``c_pt``, ``c_eta``, ``c_phi``,
    ``c_energy``, ``c_charge`` (float32) and ``c_pid`` (int32), event by event, jet 1's
    then jet 2's, each by decreasing pT."""
    quiet_fastjet_banner()
    pythia = make_pythia(settings(process, config), seeds[0], f"dijets {process} with {config}")
    rng = np.random.default_rng(seeds[1])
    detector = JetDetector(**config["detector"])
    return collect(lambda: _one_batch(pythia, config, detector, rng), count,
                   f"dijets {process}: {{}} events in a row gave no event in the selection; check "
                   f"the pT-hat window and the cuts ({config})")
