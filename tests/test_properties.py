"""Property-based robustness of the public API (hypothesis): bad input raises TypeError or
ValueError whose message names the argument, and nothing hangs.

Each case is (function, argument name, call(value)); hypothesis draws hostile values
(bools, NaN, ±inf, negative and fractional numbers, strings, lists, None, huge numbers)
and every call must either succeed (for a value that is in fact valid) or raise one of
the two clear errors naming the argument. A call that takes longer than a few seconds
counts as a hang.
"""
from __future__ import annotations

import math
import signal
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hepcourse import data, simulate, stats, validate
from hepcourse.course import check
from hepcourse.models import CNN, MLP
from hepcourse.train import fit, predict

HOSTILE = st.one_of(
    st.booleans(),
    st.none(),
    st.just(float("nan")), st.just(float("inf")), st.just(-float("inf")),
    st.integers(-10**6, 0),
    st.floats(-1e3, 1e3).filter(lambda x: x != int(x) if math.isfinite(x) else True),
    st.text(max_size=4),
    st.lists(st.integers(1, 5), min_size=0, max_size=2),
    st.just(object()),
)
FRACTION_HOSTILE = st.one_of(
    st.booleans(), st.none(), st.just(float("nan")), st.just(float("inf")),
    st.floats(1.0001, 1e6), st.floats(-1e6, -1e-6), st.text(max_size=3), st.lists(st.floats(0, 1), max_size=2),
)


class Hang(Exception):
    pass


def _alarm(seconds: int):
    def handler(signum, frame):
        raise Hang(f"no answer within {seconds} s")
    signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)


def assert_clear(call, value, argument: str, seconds: int = 20):
    """call(value) succeeds, or raises TypeError/ValueError naming ``argument``."""
    _alarm(seconds)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(value)
    except (TypeError, ValueError) as err:
        assert argument in str(err), f"{type(err).__name__} for {argument}={value!r} does not name it: {err}"
    except Hang:
        pytest.fail(f"{argument}={value!r} hangs")
    except Exception as err:  # an obscure error is a failure
        pytest.fail(f"{argument}={value!r} gives an obscure {type(err).__name__}: {err}")
    finally:
        signal.alarm(0)


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

COUNT_CASES = {
    "zmumu n": (lambda v: simulate.zmumu(v, seed=0), "n"),
    "hzz n": (lambda v: simulate.hzz(v, seed=0), "n"),
    "hepmass n": (lambda v: simulate.hepmass(v, seed=0), "n"),
    "pid n": (lambda v: simulate.pid(v, seed=0), "n"),
    "images n": (lambda v: simulate.images(v, seed=0, signal_fraction=0.5), "n"),
    "images size": (lambda v: simulate.images(4, size=v, seed=0, signal_fraction=0.5), "size"),
    "dimuon n": (lambda v: simulate.dimuon_search(v, seed=0), "n"),
    "zmumu seed": (lambda v: simulate.zmumu(10, seed=v), "seed"),
    "hepmass seed": (lambda v: simulate.hepmass(10, seed=v), "seed"),
    "pid seed": (lambda v: simulate.pid(10, seed=v), "seed"),
    "load n": (lambda v: data.load("zmumu", source="simulated", n=v), "n"),
    "MLP n_inputs": (lambda v: MLP(v), "n_inputs"),
    "MLP hidden": (lambda v: MLP(3, hidden=[v]), "hidden"),
    "CNN image_size": (lambda v: CNN(image_size=v), "image_size"),
    "predict batch_size": (lambda v: predict(MLP(3, hidden=(4,)), np.zeros((5, 3), np.float32), batch_size=v), "batch_size"),
    "confusion n_classes": (lambda v: stats.confusion([0, 1], [0, 1], v), "n_classes"),
    "reliability bins": (lambda v: stats.reliability_table([0, 1], [0.2, 0.7], bins=v), "bins"),
}


