"""The conditional normalizing flow of hepcourse.models.flows (CATHODE's density estimator).

What it must do: learn a non-Gaussian p(x | m) well enough that a classifier cannot tell
its samples from real events at held-out m (a two-sample test that a wrong model fails),
give a properly normalised density in the data's units (the standardisation's Jacobian
included), be reproducible from a seed, keep its scaling in its state_dict, and refuse bad
input with messages that say what to do.
"""
import sys

import numpy as np
import pytest
import torch
from scipy.integrate import trapezoid
from scipy.stats import norm
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import threadpool_limits

from hepcourse.models.flows import MIN_EVENTS, ConditionalFlow
from hepcourse.stats import auc

pytest.importorskip("zuko", reason="needs zuko (pip install 'hepcourse[anomaly]')")

M_RANGE = (2900.0, 4100.0)  # GeV, the m_jj of the sidebands and the signal region
TOLERANCE = 0.03  # |AUC − 0.5| of the two-sample test (its DeLong error at 6000 + 6000: 0.005)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small models on one thread (a shared CPU makes waiting threads slow); sklearn too."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(threads)


def events(n, *, seed):
    """x [n, 2] and m [n] (GeV): x1 (GeV) from a two-component mixture whose means move
    with m (the second by ±90 GeV over the range, 3× its width), x2 in [0, 1] from a Beta
    distribution that depends on the component (so x1 and x2 are correlated)."""
    rng = np.random.default_rng(seed)
    m = rng.uniform(*M_RANGE, n)
    second = rng.random(n) < 0.35
    x1 = np.where(second, rng.normal(300 + 0.15 * (m - 3500), 30), rng.normal(120 + 0.05 * (m - 3500), 25))
    x2 = rng.beta(np.where(second, 5.0, 2.0), np.where(second, 2.0, 5.0))
    return np.column_stack([x1, x2]), m


def two_sample_auc(x_real, x_model, m):
    """Cross-validated AUC of a boosted-tree classifier telling real (x, m) from model
    (x, m) at the same m: 0.5 when the model's p(x | m) is indistinguishable."""
    X = np.vstack([np.column_stack([x_real, m]), np.column_stack([x_model, m])])
    y = np.r_[np.ones(len(x_real)), np.zeros(len(x_model))]
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    classifier = HistGradientBoostingClassifier(learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
                                                random_state=0)
    score = cross_val_predict(classifier, X, y, cv=folds, method="predict_proba")[:, 1]
    return auc(y, score)


@pytest.fixture(scope="module")
def trained():
    (x, m), (x_val, m_val) = events(6000, seed=1), events(2000, seed=2)
    flow = ConditionalFlow(2)
    history = flow.fit(x, m, x_val, m_val, seed=0)  # the defaults
    return flow, history, (x_val, m_val)


@pytest.fixture(scope="module")
def held_out():
    return events(6000, seed=3)


def test_flow_samples_pass_a_two_sample_classifier_test(trained, held_out):
    flow, _, _ = trained
    x, m = held_out
    result = two_sample_auc(x, flow.sample(m, seed=4), m)
    assert abs(result.value - 0.5) < TOLERANCE, result


def test_the_two_sample_test_catches_samples_at_the_wrong_m(trained, held_out):
    flow, _, _ = trained
    x, m = held_out
    shuffled = flow.sample(np.random.default_rng(5).permutation(m), seed=4)
    assert two_sample_auc(x, shuffled, m).value > 0.5 + 2 * TOLERANCE


def test_the_two_sample_test_catches_an_undertrained_flow(held_out):
    (x, m), (x_val, m_val) = events(6000, seed=1), events(2000, seed=2)
    flow = ConditionalFlow(2)
    flow.fit(x, m, x_val, m_val, epochs=1, batch_size=512, lr=1e-4, seed=0)
    x_test, m_test = held_out
    assert two_sample_auc(x_test, flow.sample(m_test, seed=4), m_test).value > 0.5 + 2 * TOLERANCE


def test_history_holds_the_validation_nll_of_the_kept_weights(trained):
    flow, history, (x_val, m_val) = trained
    frame = history.to_frame()
    assert list(frame.index) == list(range(1, len(history) + 1))
    assert frame.val_loss.min() == history.best_val_loss
    assert frame.val_loss.iloc[-1] < frame.val_loss.iloc[0] - 0.3  # it learned something
    assert -flow.log_prob(x_val, m_val).mean() == pytest.approx(history.best_val_loss, abs=1e-4)


def test_samples_follow_the_mass_dependence_and_the_bounds(trained):
    flow, _, _ = trained
    low, high = flow.sample(np.full(10000, 3000.0), seed=1), flow.sample(np.full(10000, 4000.0), seed=1)
    # from m = 3 to 4 TeV the mean of x1 moves by 0.65 × 50 + 0.35 × 150 = 85 GeV
    assert high[:, 0].mean() - low[:, 0].mean() == pytest.approx(85.0, abs=5.0)
    assert np.mean((low[:, 1] < 0) | (low[:, 1] > 1)) < 0.01  # x2 is in [0, 1]: little leaks out


