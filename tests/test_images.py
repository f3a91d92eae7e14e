"""The calorimeter-image simulator, its HDF5 storage, the jet features and the symmetry
augmentations (chapter 5)."""
import h5py
import numpy as np
import pytest
import torch

from hepcourse import augment
from hepcourse.data.hdf5 import (ImageFileError, cached_images, cached_images_path, load_images,
                                 save_images)
from hepcourse.simulate import images
from hepcourse.simulate.calorimeter import _deposit, grid, jet_features

IDEAL = dict(pileup=0.0, noise=0.0, stochastic=0.0, constant=0.0, threshold=0.0, lsb=0.0)


@pytest.fixture(scope="module")
def balanced():
    return images(3000, signal_fraction=0.5, seed=7)


@pytest.fixture(scope="module")
def ideal():
    return images(2000, signal_fraction=0.5, seed=8, **IDEAL)


def test_shapes_units_and_dtypes(balanced):
    assert balanced.images.shape == (3000, 1, 32, 32)
    assert balanced.images.dtype == np.float32 and balanced.labels.dtype == np.int64
    assert set(np.unique(balanced.labels)) == {0, 1}
    assert balanced.attrs["unit"] == "GeV" and balanced.attrs["axes"] == ["event", "channel", "eta", "phi"]
    assert (balanced.images >= 0).all()  # zero suppression removes negative noise
    assert list(balanced.truth.columns[:5]) == ["label", "pt", "eta", "phi", "mass"]
    assert len(balanced[:10]) == 10 and balanced[balanced.labels == 1].labels.all()


def test_same_seed_same_events_and_other_seed_other_events():
    a, b, c = images(200, seed=3), images(200, seed=3), images(200, seed=4)
    assert np.array_equal(a.images, b.images) and a.truth.equals(b.truth)
    assert not np.array_equal(a.images, c.images)


def test_signal_fraction_is_binomial():
    sample = images(20_000, signal_fraction=0.01, seed=1, size=16)
    assert abs(sample.labels.sum() - 200) < 5 * np.sqrt(200)
    assert images(500, signal_fraction=0.0, seed=1).labels.sum() == 0


def test_two_prong_mass_peaks_at_the_set_mass():
    for mass in (100.0, 150.0):
        sample = images(1500, signal_fraction=1.0, seed=2, mass=mass, pt_range=(3 * mass, 6 * mass), **IDEAL)
        t = sample.truth
        contained = t.dr_prongs < 0.7  # both quarks well inside the R = 0.8 jet
        assert contained.mean() > 0.5
        assert abs(np.median(t.mass[contained]) - mass) < 0.05 * mass
        # the prongs open up as ΔR ≈ 2m/pT (more for asymmetric decays, never less)
        ratio = t.dr_prongs * t.pt / (2 * mass)
        assert 0.95 < np.quantile(ratio, 0.05) and np.median(ratio) < 1.4


def test_background_jets_are_lighter_and_one_prong(balanced):
    t = balanced.truth
    sig, bkg = t[t.label == 1], t[t.label == 0]
    assert np.median(bkg.mass) < 0.5 * np.median(sig.mass)
    features = jet_features(balanced.images)
    tau_min = np.minimum(features.tau21_1, features.tau21_2)
    assert np.median(tau_min[t.label == 1]) < np.median(tau_min[t.label == 0])


def test_total_energy_is_the_jets_energy(ideal):
    # without pile-up and noise the image holds the two jets' E_T (minus a little beyond |η| < π)
    total = ideal.images.sum(axis=(1, 2, 3))
    expected = ideal.truth.recoil_pt + ideal.truth.pt
    ratio = total / expected
    assert 0.97 < np.median(ratio) < 1.02


def test_pileup_adds_diffuse_energy():
    quiet = images(300, seed=5, pileup=0.0)
    busy = images(300, seed=5, pileup=60.0)
    extra = busy.images.sum(axis=(1, 2, 3)).mean() - quiet.images.sum(axis=(1, 2, 3)).mean()
    # 5 particles per unit η per vertex, 0.5 GeV each, over 2π in η: ≈ 940 GeV for 60 vertices
    assert 700 < extra < 1200
    occupied = (busy.images > 0).mean(axis=(0, 1))
    assert occupied.min() > 0.3  # everywhere, not only near the jets


