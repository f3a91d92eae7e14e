"""The HEPMASS twin: UCI layout and normalisation, reproducibility, and the physics of the
decay chain (W and top mass peaks in both classes, m_WWbb at m_X for signal)."""
from __future__ import annotations

import signal

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from hepcourse.models import MLP
from hepcourse.simulate import hepmass
from hepcourse.simulate.resonant_ttbar import (COLUMNS, FEATURE_NAMES, MASSES, T_MASS, W_MASS,
                                        neutrino_pz, normalise, physical)
from hepcourse.train import fit, predict


@pytest.fixture(scope="module")
def raw():
    return hepmass(120_000, seed=11, raw=True)


@pytest.fixture(scope="module")
def uci():
    return hepmass(120_000, seed=11)


def peak(x, low, high, width=2.0):
    """The centre of the fullest bin of x in [low, high]."""
    counts, edges = np.histogram(x, bins=np.arange(low, high + width, width))
    return edges[counts.argmax()] + width / 2


def test_uci_layout(uci):
    assert list(uci.columns) == COLUMNS == ["label", *[f"f{i}" for i in range(27)], "mass"]
    assert (uci.dtypes == np.float32).all() and len(uci) == 120_000
    assert set(np.unique(uci["label"])) == {0.0, 1.0}
    assert abs(uci["label"].mean() - 0.5) < 0.01
    # background events carry a mass drawn from the same set, uniformly
    for label in (0, 1):
        share = uci.loc[uci.label == label, "mass"].value_counts(normalize=True)
        assert sorted(share.index) == list(MASSES)
        assert share.between(0.18, 0.22).all()


def test_fixed_normalisation(uci):
    features = uci[[f"f{i}" for i in range(27)]]
    assert features.mean().abs().max() < 0.1
    assert features.std().between(0.8, 1.2).all()
    # the same constants for every sample: a signal-only sample is NOT re-standardised
    signal = hepmass(20_000, masses=[1500], signal_fraction=1.0, seed=2)
    assert signal["f26"].mean() > 1.0  # m_WWbb far above the mixture's mean


def test_raw_and_physical_agree(raw, uci):
    back = physical(uci)
    assert list(back.columns) == ["label", *FEATURE_NAMES, "mass"]
    np.testing.assert_allclose(back[FEATURE_NAMES].to_numpy(), raw[FEATURE_NAMES].to_numpy(),
                               rtol=1e-4, atol=2e-3 * raw[FEATURE_NAMES].abs().max().max())
    np.testing.assert_allclose(normalise(raw[FEATURE_NAMES].to_numpy()),
                               uci[[f"f{i}" for i in range(27)]].to_numpy(), atol=1e-4)