def test_log_prob_is_a_normalised_density_in_the_data_units():
    """x | m ~ N(100 + 0.05 (m − 3500), 5 + 0.005 (m − 2900)) GeV: the flow's density (per
    GeV) must integrate to 1 at any m, with that Gaussian's mean and width, and its held-out
    NLL must be the true density's (their difference estimates the KL divergence). Without
    the Jacobian the integral would be off by σ_x of the standardisation (≈ 12 GeV here)."""
    def mean_width(m):
        return 100 + 0.05 * (m - 3500), 5 + 0.005 * (m - 2900)

    rng = np.random.default_rng(7)
    m = rng.uniform(*M_RANGE, 5000)
    x = rng.normal(*mean_width(m)).reshape(-1, 1)
    flow = ConditionalFlow(1, transforms=2, hidden=(32, 32))
    flow.fit(x[:4000], m[:4000], x[4000:], m[4000:], epochs=30, batch_size=256, seed=0)
    for at in (3000.0, 3500.0, 4000.0):
        mu, sigma = mean_width(at)
        grid = np.linspace(mu - 8 * sigma, mu + 8 * sigma, 2001)
        density = np.exp(flow.log_prob(grid, np.full(grid.size, at)))
        assert trapezoid(density, grid) == pytest.approx(1.0, abs=0.01)
        mean = trapezoid(density * grid, grid)
        assert mean == pytest.approx(mu, abs=0.12 * sigma)
        assert np.sqrt(trapezoid(density * (grid - mean) ** 2, grid)) == pytest.approx(sigma, rel=0.06)
    nll = -flow.log_prob(x[4000:], m[4000:]).mean()
    truth = -norm.logpdf(x[4000:, 0], *mean_width(m[4000:])).mean()
    assert nll == pytest.approx(truth, abs=0.03)


def test_a_fit_is_reproducible_from_its_seed():
    (x, m), (x_val, m_val) = events(600, seed=1), events(200, seed=2)
    torch.manual_seed(123)
    before = torch.rand(1)

    def log_prob(seed):
        flow = ConditionalFlow(2, transforms=2, hidden=(16, 16))
        flow.fit(x, m, x_val, m_val, epochs=3, batch_size=128, seed=seed)
        return flow.log_prob(x_val, m_val), flow.sample(m_val, seed=seed)

    first, second, other = log_prob(3), log_prob(3), log_prob(4)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    assert not np.allclose(first[0], other[0]) and not np.allclose(first[1], other[1])
    torch.manual_seed(123)
    assert torch.equal(torch.rand(1), before)  # fit and sample leave torch's random state alone


def test_sampling_is_seeded_and_the_state_dict_carries_the_scaling(trained):
    flow, _, (x_val, m_val) = trained
    assert np.array_equal(flow.sample(m_val, seed=1), flow.sample(m_val, seed=1))
    assert flow.sample(m_val, seed=np.random.default_rng(1)).shape == (len(m_val), 2)
    assert not np.allclose(flow.sample(m_val, seed=1), flow.sample(m_val, seed=2))
    copy = ConditionalFlow(2)
    copy.load_state_dict(flow.state_dict())
    assert np.array_equal(copy.log_prob(x_val, m_val), flow.log_prob(x_val, m_val))
    assert np.array_equal(copy.sample(m_val, seed=1), flow.sample(m_val, seed=1))
    with torch.no_grad():
        tensor = flow(torch.as_tensor(x_val, dtype=torch.float32),
                      torch.as_tensor(m_val, dtype=torch.float32).reshape(-1, 1))
    np.testing.assert_allclose(tensor.numpy(), flow.log_prob(x_val, m_val), atol=1e-3)


def test_bad_input_is_refused_with_a_clear_message(trained):
    flow, _, _ = trained
    (x, m), (x_val, m_val) = events(100, seed=1), events(50, seed=2)
    fresh = ConditionalFlow(2)
    with pytest.raises(ValueError, match=r"x: expected features of shape \[N, 2\]; got shape \(100, 3\)"):
        fresh.fit(np.column_stack([x, m]), m, x_val, m_val)
    with pytest.raises(ValueError, match="x has 100 events but context 99: give one context row per event"):
        fresh.fit(x, m[:-1], x_val, m_val)
    bad = x.copy()
    bad[5, 1] = np.nan
    with pytest.raises(ValueError, match="x: holds NaN"):
        fresh.fit(bad, m, x_val, m_val)
    with pytest.raises(ValueError, match=f"x_val: 5 events; fit needs at least {MIN_EVENTS}"):
        fresh.fit(x, m, x_val[:5], m_val[:5])
    with pytest.raises(ValueError, match=r"feature\(s\) \[1\] have no spread"):
        fresh.fit(np.column_stack([x[:, 0], np.full(100, 0.5)]), m, x_val, m_val)
    with pytest.raises(ValueError, match="must be > 0 with log_context=True"):
        fresh.fit(x, m - 3500, x_val, m_val)
    with pytest.raises(ValueError, match="schedule='onecycle'"):
        fresh.fit(x, m, x_val, m_val, schedule="onecycle")
    with pytest.raises(ValueError, match="epochs=0: must be at least 1"):
        fresh.fit(x, m, x_val, m_val, epochs=0)
    with pytest.raises(RuntimeError, match=r"not trained; call fit\(...\) first"):
        fresh.sample(m, seed=0)
    with pytest.raises(RuntimeError, match="not trained"):
        fresh.log_prob(x, m)
    with pytest.raises(ValueError, match=r"context: expected context values of shape \[N\] or \[N, 1\]"):
        flow.sample(np.column_stack([m, m]), seed=0)
    with pytest.raises(ValueError, match="context: holds NaN"):
        flow.sample(np.r_[m, np.nan], seed=0)
    with pytest.raises(TypeError, match="seed='one': expected an int"):
        flow.sample(m, seed="one")


def test_without_zuko_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "zuko", None)
    with pytest.raises(ImportError, match=r"needs zuko: pip install 'hepcourse\[anomaly\]'"):
        ConditionalFlow(2)
