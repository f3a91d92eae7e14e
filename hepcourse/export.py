"""Taking a trained model out of Python: ONNX files and int8 quantization.

A trigger farm or a C++ analysis framework does not run PyTorch; it runs an ONNX file
through ONNX Runtime (or a library that reads ONNX). The steps, and the checks that they
did not change the physics:

>>> from hepcourse import export
>>> path = export.to_onnx(model, "cnn.onnx")                  # graph + weights, one file
>>> scores = export.onnx_predict(path, X_test)                # same numbers as torch
>>> small = export.quantize_int8(model)                       # int8 weights in the dense layers
>>> qpath = export.quantize_onnx_int8(path, "cnn-int8.onnx")  # the same for the ONNX file

Dynamic quantization stores the weights of the dense (``nn.Linear``) layers as 8-bit
integers with one scale per tensor and quantizes each batch of activations on the fly: the
model shrinks about 4× where the dense layers dominate and runs integer matrix products;
the price is a small change in the scores, which must be measured (e.g. as ΔAUC).

Requires the ``export`` extra: ``onnx`` and ``onnxruntime`` (and ``onnxscript`` for the
``torch.export``-based exporter, the default of PyTorch ≥ 2.9; without it the legacy
TorchScript exporter is used).
"""
from __future__ import annotations

import copy
import importlib.util
import io
import logging
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import validate
from .files import atomic_write

__all__ = ["model_size", "onnx_logits", "onnx_predict", "onnx_session", "quantize_int8",
           "quantize_onnx_int8", "to_onnx"]


def _example_input(model: nn.Module, example):
    if example is not None:
        x = torch.as_tensor(np.asarray(example) if not isinstance(example, torch.Tensor) else example)
        return x[:2].to(torch.float32)
    if hasattr(model, "image_size") and hasattr(model, "in_channels"):
        return torch.zeros(2, model.in_channels, *model.image_size)
    if hasattr(model, "n_inputs"):
        return torch.zeros(2, model.n_inputs)
    raise ValueError("pass example=, a batch of inputs [N, ...] that fixes the input shape")


def to_onnx(model: nn.Module, path, example=None, *, opset: int = 18, dynamo: bool | None = None) -> Path:
    """Export ``model`` (in eval mode, on the CPU) to the ONNX file ``path``; return the Path.

    example: a batch of inputs (numpy or torch) fixing the shape of one sample; optional for
        hepcourse models (CNN, MLP), which know their input shape.
    The batch axis is dynamic (input ``x`` [N, ...], output ``logits`` [N, 1]), all weights
    are inside the one file, and the file is checked with ``onnx.checker``.
    dynamo: True for the ``torch.export``-based exporter (needs ``onnxscript``), False for
        the legacy TorchScript exporter, None for the first when onnxscript is installed.
    """
    import onnx

    opset = validate.count(opset, "opset")
    path = Path(path)
    model = copy.deepcopy(model).to("cpu").eval()
    x = _example_input(model, example)
    if dynamo is None:
        dynamo = importlib.util.find_spec("onnxscript") is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quiet = logging.getLogger("torch.onnx")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            with atomic_write(path) as tmp:  # a checked file or none under the final name
                if dynamo:
                    batch = torch.export.Dim("batch", min=1)
                    torch.onnx.export(model, (x,), str(tmp), input_names=["x"],
                                      output_names=["logits"], dynamic_shapes=({0: batch},),
                                      opset_version=opset, dynamo=True, external_data=False,
                                      verbose=False)
                else:
                    torch.onnx.export(model, (x,), str(tmp), input_names=["x"],
                                      output_names=["logits"],
                                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
                                      opset_version=opset, dynamo=False)
                onnx.checker.check_model(str(tmp))
        finally:
            quiet.setLevel(level)
    return path


def onnx_session(path):
    """An ONNX Runtime inference session (CPU) for the file at ``path``."""
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no ONNX file at {path}; write one with hepcourse.export.to_onnx")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_logits(model, X, batch_size: int = 4096) -> np.ndarray:
    """Raw outputs of an ONNX model (a path or a session) for X [N, ...]: float32 [N, ...],
    computed in batches of ``batch_size`` rows (a whole number ≥ 1)."""
    batch_size = validate.count(batch_size, "batch_size")
    session = model if hasattr(model, "run") else onnx_session(model)
    name = session.get_inputs()[0].name
    X = np.asarray(X, dtype=np.float32)
    if X.ndim < 1:
        raise ValueError(f"X must have shape [N, ...]; got a scalar {X.shape}")
    out = [session.run(None, {name: X[s:s + batch_size]})[0] for s in range(0, len(X), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, 1), np.float32)


def onnx_predict(model, X, batch_size: int = 4096) -> np.ndarray:
    """Scores of an ONNX model (a path or a session) for X, as ``hepcourse.train.predict``
    gives them: sigmoid probabilities [N] for one output, softmax [N, C] for several
    (float32), in batches of ``batch_size`` rows."""
    z = onnx_logits(model, X, batch_size).astype(np.float64)
    if z.ndim == 1 or z.shape[1] == 1:
        return (1.0 / (1.0 + np.exp(-z.reshape(-1)))).astype(np.float32)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return (z / z.sum(axis=1, keepdims=True)).astype(np.float32)


def quantize_int8(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with int8 dynamic quantization of its ``nn.Linear`` layers (CPU).

    Uses ``torch.ao.quantization.quantize_dynamic`` (still in PyTorch 2.13, where it is
    deprecated in favour of the separate ``torchao`` package; its warnings are silenced
    here). Convolutions stay in float32. The original model is not changed.
    """
    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError as err:  # a future PyTorch without torch.ao.quantization
        raise RuntimeError("this PyTorch has no torch.ao.quantization.quantize_dynamic; quantize the "
                           "ONNX file instead with hepcourse.export.quantize_onnx_int8") from err
    copied = copy.deepcopy(model).to("cpu").eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize_dynamic(copied, {nn.Linear}, dtype=torch.qint8)


def quantize_onnx_int8(path, out_path) -> Path:
    """Int8 dynamic quantization of an ONNX file with ONNX Runtime's quantizer: weights of
    the matrix products (and convolutions) become int8. Returns the Path of the new file."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path, out_path = Path(path), Path(out_path)
    if not path.is_file():
        raise FileNotFoundError(f"no ONNX file at {path}; write one with hepcourse.export.to_onnx")
    root = logging.getLogger()  # the quantizer advises pre-processing through the root logger
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with atomic_write(out_path) as tmp:
            quantize_dynamic(str(path), str(tmp), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
    return out_path


def model_size(model) -> int:
    """Bytes on disk: the file size for a path, the serialised ``state_dict`` for a module."""
    if isinstance(model, (str, Path)):
        return Path(model).stat().st_size
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes
