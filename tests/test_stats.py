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


# --- rejection at a fixed signal efficiency ---------------------------------------------------

def _gaussian_toy(rng, n_signal=500, n_background=5000, shift=2.0):
    y = np.r_[np.ones(n_signal), np.zeros(n_background)]
    return y, np.r_[rng.normal(shift, 1, n_signal), rng.normal(0, 1, n_background)]


def test_rejection_interval_covers_on_toys_with_the_threshold_error_included():
    """Signal N(2,1), background N(0,1), ε_S = 0.5: the cut's true place is 2, so
    1/ε_B = 1/(1 − Φ(2)) ≈ 44. With 500 signal events the threshold moves by ≈ 0.06, which
    changes ε_B more than the background count's own binomial error does: an interval from
    the background count alone would cover only ≈ 45% of the toys."""
    rng = np.random.default_rng(11)
    truth = 1 / scipy_stats.norm.sf(2.0)
    inside = inside_fixed_threshold = 0
    for toy in range(200):
        r = stats.rejection_at_efficiency(*_gaussian_toy(rng), efficiency=0.5, n_boot=1000, seed=toy)
        inside += r.low <= truth <= r.high
        _, low, high = stats.binomial_interval(r.n_background_passing, r.n_background)
        inside_fixed_threshold += 1 / high <= truth <= 1 / low
    assert 0.60 < inside / 200 < 0.76
    assert inside_fixed_threshold / 200 < 0.58  # the threshold's own error matters here


def test_rejection_at_efficiency_reports_what_it_measured_and_is_reproducible():
    y, score = _gaussian_toy(np.random.default_rng(12))
    r = stats.rejection_at_efficiency(y, score, efficiency=0.3, seed=5)
    assert r.signal_efficiency == pytest.approx(0.3, abs=1 / 500)
    assert r.n_signal == 500 and r.n_background == 5000 and r.target_efficiency == 0.3
    assert r.n_background_passing == np.count_nonzero(score[y == 0] > r.threshold)
    assert r.rejection == pytest.approx(5000 / r.n_background_passing)
    assert r.background_efficiency == pytest.approx(1 / r.rejection)
    assert r.background_low < r.background_efficiency < r.background_high
    assert r.low == pytest.approx(1 / r.background_high) and r.high == pytest.approx(1 / r.background_low)
    _, cp_low, cp_high = stats.binomial_interval(r.n_background_passing, 5000)
    assert r.background_low <= cp_low and r.background_high >= cp_high  # never narrower
    assert r == stats.rejection_at_efficiency(y, score, efficiency=0.3, seed=5)
    half = stats.rejection_at_efficiency(y, score, efficiency=0.5, seed=5)  # the bootstrap decides here
    other = stats.rejection_at_efficiency(y, score, efficiency=0.5, seed=6)
    assert (half.low, half.high) != (other.low, other.high)
    assert "1/ε_B" in str(r)


def test_rejection_with_no_background_passing_gives_a_one_sided_lower_limit():
    y = np.r_[np.ones(100), np.zeros(3000)]
    score = np.r_[np.linspace(1, 2, 100), np.linspace(-1, 0, 3000)]  # perfectly separated
    r = stats.rejection_at_efficiency(y, score, efficiency=0.9, cl=0.9)
    assert r.n_background_passing == 0 and r.rejection == np.inf and r.high == np.inf
    assert r.background_low == 0.0
    limit = 1 - (1 - 0.9) ** (1 / 3000)  # Clopper-Pearson for 0 of 3000 at 90%
    assert r.background_high == pytest.approx(limit) and r.low == pytest.approx(1 / limit)
    assert "no background" in str(r)


@pytest.mark.parametrize("kwargs, name", [({"efficiency": 1.0}, "efficiency"),
                                          ({"efficiency": 0.0001}, "efficiency"),
                                          ({"n_boot": 5}, "n_boot"), ({"cl": 0}, "cl"),
                                          ({"seed": -1}, "seed")])
def test_rejection_at_efficiency_names_a_bad_argument(kwargs, name):
    y, score = _gaussian_toy(np.random.default_rng(13), n_signal=100, n_background=200)
    with pytest.raises(ValueError, match=name):
        stats.rejection_at_efficiency(y, score, **kwargs)


def test_paired_rejection_difference_covers_on_toys():
    """x1, x2 independent, N(1.5, 1) for signal and N(0, 1) for background; a = (x1+x2)/√2
    is a better classifier than b = x1 and correlated with it (ρ = 1/√2). At ε_S = 0.5 the
    true rejections are 1/(1 − Φ(1.5√2)) and 1/(1 − Φ(1.5))."""
    rng = np.random.default_rng(14)
    truth = 1 / scipy_stats.norm.sf(1.5 * np.sqrt(2)) - 1 / scipy_stats.norm.sf(1.5)
    inside = significant = 0
    for toy in range(200):
        y = np.r_[np.ones(500), np.zeros(5000)]
        x1, x2 = (np.r_[rng.normal(1.5, 1, 500), rng.normal(0, 1, 5000)] for _ in range(2))
        d = stats.rejection_difference(y, (x1 + x2) / np.sqrt(2), x1, efficiency=0.5, n_boot=400, seed=toy)
        inside += d.low <= truth <= d.high
        significant += d.significant
    assert 0.60 < inside / 200 < 0.76
    assert significant == 200


def test_paired_rejection_difference_is_tighter_than_two_single_intervals_and_zero_for_twins():
    rng = np.random.default_rng(15)
    y, base = _gaussian_toy(rng, n_signal=2000, n_background=20_000)
    other = base + 0.1 * rng.normal(0, 1, base.size)  # nearly the same classifier
    d = stats.rejection_difference(y, other, base, efficiency=0.5, seed=1)
    ra = stats.rejection_at_efficiency(y, other, efficiency=0.5, seed=1)
    rb = stats.rejection_at_efficiency(y, base, efficiency=0.5, seed=2)
    assert d.rejection_a == pytest.approx(ra.rejection) and d.rejection_b == pytest.approx(rb.rejection)
    assert d.value == pytest.approx(ra.rejection - rb.rejection)
    assert d.ratio == pytest.approx(ra.rejection / rb.rejection)
    assert d.low < d.value < d.high and d.ratio_low < d.ratio < d.ratio_high
    unpaired = np.hypot(ra.high - ra.low, rb.high - rb.low)
    assert d.high - d.low < 0.6 * unpaired
    same = stats.rejection_difference(y, base, base, efficiency=0.5)
    assert same.value == same.low == same.high == 0.0 and not same.significant
    assert "not distinguishable" in str(same)


def test_rejection_difference_refuses_what_it_cannot_measure():
    y, score = _gaussian_toy(np.random.default_rng(16), n_signal=200, n_background=2000)
    with pytest.raises(ValueError, match="same events"):
        stats.rejection_difference(y, score, score[:10])
    separated = np.where(y == 1, 10.0 + score, score)
    with pytest.raises(ValueError, match="no background event passes the cut of score_a"):
        stats.rejection_difference(y, separated, score, efficiency=0.5)
    with pytest.raises(ValueError, match="efficiency"):
        stats.rejection_difference(y, score, score, efficiency=1.5)


# --- choose on validation, report on test -----------------------------------------------------

def _flat_figure_sample(rng, n):
    """Background scores uniform, signal with ε_S(t) = √(1 − t), so ε_B = ε_S²: EVERY cut
    has the same true S/√B = n_signal/√n_background, and only noise decides the optimum."""
    y = np.r_[np.ones(n), np.zeros(n)]
    return y, np.r_[1 - rng.uniform(size=n) ** 2, rng.uniform(size=n)]


def test_a_cut_chosen_on_noise_flatters_the_validation_sample_but_not_the_test_sample():
    rng = np.random.default_rng(17)
    truth = 50 / np.sqrt(1000)
    optimism, test_bias = [], []
    for _ in range(30):
        cut = stats.optimise_cut(*_flat_figure_sample(rng, 2000), *_flat_figure_sample(rng, 50_000),
                                 n_signal=50, n_background=1000, figure="s_over_sqrt_b")
        optimism.append(cut.validation - truth)
        test_bias.append(cut.test - truth)
    optimism, test_bias = np.array(optimism), np.array(test_bias)
    assert optimism.mean() > 4 * optimism.std(ddof=1) / np.sqrt(30)  # biased up
    assert abs(test_bias.mean()) < 3 * test_bias.std(ddof=1) / np.sqrt(30) + 0.01  # not biased
    assert optimism.mean() > 5 * abs(test_bias.mean())


