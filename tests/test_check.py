"""Self-checks reject wrong answers with useful feedback and accept the reference solutions."""
from __future__ import annotations

import numpy as np
import pytest
from iminuit import Minuit
from iminuit.cost import LeastSquares

from hepcourse import simulate, stats
from hepcourse.course import check


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
    from hepcourse.simulate.tracks import MASSES, time_of_flight

    per_metre = time_of_flight(4.0, MASSES["K"], 1.0) - time_of_flight(4.0, MASSES["pi"], 1.0)
    assert check.exercise("4.1", {"needed": 0.24 / per_metre})
    wrong = check.exercise("4.1", {"needed": 0.08 / per_metre})  # 1σ instead of 3σ
    assert not wrong and "too low" in wrong.message and "3σ_t" in wrong.message


def test_likelihood_ratio_check():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 3000)
    good = np.where(y == 1, 5.0, -5.0) + rng.normal(size=y.size)
    assert check.exercise("4.2", {"likelihood_ratio": good, "y_test": y})
    assert not check.exercise("4.2", {"likelihood_ratio": -good, "y_test": y})


def test_missing_value_policy_check():
    good = {"indicator, fill 0": [1.0, 0.99, 0.98, 0.97, 0.95, 0.98],
            "mean, no indicator": [1.0, 0.99, 0.9, 0.77, 0.94, 0.93]}
    assert check.exercise("4.3", {"results": good})
    same = {"indicator, fill 0": [1.0, 0.99, 0.9, 0.77, 0.94, 0.93],
            "mean, no indicator": [1.0, 0.99, 0.9, 0.77, 0.94, 0.93]}
    assert not check.exercise("4.3", {"results": same})


def test_recalibration_check():
    from hepcourse.simulate.tracks import Detector

    shifted = Detector().shifted()
    assert check.exercise("4.4", {"gain": shifted.dedx_gain + 0.003, "offset": shifted.tof_offset - 0.004,
                                  "shifted": shifted})
    wrong = check.exercise("4.4", {"gain": 1.0, "offset": shifted.tof_offset, "shifted": shifted})
    assert not wrong and "dE/dx gain" in wrong.message


# --- chapter 3 -------------------------------------------------------------------------------

def test_single_feature_auc_check():
    reference = {500: 0.62, 750: 0.78, 1000: 0.88, 1250: 0.93, 1500: 0.96}
    assert check.exercise("3.1", {"single_feature_auc": reference})
    inverted = {m: 1 - a for m, a in reference.items()}  # forgot the minus sign
    feedback = check.exercise("3.1", {"single_feature_auc": inverted})
    assert not feedback and "minus the distance" in feedback.message
    assert not check.exercise("3.1", {"single_feature_auc": {**reference, 500: 0.99}})
    assert not check.exercise("3.1", {"single_feature_auc": {1000: 0.9}})