def test_phi_is_periodic():
    eta_edges, phi_edges = grid(32)
    # one 100 GeV particle just below φ = π: its shower wraps into the first column
    et = _deposit(np.array([0]), np.array([100.0]), np.array([0.05]), np.array([np.pi - 0.01]),
                  1, eta_edges, phi_edges)[0]
    assert et[:, 0].sum() > 5.0 and et[:, -1].sum() > 50.0
    assert et.sum() == pytest.approx(100.0, rel=1e-3)  # 3σ of the halo is kept
    # and on average no φ column is special: no loss at the edges of the image
    sample = images(4000, seed=6, size=16, **IDEAL)
    columns = sample.images.sum(axis=(0, 1, 2))
    assert columns.min() > 0.8 * columns.mean() and columns.max() < 1.2 * columns.mean()


def test_eta_reflection_symmetry_on_average():
    sample = images(4000, seed=9, size=16)
    rows = sample.images.mean(axis=(0, 1, 3))
    assert np.allclose(rows, rows[::-1], rtol=0.15)


@pytest.mark.parametrize("bad, message", [
    (dict(n=0), "n=0: must be at least 1"),
    (dict(n=10, signal_fraction=1.5), "signal_fraction=1.5: must be ≤ 1"),
    (dict(n=10, size=4), "at least 8"),
    (dict(n=10, pt_range=(500.0, 100.0)), "pt_range"),
    (dict(n=10, mass=-1.0), "mass"),
    (dict(n=10, pileup=-1.0), "pileup"),
])
def test_bad_input_is_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        images(**bad)


@pytest.mark.parametrize("parameter", ["mass", "width", "pileup", "noise", "stochastic", "constant",
                                       "threshold", "lsb", "eta_max"])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_detector_parameters_are_refused(parameter, value):
    # the old simulator took NaN or inf and made images of zeros or of NaN
    with pytest.raises(ValueError, match=parameter):
        images(8, signal_fraction=0.5, seed=0, **{parameter: value})


def test_pt_range_must_be_finite():
    with pytest.raises(ValueError, match="pt_range"):
        images(8, seed=0, pt_range=(300.0, float("inf")))


def test_seed_is_keyword_only_and_may_be_a_generator():
    with pytest.raises(TypeError):
        images(10, 0.5, 16, 3)
    a = images(50, seed=np.random.default_rng(4), size=16)
    b = images(50, seed=np.random.default_rng(4), size=16)
    assert np.array_equal(a.images, b.images) and a.attrs["options"]["seed"] is None
    assert images(5, seed=7, size=16).attrs["options"]["seed"] == 7


def test_jet_features_names_a_bad_argument():
    with pytest.raises(ValueError, match="radius"):
        jet_features(np.zeros((2, 1, 16, 16), np.float32), radius=float("nan"))
    with pytest.raises(ValueError, match="eta_max"):
        jet_features(np.zeros((2, 1, 16, 16), np.float32), eta_max=0.0)


def test_jet_features_live_in_analysis_and_are_re_exported():
    from hepcourse.analysis import jets
    from hepcourse.simulate import calorimeter

    assert calorimeter.jet_features is jets.jet_features


def test_augmentation_factors_are_checked():
    xb = torch.ones(2, 1, 8, 8)
    with pytest.raises(ValueError, match="low"):
        augment.energy_scale(xb, None, low=1.5, high=0.5)
    with pytest.raises(ValueError, match="high"):
        augment.zoom(xb, None, low=0.7, high=float("inf"))
    with pytest.raises(TypeError, match="compose"):
        augment.compose(augment.phi_roll, "eta_flip")


def test_jet_features_measure_the_signal_mass(ideal):
    f = jet_features(ideal.images)
    t = ideal.truth
    d1 = np.hypot(f.eta1 - t.eta, (f.phi1 - t.phi + np.pi) % (2 * np.pi) - np.pi)
    d2 = np.hypot(f.eta2 - t.eta, (f.phi2 - t.phi + np.pi) % (2 * np.pi) - np.pi)
    mass = np.where(d1 < d2, f.m1, f.m2)
    contained = (t.label == 1) & (t.dr_prongs < 0.5)
    assert 90 < np.median(mass[contained]) < 125  # 100 GeV, broadened by towers and showers
    assert np.median(np.where(d1 < d2, f.pt1, f.pt2)[t.label == 1] / t.pt[t.label == 1]) == pytest.approx(1, abs=0.05)


