"""hepcourse.train.losses: shapes matched for every loss, weighted means, and sums kept in
a dtype the training device has (no float64 on Apple's MPS)."""
import re

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from hepcourse.models import MLP
from hepcourse.train import evaluate, fit, losses
from hepcourse.train.data import as_arrays


def blobs(n=3000, d=6, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.3).astype(np.float32)
    X = (rng.normal(size=(n, d)) + 0.8 * y[:, None]).astype(np.float32)
    return X, y


def new_model(d=6, out=1, seed=0, **kw):
    torch.manual_seed(seed)
    return MLP(d, hidden=(16,), n_outputs=out, **kw)


def regression(n=6000, seed=0, noise=0.3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) + noise * rng.normal(size=n)).astype(np.float32)
    return X, y


def test_accumulator_dtype_per_device():
    assert losses.accumulator_dtype(torch.device("cpu")) == torch.float64
    assert losses.accumulator_dtype("cuda:1") == torch.float64
    assert losses.accumulator_dtype(torch.device("mps")) == torch.float32


class NoFloat64(TorchDispatchMode):
    """Every operation that makes a float64 tensor raises, as on a device without float64."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_leaves(out):
            if isinstance(t, torch.Tensor) and t.dtype == torch.float64:
                raise RuntimeError(f"{func} made a float64 tensor on {t.device}")
        return out


def test_fit_makes_no_float64_tensor_on_a_device_without_float64(monkeypatch, tmp_path):
    X, y = blobs()
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y)).astype(np.float32)
    opts = dict(epochs=2, batch_size=500, seed=1, patience=None, progress=False)
    reference = fit(new_model(dropout=0.1), (X, y, w), (X[:500], y[:500], w[:500]), **opts)
    with NoFloat64(), pytest.raises(RuntimeError, match="float64"):
        torch.zeros(2, dtype=torch.float64)  # the guard works
    # the CPU pretends to be a device without float64, like MPS
    monkeypatch.setattr(losses, "NO_FLOAT64", {"mps", "cpu"})
    state = tmp_path / "state.pt"
    calls = []

    def crash_in_epoch_2(xb, generator):  # 6 batches per epoch
        calls.append(1)
        if len(calls) == 8:
            raise KeyboardInterrupt("stopped in epoch 2")
        return xb

    with NoFloat64():
        with pytest.raises(KeyboardInterrupt):
            fit(new_model(dropout=0.1), (X, y, w), (X[:500], y[:500], w[:500]), state=state,
                class_weight="balanced", augment=crash_in_epoch_2, **opts)
        h = fit(new_model(dropout=0.1), (X, y, w), (X[:500], y[:500], w[:500]), state=state,
                resume=True, class_weight="balanced", augment=crash_in_epoch_2, **opts)
        float32 = fit(new_model(dropout=0.1), (X, y, w), (X[:500], y[:500], w[:500]), **opts)
    assert h.resumed_from == 1 and len(h) == 2
    # float32 sums: the same losses to float32 precision
    np.testing.assert_allclose(float32.train_loss, reference.train_loss, rtol=1e-5)
    np.testing.assert_allclose(float32.val_loss, reference.val_loss, rtol=1e-5)


def test_mse_regression_trains_on_matching_shapes():
    """nn.MSELoss() with an MLP's [N, 1] outputs and targets [N]: no broadcast to [N, N]."""
    X, y = regression()
    torch.manual_seed(0)
    model = MLP(4, hidden=(32,)).set_scaling(X[:5000])
    h = fit(model, (X[:5000], y[:5000]), (X[5000:], y[5000:]), loss=nn.MSELoss(), epochs=8,
            batch_size=250, lr=1e-2, progress=False)
    assert h.best_val_loss < 0.15  # the noise variance is 0.09; the [N, N] broadcast gave ~4
    with torch.no_grad():
        residual = model(torch.from_numpy(X[5000:]))[:, 0].numpy() - y[5000:]
    assert evaluate(model, (X[5000:], y[5000:]), nn.MSELoss()) == pytest.approx(
        float(np.mean(residual.astype(np.float64) ** 2)), rel=1e-5)
    assert h.best_val_loss == pytest.approx(float(np.mean(residual.astype(np.float64) ** 2)), rel=1e-5)


