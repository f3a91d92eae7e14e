"""hepcourse.train: fit learns, is reproducible, stops early, checkpoints, guards NaN."""
import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from hepcourse.models import MLP
from hepcourse.train import History, default_lr, device, evaluate, fit, predict
from hepcourse.train.data import as_arrays


def blobs(n=20_000, d=8, seed=0, shift=1.0):
    """Two Gaussian classes separated by ``shift`` along every axis (Bayes AUC ≈ 0.98)."""
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.5).astype(np.float32)
    X = rng.normal(size=(n, d)).astype(np.float32) + shift * y[:, None]
    return X, y


def new_model(d=8, seed=0, **kw):
    torch.manual_seed(seed)
    return MLP(d, hidden=(32, 32), **kw)


def test_fit_learns_and_predicts_probabilities():
    X, y = blobs()
    Xt, yt = blobs(seed=1)
    model = new_model().set_scaling(X)
    history = fit(model, (X, y), (Xt, yt), epochs=4, batch_size=512, progress=False)
    p = predict(model, Xt)
    assert p.shape == (len(yt),) and p.dtype == np.float32
    assert 0 <= p.min() and p.max() <= 1
    assert roc_auc_score(yt, p) > 0.97
    assert isinstance(history, History) and len(history) == 4
    frame = history.to_frame()
    assert list(frame.columns) == ["train_loss", "val_loss", "lr", "seconds", "samples_per_s"]
    assert frame["train_loss"].iloc[-1] < frame["train_loss"].iloc[0]
    assert history.best_val_loss == pytest.approx(min(history.val_loss))


def test_same_seed_same_numbers():
    X, y = blobs(5000)
    runs = []
    for _ in range(2):
        model = new_model(dropout=0.2)
        h = fit(model, (X, y), (X[:1000], y[:1000]), epochs=2, batch_size=256, seed=3,
                progress=False)
        runs.append((h.train_loss, [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))
    other = new_model(dropout=0.2)
    h = fit(other, (X, y), epochs=2, batch_size=256, seed=4, progress=False)
    assert h.train_loss != runs[0][0]


def test_fit_leaves_global_rng_alone():
    X, y = blobs(2000)
    torch.manual_seed(11)
    expected = torch.rand(3)
    model = new_model(dropout=0.1)
    torch.manual_seed(11)
    fit(model, (X, y), epochs=1, batch_size=256, progress=False)
    assert torch.equal(torch.rand(3), expected)


def test_early_stopping_restores_best_weights_and_checkpoint(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 8)).astype(np.float32)
    y = (rng.uniform(size=4000) < 0.5).astype(np.float32)  # pure noise: it can only overfit
    Xv = rng.normal(size=(2000, 8)).astype(np.float32)
    yv = (rng.uniform(size=2000) < 0.5).astype(np.float32)
    model = new_model()
    path = tmp_path / "best.pt"
    history = fit(model, (X, y), (Xv, yv), epochs=60, batch_size=128, lr=3e-3, schedule=None,
                  patience=3, checkpoint=path, progress=False)
    assert history.stopped_early and history.stop_reason == "early stopping"
    assert len(history) == history.best_epoch + 3
    from hepcourse.train.loop import _loss_function
    loss_fn, target = _loss_function("bce")
    val = evaluate(model, as_arrays((Xv, yv), "val", target), loss_fn)
    assert val == pytest.approx(history.best_val_loss, rel=1e-5)
    state = torch.load(path, weights_only=True)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_nan_loss_names_epoch_and_batch():
    X, y = blobs(4096)
    X[3000, 2] = np.nan
    with pytest.raises(FloatingPointError, match=r"epoch 1, batch \d+ of 8"):
        fit(new_model(), (X, y), epochs=2, batch_size=512, progress=False)


