"""The particle-identification simulator: its physics and its input checks."""
import numpy as np
import pytest

from hepcourse.simulate import pid
from hepcourse.simulate.tracks import (
    ALEPH_PARAMETERS,
    MASSES,
    RADIATORS,
    Detector,
    beta,
    bethe_bloch_aleph,
    cherenkov_angle,
    cherenkov_threshold,
    expected_dedx,
    path_length,
    time_of_flight,
)


@pytest.fixture(scope="module")
def tracks():
    return pid(60_000, seed=11)


# ----------------------------------------------------------------- physics functions


def test_masses_come_from_the_pdg():
    assert MASSES["pi"] == pytest.approx(0.13957, abs=1e-5)
    assert MASSES["K"] == pytest.approx(0.49368, abs=1e-5)
    assert MASSES["p"] == pytest.approx(0.93827, abs=1e-5)
    assert MASSES["e"] == pytest.approx(0.000511, abs=1e-6)
    assert MASSES["mu"] == pytest.approx(0.10566, abs=1e-5)


def test_bethe_bloch_minimum_near_betagamma_3_5():
    bg = np.geomspace(0.5, 100, 20_000)
    f = bethe_bloch_aleph(bg)
    minimum = bg[np.argmin(f)]
    assert 3.0 < minimum < 4.0
    assert f.min() == pytest.approx(1.0, abs=0.02)  # the MIP signal is the unit
    # 1/β² rise at low βγ, logarithmic relativistic rise to a plateau ≈ 1.6 MIP
    assert bethe_bloch_aleph(0.5) > 3 * f.min()
    assert 1.5 < bethe_bloch_aleph(1e5) < 1.65
    assert bethe_bloch_aleph(100.0) > bethe_bloch_aleph(10.0) > f.min()


def test_dedx_bands_of_pions_and_kaons_cross_near_1_gev():
    p = np.linspace(0.5, 2.0, 3001)
    diff = expected_dedx(p, MASSES["K"]) - expected_dedx(p, MASSES["pi"])
    crossing = p[np.flatnonzero(np.diff(np.sign(diff)))[0]]
    assert 0.9 < crossing < 1.1


def test_beta_and_time_of_flight():
    assert beta(1.0, MASSES["pi"]) == pytest.approx(1 / np.sqrt(1 + MASSES["pi"] ** 2))
    dt = time_of_flight(1.0, MASSES["K"], 3.7) - time_of_flight(1.0, MASSES["pi"], 3.7)
    assert dt == pytest.approx(1.30, abs=0.01)  # ns
    # light travels 3.7 m in 12.34 ns: an ultra-relativistic electron arrives then
    assert time_of_flight(100.0, MASSES["e"], 3.7) == pytest.approx(3.7 / 0.299792458, rel=1e-6)


def test_time_of_flight_loses_pion_kaon_separation_above_2_to_3_gev():
    sigma = 0.080  # ns

    def separation(p):
        return (time_of_flight(p, MASSES["K"], 3.7) - time_of_flight(p, MASSES["pi"], 3.7)) / sigma

    assert separation(1.0) > 15
    assert 3 < separation(2.0) < 5
    assert separation(3.0) < 2


def test_cherenkov_thresholds_and_angles():
    n_gas = RADIATORS["c4f10"]["refractive_index"]
    assert n_gas == 1.0014
    assert cherenkov_threshold(MASSES["K"], n_gas) == pytest.approx(9.33, abs=0.05)
    assert cherenkov_threshold(MASSES["pi"], n_gas) == pytest.approx(2.64, abs=0.05)
    assert Detector().with_radiator("c4f10").refractive_index == n_gas
    # no light below threshold: a missing value, not a number
    assert np.isnan(cherenkov_angle(5.0, MASSES["K"], n_gas))
    assert np.isfinite(cherenkov_angle(12.0, MASSES["K"], n_gas))
    # saturated angle: cos θ = 1/n
    assert cherenkov_angle(1e4, MASSES["pi"], 1.473) == pytest.approx(np.arccos(1 / 1.473), abs=1e-6)
    # quartz: kaons radiate above 0.46 GeV, protons above 0.87 GeV
    assert cherenkov_threshold(MASSES["K"], 1.473) == pytest.approx(0.458, abs=0.005)
    assert cherenkov_threshold(MASSES["p"], 1.473) == pytest.approx(0.870, abs=0.005)


def test_helix_path_length():
    # straight tracks without field: R cosh η
    assert path_length(1.0, 0.5, 3.7, 0.0) == pytest.approx(3.7 * np.cosh(0.5))
    # in 0.5 T, a track needs pT > 0.3·B·R/2 = 0.277 GeV to reach R = 3.7 m
    assert np.isnan(path_length(0.27, 0.0, 3.7, 0.5))
    assert path_length(0.29, 0.0, 3.7, 0.5) > 3.7
    assert path_length(5.0, 0.0, 3.7, 0.5) == pytest.approx(3.7, rel=0.01)


# ----------------------------------------------------------------- the simulated tracks


