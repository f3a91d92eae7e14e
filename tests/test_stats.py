"""hepcourse.stats: exact intervals cover, significance formulas agree in their limits,
working points keep what they promise."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from hepcourse import stats


def test_clopper_pearson_matches_the_beta_quantiles_and_handles_the_edges():
    eff, low, high = stats.binomial_interval([0, 3, 10, 0], [10, 10, 10, 0])
    assert eff[:3] == pytest.approx([0.0, 0.3, 1.0])
    assert low[0] == 0.0 and high[2] == 1.0
    assert low[1] == pytest.approx(scipy_stats.beta.ppf(0.15865, 3, 8), rel=1e-3)
    assert high[1] == pytest.approx(scipy_stats.beta.ppf(0.84135, 4, 7), rel=1e-3)
    assert np.isnan(eff[3]) and np.isnan(low[3]) and np.isnan(high[3])
    with pytest.raises(ValueError, match="k <= n"):
        stats.binomial_interval(5, 4)
    with pytest.raises(ValueError, match="cl"):
        stats.binomial_interval(1, 2, cl=1.5)


@pytest.mark.parametrize("true_eff", [0.02, 0.3, 0.9])
def test_clopper_pearson_covers_at_least_its_confidence_on_toys(true_eff):
    rng = np.random.default_rng(4)
    n = 40
    k = rng.binomial(n, true_eff, 4000)
    _, low, high = stats.binomial_interval(k, np.full_like(k, n), cl=0.6827)
    coverage = np.mean((low <= true_eff) & (true_eff <= high))
    assert coverage >= 0.6827 - 0.015  # exact intervals over-cover, never under-cover


def test_asimov_significance_limits():
    assert stats.asimov_significance(10, 100) == pytest.approx(10 / np.sqrt(100), rel=0.05)
    assert stats.asimov_significance(5, 0) == 0.0
    assert stats.asimov_significance(10, 1) < 10 / np.sqrt(1)  # S/√B overstates small B
    with pytest.raises(ValueError):
        stats.asimov_significance(-1, 4)


def test_working_point_keeps_the_promised_background_fraction():
    rng = np.random.default_rng(1)
    y = np.r_[np.ones(20_000), np.zeros(200_000)]
    score = np.r_[rng.normal(2.0, 1.0, 20_000), rng.normal(0.0, 1.0, 200_000)]
    wp = stats.working_point(y, score, rejection=100)
    assert wp.rejection == pytest.approx(100, rel=0.05)
    expected = 1 - scipy_stats.norm.cdf(scipy_stats.norm.ppf(0.99) - 2.0)
    assert wp.signal_efficiency == pytest.approx(expected, abs=3 * wp.signal_efficiency_error + 0.005)
    assert wp.signal_low < wp.signal_efficiency < wp.signal_high
    with pytest.raises(ValueError, match="needs more than"):
        stats.working_point(y[:20_050], score[:20_050], rejection=100)


def test_significance_scan_uses_the_asimov_formula():
    rng = np.random.default_rng(2)
    y = np.r_[np.ones(5000), np.zeros(50_000)]
    score = np.r_[rng.normal(1.5, 1, 5000), rng.normal(0, 1, 50_000)]
    scan = stats.significance_scan(y, score, n_signal=50, n_background=5000)
    assert np.allclose(scan.z_asimov, stats.asimov_significance(scan.S, scan.B))
    assert (scan.B >= 1).all()


def test_confusion_with_unidentified_and_both_normalisations():
    y = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 1, 1, -1, 2, 2])
    c = stats.confusion(y, pred, 3)
    assert c.shape == (3, 4)
    assert c[0].tolist() == [0.5, 0.5, 0.0, 0.0]
    assert c[1, 3] == 0.5
    assert np.allclose(stats.confusion(y, pred, 3, normalize="pred")[:, 1], [0.5, 0.5, 0.0])
    assert stats.confusion(y, pred, 3, normalize=None).sum() == 6
    with pytest.raises(ValueError, match="normalize"):
        stats.confusion(y, pred, 3, normalize="all rows")


def test_reliability_of_calibrated_and_overconfident_probabilities():
    rng = np.random.default_rng(3)
    prob = rng.uniform(0, 1, 100_000)
    truth = rng.uniform(0, 1, 100_000) < prob
    assert stats.expected_calibration_error(truth, prob) < 0.01
    assert stats.expected_calibration_error(truth, prob**3) > 0.1
    table = stats.reliability_table(truth, prob, bins=5)
    assert len(table) == 5 and (table.err_low >= 0).all() and (table.err_high >= 0).all()
    assert np.allclose(table.fraction, table.mean_prob, atol=0.02)
    with pytest.raises(ValueError, match="prob"):
        stats.reliability_table(truth, prob + 1.0)


def test_auc_matches_sklearn_and_its_error_covers_on_toys():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(5)
    inside, truth = 0, 1 - scipy_stats.norm.cdf(-1 / np.sqrt(2))  # AUC of N(1,1) vs N(0,1)
    for toy in range(200):
        y = np.r_[np.ones(300), np.zeros(300)]
        s = np.r_[rng.normal(1, 1, 300), rng.normal(0, 1, 300)]
        result = stats.auc(y, s)
        if toy == 0:
            assert result.value == pytest.approx(roc_auc_score(y, s))
        inside += result.low <= truth <= result.high
    assert 0.6827 - 0.08 < inside / 200 < 0.6827 + 0.08


def test_paired_difference_is_tighter_than_the_single_errors_and_says_when_it_is_zero():
    rng = np.random.default_rng(6)
    y = np.r_[np.ones(2000), np.zeros(2000)]
    base = np.r_[rng.normal(1, 1, 2000), rng.normal(0, 1, 2000)]
    better = base + np.r_[np.full(2000, 0.2), np.zeros(2000)]  # signal shifted up: a better score
    noisy = base + 0.05 * rng.normal(0, 1, 4000)
    d = stats.auc_difference(y, better, base)
    single = stats.auc(y, base).error
    assert d.error < single and d.significant and d.value > 0
    same = stats.auc_difference(y, noisy, base)
    assert abs(same.value) < 3 * same.error + 1e-4
    with pytest.raises(ValueError, match="same events"):
        stats.auc_difference(y, base, base[:10])


def test_seed_spread():
    spread = stats.seed_spread([0.90, 0.91, 0.92])
    assert spread.mean == pytest.approx(0.91) and spread.std == pytest.approx(0.01)
    with pytest.raises(ValueError, match="values"):
        stats.seed_spread([0.9])
