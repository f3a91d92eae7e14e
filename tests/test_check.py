"""Self-checks reject wrong answers with useful feedback and accept the reference solutions."""
from __future__ import annotations

import numpy as np
import pytest
from iminuit import Minuit
from iminuit.cost import LeastSquares

from hepcourse import check, simulate


def test_missing_answer_says_not_attempted():
    feedback = check.exercise("1.1", {})
    assert not feedback and "not attempted yet" in feedback.message and "`cv_best`" in feedback.message


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(ValueError, match="no self-check '9.9'; known: 1.1"):
        check.exercise("9.9", {})


@pytest.mark.parametrize("degree, passed", [(3, True), (2, True), (1, False), (12, False)])
def test_cross_validated_degree(degree, passed):
    feedback = check.exercise("1.1", {"cv_best": degree})
    assert bool(feedback) is passed
    if not passed:
        assert "a good solution gives 2–6" in feedback.message


def _width_fit(fix_width: bool):
    # a peak whose two widths are degenerate, like a Voigt profile: only their sum matters
    x = np.linspace(-5, 5, 41)
    y = np.exp(-0.5 * x**2 / 1.5**2)

    def model(x, sigma, width):
        return np.exp(-0.5 * x**2 / (sigma + width / 2) ** 2) + 0.001 * width

    fit = Minuit(LeastSquares(x, y + 0.01 * np.random.default_rng(0).normal(size=x.size), 0.01, model),
                 sigma=1.0, width=1.0)
    fit.limits["sigma"] = fit.limits["width"] = (0.05, 5)
    if fix_width:
        fit.fixed["width"] = True
    fit.migrad()
    fit.hesse()
    return fit


def test_free_width_accepts_correlated_widths_and_rejects_a_fixed_one():
    assert check.exercise("1.2", {"free": _width_fit(False)})
    feedback = check.exercise("1.2", {"free": _width_fit(True)})
    assert not feedback and "correlation" in feedback.message


def test_hard_jets_count():
    hzz = simulate.hzz(n=300, seed=4)
    import awkward as ak

    truth = ak.to_numpy(ak.sum(np.hypot(hzz.Jet_Px, hzz.Jet_Py) > 30, axis=1))
    assert check.exercise("1.4", {"n_hard": truth, "hzz": hzz})
    wrong = ak.to_numpy(ak.sum(np.hypot(hzz.Jet_Px, hzz.Jet_Py) > 50, axis=1))  # the wrong cut
    feedback = check.exercise("1.4", {"n_hard": wrong, "hzz": hzz})
    assert not feedback and "differ" in feedback.message


def test_auc_feedback_names_the_value_and_the_target():
    y = np.r_[np.zeros(500), np.ones(500)]
    rng = np.random.default_rng(1)
    weak = y * 0.3 + rng.normal(size=y.size)
    feedback = check.auc(y, weak, good=0.85, hint="did you scale the inputs?")
    assert not feedback
    assert feedback.message.startswith("your AUC is 0.") and "0.85 or more" in feedback.message
    assert "did you scale the inputs?" in feedback.message
    assert "inverted" in check.auc(y, -weak - 3 * y, good=0.85).message
    assert check.auc(y, y + 0.1 * rng.normal(size=y.size), good=0.85)
    assert "NaN" in check.auc(y, np.full(y.size, np.nan), good=0.85).message


def test_tof_path_length_check():
    from hepcourse.simulate.pid import MASSES, time_of_flight

    per_metre = time_of_flight(4.0, MASSES["K"], 1.0) - time_of_flight(4.0, MASSES["pi"], 1.0)
    assert check.exercise("3.1", {"needed": 0.24 / per_metre})
    wrong = check.exercise("3.1", {"needed": 0.08 / per_metre})  # 1σ instead of 3σ
    assert not wrong and "too low" in wrong.message and "3σ_t" in wrong.message


def test_likelihood_ratio_check():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 3000)
    good = np.where(y == 1, 5.0, -5.0) + rng.normal(size=y.size)
    assert check.exercise("3.2", {"likelihood_ratio": good, "y_test": y})
    assert not check.exercise("3.2", {"likelihood_ratio": -good, "y_test": y})


def test_missing_value_policy_check():
    good = {"indicator, fill 0": [1.0, 0.99, 0.98, 0.97, 0.95, 0.98], "mean, no indicator": [1.0, 0.99, 0.9, 0.77, 0.94, 0.93]}
    assert check.exercise("3.3", {"results": good})
    same = {"indicator, fill 0": [1.0, 0.99, 0.9, 0.77, 0.94, 0.93], "mean, no indicator": [1.0, 0.99, 0.9, 0.77, 0.94, 0.93]}
    assert not check.exercise("3.3", {"results": same})


def test_recalibration_check():
    from hepcourse.simulate.pid import Detector

    shifted = Detector().shifted()
    assert check.exercise("3.4", {"gain": shifted.dedx_gain + 0.003, "offset": shifted.tof_offset - 0.004,
                                  "shifted": shifted})
    wrong = check.exercise("3.4", {"gain": 1.0, "offset": shifted.tof_offset, "shifted": shifted})
    assert not wrong and "dE/dx gain" in wrong.message
