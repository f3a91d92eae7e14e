"""hepcourse.models: shapes, scaling stored in the model, the parameterized network."""
import numpy as np
import pytest
import torch

from hepcourse.models import MLP, ParameterizedMLP


def data(n=1000, d=5, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, d)) * [1, 10, 100, 0.1, 1000] + [0, 5, -50, 1, 500]).astype(np.float32)


def test_mlp_shapes_and_layers():
    torch.manual_seed(0)
    model = MLP(28)
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(28, 112), (112, 112), (112, 112), (112, 1)]
    assert model(torch.zeros(7, 28)).shape == (7, 1)
    assert MLP(4, hidden=(8,), n_outputs=3)(torch.zeros(2, 4)).shape == (2, 3)
    drop = MLP(4, hidden=(8, 8), dropout=(0.1, 0.5))
    assert [m.p for m in drop.modules() if isinstance(m, torch.nn.Dropout)] == [0.1, 0.5]


def test_scaling_lives_in_the_model():
    X = data()
    torch.manual_seed(0)
    model = MLP(5).set_scaling(X)
    np.testing.assert_allclose(model.mean.numpy(), X.mean(axis=0), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(model.std.numpy(), X.std(axis=0, ddof=1), rtol=1e-4)
    # the scaled model on raw inputs = the same weights on standardised inputs
    plain = MLP(5)
    plain.net.load_state_dict(model.net.state_dict())
    Z = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    torch.testing.assert_close(model(torch.tensor(X)), plain(torch.tensor(Z, dtype=torch.float32)),
                               rtol=1e-4, atol=1e-4)
    # saved and restored with the weights, loadable with weights_only=True
    state = model.state_dict()
    assert {"mean", "std"} <= set(state)
    buffer = __import__("io").BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    again = MLP(5)
    again.load_state_dict(torch.load(buffer, weights_only=True))
    torch.testing.assert_close(again(torch.tensor(X)), model(torch.tensor(X)))


def test_constant_feature_gets_unit_std():
    X = data()
    X[:, 3] = 2.0
    model = MLP(5).set_scaling(X)
    assert model.std[3] == 1.0
    assert torch.isfinite(model(torch.tensor(X))).all()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="dropout"):
        MLP(4, hidden=(8, 8), dropout=(0.1,))
    with pytest.raises(ValueError, match="activation"):
        MLP(4, activation="sigmoidish")
    with pytest.raises(ValueError, match=r"\[N, 4\]"):
        MLP(4).set_scaling(np.zeros((10, 3)))


def test_parameterized_mlp_takes_the_mass_last():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 27)).astype(np.float32)
    mass = rng.choice([500.0, 1000.0, 1500.0], 100).astype(np.float32)
    torch.manual_seed(0)
    model = ParameterizedMLP(27).set_scaling(ParameterizedMLP.with_parameter(X, mass))
    assert model.n_inputs == 28 and model.n_features == 27
    assert model.std[-1] > 100  # the mass column (GeV) is scaled like any feature
    full = torch.tensor(ParameterizedMLP.with_parameter(X, 750.0))
    torch.testing.assert_close(model(full), model(torch.tensor(X), 750.0))
    assert not torch.allclose(model(torch.tensor(X), 500.0), model(torch.tensor(X), 1500.0))
    with pytest.raises(ValueError, match="28 inputs"):
        model(torch.tensor(X))
