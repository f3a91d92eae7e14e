"""Dijet events at high mass with an injected resonance, after the LHC Olympics 2020 R&D
sample (Kasieczka, Nachman, Shih et al., "The LHC Olympics 2020", arXiv:2101.08320), from
Pythia 8 and FastJet, for the searches of chapter 7 that assume no signal model:

* √s = 13 TeV, as the LHCO; no multiple interactions and no pile-up by default (the
  LHCO had no pile-up; ``mpi=True`` switches the underlying event on, at a third of the
  speed);
* background: QCD 2 → 2 (``HardQCD:all``) with pT-hat in 1000–6500 GeV. The trigger
  (a leading jet above 1.2 TeV) keeps about 40% of these events; m_jj then turns on at
  about 2.5 TeV, has its median near 3 TeV and falls steeply (by about half each 500 GeV,
  1% above 5.5 TeV). The 1 TeV floor has a price, measured here: events of pT-hat
  800–1000 GeV whose leading jet still passes 1.2 TeV (a hard initial-state emission, a
  jet that gathers more than its parton within R = 1.0) would add about 12% to the
  selected QCD events, spread over m_jj (9% above 3 TeV), not only at the turn-on;
  keeping them (``pthat=(800, 6500)``) costs 3.5 times the time, since only 2% of those
  events pass. The sample is "QCD with pT-hat above 1 TeV": smooth and falling, which
  is what a bump hunt and a sideband need;
* signal: a W′ (the sequential, "extended gauge model" W′ of Pythia's
  ``NewGaugeBoson:ffbar2Wprime``) of mass 3500 GeV (the LHCO's resonance mass) decaying
  only to W Z, both hadronically (W → q q̄', Z → q q̄, q = d u s c b). Pythia closes
  W′ → W Z unless ``Wprime:coup2WZ`` is set (default 0; 1 is the extended gauge model's
  coupling, m_W²/m_W′² times the SM WWZ one), so it is set to 1. The LHCO's resonance
  decayed to X (500 GeV) and Y (100 GeV) of no known model; a W′ → W Z keeps what a
  search without a signal model has to find, two-prong jets of known masses (m_W, m_Z)
  with lower τ21 than QCD jets, whose masses spread broadly (measured: 60% of the W and
  Z jets lie in 65–105 GeV, 20% of the QCD jets). The masses are ungroomed: wide-angle
  radiation inside R = 1.0 lifts the heavier signal jet above 170 GeV in a fifth of the
  events (QCD: 70%);
* ``signal="tt"`` swaps the W′ for a Z′ (``NewGaugeBoson:ffbar2gmZZprime``, the Z′ alone)
  of the same mass decaying to t t̄, each top to b q q̄': three-prong jets near m_t, the
  "other" anomaly with which the chapter tests what an autoencoder finds;
* the detector of :mod:`hepcourse.physics.jet_detector` (the jets chapter's) in place of
  Delphes; anti-kT R = 1.0 (the LHCO's) on the reconstructed objects;
* selection (the LHCO's): the two leading jets by pT with |η| < 2.5, the leading one
  above ``trigger_pt`` = 1200 GeV. Jet 1 is the **heavier** of the two, jet 2 the
  lighter (the LHCO's order: m_j1 ≥ m_j2);
* substructure: N-subjettiness τ1, τ2, τ3 (β = 1, exclusive-kT axes, R0 = the jet
  radius) and the ratios τ21 = τ2/τ1, τ32 = τ3/τ2;
* the :data:`N_CONSTITUENTS` = 100 leading constituents (by pT) of each of the two jets
  are kept (``n_particles`` keeps the count before the cut; after the detector a QCD jet
  at this pT has a median of 55 of them and 10% of QCD jets more than 100, a W or Z jet
  32 and 1%).

>>> sample = dijets(4000, signal_fraction=0.1, seed=1)   # awkward Array of 4000 events
>>> sample.mjj, sample.label                             # [4000]
>>> sample.jet1.mass, sample.jet2.tau21                  # [4000]
>>> sample.jet1.constituents.pt                          # ragged, [4000, var ≤ 100]

Generation goes through :mod:`._generated` as :func:`~hepcourse.simulate.jets` does:
chunks of :data:`CHUNK` events of one process with their own seeds drawn from (seed,
process, chunk), so the sample depends on the seed only, never on the number of workers;
worker processes (one per core); cached on disk in
``hepcourse.data.cache_dir()/simulated/dijets-<key>/``, the key a hash of the whole
configuration and the pythia8mc and fastjet versions, written atomically; a tqdm bar.

Speed (benchmarks/dijets_speed.py), measured on one core of the course's 2-core machine
from an empty cache, counting the events that pass the selection: QCD about 110 events/s,
the W′ signal about 270 events/s (40% of the QCD events pass the selection, two thirds
of the signal events, and QCD events have more particles). A smoke sample of 4000 events with
10% signal takes about 35 s on one core and half that on two free ones; 100 000 QCD
events about 15 minutes on one core.
"""
from __future__ import annotations

