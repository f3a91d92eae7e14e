"""Self-checks of the HEPMASS chapter (a resonance search with a parametrised network)."""
from __future__ import annotations

import numpy as np

from .core import (
    AnswerError,
    Feedback,
    array,
    describe,
    labels,
    mapping,
    number,
    register,
    value,
)


def _masses():
    from ...simulate.resonant_ttbar import MASSES

    return MASSES


def _auc_per_mass(variable: str, answer) -> dict | Feedback:
    """{mass (GeV): AUC} for the five HEPMASS masses, or the Feedback saying what is missing."""
    masses = _masses()
    what = f"a dict from mass (GeV) to AUC, one entry for each of {list(masses)}"
    given = mapping(answer, variable, what)
    aucs = {}
    for mass, area in given.items():
        try:
            key = round(number(mass, f"a key of {variable}", "a mass in GeV"))
        except AnswerError:
            raise AnswerError(f"`{variable}` has the key {mass!r}; its keys should be the masses in GeV "
                              f"{list(masses)}.") from None
        aucs[key] = number(area, f"{variable}[{mass!r}]", "an AUC between 0 and 1", low=0.0, high=1.0)
    if set(aucs) != set(masses):
        return Feedback(False, f"`{variable}` has the masses {sorted(aucs)}; expected one AUC for each of "
                               f"{list(masses)} GeV.")
    return aucs


@register("3.1", ("single_feature_auc",), "the AUC of m_WWbb (f26) alone at each mass hypothesis")
def _single_feature(single_feature_auc):
    masses = _masses()
    aucs = _auc_per_mass("single_feature_auc", single_feature_auc)
    if isinstance(aucs, Feedback):
        return aucs
    below = [m for m, a in aucs.items() if a <= 0.5]
    if below:
        return Feedback(False, f"the AUC at {below} GeV is at or below 0.5: the score must be larger for "
                               "signal-like events, so use minus the distance |f26 − median|.")
    hardest = min(aucs, key=aucs.get)
    if hardest != min(masses):
        return Feedback(False, f"your hardest mass is {hardest} GeV; expected the lightest, {min(masses)} GeV, "
                               "whose m_WWbb peak sits on the background's. Did you take the median of "
                               "the signal at each mass, and only that mass's events?")
    return Feedback(True, f"m_WWbb alone: AUC {aucs[hardest]:.3f} at {hardest} GeV rising to "
                          f"{aucs[max(masses)]:.3f} at {max(masses)} GeV; the light X hides under the tt̄ peak.")


@register("3.2", ("working_point", "y_test", "p_test"),
          "a function working_point(y, p) returning the cut keeping 50% of the signal and the "
          "background efficiency there")
def _working_point(working_point, y_test, p_test):
    y = labels(y_test, "y_test", "the test labels, 0 (background) or 1 (signal)")
    p = array(p_test, "p_test", "one network score per test event", length=len(y), length_of="`y_test`")
    expected = "(threshold, background efficiency)"
    if not callable(working_point):
        raise AnswerError(f"`working_point` should be a function working_point(y, p) returning {expected}, "
                          f"but it is {describe(working_point)}.")
    try:
        returned = working_point(y, p)
    except Exception as error:  # the student's function: report what went wrong  # noqa: BLE001
        return Feedback(False, f"working_point(y_test, p_test) failed: {error!r}; it should return {expected}.")
    try:
        cut, eff_b = returned
    except (TypeError, ValueError):
        return Feedback(False, f"`working_point(y_test, p_test)` returned {describe(returned)}; it should "
                               f"return two numbers {expected}.")
    cut = number(cut, "working_point(y_test, p_test)[0]", "the threshold, a cut on the score")
    eff_b = number(eff_b, "working_point(y_test, p_test)[1]", "the background efficiency, between 0 and 1",
                   low=0.0, high=1.0)
    eff_s = float(np.mean(p[y == 1] >= cut))
    result = value("the signal efficiency at your cut", eff_s, 0.49, 0.51,
                   hint="Find the threshold where the true-positive rate of roc_curve first reaches 0.5.")
    if not result:
        return result
    truth = float(np.mean(p[y == 0] >= cut))
    if not abs(eff_b - truth) <= max(0.002, 0.05 * truth):
        return Feedback(False, f"at your cut {truth:.4f} of the background passes, but you return {eff_b:.4f}: "
                               "the background efficiency is the false-positive rate at the same threshold.")
    return Feedback(True, f"the cut p > {cut:.3f} keeps 50% of the signal and {truth:.4f} of the background: "
                          f"a rejection of {1 / max(truth, 1e-12):.0f}.")


@register("3.3", ("hypothesis_auc",), "the AUC on the 1000 GeV test events for each hypothesised mass")
def _hypothesis(hypothesis_auc):
    aucs = _auc_per_mass("hypothesis_auc", hypothesis_auc)
    if isinstance(aucs, Feedback):
        return aucs
    if aucs[1000] < max(aucs[500], aucs[1500]) - 0.01:
        return Feedback(False, f"the true hypothesis (1000 GeV) gives {aucs[1000]:.3f}, less than a wrong one "
                               f"({aucs[500]:.3f} at 500, {aucs[1500]:.3f} at 1500 GeV): did you score only the "
                               "1000 GeV test events and replace the mass column, not append one?")
    return Feedback(True, f"AUC {aucs[1000]:.3f} with the true mass, {aucs[500]:.3f} and {aucs[1500]:.3f} with "
                          "500 and 1500 GeV: the network looks for the m_WWbb window you ask about.")


@register("3.4", ("low_auc", "test_auc"), "the test AUC with the 22 low-level features and the mass only")
def _low_level(low_auc, test_auc):
    full = number(test_auc, "test_auc", "the test AUC of the network with all features (0 to 1)",
                  low=0.0, high=1.0)
    low = number(low_auc, "low_auc", "the test AUC with the low-level features only (0 to 1)",
                 low=0.0, high=1.0)
    result = value("the low-level AUC", low, 0.6, full + 0.005,
                   hint="Below 0.6 the network learned little: keep the mass column, scale the inputs "
                        "with set_scaling on the training rows; above the full network's AUC, check "
                        "that both use the same test set.")
    if not result:
        return result
    return Feedback(True, f"low-level only {low:.4f} against {full:.4f} with all 27 "
                          f"features: the five physicists' masses are worth {full - low:+.4f} "
                          "in AUC to this small network.")
