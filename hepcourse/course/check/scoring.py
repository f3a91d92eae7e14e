"""The project's scorer: :func:`project` judges the scores of the held-out events.

The held-out events are :func:`hepcourse.course.project.test_features` (their truth is
rebuilt here from the project's seed, never shown). The scores must be one per event, in
that order; a wrong length would silently compare against other events, so it is refused.
"""
from __future__ import annotations

import numpy as np

from ... import validate
from .core import AnswerError, Feedback, array, auc, number

_PROCESSES = ("zprime", "drell_yan", "ttbar", "nonprompt")


def _scores(scores, expected: int) -> np.ndarray:
    what = "one score per event of project.test_features(), higher = more signal-like"
    values = array(scores, "scores", what, ndim=None, finite=False, min_length=0)
    if values.ndim == 2 and values.shape[1] in (1, 2):
        hint = "take the signal column, e.g. predict_proba(X)[:, 1]" if values.shape[1] == 2 else \
            "flatten it with .ravel()"
        raise AnswerError(f"`scores` has shape {values.shape}; expected one score per event (a 1-D array of "
                          f"{expected}): {hint}.")
    if values.ndim != 1:
        raise AnswerError(f"`scores` has shape {values.shape}; expected {what} (a 1-D array of {expected}).")
    if len(values) != expected:
        raise AnswerError(f"expected {expected} scores, got {len(values)}: score every event of "
                          f"project.test_features() once, in its order (if you asked test_features(n) for "
                          f"another number of events, pass the same n here).")
    bad = int(np.sum(~np.isfinite(values)))
    if bad:
        raise AnswerError(f"{bad} of your {expected} scores are NaN or infinite: check the inputs of your model "
                          "(missing values?) and its training loss.")
    return values


def project(scores, threshold: float = 0.5, mass: float | None = None, team: str = "anonymous",
            *, n: int | None = None) -> Feedback:
    """Score your classifier on the project's held-out events; the feedback shows your
    leaderboard line (also in ``details["line"]``).

    scores: one score per event of :func:`hepcourse.course.project.test_features` (same order;
    higher = more signal-like); threshold: your working point, a cut on the score in [0, 1];
    mass: the Z' mass (GeV) you found in the collision data, if any; n: the number of events
    you asked ``test_features(n)`` for (default: its default). Never raises on a bad answer:
    wrong length, NaN, a 2-D array or a threshold outside [0, 1] give a failing Feedback.
    """
    from .. import project as task

    try:
        try:
            expected = task.held_out_size() if n is None else validate.count(n, "n")
        except (TypeError, ValueError) as error:
            raise AnswerError(f"{error}: n is the number of held-out events you scored") from None
        values = _scores(scores, expected)
        cut = number(threshold, "threshold", "a cut on the score between 0 and 1", low=0.0, high=1.0)
        found_mass = None if mass is None else number(mass, "mass", "the Z' mass you found, in GeV",
                                                       positive=True)
    except AnswerError as error:
        return Feedback(False, str(error))
    team = str(team)
    truth = task._test_sample(expected)
    result = auc(truth["label"].to_numpy(), values, good=task.TARGET_AUC,
                 hint=f"The isolation sum alone reaches {task.BASELINE_AUC:.2f}. Use all the inputs of "
                      "FEATURES (missing pT and b jets reject tt̄, isolation and d0 the non-prompt muons).")
    if "auc" not in result.details:
        return result
    selected = values > cut
    process = truth["process"].astype(str).to_numpy()
    eff = {p: float(np.mean(selected[process == p])) for p in _PROCESSES}
    parts = [f"team {team}", f"AUC {result.details['auc']:.3f} (target {task.TARGET_AUC:.2f}, "
             f"baseline {task.BASELINE_AUC:.2f})",
             f"at score > {cut:g}: ε(Z') {eff['zprime']:.2f}, ε(DY) {eff['drell_yan']:.2f}, "
             f"ε(tt̄) {eff['ttbar']:.3f}, ε(non-prompt) {eff['nonprompt']:.3f}"]
    found = None
    if found_mass is not None:
        found = abs(found_mass - task.HIDDEN_MASS) < 0.05 * task.HIDDEN_MASS
        parts.append(f"resonance at {found_mass:.0f} GeV: {'✔ found' if found else '✘ not the signal'}")
    line = "LEADERBOARD | " + " | ".join(parts)
    passed = result.passed and (found is not False)
    message = result.message + ("" if found is not False else " The mass you quote is not where the signal is.")
    return Feedback(passed, f"{message}\n\n{line}",
                    {**result.details, "efficiencies": eff, "line": line, "mass_found": found})
