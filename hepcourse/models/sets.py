"""Jets as sets of particles: the packed input, the shared pieces, and the Deep Sets
networks (Particle and Energy Flow Networks).

A jet is a set of constituents, each with the features of
:func:`hepcourse.simulate.top_tagging.to_padded` (default
:data:`~hepcourse.simulate.top_tagging.FEATURES`: Δη, Δφ to the jet axis, ln pT, ln E in
GeV, ln pT/pT_jet, ln E/E_jet, ΔR, charge in e). A batch of jets is padded to ``n_max``
slots with a mask saying which slots hold a real constituent. :func:`pack` puts the mask
into the tensor as a last channel, so that ``hepcourse.train.fit`` and ``predict`` (which
take ONE tensor X) can be used unchanged::

    x, mask = top_tagging.to_padded(sample, 64)        # [N, 64, 8], bool [N, 64]
    X = pack(x, mask)                                  # [N, 64, 9]
    model = PFN().set_scaling(X_train)
    fit(model, (X_train, y_train), (X_val, y_val), batch_size=256)

Every model of :mod:`hepcourse.models.sets`, :mod:`~hepcourse.models.graphs` and
:mod:`~hepcourse.models.attention` is a :class:`SetModel`: it takes packed X [N, P, F+1]
and returns logits [N, 1]; it is invariant under any permutation of the P slots, and
padded slots contribute exactly nothing, whatever numbers they hold. The per-feature
standardisation (mean and std over REAL constituents of the training jets) lives in the
model as buffers, like :class:`~hepcourse.models.mlp.MLP`'s.

Deep Sets (Zaheer et al., arXiv:1703.06114) / Particle Flow Networks (Komiske, Metodiev,
Thaler, "Energy Flow Networks: Deep Sets for Particle Jets", arXiv:1810.05165)::

    PFN:  F( Σ_i Φ(x_i) )          Φ of all features of particle i
    EFN:  F( Σ_i z_i Φ(η_i, φ_i) )  z_i = pT_i / Σ_j pT_j, Φ of the angles only

The EFN is linear in the energy fractions z_i and sees the angles only, so it is
infrared and collinear (IRC) safe: a particle with z → 0 adds nothing, and two collinear
halves (same angles, z/2 each) add up to the original particle. See
:mod:`hepcourse.analysis.irc`.
"""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .. import validate
from ..simulate.top_tagging import FEATURES, PID_FEATURES

__all__ = ["EFN", "PFN", "SetModel", "masked_mean", "masked_sum", "mlp", "pack", "unpack"]

ALL_FEATURES = FEATURES + PID_FEATURES
EVAL_CHUNK = 1024
"""Jets per forward pass when no gradient is needed (``predict`` sends up to 65 536 at
once; the graph and attention nets hold [N, P, P] or [N, P, k, C] tensors)."""


def pack(x, mask) -> torch.Tensor:
    """One tensor from padded constituents x (float [N, P, F]) and mask (bool [N, P],
    True for a real constituent): float32 [N, P, F + 1], the features then the mask as a
    last channel (1.0 real, 0.0 padding). Padded features are set to 0."""
    x = torch.as_tensor(x)
    mask = torch.as_tensor(mask)
    if x.ndim != 3:
        raise ValueError(f"pack: x must have shape [N, P, F]; got {tuple(x.shape)}")
    if mask.shape != x.shape[:2]:
        raise ValueError(f"pack: mask must have shape [N, P] = {tuple(x.shape[:2])}; got {tuple(mask.shape)}")
    if mask.dtype != torch.bool:
        raise TypeError(f"pack: mask must be bool (True for a real constituent); got {mask.dtype}")
    x = torch.where(mask[..., None], x.to(torch.float32), torch.zeros((), dtype=torch.float32))
    return torch.cat([x, mask[..., None].to(torch.float32)], dim=-1)


def unpack(X) -> tuple[torch.Tensor, torch.Tensor]:
    """(x float [N, P, F], mask bool [N, P]) from packed X [N, P, F + 1] (see :func:`pack`)."""
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"X: expected a torch tensor [N, P, F+1] (see pack); got {type(X).__name__}")
    if X.ndim != 3 or X.shape[-1] < 2:
        raise ValueError(f"X must be packed jets [N, P, F+1] (features and the mask, see pack); "
                         f"got shape {tuple(X.shape)}")
    return X[..., :-1], X[..., -1] > 0.5


