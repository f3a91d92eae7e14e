"""Detector response written once (hepcourse.physics.detector): its physics, its input
checks, and the PID simulator's re-exports and Detector-bound wrappers of it."""
from __future__ import annotations

import numpy as np
import pytest

from hepcourse.constants import C_LIGHT, MASSES
from hepcourse.physics import detector as response
from hepcourse.physics.detector import (
    beta,
    beta_from_time,
    beta_resolution,
    bethe_bloch_aleph,
    cherenkov_angle,
    cherenkov_threshold,
    cherenkov_yield,
    energy_resolution,
    mean_dedx,
    path_length,
    pt_resolution,
    ring_resolution,
    time_of_flight,
    tower_edges,
)


def test_velocity_and_time_of_flight():
    p = np.geomspace(0.1, 100, 50)
    b = beta(p, MASSES["K"])
    np.testing.assert_allclose(b / np.sqrt(1 - b**2), p / MASSES["K"], rtol=1e-9)  # βγ = p/m
    t = time_of_flight(p, MASSES["K"], 3.7)
    np.testing.assert_allclose(t, 3.7 / (b * C_LIGHT), rtol=1e-12)
    # the time-of-flight wall inverts it
    np.testing.assert_allclose(beta_from_time(3.7, t), b, rtol=1e-12)
    # σβ = β σt / t: 80 ps on 12.4 ns of a fast pion is 0.65% of β
    assert beta_resolution(5.0, MASSES["pi"], 3.7, 0.080) == pytest.approx(0.080 / (3.7 / C_LIGHT), rel=1e-3)


def test_dedx_has_its_minimum_at_betagamma_3_5_and_scales():
    bg = np.geomspace(0.5, 100, 20_000)
    f = bethe_bloch_aleph(bg)
    assert 3.0 < bg[np.argmin(f)] < 4.0 and f.min() == pytest.approx(1.0, abs=0.02)
    p = np.array([0.3, 1.0, 3.0])
    np.testing.assert_allclose(mean_dedx(p, MASSES["p"], scale=50.0), 50.0 * bethe_bloch_aleph(p / MASSES["p"]))
    assert np.isfinite(mean_dedx(0.0, MASSES["pi"], 50.0))  # a stopped particle: large, finite


def test_helix_reaches_a_cylinder_only_above_a_minimum_pt():
    # 2ρ ≥ R with ρ = pT / (0.3 B): pT > 0.3 · 0.5 · 3.7 / 2 = 0.277 GeV
    assert np.isnan(path_length(0.27, 0.0, 3.7, 0.5))
    assert 3.7 < path_length(0.29, 0.0, 3.7, 0.5) < 3.7 * np.pi / 2
    # longer at larger |η|: the same arc times cosh η
    assert path_length(2.0, 0.8, 3.7, 0.5) == pytest.approx(path_length(2.0, 0.0, 3.7, 0.5) * np.cosh(0.8))
    assert path_length(1.0, 0.5, 3.7, 0.0) == pytest.approx(3.7 * np.cosh(0.5))


def test_cherenkov_threshold_angle_yield_and_resolution():
    n = 1.473
    threshold = cherenkov_threshold(MASSES["K"], n)
    assert threshold == pytest.approx(0.458, abs=0.005)
    assert np.isnan(cherenkov_angle(0.99 * threshold, MASSES["K"], n))
    assert cherenkov_yield(0.99 * threshold, MASSES["K"], n, 20.0) == 0.0
    # cos θ = 1/(nβ) and the yield grows as sin²θ up to its value at β = 1
    p = 2.0
    theta = cherenkov_angle(p, MASSES["K"], n)
    assert np.cos(theta) == pytest.approx(1 / (n * beta(p, MASSES["K"])))
    assert cherenkov_yield(p, MASSES["K"], n, 20.0) == pytest.approx(20.0 * np.sin(theta) ** 2 / (1 - 1 / n**2))
    assert cherenkov_yield(1e5, MASSES["pi"], n, 20.0) == pytest.approx(20.0, rel=1e-6)
    # per-photon resolution over √N, in quadrature with the tracking term
    assert ring_resolution(16, 0.010, 0.001) == pytest.approx(np.hypot(0.0025, 0.001))
    assert ring_resolution(0, 0.010, 0.0) == pytest.approx(0.010)  # counted as one photon


