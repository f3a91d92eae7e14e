"""Every simulator checks its arguments with hepcourse.validate: a bad count, fraction or
seed raises TypeError or ValueError naming the argument; the seed is keyword-only and may
be an int or a numpy Generator (the same Generator state gives the same events)."""
from __future__ import annotations

import inspect

import awkward as ak
import numpy as np
import pandas as pd
import pytest

from hepcourse import simulate

SIMULATORS = {
    "zmumu": lambda n, **kw: simulate.zmumu(n, **kw),
    "hzz": lambda n, **kw: simulate.hzz(n, **kw),
    "hepmass": lambda n, **kw: simulate.hepmass(n, **kw),
    "pid": lambda n, **kw: simulate.pid(n, **kw),
    "images": lambda n, **kw: simulate.images(n, size=8, **kw),
    "dimuon_search": lambda n, **kw: simulate.dimuon_search(n, **kw),
    "jets": lambda n, **kw: simulate.jets(n, workers=1, progress=False, **kw),  # Pythia 8: small n
    "dijets": lambda n, **kw: simulate.dijets(n, workers=1, progress=False, **kw),  # Pythia 8: small n
}
BAD_COUNTS = [(True, TypeError), (float("nan"), ValueError), ([4], TypeError), (-5, ValueError),
              (0, ValueError), (2.5, ValueError), ("10", TypeError), (None, TypeError)]


@pytest.mark.parametrize("name", sorted(SIMULATORS))
@pytest.mark.parametrize("value, error", BAD_COUNTS)
def test_a_bad_number_of_events_names_n(name, value, error):
    with pytest.raises(error, match=r"^n="):
        SIMULATORS[name](value, seed=0)


@pytest.mark.parametrize("name", sorted(SIMULATORS))
@pytest.mark.parametrize("value, error", [(True, TypeError), (-1, ValueError), (1.5, ValueError),
                                          ("0", TypeError), (None, TypeError)])
def test_a_bad_seed_names_seed(name, value, error):
    with pytest.raises(error, match=r"^seed="):
        SIMULATORS[name](10, seed=value)


@pytest.mark.parametrize("name", sorted(SIMULATORS))
def test_seed_is_keyword_only(name):
    function = getattr(simulate, name)
    assert inspect.signature(function).parameters["seed"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("name", sorted(SIMULATORS))
def test_a_generator_seed_gives_the_same_events_as_the_same_generator_state(name):
    def digest(result):
        if isinstance(result, pd.DataFrame):
            return result.to_json()
        if isinstance(result, ak.Array):
            return str(ak.to_list(result))
        return result.images.tobytes() + result.truth.to_json().encode()

    a = SIMULATORS[name](20, seed=np.random.default_rng(11))
    b = SIMULATORS[name](20, seed=np.random.default_rng(11))
    assert digest(a) == digest(b)


@pytest.mark.parametrize("name", ["zmumu", "hepmass", "images", "dimuon_search", "jets", "dijets"])
@pytest.mark.parametrize("value, error", [(1.5, ValueError), (-0.1, ValueError), (float("nan"), ValueError),
                                          (float("inf"), ValueError), ("half", TypeError), (True, TypeError)])
def test_fractions_lie_in_zero_one(name, value, error):
    with pytest.raises(error, match="signal_fraction"):
        SIMULATORS[name](10, seed=0, signal_fraction=value)
