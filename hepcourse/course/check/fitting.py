"""Self-checks of the fitting chapter (Z peak, cross-validation, Minuit, awkward arrays)."""
from __future__ import annotations

import numpy as np

from .core import AnswerError, Feedback, array, field, mapping, number, register, value

_MINUIT = "the iminuit.Minuit object of your fit (after migrad() and hesse())"


def _minuit(got, variable: str, what: str = _MINUIT):
    """``got`` if it looks like a Minuit fit (valid, values, errors, parameters), else AnswerError."""
    for attribute in ("valid", "values", "errors", "parameters", "covariance"):
        field(got, variable, attribute, what)
    try:
        parameters = tuple(got.parameters)
    except TypeError:
        raise AnswerError(f"`{variable}` should be {what}, but its parameters cannot be read.") from None
    return got, parameters


def _parameter(fit, variable: str, name: str) -> float:
    return number(fit.values[name], f"{variable}.values[{name!r}]", f"the fitted {name}")


@register("1.1", ("cv_best",), "the polynomial degree chosen by 5-fold cross-validation")
def _cv_degree(cv_best):
    degree = number(cv_best, "cv_best", "the polynomial degree (a whole number) with the lowest "
                                        "cross-validated RMS", integer=True)
    return value("the cross-validated degree", degree, 2, 6,
                 hint="Average the RMS over the folds for each degree and take the minimum; "
                      "did you use shuffle=True in KFold?")


@register("1.2", ("free",), "the Minuit fit with a free Z width")
def _free_width(free):
    free, parameters = _minuit(free, "free")
    if not {"sigma", "width"} <= set(parameters):
        return Feedback(False, f"`free` has the parameters {list(parameters)}; your fit needs parameters "
                               "named `sigma` (the resolution) and `width` (Γ_Z).")
    if not free.valid:
        return Feedback(False, "the fit with a free width (`free`) did not converge: start from the fixed-width "
                               "values and limit sigma and width to positive values.")
    if free.covariance is None:
        return Feedback(False, "`free` has no covariance matrix: run free.hesse() after free.migrad().")
    rho = number(free.covariance.correlation()["sigma", "width"],
                 "free.covariance.correlation()['sigma', 'width']",
                 "a correlation between -1 and 1 (run free.hesse())")
    width = value("Γ_Z", _parameter(free, "free", "width"), 1.0, 5.0, "GeV")
    if not width:
        return width
    if rho > -0.5:
        return Feedback(False, f"the sigma-width correlation is {rho:+.2f}; expected strongly negative. "
                               "Did HESSE run after MIGRAD?")
    return Feedback(True, f"Γ_Z = {free.values['width']:.2f} ± {free.errors['width']:.2f} GeV with a "
                          f"σ–Γ correlation of {rho:+.2f}: the data cannot separate the two widths.")


@register("1.3", ("results",), "a dict of the fits for 'GG', 'GT' and 'TT'")
def _kinds(results):
    fits = mapping(results, "results", "a dict of the three Minuit fits {'GG': ..., 'GT': ..., 'TT': ...}")
    if set(fits) != {"GG", "GT", "TT"}:
        return Feedback(False, f"`results` has the keys {list(fits)}; expected 'GG', 'GT', 'TT'.")
    peaks = []
    for kind in ("GG", "GT", "TT"):
        fit, parameters = _minuit(fits[kind], f"results[{kind!r}]", "the Minuit fit (fit_zpeak) of the "
                                                                  f"{kind} candidates")
        if "m" not in parameters:
            return Feedback(False, f"`results[{kind!r}]` has the parameters {list(parameters)}; expected a fit "
                                   "of the peak position `m` (use fit_zpeak).")
        peaks.append(_parameter(fit, f"results[{kind!r}]", "m"))
    bad = [k for k in ("GG", "GT", "TT") if not fits[k].valid]
    if bad:
        return Feedback(False, f"the fits of {bad} in `results` are not valid minima.")
    spread = float(np.ptp(peaks))
    return value("the spread of the three peak positions", spread, 0.0, 0.4, "GeV",
                 hint="The three fits use the same collisions; one candidate per collision each?")


@register("1.4", ("n_hard", "hzz"), "the number of jets with pT > 30 GeV per event")
def _hard_jets(n_hard, hzz):
    import awkward as ak

    what = "the H→ZZ events (the awkward array with Jet_Px and Jet_Py)"
    px, py = field(hzz, "hzz", "Jet_Px", what), field(hzz, "hzz", "Jet_Py", what)
    try:
        truth = ak.to_numpy(ak.sum(np.hypot(px, py) > 30, axis=1))
    except Exception:
        raise AnswerError(f"`hzz` should be {what}; its Jet_Px and Jet_Py cannot be read as jets per "
                          "event.") from None
    counts = array(n_hard, "n_hard", "one count of hard jets per event", length=truth.size,
                   length_of="`hzz`")
    if np.array_equal(counts, truth):
        return Feedback(True, f"correct: {np.mean(truth >= 2):.1%} of the events have two or more such jets.")
    return Feedback(False, f"{np.mean(counts != truth):.1%} of your counts in `n_hard` differ; count jets with "
                           "pT = √(px² + py²) > 30 GeV per event (ak.sum of a mask with axis=1).")
