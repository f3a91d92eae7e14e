"""hepcourse.analysis.zpeak.profile: the profile likelihood Δ(−2 ln L) of the Z-mass fit
crosses 1 where MINOS puts the 68% interval (iminuit costs are −2 ln L, errordef 1)."""
from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
from iminuit import Minuit
from iminuit.cost import UnbinnedNLL
from scipy.stats import norm

from hepcourse import data, simulate
from hepcourse.analysis.candidates import one_candidate_per_event
from hepcourse.analysis.zpeak import fit_zpeak, profile, profile_crossings


def _check_profile_matches_minos(masses):
    fit = fit_zpeak(masses)
    assert fit.valid
    before = fit.values.to_dict()
    centre, error = fit.values["m"], fit.errors["m"]
    grid = np.linspace(centre - 2.5 * error, centre + 2.5 * error, 41)
    delta = profile(fit, "m", grid)
    assert fit.values.to_dict() == before  # the fit itself is not changed
    assert delta.shape == grid.shape and np.nanmin(delta) == pytest.approx(0.0, abs=0.01)
    fit.minos("m")
    minos = fit.merrors["m"]
    low, high = profile_crossings(grid, delta)
    assert low - centre == pytest.approx(minos.lower, rel=0.05)
    assert high - centre == pytest.approx(minos.upper, rel=0.05)
    # the old mistake, 2·Δfval, would have crossed 1 at ≈ 1/√2 of the MINOS interval
    doubled_low, doubled_high = profile_crossings(grid, 2 * delta)
    assert (doubled_high - doubled_low) / (high - low) == pytest.approx(1 / np.sqrt(2), rel=0.05)
    return fit


def test_profile_of_the_real_z_mass_crosses_one_at_minos(shared_mirror, monkeypatch):
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    events = data.load("zmumu", source="real")
    fit = _check_profile_matches_minos(ak.to_numpy(one_candidate_per_event(events).M))
    assert 0.1 < fit.merrors["m"].upper < 0.2  # GeV, chapter 1's ±0.14


def test_profile_of_the_simulated_twin_crosses_one_at_minos():
    _check_profile_matches_minos(ak.to_numpy(one_candidate_per_event(simulate.zmumu(seed=3)).M))


def test_profile_divides_by_errordef_so_a_hand_written_minus_log_l_gives_the_same_curve():
    x = np.random.default_rng(1).normal(0.3, 1.0, 400)
    iminuit_cost = UnbinnedNLL(x, lambda x, mu: norm.pdf(x, mu, 1.0))  # −2 ln L, errordef 1

    def minus_log_l(mu):
        return -np.sum(norm.logpdf(x, mu, 1.0))

    minus_log_l.errordef = Minuit.LIKELIHOOD  # 0.5
    grid = np.linspace(x.mean() - 0.15, x.mean() + 0.15, 31)
    curves = []
    for cost in (iminuit_cost, minus_log_l):
        fit = Minuit(cost, mu=0.0)
        fit.migrad()
        curves.append(profile(fit, "mu", grid))
    assert np.allclose(curves[0], curves[1], atol=1e-6)
    low, high = profile_crossings(grid, curves[0])
    assert (high - low) / 2 == pytest.approx(1 / np.sqrt(x.size), rel=1e-3)  # σ/√n for a Gaussian mean


def test_profile_names_a_bad_argument():
    fit = fit_zpeak(ak.to_numpy(one_candidate_per_event(simulate.zmumu(seed=4)).M))
    with pytest.raises(ValueError, match="parameter='mass'"):
        profile(fit, "mass", [90.0, 91.0])
    with pytest.raises(ValueError, match="values"):
        profile(fit, "m", [[90.0, 91.0]])
    with pytest.raises(TypeError, match="fit="):
        profile("a fit", "m", [90.0])
    with pytest.raises(ValueError, match="values"):
        profile_crossings([1.0, 0.0, 2.0], [1.0, 0.0, 1.0])
