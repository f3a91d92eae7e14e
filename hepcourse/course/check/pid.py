"""Self-checks of the particle-identification chapter (dE/dx, time of flight, Cherenkov)."""
from __future__ import annotations

import numpy as np

from .core import Feedback, array, auc, field, labels, mapping, number, register, value


@register("4.1", ("needed",), "the TOF path length (m) for 3σ π/K separation at 4 GeV with 80 ps")
def _tof_length(needed):
    from ...simulate.tracks import MASSES, time_of_flight

    per_metre = time_of_flight(4.0, MASSES["K"], 1.0) - time_of_flight(4.0, MASSES["pi"], 1.0)
    truth = 3 * 0.080 / per_metre
    return value("the path length", needed, 0.97 * truth, 1.03 * truth, "m", variable="needed",
                 hint="Δt grows linearly with L: L = 3σ_t / (Δt per metre at 4 GeV), "
                      "with times in ns and σ_t = 0.080 ns.")


@register("4.2", ("likelihood_ratio", "y_test"), "the K-vs-π log-likelihood ratio of each test track")
def _likelihood_ratio(likelihood_ratio, y_test):
    y = labels(y_test, "y_test", "the species label of each test track: 0 (π), 1 (K), 2 (p)...",
               classes=None, need=(0, 1))
    ratio = array(likelihood_ratio, "likelihood_ratio", "one log-likelihood ratio per test track",
                  length=len(y), length_of="`y_test`")
    pions_and_kaons = y < 2
    return auc(y[pions_and_kaons] == 1, ratio[pions_and_kaons], good=0.99, name="K-vs-π AUC",
               hint="ln L_h = −½ Σ nσ_d(h)² − Σ ln σ_d(h) over the detectors that measured "
                    "something (missing time: 0; σ from `resolutions`, NaN terms skipped); the "
                    "ratio is ln L_K − ln L_π: large means kaon-like.")


@register("4.3", ("results",), "accuracies per momentum bin (and overall) for each missing-value policy")
def _missing_policies(results):
    what = ("a dict from missing-value policy (e.g. 'indicator, fill 0' and 'mean, no indicator') to "
            "its accuracies per momentum bin followed by the overall accuracy")
    given = mapping(results, "results", what)

    def with_indicator(key) -> bool:
        text = str(key).lower()
        return "indicator" in text and "no indicator" not in text

    indicator = [k for k in given if with_indicator(k)]
    other = [k for k in given if not with_indicator(k)]
    if len(indicator) != 1 or not other:
        return Feedback(False, f"`results` has the keys {list(given)}; it needs one policy with an indicator "
                               "(key containing 'indicator') and one without (e.g. the mean fill).")
    accuracies = "accuracies between 0 and 1, one per momentum bin and the overall one last"
    best = array(given[indicator[0]], f"results[{indicator[0]!r}]", accuracies, min_length=2, low=0.0, high=1.0)
    worst = array(given[other[0]], f"results[{other[0]!r}]", accuracies, length=len(best),
                  length_of=f"`results[{indicator[0]!r}]`", low=0.0, high=1.0)
    if best[-1] < 0.9:
        return Feedback(False, f"overall accuracy with the indicator is {best[-1]:.3f}; train longer or "
                               "check the features (log_p, dedx, cherenkov_angle).")
    gap = float(np.max(best[:-1] - worst[:-1]))
    return value("the largest per-bin gain from the indicator", gap, 0.005, 1.0,
                 hint="The mean fill makes 'no ring' look like an average ring: compare the bins "
                      "where kaons and protons are below the aerogel threshold.")


@register("4.4", ("gain", "offset", "shifted"), "the measured dE/dx gain and TOF offset (ns)")
def _recalibration(gain, offset, shifted):
    what = "the miscalibrated Detector (Detector().shifted())"
    true_gain = number(field(shifted, "shifted", "dedx_gain", what), "shifted.dedx_gain", "a gain factor")
    true_offset = number(field(shifted, "shifted", "tof_offset", what), "shifted.tof_offset", "an offset in ns")
    result = value("the dE/dx gain", gain, true_gain - 0.02, true_gain + 0.02, variable="gain",
                   hint="Divide the measured dE/dx by the expectation for the TRUE species and take "
                        "the median (robust against tails).")
    if not result:
        return result
    return value("the TOF offset", offset, true_offset - 0.02, true_offset + 0.02, "ns", variable="offset",
                 hint="Median of measured minus expected time, with the track's own path length.")

