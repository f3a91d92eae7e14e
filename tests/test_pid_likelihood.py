"""The resolutions behind the n-sigma pulls, and the Gaussian likelihood they give:
ln L_h = −½ Σ nσ_d(h)² − Σ ln σ_d(h), the σ depending on the hypothesis."""
from __future__ import annotations

import numpy as np
import pytest

from hepcourse.analysis.pid import nsigma, resolutions
from hepcourse.physics.detector import beta
from hepcourse.simulate import pid
from hepcourse.simulate.tracks import MASSES, Detector, expected_dedx


@pytest.fixture(scope="module")
def tracks():
    return pid(6000, species=("pi", "K", "p"), seed=5)


def test_resolutions_are_the_denominators_of_the_pulls(tracks):
    ns, sigma = nsigma(tracks), resolutions(tracks)
    assert list(sigma.columns) == list(ns.columns) and sigma.index.equals(ns.index)
    for s in ("pi", "K", "p"):
        mu = expected_dedx(tracks["p"].to_numpy(), MASSES[s])
        np.testing.assert_allclose(ns[f"dedx_{s}"] * sigma[f"dedx_{s}"], tracks["dedx"] - mu, rtol=1e-9, atol=1e-9)
        # dE/dx resolution relative to the expectation of the hypothesis (plus the momentum term)
        assert np.all(sigma[f"dedx_{s}"] >= 0.055 * mu * (1 - 1e-12))


def test_resolutions_depend_on_the_hypothesis(tracks):
    sigma = resolutions(tracks)
    slow = tracks["p"].to_numpy() < 0.5
    # at low momentum a kaon hypothesis expects far more ionisation, so a wider dE/dx band
    assert np.all(sigma["dedx_K"].to_numpy()[slow] > 1.4 * sigma["dedx_pi"].to_numpy()[slow])


def test_resolutions_are_nan_without_a_gaussian_measurement(tracks):
    sigma = resolutions(tracks)
    no_time = tracks["tof"].isna().to_numpy()
    no_ring = tracks["cherenkov_angle"].isna().to_numpy()
    assert no_time.any() and no_ring.any()
    assert sigma["tof_pi"].isna().to_numpy()[no_time].all()
    assert sigma["tof_pi"].notna().to_numpy()[~no_time].all()
    assert sigma["rich_K"].isna().to_numpy()[no_ring].all()
    ns = nsigma(tracks)
    impossible = np.isinf(ns["rich_p"].to_numpy())        # a ring a proton could not have made
    assert impossible.any() and sigma["rich_p"].isna().to_numpy()[impossible].all()
    assert np.all(np.isfinite(sigma["rich_pi"].to_numpy()[~no_ring]))


def test_likelihood_ratio_with_sigma_terms_is_a_log_odds():
    # one Gaussian measurement with a hypothesis-dependent width: the exact log-likelihood
    # ratio needs −ln σ; the ratio of the pulls alone is off by ln(σ_a/σ_b) for every track
    from scipy.stats import norm

    x = np.linspace(-3, 3, 13)
    mu_a, s_a, mu_b, s_b = 0.5, 2.0, -0.5, 1.0
    za, zb = (x - mu_a) / s_a, (x - mu_b) / s_b
    exact = norm.logpdf(x, mu_a, s_a) - norm.logpdf(x, mu_b, s_b)
    np.testing.assert_allclose(0.5 * (zb**2 - za**2) - (np.log(s_a) - np.log(s_b)), exact)
    assert not np.allclose(0.5 * (zb**2 - za**2), exact)


def test_a_detector_is_passed_through(tracks):
    wide = Detector().shifted()
    ratio = resolutions(tracks, detector=wide)["tof_K"] / resolutions(tracks)["tof_K"]
    assert np.nanmin(ratio) > 1.0   # worse time resolution, wider band
    with pytest.raises(ValueError):
        resolutions(tracks, species=("pi", "kaon"))
    assert beta(1.0, MASSES["pi"]) > beta(1.0, MASSES["K"])