# ---- HDF5 ------------------------------------------------------------------------------

def test_hdf5_round_trip_is_exact(tmp_path, balanced):
    path = save_images(tmp_path / "s.h5", balanced)
    again = load_images(path)
    assert np.array_equal(again.images, balanced.images) and again.images.dtype == balanced.images.dtype
    assert np.array_equal(again.labels, balanced.labels) and again.labels.dtype == balanced.labels.dtype
    assert again.truth.equals(balanced.truth)
    assert (again.truth.dtypes == balanced.truth.dtypes).all()
    attrs = dict(again.attrs)
    assert attrs.pop("file") == str(path) and attrs == balanced.attrs
    part = load_images(path, start=100, stop=250)
    assert np.array_equal(part.images, balanced.images[100:250])
    with h5py.File(path) as f:
        ds = f["images"]
        assert ds.compression == "gzip" and ds.shuffle and ds.chunks[0] < len(balanced)
        assert ds.attrs["unit"] == "GeV"
        assert f.attrs["format"] == "hepcourse-images"
    assert path.stat().st_size < 0.5 * balanced.images.nbytes  # compressed


def test_hdf5_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="no image file"):
        load_images(tmp_path / "missing.h5")
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5")
    with pytest.raises(ImageFileError, match="not an HDF5 file"):
        load_images(text)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(ImageFileError, match="not a hepcourse image file"):
        load_images(foreign)
    with pytest.raises(ValueError, match="labels"):
        save_images(tmp_path / "bad.h5", images=np.zeros((3, 1, 8, 8), np.float32), labels=np.zeros(2))


def test_cached_images_simulates_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HEPCOURSE_DATA_DIR", str(tmp_path))
    first = cached_images(n=300, seed=11, size=16)
    assert "simulated" in capsys.readouterr().out
    path = cached_images_path(n=300, seed=11, size=16)
    assert path.is_file() and path.parent.parent == tmp_path
    second = cached_images(n=300, seed=11, size=16)
    assert "cache" in capsys.readouterr().out
    assert np.array_equal(first.images, second.images)
    assert cached_images_path(n=300, seed=12, size=16) != path
    path.write_bytes(b"damaged")  # a broken cache file is replaced
    third = cached_images(n=300, seed=11, size=16)
    assert np.array_equal(third.images, first.images)


# ---- augmentations ---------------------------------------------------------------------

def test_symmetry_augmentations_move_but_keep_energy(balanced):
    x = torch.as_tensor(balanced.images[:64])
    g = torch.Generator().manual_seed(0)
    rolled = augment.phi_roll(x, g)
    assert torch.allclose(rolled.sum(dim=3), x.sum(dim=3))  # each η row keeps its energy
    assert torch.equal(rolled.sort(dim=3).values, x.sort(dim=3).values)  # a permutation in φ
    assert not torch.equal(rolled, x)
    flipped = augment.eta_flip(x, g)
    assert torch.allclose(flipped.sum(dim=(1, 2, 3)), x.sum(dim=(1, 2, 3)))
    assert torch.equal(augment.detector_symmetries(x, g).sum(dim=(1, 2, 3)), x.sum(dim=(1, 2, 3)))
    aligned = augment.align_hottest(balanced.images[:64])
    hottest = aligned[:, 0].reshape(64, -1).argmax(axis=1)
    assert (hottest % 32 == 16).all() and (hottest // 32 >= 16).all()


def test_energy_scale_is_not_a_symmetry(balanced):
    x = torch.as_tensor(balanced.images[:64])
    scaled = augment.energy_scale(x, torch.Generator().manual_seed(0))
    ratio = scaled.sum(dim=(1, 2, 3)) / x.sum(dim=(1, 2, 3))
    assert ratio.min() >= 0.5 and ratio.max() <= 1.5 and ratio.std() > 0.1
    with pytest.raises(ValueError, match="image batches"):
        augment.phi_roll(torch.zeros(3, 32))
