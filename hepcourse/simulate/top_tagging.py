"""Boosted top jets against QCD jets from Pythia 8 and FastJet, after the community
top-tagging reference sample (Kasieczka, Plehn et al., "The Machine Learning Landscape of
Top Taggers", arXiv:1902.09914):

* √s = 14 TeV; signal: tt̄ with both W → q q̄' (all-hadronic); background: QCD 2 → 2
  (``HardQCD:all``); no multiple interactions, no pile-up (as the reference); the hard
  scattering's pT-hat in 500–700 GeV for both, so the leading jet lands in the window;
* the detector of :mod:`hepcourse.physics.jet_detector` (tracks with efficiency and
  resolution, ECAL and HCAL cells with smearing and thresholds) in place of Delphes;
* anti-kT, R = 0.8 (FastJet) on the reconstructed objects; the leading jet of each event,
  550 < pT < 650 GeV and |η| < 2; a top jet must have a hadronically decaying top and its
  three decay quarks (b, and the W's q q̄') within ΔR < 0.8 of its axis;
* the :data:`N_CONSTITUENTS` = 200 leading constituents (by pT), as the reference. At
  this pT a jet has about 45 (QCD) to 60 (top) of them after the detector and rarely
  more than 110, so 200 truncates no jet; the field ``n_particles`` keeps the count
  before the cut, and :func:`to_padded` truncates to what a model can afford.

Substructure from the constituents: the jet mass, N-subjettiness τ1, τ2, τ3 (β = 1,
exclusive-kT axes, FastJet contrib) and ``m_w``, the lightest pair mass of the three
exclusive-kT subjets (the W candidate of a top jet).

Generation is split into chunks of :data:`CHUNK` jets of one process; chunk k of a
process has its own Pythia and detector seeds, drawn from (seed, process, k), so the
sample depends on the seed only, never on the number of worker processes or the order
they finish in, and a smaller sample of the same seed is a prefix of a larger one. Each
chunk is cached on disk in ``hepcourse.data.cache_dir()/simulated/top-tagging-<key>/``,
the key a hash of the whole configuration (options, detector, seed) and the pythia8mc and
fastjet versions; files are written atomically. Smaller and later requests reuse it.

>>> sample = jets(2000, seed=1)                      # awkward Array of 2000 jets
>>> sample.mass, sample.tau32, sample.label          # jet-level, [2000]
>>> sample.constituents.pt                           # ragged, [2000, var]
>>> x, mask = to_padded(sample, 100)                 # torch [2000, 100, 8], [2000, 100]

A notebook sizes its sample with ``hepcourse.size``, e.g. ``jets(size(100_000, 2000))``:
Pythia makes roughly 60-120 jets per second and core (top jets cost about twice as much as
QCD jets: a quarter of the tt̄ events give a matched jet in the window, 40% of the QCD
events do), so a cold smoke sample takes tens of seconds on two cores, a warm one a blink.
"""
from __future__ import annotations

import logging

import awkward as ak
import numpy as np

from .. import validate
from ..physics.jet_detector import PID_ECAL, PID_HCAL, JetDetector
from . import _generated

__all__ = ["CHUNK", "DEFAULTS", "FEATURES", "N_CONSTITUENTS", "generated_chunks", "jets", "to_padded"]

log = logging.getLogger(__name__)

N_CONSTITUENTS = 200  # the reference sample's
CHUNK = 250  # jets per chunk: one Pythia initialisation (≈0.4 s) per ≈5 s of generation
FORMAT_VERSION = 1
PROCESS_CODE = {"top": 1, "qcd": 0}

#: The physics options of :func:`jets` and their defaults.
DEFAULTS = {
    "sqrt_s": 14_000.0,                                        # GeV
    "pthat": {"top": (500.0, 700.0), "qcd": (500.0, 700.0)},   # GeV, per process
    "pt_range": (550.0, 650.0),                                # GeV, jet pT window
    "eta_max": 2.0,                                            # |η| of the jet
    "radius": 0.8,                                             # anti-kT R
    "match_dr": 0.8,                                           # top and quarks within ΔR
    "mpi": False,                                              # multiple interactions
}

