"""The Z' → μμ search simulator: the generated Z' mass it reports, the muon resolution its
docstring promises (in quadrature), and its input checks."""
from __future__ import annotations

import numpy as np
import pytest

from hepcourse.simulate import dimuon
from hepcourse.simulate.dimuon import MUON_RESOLUTION, ZPRIME_WIDTH, dimuon_search


@pytest.fixture(scope="module")
def events():
    return dimuon_search(30_000, signal_fraction=0.5, signal_mass=(400, 800), seed=5)


def test_true_mass_is_the_generated_zprime_mass(events):
    signal = events[events["label"] == 1]
    background = events[events["label"] == 0]
    # the old simulator wrote NaN for every event, the Z' included
    assert signal["true_mass"].notna().all() and background["true_mass"].isna().all()
    centre = np.where(signal["true_mass"] < 600, 400.0, 800.0)
    ratio = signal["true_mass"] / centre
    assert ratio.between(0.5, 1.5).all()  # the Breit-Wigner's truncation
    for c in (400.0, 800.0):
        m = signal["true_mass"][centre == c]
        assert np.median(m) == pytest.approx(c, rel=0.003)
        q1, q3 = np.percentile(m, [25, 75])
        assert q3 - q1 == pytest.approx(ZPRIME_WIDTH * c, rel=0.1)  # FWHM = Γ = 3% of m
    # the measured mass scatters about the true one by the muon resolution, not by Γ
    spread = (signal["m_mumu"] / signal["true_mass"] - 1).std()
    assert 0.004 < spread < 0.02


@pytest.mark.parametrize("pt", [50.0, 400.0, 1000.0, 2000.0])
def test_muon_resolution_adds_the_terms_in_quadrature(pt):
    """σ(pT)/pT = 1% ⊕ 5·10⁻⁵ pT: 0.0510 at 1 TeV (the old, linear sum gave 0.060)."""
    import vector

    n = 200_000
    rng = np.random.default_rng(7)
    mu = vector.array({"pt": np.full(n, pt), "eta": np.zeros(n), "phi": np.zeros(n), "M": np.full(n, 0.1057)})
    measured = np.asarray(dimuon._measure(rng, mu).pt)
    a, b = MUON_RESOLUTION
    assert np.std(measured / pt - 1) == pytest.approx(np.hypot(a, b * pt), rel=0.01)
    assert np.mean(measured / pt - 1) == pytest.approx(0.0, abs=3 * np.hypot(a, b * pt) / np.sqrt(n))


def test_seed_is_keyword_only_and_may_be_a_generator():
    with pytest.raises(TypeError):
        dimuon_search(100, 0.5, 600, (0.5, 0.3, 0.2), 3)
    a = dimuon_search(300, seed=np.random.default_rng(2))
    assert a.equals(dimuon_search(300, seed=np.random.default_rng(2)))
    assert not a.equals(dimuon_search(300, seed=np.random.default_rng(3)))


@pytest.mark.parametrize("kwargs, error, name", [
    ({"n": True}, TypeError, "n"), ({"n": float("nan")}, ValueError, "n"),
    ({"n": [4]}, TypeError, "n"), ({"n": -5}, ValueError, "n"),
    ({"n": 10, "signal_fraction": float("nan")}, ValueError, "signal_fraction"),
    ({"n": 10, "signal_mass": float("inf")}, ValueError, "signal_mass"),
    ({"n": 10, "signal_mass": [600, 1e6]}, ValueError, "signal_mass"),
    ({"n": 10, "signal_mass": []}, ValueError, "signal_mass"),
    ({"n": 10, "background_mix": (0.5, float("nan"), 0.5)}, ValueError, "background_mix"),
    ({"n": 10, "background_mix": (1.5, -0.3, -0.2)}, ValueError, "background_mix"),
    ({"n": 10, "seed": -1}, ValueError, "seed"),
    ({"n": 10, "seed": "three"}, TypeError, "seed"),
])
def test_bad_input_names_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        dimuon_search(**kwargs)


def test_every_process_is_generated_and_accepted():
    events = dimuon_search(4000, signal_fraction=0.25, signal_mass=1200, seed=1)
    counts = events["process"].value_counts()
    assert (counts > 0).all() and counts.sum() == 4000
    assert (events["m_mumu"] > dimuon.MASS_MIN).all() and (events["mu2_pt"] > 30).all()


def test_peak_width_is_resolution_and_natural_width_in_quadrature():
    """The signal template's σ: the measured resolution ⊕ the Gaussian of FWHM Γ."""
    widths = dimuon.peak_width([400.0, 800.0])
    assert widths.shape == (2,) and widths[1] > widths[0]
    gamma = ZPRIME_WIDTH * 800.0 / (2 * np.sqrt(2 * np.log(2)))
    assert gamma < widths[1] < 0.03 * 800, "narrower than Γ/m = 3% itself, wider than the line alone"
    assert dimuon.peak_width(800.0) == pytest.approx(widths[1])
    with pytest.raises(ValueError, match="mass"):
        dimuon.peak_width(100.0)
