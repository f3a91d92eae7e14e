"""Top tagging on the jets of :func:`hepcourse.simulate.jets` (chapter 6): the physicist's
substructure baseline, jet images made from the same constituents, and the shuffles and
splits that show which models depend on the order of the particles.

>>> frame = substructure(sample)                      # pandas [n, 6]: mass, τ21, τ32, ...
>>> images = jet_images(sample, pixels=32)            # float32 [n, 1, 32, 32], pT fractions
"""
from __future__ import annotations

import awkward as ak
import numpy as np
import pandas as pd

from .. import validate

__all__ = ["SUBSTRUCTURE", "jet_images", "shuffle_constituents", "substructure"]

#: The jet-level features of the boosted-decision-tree baseline: the jet mass (GeV), the
#: N-subjettiness ratios τ2/τ1 and τ3/τ2, the W candidate (the lightest pair of three
#: exclusive-kT subjets, GeV), the constituent count and the jet pT (GeV).
SUBSTRUCTURE = ("mass", "tau21", "tau32", "m_w", "n_particles", "pt")


def substructure(sample: ak.Array, columns=SUBSTRUCTURE) -> pd.DataFrame:
    """The jet-level columns of ``sample`` (what :func:`hepcourse.simulate.jets` returns) as
    a DataFrame [n, len(columns)], float64; a jet with a single constituent has τ ratios of
    NaN, which the trees treat as missing. The baselines that use it are those of chapter 5,
    :mod:`hepcourse.analysis.baselines`."""
    if "constituents" not in ak.fields(sample):
        raise TypeError("sample: expected the awkward Array of hepcourse.simulate.jets")
    for name in columns:
        validate.choice(name, "columns", [f for f in ak.fields(sample) if f != "constituents"])
    return pd.DataFrame({name: ak.to_numpy(sample[name]).astype(np.float64) for name in columns})


def jet_images(sample: ak.Array, pixels: int = 32, half_width: float = 1.0) -> np.ndarray:
    """Jet images from the constituents: each constituent's pT fraction pT_i / pT_jet added
    to its pixel in (Δη, Δφ) to the jet axis, the square [−half_width, half_width]² split
    into pixels × pixels; constituents outside are dropped (a few, at the edge of R = 0.8).

    Returns float32 [n, 1, pixels, pixels] (rows Δη, columns Δφ), ready for
    :class:`hepcourse.models.CNN`. Centred on the jet axis only: no rotation or flip, so the
    CNN sees the same information as the set networks.
    """
    pixels = validate.count(pixels, "pixels", what="a number of pixels")
    half_width = validate.real(half_width, "half_width", low=0.0, low_open=True)
    c = sample.constituents
    counts = ak.to_numpy(ak.num(c))
    row = np.repeat(np.arange(len(counts)), counts)
    deta, dphi = (ak.to_numpy(ak.flatten(c[k])) for k in ("deta", "dphi"))
    weight = ak.to_numpy(ak.flatten(c.pt)) / ak.to_numpy(sample.pt)[row]
    i = np.floor((deta + half_width) / (2 * half_width) * pixels).astype(np.int64)
    j = np.floor((dphi + half_width) / (2 * half_width) * pixels).astype(np.int64)
    inside = (i >= 0) & (i < pixels) & (j >= 0) & (j < pixels)
    flat = (row[inside] * pixels + i[inside]) * pixels + j[inside]
    images = np.bincount(flat, weights=weight[inside], minlength=len(counts) * pixels * pixels)
    return images.reshape(len(counts), 1, pixels, pixels).astype(np.float32)


def shuffle_constituents(X, *, seed=0):
    """The same jets with their real constituents in a random order (padding stays last).

    X: a padded tensor [N, P, C] whose last channel is the mask (1 real, 0 padding), as
    made by :func:`hepcourse.models.sets.pack`. Returns a new tensor of the same shape: a
    model that respects the symmetry gives the same outputs on both.
    """
    import torch

    if not isinstance(X, torch.Tensor) or X.ndim != 3:
        raise TypeError("X: expected a packed torch tensor [N, P, C] (hepcourse.models.sets.pack)")
    generator = torch.Generator().manual_seed(validate.seed_int(seed))
    keys = torch.rand(X.shape[:2], generator=generator)
    keys = torch.where(X[..., -1] > 0.5, keys, torch.full_like(keys, 2.0))
    order = torch.argsort(keys, dim=1)
    return torch.gather(X, 1, order[..., None].expand_as(X))