def test_resolutions_add_in_quadrature():
    pt = np.array([1.0, 100.0, 1000.0])
    np.testing.assert_allclose(pt_resolution(pt, 0.01, 5e-5), np.sqrt(0.01**2 + (5e-5 * pt) ** 2))
    np.testing.assert_allclose(pt_resolution(1.0, 0.008, 0.0, velocity=0.5), 0.016)  # slow: 1/β
    e = np.array([0.0, 1.0, 100.0])
    np.testing.assert_allclose(energy_resolution(e, 0.5, 0.03, 0.15),
                               np.sqrt(0.25 * e + (0.03 * e) ** 2 + 0.15**2))


def test_nan_is_a_missing_measurement_and_propagates():
    t = time_of_flight(np.array([1.0, 2.0]), MASSES["pi"], np.array([3.7, np.nan]))
    assert np.isfinite(t[0]) and np.isnan(t[1])
    assert np.isnan(beta_from_time(3.7, np.nan))


@pytest.mark.parametrize("call, name", [
    (lambda: beta(-1.0, 0.14), "p"),
    (lambda: beta(1.0, 0.0), "m"),
    (lambda: beta(np.inf, 0.14), "p"),
    (lambda: time_of_flight(1.0, 0.14, 0.0), "length"),
    (lambda: path_length(1.0, 0.0, -3.7, 0.5), "radius"),
    (lambda: path_length(1.0, 0.0, 3.7, np.nan), "b_field"),
    (lambda: cherenkov_threshold(0.49, 1.0), "n"),
    (lambda: bethe_bloch_aleph(3.0, (1.0, 2.0)), "parameters"),
    (lambda: bethe_bloch_aleph(0.0), "betagamma"),
    (lambda: pt_resolution(10.0, np.nan, 0.0), "multiple_scattering"),
    (lambda: energy_resolution(10.0, 0.5, 0.03, noise=-1.0), "noise"),
    (lambda: beta_resolution(1.0, 0.14, 3.7, 0.0), "time_resolution"),
    (lambda: tower_edges(0, 32, np.pi), "n_eta"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        call()


def test_strings_and_none_are_not_numbers():
    with pytest.raises(TypeError, match="p"):
        beta("fast", 0.14)
    with pytest.raises(TypeError, match="p"):
        beta(None, 0.14)


def test_tower_edges_cover_eta_and_the_full_azimuth():
    eta, phi = tower_edges(32, 16, np.pi)
    assert eta.shape == (33,) and phi.shape == (17,)
    assert eta[0] == -np.pi and eta[-1] == np.pi and phi[0] == -np.pi and phi[-1] == np.pi


def test_the_pid_simulator_re_exports_and_binds_these():
    from hepcourse.simulate import tracks

    for name in ("beta", "time_of_flight", "path_length", "cherenkov_threshold", "cherenkov_angle",
                 "bethe_bloch_aleph", "ALEPH_PARAMETERS"):
        assert getattr(tracks, name) is getattr(response, name), name
    d = tracks.Detector()
    p, m = np.array([0.5, 2.0]), MASSES["K"]
    np.testing.assert_allclose(tracks.expected_dedx(p, m, d), mean_dedx(p, m, d.dedx_scale, d.bethe_bloch))
    np.testing.assert_allclose(tracks.cherenkov_photons(p, m, d),
                               cherenkov_yield(p, m, d.refractive_index, d.cherenkov_photons))
    np.testing.assert_allclose(tracks.momentum_resolution(p, 0.5, d), pt_resolution(p, 0.008, 0.003, 0.5))
    np.testing.assert_allclose(tracks.tof_beta_resolution(p, m, 3.7, d), beta_resolution(p, m, 3.7, 0.080))
    np.testing.assert_allclose(tracks.cherenkov_resolution([4, 9], d), ring_resolution([4, 9], 0.010, 0.001))
