"""Multilayer perceptrons with their input scaling inside.

The scaling (a per-feature mean and standard deviation) is a pair of buffers: it is fitted
once on the TRAINING data with :meth:`MLP.set_scaling`, saved in the ``state_dict`` with the
weights, and applied in ``forward``, so a saved model cannot be used with the wrong scaling,
and nobody is tempted to refit it on the test set.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .. import validate

_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}


def _widths(hidden) -> tuple[int, ...]:
    """Hidden-layer widths: whole numbers ≥ 1 (an empty sequence: no hidden layer)."""
    if isinstance(hidden, (tuple, list)) and len(hidden) == 0:
        return ()
    return validate.counts(hidden, "hidden")


def _dropouts(dropout, n_layers: int) -> tuple[float, ...]:
    """One dropout probability in [0, 1) per hidden layer, from one number or a sequence."""
    if isinstance(dropout, numbers.Real) and not isinstance(dropout, bool):
        p = validate.real(dropout, "dropout", low=0.0, high=1.0, high_open=True)
        return (p,) * n_layers
    if isinstance(dropout, (str, bytes)) or not isinstance(dropout, Sequence):
        raise TypeError(f"dropout={dropout!r}: expected a probability or one per hidden layer")
    if len(dropout) != n_layers:
        raise ValueError(f"dropout={tuple(dropout)!r}: give one probability or one per hidden layer "
                         f"({n_layers})")
    return tuple(validate.real(p, f"dropout[{i}]", low=0.0, high=1.0, high_open=True)
                 for i, p in enumerate(dropout))


class MLP(nn.Module):
    """A fully connected network ``n_inputs → hidden... → n_outputs`` returning logits.

    n_inputs: features per sample. hidden: widths of the hidden layers (default three of
    112, the network of the HEPMASS tutorial; ``()`` for none). n_outputs: 1 for a binary
    classifier (logits [N, 1], used with ``fit(..., loss="bce")``), C for C classes
    (``loss="ce"``). Widths and counts are whole numbers ≥ 1.
    dropout: a probability in [0, 1) for every hidden layer, or one per hidden layer.
    activation: "relu" (default), "gelu", "silu" or "tanh". Bad arguments raise
    TypeError/ValueError naming them.

    Input x: float32 [N, n_inputs] in the units of the data; forward standardises it with
    the stored ``mean``/``std`` buffers (0 and 1 until :meth:`set_scaling` is called).
    """

    def __init__(self, n_inputs: int, hidden: Sequence[int] = (112, 112, 112), n_outputs: int = 1,
                 dropout: float | Sequence[float] = 0.0, activation: str = "relu"):
        super().__init__()
        n_inputs = validate.count(n_inputs, "n_inputs")
        n_outputs = validate.count(n_outputs, "n_outputs")
        hidden = _widths(hidden)
        dropout = _dropouts(dropout, len(hidden))
        activation = validate.choice(activation, "activation", sorted(_ACTIVATIONS))
        self.n_inputs, self.n_outputs, self.hidden = n_inputs, n_outputs, hidden
        layers: list[nn.Module] = []
        width = self.n_inputs
        for h, p in zip(hidden, dropout):
            layers += [nn.Linear(width, h), _ACTIVATIONS[activation]()]
            if p > 0:
                layers.append(nn.Dropout(p))
            width = h
        layers.append(nn.Linear(width, self.n_outputs))
        self.net = nn.Sequential(*layers)
        self.register_buffer("mean", torch.zeros(self.n_inputs))
        self.register_buffer("std", torch.ones(self.n_inputs))

    def set_scaling(self, X) -> "MLP":
        """Store the per-feature mean and standard deviation of X [N, n_inputs].

        Call it with the TRAINING data only; test data are then transformed with the same
        numbers. Features with zero spread get std 1. Returns the model.
        """
        if not isinstance(X, torch.Tensor):
            X = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"set_scaling needs X of shape [N, {self.n_inputs}]; got {tuple(X.shape)}")
        if X.shape[0] < 2:
            raise ValueError("set_scaling needs at least 2 samples")
        if isinstance(X, torch.Tensor):  # float64 sums, on the CPU when the device lacks float64 (MPS)
            X = X.detach()
            X = (X.cpu() if X.device.type == "mps" else X).to(torch.float64)
            mean, std = X.mean(dim=0), X.std(dim=0)
        else:  # accumulate in float64 without a float64 copy of the data
            mean = torch.from_numpy(X.mean(axis=0, dtype=np.float64))
            std = torch.from_numpy(np.asarray(X.std(axis=0, ddof=1, dtype=np.float64)))
        std = torch.where(std > 1e-12, std, torch.ones_like(std))
        self.mean.copy_(mean.to(self.mean))
        self.std.copy_(std.to(self.std))
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits [N, n_outputs] for x [N, n_inputs]."""
        return self.net((x - self.mean) / self.std)

    def extra_repr(self) -> str:
        return f"n_inputs={self.n_inputs}, hidden={self.hidden}, n_outputs={self.n_outputs}"


class ParameterizedMLP(MLP):
    """The parameterized network of Baldi et al. 2016 (arXiv:1601.07913): an MLP that
    takes the physics parameter θ (here the mass hypothesis m_X in GeV) as one more input.

    Trained on signal at several masses (and background with masses drawn from the same
    set), it learns a family of classifiers f(x; θ) and interpolates to masses it never saw.

    n_features: event features (27 for HEPMASS); the model's input is [N, n_features + 1]
    with θ in the LAST column, the layout of the UCI file (f0..f26, mass). The scaling of
    θ is fitted by :meth:`set_scaling` like any feature. ``forward(x, theta)`` appends θ
    (a number or a tensor [N]) to features x [N, n_features] for you.
    """

    def __init__(self, n_features: int, hidden: Sequence[int] = (112, 112, 112), n_outputs: int = 1,
                 dropout: float | Sequence[float] = 0.0, activation: str = "relu"):
        n_features = validate.count(n_features, "n_features")
        super().__init__(n_features + 1, hidden, n_outputs, dropout, activation)
        self.n_features = n_features

    @staticmethod
    def with_parameter(X, theta) -> np.ndarray:
        """Features X [N, n_features] with θ appended as the last column (float32 numpy);
        θ is a number (the same hypothesis for every row) or an array [N]."""
        X = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X, dtype=np.float32)
        column = np.broadcast_to(np.asarray(theta, dtype=np.float32), (X.shape[0],))
        return np.column_stack([X, column])

    def forward(self, x: torch.Tensor, theta=None) -> torch.Tensor:
        """Logits for x [N, n_features + 1] (θ last), or x [N, n_features] and θ."""
        if theta is not None:
            theta = torch.as_tensor(theta, dtype=x.dtype, device=x.device)
            x = torch.cat([x, theta.expand(x.shape[0]).reshape(-1, 1)], dim=1)
        if x.shape[-1] != self.n_inputs:
            raise ValueError(f"ParameterizedMLP expects {self.n_inputs} inputs (the {self.n_features} "
                             f"features and the parameter last); got {x.shape[-1]}")
        return super().forward(x)
