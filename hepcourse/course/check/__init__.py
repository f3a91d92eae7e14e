"""Self-checks for the exercises and the project, with feedback rather than pass/fail.

In a notebook, after your solution:

    from hepcourse.course import check
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
    from ...simulate.tracks import MASSES, time_of_flight

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


def _auc_per_mass(name: str, answer) -> dict | Feedback:
    """{mass (GeV): AUC} for the five HEPMASS masses, or the Feedback saying what is missing."""
    from ...simulate.resonant_ttbar import MASSES

    aucs = {int(m): float(a) for m, a in dict(answer).items()}
    if set(aucs) != set(MASSES):
        return Feedback(False, f"{name} has the masses {sorted(aucs)}; expected one AUC for each of "
                               f"{list(MASSES)} GeV.")
    return aucs


@_register("2.1", ("single_feature_auc",), "the AUC of m_WWbb (f26) alone at each mass hypothesis")
def _single_feature(single_feature_auc):
    from ...simulate.resonant_ttbar import MASSES

    aucs = _auc_per_mass("single_feature_auc", single_feature_auc)
    if isinstance(aucs, Feedback):
        return aucs
    below = [m for m, a in aucs.items() if a <= 0.5]
    if below:
        return Feedback(False, f"the AUC at {below} GeV is at or below 0.5: the score must be larger for "
                               "signal-like events, so use minus the distance |f26 − median|.")
    hardest = min(aucs, key=aucs.get)
    if hardest != min(MASSES):
        return Feedback(False, f"your hardest mass is {hardest} GeV; expected the lightest, {min(MASSES)} GeV, "
                               "whose m_WWbb peak sits on the background's. Did you take the median of "
                               "the signal at each mass, and only that mass's events?")
    return Feedback(True, f"m_WWbb alone: AUC {aucs[hardest]:.3f} at {hardest} GeV rising to "
                          f"{aucs[max(MASSES)]:.3f} at {max(MASSES)} GeV; the light X hides under the tt̄ peak.")


@_register("2.2", ("working_point", "y_test", "p_test"),
           "a function working_point(y, p) returning the cut keeping 50% of the signal and the "
           "background efficiency there")
def _working_point(working_point, y_test, p_test):
    y, p = np.asarray(y_test), np.asarray(p_test, dtype=float)
    try:
        cut, eff_b = (float(v) for v in working_point(y, p))
    except Exception as error:  # the student's function: report what went wrong
        return Feedback(False, f"working_point(y_test, p_test) failed: {error!r}; it should return "
                               "(threshold, background efficiency).")
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


@_register("2.3", ("hypothesis_auc",), "the AUC on the 1000 GeV test events for each hypothesised mass")
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


@_register("2.4", ("low_auc", "test_auc"), "the test AUC with the 22 low-level features and the mass only")
def _low_level(low_auc, test_auc):
    result = value("the low-level AUC", low_auc, 0.6, float(test_auc) + 0.005,
                   hint="Below 0.6 the network learned little: keep the mass column, scale the inputs "
                        "with set_scaling on the training rows; above the full network's AUC, check "
                        "that both use the same test set.")
    if not result:
        return result
    return Feedback(True, f"low-level only {float(low_auc):.4f} against {float(test_auc):.4f} with all 27 "
                          f"features: the five physicists' masses are worth {float(test_auc) - float(low_auc):+.4f} "
                          "in AUC to this small network.")


@_register("4.1", ("accuracy_cnn", "score_rare_cnn", "rare"),
           "the accuracy of the CNN cut at 0.5 on the realistic sample")
def _accuracy_trap(accuracy_cnn, score_rare_cnn, rare):
    labels = np.asarray(rare.labels) == 1
    selected = np.asarray(score_rare_cnn) > 0.5
    truth, always_background = float(np.mean(selected == labels)), float(np.mean(~labels))
    result = value("your accuracy", accuracy_cnn, truth - 1e-6, truth + 1e-6,
                   hint="Accuracy is the fraction of events whose decision (score > 0.5) equals the label.")
    if not result:
        return result
    return Feedback(True, f"{truth:.4f} at 0.5 against {always_background:.4f} for 'always background', with "
                          f"{int(selected[labels].sum())} signal and {int(selected[~labels].sum())} background "
                          "events selected: accuracy rewards ignoring the signal.")


@_register("4.2", ("best_double", "best_cnn"), "the best S/√B of the CNN with twice the data")
def _double_data(best_double, best_cnn):
    ratio = float(best_double.s_over_sqrt_b) / float(best_cnn.s_over_sqrt_b)
    return value("the gain in S/√B", ratio, np.sqrt(2) - 0.01, np.sqrt(2) * 1.1,
                 hint="With both yields doubled S/√B grows by √2 at every cut: call significance_scan "
                      "with 2·N_S and 2·N_B on the same scores.")


_SYMMETRY_KEYS = {"generated": "as generated", "phi": "phi rotated", "eta": "eta reflected",
                  "energ": "energies x 1.3", "zoom": "zoomed"}


@_register("4.3", ("symmetry_auc",), "the fold-0 CNN's test AUC for each transformation of the images")
def _symmetries(symmetry_auc):
    found = {}
    for fragment in _SYMMETRY_KEYS:
        keys = [k for k in symmetry_auc if fragment in str(k).lower()]
        if len(keys) != 1:
            return Feedback(False, "symmetry_auc needs one entry for each of " + ", ".join(
                f"'{v}'" for v in _SYMMETRY_KEYS.values()) + f"; got {list(symmetry_auc)}.")
        found[fragment] = float(symmetry_auc[keys[0]])
    nominal = found["generated"]
    moved = {f: found[f] - nominal for f in ("phi", "eta")}
    if max(abs(d) for d in moved.values()) > 0.02:
        return Feedback(False, f"a φ rotation changes the AUC by {moved['phi']:+.3f} and an η reflection by "
                               f"{moved['eta']:+.3f}: more than expected for symmetries the network was "
                               "trained with. Roll along the φ axis (the last) with wrap-around, flip the η axis.")
    if min(found["energ"], found["zoom"]) >= nominal:
        return Feedback(False, "neither the energy scale nor the zoom lowered the AUC: did you apply them "
                               "to the test images before scoring?")
    return Feedback(True, f"AUC {nominal:.3f} as generated; φ rotation {moved['phi']:+.3f}, η reflection "
                          f"{moved['eta']:+.3f} (symmetries), energies ×1.3 {found['energ'] - nominal:+.3f}, zoom "
                          f"{found['zoom'] - nominal:+.3f} (they move the mass ≈ p_T ΔR/2).")


@_register("4.4", ("working_points", "y_all", "cnn_all"),
           "a dict from background rejection to plot.working_point of the CNN")
def _tight_working_point(working_points, y_all, cnn_all):
    from ...plot.rare import working_point

    if len(working_points) < 2 or 1000 not in {round(float(r)) for r in working_points}:
        return Feedback(False, "working_points needs the rejection 1000 and a tighter one as keys.")
    for rejection, wp in working_points.items():
        truth = working_point(y_all, cnn_all, rejection=float(rejection))
        if abs(float(wp.signal_efficiency) - truth.signal_efficiency) > 1e-9:
            return Feedback(False, f"at a rejection of {float(rejection):g} your signal efficiency is "
                                   f"{float(wp.signal_efficiency):.3f}, expected {truth.signal_efficiency:.3f}: "
                                   "use the CNN scores of all the labelled events (y_all, cnn_all).")
    ordered = sorted(working_points, key=float)
    loose, tight = working_points[ordered[0]], working_points[ordered[-1]]
    rel = [w.signal_efficiency_error / max(w.signal_efficiency, 1e-12) for w in (loose, tight)]
    return Feedback(True, f"signal efficiency {loose.signal_efficiency:.3f} ± {loose.signal_efficiency_error:.3f} "
                          f"at {loose.rejection:.0f}, {tight.signal_efficiency:.3f} ± {tight.signal_efficiency_error:.3f} "
                          f"at {tight.rejection:.0f} (relative error {rel[0]:.0%} → {rel[1]:.0%}); only "
                          f"{tight.n_background * tight.background_efficiency:.0f} background events pass the tight cut.")


@_register("5.1", ("payoff", "compiled"),
           "a dict from (device, precision) to the number of events after which compiling pays off")
def _compile_payoff(payoff, compiled):
    expected = {}
    for (dev, precision), rows in compiled.groupby(["device", "precision"]):
        eager, comp = rows[~rows["compile"]].iloc[0], rows[rows["compile"]].iloc[0]
        if comp["compiled"]:
            saving = 1 / eager["samples_per_s"] - 1 / comp["samples_per_s"]
            expected[(dev, precision)] = comp["one_off_s"] / saving if saving > 0 else np.inf
    if set(payoff) != set(expected):
        return Feedback(False, f"payoff has the keys {sorted(payoff)}; expected one entry for each (device, "
                               f"precision) where compiling worked: {sorted(expected)}.")
    for key, events in expected.items():
        if not np.isclose(float(payoff[key]), events, rtol=1e-3):
            return Feedback(False, f"{key}: you find {float(payoff[key]):,.0f} events, expected {events:,.0f}. "
                                   "Break-even: one-off cost c = n (1/r_eager − 1/r_compiled), and np.inf "
                                   "when compiled is not faster.")
    if not expected:
        return Feedback(True, "compiling did not work on any device here, so there is nothing to pay off.")
    return Feedback(True, "; ".join(f"{d} {p}: " + ("never" if np.isinf(e) else f"after {e:,.0f} events")
                                    for (d, p), e in expected.items()) + ".")


@_register("5.2", ("spacing", "as_bf16"), "the spacing of bfloat16 numbers near 1000 and the masses in bfloat16")
def _bfloat16(spacing, as_bf16):
    import torch

    masses = torch.tensor([1000.0, 1001.0, 1002.0, 1003.0, 1004.0])
    truth = masses.to(torch.bfloat16).float()
    result = value("the spacing near 1000", spacing, 4.0, 4.0, "GeV",
                   hint="bfloat16 keeps 8 significant bits: between 512 and 1024 the step is 2^(9−7).")
    if not result:
        return result
    if not torch.equal(torch.as_tensor(as_bf16, dtype=torch.float32), truth):
        return Feedback(False, f"your converted masses {list(np.asarray(as_bf16))} differ from bfloat16's "
                               f"{truth.tolist()}: convert with .to(torch.bfloat16).")
    return Feedback(True, f"1000–1004 GeV become {truth.tolist()}: steps of 4 GeV, below the 30 GeV width "
                          "of X, and autocast standardises in float32 before the network sees the numbers.")


@_register("5.3", ("rate_512", "rate_4096", "step_costs"),
           "the per-device throughput at 512 and 4096 events per step from the fixed-cost model")
def _per_device_rate(rate_512, rate_4096, step_costs):
    t0, t1 = step_costs["cpu"]
    for batch, got in ((512, rate_512), (4096, rate_4096)):
        truth = batch / (t0 + batch * t1)
        if not np.isclose(float(got), truth, rtol=1e-3):
            return Feedback(False, f"at {batch} events per step the model gives {truth:,.0f} events/s, you have "
                                   f"{float(got):,.0f}: rate = B / (t0 + B t1) with the CPU's t0 and t1.")
    return Feedback(True, f"{float(rate_512) / float(rate_4096):.2f} of the throughput at 4096: smaller steps "
                          "pay the fixed cost t0 more often.")


@_register("5.4", ("saved",), "the training state loaded with load_state")
def _training_state(saved):
    missing = [k for k in ("epoch", "step", "finished", "rng", "history") if k not in saved]
    if missing:
        return Feedback(False, f"the state has no {missing}: load job / 'state.pt' with load_state, "
                               "not the best-weights checkpoint.")
    epochs = len(saved["history"]["epochs"])
    if not saved["finished"] or epochs != saved["epoch"]:
        return Feedback(False, f"the state is at epoch {saved['epoch']} with {epochs} epochs of history, "
                               f"finished={saved['finished']}: read it after the resumed run has ended.")
    return Feedback(True, f"epoch {saved['epoch']}, {saved['step']} steps ({saved['step'] // saved['epoch']} per "
                          f"epoch), finished, {len(saved['rng'])} random state(s): everything a resume needs.")


# --- the project -------------------------------------------------------------------------

def project(scores, threshold: float = 0.5, mass: float | None = None, team: str = "anonymous") -> Feedback:
    """Score your classifier on the project's held-out events and print a leaderboard line.

    scores: one score per event of :func:`hepcourse.course.project.test_features` (same order;
    higher = more signal-like); threshold: your working point; mass: the Z' mass (GeV) you
    found in the collision data, if any.
    """
    from .. import project as task

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
