"""One chunk of top or QCD jets: Pythia 8 events, the detector, anti-kT with FastJet, the
top matching and the substructure. Runs in a worker process (:mod:`.top_tagging` hands
out the chunks); everything here is a pure function of its configuration and the chunk's
seeds, so a chunk is the same whichever process makes it and whenever.
"""
from __future__ import annotations

import os
import sys
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


_BANNER_DONE = False


def quiet_fastjet_banner() -> None:
    """Let FastJet print its 13-line banner, which it writes to the C++ standard output at
    the first clustering of a process, into /dev/null: once per process, before any real
    clustering (a notebook cell or a worker's log would otherwise show it)."""
    global _BANNER_DONE
    if _BANNER_DONE:
        return
    import fastjet

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            one = ak.Array([[{"px": 1.0, "py": 0.0, "pz": 0.0, "E": 2.0}]])
            fastjet.ClusterSequence(one, fastjet.JetDefinition(fastjet.antikt_algorithm, 0.4)).inclusive_jets()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_DONE = True


def make_pythia(settings: list[str], seed: int, what: str):
    """An initialised, quiet Pythia with ``settings`` (lines for ``readString``) and
    ``seed``; ``what`` names the sample in the errors."""
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)  # no banner
    for line in ["Random:setSeed = on", f"Random:seed = {seed}", "Next:numberCount = 0",
                 "Print:quiet = on", *settings]:
        if not pythia.readString(line):
            raise RuntimeError(f"Pythia refused the setting {line!r}")
    if not pythia.init():
        raise RuntimeError(f"Pythia failed to initialise for {what}")
    return pythia


def _pythia(process: str, config: dict, seed: int):
    low, high = config["pthat"][process]
    return make_pythia([f"Beams:eCM = {config['sqrt_s']}", f"PhaseSpace:pTHatMin = {low}",
                        f"PhaseSpace:pTHatMax = {high}",
                        f"PartonLevel:MPI = {'on' if config['mpi'] else 'off'}", *PROCESSES[process]],
                       seed, f"{process} with {config}")


def _charges(pythia, pid: np.ndarray) -> np.ndarray:
    """Electric charge (e) of each PDG id, looked up once per distinct id."""
    unique, inverse = np.unique(pid, return_inverse=True)
    return np.array([pythia.particleData.charge(int(i)) for i in unique])[inverse]


def _record(prt) -> dict:
    """The event records of a batch as flat numpy arrays [P]: ``id``, ``status``,
    ``mother1``, ``daughter1`` (as flat indices), ``px``, ``py``, ``pz``, ``e`` and ``event``;
    plus ``counts`` [E] (particles per event)."""
    counts = ak.to_numpy(ak.num(prt, axis=1))
    event = np.repeat(np.arange(counts.size), counts)
    base = np.concatenate([[0], np.cumsum(counts)[:-1]])[event]
    out = {key: ak.to_numpy(ak.flatten(prt[key])) for key in ("id", "status", "mother1", "daughter1")}
    out.update({key: ak.to_numpy(ak.flatten(prt["p"][key])) for key in ("px", "py", "pz", "e")})
    out["mother1"] = out["mother1"] + base
    out["daughter1"] = out["daughter1"] + base
    out["event"], out["counts"] = event, counts
    return out


def _top_match(rec: dict, jet_eta, jet_phi, radius: float):
    """Per event: whether a hadronic top and its three decay quarks (b and the W's q q̄')
    lie within ``radius`` of the jet axis, and that top's pT (NaN when none). ``rec``: the
    flat event records of :func:`_record`; ``jet_eta``, ``jet_phi`` [E]."""
    ids = rec["id"]
    n = rec["counts"].size
    decaying = (np.abs(ids) == 6) & (np.abs(ids[rec["daughter1"]]) == 24)  # the last top copy
    b = (np.abs(ids) == 5) & decaying[rec["mother1"]]
    from_w = (np.abs(rec["status"]) == 23) & (np.abs(ids[rec["mother1"]]) == 24) & (np.abs(ids) <= 5)
    sign = np.where(from_w, np.sign(ids[rec["mother1"]]), np.sign(ids))  # t, b, W+ → q q̄': +1
    sel = np.flatnonzero(decaying | b | from_w)
    event = rec["event"][sel]
    pt = np.hypot(rec["px"][sel], rec["py"][sel])
    eta = np.arcsinh(rec["pz"][sel] / np.maximum(pt, 1e-9))
    phi = np.arctan2(rec["py"][sel], rec["px"][sel])
    dr = np.hypot(eta - jet_eta[event], (phi - jet_phi[event] + np.pi) % (2 * np.pi) - np.pi)
    matched, top_pt = np.zeros(n, bool), np.full(n, np.nan)
    for s in (1, -1):
        top = decaying[sel] & (sign[sel] == s)
        quark = (b[sel] | from_w[sel]) & (sign[sel] == s)
        top_dr, quark_dr = np.full(n, np.inf), np.full(n, -np.inf)
        np.minimum.at(top_dr, event[top], dr[top])
        np.maximum.at(quark_dr, event[quark], dr[quark])
        n_quarks = np.bincount(event[quark], minlength=n)
        pt_of = np.full(n, np.nan)
        pt_of[event[top]] = pt[top]
        ok = (top_dr < radius) & (quark_dr < radius) & (n_quarks == 3) & ~matched
        top_pt = np.where(ok, pt_of, top_pt)
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
                      "E": constituents.energy})
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


def constituents_of(index, size, per_event, jets, events, pt):
    """The constituents of some jets as flat indices into the detector objects, jet by jet
    and by decreasing pT within a jet.

    index: FastJet's ``constituent_index`` (ragged [E, jets, var], indices within an
    event); size: constituents of every jet, flat [J]; per_event: detector objects per
    event [E]; jets: the chosen jets' flat indices [K]; events: their events [K]; pt: the
    objects' pT [R]. Returns (members [Σ count], count [K], rank of each member in its jet).
    """
    flat_index = ak.to_numpy(ak.flatten(index, axis=None))
    start = np.concatenate([[0], np.cumsum(size)[:-1]])[jets]
    count = size[jets]
    jet_row = np.repeat(np.arange(count.size), count)
    within = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    object_offset = np.concatenate([[0], np.cumsum(per_event)[:-1]])
    members = flat_index[np.repeat(start, count) + within] + np.repeat(object_offset[events], count)
    return members[np.lexsort((-pt[members], jet_row))], count, within


def reconstructed_batch(pythia, detector: JetDetector, radius: float, rng):
    """One batch of :data:`BATCH` Pythia events through the detector and anti-kT with
    ``radius``. Returns (rec, det, per_event, sequence): the flat event records of
    :func:`_record`, the detector objects of :func:`~hepcourse.physics.jet_detector.
    reconstruct`, the objects per event [E] and FastJet's ClusterSequence over them."""
    import fastjet

    rec = _record(pythia.nextBatch(BATCH).prt)
    final = np.flatnonzero(rec["status"] > 0)
    pid = rec["id"][final].astype(np.int64)
    det = reconstruct(detector, rec["event"][final], rec["px"][final], rec["py"][final],
                      rec["pz"][final], rec["e"][final], _charges(pythia, pid), pid, rng)
    per_event = np.bincount(det["event"], minlength=rec["counts"].size)
    objects = ak.unflatten(ak.zip({"px": det["px"], "py": det["py"], "pz": det["pz"],
                                   "E": det["energy"]}), per_event)
    sequence = fastjet.ClusterSequence(objects, fastjet.JetDefinition(fastjet.antikt_algorithm, radius))
    return rec, det, per_event, sequence