def test_a_function_gives_per_sample_losses():
    X, y = regression(2000)

    def absolute(out, target):
        return (out - target).abs()

    model = MLP(4, hidden=(16,)).set_scaling(X)
    fit(model, (X, y), loss=absolute, epochs=2, batch_size=200, lr=1e-2, progress=False)
    with torch.no_grad():
        mae = float((model(torch.from_numpy(X))[:, 0] - torch.from_numpy(y)).abs().double().mean())
    data = as_arrays((X, y), "data", "any")
    assert evaluate(model, data, losses.loss_function(absolute)[0]) == pytest.approx(mae, rel=1e-5)
    with pytest.raises(ValueError, match=r"returned shape \(\) for a batch of 200 samples.*reduction='none'"):
        fit(model, (X, y), loss=nn.functional.l1_loss, epochs=1, batch_size=200, progress=False)


@pytest.mark.parametrize("loss, outputs, labels", [
    ("bce", 2, "float"), (nn.MSELoss(), 3, "float"), ("ce", None, "long")])
def test_shape_mismatch_names_both_shapes(loss, outputs, labels):
    X, y = blobs(600)
    if outputs is None:  # 'ce' with a model returning [N]
        class Flat(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = MLP(6, hidden=(4,))

            def forward(self, x):
                return self.inner(x)[:, 0]
        model = Flat()
    else:
        model = MLP(6, hidden=(4,), n_outputs=outputs)
    shape = (300,) if outputs is None else (300, outputs)
    pattern = rf"loss=.*shape {re.escape(str(shape))}.*{re.escape('(300,)')}"
    with pytest.raises(ValueError, match=pattern):
        fit(model, (X, y), loss=loss, epochs=1, batch_size=300, progress=False)


def test_class_index_losses_keep_the_logits():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 1500)
    X = (rng.normal(size=(1500, 6)) + 2.0 * np.eye(3, 6)[y]).astype(np.float32)
    a, b = new_model(out=3), new_model(out=3)
    h_ce = fit(a, (X, y), loss="ce", epochs=2, batch_size=300, progress=False)
    h_module = fit(b, (X, y), loss=nn.CrossEntropyLoss(), epochs=2, batch_size=300, progress=False)
    assert h_module.train_loss == pytest.approx(h_ce.train_loss, rel=1e-6)


def test_class_weight_is_a_weighted_mean():
    X, y = blobs(2000)
    model = new_model().set_scaling(X)
    with torch.no_grad():
        logits = model(torch.from_numpy(X))[:, 0].double()
    ell = nn.functional.binary_cross_entropy_with_logits(logits, torch.from_numpy(y).double(),
                                                         reduction="none").numpy()
    w = np.where(y == 1, 4.0, 1.0)
    weighted = float((w * ell).sum() / w.sum())
    bce = losses.loss_function("bce")[0]
    plain = evaluate(model, as_arrays((X, y), "val", "float"), bce)
    assert plain == pytest.approx(float(ell.mean()), rel=1e-6)
    assert evaluate(model, (X, y, w.astype(np.float32)), "bce") == pytest.approx(weighted, rel=1e-6)
    assert abs(weighted - plain) > 0.01  # the weighting is measurable
    # class_weight={1: 4} is the same run as per-sample weights 4 for the signal
    opts = dict(epochs=2, batch_size=400, progress=False, seed=2)
    by_class = fit(new_model(), (X, y), (X, y), class_weight={1: 4.0}, **opts)
    by_sample = fit(new_model(), (X, y, w.astype(np.float32)), (X, y, w.astype(np.float32)), **opts)
    unweighted = fit(new_model(), (X, y), (X, y), **opts)
    assert by_class.train_loss == pytest.approx(by_sample.train_loss, rel=1e-6)
    assert by_class.val_loss == pytest.approx(by_sample.val_loss, rel=1e-6)
    assert abs(by_class.val_loss[-1] - unweighted.val_loss[-1]) > 0.01


def test_unit_weights_are_no_weights():
    X, y = blobs(2000)
    opts = dict(epochs=2, batch_size=400, progress=False, seed=2)
    ones = np.ones(len(y), np.float32)
    a = fit(new_model(), (X, y, ones), (X, y, ones), **opts)
    b = fit(new_model(), (X, y), (X, y), **opts)
    assert a.train_loss == pytest.approx(b.train_loss, rel=1e-5)
    assert a.val_loss == pytest.approx(b.val_loss, rel=1e-5)
    twice = fit(new_model(), (X, y, np.where(y == 0, 3.0, 1.0).astype(np.float32)), (X, y), **opts)
    assert abs(twice.val_loss[-1] - b.val_loss[-1]) > 0.005
