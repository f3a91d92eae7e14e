"""hepcourse.models.autoencoder and hepcourse.stats.dependence: the distance correlation
(numpy and torch, against a hand computation and each other), the jet autoencoder as an
anomaly score, and DisCo decorrelating its score from the jet mass."""
import numpy as np
import pytest
import torch

from hepcourse.models.autoencoder import (
    JetAutoencoder,
    fit_autoencoder,
    reconstruction_error,
)
from hepcourse.stats import auc
from hepcourse.stats.dependence import distance_correlation, distance_correlation_torch

PIXELS = 32


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def jets(n, prongs, rng, pixels=PIXELS):
    """Synthetic jet images [n, 1, pixels, pixels] (pT fractions, sum 1) and a "mass" [n]:
    QCD-like (one prong) is a core of width 0.8-2.5 pixels plus soft emissions whose share
    of the pT grows with the width (heavier jets radiate more), mass = 40 GeV × width. The
    "complex" jets have 2 or 3 narrow hard prongs 3-6 pixels apart, with the same emissions."""
    g = np.arange(pixels) - (pixels - 1) / 2
    images = np.zeros((n, 1, pixels, pixels))
    width = rng.uniform(0.8, 2.5, n)
    mass = 40.0 * width * rng.normal(1.0, 0.05, n)
    for i in range(n):
        if prongs == 1:
            centres, sigmas, z = [np.zeros(2)], [width[i]], [1.0]
        else:
            angle = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(prongs) / prongs
            centres = list(rng.uniform(3, 6) / 2 * np.c_[np.cos(angle), np.sin(angle)])
            sigmas, z = [0.9] * prongs, list(rng.dirichlet([4.0] * prongs))
        soft, k = 0.05 + 0.25 * (width[i] - 0.8) / 1.7, rng.integers(2, 6)
        z = [zi * (1 - soft) for zi in z] + [soft / k] * k
        centres += [centres[rng.integers(prongs)] + rng.normal(0, 3.0, 2) for _ in range(k)]
        sigmas += [0.6] * k
        for zi, c, s in zip(z, centres, sigmas):
            r2 = (g[:, None] - c[0]) ** 2 + (g[None, :] - c[1]) ** 2
            images[i, 0] += zi * np.exp(-r2 / (2 * s * s)) / (2 * np.pi * s * s)
        images[i, 0] /= images[i, 0].sum()
    return images.astype(np.float32), mass


@pytest.fixture(scope="module")
def sample():
    rng = np.random.default_rng(1)
    out = {name: jets(n, prongs, rng) for name, n, prongs in
           [("train", 3000, 1), ("val", 1000, 1), ("test", 1000, 1), ("two", 500, 2), ("three", 500, 3)]}
    return out


def train(sample, lam=0.0, seed=0, epochs=15):
    torch.manual_seed(seed)
    model = JetAutoencoder(PIXELS, bottleneck=4, hidden=(64,))
    (x, m), (xv, mv) = sample["train"], sample["val"]
    history = fit_autoencoder(model, x, xv, epochs=epochs, batch_size=256, lr=3e-3, seed=seed,
                              decorrelate=m if lam else None, val_decorrelate=mv if lam else None,
                              lam=lam, device="cpu")
    return model, history


@pytest.fixture(scope="module")
def plain(sample):
    return train(sample)


def anomaly_auc(model, sample, kind):
    qcd, other = reconstruction_error(model, sample["test"][0]), reconstruction_error(model, sample[kind][0])
    return auc(np.r_[np.zeros(qcd.size), np.ones(other.size)], np.r_[qcd, other]).value


# ---- distance correlation -------------------------------------------------------------------

def test_distance_correlation_by_hand():
    # x = (0, 1, 2, 3): a_ij = |i − j|, row means (1.5, 1, 1, 1.5), grand mean 1.25, so
    #   A = [[-1.75, -0.25, 0.75, 1.25], [-0.25, -0.75, 0.25, 0.75], [0.75, 0.25, -0.75, -0.25],
    #        [1.25, 0.75, -0.25, -1.75]],  Σ A² = 13.
    # y = (0, 0, 1, 1): b_ij ∈ {0, 1}, every mean 0.5, so B = b − 0.5 = ±0.5,  Σ B² = 4.
    # Σ A·B = 2 + 1 + 1 + 2 = 6 (rows), so dCor² = (6/16) / √(13/16 · 4/16) = 3/√13 ≈ 0.832.
    x, y = [0.0, 1.0, 2.0, 3.0], [0.0, 0.0, 1.0, 1.0]
    assert distance_correlation(x, y, squared=True) == pytest.approx(3 / np.sqrt(13), rel=1e-12)
    assert distance_correlation(x, y) == pytest.approx(np.sqrt(3 / np.sqrt(13)), rel=1e-12)
    t = distance_correlation_torch(torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64),
                                   squared=True)
    assert t.item() == pytest.approx(3 / np.sqrt(13), rel=1e-12)
    # dCor sees what the linear correlation misses: y = x² on a symmetric x
    x = np.linspace(-1, 1, 201)
    assert abs(np.corrcoef(x, x ** 2)[0, 1]) < 1e-12 and distance_correlation(x, x ** 2) > 0.4


def test_distance_correlation_limits():
    rng = np.random.default_rng(0)
    x = rng.normal(size=2000)
    assert distance_correlation(x, x) == pytest.approx(1.0, abs=1e-12)
    assert distance_correlation(x, 7 - 3 * x) == pytest.approx(1.0, abs=1e-12)
    assert distance_correlation(x, np.exp(x)) > 0.9                    # monotone, nonlinear
    y = rng.normal(size=2000)
    assert distance_correlation(5 * x + 2, 0.1 * y) == pytest.approx(distance_correlation(x, y), rel=1e-9)
    assert distance_correlation(np.full(10, 3.0), np.arange(10.0)) == 0.0
    # independent: small and falling like 1/√n (means over seeds)
    means = [np.mean([distance_correlation(*np.random.default_rng(s).normal(size=(2, n)))
                      for s in range(5)]) for n in (100, 1000, 10000)]
    assert means[0] < 0.25 and means[1] < means[0] / 2 and means[2] < means[1] / 2 and means[2] < 0.03


def test_numpy_and_torch_agree_with_ties_and_weights():
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(size=400), 1)                              # many ties
    y = np.round(x + rng.normal(size=400), 1)
    w = rng.integers(0, 4, size=400).astype(float)
    t = distance_correlation_torch(torch.tensor(x), torch.tensor(y), torch.tensor(w)).item()
    assert distance_correlation(x, y, w) == pytest.approx(t, rel=1e-10)
    # a weight k counts like k copies; equal weights are no weights
    assert distance_correlation(x, y, w) == pytest.approx(
        distance_correlation(np.repeat(x, w.astype(int)), np.repeat(y, w.astype(int))), rel=1e-10)
    assert distance_correlation(x, y, np.full(400, 2.5)) == pytest.approx(distance_correlation(x, y), rel=1e-12)


def test_torch_distance_correlation_is_differentiable():
    rng = np.random.default_rng(4)
    x = torch.tensor(rng.normal(size=12), requires_grad=True)
    y = torch.tensor(rng.normal(size=12)) + 0.5 * x.detach()
    assert torch.autograd.gradcheck(lambda a: distance_correlation_torch(a, y, squared=True), (x,))
    # constant input: 0, with a finite (zero) gradient
    c = torch.ones(8, requires_grad=True)
    value = distance_correlation_torch(c, torch.arange(8.0), squared=True)
    value.backward()
    assert value.item() == 0.0 and torch.equal(c.grad, torch.zeros(8))


def test_distance_correlation_errors():
    with pytest.raises(ValueError, match="4 values and y 3"):
        distance_correlation([1, 2, 3, 4], [1, 2, 3])
    with pytest.raises(ValueError, match="at least 2"):
        distance_correlation([1.0], [2.0])
    with pytest.raises(ValueError, match="NaN"):
        distance_correlation([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match="weights"):
        distance_correlation([1.0, 2.0], [1.0, 2.0], [1.0, -1.0])
    with pytest.raises(TypeError, match="torch tensors"):
        distance_correlation_torch(np.ones(3), torch.ones(3))


# ---- the autoencoder ------------------------------------------------------------------------

def test_shapes_scaling_and_bad_arguments(sample):
    x = sample["train"][0]
    torch.manual_seed(0)
    model = JetAutoencoder((32, 32)).set_scaling(x)
    assert model.scale.item() == pytest.approx(np.sqrt(np.mean(x.astype(float) ** 2)), rel=1e-5)
    xt = torch.tensor(x[:5])
    assert model(xt).shape == (5, 1, 32, 32) and model.encode(xt).shape == (5, 8)
    # the error is in units of scale²: an empty reconstruction of the training jets scores 1
    last = model.decoder[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
    assert reconstruction_error(model, x).mean() == pytest.approx(1.0, rel=1e-5)
    assert "scale" in model.state_dict()
    with pytest.raises(ValueError, match=r"\[N, 1, 32, 32\]"):
        reconstruction_error(model, x[:, :, :16])
    with pytest.raises(ValueError, match=r"\[N, 1, 32, 32\]"):
        model(torch.zeros(2, 32, 32))
    with pytest.raises(ValueError, match="bottleneck"):
        JetAutoencoder((4, 4), bottleneck=16)
    with pytest.raises(TypeError, match="JetAutoencoder"):
        reconstruction_error(torch.nn.Identity(), x)
    m = sample["train"][1]
    with pytest.raises(ValueError, match="val_decorrelate"):
        fit_autoencoder(model, x, x, epochs=1, decorrelate=m, lam=1.0, device="cpu")
    with pytest.raises(ValueError, match="3000 images"):
        fit_autoencoder(model, x, x[:10], epochs=1, decorrelate=m[:10], val_decorrelate=m[:10], device="cpu")
    with pytest.raises(ValueError, match="NaN"):
        fit_autoencoder(model, np.full_like(x[:10], np.nan), x[:10], epochs=1, device="cpu")


def test_trained_on_qcd_it_flags_complex_jets(sample, plain):
    model, history = plain
    assert history.val_error.iloc[-1] < 0.5 * history.val_error.iloc[0]   # it learnt
    # the best epoch's weights are the ones kept
    best = history.attrs["best_epoch"]
    assert reconstruction_error(model, sample["val"][0]).mean() == pytest.approx(
        history.val_error.loc[best], rel=1e-5)
    assert anomaly_auc(model, sample, "two") > 0.9
    assert anomaly_auc(model, sample, "three") > 0.9


def test_disco_decorrelates_the_score_from_the_mass(sample, plain):
    qcd, mass = sample["test"]
    before = distance_correlation(reconstruction_error(plain[0], qcd), mass)
    model, history = train(sample, lam=1.0)
    after = distance_correlation(reconstruction_error(model, qcd), mass)
    assert before > 0.5                          # the plain score sculpts the mass
    assert after < 0.3 and after < 0.5 * before  # on held-out jets
    assert {"train_dcorr2", "val_dcorr2"} <= set(history.columns)
    assert history.val_dcorr2.iloc[-1] < history.val_dcorr2.iloc[0]
    assert anomaly_auc(model, sample, "two") > 0.9


def test_same_seed_same_errors(sample):
    small = {k: (v[0][:600], v[1][:600]) for k, v in sample.items()}
    first, h1 = train(small, lam=0.5, epochs=3)
    second, h2 = train(small, lam=0.5, epochs=3)
    x = small["test"][0]
    np.testing.assert_array_equal(reconstruction_error(first, x), reconstruction_error(second, x))
    assert h1.drop(columns="seconds").equals(h2.drop(columns="seconds"))
    other, _ = train(small, lam=0.5, epochs=3, seed=1)
    assert not np.array_equal(reconstruction_error(other, x), reconstruction_error(first, x))
