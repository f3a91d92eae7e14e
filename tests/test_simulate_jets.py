"""Top and QCD jets from Pythia 8 + FastJet (simulate.jets): seeded and reproducible with
any number of workers, cached by configuration, within the cuts, with the physics of a top
jet (mass and W peaks, three prongs), padded for networks; the detector on hand-made
particles; clear errors. Samples are small (hundreds of jets, seconds each)."""
from __future__ import annotations

import importlib.util
import sys

import awkward as ak
import numpy as np
import pytest

from hepcourse import doctor, simulate
from hepcourse.physics.jet_detector import JetDetector, reconstruct
from hepcourse.simulate import top_tagging

HAVE_GENERATORS = all(importlib.util.find_spec(m) is not None for m in ("pythia8mc", "fastjet"))
needs_generators = pytest.mark.skipif(not HAVE_GENERATORS,
                                      reason="needs pythia8mc and fastjet (pip install 'hepcourse[jets]')")


@pytest.fixture(scope="module")
def sample():
    """400 jets (200 top, 200 QCD), generated once, not cached."""
    if not HAVE_GENERATORS:
        pytest.skip("needs pythia8mc and fastjet")
    return simulate.jets(400, seed=11, workers=1, cache=False, progress=False)


def _peak(values, low, high, width):
    counts, edges = np.histogram(values, bins=np.arange(low, high + width, width))
    return 0.5 * (edges[counts.argmax()] + edges[counts.argmax() + 1])


# --- the sample -------------------------------------------------------------------------

@needs_generators
def test_jets_pass_the_cuts_and_carry_their_labels(sample):
    assert len(sample) == 400 and int(ak.sum(sample.label)) == 200
    assert ak.all((sample.pt > 550) & (sample.pt < 650)) and ak.all(abs(sample.eta) < 2.0)
    top, qcd = sample[sample.label == 1], sample[sample.label == 0]
    assert np.all(np.isfinite(ak.to_numpy(top.top_pt))) and np.all(np.isnan(ak.to_numpy(qcd.top_pt)))
    # the constituents: by decreasing pT, at most 200, adding up to the jet's pT
    pt = sample.constituents.pt
    assert ak.all(pt[:, 1:] <= pt[:, :-1]) and ak.max(ak.num(pt)) <= 200
    px = ak.sum(pt * np.cos(sample.constituents.phi), axis=1)
    py = ak.sum(pt * np.sin(sample.constituents.phi), axis=1)
    assert np.allclose(np.hypot(px, py), sample.pt, rtol=1e-4)
    assert set(np.unique(ak.to_numpy(ak.flatten(abs(sample.constituents.pid))))) <= {11, 13, 211, 22, 130}


@needs_generators
def test_top_jets_have_the_top_and_w_mass_peaks_and_three_prongs(sample):
    top, qcd = sample[sample.label == 1], sample[sample.label == 0]
    assert 165 <= _peak(ak.to_numpy(top.mass), 100, 250, 10) <= 185
    assert 70 <= _peak(ak.to_numpy(top.m_w), 30, 130, 10) <= 90
    # the check can fail: QCD jets are light, their mass does not peak at m_t
    assert not 165 <= _peak(ak.to_numpy(qcd.mass), 0, 250, 10) <= 185
    assert np.mean(top.tau32) < np.mean(qcd.tau32) - 0.15
    assert np.mean(top.mass) > np.mean(qcd.mass) + 50


# --- reproducibility and the cache ------------------------------------------------------

@needs_generators
def test_same_seed_gives_the_same_jets_with_one_or_two_workers():
    one = simulate.jets(60, seed=5, workers=1, cache=False, progress=False)
    two = simulate.jets(60, seed=5, workers=2, cache=False, progress=False)
    assert ak.array_equal(one, two, equal_nan=True)
    other = simulate.jets(60, seed=6, workers=1, cache=False, progress=False)
    assert not np.array_equal(ak.to_numpy(one.pt), ak.to_numpy(other.pt))