def test_optimise_cut_reports_the_test_sample_at_the_validation_threshold():
    rng = np.random.default_rng(18)
    val, test = _gaussian_toy(rng, 5000, 50_000, 1.5), _gaussian_toy(rng, 5000, 50_000, 1.5)
    cut = stats.optimise_cut(*val, *test, n_signal=50, n_background=5000)
    scan = stats.significance_scan(*val, n_signal=50, n_background=5000)
    assert cut.threshold == scan.threshold[scan.z_asimov.idxmax()] and cut.validation == scan.z_asimov.max()
    y, score = test
    assert cut.signal_efficiency_test == pytest.approx(np.mean(score[y == 1] > cut.threshold))
    assert cut.background_efficiency_test == pytest.approx(np.mean(score[y == 0] > cut.threshold))
    assert cut.expected_signal == pytest.approx(50 * cut.signal_efficiency_test)
    assert cut.test == pytest.approx(float(stats.asimov_significance(cut.expected_signal, cut.expected_background)))
    assert cut.signal_test_low < cut.signal_efficiency_test < cut.signal_test_high
    assert cut.background_test_low < cut.background_efficiency_test < cut.background_test_high
    assert cut.optimism == pytest.approx(cut.validation - cut.test)
    # the same cut judged by S/√B, which is larger than the Asimov Z
    naive = stats.optimise_cut(*val, *test, n_signal=50, n_background=5000, figure="s_over_sqrt_b")
    assert naive.test >= float(stats.asimov_significance(naive.expected_signal, naive.expected_background))
    with pytest.raises(ValueError, match="figure"):
        stats.optimise_cut(*val, *test, n_signal=50, n_background=5000, figure="z")


# --- seed ensembles -----------------------------------------------------------------------------

def test_over_seeds_runs_the_function_once_per_seed():
    calls = []

    def measure(seed):
        calls.append(seed)
        return np.float32(np.random.default_rng(seed).normal(0.9, 0.01))

    spread = stats.over_seeds(measure, range(10))
    assert calls == list(range(10)) and spread.seeds == tuple(range(10))
    expected = [float(np.float32(np.random.default_rng(s).normal(0.9, 0.01))) for s in range(10)]
    assert spread.values == pytest.approx(expected)
    assert spread.mean == pytest.approx(np.mean(expected)) and spread.std == pytest.approx(np.std(expected, ddof=1))
    assert spread.error == pytest.approx(spread.std / np.sqrt(10))


def test_over_seeds_names_what_is_wrong():
    with pytest.raises(TypeError, match="seeds"):
        stats.over_seeds(float, 5)  # a count is not a list of seeds: use range(5)
    with pytest.raises(ValueError, match="seeds"):
        stats.over_seeds(float, [3])
    with pytest.raises(ValueError, match="seeds"):
        stats.over_seeds(float, [1, 1])
    with pytest.raises(TypeError, match="function"):
        stats.over_seeds(0.5, [1, 2])
    with pytest.raises(TypeError, match=r"function\(1\) returned"):
        stats.over_seeds(lambda seed: "high", [1, 2])
    with pytest.raises(ValueError, match=r"function\(2\) returned nan"):
        stats.over_seeds(lambda seed: np.nan if seed == 2 else 0.5, [1, 2])


def test_every_public_name_is_importable_from_the_package():
    import importlib

    for name in stats.__all__:
        assert getattr(stats, name).__doc__, name
    for module in ("intervals", "cuts", "significance", "classifiers", "calibration", "seeds"):
        assert module not in stats.__all__
        importlib.import_module(f"hepcourse.stats.{module}")


def test_glue_hands_plain_python_numbers_to_the_book():
    from hepcourse.course import glue
    from hepcourse.course.prose import GLUED

    assert type(glue("a_numpy_float", np.float64(0.25))) is float
    assert type(glue("a_zero_d_array", np.array(3))) is int
    assert glue("a_string", "not distinguishable") == "not distinguishable"
    assert GLUED["a_numpy_float"] == 0.25
    with pytest.raises(ValueError, match="identifier"):
        glue("not an identifier", 1.0)
