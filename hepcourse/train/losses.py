"""Loss functions of :func:`~hepcourse.train.fit`: per-sample losses, their shapes, their
(weighted) mean, and the number format the sums are kept in.

Every loss is turned into ``f(output, y) -> Tensor [N]``, one loss per sample, so that
per-sample weights, class weights and the shards of a data-parallel batch all reduce the
same way (Σ w·ℓ / Σ w). The labels y are always a vector [N] (see
:func:`~hepcourse.train.data.as_arrays`); the model output is matched to them by
:func:`match_shapes` before the loss is computed: [N, 1] becomes [N] (one output per
sample), [N, C] stays as it is for class-index losses, and anything else is a ValueError
naming both shapes, never a silent broadcast to [N, N].
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("bce", "ce")

#: Device types without float64 arithmetic (Apple's MPS): sums are kept in float32 there.
NO_FLOAT64 = {"mps"}


def accumulator_dtype(dev: torch.device | str) -> torch.dtype:
    """The dtype of on-device loss sums: float64 where the device has it (CPU, CUDA),
    float32 on devices without float64 (MPS, see :data:`NO_FLOAT64`)."""
    kind = torch.device(dev).type
    return torch.float32 if kind in NO_FLOAT64 else torch.float64


def _shape(t: torch.Tensor) -> tuple:
    return tuple(t.shape)


def match_shapes(out: torch.Tensor, y: torch.Tensor, what: str) -> torch.Tensor:
    """The model output ``out`` reshaped to fit the labels ``y`` [N].

    [N] and [N, 1] outputs give [N] (one value per sample: "bce", nn.MSELoss(), ...);
    [N, C] outputs with integer labels stay [N, C] (class logits: "ce",
    nn.CrossEntropyLoss(), ...). Any other pair is a ValueError naming both shapes and
    ``what`` (the loss).
    """
    n = y.shape[0]
    if out.ndim >= 1 and out.shape[0] == n:
        if out.ndim == 1:
            return out
        if out.ndim == 2 and out.shape[1] == 1:
            return out[:, 0]
        if out.ndim == 2 and not y.is_floating_point():
            return out
    hint = ("one output per sample, [N] or [N, 1]" if y.is_floating_point()
            else "one output per sample, or class logits [N, C]")
    raise ValueError(f"{what}: the model output has shape {_shape(out)} but the labels y have "
                     f"shape {_shape(y)}; the loss needs {hint}")


def _per_sample(value: torch.Tensor, n: int, what: str) -> torch.Tensor:
    """Loss values [N] (or [N, ...], averaged over the other axes) as a vector [N]."""
    if value.ndim == 0 or value.shape[0] != n:
        raise ValueError(f"{what} returned shape {_shape(value)} for a batch of {n} samples; it "
                         "must return one loss per sample, shape [N] (e.g. reduction='none')")
    return value.reshape(n, -1).mean(dim=1) if value.ndim > 1 else value


def loss_function(loss):
    """Per-sample loss ``f(output, y) -> Tensor [N]`` and the label type it needs.

    loss: "bce" (binary cross-entropy on logits, labels 0/1, label type "float"), "ce"
    (cross-entropy on logits [N, C], class indices, "long"), a torch loss module with a
    ``reduction`` attribute (used with ``reduction="none"``) or any callable
    ``f(output, y) -> Tensor [N]`` of per-sample losses (both "any": labels kept as given,
    integers as int64, others float32).
    """
    if isinstance(loss, str):
        if loss == "bce":
            def bce(out, y):
                out = match_shapes(out, y, "loss='bce'")  # y float: out is [N]
                return F.binary_cross_entropy_with_logits(out, y, reduction="none")
            return bce, "float"
        if loss == "ce":
            def ce(out, y):
                if out.ndim != 2 or out.shape[0] != y.shape[0]:
                    raise ValueError(f"loss='ce' needs logits of shape [N, C]; the model output has "
                                     f"shape {_shape(out)}, the labels y {_shape(y)}")
                return F.cross_entropy(out, y, reduction="none")
            return ce, "long"
    elif isinstance(loss, torch.nn.Module):
        if not hasattr(loss, "reduction"):
            raise ValueError(f"loss={loss!r}: a loss module needs a 'reduction' attribute "
                             "(torch.nn losses have one); or pass a function f(output, y) -> [N]")
        module, what = loss, f"loss={loss!r}"

        def custom(out, y):
            out = match_shapes(out, y, what)
            saved = module.reduction
            module.reduction = "none"
            try:
                value = module(out, y)
            finally:
                module.reduction = saved
            return _per_sample(value, y.shape[0], what)
        return custom, "any"
    elif callable(loss):
        function, what = loss, f"loss={describe(loss)}"

        def call(out, y):
            return _per_sample(function(match_shapes(out, y, what), y), y.shape[0], what)
        return call, "any"
    raise ValueError(f"loss={loss!r}: use 'bce', 'ce', a torch loss module (e.g. nn.MSELoss()) "
                     "or a function f(output, y) -> per-sample losses [N]")


def describe(loss) -> str:
    """A stable text for ``loss`` (its name, the module's repr or the function's qualified
    name), stored with a resumable state to check that a resumed run uses the same loss."""
    if isinstance(loss, str):
        return loss
    if isinstance(loss, torch.nn.Module):
        return repr(loss)
    name = getattr(loss, "__qualname__", None) or type(loss).__qualname__
    return f"{getattr(loss, '__module__', '?')}.{name}"


def reduce(per_sample: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
    """Weighted mean of per-sample losses: Σ w·ℓ / Σ w (plain mean without weights)."""
    if w is None:
        return per_sample.mean()
    return (per_sample * w).sum() / w.sum().clamp_min(1e-12)
