"""The student project: the samples, the key that hides the answer, the submission file
and the training-side self-check (check.project)."""
from __future__ import annotations

import inspect
import json
import re

import numpy as np
import pytest

from hepcourse.course import bumphunt, check, project, submission
from hepcourse.course.check import scoring
from hepcourse.simulate.dimuon import FEATURES


@pytest.fixture(scope="module")
def sample():
    return project.training_sample(20_000)


def test_training_frame_holds_only_the_features_and_the_label(sample):
    events, truth = sample
    assert list(events.columns) == list(FEATURES) + ["label"]
    assert "m_mumu" in truth and "process" in truth and "m_mumu" not in events
    assert events.index.equals(truth.index)
    assert set(truth["process"].astype(str)) == {"zprime", "drell_yan", "ttbar", "nonprompt"}
    assert ((truth["process"] == "zprime").to_numpy() == (events["label"] == 1).to_numpy()).all()


def test_the_key_chooses_the_mass_and_the_seeds(monkeypatch):
    masses = {project._hidden_mass(f"class-{i}") for i in range(12)}
    assert len(masses) >= 6, "different keys give different masses"
    grid = project.allowed_masses()
    assert masses <= set(grid) and grid.min() >= project.SEARCH_RANGE[0] and grid.max() <= project.SEARCH_RANGE[1]
    monkeypatch.delenv(project.KEY_VARIABLE, raising=False)
    assert project.key() == project.DEFAULT_KEY
    default = project._hidden_mass()
    for i in range(12):
        monkeypatch.setenv(project.KEY_VARIABLE, f"class-{i}")
        if project._hidden_mass() != default:
            break
    assert project._hidden_mass() != default, "the variable is read at every call"
    assert project._seed("test") != project._seed("test", project.DEFAULT_KEY)
    monkeypatch.setenv(project.KEY_VARIABLE, "  ")
    assert project.key() == project.DEFAULT_KEY


def test_the_public_code_does_not_hold_the_answer():
    mass = project._hidden_mass(project.DEFAULT_KEY)
    literal = re.compile(rf"(?<![\d.]){int(mass)}(\.0*)?(?![\d])")
    for module in (project, submission, scoring, bumphunt):
        source = inspect.getsource(module)
        assert not literal.search(source), f"{module.__name__} holds {mass:g} as a literal"
        assert "HIDDEN_MASS" not in source and "TEST_SEED" not in source
    assert not any(isinstance(v, float) and v == mass for v in vars(project).values())


def test_held_out_and_collision_data_carry_no_truth(monkeypatch):
    test = project.test_features(2_000)
    assert list(test.columns) == list(FEATURES)
    data = project.collision_data()
    assert len(data) == project.DATA_EVENTS and list(data.columns) == list(project.DATA_COLUMNS)
    monkeypatch.setenv(project.KEY_VARIABLE, "another class")
    assert not test.equals(project.test_features(2_000)), "the held-out seed comes from the key"


def test_collision_data_hide_the_keyed_signal():
    truth = project._collision_truth("class-3")
    mass = project._hidden_mass("class-3")
    assert int(truth["label"].sum()) == project._signal_events(mass)
    assert abs(truth[truth["label"] == 1]["m_mumu"].median() - mass) < 0.02 * mass
    assert 15 <= project._signal_events(project.HIDDEN_RANGE[1]) < project._signal_events(project.HIDDEN_RANGE[0])


def test_publish_writes_what_students_read(tmp_path):
    paths = project.publish(tmp_path / "hand-out", n=1_000)
    assert sorted(p.name for p in paths) == ["collision_data.parquet", "test_features.parquet"]
    assert project.test_features(folder=tmp_path / "hand-out").equals(project.test_features(1_000).reset_index(drop=True))
    assert "label" not in project.collision_data(folder=tmp_path / "hand-out")
    with pytest.raises(FileNotFoundError, match="hepcourse project publish"):
        project.collision_data(folder=tmp_path)