@pytest.mark.parametrize("case", sorted(COUNT_CASES))
@SETTINGS
@given(value=HOSTILE)
def test_counts_and_seeds_reject_bad_values_clearly(case, value):
    call, argument = COUNT_CASES[case]
    if isinstance(value, int) and not isinstance(value, bool) and value == 0 and argument == "seed":
        return  # seed 0 is valid
    assert_clear(call, value, argument)


FRACTION_CASES = {
    "zmumu signal_fraction": (lambda v: simulate.zmumu(10, seed=0, signal_fraction=v), "signal_fraction"),
    "hepmass signal_fraction": (lambda v: simulate.hepmass(10, seed=0, signal_fraction=v), "signal_fraction"),
    "images signal_fraction": (lambda v: simulate.images(4, seed=0, signal_fraction=v), "signal_fraction"),
    "dimuon signal_fraction": (lambda v: simulate.dimuon_search(10, seed=0, signal_fraction=v), "signal_fraction"),
    "binomial cl": (lambda v: stats.binomial_interval(1, 2, cl=v), "cl"),
}


@pytest.mark.parametrize("case", sorted(FRACTION_CASES))
@SETTINGS
@given(value=FRACTION_HOSTILE)
def test_fractions_reject_bad_values_clearly(case, value):
    call, argument = FRACTION_CASES[case]
    assert_clear(call, value, argument)


@SETTINGS
@given(value=st.one_of(st.just(float("inf")), st.just(float("nan")), st.just(-500.0), st.just(0.0), st.text(max_size=3)))
def test_hepmass_masses_never_hang(value):
    assert_clear(lambda v: simulate.hepmass(10, seed=0, masses=[v]), value, "masses", seconds=10)


@pytest.mark.parametrize("parameter", ["pileup", "noise", "stochastic", "constant", "threshold", "mass", "width"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0])
def test_images_detector_parameters_must_be_finite(parameter, value):
    if parameter in ("mass",) and value == -1.0:
        value = -100.0
    with pytest.raises((TypeError, ValueError), match=parameter):
        simulate.images(8, seed=0, signal_fraction=0.5, **{parameter: value})


@SETTINGS
@given(value=st.one_of(st.booleans(), st.just(float("nan")), st.integers(-5, 0), st.just(2.5), st.text(max_size=2)))
def test_fit_rejects_bad_epochs_and_batch_sizes(value):
    X = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    for argument in ("epochs", "batch_size"):
        assert_clear(lambda v: fit(MLP(3, hidden=(4,)), (X, y), **{argument: v}, progress=False, device="cpu"),
                     value, argument)


def test_load_rejects_an_unknown_option_for_every_source():
    for source in ("simulated", "auto"):
        with pytest.raises(ValueError, match="nn"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data.load("zmumu", source=source, nn=10)


def test_validate_helpers_name_the_argument():
    with pytest.raises(TypeError, match="n="):
        validate.count(True, "n")
    with pytest.raises(ValueError, match="n="):
        validate.count(2.5, "n")
    with pytest.raises(ValueError, match="x="):
        validate.real(float("nan"), "x")
    assert validate.count(1e3, "n") == 1000
    assert isinstance(validate.rng(np.random.default_rng(1)), np.random.Generator)


MALFORMED = [None, "text", [], {}, float("nan"), np.array([]), np.full(3, np.nan), {"a": 1}, -1, object()]


@pytest.mark.parametrize("key", check.keys())
@pytest.mark.parametrize("answer", range(len(MALFORMED)))
def test_a_self_check_never_raises_on_a_malformed_answer(key, answer):
    from hepcourse.course.check.core import _EXERCISES

    names = _EXERCISES[key][0]
    namespace = {name: MALFORMED[answer] for name in names}
    _alarm(30)
    try:
        feedback = check.exercise(key, namespace)
    finally:
        signal.alarm(0)
    assert not feedback, f"{key}: a malformed answer ({MALFORMED[answer]!r}) passed"
    assert str(feedback)


def test_models_reject_bad_inputs_at_forward_time():
    model = MLP(3, hidden=(4,))
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        model(torch.zeros(2, 5))