import logging

import awkward as ak
import numpy as np

from .. import validate
from ..physics.jet_detector import JetDetector
from . import _generated

__all__ = ["CHUNK", "DEFAULTS", "N_CONSTITUENTS", "dijets", "generated_chunks"]

log = logging.getLogger(__name__)

N_CONSTITUENTS = 100  # per jet
CHUNK = 250  # events per chunk: one Pythia initialisation (≈0.4 s) per a few seconds of generation
FORMAT_VERSION = 1
SIGNALS = ("WZ", "tt")  # the resonances of the ``signal`` option
PROCESS_CODE = {"signal": 11, "qcd": 10}  # seeds' process numbers, apart from those of jets()

#: The physics options of :func:`dijets` and their defaults.
DEFAULTS = {
    "sqrt_s": 13_000.0,              # GeV
    "pthat": (1000.0, 6500.0),       # GeV, the QCD background's pT-hat window
    "resonance_mass": 3500.0,        # GeV, the W′ (or Z′) mass
    "signal": "WZ",                  # W′ → W Z; "tt": Z′ → t t̄ (three-prong jets)
    "trigger_pt": 1200.0,            # GeV, the leading jet's pT threshold
    "eta_max": 2.5,                  # |η| of both jets
    "radius": 1.0,                   # anti-kT R
    "mpi": False,                    # multiple interactions (the underlying event)
}


def _make_chunk(process, config, seeds, count):
    from ._pythia_dijets import chunk

    return chunk(process, config, seeds, count)


_GENERATOR = _generated.Generated(name="dijets", notice_name="dijets", codes=PROCESS_CODE, chunk=CHUNK,
                                  make=_make_chunk, unit="event", desc="dijets (Pythia 8 + FastJet)",
                                  logger=log)


def generated_chunks() -> dict[str, int]:
    """How many chunks of each process this Python process had Pythia generate (read from
    the cache they do not count)."""
    return dict(_GENERATOR.generated)


def _options(options: dict, n_constituents, detector) -> dict:
    """The full, validated configuration (JSON-able) of a sample."""
    validate.options(options, DEFAULTS, "simulate.dijets")
    o = {**DEFAULTS, **options}
    sqrt_s = validate.real(o["sqrt_s"], "sqrt_s", low=100.0)
    pthat = _generated.window(o["pthat"], "pthat")
    if pthat[1] > sqrt_s / 2:
        raise ValueError(f"pthat={o['pthat']!r}: the pT-hat window must stay below √s/2 = {sqrt_s / 2:g} GeV")
    mass = validate.real(o["resonance_mass"], "resonance_mass", low=200.0)
    if mass >= sqrt_s:
        raise ValueError(f"resonance_mass={mass:g}: must lie below √s = {sqrt_s:g} GeV")
    signal = validate.choice(o["signal"], "signal", SIGNALS)
    return {"sqrt_s": sqrt_s, "pthat": pthat, "resonance_mass": mass, "signal": signal,
            "trigger_pt": validate.real(o["trigger_pt"], "trigger_pt", low=0.0),
            **_generated.shared_options(o, n_constituents, detector)}


def _key(config: dict, seed: int) -> dict:
    from ._pythia_jets import BATCH

    return {"config": config, "seed": seed, "chunk": CHUNK, "batch": BATCH, "format": FORMAT_VERSION}