def _one_batch(pythia, process: str, config: dict, detector: JetDetector, rng):
    """Jets of one batch of events that pass the selection, as a dict of arrays."""
    rec, det, per_event, sequence = reconstructed_batch(pythia, detector, config["radius"], rng)
    n_events = rec["counts"].size
    low, high = config["pt_range"]
    jets = sequence.inclusive_jets(0.5 * low)
    index = sequence.constituent_index(0.5 * low)
    # the leading jet of each event, in numpy: [E] arrays (0 where an event has no jet)
    n_jets = ak.to_numpy(ak.num(jets))
    jx, jy, jz, je = (ak.to_numpy(ak.flatten(jets[c])) for c in ("px", "py", "pz", "E"))
    jpt = np.hypot(jx, jy)
    jet_event = np.repeat(np.arange(n_events), n_jets)
    lead = np.full(n_events, -1)
    ranked = np.lexsort((-jpt, jet_event))
    first = np.concatenate([[0], np.cumsum(n_jets)[:-1]])
    lead[n_jets > 0] = ranked[first[n_jets > 0]]
    jet_pt, jet_eta, jet_phi, jet_mass = (np.zeros(n_events) for _ in range(4))
    has = lead >= 0
    li = lead[has]
    jet_pt[has] = jpt[li]
    jet_eta[has] = np.arcsinh(jz[li] / jpt[li])
    jet_phi[has] = np.arctan2(jy[li], jx[li])
    jet_mass[has] = np.sqrt(np.maximum(je[li] ** 2 - jx[li] ** 2 - jy[li] ** 2 - jz[li] ** 2, 0.0))
    size = ak.to_numpy(ak.flatten(ak.num(index, axis=2)))  # constituents of every jet [J]
    n_particles = np.zeros(n_events, np.int64)
    n_particles[has] = size[li]
    keep = has & (jet_pt > low) & (jet_pt < high) & (np.abs(jet_eta) < config["eta_max"]) & (n_particles >= 3)
    if process == "top":
        matched, top_pt = _top_match(rec, jet_eta, jet_phi, config["match_dr"])
        keep &= matched
    else:
        top_pt = np.full(n_events, np.nan)
    rows = np.flatnonzero(keep)
    if rows.size == 0:
        return None
    members, count, within = constituents_of(index, size, per_event, lead[rows], rows, det["pt"])
    constituents = ak.unflatten(ak.zip({name: det[name][members] for name in PARTICLE_FIELDS}), count)
    tau1, tau2, tau3, m_w = _substructure(constituents, config["radius"])
    kept = within < config["n_constituents"]  # ``within`` is the rank after the sort as well
    out = {"pt": jet_pt[rows], "eta": jet_eta[rows], "phi": jet_phi[rows], "mass": jet_mass[rows],
           "tau1": tau1, "tau2": tau2, "tau3": tau3, "m_w": m_w, "top_pt": top_pt[rows],
           "n_particles": count, "counts": np.minimum(count, config["n_constituents"])}
    for name in PARTICLE_FIELDS:
        out["c_" + name] = det[name][members][kept]
    return out


def chunk(process: str, config: dict, seeds: tuple[int, int], count: int) -> dict:
    """``count`` selected jets of ``process`` ("top" or "qcd") with the Pythia seed and the
    detector seed of ``seeds``. Returns a dict of numpy arrays: jet-level [count] (those of
    :data:`JET_FIELDS`, float64; n_particles int64), ``counts`` [count] (constituents kept
    per jet) and the constituents flat, ``c_pt``, ``c_eta``, ``c_phi``, ``c_energy``,
    ``c_charge`` (float32) and ``c_pid`` (int32), ordered by jet then decreasing pT."""
    quiet_fastjet_banner()
    pythia = _pythia(process, config, seeds[0])
    rng = np.random.default_rng(seeds[1])
    detector = JetDetector(**config["detector"])
    return collect(lambda: _one_batch(pythia, process, config, detector, rng), count,
                   f"{process} jets: {{}} events in a row gave no jet in the selection; check the "
                   f"pT-hat window and the cuts ({config})")


def collect(batch, count: int, empty_message: str) -> dict:
    """Call ``batch()`` (the selected rows of one batch of events, a dict of arrays, or
    None) until ``count`` rows are in; their first ``count`` rows, the constituents (``c_*``,
    ``counts`` of them per row) cast to float32 (``c_pid`` to int32). After 50 batches in a
    row without a row, a RuntimeError with ``empty_message`` (``{}``: the events tried)."""
    blocks, have, empty = [], 0, 0
    while have < count:
        block = batch()
        if block is None:
            empty += 1
            if empty >= 50:
                raise RuntimeError(empty_message.format(50 * BATCH))
            continue
        empty = 0
        blocks.append(block)
        have += block["counts"].size
    out = {key: np.concatenate([b[key] for b in blocks]) for key in blocks[0]}
    cut = int(out["counts"][:count].sum())
    result = {key: value[:count] for key, value in out.items() if not key.startswith("c_")}
    for name in PARTICLE_FIELDS:
        dtype = np.int32 if name == "pid" else np.float32
        result["c_" + name] = out["c_" + name][:cut].astype(dtype)
    return result