def test_columns_labels_and_reproducibility(tracks):
    assert list(tracks.attrs["species"]) == ["pi", "K", "p"]
    assert tracks["label"].dtype == np.int64
    assert (tracks["species"].cat.codes.to_numpy() == tracks["label"].to_numpy()).all()
    assert np.all(np.abs(tracks["pdg"]) == np.array([211, 321, 2212])[tracks["label"]])
    assert tracks["p_true"].between(0.2, 5.0).all()
    assert np.abs(tracks["eta"]).max() <= 0.9
    np.testing.assert_allclose(tracks["pt"] * np.cosh(tracks["eta"]), tracks["p"], rtol=1e-9)
    again = pid(1000, seed=11)
    assert again.equals(pid(1000, seed=11))
    assert not again["dedx"].equals(pid(1000, seed=12)["dedx"])
    counts = np.bincount(tracks["label"]) / len(tracks)
    np.testing.assert_allclose(counts, 1 / 3, atol=0.01)


def test_dedx_resolution_and_bands(tracks):
    m = np.array([MASSES[s] for s in tracks.attrs["species"]])[tracks["label"]]
    ratio = tracks["dedx"] / expected_dedx(tracks["p_true"].to_numpy(), m)
    assert ratio.mean() == pytest.approx(1.0, abs=0.002)
    assert ratio.std() == pytest.approx(0.055, rel=0.05)
    # the MIP signal is 50 units: pions at 0.5 GeV (βγ ≈ 3.6)
    sel = (tracks["label"] == 0) & tracks["p_true"].between(0.45, 0.55)
    assert tracks.loc[sel, "dedx"].median() == pytest.approx(50, rel=0.02)


def test_time_of_flight_resolution_and_missing_times(tracks):
    m = np.array([MASSES[s] for s in tracks.attrs["species"]])[tracks["label"]]
    t_true = time_of_flight(tracks["p_true"].to_numpy(), m, tracks["length"].fillna(1.0).to_numpy())
    residual = (tracks["tof"] - t_true).dropna()
    assert residual.std() == pytest.approx(0.080, rel=0.05)
    assert abs(residual.mean()) < 0.002
    # tracks that curl up before 3.7 m have no time; 5% of the others are unmatched
    pt_true = tracks["p_true"] / np.cosh(tracks["eta"])
    curls = pt_true < 0.2997 * 0.5 * 3.7 / 2  # 2ρ < R, ρ = pT/(0.3 B)
    assert curls.mean() > 0.05
    assert tracks.loc[curls, "tof"].isna().all()
    reach = pt_true > 0.30
    assert tracks.loc[reach, "tof"].isna().mean() == pytest.approx(0.05, abs=0.01)
    beta_true = tracks["p_true"] / np.sqrt(tracks["p_true"] ** 2 + m**2)
    assert (tracks["beta"] - beta_true).dropna().abs().median() < 0.01


def test_cherenkov_angle_is_missing_below_threshold(tracks):
    n = Detector().refractive_index
    kaons = tracks[tracks["label"] == 1]
    below = kaons["p_true"] < cherenkov_threshold(MASSES["K"], n)
    assert kaons.loc[below, "cherenkov_angle"].isna().all()
    assert (kaons.loc[below, "cherenkov_photons"] == 0).all()
    # well above threshold almost every track has a ring, and the angle is right
    fast = kaons[kaons["p_true"] > 1.5]
    assert fast["cherenkov_angle"].notna().mean() > 0.999
    expected = cherenkov_angle(fast["p_true"].to_numpy(), MASSES["K"], n)
    assert np.median(np.abs(fast["cherenkov_angle"] - expected)) < 0.003


def test_e_over_p_for_electrons_and_hadrons():
    t = pid(20_000, species=("e", "mu", "pi", "K", "p"), seed=3, p_range=(1.0, 5.0))
    ep = t.groupby("species", observed=True)["ep"].median()
    assert ep["e"] == pytest.approx(1.0, abs=0.03)
    assert ep["mu"] < 0.3
    assert ep["pi"] < 0.5
    assert list(t.attrs["species"]) == ["e", "mu", "pi", "K", "p"]
    assert set(np.abs(t["pdg"])) == {11, 13, 211, 321, 2212}


def test_shifted_detector_moves_the_bands():
    nominal = Detector()
    shifted = nominal.shifted(dedx_gain=1.08, tof_offset=0.1, resolution_scale=1.5)
    assert shifted.dedx_gain == pytest.approx(1.08)
    assert shifted.tof_resolution == pytest.approx(1.5 * nominal.tof_resolution)
    a = pid(20_000, seed=5)
    b = pid(20_000, seed=5, detector=shifted)
    assert (b["dedx"].mean() / a["dedx"].mean()) == pytest.approx(1.08, rel=0.01)
    assert (b["tof"] - a["tof"]).mean() == pytest.approx(0.1, abs=0.005)
    assert b.attrs["detector"]["name"] == "shifted"
    assert nominal.replace(tof_resolution=0.05).tof_resolution == 0.05