@needs_generators
def test_the_cache_returns_the_same_jets_without_pythia_and_a_new_configuration_misses(isolated_data):
    before = top_tagging.generated_chunks()
    first = simulate.jets(40, seed=7, workers=1, progress=False)
    made = top_tagging.generated_chunks()
    assert made["top"] == before["top"] + 1 and made["qcd"] == before["qcd"] + 1
    files = sorted(isolated_data.glob("simulated/top-tagging-*/*.npz"))
    assert [f.name for f in files] == ["qcd-00000.npz", "top-00000.npz"]
    again = simulate.jets(40, seed=7, workers=1, progress=False)
    smaller = simulate.jets(20, seed=7, workers=1, progress=False)  # a prefix of the cached chunks
    assert top_tagging.generated_chunks() == made
    assert ak.array_equal(first, again, equal_nan=True)
    assert np.all(np.isin(ak.to_numpy(smaller.pt), ak.to_numpy(first.pt)))  # the same jets, reshuffled
    # another configuration (here the jet's |η| cut) is another cache entry
    simulate.jets(40, seed=7, workers=1, progress=False, eta_max=1.5)
    assert top_tagging.generated_chunks()["top"] == made["top"] + 1
    assert len(list(isolated_data.glob("simulated/top-tagging-*"))) == 2
    # a damaged file is generated again, with the same jets
    files[1].write_bytes(b"not a numpy file")
    repaired = simulate.jets(40, seed=7, workers=1, progress=False)
    assert top_tagging.generated_chunks()["top"] == made["top"] + 2
    assert ak.array_equal(first, repaired, equal_nan=True)


@needs_generators
def test_n_constituents_truncates_but_keeps_the_count_and_the_substructure(sample):
    short = simulate.jets(40, seed=11, n_constituents=20, workers=1, cache=False, progress=False)
    assert ak.max(ak.num(short.constituents)) == 20
    assert ak.any(short.n_particles > 20)
    assert ak.all(ak.num(short.constituents) == np.minimum(short.n_particles, 20))


# --- to_padded --------------------------------------------------------------------------

@needs_generators
def test_to_padded_masks_the_padding_and_keeps_the_leading_constituents_in_order(sample):
    x, mask = top_tagging.to_padded(sample, 40)
    assert tuple(x.shape) == (400, 40, len(top_tagging.FEATURES)) and tuple(mask.shape) == (400, 40)
    n = np.minimum(ak.to_numpy(ak.num(sample.constituents)), 40)
    assert np.array_equal(mask.numpy().sum(axis=1), n)
    x, mask = x.numpy(), mask.numpy()
    assert np.all(x[~mask] == 0)
    log_pt = x[..., top_tagging.FEATURES.index("log_pt")]
    valid = mask[:, 1:]
    assert np.all((log_pt[:, 1:] <= log_pt[:, :-1] + 1e-6) | ~valid)
    j = int(np.argmax(n))
    deta = ak.to_numpy(sample.constituents.deta[j])[:40]
    assert np.allclose(x[j, :n[j], top_tagging.FEATURES.index("deta")], deta, atol=1e-6)
    assert np.allclose(x[j, :n[j], top_tagging.FEATURES.index("charge")],
                       ak.to_numpy(sample.constituents.charge[j])[:40])
    flags, _ = top_tagging.to_padded(sample[:5], 10, features=top_tagging.PID_FEATURES)
    assert np.all(flags.numpy().sum(axis=-1)[mask[:5, :10]] == 1)  # exactly one identity each


@needs_generators
def test_to_padded_refuses_bad_arguments(sample):
    with pytest.raises(ValueError, match="n_max"):
        top_tagging.to_padded(sample, 0)
    with pytest.raises(ValueError, match="features"):
        top_tagging.to_padded(sample, 10, features=("deta", "rapidity"))
    with pytest.raises(TypeError, match="features"):
        top_tagging.to_padded(sample, 10, features="deta")


