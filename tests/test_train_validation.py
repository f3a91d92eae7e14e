"""Counts, sizes and rates of the public functions of hepcourse.train, hepcourse.models and
hepcourse.export are checked: a bad value is a TypeError/ValueError naming the argument,
never an empty result or a silent default."""
import numpy as np
import pytest
import torch

from hepcourse import export
from hepcourse.models import CNN, MLP, ParameterizedMLP
from hepcourse.train import default_lr, evaluate, fit, predict
from hepcourse.train.bench import measure

rng = np.random.default_rng(0)
X = rng.normal(size=(300, 4)).astype(np.float32)
y = (rng.uniform(size=300) < 0.5).astype(np.float32)


def model():
    torch.manual_seed(0)
    return MLP(4, hidden=(8,))


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(epochs=0), ValueError, "epochs=0"),
    (dict(epochs=2.5), ValueError, "epochs=2.5"),
    (dict(epochs=True), TypeError, "epochs=True"),
    (dict(batch_size=-1), ValueError, "batch_size=-1"),
    (dict(batch_size=0), ValueError, "batch_size=0"),
    (dict(batch_size="64"), TypeError, "batch_size='64'"),
    (dict(patience=0), ValueError, "patience=0"),
    (dict(patience=1.5), ValueError, "patience=1.5"),
    (dict(lr=0.0), ValueError, "lr=0.0"),
    (dict(lr=-1e-3), ValueError, "lr=-0.001"),
    (dict(lr=float("nan")), ValueError, "lr=nan"),
    (dict(weight_decay=-0.1), ValueError, "weight_decay=-0.1"),
    (dict(max_time=0), ValueError, "max_time=0"),
    (dict(seed=-1), ValueError, "seed=-1"),
    (dict(seed=1.5), ValueError, "seed=1.5"),
    (dict(progress="yes"), TypeError, "progress='yes'"),
    (dict(class_weight={1: -2.0}), ValueError, r"class_weight\[1\]=-2.0"),
    (dict(class_weight={0: 0.0, 1: 0.0}), ValueError, "at least one weight must be positive"),
    (dict(class_weight={-1: 2.0}), ValueError, "class_weight key -1"),
    (dict(state=3), TypeError, "state=3"),
    (dict(resume=3), TypeError, "resume=3"),
    (dict(schedule="linear"), ValueError, "schedule='linear'"),
])
def test_fit_names_the_bad_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        fit(model(), (X, y), **{"epochs": 1, "progress": False, **kwargs})


def test_fit_checks_weights_and_the_model():
    w = np.ones(300, np.float32)
    w[7] = np.nan
    with pytest.raises(ValueError, match="train w: the per-sample weights hold NaN"):
        fit(model(), (X, y, w), epochs=1, progress=False)
    with pytest.raises(TypeError, match="model: expected a torch.nn.Module"):
        fit(lambda x: x, (X, y), epochs=1, progress=False)


@pytest.mark.parametrize("batch_size, error", [(0, ValueError), (-64, ValueError),
                                               (2.5, ValueError), (True, TypeError)])
def test_predict_and_evaluate_refuse_a_bad_batch_size(batch_size, error):
    m = model()
    with pytest.raises(error, match="batch_size"):
        predict(m, X, batch_size=batch_size)
    with pytest.raises(error, match="batch_size"):
        evaluate(m, (X, y), "bce", batch_size=batch_size)
    assert predict(m, X, batch_size=7).shape == (300,)  # a valid odd size still covers all rows


class FakeSession:
    """The two methods of an ONNX Runtime session that onnx_logits uses."""

    def get_inputs(self):
        return [type("Input", (), {"name": "x"})()]

    def run(self, outputs, feeds):
        return [feeds["x"][:, :1] * 2.0]


@pytest.mark.parametrize("batch_size", [0, -1, 1.5])
def test_onnx_predict_refuses_a_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        export.onnx_predict(FakeSession(), X, batch_size=batch_size)
    with pytest.raises(ValueError, match="batch_size"):
        export.onnx_logits(FakeSession(), X, batch_size=batch_size)
    scores = export.onnx_predict(FakeSession(), X, batch_size=64)
    np.testing.assert_allclose(scores, 1 / (1 + np.exp(-2.0 * X[:, 0])), rtol=1e-6)


@pytest.mark.parametrize("build, error, name", [
    (lambda: MLP(4, hidden=[2.7]), ValueError, r"hidden\[0\]=2.7"),
    (lambda: MLP(4, hidden=[8, 0]), ValueError, r"hidden\[1\]=0"),
    (lambda: MLP(4, hidden=112), TypeError, "hidden=112"),
    (lambda: MLP(True), TypeError, "n_inputs=True"),
    (lambda: MLP(0), ValueError, "n_inputs=0"),
    (lambda: MLP(4.5), ValueError, "n_inputs=4.5"),
    (lambda: MLP(4, n_outputs=0), ValueError, "n_outputs=0"),
    (lambda: MLP(4, n_outputs=False), TypeError, "n_outputs=False"),
    (lambda: MLP(4, hidden=(8,), dropout=1.0), ValueError, "dropout=1.0"),
    (lambda: MLP(4, hidden=(8, 8), dropout=(0.1, -0.2)), ValueError, r"dropout\[1\]=-0.2"),
    (lambda: MLP(4, dropout="high"), TypeError, "dropout='high'"),
    (lambda: ParameterizedMLP(True), TypeError, "n_features=True"),
    (lambda: ParameterizedMLP(-27), ValueError, "n_features=-27"),
    (lambda: CNN(image_size=16.5), ValueError, "image_size=16.5"),
    (lambda: CNN(image_size=(16,)), ValueError, r"image_size=\(16,\)"),
    (lambda: CNN(image_size=(16, 0)), ValueError, r"image_size\[1\]=0"),
    (lambda: CNN(in_channels=True), TypeError, "in_channels=True"),
    (lambda: CNN(channels=(32, 2.5)), ValueError, r"channels\[1\]=2.5"),
    (lambda: CNN(dense=(128,)), ValueError, "dense=.*two widths"),
    (lambda: CNN(dropout=-0.1), ValueError, "dropout=-0.1"),
    (lambda: CNN(energy_unit=0), ValueError, "energy_unit=0"),
    (lambda: CNN(padding="reflect"), ValueError, "padding='reflect'"),
    (lambda: CNN(image_size=16).set_scaling(np.zeros((2, 1, 16, 16)), batch_size=0),
     ValueError, "batch_size=0"),
])
def test_model_constructors_name_the_bad_argument(build, error, name):
    with pytest.raises(error, match=name):
        build()


def test_models_still_take_what_they_took():
    assert MLP(4, hidden=[8.0, 4]).hidden == (8, 4)  # integral floats are whole numbers
    assert MLP(np.int64(4), hidden=()).hidden == ()  # no hidden layer: logistic regression
    assert CNN(image_size=np.int64(16)).image_size == (16, 16)
    assert CNN(image_size=[16, 24]).image_size == (16, 24)


def test_rates_and_sizes_of_the_helpers():
    with pytest.raises(ValueError, match="batch_size=0"):
        default_lr(0)
    with pytest.raises(ValueError, match="epochs=1"):
        measure(model, X, y, batch_size=64, epochs=1, device="cpu")
    with pytest.raises(ValueError, match="batch_size=-8"):
        measure(model, X, y, batch_size=-8, device="cpu")
    with pytest.raises(ValueError, match="opset=0"):
        export.to_onnx(model(), "unused.onnx", opset=0)