def _jet(flat: dict, suffix: str, constituents, order) -> ak.Array:
    from ._pythia_dijets import JET_FIELDS

    return _generated.jet_record({k: flat[k + suffix][order] for k in JET_FIELDS}, constituents)


def _assemble(done: dict, counts: dict, seed: int) -> ak.Array:
    from ._pythia_jets import PARTICLE_FIELDS

    flat = _generated.concatenated(_GENERATOR, done, counts)
    label = np.concatenate([np.ones(counts["signal"], np.int64), np.zeros(counts["qcd"], np.int64)])
    order = np.random.default_rng(np.random.SeedSequence([seed, 12])).permutation(label.size)
    per_jet = np.stack([flat["kept_1"], flat["kept_2"]], axis=1).ravel()  # [2n]: jet 1, jet 2, ...
    particles = ak.zip({k: flat["c_" + k] for k in PARTICLE_FIELDS})
    pairs = ak.unflatten(ak.unflatten(particles, per_jet), 2)[order]  # [n, 2, var]
    return ak.zip({"mjj": flat["mjj"][order], "label": label[order],
                   "jet1": _jet(flat, "_1", pairs[:, 0], order),
                   "jet2": _jet(flat, "_2", pairs[:, 1], order)}, depth_limit=1)


def dijets(n: int, signal_fraction: float = 0.01, *, seed=0, n_constituents: int = N_CONSTITUENTS,
           detector: JetDetector | None = None, workers: int | None = None, cache: bool = True,
           progress: bool = True, **options) -> ak.Array:
    """Simulate ``n`` dijet events: W′ → W Z → four quarks (label 1) among QCD dijets
    (label 0), shuffled, after the LHC Olympics 2020 R&D sample.

    n: number of events (≥ 1); ``round(n · signal_fraction)`` of them are signal (default
    1%; the LHCO R&D sample had 0.1%, its black boxes less). seed: keyword-only, an int ≥ 0
    or a numpy Generator (an int is drawn from it); same seed and options, same events.
    n_constituents: the leading constituents kept per jet (≥ 1; default 100). detector: a
    :class:`~hepcourse.physics.jet_detector.JetDetector` (default: its defaults). workers:
    processes generating chunks in parallel (default one per core; the result is the same
    for any number). cache: read and write the on-disk cache (default True). progress: a
    tqdm bar, in events (``HEPCOURSE_PROGRESS=0`` turns it off). options: the physics of
    :data:`DEFAULTS` (``sqrt_s``, ``pthat`` (low, high) of the QCD background,
    ``resonance_mass``, ``signal`` ("WZ" or "tt"), ``trigger_pt``, ``eta_max``, ``radius``,
    ``mpi``); an unknown one
    is a ValueError.

    Returns an awkward Array of ``n`` records: ``mjj`` (GeV, the two jets' invariant
    mass), ``label`` (1 signal, 0 background), and ``jet1`` (the heavier jet) and ``jet2``,
    each with ``pt``, ``eta``, ``phi``, ``mass`` (GeV), ``tau1``, ``tau2``, ``tau3``,
    ``tau21``, ``tau32``, ``n_particles`` (constituents before the cut) and
    ``constituents``: ragged [n, var ≤ n_constituents], by decreasing pT, fields ``pt``,
    ``eta``, ``phi``, ``energy`` (GeV), ``charge`` (e), ``pid`` (±11, ±13, ±211 tracks; 22
    ECAL, 130 HCAL cells), ``deta``, ``dphi`` (to the jet axis). Raises ImportError naming
    what to install when pythia8mc or fastjet is missing.
    """
    n, signal_fraction, seed = _generated.sample_arguments(n, signal_fraction, seed, "events")
    config = _options(options, n_constituents, detector)
    workers = _generated.run_arguments(workers, cache, "dijets")
    n_signal = round(n * signal_fraction)
    counts = {"signal": n_signal, "qcd": n - n_signal}
    done = _generated.generate(_GENERATOR, config, seed, counts, _key(config, seed), workers,
                               bool(cache), progress)
    return _assemble(done, counts, seed)
