"""Mixed precision: which number format the forward pass computes in.

A float32 number has an 8-bit exponent and a 23-bit mantissa (7 significant digits).
Mixed precision runs the matrix multiplications in a 16-bit format and keeps the weights,
the optimiser state and the sensitive operations (sums, exponentials, the loss) in float32:

* bfloat16 ("bf16"): float32's 8-bit exponent (same range, up to 3e38) with a 7-bit
  mantissa (2-3 significant digits). Gradients cannot underflow more than in float32, so
  no loss scaling is needed. Native on NVIDIA Ampere (A100) and newer, on recent x86 CPUs
  (AVX512-BF16, AMX) and on Apple silicon.
* float16 ("fp16"): 5-bit exponent (largest number 65504, smallest normal 6e-5) and a
  10-bit mantissa. Small gradients underflow to zero, so the loss is multiplied by a large
  factor before ``backward`` and the gradients divided by it before the optimiser step
  (:class:`torch.amp.GradScaler`, which also skips steps whose gradients overflowed).

:func:`resolve` turns ``fit``'s ``amp`` argument into a :class:`Precision` for a device:
``True``/"auto" means bf16 where the device supports it, else fp16 with a grad scaler.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

AMP_CHOICES = (False, True, "auto", "bf16", "fp16", "fp32", None)


@dataclass
class Precision:
    """The autocast dtype (None: plain float32) and the grad scaler (fp16 only)."""

    device_type: str
    dtype: torch.dtype | None = None
    scaler: "torch.amp.GradScaler | None" = None

    @property
    def name(self) -> str:
        """"fp32", "bf16" or "fp16" (the format of the matrix multiplications)."""
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]

    def autocast(self):
        """Context manager for the forward pass (a no-op in float32)."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)


def bf16_supported(dev: torch.device) -> bool:
    """Whether ``dev`` computes in bfloat16 natively (CUDA: compute capability ≥ 8.0)."""
    if dev.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    return dev.type in ("cpu", "mps")


def resolve(amp, dev: torch.device) -> Precision:
    """The :class:`Precision` for ``fit(..., amp=amp)`` on device ``dev``.

    amp: False/None/"fp32" (float32 throughout), True/"auto" (bf16 where supported, else
    fp16 with a grad scaler), "bf16" or "fp16". Raises ValueError for other values and for
    "bf16" on a GPU without bfloat16 support.
    """
    if isinstance(amp, str):
        key = amp.strip().lower()
    elif amp is None or isinstance(amp, bool):
        key = {None: "fp32", False: "fp32", True: "auto"}[amp]
    else:
        key = None
    if key not in ("fp32", "auto", "bf16", "fp16"):
        raise ValueError(f"amp={amp!r}: use False (float32), True or 'auto' (bf16 where "
                         "supported, else fp16), 'bf16' or 'fp16'")
    if key == "fp32":
        return Precision(dev.type)
    if key == "auto":
        key = "bf16" if bf16_supported(dev) else "fp16"
    if key == "bf16":
        if not bf16_supported(dev):
            raise ValueError(f"amp='bf16': {dev} has no bfloat16 support (a GPU older than "
                             "Ampere); use amp='fp16' or amp=True")
        return Precision(dev.type, torch.bfloat16)
    try:
        scaler = torch.amp.GradScaler(dev.type)
    except (RuntimeError, ValueError, TypeError) as err:  # a device without a grad scaler
        raise ValueError(f"amp='fp16' needs a gradient scaler on {dev}: {err}") from err
    return Precision(dev.type, torch.float16, scaler)