# --- arguments and installation ---------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, words", [
    ({"n": 0}, ValueError, "n=0"), ({"n": -5}, ValueError, "n=-5"), ({"n": 1.5}, ValueError, "n=1.5"),
    ({"n": 10, "n_constituents": 0}, ValueError, "n_constituents"),
    ({"n": 10, "signal_fraction": 1.5}, ValueError, "signal_fraction"),
    ({"n": 10, "colour": "red"}, ValueError, "unknown option"),
    ({"n": 10, "pthat": (700, 500)}, ValueError, "low < high"),
    ({"n": 10, "pthat": {"ttbar": (500, 700)}}, ValueError, "unknown option"),
    ({"n": 10, "pthat": (500, 8000)}, ValueError, "√s/2"),
    ({"n": 10, "workers": 0}, ValueError, "workers"),
    ({"n": 10, "detector": "atlas"}, TypeError, "JetDetector"),
    ({"n": 10, "seed": -1}, ValueError, "seed"),
])
def test_bad_arguments_give_clear_errors(kwargs, error, words):
    with pytest.raises(error, match=words):
        simulate.jets(**kwargs)


def test_without_pythia_it_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pythia8mc", None)  # import pythia8mc now fails
    with pytest.raises(ImportError, match=r"pip install 'hepcourse\[jets\]'"):
        simulate.jets(10)
    line = next(line for line in doctor.tools_report() if "pythia8mc" in line)
    assert "MISSING: Pythia 8, for simulate.jets" in line and "make install" in line


# --- the detector -----------------------------------------------------------------------

def _particles(*rows):
    """Particles (event, px, py, pz, E, charge, pid) → the keyword arguments of reconstruct."""
    a = np.array(rows, dtype=float)
    return {"event": a[:, 0].astype(int), "px": a[:, 1], "py": a[:, 2], "pz": a[:, 3],
            "energy": a[:, 4], "charge": a[:, 5], "pid": a[:, 6].astype(int)}


def test_the_detector_tracks_charged_particles_and_puts_the_rest_in_cells():
    rng = np.random.default_rng(0)
    p = _particles((0, 50, 0, 0, 50.0002, 1, 211),      # a tracked pion
                   (0, 0.3, 0, 0, 0.33, -1, -211),       # too soft: curls up, lost
                   (0, 20, 0.1, 0, 20.0003, 0, 22),      # two photons in one ECAL cell
                   (0, 20, 0.2, 0, 20.001, 0, 22),
                   (0, 0, 30, 0, 30.0, 0, 2112),         # a neutron: HCAL
                   (0, 0, -40, 0, 40, 0, 12),            # a neutrino: unseen
                   (1, 10, 0, 0, 10.0006, -1, 13))       # a muon in the second event
    out = reconstruct(JetDetector(), rng=rng, **p)
    assert list(out["event"]) == [0, 0, 0, 1]
    assert sorted(out["pid"].tolist()) == [13, 22, 130, 211]
    ecal = out["pid"] == 22
    assert np.isclose(out["energy"][ecal][0], 40, rtol=0.1)
    track = out["pid"] == 211
    assert 45 < out["pt"][track][0] < 55 and out["charge"][track][0] == 1
    # with no tracking efficiency the pion ends in the HCAL and the muon is lost
    blind = reconstruct(JetDetector(track_efficiency=0.0), rng=np.random.default_rng(0), **p)
    assert sorted(blind["pid"].tolist()) == [22, 130, 130]
    assert np.all(blind["charge"] == 0)


def test_the_detector_smears_and_the_perfect_one_does_not():
    rng = np.random.default_rng(1)
    n = 2000
    p = _particles(*[(i, 100, 0, 0, 100.0001, 1, 211) for i in range(n)])
    real = reconstruct(JetDetector(track_efficiency=1.0), rng=rng, **p)
    perfect = reconstruct(JetDetector.perfect(), rng=rng, **p)
    assert np.allclose(perfect["pt"], 100)
    expected = np.hypot(0.01, 5e-4 * 100)
    assert np.isclose(np.std(real["pt"] / 100), expected, rtol=0.1)
    with pytest.raises(ValueError, match="track_efficiency"):
        JetDetector(track_efficiency=1.5)
    with pytest.raises(ValueError, match="unknown option"):
        JetDetector().replace(magnetic_field=2.0)