def test_all_three_detectors_identify_pions_kaons_and_protons():
    from sklearn.ensemble import HistGradientBoostingClassifier

    train, test = pid(40_000, seed=1), pid(20_000, seed=2)
    columns = ["p", "dedx", "beta", "cherenkov_angle"]
    model = HistGradientBoostingClassifier(max_iter=100, random_state=0)
    model.fit(train[columns], train["label"])
    accuracy = (model.predict(test[columns]) == test["label"]).mean()
    assert accuracy >= 0.97
    dedx_only = HistGradientBoostingClassifier(max_iter=100, random_state=0)
    dedx_only.fit(train[["p", "dedx"]], train["label"])
    assert (dedx_only.predict(test[["p", "dedx"]]) == test["label"]).mean() < 0.9


# ----------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs, words", [
    (dict(species=("pi", "kaon")), ["species='kaon'", "use one of", "'K'"]),
    (dict(species=()), ["species is empty", "'pi'"]),
    (dict(n=0), ["n=0", "at least 1"]),
    (dict(n=-5), ["n=-5", "at least 1"]),
    (dict(n=2.5), ["n=2.5", "whole number"]),
    (dict(p_range=(-1.0, 5.0)), ["p_range", "> 0"]),
    (dict(p_range=(3.0, 1.0)), ["p_range", "0 < low < high"]),
    (dict(p_range=(0.2, float("inf"))), ["p_range", "NaN or infinite"]),
    (dict(spectrum="exponential"), ["spectrum='exponential'", "'log'"]),
    (dict(fractions=(1, 2)), ["one non-negative number per species"]),
    (dict(fractions=(1, float("nan"), 1)), ["fractions", "NaN"]),
])
def test_bad_generator_input(kwargs, words):
    with pytest.raises(ValueError) as error:
        pid(**{"n": 10, **kwargs})
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("field", ["dedx_resolution", "tof_resolution", "cherenkov_resolution",
                                   "pt_resolution", "tof_radius"])
@pytest.mark.parametrize("value", [0.0, -0.01])
def test_resolutions_and_lengths_must_be_positive(field, value):
    with pytest.raises(ValueError, match=f"Detector.{field}={value}: must be > 0"):
        Detector(**{field: value})


@pytest.mark.parametrize("field", ["b_field", "eta_max", "pt_resolution_per_gev", "dedx_scale", "dedx_gain",
                                   "tof_radius", "tof_resolution", "tof_efficiency", "tof_offset",
                                   "refractive_index", "cherenkov_photons", "cherenkov_track_resolution",
                                   "ecal_radius", "ecal_stochastic", "ecal_constant"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), "0.1"])
def test_every_detector_number_must_be_finite(field, value):
    with pytest.raises((TypeError, ValueError), match=f"Detector.{field}"):
        Detector(**{field: value})


def test_bethe_bloch_parameters_must_be_five_finite_numbers():
    with pytest.raises(ValueError, match="Detector.bethe_bloch"):
        Detector(bethe_bloch=(0.07, 10.6, float("nan"), 1.86, 1.95))
    with pytest.raises(ValueError, match="five parameters"):
        Detector(bethe_bloch=(0.07, 10.6))
    assert Detector(bethe_bloch=list(ALEPH_PARAMETERS)) == Detector()  # a list read back from JSON


def test_seed_is_keyword_only_and_may_be_a_generator():
    with pytest.raises(TypeError):
        pid(10, ("pi", "K"), None, 3)
    a = pid(500, seed=np.random.default_rng(9))
    assert a.equals(pid(500, seed=np.random.default_rng(9)))
    with pytest.raises(TypeError, match="seed"):
        pid(10, seed=True)


def test_bad_detector_and_physics_input():
    with pytest.raises(ValueError, match="Detector.refractive_index=1.0: must be > 1"):
        Detector(refractive_index=1.0)
    with pytest.raises(ValueError, match="radiator='water': use one of.*quartz"):
        Detector().with_radiator("water")
    with pytest.raises(ValueError, match="tof_efficiency"):
        Detector(tof_efficiency=1.5)
    with pytest.raises(ValueError, match="unknown option.*tof_resolutoin"):
        Detector().replace(tof_resolutoin=0.05)
    with pytest.raises(ValueError, match="resolution_scale"):
        Detector().shifted(resolution_scale=float("nan"))
    with pytest.raises(ValueError, match="p: every value must be ≥ 0"):
        beta(-1.0, MASSES["pi"])
    with pytest.raises(ValueError, match="p: every value must be ≥ 0"):
        time_of_flight([1.0, -2.0], MASSES["K"], 3.7)
    with pytest.raises(ValueError, match="n: every value must be > 1"):
        cherenkov_threshold(MASSES["K"], 0.9)
    with pytest.raises(ValueError, match="length"):
        time_of_flight(1.0, MASSES["K"], 0.0)
    with pytest.raises(ValueError, match="betagamma"):
        bethe_bloch_aleph(-1.0, ALEPH_PARAMETERS)
    with pytest.raises(TypeError, match="detector must be"):
        pid(10, detector={"tof_resolution": 0.08})
