"""Self-checks of the chapter on searches without a signal model (dijets, autoencoders,
CWoLa, CATHODE)."""
from __future__ import annotations

import numpy as np

from .core import AnswerError, Feedback, array, field, number, register, value


def _table(got, variable: str):
    """A features table (pandas DataFrame with mjj and label), or AnswerError."""
    for column in ("mjj", "label"):
        try:
            got[column]
        except Exception:
            raise AnswerError(f"`{variable}` should be the chapter's events table (a DataFrame of "
                              f"hepcourse.analysis.anomaly.features, with a `{column}` column)") from None
    return got


@register("7.1", ("s_sr", "b_sr", "z_asimov", "data"), "the signal and background in the signal region, "
          "and their Asimov significance")
def _counting(s_sr, b_sr, z_asimov, data):
    from ...analysis.anomaly import Regions
    from ...stats import asimov_significance

    table = _table(data, "data")
    in_sr = Regions().in_sr(np.asarray(table["mjj"], dtype=float))
    label = np.asarray(table["label"])
    s_true, b_true = int(np.sum(label[in_sr] == 1)), int(np.sum(label[in_sr] == 0))
    s = number(s_sr, "s_sr", "the number of true signal events in the signal region", integer=True, low=0)
    b = number(b_sr, "b_sr", "the number of true QCD events in the signal region", integer=True, low=0)
    if s != s_true or b != b_true:
        return Feedback(False, f"`data` has S = {s_true} and B = {b_true} in the signal region 3.3–3.7 TeV "
                               f"(REGIONS.in_sr(data.mjj)); you have s_sr = {s:g}, b_sr = {b:g}. Count "
                               "label == 1 and label == 0 there.")
    z = number(z_asimov, "z_asimov", "the Asimov significance (σ)")
    expected = float(asimov_significance(s_true, b_true))
    if abs(z - expected) > 1e-3 * max(1.0, expected):
        return Feedback(False, f"z_asimov = {z:.4g}, but stats.asimov_significance({s_true}, {b_true}) = "
                               f"{expected:.4g}.")
    return Feedback(True, f"S = {s_true}, B = {b_true}: S/B = {100 * s_true / max(b_true, 1):.2f}%, "
                          f"Z_Asimov = {expected:.2f}σ for a counting experiment that knew B exactly.",
                    {"value": expected})


@register("7.2", ("median_ratio_plain", "median_ratio_disco", "errors_plain", "errors_disco", "m_qcd"),
          "how much a 10% cut on each autoencoder's error moves the QCD jet mass")
def _sculpting(median_ratio_plain, median_ratio_disco, errors_plain, errors_disco, m_qcd):
    mass = array(m_qcd, "m_qcd", "the held-out QCD jets' masses (GeV)", low=0.0)
    ratios = {}
    for name, errors, given in (("plain", errors_plain, median_ratio_plain), ("disco", errors_disco,
                                                                              median_ratio_disco)):
        e = array(errors, f"errors_{name}", "one reconstruction error per held-out QCD jet", length=len(mass),
                  length_of="`m_qcd`")
        cut = e > np.quantile(e, 0.9)
        ratios[name] = float(np.median(mass[cut]) / np.median(mass))
        mine = number(given, f"median_ratio_{name}", "a ratio of two median masses", positive=True)
        if abs(mine - ratios[name]) > 0.02 * ratios[name]:
            return Feedback(False, f"median_ratio_{name} = {mine:.3g}, but the median mass of the jets above the "
                                   f"90% quantile of errors_{name}, over the median of all, is {ratios[name]:.3g}.")
    verdict = ("the plain cut keeps heavier QCD jets" if ratios["plain"] > ratios["disco"] else
               "no difference yet: autoencoders trained for a few epochs (smoke mode) have not learned the mass")
    return Feedback(True, f"a 10% cut moves the QCD jet-mass median by ×{ratios['plain']:.2f} (plain) and "
                          f"×{ratios['disco']:.2f} (DisCo): {verdict}.", {"value": ratios["disco"]})


@register("7.3", ("scores_in_sample", "z_in_sample", "z_kfold", "background", "EFFICIENCY", "WIDTH"),
          "the CWoLa bump hunt on background only, scored in sample and out of fold")
def _kfold(scores_in_sample, z_in_sample, z_kfold, background, EFFICIENCY, WIDTH):  # noqa: N803
    from ...analysis import weak_supervision as ws
    from ...analysis.anomaly import Regions

    table = _table(background, "background")
    regions = Regions()
    windows = regions.in_fit_range(np.asarray(table["mjj"], dtype=float))
    scores = array(scores_in_sample, "scores_in_sample", "one score per row of `background` (NaN outside the "
                   "windows)", length=len(table), length_of="`background`", finite=False)
    if not np.all(np.isfinite(scores[windows])):
        return Feedback(False, "`scores_in_sample` has NaN for events in the sidebands or the signal region: score "
                               "every event of REGIONS.in_fit_range(background.mjj).")
    efficiency = number(EFFICIENCY, "EFFICIENCY", "the chapter's selection efficiency", low=0.0, high=1.0)
    width = number(WIDTH, "WIDTH", "the resolution in GeV", positive=True)
    expected = ws.selection_significance(table, scores, regions, efficiency, width).z
    mine = number(z_in_sample, "z_in_sample", "a local significance (σ)", low=0.0)
    if abs(mine - expected) > 0.02 + 0.01 * expected:
        return Feedback(False, f"z_in_sample = {mine:.3g}, but the bump hunt after your scores gives "
                               f"{expected:.3g}σ; use ws.selection_significance(background, scores_in_sample, "
                               "REGIONS, EFFICIENCY, WIDTH).z.")
    kfold = number(z_kfold, "z_kfold", "the k-fold pipeline's local significance (σ)", low=0.0)
    if kfold > 3:
        return Feedback(False, f"z_kfold = {kfold:.2f}σ on background only: use ws.cwola_scores(background, REGIONS, "
                               "seed=1), which scores every event out of fold.")
    return value("the in-sample minus the k-fold local significance", expected - kfold, 1.0, np.inf, "σ",
                 hint="A classifier scored on its own training events should find the signal region it was "
                      "told to find: train with max_iter=300 and validation_fraction=0.01.")


@register("7.4", ("auc_sr",), "the AUC of true signal-region background against the flow's samples")
def _interpolation(auc_sr):
    auc_value = number(field(auc_sr, "auc_sr", "value", "the AUC object of stats.auc"), "auc_sr.value",
                       "an AUC between 0 and 1", low=0.0, high=1.0)
    return value("the AUC of true SR background against flow samples", auc_value, 0.4, 0.65,
                 hint="Sample the flow at the m_jj of the true background events of the signal region "
                      "(one sample each), label the real ones 1 and the samples 0, and score them out of fold "
                      "with ws.kfold_scores.")
