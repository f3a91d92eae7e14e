"""Self-checks of the GPU chapter (compilation, bfloat16, throughput, resumable training)."""
from __future__ import annotations

import numpy as np

from .core import AnswerError, Feedback, array, describe, keys_of, mapping, number, register, value

_BENCHMARK_COLUMNS = ("device", "precision", "compile", "compiled", "samples_per_s", "one_off_s")


def _break_even(compiled) -> dict:
    """{(device, precision): events after which compiling pays off} from the benchmark table."""
    what = f"the benchmark table (a pandas DataFrame with the columns {list(_BENCHMARK_COLUMNS)})"
    columns = getattr(compiled, "columns", None)
    if columns is None or not hasattr(compiled, "groupby"):
        raise AnswerError(f"`compiled` should be {what}, but it is {describe(compiled)}.")
    missing = [c for c in _BENCHMARK_COLUMNS if c not in set(columns)]
    if missing:
        raise AnswerError(f"`compiled` has no column {missing}; expected {what}.")
    expected = {}
    for (dev, precision), rows in compiled.groupby(["device", "precision"]):
        flag = rows["compile"].astype(bool)
        if not flag.any() or flag.all():
            raise AnswerError(f"`compiled` needs an eager (compile=False) and a compiled (compile=True) row "
                              f"for ({dev!r}, {precision!r}).")
        eager, comp = rows[~flag].iloc[0], rows[flag].iloc[0]
        if bool(comp["compiled"]):
            where = f"{dev} {precision}"
            rate_eager = number(eager["samples_per_s"], "compiled.samples_per_s",
                                f"a positive rate (the eager row of {where})", positive=True)
            rate_comp = number(comp["samples_per_s"], "compiled.samples_per_s",
                               f"a positive rate (the compiled row of {where})", positive=True)
            cost = number(comp["one_off_s"], "compiled.one_off_s",
                          f"a compile time in seconds, ≥ 0 (the compiled row of {where})", low=0.0)
            saving = 1 / rate_eager - 1 / rate_comp
            expected[(dev, precision)] = cost / saving if saving > 0 else np.inf
    return expected


@register("8.1", ("payoff", "compiled"),
          "a dict from (device, precision) to the number of events after which compiling pays off")
def _compile_payoff(payoff, compiled):
    expected = _break_even(compiled)
    given = mapping(payoff, "payoff", "a dict from (device, precision) to the number of events after which "
                                      "compiling pays off (np.inf for never)")
    if set(given) != set(expected):
        return Feedback(False, f"`payoff` has the keys {keys_of(given)}; expected one entry for each (device, "
                               f"precision) where compiling worked: {keys_of(expected)}.")
    for key, events in expected.items():
        got = number(given[key], f"payoff[{key!r}]", "a number of events (np.inf when compiling never pays off)",
                     low=0.0, infinite=True)
        if not np.isclose(got, events, rtol=1e-3):
            return Feedback(False, f"{key}: you find {got:,.0f} events, expected {events:,.0f}. "
                                   "Break-even: one-off cost c = n (1/r_eager − 1/r_compiled), and np.inf "
                                   "when compiled is not faster.")
    if not expected:
        return Feedback(True, "compiling did not work on any device here, so there is nothing to pay off.")
    return Feedback(True, "; ".join(f"{d} {p}: " + ("never" if np.isinf(e) else f"after {e:,.0f} events")
                                    for (d, p), e in expected.items()) + ".")


@register("8.2", ("spacing", "as_bf16"), "the spacing of bfloat16 numbers near 1000 and the masses in bfloat16")
def _bfloat16(spacing, as_bf16):
    import torch

    masses = torch.tensor([1000.0, 1001.0, 1002.0, 1003.0, 1004.0])
    truth = masses.to(torch.bfloat16).double().numpy()
    result = value("the spacing near 1000", spacing, 4.0, 4.0, "GeV", variable="spacing",
                   hint="bfloat16 keeps 8 significant bits: between 512 and 1024 the step is 2^(9−7).")
    if not result:
        return result
    converted = array(as_bf16, "as_bf16", "the five masses 1000–1004 GeV converted to bfloat16",
                      length=len(truth))
    if not np.array_equal(converted, truth):
        return Feedback(False, f"your converted masses {converted.tolist()} in `as_bf16` differ from bfloat16's "
                               f"{truth.tolist()}: convert with .to(torch.bfloat16).")
    return Feedback(True, f"1000–1004 GeV become {truth.tolist()}: steps of 4 GeV, below the 30 GeV width "
                          "of X, and autocast standardises in float32 before the network sees the numbers.")


