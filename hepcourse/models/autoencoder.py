"""An autoencoder for jet images and its reconstruction error as an anomaly score
(chapter on searches without a signal model).

Trained on background (QCD) jets only, the network learns to squeeze them through a narrow
bottleneck and back; a jet unlike them (two or three hard prongs) comes back worse, so the
per-jet reconstruction error is a score that needs no signal model. The error also grows
with the jet mass (a massive QCD jet is spread over more pixels), so a cut on it sculpts the
mass distribution of the background; DisCo (Kasieczka & Shih, arXiv:2001.05310) adds
λ·dCor²(error, mass) over each batch to the loss to remove that dependence
(:func:`~hepcourse.stats.dependence.distance_correlation_torch`).

The architecture (dense, mirrored)::

    flatten (C·H·W) → Dense(hidden[0]) → ReLU → … → Dense(bottleneck)
    → Dense(hidden[-1]) → ReLU → … → Dense(C·H·W) → reshape [N, C, H, W]

The input scaling lives in the model: one number ``scale``, the root-mean-square pixel of the
training images (:meth:`JetAutoencoder.set_scaling`, done by :func:`fit_autoencoder`), so
that an error of 1 means "as bad as reconstructing an average training jet as empty".

>>> model = JetAutoencoder((32, 32))
>>> history = fit_autoencoder(model, qcd_train, qcd_val, epochs=20, seed=0)
>>> score = reconstruction_error(model, images)          # numpy [N], larger = stranger
"""
from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from .. import validate
from ..stats.dependence import distance_correlation_torch
from ..train.devices import device as choose_device
from .cnn import _image_size

__all__ = ["JetAutoencoder", "fit_autoencoder", "reconstruction_error"]


class JetAutoencoder(nn.Module):
    """A dense autoencoder for images float32 [N, C, H, W] (e.g. the pT fractions of
    :func:`hepcourse.analysis.jet_tagging.jet_images`), returning the reconstructed images
    [N, C, H, W] in the same units.

    image_size: H = W (int) or (H, W); in_channels: C. hidden: widths of the encoder's
    hidden layers (the decoder mirrors them); bottleneck: the width of the code in between.
    Whole numbers ≥ 1; bad arguments raise TypeError/ValueError naming them.
    Train with :func:`fit_autoencoder`, score with :func:`reconstruction_error`.
    """

    def __init__(self, image_size=(32, 32), bottleneck: int = 8, hidden=(256, 64),
                 in_channels: int = 1):
        super().__init__()
        h, w = _image_size(image_size)
        self.image_size, self.in_channels = (h, w), validate.count(in_channels, "in_channels")
        self.bottleneck = validate.count(bottleneck, "bottleneck")
        self.hidden = validate.counts(hidden, "hidden")
        n_pixels = self.in_channels * h * w
        if self.bottleneck >= n_pixels:
            raise ValueError(f"bottleneck={bottleneck!r} must be smaller than the {n_pixels} "
                             "pixels of an image, else the network can copy its input")

        def stack(widths):
            layers: list[nn.Module] = []
            for a, b in itertools.pairwise(widths):
                layers += [nn.Linear(a, b), nn.ReLU()]
            return layers[:-1]  # no ReLU after the last layer

        self.encoder = nn.Sequential(nn.Flatten(), *stack((n_pixels, *self.hidden, self.bottleneck)))
        self.decoder = nn.Sequential(*stack((self.bottleneck, *self.hidden[::-1], n_pixels)))
        self.register_buffer("scale", torch.ones(()))

    def _check(self, x: torch.Tensor) -> None:
        shape = (self.in_channels, *self.image_size)
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != shape:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"expected images [N, {shape[0]}, {shape[1]}, {shape[2]}]; got {got}")

    def set_scaling(self, images) -> JetAutoencoder:
        """Store the root-mean-square pixel of the TRAINING images [N, C, H, W] (numpy or
        torch) as ``scale``; returns the model."""
        x = _images(images, self, "images")
        rms = float(torch.sqrt(torch.mean(x.to(torch.float64) ** 2)))
        if not rms > 0:
            raise ValueError("set_scaling: the images are all empty (every pixel 0)")
        self.scale.fill_(rms)
        return self

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code [N, bottleneck] of images x [N, C, H, W]."""
        self._check(x)
        return self.encoder(x / self.scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstructed images [N, C, H, W] of images x [N, C, H, W], same units."""
        out = self.decoder(self.encode(x))
        return out.view(x.shape) * self.scale

    def error(self, x: torch.Tensor) -> torch.Tensor:
        """The per-image mean squared error [N] in units of ``scale``², differentiable."""
        return (((self(x) - x) / self.scale) ** 2).mean(dim=(1, 2, 3))

    def extra_repr(self) -> str:
        return (f"image_size={self.image_size}, in_channels={self.in_channels}, "
                f"bottleneck={self.bottleneck}, hidden={self.hidden}")


