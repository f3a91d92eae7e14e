"""The CNN, its checkpoints, ONNX export and int8 quantization (chapter 5)."""
import os
import stat

import numpy as np
import pytest
import torch

from hepcourse import export
from hepcourse.models import CNN
from hepcourse.simulate import images
from hepcourse.train import fit, predict


@pytest.fixture(scope="module")
def sample():
    return images(400, signal_fraction=0.5, seed=21, size=16)


@pytest.fixture(scope="module")
def trained(sample, tmp_path_factory):
    torch.manual_seed(0)
    model = CNN(image_size=16).set_scaling(sample.images[:300])
    path = tmp_path_factory.mktemp("ckpt") / "best.pt"
    y = sample.labels.astype(np.float32)
    history = fit(model, (sample.images[:300], y[:300]), (sample.images[300:], y[300:]), epochs=2,
                  batch_size=64, schedule="plateau", class_weight="balanced", checkpoint=path,
                  progress=False)
    return model, path, history


def test_cnn_shapes_and_scaling(sample):
    model = CNN(image_size=16)
    assert model(torch.as_tensor(sample.images[:5])).shape == (5, 1)
    model.set_scaling(sample.images)
    t = torch.log1p(torch.as_tensor(sample.images) / model.energy_unit)
    assert model.mean.item() == pytest.approx(t.mean().item(), rel=1e-4)
    assert model.std.item() == pytest.approx(t.std().item(), rel=1e-3)
    assert {"mean", "std"} <= set(model.state_dict())
    assert CNN(image_size=32, padding="valid").head[0].in_features == 64 * 6 * 6  # the tutorial
    with pytest.raises(ValueError, match="padding"):
        CNN(padding="reflect")
    with pytest.raises(ValueError, match="set_scaling needs images"):
        model.set_scaling(np.zeros((4, 16, 16), np.float32))


def test_phi_padding_makes_the_convolutions_periodic():
    # rolling the input by 4 towers in φ (two 2×2 poolings) rolls the feature map by one column
    torch.manual_seed(1)
    model = CNN(image_size=16).eval()
    x = torch.rand(3, 1, 16, 16)
    conv = model.features[:-1]  # up to the last pooling, before Flatten
    with torch.no_grad():
        a = conv(torch.roll(x, 4, dims=3))
        b = torch.roll(conv(x), 1, dims=3)
    assert torch.allclose(a, b, atol=1e-6)
    zeros = CNN(image_size=16, padding="zeros").eval()
    with torch.no_grad():
        c = zeros.features[:-1](torch.roll(x, 4, dims=3))
        d = torch.roll(zeros.features[:-1](x), 1, dims=3)
    assert not torch.allclose(c, d, atol=1e-6)  # zero padding breaks the cylinder


def test_checkpoint_loads_with_weights_only(trained, sample):
    model, path, history = trained
    assert path.is_file() and history.best_epoch is not None
    state = torch.load(path, weights_only=True)
    fresh = CNN(image_size=16)
    fresh.load_state_dict(state)
    assert torch.equal(fresh.mean, model.mean)  # the scaling travels with the weights
    np.testing.assert_array_equal(predict(fresh, sample.images), predict(model, sample.images))


def test_onnx_scores_match_torch(trained, sample, tmp_path):
    model, _, _ = trained
    path = export.to_onnx(model, tmp_path / "cnn.onnx")
    torch_scores = predict(model, sample.images)
    onnx_scores = export.onnx_predict(path, sample.images[:37])  # another batch size than exported
    np.testing.assert_allclose(onnx_scores, torch_scores[:37], atol=1e-5, rtol=0)
    np.testing.assert_allclose(export.onnx_predict(path, sample.images), torch_scores, atol=1e-5, rtol=0)
    with pytest.raises(FileNotFoundError, match="no ONNX file"):
        export.onnx_predict(tmp_path / "missing.onnx", sample.images)
    # written atomically: no temporary file left, the umask's permissions
    assert [p.name for p in tmp_path.iterdir()] == ["cnn.onnx"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_int8_quantization_runs_and_shrinks(trained, sample, tmp_path):
    model, _, _ = trained
    before = {k: v.clone() for k, v in model.state_dict().items()}
    quantized = export.quantize_int8(model)
    scores = predict(quantized, sample.images)
    reference = predict(model, sample.images)
    assert scores.shape == reference.shape and np.isfinite(scores).all()
    assert np.abs(scores - reference).max() < 0.05
    assert export.model_size(quantized) < 0.5 * export.model_size(model)
    # the original model is untouched: same float32 weights, same scores
    after = model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert isinstance(model.head[0], torch.nn.Linear) and model.head[0].weight.dtype == torch.float32
    np.testing.assert_array_equal(predict(model, sample.images), reference)
    onnx_path = export.to_onnx(model, tmp_path / "cnn.onnx")
    q_path = export.quantize_onnx_int8(onnx_path, tmp_path / "cnn-int8.onnx")
    q_scores = export.onnx_predict(q_path, sample.images)
    assert np.abs(q_scores - reference).max() < 0.05
    assert export.model_size(q_path) < 0.5 * export.model_size(onnx_path)
