"""Self-checks for the exercises and the project, with feedback rather than pass/fail.

In a notebook, after your solution:

    from hepcourse import check
    check.exercise("1.1", globals())      # looks up the variables the problem asked for

Each check says what it found, what a good solution reaches and, if you are off, where
to look. A check that finds none of the variables says the problem is not attempted yet.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Feedback:
    """The outcome of a self-check: ``passed`` and a message written for the student."""

    passed: bool
    message: str
    details: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = "✔ well done" if self.passed else "✘ not yet"
        return f"{mark}: {self.message}"

    def _repr_markdown_(self) -> str:
        mark = "✔ **well done**" if self.passed else "✘ **not yet**"
        return f"{mark}: {self.message}"


def value(name: str, got, low: float, high: float, unit: str = "", hint: str = "") -> Feedback:
    """Is ``got`` in [low, high]? The message gives the value, the target and a hint."""
    try:
        number = float(got)
    except (TypeError, ValueError):
        return Feedback(False, f"{name} should be a number, got {got!r}")
    if not np.isfinite(number):
        return Feedback(False, f"{name} is {number}; {hint}".rstrip("; "))
    unit = f" {unit}" if unit else ""
    if low <= number <= high:
        return Feedback(True, f"{name} = {number:.4g}{unit}, inside the expected {low:g}–{high:g}{unit}.")
    side = "low" if number < low else "high"
    return Feedback(False, f"{name} = {number:.4g}{unit} is too {side}; a good solution gives "
                           f"{low:g}–{high:g}{unit}. {hint}".strip(), {"value": number})


def auc(y_true, scores, good: float, hint: str = "", name: str = "AUC") -> Feedback:
    """The ROC AUC of ``scores`` against labels ``y_true``, judged against ``good``."""
    from sklearn.metrics import roc_auc_score

    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    if scores.shape[0] != y_true.shape[0]:
        return Feedback(False, f"{len(scores)} scores for {len(y_true)} events: score every event once.")
    if not np.all(np.isfinite(scores)):
        return Feedback(False, "some scores are NaN or infinite: check the inputs and the training loss.")
    area = float(roc_auc_score(y_true, scores))
    if area < 0.5:
        return Feedback(False, f"your {name} is {area:.3f}, below 0.5: no better than a guess, or the "
                               f"scores are inverted (is a high score signal-like?); a good solution "
                               f"reaches {good:.2f} or more.", {"auc": area})
    if area >= good:
        return Feedback(True, f"your {name} is {area:.3f}; a good solution reaches {good:.2f} or more.", {"auc": area})
    return Feedback(False, f"your {name} is {area:.3f}; a good solution reaches {good:.2f} or more. {hint}".strip(),
                    {"auc": area})


# --- the exercises -----------------------------------------------------------------------

_EXERCISES: dict[str, tuple[tuple[str, ...], str, object]] = {}


def _register(key: str, names: tuple[str, ...], what: str):
    def wrap(function):
        _EXERCISES[key] = (names, what, function)
        return function
    return wrap


def exercise(key: str, namespace: dict) -> Feedback:
    """Check exercise ``key`` (e.g. ``"1.2"``) using the variables in ``namespace``
    (pass ``globals()``)."""
    if key not in _EXERCISES:
        raise ValueError(f"no self-check {key!r}; known: {', '.join(sorted(_EXERCISES))}")
    names, what, function = _EXERCISES[key]
    missing = [n for n in names if n not in namespace]
    if missing:
        feedback = Feedback(False, f"problem {key} is not attempted yet: your solution should define "
                                   + ", ".join(f"`{n}`" for n in missing) + f" ({what}).")
    else:
        feedback = function(*(namespace[n] for n in names))
    return feedback


@_register("1.1", ("cv_best",), "the polynomial degree chosen by 5-fold cross-validation")
def _cv_degree(cv_best):
    return value("the cross-validated degree", cv_best, 2, 6,
                 hint="Average the RMS over the folds for each degree and take the minimum; "
                      "did you use shuffle=True in KFold?")


@_register("1.2", ("free",), "the Minuit fit with a free Z width")
def _free_width(free):
    if not getattr(free, "valid", False):
        return Feedback(False, "the fit with a free width did not converge: start from the fixed-width "
                               "values and limit sigma and width to positive values.")
    rho = free.covariance.correlation()["sigma", "width"] if "width" in free.parameters else np.nan
    if not np.isfinite(rho):
        return Feedback(False, "your fit needs parameters named `sigma` and `width`.")
    width = value("Γ_Z", free.values["width"], 1.0, 5.0, "GeV")
    if not width:
        return width
    if rho > -0.5:
        return Feedback(False, f"the sigma-width correlation is {rho:+.2f}; expected strongly negative. "
                               "Did HESSE run after MIGRAD?")
    return Feedback(True, f"Γ_Z = {free.values['width']:.2f} ± {free.errors['width']:.2f} GeV with a "
                          f"σ–Γ correlation of {rho:+.2f}: the data cannot separate the two widths.")


@_register("1.3", ("results",), "a dict of the fits for 'GG', 'GT' and 'TT'")
def _kinds(results):
    if set(results) != {"GG", "GT", "TT"}:
        return Feedback(False, f"results has keys {sorted(results)}; expected 'GG', 'GT', 'TT'.")
    bad = [k for k, f in results.items() if not f.valid]
    if bad:
        return Feedback(False, f"the fits of {bad} are not valid minima.")
    spread = np.ptp([f.values["m"] for f in results.values()])
    return value("the spread of the three peak positions", spread, 0.0, 0.4, "GeV",
                 hint="The three fits use the same collisions; one candidate per collision each?")


@_register("1.4", ("n_hard", "hzz"), "the number of jets with pT > 30 GeV per event")
def _hard_jets(n_hard, hzz):
    import awkward as ak

    jets_pt = np.hypot(hzz.Jet_Px, hzz.Jet_Py)
    truth = ak.to_numpy(ak.sum(jets_pt > 30, axis=1))
    n_hard = np.asarray(n_hard)
    if n_hard.shape != truth.shape:
        return Feedback(False, f"one count per event expected ({truth.size}), got shape {n_hard.shape}.")
    if np.array_equal(n_hard, truth):
        return Feedback(True, f"correct: {np.mean(truth >= 2):.1%} of the events have two or more such jets.")
    return Feedback(False, f"{np.mean(n_hard != truth):.1%} of your counts differ; count jets with "
                           "pT = √(px² + py²) > 30 GeV per event (ak.sum of a mask with axis=1).")


@_register("3.1", ("needed",), "the TOF path length (m) for 3σ π/K separation at 4 GeV with 80 ps")
def _tof_length(needed):
    from .simulate.pid import MASSES, time_of_flight

    per_metre = time_of_flight(4.0, MASSES["K"], 1.0) - time_of_flight(4.0, MASSES["pi"], 1.0)
    truth = 3 * 0.080 / per_metre
    return value("the path length", needed, 0.97 * truth, 1.03 * truth, "m",
                 hint="Δt grows linearly with L: L = 3σ_t / (Δt per metre at 4 GeV), "
                      "with times in ns and σ_t = 0.080 ns.")


@_register("3.2", ("likelihood_ratio", "y_test"), "the K-vs-π log-likelihood ratio of each test track")
def _likelihood_ratio(likelihood_ratio, y_test):
    y_test, ratio = np.asarray(y_test), np.asarray(likelihood_ratio, dtype=float)
    if ratio.shape != y_test.shape:
        return Feedback(False, f"one ratio per test track expected ({y_test.size}), got shape {ratio.shape}.")
    pions_and_kaons = y_test < 2
    return auc(y_test[pions_and_kaons] == 1, ratio[pions_and_kaons], good=0.99, name="K-vs-π AUC",
               hint="Sum nσ² over the detectors that measured something (missing: 0) and take "
                    "½(χ²_π − χ²_K): large means kaon-like.")


@_register("3.3", ("results",), "accuracies per momentum bin (and overall) for each missing-value policy")
def _missing_policies(results):
    indicator = [k for k in results if "indicator" in k.lower() and "no indicator" not in k.lower()]
    other = [k for k in results if k not in indicator]
    if len(indicator) != 1 or not other:
        return Feedback(False, "results needs one policy with an indicator (key containing 'indicator') "
                               "and one without (e.g. the mean fill).")
    best, worst = np.asarray(results[indicator[0]], float), np.asarray(results[other[0]], float)
    if best[-1] < 0.9:
        return Feedback(False, f"overall accuracy with the indicator is {best[-1]:.3f}; train longer or "
                               "check the features (log_p, dedx, cherenkov_angle).")
    gap = float(np.max(best[:-1] - worst[:-1]))
    return value("the largest per-bin gain from the indicator", gap, 0.005, 1.0,
                 hint="The mean fill makes 'no ring' look like an average ring: compare the bins "
                      "where kaons and protons are below the aerogel threshold.")


@_register("3.4", ("gain", "offset", "shifted"), "the measured dE/dx gain and TOF offset (ns)")
def _recalibration(gain, offset, shifted):
    result = value("the dE/dx gain", gain, shifted.dedx_gain - 0.02, shifted.dedx_gain + 0.02,
                   hint="Divide the measured dE/dx by the expectation for the TRUE species and take "
                        "the median (robust against tails).")
    if not result:
        return result
    return value("the TOF offset", offset, shifted.tof_offset - 0.02, shifted.tof_offset + 0.02, "ns",
                 hint="Median of measured minus expected time, with the track's own path length.")


# --- the project -------------------------------------------------------------------------

def project(scores, threshold: float = 0.5, mass: float | None = None, team: str = "anonymous") -> Feedback:
    """Score your classifier on the project's held-out events and print a leaderboard line.

    scores: one score per event of :func:`hepcourse.project.test_features` (same order;
    higher = more signal-like); threshold: your working point; mass: the Z' mass (GeV) you
    found in the collision data, if any.
    """
    from . import project as task

    scores = np.asarray(scores, dtype=float).ravel()
    truth = task._test_sample(len(scores))
    result = auc(truth["label"].to_numpy(), scores, good=task.TARGET_AUC,
                 hint=f"The isolation sum alone reaches {task.BASELINE_AUC:.2f}. Use all the inputs of "
                      "FEATURES (missing pT and b jets reject tt̄, isolation and d0 the non-prompt muons).")
    if "auc" not in result.details:
        return result
    selected = scores > threshold
    process = truth["process"].astype(str).to_numpy()
    eff = {p: float(np.mean(selected[process == p])) for p in ("zprime", "drell_yan", "ttbar", "nonprompt")}
    parts = [f"team {team}", f"AUC {result.details['auc']:.3f} (target {task.TARGET_AUC:.2f}, "
             f"baseline {task.BASELINE_AUC:.2f})",
             f"at score > {threshold:g}: ε(Z') {eff['zprime']:.2f}, ε(DY) {eff['drell_yan']:.2f}, "
             f"ε(tt̄) {eff['ttbar']:.3f}, ε(non-prompt) {eff['nonprompt']:.3f}"]
    found = None
    if mass is not None:
        found = abs(float(mass) - task.HIDDEN_MASS) < 0.05 * task.HIDDEN_MASS
        parts.append(f"resonance at {float(mass):.0f} GeV: {'✔ found' if found else '✘ not the signal'}")
    line = "LEADERBOARD | " + " | ".join(parts)
    print(line)
    passed = result.passed and (found is not False)
    message = result.message + ("" if found is not False else " The mass you quote is not where the signal is.")
    return Feedback(passed, message, {**result.details, "efficiencies": eff, "line": line, "mass_found": found})
