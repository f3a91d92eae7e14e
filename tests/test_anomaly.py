"""The searches without a signal model (analysis.anomaly, analysis.weak_supervision):
regions and injection, k-fold scoring that never scores an event with a classifier that saw
it, and the false-alarm rate of the whole CWoLa pipeline on background only, as a
statistical test over independent seeds (not one lucky seed)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, norm

from hepcourse.analysis import anomaly
from hepcourse.analysis import weak_supervision as ws
from hepcourse.analysis.baselines import boosted_trees

REGIONS = anomaly.Regions()


@pytest.fixture(autouse=True)
def one_thread():
    """Trees on a few thousand events: one OpenMP thread is as fast, and does not fight the
    other test worker for the second core (two threads on a busy core are many times slower)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
WIDTH = 170.0  # GeV: the W′'s m_jj resolution at 3.5 TeV (the chapter measures it)


def toy_background(n: int, seed: int) -> pd.DataFrame:
    """A QCD-like background of ``n`` events: m_jj falling as m^-7 from 2.8 to 6 TeV, jet
    masses and τ21 values independent of it (the hypothesis under which CWoLa is exact)."""
    rng = np.random.default_rng(seed)
    low, high, p = 2800.0, 6000.0, 7.0
    u = rng.uniform(size=n)
    mjj = (low ** (1 - p) + u * (high ** (1 - p) - low ** (1 - p))) ** (1 / (1 - p))
    mj1 = rng.gamma(3.0, 60.0, n)
    return pd.DataFrame({"mjj": mjj, "mj1": mj1, "delta_mj": mj1 * rng.beta(2, 3, n),
                         "tau21_j1": rng.beta(5, 4, n), "tau21_j2": rng.beta(6, 4, n),
                         "label": np.zeros(n, np.int64)})


def toy_signal(n: int, seed: int) -> pd.DataFrame:
    """A resonance at 3.5 TeV (σ 170 GeV) with two-prong jets of the W and Z masses."""
    rng = np.random.default_rng(seed)
    m1, m2 = rng.normal(91, 8, n), rng.normal(80, 8, n)
    return pd.DataFrame({"mjj": rng.normal(3500, WIDTH, n), "mj1": m1, "delta_mj": m1 - m2,
                         "tau21_j1": rng.beta(2, 5, n), "tau21_j2": rng.beta(2, 5, n),
                         "label": np.ones(n, np.int64)})


def test_regions_split_mjj_into_windows_and_reject_bad_ones():
    regions = REGIONS.of([2850, 3000, 3400, 3800, 4200])
    assert list(regions) == ["", "low", "sr", "high", ""]
    assert REGIONS.centre == 3500 and REGIONS.shifted(3900).sr == (3700, 4100)
    assert REGIONS.fit_range == (2900, 4100) and REGIONS.in_fit_range([2899, 2900, 4099, 4100]).tolist() == [
        False, True, True, False]
    with pytest.raises(ValueError, match="below m_jj = 0"):
        anomaly.Regions(sr=(300, 700), sideband=400)
    with pytest.raises(ValueError, match="low < high"):
        anomaly.Regions(sr=(3700, 3300))


def test_injection_adds_the_first_signal_events_and_keeps_every_background_event():
    background, signal = toy_background(500, 1), toy_signal(50, 2)
    data = anomaly.inject(background, signal, 20, seed=3)
    assert len(data) == 520 and data.label.sum() == 20
    assert np.isin(signal.mjj[:20], data.mjj).all() and not np.isin(signal.mjj[20:], data.mjj).any()
    assert np.isin(background.mjj, data.mjj).all()
    with pytest.raises(ValueError, match="generate more signal"):
        anomaly.inject(background, signal, 51)


def test_kfold_never_scores_an_event_with_a_classifier_that_saw_it():
    seen = []

    class Memorise:
        """Scores 1 the events it was trained on, 0 the others."""

        def __init__(self, x):
            self.rows = {tuple(r) for r in x}

        def predict_proba(self, x):
            p = np.array([float(tuple(r) in self.rows) for r in x])
            return np.stack([1 - p, p], axis=1)

    def classifier(x, y, seed):
        seen.append(len(x))
        return Memorise(x)

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 4)), rng.integers(0, 2, 300)
    scores, rest = ws.kfold_scores(x, y, k=5, seed=1, rest=x[:10] + 100, classifier=classifier)
    assert seen == [240] * 5 and np.all(scores == 0) and np.all(rest == 0)


def test_cwola_finds_an_injected_resonance_that_the_bump_hunt_alone_misses():
    data = anomaly.inject(toy_background(12_000, 5), toy_signal(400, 6), 150, seed=7)
    none = ws.selection_significance(data, np.zeros(len(data)), REGIONS, 1.0, WIDTH, shape="power_law")
    scores = ws.cwola_scores(data, REGIONS, seed=8)
    cut = ws.selection_significance(data, scores, REGIONS, 0.05, WIDTH, shape="power_law")
    assert none.z < 3 and cut.z > 5 and cut.z > none.z + 2
    assert cut.true_signal / 150 > 0.3  # a third of the injected events survive the 5% cut


def _background_only_z(seed: int, in_sample: bool = False) -> float:
    data = toy_background(4000, 1000 + seed)
    if in_sample:  # one classifier, free to memorise, scores its own training events
        windows = REGIONS.in_fit_range(data.mjj)
        x = data.loc[windows, list(anomaly.FEATURES)].to_numpy()
        model = boosted_trees(x, REGIONS.in_sr(data.mjj[windows]).astype(int), seed=seed, max_iter=200,
                              validation_fraction=0.01)
        scores = np.full(len(data), np.nan)
        scores[windows] = model.predict_proba(x)[:, 1]
    else:
        scores = ws.cwola_scores(data, REGIONS, seed=seed, k=3)
    return ws.selection_significance(data, scores, REGIONS, 0.1, WIDTH, shape="power_law").z


def _false_alarms_are_chance(z: np.ndarray) -> bool:
    """Under the null hypothesis Z is at most half-normal: P(Z > 3) = 0.13%, P(Z > 2) = 2.3%.
    False when the count above either level has a binomial probability below 10⁻³ (the test's
    false-alarm rate, per count)."""
    return all(binom.sf(int(np.sum(z > level)) - 1, z.size, norm.sf(level)) > 1e-3 for level in (2.0, 3.0))


def test_cwola_on_background_only_fakes_no_more_discoveries_than_chance():
    """Twelve independent background-only samples through the whole pipeline (k-fold CWoLa,
    a 10% cut, the bump hunt on the sidebands and signal region)."""
    z = np.array([_background_only_z(seed) for seed in range(12)])
    assert _false_alarms_are_chance(z), z.round(2)
    assert 0.15 < np.mean(z == 0) < 0.85  # one-sided: about half of the samples have no excess at all


def test_scoring_the_training_events_fails_the_same_test():
    """Without k-fold the classifier learns the signal region's own events and finds them."""
    z = np.array([_background_only_z(seed, in_sample=True) for seed in range(6)])
    assert not _false_alarms_are_chance(z) and np.median(z) > 2, z.round(2)