def test_same_seed_same_events():
    a, b = hepmass(3000, seed=5), hepmass(3000, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert not hepmass(3000, seed=6).equals(a)


def test_selection(raw):
    assert raw["lepton_pt"].min() > 25 and raw["lepton_eta"].abs().max() < 2.5
    assert raw["n_jets"].min() >= 4 and raw["jet4_pt"].min() > 25
    pts = raw[["jet1_pt", "jet2_pt", "jet3_pt", "jet4_pt"]].to_numpy()
    assert (np.diff(pts, axis=1) <= 0).all()  # the four leading jets, ordered in pT
    assert set(np.unique(raw["jet1_btag"])) == {0.0, 1.0}
    assert raw[["jet1_phi", "met_phi"]].abs().max().max() <= np.pi


@pytest.mark.parametrize("label", [0, 1])
def test_w_and_top_mass_peaks_in_both_classes(raw, label):
    events = raw[raw.label == label]
    assert abs(peak(events["m_lv"], 40, 200) - W_MASS) < 3
    assert abs(peak(events["m_jj"], 30, 200, 4.0) - W_MASS) < 8
    assert abs(peak(events["m_jlv"], 100, 300, 4.0) - T_MASS) < 10
    assert abs(peak(events["m_jjj"], 100, 300, 4.0) - T_MASS) < 10


def test_m_wwbb_peaks_at_the_x_mass(raw):
    for m_x in MASSES:
        signal = raw.loc[(raw.label == 1) & (raw.mass == m_x), "m_wwbb"]
        assert abs(peak(signal, 300, 2500, 20.0) - m_x) < 0.06 * m_x, m_x
    background = raw.loc[raw.label == 0, "m_wwbb"]
    assert 2 * T_MASS < peak(background, 300, 2500, 20.0) < 500


def test_hardest_at_500_easiest_at_1500(raw):
    auc = []
    for m_x in MASSES:
        events = raw[raw.mass == m_x]
        auc.append(roc_auc_score(events.label, -np.abs(events.m_wwbb - m_x)))
    assert auc == sorted(auc) and auc[0] < 0.8 < auc[-1]


def test_neutrino_from_the_w_mass_constraint():
    import vector

    rng = np.random.default_rng(0)
    n = 1000
    w = vector.array({"px": rng.normal(0, 50, n), "py": rng.normal(0, 50, n),
                      "pz": rng.normal(0, 200, n), "M": np.full(n, W_MASS)})
    from hepcourse.simulate.resonant_ttbar import two_body
    lepton, nu = two_body(rng, w, 0.0, 0.0)
    pz = neutrino_pz(lepton, np.asarray(nu.px), np.asarray(nu.py))
    rebuilt = vector.array({"px": nu.px, "py": nu.py, "pz": pz, "M": np.zeros(n)})
    np.testing.assert_allclose((lepton + rebuilt).mass, W_MASS, rtol=1e-6)
    # one of the two solutions is the true one; the smaller |pz| is picked
    assert np.mean(np.isclose(pz, nu.pz, rtol=1e-6, atol=1e-6)) > 0.5


def test_calibrated_difficulty_for_a_3x112_mlp():
    train, test = hepmass(150_000, seed=21), hepmass(60_000, seed=22)
    X = train.drop(columns="label").to_numpy(np.float32)
    Xt = test.drop(columns="label").to_numpy(np.float32)
    torch.manual_seed(0)
    model = MLP(28).set_scaling(X)
    fit(model, (X, train.label.to_numpy()), epochs=5, progress=False)
    p = predict(model, Xt)
    correct = (p > 0.5) == test.label.to_numpy().astype(bool)
    assert 0.84 < correct.mean() < 0.93
    by_mass = [correct[test.mass.to_numpy() == m].mean() for m in MASSES]
    assert by_mass[0] == min(by_mass) and by_mass[-1] >= max(by_mass) - 0.01


def test_clear_errors():
    with pytest.raises(ValueError, match="threshold"):
        hepmass(10, masses=[300])
    with pytest.raises(ValueError, match="n=0: must be at least 1"):
        hepmass(0)
    with pytest.raises(ValueError, match="signal_fraction"):
        hepmass(10, signal_fraction=1.5)
    with pytest.raises(TypeError, match="raw"):
        hepmass(10, raw="yes")
    with pytest.raises(TypeError):
        hepmass(10, MASSES, 0)  # seed is keyword only


def _within(seconds, call):
    """call(), failing (instead of hanging) if it takes longer than ``seconds``."""
    def handler(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s")
    previous = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        return call()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("masses", [[float("inf")], [float("nan")], [1e200], [1000, -float("inf")]])
def test_infinite_or_absurd_masses_are_refused_not_looped_on(masses):
    # the old simulator accepted m_X = inf and then looped for ever: no event passes
    with pytest.raises(ValueError, match="masses"):
        _within(20, lambda: hepmass(10, masses=masses, seed=0))


def test_a_selection_that_nothing_passes_raises_instead_of_hanging(monkeypatch):
    from hepcourse.simulate import resonant_ttbar

    monkeypatch.setattr(resonant_ttbar, "_events", lambda rng, n, m_x: np.empty((0, 27)))
    with pytest.raises(RuntimeError, match="no event that passes the selection"):
        _within(20, lambda: hepmass(10, seed=0))


def test_seed_may_be_a_generator():
    a = hepmass(500, seed=np.random.default_rng(3))
    b = hepmass(500, seed=np.random.default_rng(3))
    pd.testing.assert_frame_equal(a, b)
