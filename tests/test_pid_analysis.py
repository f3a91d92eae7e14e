"""PID analysis helpers: n-sigma pulls, cut-based identification, features with missing
values, efficiencies with binomial errors, and the PID and calibration plots."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from hepcourse.analysis.pid import (
    binomial_interval,
    band_score,
    efficiency_at_misid,
    efficiency_table,
    identify,
    nsigma,
    prepare_features,
)
from hepcourse.plot.calibration import confusion_matrix, reliability_diagram
from hepcourse.stats import confusion, expected_calibration_error, reliability_table
from hepcourse.plot.pid import beta_vs_p, cherenkov_vs_p, dedx_vs_p, efficiency_vs_p
from hepcourse.simulate import pid
from hepcourse.simulate.tracks import Detector


@pytest.fixture(scope="module")
def tracks():
    return pid(40_000, seed=21)


@pytest.fixture(scope="module")
def pulls(tracks):
    return nsigma(tracks)


@pytest.mark.parametrize("detector", ["dedx", "tof", "rich"])
def test_pulls_of_the_true_species_are_unit_gaussians(tracks, pulls, detector):
    for label, s in enumerate(tracks.attrs["species"]):
        z = pulls.loc[tracks["label"] == label, f"{detector}_{s}"]
        if detector == "rich":  # only tracks with a ring have a Gaussian pull
            z = z[tracks.loc[tracks["label"] == label, "cherenkov_angle"].notna()]
        z = z.dropna()
        # a track just above threshold measured just below it is "impossible": rare
        assert np.isinf(z).mean() < 0.002, (detector, s)
        z = z[np.isfinite(z)]
        assert abs(z.mean()) < 0.05, (detector, s)
        assert z.std() == pytest.approx(1.0, abs=0.08), (detector, s)


def test_no_ring_is_evidence(tracks, pulls):
    dark = tracks["cherenkov_angle"].isna()
    # a slow kaon below threshold is fully compatible with "no ring" ...
    kaons = dark & (tracks["label"] == 1) & (tracks["p"] < 0.4)
    assert (pulls.loc[kaons, "rich_K"] == 0).all()
    # ... and a pion of the same momentum would have made about 10 photons
    assert (pulls.loc[kaons, "rich_pi"] > 3).mean() > 0.9
    # a ring is impossible for a hypothesis below threshold
    rings = ~dark & (tracks["p"] < 0.4)
    assert np.isinf(pulls.loc[rings, "rich_p"]).all()


def test_cut_based_identification(tracks, pulls):
    labels = identify(pulls, tracks.attrs["species"], n_sigma=3.0)
    assert set(np.unique(labels)) <= {-1, 0, 1, 2}
    assert (labels == tracks["label"]).mean() > 0.97
    assert (labels == -1).mean() < 0.02
    # wider bands: fewer unidentified tracks
    assert (identify(pulls, tracks.attrs["species"], n_sigma=5.0) == -1).mean() < (labels == -1).mean()
    with pytest.raises(ValueError, match="n_sigma"):
        identify(pulls, tracks.attrs["species"], n_sigma=0)


def test_uncalibrated_shift_hurts_the_cuts():
    shifted = Detector().shifted(dedx_gain=1.10, tof_offset=0.1)
    t = pid(20_000, seed=4, detector=shifted)
    naive = identify(nsigma(t, detector=Detector()), t.attrs["species"])
    calibrated = identify(nsigma(t, detector=shifted), t.attrs["species"])
    assert (calibrated == t["label"]).mean() > (naive == t["label"]).mean() + 0.05


def test_prepare_features_missing_policies(tracks):
    X, names = prepare_features(tracks)
    assert names == ["p", "dedx", "beta", "cherenkov_angle", "has_beta", "has_cherenkov_angle"]
    assert X.dtype == np.float32 and np.isfinite(X).all()
    assert (X[:, 4] == tracks["beta"].notna()).all()
    assert (X[tracks["beta"].isna().to_numpy(), 2] == 0).all()
    Xn, names_n = prepare_features(tracks, missing="nan")
    assert names_n == ["p", "dedx", "beta", "cherenkov_angle"]
    assert np.isnan(Xn[:, 3]).sum() == tracks["cherenkov_angle"].isna().sum()
    Xf, _ = prepare_features(tracks, ("log_p", "mass2"), missing="fill", fill={"mass2": -1.0})
    assert np.allclose(Xf[:, 0], np.log(tracks["p"]))
    kaons = (tracks["label"] == 1) & tracks["beta"].notna() & (tracks["p"] < 1.5)
    assert np.median(Xf[kaons.to_numpy(), 1]) == pytest.approx(0.4937**2, rel=0.05)  # m² [GeV²]
    # the same layout on a sample with no missing value at all
    _, names_small = prepare_features(tracks[tracks["beta"].notna() & tracks["cherenkov_angle"].notna()])
    assert names_small == names
    with pytest.raises(ValueError, match="missing='mean': use one of"):
        prepare_features(tracks, missing="mean")
    with pytest.raises(ValueError, match="fill"):
        prepare_features(tracks, fill=float("nan"))
    with pytest.raises(ValueError, match="unknown column 'tof_ns'"):
        prepare_features(tracks, ("p", "tof_ns"))


@pytest.mark.parametrize("call, name", [
    (lambda t, ns: nsigma(t, species=("pi", "kaon")), "species"),
    (lambda t, ns: nsigma(t, detectors=("dedx", "rich2")), "detectors"),
    (lambda t, ns: identify(ns, ("pi", "K", "p"), n_sigma=float("nan")), "n_sigma"),
    (lambda t, ns: identify(ns, ("pi", "K", "e")), "species='e'"),
    (lambda t, ns: band_score(ns, "kaon"), "species='kaon'"),
    (lambda t, ns: efficiency_table(t["p"], t["label"] == 1, t["label"] == 1, [1.0, 0.5]), "bins"),
    (lambda t, ns: efficiency_table(t["p"], t["label"][:5] == 1, t["label"] == 1, [0.2, 5]), "selected"),
    (lambda t, ns: efficiency_at_misid(t["p"], t["label"], t["p"], [0.2, 5], misid=1.0), "misid"),
    (lambda t, ns: efficiency_at_misid(-t["p"], t["label"], t["p"], [0.2, 5]), "p"),
])
def test_analysis_functions_name_a_bad_argument(tracks, pulls, call, name):
    with pytest.raises(ValueError, match=name):
        call(tracks, pulls)


def test_nsigma_refuses_a_detector_of_the_wrong_kind(tracks):
    with pytest.raises(TypeError, match="detector must be"):
        nsigma(tracks, detector={"tof_resolution": 0.08})


def test_binomial_interval_is_the_one_of_hepcourse_stats():
    from hepcourse import stats
    from hepcourse.analysis import pid as analysis_pid

    assert analysis_pid.binomial_interval is stats.binomial_interval


def test_binomial_interval():
    eff, low, high = binomial_interval([0, 5, 10], [10, 10, 10])
    np.testing.assert_allclose(eff, [0, 0.5, 1])
    assert low[0] == 0 and high[2] == 1
    assert low[1] < 0.5 < high[1]
    assert 0.3 < high[1] - low[1] < 0.45  # exact interval, wider than 2·√(0.25/10) = 0.32
    eff, low, high = binomial_interval(0, 0)
    assert np.isnan(eff)
    with pytest.raises(ValueError):
        binomial_interval(5, 4)


def test_efficiency_tables():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.2, 5, 100_000)
    y = rng.integers(0, 2, p.size)
    score = y + rng.normal(0, 1, p.size) * p  # separation falls with momentum
    t = efficiency_at_misid(p, y, score, [0.2, 1, 3, 5], misid=0.05)
    assert np.all(t["misid"] <= 0.05) and np.all(t["misid"] > 0.045)
    assert t["efficiency"].is_monotonic_decreasing
    assert np.all((t["low"] <= t["efficiency"]) & (t["efficiency"] <= t["high"]))
    e = efficiency_table(p, score > 0.5, y == 1, [0.2, 1, 3, 5])
    assert e["n"].sum() == (y == 1).sum()
    with pytest.raises(ValueError, match="misid"):
        efficiency_at_misid(p, y, score, [0.2, 5], misid=0)


def test_mlp_free_kaon_score_scans_band_width(tracks, pulls):
    score = band_score(pulls, "K")
    kaon = tracks["label"].to_numpy() == 1
    assert np.median(score[kaon]) > np.median(score[~kaon])
    with pytest.raises(ValueError, match="no n-sigma columns"):
        band_score(pulls, "mu")


def test_confusion_and_calibration_numbers():
    y = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 1, 1, 1, 2, -1])
    c = confusion(y, pred, 3)
    assert c.shape == (3, 4)
    np.testing.assert_allclose(c.sum(axis=1), 1)
    assert c[2, 3] == 0.5  # half of class 2 unidentified
    rng = np.random.default_rng(1)
    prob = rng.uniform(size=50_000)
    truth = rng.uniform(size=prob.size) < prob
    assert expected_calibration_error(truth, prob) < 0.01
    assert expected_calibration_error(truth, prob**3) > 0.1  # overconfident "no"
    t = reliability_table(truth, prob, bins=5)
    np.testing.assert_allclose(t["fraction"], t["mean_prob"], atol=0.02)


def test_plots_draw(tracks):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(12, 7))
    dedx_vs_p(tracks, ax=axes[0, 0])
    beta_vs_p(tracks, ax=axes[0, 1])
    ax = cherenkov_vs_p(tracks, ax=axes[0, 2])
    assert ax.get_xlabel() == "$p$ [GeV]"
    assert "rad" in ax.get_ylabel()
    assert len(ax.lines) == 3  # one expected curve per species
    t = efficiency_table(tracks["p"], tracks["label"] == 1, tracks["label"] == 1, [0.2, 1, 5])
    efficiency_vs_p({"all": t}, ax=axes[1, 0])
    confusion_matrix(tracks["label"], tracks["label"], ["pi", "K", "p"], ax=axes[1, 1])
    reliability_diagram(tracks["label"] == 1, np.full(len(tracks), 1 / 3), ax=axes[1, 2])
    plt.close(fig)