#: The per-constituent features of :func:`to_padded`, in this order: Δη and Δφ to the jet
#: axis, ln pT, ln E (GeV), ln(pT/pT_jet), ln(E/E_jet), ΔR to the axis, charge (e).
FEATURES = ("deta", "dphi", "log_pt", "log_energy", "log_pt_rel", "log_energy_rel", "delta_r", "charge")
#: Further features :func:`to_padded` can give: particle-flow identity flags (0/1).
PID_FEATURES = ("is_electron", "is_muon", "is_charged_hadron", "is_photon", "is_neutral_hadron")


def _make_chunk(process, config, seeds, count):
    from ._pythia_jets import chunk

    return chunk(process, config, seeds, count)


_GENERATOR = _generated.Generated(name="top-tagging", notice_name="jets", codes=PROCESS_CODE, chunk=CHUNK,
                                  make=_make_chunk, unit="jet", desc="jets (Pythia 8 + FastJet)", logger=log)


def generated_chunks() -> dict[str, int]:
    """How many chunks of each process this Python process had Pythia generate (read from
    the cache they do not count): evidence of a cache hit that needs no timing."""
    return dict(_GENERATOR.generated)


def _options(options: dict, n_constituents, detector) -> dict:
    """The full, validated configuration (JSON-able) of a sample."""
    validate.options(options, DEFAULTS, "simulate.jets")
    o = {**DEFAULTS, **options}
    pthat = o["pthat"]
    if not isinstance(pthat, dict):
        pthat = {"top": pthat, "qcd": pthat}
    validate.options(pthat, PROCESS_CODE, "simulate.jets pthat")
    pthat = {p: _generated.window(pthat.get(p, DEFAULTS["pthat"][p]), f"pthat[{p!r}]") for p in PROCESS_CODE}
    sqrt_s = validate.real(o["sqrt_s"], "sqrt_s", low=100.0)
    if max(high for _, high in pthat.values()) > sqrt_s / 2:
        raise ValueError(f"pthat={pthat}: the pT-hat window must stay below √s/2 = {sqrt_s / 2:g} GeV")
    shared = _generated.shared_options(o, n_constituents, detector)
    config = {"sqrt_s": sqrt_s, "pthat": pthat, "pt_range": _generated.window(o["pt_range"], "pt_range"),
              "eta_max": shared["eta_max"], "radius": shared["radius"],
              "match_dr": validate.positive(o["match_dr"], "match_dr")}
    return {**config, **shared}  # the order of the first cache key (it is hashed sorted anyway)


def _key(config: dict, seed: int) -> dict:
    """What names the cache folder (unchanged since the first version of the cache)."""
    from ._pythia_jets import BATCH

    return {"config": config, "seed": seed, "chunk": CHUNK, "batch": BATCH, "format": FORMAT_VERSION}


def _assemble(done: dict, counts: dict, seed: int) -> ak.Array:
    from ._pythia_jets import JET_FIELDS, PARTICLE_FIELDS

    flat = _generated.concatenated(_GENERATOR, done, counts)
    label = np.concatenate([np.ones(counts["top"], np.int64), np.zeros(counts["qcd"], np.int64)])
    order = np.random.default_rng(np.random.SeedSequence([seed, 2])).permutation(label.size)
    constituents = ak.unflatten(ak.zip({k: flat["c_" + k] for k in PARTICLE_FIELDS}), flat["counts"])[order]
    fields = {k: flat[k][order] for k in JET_FIELDS}
    fields["label"] = label[order]
    return _generated.jet_record(fields, constituents)