def test_cross_entropy_three_classes():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 9000)
    X = (rng.normal(size=(9000, 8)) + 2.0 * np.eye(3, 8)[y]).astype(np.float32)
    torch.manual_seed(0)
    model = MLP(8, hidden=(32,), n_outputs=3).set_scaling(X)
    fit(model, (X, y), loss="ce", epochs=5, batch_size=256, progress=False)
    p = predict(model, X)
    assert p.shape == (9000, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert (p.argmax(axis=1) == y).mean() > 0.85


def test_balanced_class_weight_lifts_the_rare_class():
    rng = np.random.default_rng(2)
    y = (rng.uniform(size=20000) < 0.05).astype(np.float32)
    X = (rng.normal(size=(20000, 4)) + 1.0 * y[:, None]).astype(np.float32)
    means = {}
    for cw in (None, "balanced"):
        torch.manual_seed(0)
        model = MLP(4, hidden=(16,)).set_scaling(X)
        fit(model, (X, y), epochs=4, batch_size=512, class_weight=cw, progress=False)
        means[cw] = predict(model, X)[y == 1].mean()
    assert means[None] < 0.4 < means["balanced"]


def test_augment_gets_each_batch_and_a_generator():
    X, y = blobs(2048)
    calls = []

    def flip(xb, generator):
        assert isinstance(generator, torch.Generator)
        calls.append(xb.shape[0])
        sign = torch.where(torch.rand(xb.shape[0], 1, generator=generator) < 0.5, -1.0, 1.0)
        return xb * sign

    fit(new_model(), (X, y), epochs=2, batch_size=512, augment=flip, progress=False)
    assert calls == [512] * 8


@pytest.mark.parametrize("schedule", ["onecycle", "cosine", "plateau", None])
def test_schedules(schedule):
    X, y = blobs(4000)
    h = fit(new_model(), (X, y), (X[:500], y[:500]), epochs=3, batch_size=500, lr=1e-2,
            schedule=schedule, progress=False)
    lrs = [e["lr"] for e in h.epochs]
    if schedule in ("onecycle", "cosine"):  # per batch: past the warm-up, then annealed
        assert lrs[0] > lrs[1] > lrs[2] and lrs[-1] < 1e-2 / 20
        assert lrs[0] > 0.5e-2
    if schedule == "plateau":  # per epoch: the peak, or a tenth of it, a hundredth, ...
        assert lrs[0] == pytest.approx(1e-2)
        assert all(any(lr == pytest.approx(1e-2 / 10**k) for k in range(4)) for lr in lrs)
        assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    if schedule is None:
        assert lrs == [1e-2] * 3


def test_plateau_divides_by_ten():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 8)).astype(np.float32)
    y = (rng.uniform(size=2000) < 0.5).astype(np.float32)
    h = fit(new_model(), (X, y), (X[:500], 1 - y[:500]), epochs=8, batch_size=200, lr=1e-2,
            schedule="plateau", patience=None, progress=False)
    lrs = sorted({round(e["lr"], 12) for e in h.epochs}, reverse=True)
    assert lrs[0] == pytest.approx(1e-2) and len(lrs) > 1
    assert all(b == pytest.approx(a / 10) for a, b in zip(lrs, lrs[1:]))


def test_max_time_ends_the_run():
    X, y = blobs(20000)
    h = fit(new_model(), (X, y), epochs=1000, batch_size=64, max_time=0.5, progress=False)
    assert h.stop_reason == "max_time" and len(h) < 1000
    # the one-cycle schedule followed the clock: the run ends annealed
    assert h.epochs[-1]["lr"] < 1e-3 * default_lr(64)


def test_onecycle_shape():
    from hepcourse.train.schedule import cosine, onecycle

    assert onecycle(0.0) == pytest.approx(1 / 25)
    assert onecycle(0.3) == pytest.approx(1.0)
    assert onecycle(1.0) == pytest.approx(1 / 25 / 1e4)
    assert cosine(0.05) == pytest.approx(1.0) and cosine(1.0) == pytest.approx(0.0)
    grid = [onecycle(x / 100) for x in range(101)]
    peak = grid.index(max(grid))
    assert all(a <= b for a, b in zip(grid[:peak], grid[1:peak + 1]))
    assert all(a >= b for a, b in zip(grid[peak:], grid[peak + 1:]))


