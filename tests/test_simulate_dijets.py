"""LHC-Olympics-like dijets from Pythia 8 + FastJet (simulate.dijets): the selection, the
physics of the injected W′ → W Z resonance against QCD (the m_jj peak, W/Z jet masses,
two-prong τ21, a steeply falling background), reproducible with one or two workers,
cached by configuration, clear errors. Samples are small (hundreds of events, seconds)."""
from __future__ import annotations

import importlib.util
import sys

import awkward as ak
import numpy as np
import pytest

from hepcourse import simulate
from hepcourse.simulate import dijet_resonance

HAVE_GENERATORS = all(importlib.util.find_spec(m) is not None for m in ("pythia8mc", "fastjet"))
needs_generators = pytest.mark.skipif(not HAVE_GENERATORS,
                                      reason="needs pythia8mc and fastjet (pip install 'hepcourse[jets]')")
M_W, M_Z = 80.4, 91.2


@pytest.fixture(scope="module")
def sample():
    """600 events (200 W′ signal, 400 QCD), generated once, not cached."""
    if not HAVE_GENERATORS:
        pytest.skip("needs pythia8mc and fastjet")
    return simulate.dijets(600, signal_fraction=1 / 3, seed=21, workers=1, cache=False, progress=False)


def _np(array):
    return ak.to_numpy(array)


def _peak(values, low, high, width):
    counts, edges = np.histogram(values, bins=np.arange(low, high + width, width))
    return 0.5 * (edges[counts.argmax()] + edges[counts.argmax() + 1])


# --- the selection and the record ---------------------------------------------------------

@needs_generators
def test_events_pass_the_selection_and_carry_their_labels(sample):
    assert len(sample) == 600 and int(ak.sum(sample.label)) == 200
    j1, j2 = sample.jet1, sample.jet2
    assert np.all(np.maximum(_np(j1.pt), _np(j2.pt)) > 1200)           # the trigger jet
    assert ak.all(abs(j1.eta) < 2.5) and ak.all(abs(j2.eta) < 2.5)
    assert ak.all(j1.mass >= j2.mass)                                   # ordered by mass
    # m_jj is the two jets' invariant mass
    e = [np.sqrt(_np(j.mass) ** 2 + (_np(j.pt) * np.cosh(_np(j.eta))) ** 2) for j in (j1, j2)]
    p = [np.stack([_np(j.pt) * np.cos(_np(j.phi)), _np(j.pt) * np.sin(_np(j.phi)),
                   _np(j.pt) * np.sinh(_np(j.eta))]) for j in (j1, j2)]
    mjj = np.sqrt((e[0] + e[1]) ** 2 - ((p[0] + p[1]) ** 2).sum(axis=0))
    assert np.allclose(mjj, _np(sample.mjj), rtol=1e-6)
    for jet in (j1, j2):
        pt = jet.constituents.pt
        assert ak.all(pt[:, 1:] <= pt[:, :-1]) and ak.max(ak.num(pt)) <= 100
        assert ak.all(ak.num(pt) == np.minimum(jet.n_particles, 100))
        assert np.allclose(_np(jet.tau21), _np(jet.tau2 / jet.tau1))
        dr = _np(ak.flatten(np.hypot(jet.constituents.deta, jet.constituents.dphi)))
        assert np.all(dr < 2.0) and np.mean(dr < 1.0) > 0.99  # anti-kT R = 1.0: within R, a few soft ones out
    # uncut jets: their constituents add up to the jet's pT
    whole = j2[j2.n_particles <= 100]
    px = ak.sum(whole.constituents.pt * np.cos(whole.constituents.phi), axis=1)
    py = ak.sum(whole.constituents.pt * np.sin(whole.constituents.phi), axis=1)
    assert len(whole) > 100 and np.allclose(np.hypot(px, py), whole.pt, rtol=1e-4)


# --- the physics ------------------------------------------------------------------------

@needs_generators
def test_the_resonance_peaks_at_its_mass_and_moves_with_it(sample):
    signal, qcd = sample[sample.label == 1], sample[sample.label == 0]
    assert 0.9 * 3500 <= _peak(_np(signal.mjj), 2000, 5000, 100) <= 1.1 * 3500
    assert 0.9 * 3500 <= np.median(_np(signal.mjj)) <= 1.1 * 3500
    # the check can fail: QCD does not peak there
    assert not 0.9 * 3500 <= _peak(_np(qcd.mjj), 2000, 5000, 100) <= 1.1 * 3500
    heavier = simulate.dijets(100, signal_fraction=1.0, seed=3, workers=1, cache=False, progress=False,
                              resonance_mass=4500.0)
    assert 0.9 * 4500 <= np.median(_np(heavier.mjj)) <= 1.1 * 4500


@needs_generators
def test_signal_jets_have_the_w_and_z_masses_and_two_prongs(sample):
    signal, qcd = sample[sample.label == 1], sample[sample.label == 0]
    signal_masses = np.concatenate([_np(signal.jet1.mass), _np(signal.jet2.mass)])
    qcd_masses = np.concatenate([_np(qcd.jet1.mass), _np(qcd.jet2.mass)])
    assert 0.85 * M_W <= _peak(signal_masses, 0, 300, 10) <= 1.15 * M_Z
    assert 0.85 * M_W <= _peak(_np(signal.jet2.mass), 0, 300, 10) <= 1.15 * M_Z
    window = (signal_masses > 65) & (signal_masses < 105)
    qcd_window = (qcd_masses > 65) & (qcd_masses < 105)
    assert window.mean() > 0.45 and qcd_window.mean() < 0.3
    # two prongs: τ21 of the W and Z jets is lower than that of QCD jets
    signal_tau21 = np.concatenate([_np(signal.jet1.tau21), _np(signal.jet2.tau21)])
    qcd_tau21 = np.concatenate([_np(qcd.jet1.tau21), _np(qcd.jet2.tau21)])
    assert np.median(signal_tau21) < np.median(qcd_tau21) - 0.1
    assert np.median(signal_tau21[window]) < np.median(qcd_tau21[qcd_window]) - 0.1


