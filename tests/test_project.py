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
    ({"n": 0}, "n=0: must be at least 1"), ({"n": 10, "signal_fraction": 2}, "signal_fraction=2: must be ≤ 1"),
    ({"n": 10, "background_mix": (0.5, 0.5, 0.5)}, "add up to 1"),
    ({"n": 10, "signal_mass": 100}, "above the search threshold")])
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dimuon_search(**kwargs)


@pytest.fixture(scope="module")
def scored():
    """The reference solution's scores of 5000 held-out events, and those events."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    train = project.training_sample(50_000)
    model = HistGradientBoostingClassifier(max_iter=200, random_state=0)
    model.fit(train[list(FEATURES)], train["label"])
    test = project.test_features(5_000)
    return model.predict_proba(test[list(FEATURES)])[:, 1], test


def test_reference_solution_reaches_the_target_and_a_random_guess_is_rejected(scored, capsys):
    scores, test = scored
    result = check.project(scores, threshold=0.5, mass=project.HIDDEN_MASS + 10, team="reference", n=5_000)
    assert result.passed and result.details["auc"] > project.TARGET_AUC
    assert result.details["efficiencies"]["ttbar"] < 0.05
    line = result.details["line"]
    assert line.startswith("LEADERBOARD | team reference | AUC 0.7") and line in repr(result)
    assert capsys.readouterr().out == "", "the library shows the line in the Feedback, it does not print"
    guess = check.project(np.random.default_rng(0).uniform(size=len(test)), n=5_000)
    assert not guess.passed and "0.75 or more" in guess.message
    wrong_mass = check.project(scores, mass=800, n=5_000)
    assert not wrong_mass.passed and "not where the signal is" in wrong_mass.message
    isolation = -(test["mu1_iso"] + test["mu2_iso"]).to_numpy()
    assert "isolation sum alone" in check.project(isolation, n=5_000).message


def test_the_default_number_of_scores_is_that_of_test_features(scored, monkeypatch):
    scores, _ = scored
    monkeypatch.setenv("HEPCOURSE_SMOKE", "1")  # test_features() gives 5000 events
    assert project.held_out_size() == 5_000 == len(project.test_features())
    assert check.project(scores).passed
    monkeypatch.setenv("HEPCOURSE_SMOKE", "0")
    assert project.held_out_size() == 20_000
    feedback = check.project(scores)
    assert not feedback and feedback.message.startswith("expected 20000 scores, got 5000")


@pytest.mark.parametrize("length", ["short", "long"])
def test_wrong_number_of_scores_is_refused_not_scored_against_other_events(scored, length):
    scores, _ = scored
    wrong = scores[:4_999] if length == "short" else np.r_[scores, 0.5]
    feedback = check.project(wrong, n=5_000)
    assert not feedback and feedback.message.startswith(f"expected 5000 scores, got {len(wrong)}")
    assert "auc" not in feedback.details


@pytest.mark.parametrize("change, fragment", [
    ({"scores": "nan"}, "5000 of your 5000 scores are NaN or infinite"),
    ({"scores": "one-nan"}, "1 of your 5000 scores are NaN"),
    ({"scores": "two-columns"}, "has shape (5000, 2)"),
    ({"scores": "column"}, ".ravel()"),
    ({"scores": None}, "`scores` should be"),
    ({"scores": "text"}, "`scores` should be"),
    ({"scores": {"a": 1}}, "`scores` should be"),
    ({"threshold": 1.5}, "`threshold` = 1.5 is out of range; expected a cut on the score between 0 and 1"),
    ({"threshold": -0.1}, "`threshold` = -0.1 is out of range"),
    ({"threshold": float("nan")}, "`threshold` is nan"),
    ({"threshold": "0.5"}, "`threshold` should be"),
    ({"mass": "420"}, "`mass` should be"),
    ({"mass": -420}, "`mass` = -420 is out of range"),
    ({"n": 0}, "n=0: must be at least 1"),
    ({"n": "5000"}, "n='5000': expected a whole number"),
])
def test_malformed_submission_gets_clear_feedback(scored, change, fragment):
    scores, _ = scored
    kwargs = {"scores": scores, "threshold": 0.5, "mass": project.HIDDEN_MASS, "n": 5_000}
    special = {"nan": np.full(5_000, np.nan), "one-nan": np.r_[scores[:-1], np.nan],
               "two-columns": np.c_[1 - scores, scores], "column": scores[:, None]}
    for key, value in change.items():
        kwargs[key] = special.get(value, value) if isinstance(value, str) and key == "scores" else value
    feedback = check.project(**kwargs)
    assert not feedback and fragment in feedback.message, feedback.message


def test_the_team_name_may_be_anything(scored):
    scores, _ = scored
    assert check.project(scores, n=5_000, team=7).details["line"].startswith("LEADERBOARD | team 7 |")


def test_collision_data_hides_the_signal_in_the_mass_spectrum():
    data = project.collision_data()
    assert len(data) == project.DATA_EVENTS and "label" not in data and "process" not in data
    truth = project._collision_truth()
    assert int(truth["label"].sum()) == project.DATA_SIGNAL
    assert abs(truth[truth["label"] == 1]["m_mumu"].median() - project.HIDDEN_MASS) < 20


def test_expected_significance():
    assert project.expected_significance(10, 100) == pytest.approx(0.98, abs=0.01)  # ≈ s/√b
    assert project.expected_significance(5, 0) == 0.0
    z = project.expected_significance(np.array([0.0, 10.0, 50.0]), np.array([100.0, 100.0, 0.0]))
    assert z[0] == 0.0 and z[1] == pytest.approx(0.98, abs=0.01) and z[2] == 0.0


@pytest.mark.parametrize("s, b, error, message", [
    ("ten", 100, TypeError, "s: expected numbers"), (10, None, TypeError, "b=None"),
    (-1, 100, ValueError, "s: every value must be ≥ 0"), (10, np.nan, ValueError, "b: holds NaN"),
    ([1, 2], [1, 2, 3], ValueError, "s has shape \\(2,\\) and b \\(3,\\)")])
def test_expected_significance_checks_its_inputs(s, b, error, message):
    with pytest.raises(error, match=message):
        project.expected_significance(s, b)


@pytest.mark.parametrize("function", [project.training_sample, project.test_features])
def test_sample_sizes_are_checked(function):
    with pytest.raises(ValueError, match="n=0: must be at least 1"):
        function(0)
    with pytest.raises(TypeError, match="n='many': expected a whole number"):
        function("many")