def masked_sum(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Σ over the real slots: h [N, P, C], mask bool [N, P] → [N, C]. Padded rows count
    as exactly 0 (``where``, so even inf or NaN there cannot leak)."""
    return torch.where(mask[..., None], h, torch.zeros((), dtype=h.dtype, device=h.device)).sum(dim=1)


def masked_mean(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the real slots: h [N, P, C], mask bool [N, P] → [N, C] (0 for a jet
    without real slots)."""
    count = mask.sum(dim=1, keepdim=True).clamp(min=1).to(h.dtype)
    return masked_sum(h, mask) / count


def mlp(n_in: int, widths: Sequence[int], *, dropout: float = 0.0, last_activation: bool = True) -> nn.Sequential:
    """Linear layers ``n_in → widths...``, each followed by a ReLU (and, with ``dropout`` >
    0, dropout); ``last_activation=False`` leaves the last layer linear. Acts on the last
    axis, so it runs per particle."""
    layers: list[nn.Module] = []
    width = n_in
    for i, w in enumerate(widths):
        layers.append(nn.Linear(width, w))
        if last_activation or i < len(widths) - 1:
            layers.append(nn.ReLU())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        width = w
    return nn.Sequential(*layers)


def feature_names(features) -> tuple[str, ...]:
    """Validated feature names (from FEATURES and PID_FEATURES, no repeats)."""
    if isinstance(features, str) or not isinstance(features, Sequence):
        raise TypeError(f"features={features!r}: expected a sequence of names, e.g. {FEATURES}")
    features = tuple(features)
    if not features:
        raise ValueError("features: give at least one name")
    for name in features:
        validate.choice(name, "features", ALL_FEATURES)
    if len(set(features)) != len(features):
        raise ValueError(f"features={features!r}: a name appears twice")
    return features


def widths(value, name: str) -> tuple[int, ...]:
    """Layer widths: a non-empty sequence of whole numbers ≥ 1."""
    return validate.counts(value, name)


def dropout_probability(value) -> float:
    """A dropout probability in [0, 1)."""
    return validate.real(value, "dropout", low=0.0, high=1.0, high_open=True)


class SetModel(nn.Module, metaclass=ABCMeta):
    """The base of the set, graph and attention nets: feature names, the input scaling
    (buffers ``mean`` and ``std`` [F], 0 and 1 until :meth:`set_scaling`), unpacking and
    checking packed X. Subclasses implement ``_logits(raw, scaled, mask)``."""

    def __init__(self, features=FEATURES):
        super().__init__()
        self.features = feature_names(features)
        self.n_features = len(self.features)
        self.register_buffer("mean", torch.zeros(self.n_features))
        self.register_buffer("std", torch.ones(self.n_features))

    def index(self, name: str) -> int:
        """Position of feature ``name`` in the input."""
        return self.features.index(name)

    def _require(self, names: Sequence[str], why: str) -> None:
        missing = [n for n in names if n not in self.features]
        if missing:
            raise ValueError(f"{type(self).__name__} needs the feature(s) {missing} ({why}); "
                             f"features={self.features}")

    def _check(self, X) -> tuple[torch.Tensor, torch.Tensor]:
        x, mask = unpack(X)
        if x.shape[-1] != self.n_features:
            raise ValueError(f"{type(self).__name__} expects packed X [N, P, {self.n_features + 1}] "
                             f"({self.n_features} features {self.features} and the mask); got "
                             f"{tuple(X.shape)}")
        return x, mask

    def set_scaling(self, X, batch_size: int = 4096) -> SetModel:
        """Store the per-feature mean and standard deviation (ddof 1) over the REAL
        constituents of the TRAINING jets X (packed [N, P, F+1], torch or numpy); padded
        slots are left out whatever they hold. Features with zero spread get std 1.
        Returns the model."""
        batch_size = validate.count(batch_size, "batch_size")
        if not isinstance(X, torch.Tensor):
            X = torch.as_tensor(np.asarray(X))
        x, mask = self._check(X)
        total = torch.zeros(self.n_features, dtype=torch.float64)
        squares = torch.zeros(self.n_features, dtype=torch.float64)
        count = 0
        for start in range(0, x.shape[0], batch_size):  # float64 sums on the CPU, in chunks
            m = mask[start:start + batch_size].cpu()
            real = x[start:start + batch_size].detach().cpu()[m].to(torch.float64)
            total += real.sum(dim=0)
            squares += (real * real).sum(dim=0)
            count += real.shape[0]
        if count < 2:
            raise ValueError("set_scaling needs at least 2 real constituents")
        mean = total / count
        var = torch.clamp((squares - count * mean * mean) / (count - 1), min=0.0)
        std = torch.sqrt(var)
        std = torch.where(std > 1e-6 * (1 + mean.abs()), std, torch.ones_like(std))
        self.mean.copy_(mean.to(self.mean))
        self.std.copy_(std.to(self.std))
        return self

    def _inputs(self, X) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(raw, scaled, mask): the features as given and standardised, both [N, P, F]
        with padded slots set to exactly 0, and mask bool [N, P]."""
        x, mask = self._check(X)
        zero = torch.zeros((), dtype=x.dtype, device=x.device)
        raw = torch.where(mask[..., None], x, zero)
        scaled = torch.where(mask[..., None], (x - self.mean) / self.std, zero)
        return raw, scaled, mask

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Logits [N, 1] for packed jets X [N, P, F+1] (see :func:`pack`). Without
        gradients (``predict``, validation) large batches run in chunks of
        :data:`EVAL_CHUNK` jets to bound memory."""
        if not torch.is_grad_enabled() and X.ndim == 3 and X.shape[0] > EVAL_CHUNK:
            return torch.cat([self.forward(X[s:s + EVAL_CHUNK]) for s in range(0, X.shape[0], EVAL_CHUNK)])
        return self._logits(*self._inputs(X))

    @abstractmethod
    def _logits(self, raw, scaled, mask):
        """Logits [N, 1] from the raw and the scaled features [N, P, F] and the mask [N, P]:
        what each model adds."""


class PFN(SetModel):
    """Particle Flow Network (Komiske, Metodiev, Thaler, arXiv:1810.05165):
    logit = F(Σ_i Φ(x_i)), the sum over the real constituents.

    features: the names of the input features (default FEATURES, the order of
    ``to_padded``). phi: widths of the per-particle network Φ (the last is the latent
    dimension ℓ). f: widths of the hidden layers of F (then one logit). The defaults are
    the paper's; ``phi=(64, 64, 128), f=(64, 64, 64)`` keeps its latent dimension at half
    the cost per jet (benchmarks/jets_speed.py measures both).
    dropout: probability in [0, 1) after each hidden layer of F. Φ sees the standardised
    features of each particle (see :meth:`~SetModel.set_scaling`).

    Input: packed X [N, P, F+1]; output logits [N, 1]. The sum makes it a function of
    the multiplicity and of every particle's features, so it is NOT IRC safe: a soft or a
    collinear emission moves its output (compare :class:`EFN`).
    """

    def __init__(self, features=FEATURES, phi: Sequence[int] = (100, 100, 128),
                 f: Sequence[int] = (100, 100, 100), dropout: float = 0.0):
        super().__init__(features)
        self.phi_widths, self.f_widths = widths(phi, "phi"), widths(f, "f")
        self.dropout = dropout_probability(dropout)
        self.phi = mlp(self.n_features, self.phi_widths)
        self.f = nn.Sequential(mlp(self.phi_widths[-1], self.f_widths, dropout=self.dropout),
                               nn.Linear(self.f_widths[-1], 1))

    def _logits(self, raw, scaled, mask):
        return self.f(masked_sum(self.phi(scaled), mask))

    def extra_repr(self) -> str:
        return f"features={self.features}, phi={self.phi_widths}, f={self.f_widths}"


class EFN(SetModel):
    """Energy Flow Network (Komiske, Metodiev, Thaler, arXiv:1810.05165):
    logit = F(Σ_i z_i Φ(Δη_i, Δφ_i)), with z_i = pT_i / Σ_j pT_j over the real constituents.

    pT_i = exp(ln pT_i) from the RAW ``log_pt`` feature (GeV; the scaling does not touch
    it), so the features must include "log_pt", "deta" and "dphi" (else ValueError); the
    others are ignored. Φ sees the standardised angles. phi, f, dropout: as :class:`PFN`.

    Input: packed X [N, P, F+1]; output logits [N, 1]. IRC safe by construction: a
    particle with z → 0 adds z·Φ → 0, and two collinear halves at the same angles add
    (z/2 + z/2)·Φ, the original term (z is computed as a softmax of ln pT over the real
    constituents, exact and free of overflow).
    """

    def __init__(self, features=FEATURES, phi: Sequence[int] = (100, 100, 128),
                 f: Sequence[int] = (100, 100, 100), dropout: float = 0.0):
        super().__init__(features)
        self._require(("log_pt", "deta", "dphi"), "the energy fractions z_i come from ln pT, Φ sees Δη, Δφ")
        self.phi_widths, self.f_widths = widths(phi, "phi"), widths(f, "f")
        self.dropout = dropout_probability(dropout)
        self.angles = [self.index("deta"), self.index("dphi")]
        self.phi = mlp(2, self.phi_widths)
        self.f = nn.Sequential(mlp(self.phi_widths[-1], self.f_widths, dropout=self.dropout),
                               nn.Linear(self.f_widths[-1], 1))

    def energy_fractions(self, raw: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """z_i = pT_i / Σ_j pT_j [N, P] (0 on padded slots) from raw features [N, P, F]."""
        log_pt = raw[..., self.index("log_pt")].masked_fill(~mask, float("-inf"))
        return torch.softmax(log_pt, dim=1).masked_fill(~mask, 0.0)

    def _logits(self, raw, scaled, mask):
        z = self.energy_fractions(raw, mask)
        return self.f(masked_sum(z[..., None] * self.phi(scaled[..., self.angles]), mask))

    def extra_repr(self) -> str:
        return f"features={self.features}, phi={self.phi_widths}, f={self.f_widths}"