@needs_generators
def test_the_top_resonance_gives_heavy_three_prong_jets(sample):
    tops = simulate.dijets(150, signal_fraction=1.0, seed=4, workers=1, cache=False, progress=False, signal="tt")
    qcd = sample[sample.label == 0]
    assert 0.9 * 3500 <= np.median(_np(tops.mjj)) <= 1.1 * 3500
    # the heavier jet holds a whole top (m_t = 173 GeV, more with wide-angle radiation in R = 1.0)
    assert 160 < np.median(_np(tops.jet1.mass)) < 350 and np.mean(_np(tops.jet2.mass) > 140) > 0.5
    # three prongs: τ32 of top jets below that of QCD jets
    assert np.median(_np(tops.jet1.tau32)) < np.median(_np(qcd.jet1.tau32)) - 0.08


@needs_generators
def test_the_background_mjj_falls_steeply(sample):
    qcd = _np(sample[sample.label == 0].mjj)
    counts, _ = np.histogram(qcd, bins=[3000, 3500, 4000, 4500])  # about 100, 50, 20 here
    assert counts[0] > 1.3 * counts[1] and counts[1] > 1.3 * counts[2]  # each 500 GeV: fewer
    assert counts[0] > 3 * counts[2]
    assert np.mean(qcd > 5500) < 0.03 and np.median(qcd) < 3300


# --- reproducibility and the cache ------------------------------------------------------

@needs_generators
def test_same_seed_gives_the_same_events_with_one_or_two_workers():
    one = simulate.dijets(60, signal_fraction=0.5, seed=5, workers=1, cache=False, progress=False)
    two = simulate.dijets(60, signal_fraction=0.5, seed=5, workers=2, cache=False, progress=False)
    assert ak.array_equal(one, two, equal_nan=True)
    other = simulate.dijets(60, signal_fraction=0.5, seed=6, workers=1, cache=False, progress=False)
    assert not np.array_equal(_np(one.mjj), _np(other.mjj))


@needs_generators
def test_the_cache_returns_the_same_events_without_pythia_and_a_new_configuration_misses(isolated_data):
    before = dijet_resonance.generated_chunks()
    first = simulate.dijets(40, signal_fraction=0.5, seed=7, workers=1, progress=False)
    made = dijet_resonance.generated_chunks()
    assert made["signal"] == before["signal"] + 1 and made["qcd"] == before["qcd"] + 1
    files = sorted(isolated_data.glob("simulated/dijets-*/*.npz"))
    assert [f.name for f in files] == ["qcd-00000.npz", "signal-00000.npz"]
    again = simulate.dijets(40, signal_fraction=0.5, seed=7, workers=1, progress=False)
    smaller = simulate.dijets(20, signal_fraction=0.5, seed=7, workers=1, progress=False)
    assert dijet_resonance.generated_chunks() == made
    assert ak.array_equal(first, again, equal_nan=True)
    assert np.all(np.isin(_np(smaller.mjj), _np(first.mjj)))  # a prefix, reshuffled
    simulate.dijets(40, signal_fraction=0.5, seed=7, workers=1, progress=False, trigger_pt=1300.0)
    assert dijet_resonance.generated_chunks()["signal"] == made["signal"] + 1
    assert len(list(isolated_data.glob("simulated/dijets-*"))) == 2
    assert not list(isolated_data.glob("simulated/top-tagging-*"))  # jets() has its own folders


# --- arguments and installation ---------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, words", [
    ({"n": 0}, ValueError, "n=0"), ({"n": -5}, ValueError, "n=-5"), ({"n": 1.5}, ValueError, "n=1.5"),
    ({"n": 10, "signal_fraction": 1.5}, ValueError, "signal_fraction"),
    ({"n": 10, "signal_fraction": -0.1}, ValueError, "signal_fraction"),
    ({"n": 10, "colour": "red"}, ValueError, "unknown option"),
    ({"n": 10, "pthat": (2000, 1000)}, ValueError, "low < high"),
    ({"n": 10, "pthat": (1000, 8000)}, ValueError, "√s/2"),
    ({"n": 10, "resonance_mass": 20_000}, ValueError, "resonance_mass"),
    ({"n": 10, "signal": "ZZ"}, ValueError, "signal"),
    ({"n": 10, "resonance_mass": "heavy"}, TypeError, "resonance_mass"),
    ({"n": 10, "n_constituents": 0}, ValueError, "n_constituents"),
    ({"n": 10, "workers": 0}, ValueError, "workers"),
    ({"n": 10, "mpi": "yes"}, TypeError, "mpi"),
    ({"n": 10, "detector": "atlas"}, TypeError, "JetDetector"),
    ({"n": 10, "seed": -1}, ValueError, "seed"),
])
def test_bad_arguments_give_clear_errors(kwargs, error, words):
    with pytest.raises(error, match=words):
        simulate.dijets(**kwargs)


def test_without_pythia_it_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pythia8mc", None)  # import pythia8mc now fails
    with pytest.raises(ImportError, match=r"simulate.dijets needs .*pip install 'hepcourse\[jets\]'"):
        simulate.dijets(10)
