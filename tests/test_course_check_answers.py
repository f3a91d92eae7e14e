"""Every self-check accepts its reference answer and answers anything malformed with a
failing Feedback that names the variable; no answer makes a check raise."""
from __future__ import annotations

import functools
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from iminuit import Minuit
from iminuit.cost import LeastSquares

from hepcourse import simulate, stats
from hepcourse.course import check
from hepcourse.course.check import core


def _scores(n=20_000, seed=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return y, 1 / (1 + np.exp(-(2.5 * y - 1.25 + rng.normal(size=n))))


def _width_fit():
    x = np.linspace(-5, 5, 41)
    y = np.exp(-0.5 * x**2 / 1.5**2) + 0.01 * np.random.default_rng(0).normal(size=x.size)

    def model(x, sigma, width):
        return np.exp(-0.5 * x**2 / (sigma + width / 2) ** 2) + 0.001 * width

    fit = Minuit(LeastSquares(x, y, 0.01, model), sigma=1.0, width=1.0)
    fit.limits["sigma"] = fit.limits["width"] = (0.05, 5)
    fit.migrad()
    fit.hesse()
    return fit


@functools.lru_cache(maxsize=1)
def _dijet_table():
    """A dijet features table: m_jj falling as m^-7 above 2.8 TeV, 1% of it a 3.5 TeV peak."""
    rng = np.random.default_rng(5)
    n = 20_000
    u = rng.uniform(size=n)
    mjj = (2800.0 ** -6 + u * (6000.0 ** -6 - 2800.0 ** -6)) ** (-1 / 6)
    label = (rng.uniform(size=n) < 0.01).astype(int)
    mjj = np.where(label == 1, rng.normal(3500.0, 170.0, n), mjj)
    return pd.DataFrame({"mjj": mjj, "mj1": rng.gamma(3, 60, n), "delta_mj": rng.gamma(2, 40, n),
                         "tau21_j1": rng.beta(5, 4, n), "tau21_j2": rng.beta(5, 4, n), "label": label})


def _peak_fit(centre: float, names=("m", "sigma")):
    x = np.linspace(86, 96, 41)
    y = np.exp(-0.5 * (x - centre) ** 2 / 2.0**2)

    def model(x, a, b):
        return np.exp(-0.5 * (x - a) ** 2 / b**2)

    fit = Minuit(LeastSquares(x, y, 0.01, model, name=names), 91.0, 1.5)
    fit.migrad()
    fit.hesse()
    return fit


def _reference_working_point(y, p, signal_efficiency=0.5):
    from sklearn.metrics import roc_curve

    fpr, tpr, thresholds = roc_curve(y, p)
    i = np.searchsorted(tpr, signal_efficiency)
    return thresholds[i], fpr[i]


@functools.lru_cache(maxsize=None)
def _reference(key: str) -> dict:
    """A namespace holding a correct answer to problem ``key`` (built once, never mutated)."""
    if key == "1.1":
        return {"cv_best": 3}
    if key == "1.2":
        return {"free": _width_fit()}
    if key == "1.3":
        return {"results": {k: _peak_fit(c) for k, c in (("GG", 91.1), ("GT", 91.2), ("TT", 91.25))}}
    if key == "1.4":
        import awkward as ak

        hzz = simulate.hzz(n=300, seed=4)
        return {"n_hard": ak.to_numpy(ak.sum(np.hypot(hzz.Jet_Px, hzz.Jet_Py) > 30, axis=1)), "hzz": hzz}
    if key.startswith("2."):
        from test_check_learning import learning_reference

        return learning_reference(key)
    if key == "3.1":
        return {"single_feature_auc": {500: 0.62, 750: 0.78, 1000: 0.88, 1250: 0.93, 1500: 0.96}}
    if key == "3.2":
        y, p = _scores()
        return {"working_point": _reference_working_point, "y_test": y, "p_test": p}
    if key == "3.3":
        return {"hypothesis_auc": {500: 0.41, 750: 0.86, 1000: 0.95, 1250: 0.93, 1500: 0.88}}
    if key == "3.4":
        return {"low_auc": 0.955, "test_auc": 0.965}
    if key == "4.1":
        from hepcourse.simulate.tracks import MASSES, time_of_flight

        per_metre = time_of_flight(4.0, MASSES["K"], 1.0) - time_of_flight(4.0, MASSES["pi"], 1.0)
        return {"needed": 0.24 / per_metre}
    if key == "4.2":
        rng = np.random.default_rng(2)
        y = rng.integers(0, 3, 3000)
        return {"likelihood_ratio": np.where(y == 1, 5.0, -5.0) + rng.normal(size=y.size), "y_test": y}
    if key == "4.3":
        return {"results": {"indicator, fill 0": [1.0, 0.99, 0.98, 0.97, 0.95, 0.98],
                            "mean, no indicator": [1.0, 0.99, 0.9, 0.77, 0.94, 0.93]}}
    if key == "4.4":
        from hepcourse.simulate.tracks import Detector

        shifted = Detector().shifted()
        return {"gain": shifted.dedx_gain + 0.003, "offset": shifted.tof_offset - 0.004, "shifted": shifted}
    if key == "5.1":
        rng = np.random.default_rng(4)
        rare = SimpleNamespace(labels=(rng.random(50_000) < 1e-3).astype(int))
        score = np.clip(0.4 + 0.3 * rare.labels + 0.2 * rng.normal(size=rare.labels.size), 0, 1)
        return {"accuracy_cnn": np.mean((score > 0.5) == (rare.labels == 1)), "score_rare_cnn": score,
                "rare": rare}
    if key == "5.2":
        y, p = _scores(40_000)
        scans = [stats.significance_scan(y, p, k * 200, k * 2e5) for k in (1, 2)]
        best, double = (s.loc[s.s_over_sqrt_b.idxmax()] for s in scans)
        return {"best_double": double, "best_cnn": best}
    if key == "5.3":
        return {"symmetry_auc": {"as generated": 0.80, "phi rotated": 0.799, "eta reflected": 0.802,
                                 "energies x 1.3": 0.71, "zoomed": 0.74}}
    if key == "5.4":
        y, p = _scores(20_000)
        return {"working_points": {r: stats.working_point(y, p, rejection=r) for r in (1e3, 2e3)},
                "y_all": y, "cnn_all": p}
    if key == "A.1":
        from hepcourse.course.check.beamline import modes_needed_truth
        from hepcourse.envs import BeamlineEnv

        y = BeamlineEnv().reset(seed=10_000)[0].astype(float)
        return {"modes_needed": modes_needed_truth(y), "y_start": y}
    if key == "A.2":
        rewards = -np.linspace(1.0, 0.4, 6)
        return {"returns_to_go": np.array([sum(0.9**k * r for k, r in enumerate(rewards[t:])) for t in range(6)]),
                "rewards": rewards, "gamma": 0.9}
    if key == "A.3":
        return {"gain_rates": {0.3: 0.9, 0.5: 0.97, 0.7: 0.95, 1.0: 0.88}}
    if key == "A.4":
        from hepcourse.course.check.beamline import discounted_returns

        return {"returns": discounted_returns()}
    if key == "6.1":
        m_w = np.random.default_rng(6).normal(80.0, 8.0, 500)
        return {"m_w_mine": m_w + 0.01, "top_jets": SimpleNamespace(m_w=m_w)}
    if key == "6.2":
        return {"changes": {"multiplicity": 0.02, "girth": 1e-9, "pt_d": 0.08}}
    if key == "6.3":
        y, p = _scores()
        return {"scores_pid": p, "y_test": y, "pid_gain": stats.auc_difference(y, p, p ** 2)}
    if key == "6.4":
        return {"threshold": 0.8, "eff_s_test": 0.31, "eff_b_test": 0.002}
    if key in ("7.1", "7.3"):
        table = _dijet_table()
        if key == "7.1":
            from hepcourse.analysis.anomaly import Regions

            in_sr = Regions().in_sr(table.mjj)
            s, b = int(table.label[in_sr].sum()), int((table.label[in_sr] == 0).sum())
            return {"s_sr": s, "b_sr": b, "z_asimov": float(stats.asimov_significance(s, b)), "data": table}
        from hepcourse.analysis import weak_supervision as ws
        from hepcourse.analysis.anomaly import Regions

        regions = Regions()
        rng = np.random.default_rng(2)
        scores = np.where(regions.in_fit_range(table.mjj), rng.normal(size=len(table)) + 0.8 * regions.in_sr(
            table.mjj), np.nan)
        z = ws.selection_significance(table, scores, regions, 0.05, 170.0).z
        return {"scores_in_sample": scores, "z_in_sample": z, "z_kfold": 0.4, "background": table,
                "EFFICIENCY": 0.05, "WIDTH": 170.0}
    if key == "7.2":
        rng = np.random.default_rng(7)
        mass = rng.gamma(3.0, 50.0, 5000)
        plain, disco = mass * rng.lognormal(0, 0.3, 5000), rng.lognormal(0, 0.3, 5000)
        ratio = {n: float(np.median(mass[e > np.quantile(e, 0.9)]) / np.median(mass))
                 for n, e in (("plain", plain), ("disco", disco))}
        return {"median_ratio_plain": ratio["plain"], "median_ratio_disco": ratio["disco"], "errors_plain": plain,
                "errors_disco": disco, "m_qcd": mass}
    if key == "7.4":
        y, p = _scores(4000)
        return {"auc_sr": stats.auc(y, np.random.default_rng(1).permutation(p))}
    if key == "8.1":
        compiled = pd.DataFrame({"device": ["cpu"] * 4, "precision": ["fp32", "fp32", "bf16", "bf16"],
                                 "compile": [False, True, False, True], "compiled": [False, True, False, True],
                                 "samples_per_s": [4e5, 5e5, 8e5, 7e5], "one_off_s": [0.0, 10.0, 0.0, 12.0]})
        return {"payoff": {("cpu", "fp32"): 10.0 / (1 / 4e5 - 1 / 5e5), ("cpu", "bf16"): np.inf},
                "compiled": compiled}
    if key == "8.2":
        import torch

        masses = torch.tensor([1000.0, 1001.0, 1002.0, 1003.0, 1004.0])
        return {"spacing": 4.0, "as_bf16": masses.to(torch.bfloat16).float()}
    if key == "8.3":
        return {"rate_512": 512 / (2e-3 + 512 * 2e-6), "rate_4096": 4096 / (2e-3 + 4096 * 2e-6),
                "step_costs": {"cpu": (2e-3, 2e-6)}}
    if key == "8.4":
        return {"saved": {"epoch": 6, "step": 6 * 79, "finished": True, "rng": [{}],
                          "history": {"epochs": [{}] * 6}}}
    raise KeyError(key)


def _judge(key: str, namespace) -> check.Feedback:
    """check.exercise, with RuntimeWarnings (0/0, mean of nothing) turned into errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        feedback = check.exercise(key, namespace)
    assert isinstance(feedback, check.Feedback)
    return feedback


def _variables(key):
    return check._EXERCISES[key][0]


def test_every_registered_key_has_a_reference_here():
    for key in check.keys():
        assert set(_reference(key)) == set(_variables(key)), key


@pytest.mark.parametrize("key", check.keys())
def test_the_reference_answer_passes(key):
    feedback = _judge(key, dict(_reference(key)))
    assert feedback.passed, feedback.message
    assert "error" not in feedback.details


MALFORMED = {
    "None": None, "str": "42", "list": [1, 2, 3], "dict": {"wrong": 1}, "nan": float("nan"),
    "nan-array": np.full(4, np.nan), "empty": np.array([]), "2d": np.ones((3, 3)), "wrong-length": np.ones(7),
}
PROBES = [(key, name) for key in check.keys() for name in _variables(key)]


@pytest.mark.parametrize("kind", ["missing", *MALFORMED])
@pytest.mark.parametrize("key, name", PROBES, ids=[f"{k}-{n}" for k, n in PROBES])
def test_a_malformed_answer_gets_feedback_naming_the_variable(key, name, kind):
    namespace = dict(_reference(key))
    if kind == "missing":
        del namespace[name]
    else:
        namespace[name] = MALFORMED[kind]
    feedback = _judge(key, namespace)
    assert not feedback.passed
    assert "error" not in feedback.details, f"the safety net caught it: {feedback.message}"
    assert f"`{name}" in feedback.message, feedback.message


def _override(key, **values):
    return {**_reference(key), **values}


def _fits(**changes):
    return {**_reference("1.3")["results"], **changes}


def _bad_compiled(**column):
    return _reference("8.1")["compiled"].assign(**column)


def _saved(**changes):
    return {**_reference("8.4")["saved"], **changes}


def _raises(y, p):
    raise RuntimeError("oops")


INNER = [
    ("1.1", {"cv_best": "3"}, "`cv_best` should be"),  # a string used to pass as 3
    ("1.1", {"cv_best": 3.5}, "not a whole number"),
    ("1.2", {"free": _peak_fit(91.0)}, "named `sigma`"),
    ("1.3", {"results": _fits(GG=None)}, "`results['GG']`"),
    ("1.3", {"results": _fits(GT=_peak_fit(91.2, ("mass", "sigma")))}, "`results['GT']` has the parameters"),
    ("1.3", {"results": ["GG", "GT", "TT"]}, "`results` should be a dict"),
    ("1.4", {"n_hard": [[1, 2], [3]]}, "`n_hard` cannot be read"),
    ("3.1", {"single_feature_auc": {m: float("nan") for m in (500, 750, 1000, 1250, 1500)}}, "is nan"),
    ("3.1", {"single_feature_auc": {"500 GeV": 0.6}}, "has the key '500 GeV'"),
    ("3.1", {"single_feature_auc": {500: 1.5, 750: 0.78, 1000: 0.88, 1250: 0.93, 1500: 0.96}}, "out of range"),
    ("3.1", {"single_feature_auc": {500: None}}, "`single_feature_auc[500]`"),
    ("3.2", {"working_point": lambda y, p: None}, "returned None"),
    ("3.2", {"working_point": _raises}, "failed: RuntimeError('oops')"),
    ("3.2", {"working_point": lambda y, p: (float("nan"), 0.1)}, "`working_point(y_test, p_test)[0]` is nan"),
    ("3.2", {"y_test": np.ones(20_000)}, "no entry with the label [0]"),
    ("3.3", {"hypothesis_auc": {1000: 0.9}}, "expected one AUC for each"),
    ("4.2", {"y_test": np.zeros(3000, int)}, "no entry with the label [1]"),
    ("4.2", {"y_test": np.r_[-1, np.arange(2999) % 3]}, "`y_test` holds values that are not whole numbers ≥ 0"),
    ("4.3", {"results": {"indicator": [0.9, 0.95], "mean": [0.9]}}, "`results['mean']` has 1 entries"),
    ("4.3", {"results": {"indicator": [], "mean": []}}, "`results['indicator']` is empty"),
    ("4.3", {"results": {1: [0.9, 0.95], 2: [0.9, 0.91]}}, "needs one policy with an indicator"),
    ("4.4", {"shifted": None}, "`shifted` should be the miscalibrated Detector"),
    ("5.1", {"rare": SimpleNamespace(labels=[])}, "`rare.labels` is empty"),
    ("5.2", {"best_cnn": SimpleNamespace(s_over_sqrt_b=0.0)}, "`best_cnn.s_over_sqrt_b` = 0 is out of range"),
    ("5.2", {"best_cnn": pd.DataFrame({"s_over_sqrt_b": [1.0, 2.0]})}, "`best_cnn.s_over_sqrt_b` should be"),
    ("5.3", {"symmetry_auc": {"as generated": float("nan"), "phi": 0.8, "eta": 0.8, "energy": 0.7,
                              "zoom": 0.7}}, "`symmetry_auc['as generated']` is nan"),
    ("5.3", {"symmetry_auc": {"as generated": None, "phi": 0.8, "eta": 0.8, "energy": 0.7, "zoom": 0.7}},
     "`symmetry_auc['as generated']` should be"),
    ("5.4", {"working_points": {1000: None, 1e4: None}}, "`working_points[1000]`"),
    ("5.4", {"working_points": {"tight": None, 1000: None}}, "has the key 'tight'"),
    ("5.4", {"working_points": {1e3: _reference("5.4")["working_points"][1e3],
                                1e9: SimpleNamespace(signal_efficiency=0.0)}}, "cannot be measured"),
    ("7.1", {"s_sr": 3}, "Count label == 1 and label == 0 there"),
    ("7.1", {"z_asimov": 0.1}, "z_asimov = 0.1, but stats.asimov_significance"),
    ("7.1", {"data": pd.DataFrame({"mjj": [3500.0]})}, "with a `label` column"),
    ("7.2", {"median_ratio_plain": 9.0}, "median_ratio_plain = 9, but the median mass"),
    ("7.3", {"z_in_sample": 40.0}, "use ws.selection_significance"),
    ("7.3", {"z_kfold": 4.0}, "use ws.cwola_scores(background"),
    ("7.3", {"scores_in_sample": np.full(20_000, np.nan)}, "has NaN for events in the sidebands"),
    ("7.4", {"auc_sr": SimpleNamespace(value=0.8)}, "is too high"),
    ("8.1", {"compiled": _reference("8.1")["compiled"].drop(columns="one_off_s")}, "no column ['one_off_s']"),
    ("8.1", {"compiled": _bad_compiled(samples_per_s=0.0)}, "`compiled.samples_per_s` = 0 is out of range"),
    ("8.1", {"compiled": _bad_compiled(compile=False)}, "needs an eager (compile=False) and a compiled"),
    ("8.1", {"payoff": {("cpu", "fp32"): None, ("cpu", "bf16"): np.inf}}, "`payoff[('cpu', 'fp32')]`"),
    ("8.1", {"payoff": {"cpu": 1.0, 3: 2.0}}, "`payoff` has the keys"),
    ("8.2", {"spacing": "4"}, "`spacing` should be a number"),
    ("8.2", {"as_bf16": [1000.0, 1001.0]}, "`as_bf16` has 2 entries"),
    ("8.3", {"step_costs": {"gpu": (1e-3, 1e-6)}}, "expected an entry 'cpu'"),
    ("8.3", {"step_costs": {"cpu": (1e-3,)}}, "`step_costs['cpu']` should be the pair"),
    ("8.3", {"step_costs": {"cpu": (0.0, 0.0)}}, "gives a step time t0 + B t1 ≤ 0"),
    ("8.3", {"step_costs": {"cpu": (None, 2e-6)}}, "`step_costs['cpu'][0]`"),
    ("8.4", {"saved": _saved(epoch=0, step=0, history={"epochs": []})}, "at epoch 0"),
    ("8.4", {"saved": _saved(history=None)}, "`saved['history']` should be"),
    ("8.4", {"saved": _saved(history={"loss": []})}, "expected 'epochs' among them"),
    ("8.4", {"saved": _saved(finished=np.array([True, False]))}, "`saved['finished']` should be True or False"),
    ("8.4", {"saved": _saved(epoch="6")}, "`saved['epoch']` should be"),
    ("8.4", {"saved": "epoch step finished rng history"}, "`saved` should be"),
]


@pytest.mark.parametrize("key, values, fragment", INNER, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(INNER)])
def test_a_malformed_part_of_an_answer_gets_specific_feedback(key, values, fragment):
    feedback = _judge(key, _override(key, **values))
    assert not feedback.passed
    assert "error" not in feedback.details, f"the safety net caught it: {feedback.message}"
    assert fragment in feedback.message, feedback.message


def test_natural_variants_of_a_right_answer_pass():
    import torch

    masses = torch.tensor([1000.0, 1001.0, 1002.0, 1003.0, 1004.0])
    assert _judge("8.2", {"spacing": torch.tensor(4.0), "as_bf16": masses.to(torch.bfloat16)})
    assert _judge("1.1", {"cv_best": np.int64(3)})
    assert _judge("1.1", {"cv_best": 3.0})
    assert _judge("3.1", {"single_feature_auc": pd.Series(_reference("3.1")["single_feature_auc"])})
    y, p = _scores()
    assert _judge("3.2", {"working_point": _reference_working_point, "y_test": list(y), "p_test": p})
    four_species = _override("4.2", y_test=np.where(np.arange(3000) % 50 == 0, 3, _reference("4.2")["y_test"]))
    assert _judge("4.2", four_species)  # a fourth species (label 3) is neither π nor K


def test_exercise_needs_a_namespace_and_a_known_key():
    feedback = check.exercise("1.1", None)
    assert not feedback and 'check.exercise(\'1.1\', globals())' in feedback.message
    with pytest.raises(ValueError, match=r"no self-check '1\.10'; known: 1\.1, 1\.2"):
        check.exercise("1.10", {})
    with pytest.raises(ValueError, match="no self-check 11"):
        check.exercise(11, {})


def test_an_unexpected_error_in_a_check_is_feedback_not_a_traceback(monkeypatch):
    def broken(answer):
        return {}[answer]

    monkeypatch.setitem(core._EXERCISES, "0.1", (("answer",), "anything", broken))
    feedback = check.exercise("0.1", {"answer": "x"})
    assert not feedback and "could not read `answer`" in feedback.message
    assert feedback.details["error"] == "KeyError('x')"


def test_a_key_cannot_be_registered_twice():
    with pytest.raises(RuntimeError, match="two self-checks registered as '1.1'"):
        core.register("1.1", ("x",), "x")(lambda x: x)


@pytest.mark.parametrize("got, fragment", [
    (None, "x should be a finite number, but it is None"), ("3", "the str '3'"), ([1.0], "a list of 1 items"),
    (float("inf"), "the number inf"), (True, "the bool True")])
def test_value_names_what_it_got(got, fragment):
    feedback = check.value("x", got, 0, 1)
    assert not feedback and fragment in feedback.message
    named = check.value("x", got, 0, 1, variable="my_x")
    assert not named and "`my_x`" in named.message


@pytest.mark.parametrize("y, s, fragment", [
    (np.r_[0, 1], None, "`scores` should be"), (None, np.r_[0.1, 0.9], "`y_true` should be"),
    (np.ones(4), np.r_[0.1, 0.2, 0.3, 0.4], "an AUC needs both"), (np.r_[0, 1], np.r_[0.1], "1 scores for 2 events")])
def test_auc_of_malformed_input_is_feedback(y, s, fragment):
    feedback = check.auc(y, s, good=0.8)
    assert not feedback and fragment in feedback.message