def jets(n: int, signal_fraction: float = 0.5, *, seed=0, n_constituents: int = N_CONSTITUENTS,
         detector: JetDetector | None = None, workers: int | None = None, cache: bool = True,
         progress: bool = True, **options) -> ak.Array:
    """Simulate ``n`` jets: top jets (label 1) and QCD jets (label 0), shuffled.

    n: number of jets (≥ 1); ``round(n · signal_fraction)`` of them are top jets.
    seed: keyword-only, an int ≥ 0 or a numpy Generator (an int is drawn from it); same
    seed and options, same jets. n_constituents: the leading constituents kept per jet
    (≥ 1; default 200 as the reference sample). detector: a
    :class:`~hepcourse.physics.jet_detector.JetDetector` (default: its defaults).
    workers: processes generating chunks in parallel (default one per core; the result is
    the same for any number). cache: read and write the on-disk cache (default True).
    progress: a tqdm bar, in jets (``HEPCOURSE_PROGRESS=0`` turns it off).
    options: the physics of :data:`DEFAULTS` (``sqrt_s``, ``pthat`` as a (low, high) pair or
    a dict per process, ``pt_range``, ``eta_max``, ``radius``, ``match_dr``, ``mpi``);
    an unknown one is a ValueError.

    Returns an awkward Array of ``n`` records. Jet level (each [n]): ``pt``, ``eta``,
    ``phi``, ``mass`` (GeV; the anti-kT jet), ``tau1``, ``tau2``, ``tau3``, ``tau21``,
    ``tau32``, ``m_w`` (GeV), ``top_pt`` (the matched top's pT, NaN for QCD),
    ``n_particles`` (constituents before the cut) and ``label``. ``constituents``: ragged
    [n, var ≤ n_constituents], by decreasing pT, fields ``pt``, ``eta``, ``phi``,
    ``energy`` (GeV), ``charge`` (e), ``pid`` (±11, ±13, ±211 tracks; 22 ECAL, 130 HCAL
    cells), ``deta``, ``dphi`` (to the jet axis). Raises ImportError naming what to
    install when pythia8mc or fastjet is missing.
    """
    n, signal_fraction, seed = _generated.sample_arguments(n, signal_fraction, seed, "jets")
    config = _options(options, n_constituents, detector)
    workers = _generated.run_arguments(workers, cache, "jets")
    n_top = round(n * signal_fraction)
    counts = {"top": n_top, "qcd": n - n_top}
    done = _generated.generate(_GENERATOR, config, seed, counts, _key(config, seed), workers,
                               bool(cache), progress)
    return _assemble(done, counts, seed)


def _feature(c: dict, jet: dict, name: str) -> np.ndarray:
    """One feature of the flat constituents ``c`` (numpy arrays [P]); ``jet`` holds the
    jet-level pt, eta and mass repeated per constituent [P]."""
    if name in ("deta", "dphi", "charge"):
        return c[name]
    if name == "log_pt":
        return np.log(c["pt"])
    if name == "log_energy":
        return np.log(c["energy"])
    if name == "log_pt_rel":
        return np.log(c["pt"] / jet["pt"])
    if name == "log_energy_rel":
        return np.log(c["energy"] / np.sqrt(jet["mass"] ** 2 + (jet["pt"] * np.cosh(jet["eta"])) ** 2))
    if name == "delta_r":
        return np.hypot(c["deta"], c["dphi"])
    code = {"is_electron": 11, "is_muon": 13, "is_charged_hadron": 211, "is_photon": PID_ECAL,
            "is_neutral_hadron": PID_HCAL}[name]
    return (np.abs(c["pid"]) == code).astype(np.float32)


def to_padded(sample: ak.Array, n_max: int, features=FEATURES):
    """Ragged constituents → a padded tensor and its mask, for set, graph and attention nets.

    sample: what :func:`jets` returns (or a slice of it). n_max: constituents per jet
    (the leading ones by pT; shorter jets are padded with zeros). features: names from
    :data:`FEATURES` (default, in that order) and :data:`PID_FEATURES`.
    Returns (x, mask): torch float32 [n, n_max, len(features)] and torch bool [n, n_max]
    (True for a real constituent). The relative features divide by the whole jet's pT and
    energy (from its pT, η and mass).
    """
    import torch

    n_max = validate.count(n_max, "n_max", what="a number of constituents")
    if isinstance(features, str):
        raise TypeError(f"features={features!r}: expected a sequence of names, e.g. {FEATURES}")
    features = tuple(features)
    for name in features:
        validate.choice(name, "features", FEATURES + PID_FEATURES)
    if not features:
        raise ValueError("features: give at least one name")
    if "constituents" not in ak.fields(sample):
        raise TypeError("sample: expected the awkward Array of hepcourse.simulate.jets")
    counts = ak.to_numpy(ak.num(sample.constituents))
    n = counts.size
    rank = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    kept = rank < n_max
    row = np.repeat(np.arange(n), counts)[kept]
    c = {k: ak.to_numpy(ak.flatten(sample.constituents[k]))[kept]
         for k in ("pt", "energy", "deta", "dphi", "charge", "pid")}
    jet = {k: ak.to_numpy(sample[k])[row] for k in ("pt", "eta", "mass")}
    x = np.zeros((n, n_max, len(features)), np.float32)
    for i, name in enumerate(features):
        x[row, rank[kept], i] = _feature(c, jet, name)
    mask = np.arange(n_max)[None, :] < counts[:, None]
    return torch.from_numpy(x), torch.from_numpy(mask)
