"""The two-hour student project: find a new dimuon resonance.

Samples (all from :func:`hepcourse.simulate.dimuon.dimuon_search`, seeded):

- :func:`training_sample`  labelled simulation: Z' at several masses and the three backgrounds;
- :func:`test_features`    unlabelled events; their truth stays inside :func:`hepcourse.course.check.project`;
- :func:`collision_data`   the "data": the backgrounds plus a Z' of a mass the students must find.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import validate
from ..config import size
from ..simulate.dimuon import FEATURES, dimuon_search

TRAIN_SEED = 2026
TEST_SEED = 7_340_561  # the held-out truth; the students only ever see the features
DATA_SEED = 9_114_087
HIDDEN_MASS = 420.0  # GeV: what the students are looking for
DATA_EVENTS = 20_000
DATA_SIGNAL = 45
TARGET_AUC = 0.75  # the reference solution (gradient-boosted trees) reaches about 0.77
BASELINE_AUC = 0.67  # the isolation sum alone


def training_sample(n: int | None = None) -> pd.DataFrame:
    """Labelled simulation: half Z' (masses 300-1200 GeV), half background; n events
    (default 200k, 50k in smoke mode)."""
    n = size(200_000, 50_000) if n is None else validate.count(n, "n")
    return dimuon_search(n, signal_fraction=0.5, signal_mass=(300, 450, 600, 800, 1000, 1200),
                         seed=TRAIN_SEED)


def _test_sample(n: int) -> pd.DataFrame:
    return dimuon_search(n, signal_fraction=0.5, signal_mass=(300, 450, 600, 800, 1000, 1200),
                         seed=TEST_SEED)


def held_out_size() -> int:
    """How many events :func:`test_features` gives by default (and
    :func:`hepcourse.course.check.project` expects): 20k, 5k in smoke mode."""
    return size(20_000, 5_000)


def test_features(n: int | None = None) -> pd.DataFrame:
    """The held-out events to score for :func:`hepcourse.course.check.project`: the classifier
    inputs and m_μμ, without labels (default :func:`held_out_size` events: 20k, 5k in smoke
    mode). With another ``n``, pass the same ``n`` to ``check.project``."""
    n = held_out_size() if n is None else validate.count(n, "n")
    return _test_sample(n)[list(FEATURES) + ["m_mumu"]]


def _collision_truth() -> pd.DataFrame:
    rng = np.random.default_rng(DATA_SEED)
    background = dimuon_search(DATA_EVENTS - DATA_SIGNAL, signal_fraction=0.0,
                               seed=int(rng.integers(2**31)))
    signal = dimuon_search(DATA_SIGNAL, signal_fraction=1.0, signal_mass=HIDDEN_MASS,
                           seed=int(rng.integers(2**31)))
    events = pd.concat([background, signal], ignore_index=True)
    return events.iloc[rng.permutation(len(events))].reset_index(drop=True)


def collision_data() -> pd.DataFrame:
    """The "collision data": 20,000 dimuon events above 150 GeV, unlabelled, that
    contain a few dozen Z' decays of unknown mass."""
    return _collision_truth()[list(FEATURES) + ["mu1_pt", "mu2_pt", "pt_mumu", "m_mumu"]]


def expected_significance(s, b):
    """Asimov discovery significance Z = √(2((s+b) ln(1+s/b) − s)) for s signal and b
    background events (numbers or arrays of shapes that broadcast); Z = 0 where b = 0.

    Raises TypeError for non-numbers and ValueError for NaN, infinite or negative yields
    and for shapes that do not broadcast, naming ``s`` or ``b``.
    """
    for name, given in (("s", s), ("b", b)):
        if given is None:
            raise TypeError(f"{name}=None: expected a number of events (or an array of them)")
    s, b = validate.reals(s, "s", low=0.0), validate.reals(b, "b", low=0.0)
    try:
        np.broadcast_shapes(s.shape, b.shape)
    except ValueError:
        raise ValueError(f"s has shape {s.shape} and b {b.shape}: they must broadcast "
                         "(one s per b, or a single number)") from None
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.sqrt(np.maximum(2 * ((s + b) * np.log1p(s / b) - s), 0.0))
    return np.where(b > 0, z, 0.0)


# The ROC curve to beat: the reference solution (gradient-boosted trees on FEATURES,
# trained on training_sample()) on the held-out events, as signal efficiency at these
# background efficiencies.
REFERENCE_BACKGROUND_EFFICIENCY = np.linspace(0.05, 1.0, 20)
REFERENCE_SIGNAL_EFFICIENCY = np.array([
    0.143, 0.25, 0.353, 0.46, 0.559, 0.652, 0.75, 0.849, 0.935, 0.994,
    1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
