"""One chunk of top or QCD jets: Pythia 8 events, the detector, anti-kT with FastJet, the
top matching and the substructure. Runs in a worker process (:mod:`.top_tagging` hands
out the chunks); everything here is a pure function of its configuration and the chunk's
seeds, so a chunk is the same whichever process makes it and whenever.
"""
from __future__ import annotations

import warnings

import awkward as ak
import numpy as np

from ..physics.jet_detector import JetDetector, reconstruct

#: Pythia settings of each process (the beams, seeds and pT-hat window are added).
PROCESSES = {
    "top": ["Top:gg2ttbar = on", "Top:qqbar2ttbar = on",
            "24:onMode = off", "24:onIfAny = 1 2 3 4 5"],  # both W → q q̄': all-hadronic tt̄
    "qcd": ["HardQCD:all = on"],
}
BATCH = 100  # events per Pythia.nextBatch call: fixed, so a chunk never depends on its size
KT_RADIUS = 3.0  # exclusive-kT axes: larger than any distance inside an R = 0.8 jet
JET_FIELDS = ("pt", "eta", "phi", "mass", "tau1", "tau2", "tau3", "m_w", "top_pt", "n_particles")
PARTICLE_FIELDS = ("pt", "eta", "phi", "energy", "charge", "pid")


def pythia_version() -> str:
    from importlib.metadata import version

    return version("pythia8mc")


def fastjet_version() -> str:
    from importlib.metadata import version

    return version("fastjet")


def _pythia(process: str, config: dict, seed: int):
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)  # no banner
    low, high = config["pthat"][process]
    for line in [f"Beams:eCM = {config['sqrt_s']}", f"PhaseSpace:pTHatMin = {low}",
                 f"PhaseSpace:pTHatMax = {high}", "Random:setSeed = on", f"Random:seed = {seed}",
                 f"PartonLevel:MPI = {'on' if config['mpi'] else 'off'}", "Next:numberCount = 0",
                 "Print:quiet = on", *PROCESSES[process]]:
        if not pythia.readString(line):
            raise RuntimeError(f"Pythia refused the setting {line!r}")
    if not pythia.init():
        raise RuntimeError(f"Pythia failed to initialise for {process} with {config}")
    return pythia


def _charges(pythia, pid: np.ndarray) -> np.ndarray:
    """Electric charge (e) of each PDG id, looked up once per distinct id."""
    unique, inverse = np.unique(pid, return_inverse=True)
    return np.array([pythia.particleData.charge(int(i)) for i in unique])[inverse]


def _top_match(prt, jet_eta, jet_phi, radius: float):
    """Per event: whether a hadronic top and its three decay quarks (b and the W's q q̄')
    lie within ``radius`` of the jet axis, and that top's pT (NaN when none)."""
    ids, mother = prt.id, prt.mother1
    decaying = (abs(ids) == 6) & (abs(ids[prt.daughter1]) == 24)
    b = (abs(ids) == 5) & decaying[mother]
    from_w = (abs(prt.status) == 23) & (abs(ids[mother]) == 24) & (abs(ids) <= 5)
    sign_b, sign_w = np.sign(ids), np.sign(ids[mother])
    p = prt.p
    eta, phi, pt = p.eta, p.phi, p.pt
    jet_eta, jet_phi = jet_eta[:, None], jet_phi[:, None]
    dr = np.hypot(eta - jet_eta, (phi - jet_phi + np.pi) % (2 * np.pi) - np.pi)
    matched = np.zeros(len(prt), bool)
    top_pt = np.full(len(prt), np.nan)
    for sign in (1, -1):
        top = decaying & (np.sign(ids) == sign)
        quarks = (b & (sign_b == sign)) | (from_w & (sign_w == sign))
        top_dr = ak.to_numpy(ak.fill_none(ak.min(dr[top], axis=1), np.inf))
        quark_dr = ak.to_numpy(ak.fill_none(ak.max(dr[quarks], axis=1), np.inf))
        n_quarks = ak.to_numpy(ak.sum(quarks, axis=1))
        ok = (top_dr < radius) & (quark_dr < radius) & (n_quarks == 3) & ~matched
        top_pt = np.where(ok, ak.to_numpy(ak.fill_none(ak.max(pt[top], axis=1), np.nan)), top_pt)
        matched |= ok
    return matched, top_pt


def _substructure(constituents, radius: float):
    """τ1, τ2, τ3 (N-subjettiness, β = 1, exclusive-kT axes, normalised by Σ pT·R0) and
    the W candidate's mass: the lightest pair of the three exclusive-kT subjets (GeV).
    ``constituents``: ragged [J, var] with pt, eta, phi, energy. Returns four arrays [J]."""
    import fastjet

    vectors = ak.zip({"px": constituents.pt * np.cos(constituents.phi),
                      "py": constituents.pt * np.sin(constituents.phi),
                      "pz": constituents.pt * np.sinh(constituents.eta),
                      "E": constituents.energy}, with_name="Momentum4D")
    sequence = fastjet.ClusterSequence(vectors, fastjet.JetDefinition(fastjet.kt_algorithm, KT_RADIUS))
    taus = ak.to_numpy(sequence.njettiness(axes_definition="KT_Axes", njets=[1, 2, 3],
                                           beta=1.0, R0=radius))
    with warnings.catch_warnings():  # fastjet warns for kt as well (its check is too broad)
        warnings.simplefilter("ignore", UserWarning)
        sub = sequence.exclusive_jets(n_jets=3)
    e, x, y, z = (ak.to_numpy(getattr(sub, c)) for c in ("E", "px", "py", "pz"))
    pairs = [(0, 1), (0, 2), (1, 2)]
    m2 = np.stack([(e[:, i] + e[:, j]) ** 2 - (x[:, i] + x[:, j]) ** 2 - (y[:, i] + y[:, j]) ** 2
                   - (z[:, i] + z[:, j]) ** 2 for i, j in pairs], axis=1)
    m_w = np.sqrt(np.maximum(m2.min(axis=1), 0.0))
    return taus[:, 0], taus[:, 1], taus[:, 2], m_w