def _scores(n=20_000, seed=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return y, 1 / (1 + np.exp(-(2.5 * y - 1.25 + rng.normal(size=n))))


def test_working_point_check():
    from sklearn.metrics import roc_curve

    y, p = _scores()

    def reference(y, p, signal_efficiency=0.5):
        fpr, tpr, thresholds = roc_curve(y, p)
        i = np.searchsorted(tpr, signal_efficiency)
        return thresholds[i], fpr[i]

    assert check.exercise("3.2", {"working_point": reference, "y_test": y, "p_test": p})

    def at_half(y, p):  # the tutorial's cut, not the 50% signal efficiency point
        return 0.5, np.mean(p[y == 0] > 0.5)

    feedback = check.exercise("3.2", {"working_point": at_half, "y_test": y, "p_test": p})
    assert not feedback and "signal efficiency" in feedback.message

    def swapped(y, p):  # the right cut, but the signal efficiency returned as the background's
        cut, _ = reference(y, p)
        return cut, 0.5

    feedback = check.exercise("3.2", {"working_point": swapped, "y_test": y, "p_test": p})
    assert not feedback and "false-positive rate" in feedback.message


def test_hypothesis_check():
    reference = {500: 0.41, 750: 0.86, 1000: 0.95, 1250: 0.93, 1500: 0.88}
    assert check.exercise("3.3", {"hypothesis_auc": reference})
    assert not check.exercise("3.3", {"hypothesis_auc": {**reference, 1000: 0.70}})


def test_low_level_check():
    assert check.exercise("3.4", {"low_auc": 0.955, "test_auc": 0.965})
    assert not check.exercise("3.4", {"low_auc": 0.55, "test_auc": 0.965})  # learned nothing
    assert not check.exercise("3.4", {"low_auc": 0.99, "test_auc": 0.965})  # better than all features?


# --- chapter 5 -------------------------------------------------------------------------------

def test_accuracy_trap_check():
    from types import SimpleNamespace

    rng = np.random.default_rng(4)
    rare = SimpleNamespace(labels=(rng.random(50_000) < 1e-3).astype(int))
    score = np.clip(0.4 + 0.3 * rare.labels + 0.2 * rng.normal(size=rare.labels.size), 0, 1)
    accuracy_cnn = np.mean((score > 0.5) == (rare.labels == 1))
    assert check.exercise("5.1", {"accuracy_cnn": accuracy_cnn, "score_rare_cnn": score, "rare": rare})
    wrong = check.exercise("5.1", {"accuracy_cnn": np.mean(rare.labels == 0), "score_rare_cnn": score, "rare": rare})
    assert not wrong and "score > 0.5" in wrong.message


def test_double_data_check():
    y, p = _scores(40_000)
    scans = [stats.significance_scan(y, p, k * 200, k * 2e5) for k in (1, 2)]
    best, double = (s.loc[s.s_over_sqrt_b.idxmax()] for s in scans)
    assert check.exercise("5.2", {"best_double": double, "best_cnn": best})
    assert not check.exercise("5.2", {"best_double": best, "best_cnn": best})  # same yields twice


def test_symmetry_check():
    reference = {"as generated": 0.80, "phi rotated": 0.799, "eta reflected": 0.802,
                 "energies x 1.3": 0.71, "zoomed": 0.74}
    assert check.exercise("5.3", {"symmetry_auc": reference})
    not_wrapped = {**reference, "phi rotated": 0.70}  # a shift without wrap-around breaks the symmetry
    feedback = check.exercise("5.3", {"symmetry_auc": not_wrapped})
    assert not feedback and "wrap-around" in feedback.message
    assert not check.exercise("5.3", {"symmetry_auc": {"as generated": 0.8}})


def test_tight_working_point_check():
    y, p = _scores(200_000)
    reference = {r: stats.working_point(y, p, rejection=r) for r in (1e3, 1e4)}
    feedback = check.exercise("5.4", {"working_points": reference, "y_all": y, "cnn_all": p})
    assert feedback and "background events pass" in feedback.message
    on_other_events = {r: stats.working_point(y[:50_000], p[:50_000], rejection=r) for r in (1e3, 1e4)}
    assert not check.exercise("5.4", {"working_points": on_other_events, "y_all": y, "cnn_all": p})


# --- chapter 8 -------------------------------------------------------------------------------

def test_compile_payoff_check():
    import pandas as pd

    compiled = pd.DataFrame({"device": ["cpu"] * 4, "precision": ["fp32", "fp32", "bf16", "bf16"],
                             "compile": [False, True, False, True], "compiled": [False, True, False, True],
                             "samples_per_s": [4e5, 5e5, 8e5, 7e5], "one_off_s": [0.0, 10.0, 0.0, 12.0]})
    reference = {("cpu", "fp32"): 10.0 / (1 / 4e5 - 1 / 5e5), ("cpu", "bf16"): np.inf}
    assert check.exercise("8.1", {"payoff": reference, "compiled": compiled})
    per_second = {("cpu", "fp32"): 10.0 * 5e5, ("cpu", "bf16"): np.inf}  # forgot the eager time
    assert not check.exercise("8.1", {"payoff": per_second, "compiled": compiled})


def test_bfloat16_check():
    import torch

    masses = torch.tensor([1000.0, 1001.0, 1002.0, 1003.0, 1004.0])
    assert check.exercise("8.2", {"spacing": 4.0, "as_bf16": masses.to(torch.bfloat16).float()})
    assert not check.exercise("8.2", {"spacing": 0.125, "as_bf16": masses})  # float16's spacing
    feedback = check.exercise("8.2", {"spacing": 4.0, "as_bf16": masses})
    assert not feedback and "bfloat16" in feedback.message


def test_per_device_rate_check():
    step_costs = {"cpu": (2e-3, 2e-6)}
    rates = {b: b / (2e-3 + b * 2e-6) for b in (512, 4096)}
    assert check.exercise("8.3", {"rate_512": rates[512], "rate_4096": rates[4096], "step_costs": step_costs})
    assert not check.exercise("8.3", {"rate_512": 1 / 2e-6, "rate_4096": 1 / 2e-6, "step_costs": step_costs})


def test_training_state_check():
    state = {"epoch": 6, "step": 6 * 79, "finished": True, "rng": [{}], "history": {"epochs": [{}] * 6}}
    assert check.exercise("8.4", {"saved": state})
    assert not check.exercise("8.4", {"saved": {**state, "finished": False}})
    assert not check.exercise("8.4", {"saved": {"best": 1}})  # a checkpoint, not a training state


# --- the appendix: steering a beam --------------------------------------------------------

def test_beamline_modes_needed_check():
    from hepcourse.course.check.beamline import modes_needed_truth
    from hepcourse.envs import BeamlineEnv

    y, _ = BeamlineEnv().reset(seed=10_000)
    truth = modes_needed_truth(y.astype(float))
    assert check.exercise("A.1", {"modes_needed": truth, "y_start": y})
    assert not check.exercise("A.1", {"modes_needed": 10 if truth < 9 else 1, "y_start": y})


def test_beamline_returns_to_go_check():
    rewards = -np.linspace(1.0, 0.4, 6)
    g = np.array([sum(0.9**k * r for k, r in enumerate(rewards[t:])) for t in range(6)])
    assert check.exercise("A.2", {"returns_to_go": g, "rewards": rewards, "gamma": 0.9})
    undiscounted = check.exercise("A.2", {"returns_to_go": np.cumsum(rewards[::-1])[::-1], "rewards": rewards,
                                          "gamma": 0.9})
    assert not undiscounted and "undiscounted" in undiscounted.message


def test_beamline_gain_and_reward_trap_checks():
    assert check.exercise("A.3", {"gain_rates": {0.3: 0.9, 0.5: 0.97, 1.0: 0.88}})
    assert not check.exercise("A.3", {"gain_rates": {0.3: 0.5, 0.5: 0.7, 1.0: 0.88}})
    assert "at least three" in check.exercise("A.3", {"gain_rates": {0.5: 0.9}}).message
    from hepcourse.course.check.beamline import discounted_returns

    truth = discounted_returns()
    assert truth["dump"] > truth["idle"]  # the trap: dumping the beam pays
    assert check.exercise("A.4", {"returns": truth})
    assert not check.exercise("A.4", {"returns": {"dump": truth["dump"] / 2, "idle": truth["idle"]}})
