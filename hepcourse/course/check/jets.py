"""Self-checks of the jets-as-sets chapter (Pythia top and QCD jets, IRC safety, tagging)."""
from __future__ import annotations

import numpy as np

from .core import AnswerError, Feedback, array, auc, field, labels, mapping, number, register, value


@register("6.1", ("m_w_mine", "top_jets"), "the lightest pair mass of three exclusive-kT subjets (GeV) per top jet")
def _w_inside_the_top(m_w_mine, top_jets):
    try:
        reference = np.asarray(field(top_jets, "top_jets", "m_w", "the top jets of the test set (a slice of "
                                     "the sample of hepcourse.simulate.jets)"), dtype=float)
    except (AnswerError, TypeError, ValueError) as error:
        return Feedback(False, str(error))
    mine = array(m_w_mine, "m_w_mine", "one mass in GeV per top jet", length=len(reference),
                 length_of="`top_jets`", low=0.0)
    agree = float(np.mean(np.abs(mine - reference) < 1.0))
    if agree < 0.9:
        return Feedback(False, f"only {100 * agree:.0f}% of your masses are within 1 GeV of the sample's m_w. "
                               "Use exclusive_jets(n_jets=3) of a kt_algorithm ClusterSequence with R = 3.0 and "
                               "the smallest of the three pair masses, with E = the constituents' energy.")
    return value("the median W-candidate mass", float(np.median(mine)), 65.0, 95.0, "GeV", variable="m_w_mine",
                 hint="The lightest pair of three subjets is usually the W's two quarks.")


@register("6.2", ("changes",), "the mean relative change of multiplicity, girth and pT^D under a collinear split")
def _collinear_safety(changes):
    given = mapping(changes, "changes", "a dict with the keys 'multiplicity', 'girth' and 'pt_d', each the mean "
                                        "absolute relative change of that observable")
    missing = [k for k in ("multiplicity", "girth", "pt_d") if k not in given]
    if missing:
        return Feedback(False, f"`changes` lacks the key(s) {missing}; it has {list(given)}.")
    girth = number(given["girth"], "changes['girth']", "a relative change")
    multiplicity = number(given["multiplicity"], "changes['multiplicity']", "a relative change")
    pt_d = number(given["pt_d"], "changes['pt_d']", "a relative change")
    if girth > 1e-6:
        return Feedback(False, f"the girth changed by {girth:.2g}: split the HARDEST constituent into two halves of "
                               "half its pT at the SAME Δη and Δφ; the girth must not move.")
    if not 0.005 < multiplicity < 0.2:
        return Feedback(False, f"the multiplicity changed by {multiplicity:.3g} on average; adding one particle to "
                               "jets of 30–100 constituents changes it by 1/n, a few percent.")
    return value("the mean relative change of pT^D", pt_d, 0.01, 0.5, variable="changes['pt_d']",
                 hint="pT^D = √Σ pT² / Σ pT falls when the hardest particle is halved.")


@register("6.3", ("scores_pid", "pid_gain", "y_test"), "the PFN with particle-identity flags, on the test jets")
def _identity(scores_pid, pid_gain, y_test):
    y = labels(y_test, "y_test", "the test labels: 1 top, 0 QCD")
    scores = array(scores_pid, "scores_pid", "one score per test jet", length=len(y), length_of="`y_test`")
    result = auc(y, scores, good=0.75, name="the test AUC of the PFN with identity flags",
                 hint="Train on the new tensors (features=FEATURES + PID_FEATURES) with the same settings.")
    if not result:
        return result
    try:
        low, high = (number(field(pid_gain, "pid_gain", k, "the result of stats.auc_difference"), f"pid_gain.{k}")
                     for k in ("low", "high"))
    except AnswerError as error:
        return Feedback(False, str(error))
    if not low <= high:
        return Feedback(False, "pid_gain: its interval has low > high; use stats.auc_difference(y_test, a, b).")
    return Feedback(True, f"{result.message} The paired difference is [{low:+.4f}, {high:+.4f}] (68%).")


@register("6.4", ("threshold", "eff_s_test", "eff_b_test"), "the working point chosen on validation, measured on test")
def _working_point(threshold, eff_s_test, eff_b_test):
    number(threshold, "threshold", "the score threshold chosen on the validation top jets")
    result = value("the test top-jet efficiency", eff_s_test, 0.2, 0.4, variable="eff_s_test",
                   hint="Choose the threshold as the 70% quantile of the VALIDATION top-jet scores of the best model.")
    if not result:
        return result
    return value("the test QCD efficiency", eff_b_test, 0.0, 0.1, variable="eff_b_test",
                 hint="At 30% top efficiency even a tagger trained on a few hundred jets keeps under 10% "
                      "of the QCD jets; check that the cut keeps the HIGH scores.")