def _images(images, model: JetAutoencoder, name: str) -> torch.Tensor:
    """images (numpy or torch) as a float32 CPU-or-device tensor of the model's shape."""
    if not isinstance(model, JetAutoencoder):
        raise TypeError(f"model: expected a JetAutoencoder, not {type(model).__name__}")
    if not isinstance(images, torch.Tensor):
        images = torch.as_tensor(np.asarray(images, dtype=np.float32))
    x = images.detach().to(torch.float32)
    shape = (model.in_channels, *model.image_size)
    if x.ndim != 4 or tuple(x.shape[1:]) != shape:
        raise ValueError(f"{name}: expected images [N, {shape[0]}, {shape[1]}, {shape[2]}] for this "
                         f"model; got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name}: holds no images")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name}: holds NaN or infinite pixels")
    return x


def _per_event(values, n: int, name: str) -> torch.Tensor:
    v = validate.reals(values, name, ndim=1)
    if v.size != n:
        raise ValueError(f"{name} has {v.size} values for {n} images: give one per image")
    return torch.as_tensor(v, dtype=torch.float32)


@torch.no_grad()
def reconstruction_error(model: JetAutoencoder, images, batch_size: int = 4096) -> np.ndarray:
    """The anomaly score: the mean squared error of each image's reconstruction, in units
    of the model's ``scale``² (1 = an average training jet reconstructed as empty), as
    float64 numpy [N]. images: [N, C, H, W] (numpy or torch). In eval mode, without
    gradients, ``batch_size`` images at a time, on the model's device."""
    batch_size = validate.count(batch_size, "batch_size")
    x = _images(images, model, "images")
    dev = model.scale.device
    was_training = model.training
    model.eval()
    try:
        parts = [model.error(x[s:s + batch_size].to(dev)).double().cpu()
                 for s in range(0, x.shape[0], batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(parts).numpy()


def _batch_loss(model, xb, mb, lam):
    """(loss, mean error, dCor² or None) of one batch."""
    err = model.error(xb)
    mean = err.mean()
    if mb is None or xb.shape[0] < 2:
        return mean, mean, None
    term = distance_correlation_torch(err, mb, squared=True)
    return mean + lam * term, mean, term


def _sums(n, loss, err, term) -> np.ndarray:
    """A batch of n events: (n·loss, n·error, n·dCor², n, n if dCor² was computed)."""
    k = 0 if term is None else n
    return np.array([n * loss.item(), n * err.item(), 0.0 if term is None else k * term.item(), n, k])


def _means(sums: np.ndarray) -> np.ndarray:
    """(loss, error, dCor²): event means over an epoch's batches."""
    return np.r_[sums[:2] / sums[3], sums[2] / max(sums[4], 1.0)]


def fit_autoencoder(model: JetAutoencoder, images, val_images, *, epochs: int = 20,
                    batch_size: int = 512, lr: float = 1e-3, seed: int = 0, decorrelate=None,
                    val_decorrelate=None, lam: float = 0.0, patience: int | None = None,
                    device="auto") -> pd.DataFrame:
    """Train ``model`` in place to reconstruct ``images`` and return its history.

    images, val_images: training and validation images [N, C, H, W] (numpy or torch),
        background only (the model learns what "normal" is). The model's ``scale`` is
        fitted on ``images`` first (:meth:`JetAutoencoder.set_scaling`).
    epochs, batch_size, lr: passes, images per step and Adam's learning rate (constant).
    seed: the order of the batches (the model's initial weights are yours to seed, e.g.
        ``torch.manual_seed`` before building it); on the CPU the same seed and model give
        the same weights and history.
    decorrelate, val_decorrelate: a per-image variable [N] of the training and of the
        validation images (e.g. the jet mass in GeV) to decorrelate the error from: the
        loss of each batch becomes mean error + lam·dCor²(error, variable) over the batch
        (DisCo). Give both, or neither. lam: λ ≥ 0 (0: dCor² only recorded; try 0.1-10).
    patience: stop after this many epochs without a lower validation loss (None: never).
    device: "auto", "cpu", "cuda", ... (:func:`hepcourse.train.device`); the model and the
        data are moved there.

    The validation loss is the same objective over fixed batches of ``batch_size`` (dCor²
    of a batch is biased upwards by about 1/batch, so the two stay comparable); the weights
    of the epoch with the lowest one are restored at the end. Returns a DataFrame indexed by
    ``epoch`` (1-based) with ``train_loss``, ``train_error``, ``val_loss``, ``val_error``,
    with DisCo also ``train_dcorr2`` and ``val_dcorr2`` (batch means), and ``seconds``;
    ``frame.attrs["best_epoch"]`` is the epoch restored.
    """
    epochs = validate.count(epochs, "epochs")
    batch_size = validate.count(batch_size, "batch_size", minimum=2)
    lr = validate.positive(lr, "lr")
    seed = validate.seed_int(seed)
    lam = validate.real(lam, "lam", low=0.0)
    patience = validate.optional_count(patience, "patience")
    x = _images(images, model, "images")
    xv = _images(val_images, model, "val_images")
    if (decorrelate is None) != (val_decorrelate is None):
        raise ValueError("decorrelate and val_decorrelate: give the variable for both the training "
                         "and the validation images, or for neither")
    m = mv = None
    if decorrelate is not None:
        m = _per_event(decorrelate, x.shape[0], "decorrelate")
        mv = _per_event(val_decorrelate, xv.shape[0], "val_decorrelate")
    dev = choose_device(device)
    model.set_scaling(x)
    model.to(dev)
    x, xv = x.to(dev), xv.to(dev)
    m, mv = (None if m is None else m.to(dev)), (None if mv is None else mv.to(dev))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    rows, best, best_state, waited = [], float("inf"), None, 0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        sums = np.zeros(5)
        order = torch.randperm(x.shape[0], generator=generator).to(dev)
        for batch in torch.split(order, batch_size):
            loss, err, term = _batch_loss(model, x[batch], None if m is None else m[batch], lam)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            sums += _sums(len(batch), loss, err, term)
        train = _means(sums)
        model.eval()
        sums = np.zeros(5)
        with torch.no_grad():
            for sl in torch.split(torch.arange(xv.shape[0], device=dev), batch_size):
                sums += _sums(len(sl), *_batch_loss(model, xv[sl], None if mv is None else mv[sl], lam))
        val = _means(sums)
        if not np.all(np.isfinite(np.r_[train, val])):
            raise FloatingPointError(f"fit_autoencoder: the loss became NaN or inf in epoch {epoch}; "
                                     "lower lr")
        row = {"epoch": epoch, "train_loss": train[0], "train_error": train[1],
               "val_loss": val[0], "val_error": val[1]}
        if m is not None:
            row.update(train_dcorr2=train[2], val_dcorr2=val[2])
        rows.append({**row, "seconds": time.perf_counter() - start})
        if val[0] < best:
            best, waited = val[0], 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best_epoch = epoch
        else:
            waited += 1
            if patience is not None and waited >= patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    frame = pd.DataFrame(rows).set_index("epoch")
    frame.attrs["best_epoch"] = best_epoch
    return frame
