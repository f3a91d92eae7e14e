"""Self-checks of the boosted-jet chapter (a CNN on calorimeter images, a signal of one in a thousand)."""
from __future__ import annotations

import numpy as np

from .core import (
    AnswerError,
    Feedback,
    array,
    field,
    labels,
    mapping,
    number,
    register,
    value,
)


@register("5.1", ("accuracy_cnn", "score_rare_cnn", "rare"),
          "the accuracy of the CNN cut at 0.5 on the realistic sample")
def _accuracy_trap(accuracy_cnn, score_rare_cnn, rare):
    truth_labels = labels(field(rare, "rare", "labels", "the realistic sample (with .labels)"), "rare.labels",
                          "the labels 0 (background) and 1 (signal) of the realistic sample", need=())
    scores = array(score_rare_cnn, "score_rare_cnn", "one CNN score per event of the realistic sample",
                   length=len(truth_labels), length_of="`rare.labels`")
    is_signal, selected = truth_labels == 1, scores > 0.5
    truth, always_background = float(np.mean(selected == is_signal)), float(np.mean(~is_signal))
    result = value("your accuracy", accuracy_cnn, truth - 1e-6, truth + 1e-6, variable="accuracy_cnn",
                   hint="Accuracy is the fraction of events whose decision (score > 0.5) equals the label.")
    if not result:
        return result
    return Feedback(True, f"{truth:.4f} at 0.5 against {always_background:.4f} for 'always background', with "
                          f"{int(selected[is_signal].sum())} signal and {int(selected[~is_signal].sum())} background "
                          "events selected: accuracy rewards ignoring the signal.")


def _best(row, variable: str) -> float:
    what = "the best row of a significance scan (scan.loc[scan.s_over_sqrt_b.idxmax()])"
    return number(field(row, variable, "s_over_sqrt_b", what), f"{variable}.s_over_sqrt_b",
                  "the best S/√B of the scan (one positive number)", positive=True)


@register("5.2", ("best_double", "best_cnn"), "the best S/√B of the CNN with twice the data")
def _double_data(best_double, best_cnn):
    ratio = _best(best_double, "best_double") / _best(best_cnn, "best_cnn")
    return value("the gain in S/√B", ratio, np.sqrt(2) - 0.01, np.sqrt(2) * 1.1,
                 hint="With both yields doubled S/√B grows by √2 at every cut: call significance_scan "
                      "with 2·N_S and 2·N_B on the same scores.")


_SYMMETRY_KEYS = {"generated": "as generated", "phi": "phi rotated", "eta": "eta reflected",
                  "energ": "energies x 1.3", "zoom": "zoomed"}


@register("5.3", ("symmetry_auc",), "the fold-0 CNN's validation AUC for each transformation of the images")
def _symmetries(symmetry_auc):
    names = ", ".join(f"'{v}'" for v in _SYMMETRY_KEYS.values())
    given = mapping(symmetry_auc, "symmetry_auc", f"a dict from transformation ({names}) to the validation AUC")
    found = {}
    for fragment in _SYMMETRY_KEYS:
        keys = [k for k in given if fragment in str(k).lower()]
        if len(keys) != 1:
            return Feedback(False, f"`symmetry_auc` needs one entry for each of {names}; got {list(given)}.")
        found[fragment] = number(given[keys[0]], f"symmetry_auc[{keys[0]!r}]", "an AUC between 0 and 1",
                                 low=0.0, high=1.0)
    nominal = found["generated"]
    moved = {f: found[f] - nominal for f in ("phi", "eta")}
    if max(abs(d) for d in moved.values()) > 0.02:
        return Feedback(False, f"a φ rotation changes the AUC by {moved['phi']:+.3f} and an η reflection by "
                               f"{moved['eta']:+.3f}: more than expected for symmetries the network was "
                               "trained with. Roll along the φ axis (the last) with wrap-around, flip the η axis.")
    if min(found["energ"], found["zoom"]) >= nominal:
        return Feedback(False, "neither the energy scale nor the zoom lowered the AUC: did you apply them "
                               "to the validation images before scoring?")
    return Feedback(True, f"AUC {nominal:.3f} as generated; φ rotation {moved['phi']:+.3f}, η reflection "
                          f"{moved['eta']:+.3f} (symmetries), energies ×1.3 {found['energ'] - nominal:+.3f}, zoom "
                          f"{found['zoom'] - nominal:+.3f} (they move the mass ≈ p_T ΔR/2).")


@register("5.4", ("working_points", "y_all", "cnn_all"),
          "a dict from background rejection to stats.working_point of the CNN")
def _tight_working_point(working_points, y_all, cnn_all):
    from ...stats import working_point

    y = labels(y_all, "y_all", "the labels 0 (background) and 1 (signal) of all the labelled events")
    scores = array(cnn_all, "cnn_all", "one CNN score per labelled event", length=len(y), length_of="`y_all`")
    given = mapping(working_points, "working_points",
                    "a dict from background rejection (1000 and a tighter one) to stats.working_point")
    rejections = {}
    for key in given:
        try:
            rejections[key] = number(key, "a key of working_points", "a rejection", low=1.0)
        except AnswerError:
            raise AnswerError(f"`working_points` has the key {key!r}; its keys should be background "
                              "rejections (numbers above 1, e.g. 1000).") from None
    if len(given) < 2 or 1000 not in {round(r) for r in rejections.values()}:
        return Feedback(False, f"`working_points` has the keys {list(given)}; it needs the rejection 1000 and a "
                               "tighter one as keys.")
    truths = {}
    for key, rejection in rejections.items():
        variable = f"working_points[{key!r}]"
        efficiency = number(field(given[key], variable, "signal_efficiency", "a stats.working_point result"),
                            f"{variable}.signal_efficiency", "a signal efficiency between 0 and 1",
                            low=0.0, high=1.0)
        try:
            truth = working_point(y, scores, rejection=rejection)
        except ValueError as error:
            raise AnswerError(f"a rejection of {rejection:g} cannot be measured on `y_all` and `cnn_all`: "
                              f"{error}.") from None
        if abs(efficiency - truth.signal_efficiency) > 1e-9:
            return Feedback(False, f"at a rejection of {rejection:g} your signal efficiency is "
                                   f"{efficiency:.3f}, expected {truth.signal_efficiency:.3f}: "
                                   "use the CNN scores of all the labelled events (y_all, cnn_all).")
        truths[rejection] = truth
    loose, tight = truths[min(truths)], truths[max(truths)]
    rel = [f"{w.signal_efficiency_error / w.signal_efficiency:.0%}" if w.signal_efficiency > 0 else "no signal left"
           for w in (loose, tight)]
    return Feedback(True, f"signal efficiency {loose.signal_efficiency:.3f} ± "
                          f"{loose.signal_efficiency_error:.3f} at {loose.rejection:.0f}, "
                          f"{tight.signal_efficiency:.3f} ± {tight.signal_efficiency_error:.3f} "
                          f"at {tight.rejection:.0f} (relative error {rel[0]} → {rel[1]}); only "
                          f"{tight.n_background * tight.background_efficiency:.0f} background events pass "
                          "the tight cut.")
