"""A small convolutional network for calorimeter images, with its input scaling inside.

The architecture is the one of the popular Keras tutorial, written in PyTorch::

    Conv2D(32, 3×3) → ReLU → MaxPool(2) → Conv2D(64, 3×3) → ReLU → MaxPool(2)
    → Flatten → Dense(128) → ReLU → Dense(64) → ReLU → Dense(1)   (one logit)

Two changes make it fit a detector rather than a photograph:

- **Input scaling.** Tower energies span five orders of magnitude (noise at 0.1 GeV, jet
  cores at hundreds of GeV), so the network sees ``t = log(1 + E_T / 1 GeV)``, standardised
  by ONE mean and ONE standard deviation per channel, fitted on the training images by
  :meth:`CNN.set_scaling` and stored as buffers in the ``state_dict``. One number for every
  tower, not one per pixel: a per-pixel scaling would treat the same deposit differently in
  different places and break the symmetry that the convolution builds in.
- **Padding.** ``padding="phi"`` (default) pads each convolution by wrapping around in φ
  (the calorimeter is a cylinder: the last column of towers is the neighbour of the first)
  and with zeros in η (nothing beyond the detector's edge), keeping the image size.
  ``"valid"`` (no padding) is the tutorial's choice, ``"zeros"`` pads zeros everywhere.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .. import validate

PADDINGS = ("phi", "zeros", "valid")


def _image_size(image_size) -> tuple[int, int]:
    """(H, W) from one whole number (square images) or a pair."""
    if not isinstance(image_size, (numbers.Number, str, bytes)):
        sizes = validate.counts(image_size, "image_size")
        if len(sizes) != 2:
            raise ValueError(f"image_size={image_size!r}: give H = W or a pair (H, W)")
        return sizes
    size = validate.count(image_size, "image_size")
    return size, size


class PhiPeriodicPad(nn.Module):
    """Pad [N, C, H(η), W(φ)] by ``p`` towers: wrap around in φ, zeros in η."""

    def __init__(self, p: int = 1):
        super().__init__()
        self.p = validate.count(p, "p")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.p
        x = torch.cat([x[..., -p:], x, x[..., :p]], dim=-1)
        return nn.functional.pad(x, (0, 0, p, p))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class CNN(nn.Module):
    """The tutorial CNN for images float32 [N, C, H, W] (E_T in GeV), returning logits [N, 1].

    image_size: H = W (int) or (H, W); in_channels: C. channels: filters of the two
    convolutions (32, 64). dense: widths of the two hidden dense layers (128, 64).
    dropout: probability in [0, 1) after each hidden dense layer (0 = none).
    padding: "phi" (circular in φ, zeros in η), "zeros" or "valid" (see the module doc).
    energy_unit: E0 in GeV of the input transform log(1 + E_T/E0) (> 0).
    Sizes, channels and widths are whole numbers ≥ 1; bad arguments raise
    TypeError/ValueError naming them.

    Use with ``hepcourse.train.fit(model, (X, y), ..., loss="bce")`` and
    ``hepcourse.train.predict`` (sigmoid probabilities [N]).
    """

    def __init__(self, image_size: int | Sequence[int] = 32, in_channels: int = 1,
                 channels: Sequence[int] = (32, 64), dense: Sequence[int] = (128, 64),
                 dropout: float = 0.0, padding: str = "phi", energy_unit: float = 10.0):
        super().__init__()
        h, w = _image_size(image_size)
        padding = validate.choice(padding, "padding", PADDINGS)
        if min(h, w) < (8 if padding == "valid" else 4):
            raise ValueError(f"image_size={image_size!r} is too small for two 3×3 convolutions "
                             "and two 2×2 poolings")
        in_channels = validate.count(in_channels, "in_channels")
        channels, dense = validate.counts(channels, "channels"), validate.counts(dense, "dense")
        if len(channels) != 2 or len(dense) != 2:
            raise ValueError(f"channels={channels!r} and dense={dense!r} need two widths each")
        dropout = validate.real(dropout, "dropout", low=0.0, high=1.0, high_open=True)
        energy_unit = validate.positive(energy_unit, "energy_unit")
        self.energy_unit = float(energy_unit)
        self.image_size, self.in_channels, self.padding = (h, w), in_channels, padding
        self.channels, self.dense, self.dropout = channels, dense, dropout

        def conv(c_in, c_out):
            if padding == "phi":
                return [PhiPeriodicPad(1), nn.Conv2d(c_in, c_out, 3)]
            return [nn.Conv2d(c_in, c_out, 3, padding=1 if padding == "zeros" else 0)]

        self.features = nn.Sequential(
            *conv(self.in_channels, channels[0]), nn.ReLU(), nn.MaxPool2d(2),
            *conv(channels[0], channels[1]), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten())
        with torch.no_grad():
            n_flat = self.features(torch.zeros(1, self.in_channels, h, w)).shape[1]
        head: list[nn.Module] = []
        width = n_flat
        for d in dense:
            head += [nn.Linear(width, d), nn.ReLU()]
            if dropout > 0:
                head.append(nn.Dropout(dropout))
            width = d
        head.append(nn.Linear(width, 1))
        self.head = nn.Sequential(*head)
        self.register_buffer("mean", torch.zeros(self.in_channels))
        self.register_buffer("std", torch.ones(self.in_channels))

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """log(1 + E_T/E0) with E0 = ``energy_unit`` GeV; negative inputs count as 0."""
        return torch.log1p(torch.clamp(x, min=0.0) / self.energy_unit)

    def set_scaling(self, X, batch_size: int = 8192) -> "CNN":
        """Store the mean and standard deviation of log(1 + E_T) per channel over all towers
        of the TRAINING images X [N, C, H, W] (numpy or torch). Returns the model."""
        batch_size = validate.count(batch_size, "batch_size")
        if not isinstance(X, torch.Tensor):
            X = torch.as_tensor(np.asarray(X))
        if X.ndim != 4 or X.shape[1] != self.in_channels:
            raise ValueError(f"set_scaling needs images of shape [N, {self.in_channels}, H, W]; "
                             f"got {tuple(X.shape)}")
        total = torch.zeros(self.in_channels, dtype=torch.float64)
        squares = torch.zeros(self.in_channels, dtype=torch.float64)
        count = 0
        for start in range(0, X.shape[0], batch_size):
            # float64 sums, on the CPU (whatever device X is on; MPS has no float64)
            t = self.transform(X[start:start + batch_size].to("cpu", torch.float64))
            total += t.sum(dim=(0, 2, 3))
            squares += (t * t).sum(dim=(0, 2, 3))
            count += t.shape[0] * t.shape[2] * t.shape[3]
        if count < 2:
            raise ValueError("set_scaling needs at least 2 towers")
        mean = total / count
        std = torch.sqrt(torch.clamp(squares / count - mean * mean, min=0.0))
        std = torch.where(std > 1e-12, std, torch.ones_like(std))
        self.mean.copy_(mean.to(self.mean))
        self.std.copy_(std.to(self.std))
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits [N, 1] for images x [N, C, H, W] (E_T in GeV)."""
        t = (self.transform(x) - self.mean.view(1, -1, 1, 1)) / self.std.view(1, -1, 1, 1)
        return self.head(self.features(t))

    def extra_repr(self) -> str:
        return (f"image_size={self.image_size}, in_channels={self.in_channels}, "
                f"padding={self.padding!r}")
