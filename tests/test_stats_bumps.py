"""hepcourse.stats.bumps: the background shapes are normalised, the fits recover what the
toys were drawn with, background-only local Z is half-normal, an injected peak is found
where it was put, and the Gross-Vitells global p-value agrees with counting toys."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import cumulative_trapezoid, quad
from scipy.stats import kstest

from hepcourse import stats
from hepcourse.stats import bumps

MUMU = (150.0, 1500.0)   # GeV: a dimuon-like fit range, power law p = 4
JJ = (2800.0, 6000.0)    # GeV: the dijet chapter's m_jj fit range at √s = 13 TeV
A, B = 10.0, 5.0         # the dijet function's (1 − x)^a / x^b


def power_law_sample(n, p, rng, fit_range=MUMU):
    """Exact inverse CDF of m^-p on the range (independent of the package)."""
    low, high = fit_range
    u = rng.uniform(size=n)
    return (low ** (1 - p) + u * (high ** (1 - p) - low ** (1 - p))) ** (1 / (1 - p))


def dijet_sample(n, rng, a=A, b=B, fit_range=JJ, sqrt_s=13000.0):
    """Inverse CDF of (1 − x)^a / x^b tabulated on a fine linear grid in m."""
    m = np.linspace(*fit_range, 200_001)
    x = m / sqrt_s
    cdf = cumulative_trapezoid((1 - x) ** a / x ** b, m, initial=0.0)
    return np.interp(rng.uniform(size=n) * cdf[-1], cdf, m)


def peak_sample(n, m0, width, rng, fit_range):
    m = rng.normal(m0, width, 3 * n)
    return m[(m > fit_range[0]) & (m < fit_range[1])][:n]


def within(k, n, value, cl=0.997):
    """True when ``value`` lies in the Clopper-Pearson interval of k/n at ``cl``."""
    _, low, high = stats.binomial_interval(k, n, cl)
    return low <= value <= high


@pytest.mark.parametrize("shape, fit_range, params", [
    ("power_law", MUMU, {"p": 4.0}), ("power_law", MUMU, {"p": 1.0}), ("power_law", JJ, {"p": 12.0}),
    ("dijet", JJ, {"a": A, "b": B, "c": 0.0}), ("dijet", JJ, {"a": A, "b": B, "c": 0.4}),
    ("dijet", (1000.0, 9000.0), {"a": 30.0, "b": 3.0, "c": -0.2}), ("dijet3", JJ, {"a": A, "b": B})])
def test_background_shapes_are_normalised_on_the_fit_range(shape, fit_range, params):
    class Fixed:  # stands in for the Minuit object: the fit at given values
        parameters = ("n_b",) + tuple(params)
        values = (250.0,) + tuple(params.values())

    fit = bumps.BackgroundFit(Fixed(), shape, fit_range, 13000.0, 250)
    total, _ = quad(fit.density, *fit_range, epsrel=1e-12, limit=200)
    assert total == pytest.approx(250.0, rel=1e-8)


@pytest.mark.parametrize("shape", ["power_law", "dijet"])
def test_fits_recover_the_parameters_the_toys_were_drawn_with(shape):
    rng = np.random.default_rng(1)
    if shape == "power_law":
        fit_range, truth, m0, width = MUMU, {"p": 4.0}, 500.0, 12.0
        masses = power_law_sample(20_000, 4.0, rng)
    else:
        fit_range, truth, m0, width = JJ, {"a": A, "b": B, "c": 0.0}, 4000.0, 250.0
        masses = dijet_sample(20_000, rng)
    outside = np.r_[10.0, 1e5]  # dropped: outside the range
    fit = bumps.fit_background(np.r_[masses, outside], fit_range, shape)
    assert fit.valid and fit.n_events == 20_000 and fit.shape == shape
    assert fit.values["n_b"] == pytest.approx(20_000, abs=1.0)  # extended fit: n̂_b = N without signal
    for name, value in truth.items():
        assert abs(fit.values[name] - value) < 3 * fit.minuit.errors[name], (name, fit.values)
    n_s = 400
    signal = peak_sample(n_s, m0, width, rng, fit_range)
    peak = bumps.fit_peak(np.r_[masses, signal], m0, width, fit_range, shape, start=fit)
    assert peak.valid and peak.m0 == m0
    assert abs(peak.values["n_s"] - n_s) < 3 * peak.minuit.errors["n_s"]
    assert peak.values["n_b"] + peak.values["n_s"] == pytest.approx(20_000 + n_s, abs=1.0)


def test_toys_follow_the_fitted_shape_with_poisson_counts():
    rng = np.random.default_rng(2)
    fit = bumps.fit_background(power_law_sample(5000, 4.0, rng), MUMU)
    p, (low, high) = fit.values["p"], MUMU
    toy = fit.sample(np.random.default_rng(3))
    cdf = lambda m: (m ** (1 - p) - low ** (1 - p)) / (high ** (1 - p) - low ** (1 - p))
    assert kstest(toy, cdf).pvalue > 0.01
    sizes = [fit.sample(seed).size for seed in range(40)]
    assert abs(np.mean(sizes) - 5000) < 4 * np.sqrt(5000 / 40)
    assert np.std(sizes) == pytest.approx(np.sqrt(5000), rel=0.35)
    np.testing.assert_array_equal(fit.sample(7), fit.sample(7))


@pytest.mark.parametrize("shape", ["power_law", "dijet"])
def test_background_only_local_z_is_half_normal(shape):
    """Chernoff: with n_s ≥ 0, q0 is ½δ(0) + ½χ²₁, so P(Z = 0) = 1/2 and P(Z > 1) = 0.159."""
    rng = np.random.default_rng(5)
    z, n_s = [], []
    for _ in range(200):
        if shape == "power_law":
            excess = bumps.local_excess(power_law_sample(300, 4.0, rng), 400.0, 15.0, MUMU)
        else:
            excess = bumps.local_excess(dijet_sample(300, rng), 4000.0, 250.0, JJ, "dijet")
        z.append(excess.z)
        n_s.append(excess.n_s)
    z, n_s = np.array(z), np.array(n_s)
    assert within(np.sum(z == 0), z.size, 0.5)
    assert within(np.sum(z > 1), z.size, 0.1587)
    assert np.sum(z > 3) <= 2
    assert np.all(n_s >= 0) and np.all(n_s[z > 0.5] > 0)
    assert bumps.local_significance(power_law_sample(300, 4.0, rng), 400.0, 15.0, MUMU) >= 0


def test_scan_finds_an_injected_peak_at_its_mass():
    rng = np.random.default_rng(8)
    m0, width = 4300.0, lambda m: 0.06 * m   # σ = 258 GeV at 4.3 TeV
    masses = np.r_[dijet_sample(20_000, rng), peak_sample(300, m0, width(m0), rng, JJ)]
    grid = np.arange(3000.0, 5601.0, 100.0)
    table = bumps.scan(masses, grid, width, JJ, shape="dijet")
    assert list(table.columns[:3]) == ["m0", "width", "z"] and "n_s" in table and len(table) == grid.size
    best = table.loc[table.z.idxmax()]
    assert abs(best.m0 - m0) <= width(m0)
    assert 2.5 < best.z < 6.5
    assert abs(best.n_s - 300) < 3 * best.n_s_error
    assert table.width.to_numpy() == pytest.approx(0.06 * grid)
    excess = bumps.local_excess(masses, best.m0, width(best.m0), JJ, "dijet")
    assert excess.z == pytest.approx(best.z, abs=1e-3) and excess.p_local < 0.01


def test_gross_vitells_bounds_the_local_p_value_and_agrees_with_counting_toys():
    from scipy.stats import poisson

    rng = np.random.default_rng(11)
    fit = bumps.fit_background(power_law_sample(800, 4.0, rng), MUMU)
    grid = np.arange(200.0, 1001.0, 25.0)
    toys = bumps.scan_toys(fit, grid, 25.0, n_toys=150, seed=3)
    assert toys.shape == (150, grid.size) and np.all(toys >= 0)
    np.testing.assert_array_equal(toys[:3], bumps.scan_toys(fit, grid, 25.0, n_toys=3, seed=3))
    z = 2.5  # low: about one toy in ten reaches it
    result = bumps.global_significance(z, toys, level=1.0, cl=0.997)
    assert result.p_global >= result.p_local and result.trials > 1 and result.z_global < z
    # the upcrossings scale as exp(−(Z² − u²)/2): counted at Z in the toys, predicted from u = 1
    crossings = np.sum((toys[:, :-1] < z) & (toys[:, 1:] >= z))
    predicted = 150 * result.upcrossings * np.exp(-(z**2 - 1) / 2)
    assert poisson.ppf(0.0015, predicted) <= crossings <= poisson.ppf(0.9985, predicted)
    # the direct count agrees (the formula counts crossings, so it sits on the high side)
    assert result.p_toys_low <= result.p_global <= result.p_toys_high, result
    assert bumps.global_significance(0.5, toys).z_global == 0.0  # p_global capped at 1


def test_global_significance_arithmetic_on_a_hand_made_scan():
    toys = np.array([[0.0, 2.0, 0.5, 3.0], [1.5, 0.0, 0.0, 0.0], [0.0, 0.2, 0.0, 0.9]])
    result = bumps.global_significance(2.0, toys, level=1.0)
    assert result.upcrossings == pytest.approx(2 / 3)  # 2, 0 (starts above), 0
    p_local = 0.022750131948179195
    assert result.p_local == pytest.approx(p_local)
    assert result.p_global == pytest.approx(p_local + (2 / 3) * np.exp(-1.5))
    assert result.trials == pytest.approx(result.p_global / p_local)
    assert (result.n_above, result.n_toys, result.p_toys) == (1, 3, pytest.approx(1 / 3))
    assert "Z_global" in str(result)


def test_clear_errors():
    masses = power_law_sample(500, 4.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="none of the 0 events"):
        bumps.fit_background([], MUMU)
    with pytest.raises(ValueError, match="inside fit_range"):
        bumps.local_significance(masses / 1000, 400.0, 10.0, MUMU)  # TeV, not GeV
    for bad in ((1500.0, 150.0), (-1.0, 100.0), (150.0, 800.0, 1500.0)):
        with pytest.raises(ValueError, match="fit_range"):
            bumps.fit_background(masses, bad)
    with pytest.raises(ValueError, match="sqrt_s"):
        bumps.fit_background(masses, (2800.0, 14000.0), "dijet")
    with pytest.raises(ValueError, match="shape"):
        bumps.fit_background(masses, MUMU, shape="exponential")
    with pytest.raises(ValueError, match="width"):
        bumps.local_significance(masses, 400.0, 0.0, MUMU)
    with pytest.raises(ValueError, match="width"):
        bumps.scan(masses, [300.0, 400.0], lambda m: m - 350.0, MUMU)
    with pytest.raises(ValueError, match="m0=2000"):
        bumps.fit_peak(masses, 2000.0, 10.0, MUMU)
    with pytest.raises(ValueError, match="m0_grid"):
        bumps.scan(masses, [100.0, 400.0], 10.0, MUMU)
    with pytest.raises(TypeError, match="BackgroundFit"):
        bumps.scan_toys(None, [300.0], 10.0, 2)
    with pytest.raises(ValueError, match="toy_scans"):
        bumps.global_significance(2.0, np.zeros((5, 1)))


def test_a_fit_that_does_not_converge_says_so(monkeypatch):
    from iminuit import Minuit

    monkeypatch.setattr(Minuit, "valid", property(lambda self: False))
    with pytest.raises(RuntimeError, match=r"power_law background fit of 500 events on fit_range=\(150, 1500\)"):
        bumps.fit_background(power_law_sample(500, 4.0, np.random.default_rng(0)), MUMU)