@register("8.3", ("rate_512", "rate_4096", "step_costs"),
          "the per-device throughput at 512 and 4096 events per step from the fixed-cost model")
def _per_device_rate(rate_512, rate_4096, step_costs):
    costs = mapping(step_costs, "step_costs", "a dict from device to its step costs (t0, t1) in seconds")
    if "cpu" not in costs:
        return Feedback(False, f"`step_costs` has the keys {keys_of(costs)}; expected an entry 'cpu' with (t0, t1).")
    try:
        t0, t1 = costs["cpu"]
    except (TypeError, ValueError):
        raise AnswerError(f"`step_costs['cpu']` should be the pair (t0, t1) in seconds, but it is "
                          f"{describe(costs['cpu'])}.") from None
    t0 = number(t0, "step_costs['cpu'][0]", "the fixed cost per step t0 in seconds")
    t1 = number(t1, "step_costs['cpu'][1]", "the cost per event t1 in seconds")
    rates = {}
    for batch, got, variable in ((512, rate_512, "rate_512"), (4096, rate_4096, "rate_4096")):
        if t0 + batch * t1 <= 0:
            raise AnswerError(f"`step_costs['cpu']` = ({t0:.3g}, {t1:.3g}) gives a step time t0 + B t1 ≤ 0 at "
                              f"B = {batch}; expected the fitted (t0, t1) in seconds.")
        truth = batch / (t0 + batch * t1)
        rates[batch] = number(got, variable, f"the throughput at {batch} events per step (events/s)")
        if not np.isclose(rates[batch], truth, rtol=1e-3):
            return Feedback(False, f"at {batch} events per step the model gives {truth:,.0f} events/s, you have "
                                   f"{rates[batch]:,.0f} in `{variable}`: rate = B / (t0 + B t1) with the CPU's "
                                   "t0 and t1.")
    return Feedback(True, f"{rates[512] / rates[4096]:.2f} of the throughput at 4096: smaller steps "
                          "pay the fixed cost t0 more often.")


@register("8.4", ("saved",), "the training state loaded with load_state")
def _training_state(saved):
    state = mapping(saved, "saved", "the training state dict returned by load_state(job / 'state.pt')")
    missing = [k for k in ("epoch", "step", "finished", "rng", "history") if k not in state]
    if missing:
        return Feedback(False, f"`saved` has no {missing}: load job / 'state.pt' with load_state, "
                               "not the best-weights checkpoint.")
    history = mapping(state["history"], "saved['history']", "the training history (a dict with 'epochs')")
    if "epochs" not in history:
        raise AnswerError(f"`saved['history']` has the keys {keys_of(history)}; expected 'epochs' among them.")
    try:
        epochs, n_rng = len(history["epochs"]), len(state["rng"])
    except TypeError:
        raise AnswerError("`saved['history']['epochs']` and `saved['rng']` should be lists (one entry per "
                          "epoch, one random state per generator).") from None
    epoch = int(number(state["epoch"], "saved['epoch']", "the number of finished epochs", integer=True, low=0))
    step = int(number(state["step"], "saved['step']", "the number of optimiser steps", integer=True, low=0))
    finished = state["finished"]
    if not isinstance(finished, (bool, np.bool_)):
        raise AnswerError(f"`saved['finished']` should be True or False, but it is {describe(finished)}.")
    if not finished or epochs != epoch or epoch == 0:
        return Feedback(False, f"the state in `saved` is at epoch {epoch} with {epochs} epochs of history, "
                               f"finished={bool(finished)}: read it after the resumed run has ended.")
    return Feedback(True, f"epoch {epoch}, {step} steps ({step // epoch} per epoch), finished, "
                          f"{n_rng} random state(s): everything a resume needs.")
