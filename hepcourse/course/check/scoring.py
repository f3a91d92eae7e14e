"""The project's self-check: :func:`project` gives advice on your classifier from your own
validation events (labelled simulation you did not train on).

It sees nothing of the held-out events or the collision data and knows nothing of the
hidden mass: it cannot tell you whether you found the signal. Your one submission
(:func:`hepcourse.course.project.write_submission`) is scored by the instructor
(``hepcourse project score``, :mod:`hepcourse.course.submission`).
"""
from __future__ import annotations

import numpy as np

from ... import stats
from .core import AnswerError, Feedback, array, describe, number

_BACKGROUNDS = ("drell_yan", "ttbar", "nonprompt")
SCULPTING_LIMIT = 0.1  # |Spearman ρ(score, m_μμ)| inside one background process
MAX_CREDIBLE_AUC = 0.85  # Drell-Yan is irreducible: an AUC above this means a leak


def _frame(events, variable: str, columns):
    missing = [c for c in columns if not hasattr(events, "columns") or c not in events.columns]
    if missing:
        without = f" without {missing}" if hasattr(events, "columns") else ""
        raise AnswerError(f"`{variable}` should be a DataFrame with the columns {list(columns)} (your validation "
                          f"events), but it is {describe(events)}{without}.")
    return events


def project(validation, scores, threshold: float = 0.5, truth=None) -> Feedback:
    """Advice on your classifier from your validation events.

    validation: your validation events (a DataFrame from ``project.training_sample()``
    holding at least ``label``, ``mu1_iso`` and ``mu2_iso``), events you did NOT train
    on; scores: your score of each of them (higher = more signal-like); threshold: your
    working point (``score > threshold``); truth: the matching rows of the truth frame
    (with ``m_mumu`` and ``process``), to check that your selection does not sculpt the
    background mass spectrum. Never raises on a bad answer.
    """
    try:
        events = _frame(validation, "validation", ("label", "mu1_iso", "mu2_iso"))
        values = array(scores, "scores", "one score per validation event, higher = more signal-like",
                       length=len(events))
        cut = number(threshold, "threshold", "your working point, a cut `score > threshold`")
        if truth is not None:
            truth = _frame(truth, "truth", ("m_mumu", "process"))
            if len(truth) != len(events) or not truth.index.equals(events.index):
                raise AnswerError("`truth` should hold the rows of the truth frame that match your validation "
                                  "events (same index, same order): e.g. truth.loc[validation.index].")
    except AnswerError as error:
        return Feedback(False, str(error))
    y = events["label"].to_numpy()
    if not (np.any(y == 1) and np.any(y == 0)):
        return Feedback(False, "your validation events need both Z' (label 1) and background (label 0).")
    ours = stats.auc(y, values)
    baseline = -(events["mu1_iso"] + events["mu2_iso"]).to_numpy()
    diff = stats.auc_difference(y, values, baseline)
    lines = [(f"validation AUC {ours.value:.3f} ± {ours.error:.3f}; against the isolation sum on the same "
              f"events: {diff}.")]
    passed = True
    extra = [c for c in ("m_mumu", "mu1_pt", "mu2_pt", "pt_mumu", "true_mass", "process")
             if c in events.columns]
    if extra:
        passed = False
        lines.append(f"✘ your validation frame holds {extra}: they are truth or know m_μμ, never classifier "
                     "inputs (keep them in the truth frame).")
    if ours.high < 0.5:
        passed = False
        lines.append("✘ your scores are inverted: background scores higher than Z'. Higher must mean more "
                     "signal-like (e.g. predict_proba(X)[:, 1]).")
    elif ours.value > MAX_CREDIBLE_AUC:
        passed = False
        lines.append(f"✘ an AUC above {MAX_CREDIBLE_AUC} is not credible here: Drell-Yan looks like the Z' in every "
                     "input. Were these validation events also in your training set, or does the score use m_μμ "
                     "or a momentum?")
    elif ours.value < stats.auc(y, baseline).value or not diff.significant:
        passed = False
        lines.append("✘ not yet better than the isolation sum: use all of FEATURES (missing pT and b jets "
                     "reject tt̄, isolation and d0 the non-prompt muons).")
    selected = values > cut
    eff_s, low_s, high_s = stats.binomial_interval(int(selected[y == 1].sum()), int((y == 1).sum()))
    eff_b, low_b, high_b = stats.binomial_interval(int(selected[y == 0].sum()), int((y == 0).sum()))
    if not selected.any():
        passed = False
        lines.append(f"✘ score > {cut:g} keeps none of your {len(values)} validation events (your scores go from "
                     f"{values.min():.3g} to {values.max():.3g}).")
    else:
        lines.append(f"at score > {cut:g}: ε(Z') = {float(eff_s):.3f} [{float(low_s):.3f}, {float(high_s):.3f}], "
                     f"ε(background) = {float(eff_b):.3f} [{float(low_b):.3f}, {float(high_b):.3f}] (68% CL).")
    if truth is not None:
        from scipy.stats import spearmanr

        process = truth["process"].astype(str).to_numpy()
        mass = truth["m_mumu"].to_numpy()
        for name in _BACKGROUNDS:
            inside = process == name
            if inside.sum() < 50:
                continue
            rho = float(spearmanr(values[inside], mass[inside]).statistic)
            if abs(rho) > SCULPTING_LIMIT:
                passed = False
                lines.append(f"✘ your score correlates with m_μμ inside {name} (Spearman ρ = {rho:+.2f}): the cut "
                             "would sculpt bumps into the background. Use FEATURES only.")
    details = {"auc": ours.value, "auc_error": ours.error, "delta_auc": diff.value,
               "delta_auc_error": diff.error, "signal_efficiency": float(eff_s),
               "background_efficiency": float(eff_b)}
    return Feedback(passed, "\n".join(lines), details)