def test_default_lr():
    # (per-sample and class weights: tests/test_train_losses.py)
    assert default_lr(32) == pytest.approx(1e-3)
    assert default_lr(4096) == pytest.approx(1e-3 * math.sqrt(128))
    assert default_lr(10**7) == pytest.approx(2e-2)


def test_clear_errors():
    X, y = blobs(100)
    m = new_model()
    with pytest.raises(ValueError, match="loss='focal'"):
        fit(m, (X, y), loss="focal", progress=False)
    with pytest.raises(ValueError, match="schedule='linear'"):
        fit(m, (X, y), schedule="linear", progress=False)
    with pytest.raises(ValueError, match="labels 0 or 1"):
        fit(m, (X, y * 2), progress=False)
    with pytest.raises(ValueError, match="shape"):
        fit(m, (X, y[:50]), progress=False)
    with pytest.raises(ValueError, match="class_weight"):
        fit(m, (X, y), class_weight="even", progress=False)
    assert device("cpu") == torch.device("cpu")
    assert device("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(ValueError, match="device='tpu'"):
        device("tpu")


def test_plots_draw(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from hepcourse import plot

    X, y = blobs(3000)
    model = new_model().set_scaling(X)
    h = fit(model, (X, y), (X[:500], y[:500]), epochs=2, progress=False)
    p = predict(model, X)
    fig = plot.training_history(h)
    assert fig.axes[0].get_ylabel() == "loss per event"
    ax = plot.roc(y, {"net": p, "other": (y[:100], p[:100])})
    assert "AUC = " in ax.get_legend().get_texts()[0].get_text()
    ax = plot.background_rejection(y, p, rejection=100)
    assert ax.get_yscale() == "log" and any(list(line.get_ydata()) == [100, 100] for line in ax.get_lines())
    plot.score_distributions(y, p)
    ax = plot.auc_vs_mass({"a": {500: 0.8, 1000: 0.9}}, unseen=1000)
    assert ax.get_ylabel() == "AUC"
    with pytest.raises(ValueError, match="scores for"):
        plot.roc(y, {"bad": p[:10]})


@pytest.mark.parametrize("amp, name", [(False, "fp32"), ("bf16", "bf16"), ("fp16", "fp16")])
def test_mixed_precision_learns_as_well(amp, name):
    X, y = blobs(10_000)
    Xt, yt = blobs(5000, seed=1)
    model = new_model().set_scaling(X)
    h = fit(model, (X, y), (Xt, yt), epochs=3, batch_size=512, amp=amp, device="cpu",
            progress=False)
    assert h.precision == name and h.device == "cpu"
    assert all(p.dtype == torch.float32 for p in model.parameters())  # weights stay fp32
    assert roc_auc_score(yt, predict(model, Xt)) > 0.97
    with pytest.raises(ValueError, match="amp='fp8'"):
        fit(model, (X, y), amp="fp8", progress=False)


def test_compile_failure_falls_back_to_eager(monkeypatch):
    X, y = blobs(4000)

    class Broken(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            raise RuntimeError("no C++ compiler found")

    monkeypatch.setattr(torch, "compile", lambda module, **kw: Broken(module))
    model = new_model().set_scaling(X)
    with pytest.warns(RuntimeWarning, match="torch.compile failed"):
        h = fit(model, (X, y), epochs=2, batch_size=500, compile=True, progress=False)
    assert not h.compiled and "no C++ compiler" in h.notes[0]
    assert h.train_loss[-1] < h.train_loss[0]
    with pytest.raises(ValueError, match="compile='fast'"):
        fit(model, (X, y), compile="fast", progress=False)
