"""Data augmentation by the detector's symmetries, for ``hepcourse.train.fit(augment=...)``.

An augmentation may only apply a transformation under which the physics AND the detector
are unchanged; otherwise it teaches the network something false. For a calorimeter image
[N, C, H(η), W(φ)] of proton-proton collisions:

- **φ rotation** (:func:`phi_roll`): the collisions have no preferred azimuth and the
  calorimeter is a full cylinder of identical towers, so rotating an event in φ gives an
  equally likely event. On the image this is a roll of the columns WITH wrap-around (the
  towers leaving at φ = π come back at φ = -π); a shift with zero filling would cut jets.
- **η reflection** (:func:`eta_flip`): the two proton beams are identical and the detector
  is forward-backward symmetric, so η → -η gives an equally likely event.
- **φ reflection** (:func:`phi_flip`): mirror symmetry of the unpolarised collisions
  (φ → -φ).

:func:`detector_symmetries` applies all three at random, per image. The same symmetries
can also remove the arbitrary position of an event: :func:`align_hottest` rotates and
reflects each image so that its hottest tower sits at φ ≈ 0 and η ≥ 0.

Not symmetries, and so harmful (:func:`energy_scale`, :func:`zoom`): photograph-style
"brightness" and "zoom" augmentations. The calorimeter is calibrated, so multiplying the
energies is a miscalibration that smears the jet mass; and the prong separation
ΔR ≈ 2m/pT is a measurement of the mass, so zooming the image changes the mass too.

Every function has the signature ``f(xb, generator) -> xb`` (a batch tensor and a
``torch.Generator`` on the batch's device) and draws one random transformation per image.
"""
from __future__ import annotations

import torch

from . import validate

__all__ = ["align_hottest", "compose", "detector_symmetries", "energy_scale", "eta_flip", "phi_flip", "phi_roll",
           "zoom"]


def _check(xb: torch.Tensor) -> None:
    if xb.ndim != 4:
        raise ValueError(f"augmentations need image batches [N, C, H(eta), W(phi)]; got shape "
                         f"{tuple(xb.shape)}")


def _range(low, high, what: str) -> tuple[float, float]:
    """(low, high): finite factors with 0 < low ≤ high."""
    low, high = validate.positive(low, "low"), validate.positive(high, "high")
    if low > high:
        raise ValueError(f"low={low!r} > high={high!r}: the {what} factors need low ≤ high")
    return low, high


def _roll(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Each image of x [N, C, H, W] rolled by ``shift`` [N] columns in φ, with wrap-around."""
    n, w = x.shape[0], x.shape[-1]
    columns = (torch.arange(w, device=x.device).view(1, w) - shift.view(n, 1)) % w
    return torch.gather(x, 3, columns.view(n, 1, 1, w).expand_as(x))


def _coin(xb, generator, p=0.5) -> torch.Tensor:
    """A boolean [N, 1, 1, 1] that is True with probability p, one draw per image."""
    u = torch.rand(xb.shape[0], generator=generator, device=xb.device)
    return (u < p).view(-1, 1, 1, 1)


def phi_roll(xb: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Rotate each image by a random whole number of towers in φ, with wrap-around."""
    _check(xb)
    shift = torch.randint(0, xb.shape[-1], (xb.shape[0],), generator=generator, device=xb.device)
    return _roll(xb, shift)


def eta_flip(xb: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Reflect η → -η (reverse the rows) for a random half of the images."""
    _check(xb)
    return torch.where(_coin(xb, generator), xb.flip(2), xb)


def phi_flip(xb: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Reflect φ → -φ (reverse the columns) for a random half of the images."""
    _check(xb)
    return torch.where(_coin(xb, generator), xb.flip(3), xb)


def detector_symmetries(xb: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A random φ rotation (with wrap-around), η reflection and φ reflection per image."""
    return phi_flip(eta_flip(phi_roll(xb, generator), generator), generator)


def energy_scale(xb: torch.Tensor, generator: torch.Generator | None = None,
                 low: float = 0.5, high: float = 1.5) -> torch.Tensor:
    """NOT a symmetry: multiply each image by a random factor in [low, high] ("brightness";
    0 < low ≤ high)."""
    _check(xb)
    low, high = _range(low, high, "energy-scale")
    factor = low + (high - low) * torch.rand(xb.shape[0], generator=generator, device=xb.device)
    return xb * factor.view(-1, 1, 1, 1).to(xb.dtype)


def zoom(xb: torch.Tensor, generator: torch.Generator | None = None,
         low: float = 0.7, high: float = 1.3) -> torch.Tensor:
    """NOT a symmetry: magnify each image by a random factor in [low, high] about its centre
    (bilinear resampling, zeros outside; 0 < low ≤ high), as photograph augmentations do."""
    _check(xb)
    low, high = _range(low, high, "zoom")
    n = xb.shape[0]
    s = low + (high - low) * torch.rand(n, generator=generator, device=xb.device)
    theta = torch.zeros(n, 2, 3, device=xb.device, dtype=xb.dtype)
    theta[:, 0, 0] = 1 / s
    theta[:, 1, 1] = 1 / s
    grid = torch.nn.functional.affine_grid(theta, list(xb.shape), align_corners=False)
    return torch.nn.functional.grid_sample(xb, grid, mode="bilinear", padding_mode="zeros",
                                           align_corners=False)


def compose(*functions):
    """One augmentation that applies ``functions`` in order (each ``f(xb, generator)``)."""
    for f in functions:
        if not callable(f):
            raise TypeError(f"compose: {f!r} is not a function f(xb, generator)")

    def composed(xb: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        for f in functions:
            xb = f(xb, generator)
        return xb
    composed.__name__ = "+".join(getattr(f, "__name__", "f") for f in functions)
    return composed


def align_hottest(images):
    """Move each image, using only the symmetries (a φ roll with wrap-around and an η
    reflection), so that its hottest tower is in column W/2 (φ just above 0) and in the
    upper half in η. images: numpy or torch [N, C, H, W] (the hottest tower is taken over
    all channels); returns the same type and shape."""
    is_torch = isinstance(images, torch.Tensor)
    x = images if is_torch else torch.as_tensor(images)
    _check(x)
    n, _, h, w = x.shape
    hottest = x.sum(dim=1).reshape(n, -1).argmax(dim=1)
    row, col = hottest // w, hottest % w
    x = _roll(x, (w // 2 - col) % w)
    x = torch.where((row < h // 2).view(n, 1, 1, 1), x.flip(2), x)
    return x if is_torch else x.numpy()