def test_write_submission_round_trip(tmp_path):
    scores = np.array([0.1, np.nan, 0.9])
    path = project.write_submission(tmp_path / "team.json", team=" muons ", scores=scores,
                                    data_scores=[0.2, 0.3], threshold=0.5, mass=np.float64(512.0),
                                    significance=4.2)
    record = json.loads(path.read_text())
    assert record["team"] == "muons" and record["scores"] == [0.1, None, 0.9]
    assert record["mass_gev"] == 512.0 and record["local_significance"] == 4.2
    assert record["format"] == project.SUBMISSION_FORMAT
    assert list(tmp_path.iterdir()) == [path], "written atomically: no temporary file left"
    with pytest.raises(ValueError, match="team"):
        project.write_submission(tmp_path / "x.json", team="", scores=[1], data_scores=[1], threshold=0)
    with pytest.raises(TypeError, match="scores"):
        project.write_submission(tmp_path / "x.json", team="a", scores="high", data_scores=[1], threshold=0)
    with pytest.raises(TypeError, match="mass"):
        project.write_submission(tmp_path / "x.json", team="a", scores=[1], data_scores=[1], threshold=0,
                                 mass="420")


@pytest.fixture(scope="module")
def validation_scores(sample):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split

    events, truth = sample
    fit, val, _, truth_val = train_test_split(events, truth, test_size=0.3, random_state=1)
    model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(fit[list(FEATURES)], fit["label"])
    return val, truth_val, model.predict_proba(val[list(FEATURES)])[:, 1], model


def test_self_check_praises_a_good_classifier_on_validation(validation_scores):
    val, truth_val, scores, _ = validation_scores
    result = check.project(val, scores, threshold=0.4, truth=truth_val)
    assert result.passed, result.message
    assert result.details["auc"] > project.TARGET_AUC and result.details["delta_auc"] > 0
    mass = project._hidden_mass()
    assert f"{mass:g}" not in result.message and "held-out" not in result.message


def test_self_check_flags_a_score_built_from_the_mass(validation_scores):
    val, truth_val, _, _ = validation_scores
    result = check.project(val, truth_val["m_mumu"].to_numpy(), threshold=300.0, truth=truth_val)
    assert not result.passed and "correlates with m_μμ" in result.message and "not credible" in result.message


def test_self_check_sees_a_validation_set_that_was_trained_on(validation_scores):
    from sklearn.ensemble import HistGradientBoostingClassifier

    val, truth_val, _, _ = validation_scores
    memorise = HistGradientBoostingClassifier(max_iter=300, max_leaf_nodes=255, min_samples_leaf=1,
                                              early_stopping=False, random_state=0)
    memorise.fit(val[list(FEATURES)], val["label"])
    result = check.project(val, memorise.predict_proba(val[list(FEATURES)])[:, 1], truth=truth_val)
    assert not result.passed and "also in your training set" in result.message


@pytest.mark.parametrize("case, fragment", [
    ("inverted", "inverted"), ("isolation", "not yet better than the isolation sum"),
    ("nothing", "keeps none of your"), ("short", "`scores` has"), ("mass-column", "truth or know m_μμ"),
    ("no-frame", "`validation` should be a DataFrame"), ("bad-truth", "`truth` should hold the rows")])
def test_self_check_messages(validation_scores, case, fragment):
    val, truth_val, scores, _ = validation_scores
    kwargs = {"validation": val, "scores": scores, "threshold": 0.4, "truth": truth_val}
    if case == "inverted":
        kwargs["scores"] = 1 - scores
    elif case == "isolation":
        kwargs["scores"] = -(val["mu1_iso"] + val["mu2_iso"]).to_numpy()
        kwargs["threshold"] = -0.2
    elif case == "nothing":
        kwargs["threshold"] = 2.0
    elif case == "short":
        kwargs["scores"] = scores[:-1]
    elif case == "mass-column":
        kwargs["validation"] = val.assign(m_mumu=truth_val["m_mumu"])
    elif case == "no-frame":
        kwargs["validation"] = val["label"].to_numpy()
    elif case == "bad-truth":
        kwargs["truth"] = truth_val.iloc[::-1]
    result = check.project(**kwargs)
    assert not result.passed and fragment in result.message, result.message


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
