"""The project's scorer (hepcourse project score): the ranking, its messages, the
significance check, and an independent recomputation of the local significance."""
from __future__ import annotations

import json

import numpy as np
import pytest

from hepcourse import stats
from hepcourse.course import project, submission
from hepcourse.simulate.dimuon import FEATURES, peak_width

N_TEST = 5_000


@pytest.fixture(scope="module")
def truth():
    return submission.Truth(n=N_TEST)  # the default (self-study) key


@pytest.fixture(scope="module")
def reference(truth):
    """The reference selection: trees on FEATURES, working point from a validation scan."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split

    events, _ = project.training_sample(50_000)
    fit, val = train_test_split(events, test_size=0.3, random_state=1)
    model = HistGradientBoostingClassifier(max_iter=200, random_state=0).fit(fit[list(FEATURES)], fit["label"])

    def scores(frame):
        return model.predict_proba(frame[list(FEATURES)])[:, 1]

    scan = stats.significance_scan(val["label"], scores(val), 50, project.DATA_EVENTS)
    threshold = float(scan["threshold"][scan["z_asimov"].idxmax()])
    return scores, threshold, val


def record(scores, data_scores, threshold, mass, significance, team="t"):
    return {"format": project.SUBMISSION_FORMAT, "version": 1, "team": team, "threshold": threshold,
            "mass_gev": mass, "local_significance": significance,
            "scores": [None if not np.isfinite(v) else float(v) for v in np.ravel(scores)] if np.ndim(scores) == 1
            else np.asarray(scores).tolist(),
            "data_scores": [float(v) for v in data_scores]}


def selected_masses(truth, data_scores, threshold):
    return truth.data["m_mumu"].to_numpy()[data_scores > threshold]


@pytest.fixture(scope="module")
def good(truth, reference):
    scores, threshold, _ = reference
    data_scores = scores(truth.data)
    z = submission.local_significance(selected_masses(truth, data_scores, threshold), truth.mass)
    return record(scores(truth.test), data_scores, threshold, truth.mass + 5, z, "reference"), z


def test_reference_is_ranked_and_its_checks_pass(truth, good):
    entry = submission.judge(good[0], truth)
    assert entry.ranked and entry.mass_found and entry.significance_ok, entry
    assert 3.0 < entry.z_expected < 8.0 and entry.auc > project.TARGET_AUC


def test_reference_beats_the_isolation_baseline_by_more_than_the_uncertainty(truth, good, reference):
    _, _, val = reference
    iso = -(truth.test["mu1_iso"] + truth.test["mu2_iso"]).to_numpy()
    iso_val = -(val["mu1_iso"] + val["mu2_iso"]).to_numpy()
    scan = stats.significance_scan(val["label"], iso_val, 50, project.DATA_EVENTS)
    threshold = float(scan["threshold"][scan["z_asimov"].idxmax()])
    iso_data = -(truth.data["mu1_iso"] + truth.data["mu2_iso"]).to_numpy()
    baseline = submission.judge(record(iso, iso_data, threshold, None, None, "isolation"), truth)
    best = submission.judge(good[0], truth)
    assert baseline.ranked
    assert best.z_expected - baseline.z_expected > np.hypot(best.z_error, baseline.z_error)
    board = submission.leaderboard([baseline, best], truth)
    assert board.index("reference") < board.index("isolation")


@pytest.mark.parametrize("case, fragment", [
    ("short", "expected 5000 scores, got 4999"),
    ("two-columns", "has shape (5000, 2)"),
    ("nan", "3 of your 5000 scores are NaN"),
    ("inverted", "your scores are inverted"),
    ("random", "do not separate Z' from background"),
    ("mass-score", "SCULPTING"),
    ("tev", "Did you give it in TeV?"),
    ("nothing", "keeps none of the 5000 held-out events"),
    ("doubled", "a factor √2 too large"),
    ("wrong-mass", "✘ the signal is not there"),
    ("no-mass", "none quoted"),
    ("not-a-submission", "not a project submission"),
])
def test_scorer_messages(truth, good, case, fragment):
    rec = dict(good[0])
    scores = np.array(rec["scores"], dtype=float)
    if case == "short":
        rec["scores"] = rec["scores"][:-1]
    elif case == "two-columns":
        rec["scores"] = np.c_[1 - scores, scores].tolist()
    elif case == "nan":
        rec["scores"] = [None, None, None] + rec["scores"][3:]
    elif case == "inverted":
        rec["scores"] = (1 - scores).tolist()
        rec["threshold"] = 1 - rec["threshold"]
    elif case == "random":
        rec["scores"] = np.random.default_rng(0).uniform(size=scores.size).tolist()
    elif case == "mass-score":
        rec["scores"] = truth.test["m_mumu"].tolist()
        rec["data_scores"] = truth.data["m_mumu"].tolist()
        rec["threshold"] = 300.0
    elif case == "tev":
        rec["mass_gev"] = truth.mass / 1000
    elif case == "nothing":
        rec["threshold"] = 1.5
    elif case == "doubled":
        rec["local_significance"] = np.sqrt(2) * good[1]
    elif case == "wrong-mass":
        rec["mass_gev"] = truth.mass + 150 if truth.mass < 900 else truth.mass - 150
    elif case == "no-mass":
        rec["mass_gev"] = None
    elif case == "not-a-submission":
        rec = {"team": "x"}
    entry = submission.judge(rec, truth)
    text = "\n".join(entry.problems + entry.flags + entry.notes)
    assert fragment in text, text
    if case in ("short", "two-columns", "nan", "mass-score", "tev", "nothing", "not-a-submission"):
        assert not entry.ranked
    if case == "mass-score":
        assert "praise" not in text and entry.mass_found is not None


def test_local_significance_agrees_with_an_independent_binned_likelihood(truth, good, reference):
    """scipy.optimize on a hand-written binned Poisson likelihood (2 GeV bins) against the
    scorer's (and the solutions notebook's) unbinned iminuit fit."""
    from scipy.optimize import minimize
    from scipy.stats import norm

    scores, threshold, _ = reference
    low, high = project.FIT_RANGE
    masses = selected_masses(truth, scores(truth.data), threshold)
    masses = masses[(masses > low) & (masses < high)]
    edges = np.arange(low, high + 1, 2.0)
    counts, _ = np.histogram(masses, edges)
    m0, width = truth.mass, peak_width(truth.mass)

    def power_cdf(p):
        return (edges ** (1 - p) - low ** (1 - p)) / (high ** (1 - p) - low ** (1 - p))

    def peak_cdf():
        c = norm.cdf(edges, m0, width)
        return (c - c[0]) / (c[-1] - c[0])

    def nll(params, with_peak):
        n_b, p = params[0], params[1]
        nu = n_b * np.diff(power_cdf(p))
        if with_peak:
            nu = nu + params[2] * np.diff(peak_cdf())
        nu = np.maximum(nu, 1e-300)
        return 2 * np.sum(nu - counts * np.log(nu))

    b = minimize(nll, [masses.size, 4.0], args=(False,), method="L-BFGS-B", bounds=[(1, None), (1.5, 10)])
    sb = minimize(nll, [masses.size, 4.0, 5.0], args=(True,), method="L-BFGS-B",
                  bounds=[(1, None), (1.5, 10), (0, None)])
    z_independent = np.sqrt(max(b.fun - sb.fun, 0.0))
    z_scorer = submission.local_significance(masses, m0, width)
    assert z_scorer == pytest.approx(z_independent, rel=0.04)
    assert 3.0 < z_scorer < 6.0, "the injected signal gives about 4-5σ with the reference selection"


def test_command_line(tmp_path, good, capsys, monkeypatch):
    monkeypatch.delenv(project.KEY_VARIABLE, raising=False)
    assert submission.main([]) == 2
    assert submission.main(["score"]) == 2
    assert submission.main(["score", "x.json", "--n", "zero"]) == 2
    assert submission.main(["score", "x.json", "--n", "0"]) == 2
    err = capsys.readouterr().err
    assert "usage: hepcourse project" in err and "Traceback" not in err
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(good[0]))
    assert submission.main(["score", str(path), "--n", str(N_TEST)]) == 0
    captured = capsys.readouterr()
    assert "LEADERBOARD" in captured.out and " 1. reference" in captured.out
    assert "self-study key" in captured.err
    assert submission.main(["score", str(path), str(tmp_path / "missing.json"), "--n", str(N_TEST)]) == 1
    assert "cannot read" in capsys.readouterr().out
    assert submission.main(["publish", str(tmp_path / "out"), "--n", "500"]) == 0
    assert (tmp_path / "out" / "collision_data.parquet").is_file()