def _one_batch(pythia, process: str, config: dict, detector: JetDetector, rng):
    """Jets of one batch of events that pass the selection, as a dict of arrays."""
    import fastjet

    events = pythia.nextBatch(BATCH)
    prt = events.prt
    final = prt[prt.status > 0]
    counts = ak.to_numpy(ak.num(final.id))
    p = ak.flatten(final.p)
    pid = ak.to_numpy(ak.flatten(final.id)).astype(np.int64)
    event = np.repeat(np.arange(len(counts)), counts)
    rec = reconstruct(detector, event, ak.to_numpy(p.px), ak.to_numpy(p.py), ak.to_numpy(p.pz),
                      ak.to_numpy(p.e), _charges(pythia, pid), pid, rng)
    per_event = np.bincount(rec["event"], minlength=len(counts))
    objects = ak.unflatten(ak.zip({"px": rec["px"], "py": rec["py"], "pz": rec["pz"],
                                   "E": rec["energy"]}, with_name="Momentum4D"), per_event)
    sequence = fastjet.ClusterSequence(objects, fastjet.JetDefinition(fastjet.antikt_algorithm,
                                                                      config["radius"]))
    low, high = config["pt_range"]
    jets = sequence.inclusive_jets(0.5 * low)
    index = sequence.constituent_index(0.5 * low)
    lead = ak.argmax(jets.pt, axis=1, keepdims=True)
    has = ak.to_numpy(ak.num(jets) > 0)
    jet, index = ak.firsts(jets[lead]), ak.firsts(index[lead])
    jet_pt = ak.to_numpy(ak.fill_none(jet.pt, 0.0))
    jet_eta = ak.to_numpy(ak.fill_none(jet.eta, 0.0))
    jet_phi = ak.to_numpy(ak.fill_none(jet.phi, 0.0))
    n_particles = ak.to_numpy(ak.fill_none(ak.num(index), 0))
    keep = has & (jet_pt > low) & (jet_pt < high) & (np.abs(jet_eta) < config["eta_max"]) & (n_particles >= 3)
    if process == "top":
        matched, top_pt = _top_match(prt, jet_eta, jet_phi, config["match_dr"])
        keep &= matched
    else:
        top_pt = np.full(len(counts), np.nan)
    rows = np.flatnonzero(keep)
    if rows.size == 0:
        return None
    offsets = np.concatenate([[0], np.cumsum(per_event)])
    members = ak.to_numpy(ak.flatten(index[rows])) + np.repeat(offsets[rows], n_particles[rows])
    fields = {name: ak.unflatten(rec[name][members], n_particles[rows]) for name in PARTICLE_FIELDS}
    order = ak.argsort(fields["pt"], axis=1, ascending=False, stable=True)
    constituents = ak.zip({name: value[order] for name, value in fields.items()})
    tau1, tau2, tau3, m_w = _substructure(constituents, config["radius"])
    constituents = constituents[:, :config["n_constituents"]]
    out = {"pt": jet_pt[rows], "eta": jet_eta[rows], "phi": jet_phi[rows],
           "mass": ak.to_numpy(ak.fill_none(jet.mass, 0.0))[rows], "tau1": tau1, "tau2": tau2, "tau3": tau3,
           "m_w": m_w, "top_pt": top_pt[rows], "n_particles": n_particles[rows],
           "counts": ak.to_numpy(ak.num(constituents))}
    for name in PARTICLE_FIELDS:
        out["c_" + name] = ak.to_numpy(ak.flatten(constituents[name]))
    return out


def chunk(process: str, config: dict, seeds: tuple[int, int], count: int) -> dict:
    """``count`` selected jets of ``process`` ("top" or "qcd") with the Pythia seed and the
    detector seed of ``seeds``. Returns a dict of numpy arrays: jet-level [count] (those of
    :data:`JET_FIELDS`, float64; n_particles int64), ``counts`` [count] (constituents kept
    per jet) and the constituents flat, ``c_pt``, ``c_eta``, ``c_phi``, ``c_energy``,
    ``c_charge`` (float32) and ``c_pid`` (int32), ordered by jet then decreasing pT."""
    import vector

    vector.register_awkward()
    pythia = _pythia(process, config, seeds[0])
    rng = np.random.default_rng(seeds[1])
    detector = JetDetector(**config["detector"])
    blocks, have, empty = [], 0, 0
    while have < count:
        block = _one_batch(pythia, process, config, detector, rng)
        if block is None:
            empty += 1
            if empty >= 50:
                raise RuntimeError(f"{process} jets: {50 * BATCH} events in a row gave no jet in "
                                   f"the selection; check the pT-hat window and the cuts ({config})")
            continue
        empty = 0
        blocks.append(block)
        have += block["pt"].size
    out = {key: np.concatenate([b[key] for b in blocks]) for key in blocks[0]}
    cut = int(out["counts"][:count].sum())
    result = {key: out[key][:count] for key in (*JET_FIELDS, "counts")}
    for name in PARTICLE_FIELDS:
        dtype = np.int32 if name == "pid" else np.float32
        result["c_" + name] = out["c_" + name][:cut].astype(dtype)
    return result
