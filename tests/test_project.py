"""The student project: the dimuon simulator's physics, and the leaderboard check."""
from __future__ import annotations

import numpy as np
import pytest

from hepcourse.course import check, project
from hepcourse.simulate.dimuon import FEATURES, PROCESSES, dimuon_search


@pytest.fixture(scope="module")
def events():
    return dimuon_search(40_000, signal_fraction=0.5, signal_mass=600, seed=3)


def test_schema_and_determinism(events):
    assert set(FEATURES) | {"m_mumu", "label", "process", "true_mass"} <= set(events.columns)
    assert set(events["process"].astype(str)) == set(PROCESSES)
    again = dimuon_search(40_000, signal_fraction=0.5, signal_mass=600, seed=3)
    assert events.equals(again)
    assert (events["m_mumu"] > 150).all() and (events[["mu1_pt", "mu2_pt"]] > 30).all().all()
    assert (events["mu1_pt"] >= events["mu2_pt"]).all()


def test_physics_of_each_process(events):
    by = events.groupby("process", observed=True)
    signal = events[events["label"] == 1]["m_mumu"]
    assert abs(signal.median() - 600) < 0.02 * 600  # the Z' peak at its mass
    assert 0.02 * 600 < signal.quantile(0.75) - signal.quantile(0.25) < 0.08 * 600  # width ⊕ resolution
    dy = events[events["process"] == "drell_yan"]["m_mumu"]
    assert (dy < 300).mean() > 0.7  # a steeply falling spectrum
    assert by["met"].median()["ttbar"] > 3 * by["met"].median()["drell_yan"]  # two neutrinos
    assert by["n_bjets"].mean()["ttbar"] > 1.0
    assert by["mu1_iso"].median()["nonprompt"] > 5 * by["mu1_iso"].median()["zprime"]
    assert events[events["process"] == "nonprompt"]["mu1_d0"].abs().median() > 4 * \
        events[events["process"] == "zprime"]["mu1_d0"].abs().median()


@pytest.mark.parametrize("kwargs, message", [
    ({"n": 0}, "positive integer"), ({"n": 10, "signal_fraction": 2}, "must lie in"),
    ({"n": 10, "background_mix": (0.5, 0.5, 0.5)}, "add up to 1"),
    ({"n": 10, "signal_mass": 100}, "above the search threshold")])
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dimuon_search(**kwargs)


def test_reference_solution_reaches_the_target_and_a_random_guess_is_rejected(capsys):
    from sklearn.ensemble import HistGradientBoostingClassifier

    train = project.training_sample(50_000)
    model = HistGradientBoostingClassifier(max_iter=200, random_state=0)
    model.fit(train[list(FEATURES)], train["label"])
    test = project.test_features(5_000)
    scores = model.predict_proba(test[list(FEATURES)])[:, 1]
    result = check.project(scores, threshold=0.5, mass=project.HIDDEN_MASS + 10, team="reference")
    assert result.passed and result.details["auc"] > project.TARGET_AUC
    assert result.details["efficiencies"]["ttbar"] < 0.05
    assert capsys.readouterr().out.startswith("LEADERBOARD | team reference | AUC 0.7")
    guess = check.project(np.random.default_rng(0).uniform(size=len(test)))
    assert not guess.passed and "0.75 or more" in guess.message
    wrong_mass = check.project(scores, mass=800)
    assert not wrong_mass.passed and "not where the signal is" in wrong_mass.message
    assert "isolation sum alone" in check.project(-(test["mu1_iso"] + test["mu2_iso"]).to_numpy()).message


def test_collision_data_hides_the_signal_in_the_mass_spectrum():
    data = project.collision_data()
    assert len(data) == project.DATA_EVENTS and "label" not in data and "process" not in data
    truth = project._collision_truth()
    assert int(truth["label"].sum()) == project.DATA_SIGNAL
    assert abs(truth[truth["label"] == 1]["m_mumu"].median() - project.HIDDEN_MASS) < 20


def test_expected_significance():
    assert project.expected_significance(10, 100) == pytest.approx(0.98, abs=0.01)  # ≈ s/√b
    assert project.expected_significance(5, 0) == 0.0
