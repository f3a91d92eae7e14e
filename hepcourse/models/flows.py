"""A conditional normalizing flow p(x | c): the density estimator of CATHODE
(Hallin et al., arXiv:2109.00546), where x are an event's features and c its m_jj.

:class:`ConditionalFlow` wraps a neural spline flow (``zuko.flows.NSF``: autoregressive
rational-quadratic spline transforms, Durkan et al., arXiv:1906.04032). Its scaling lives
inside it, as buffers in its ``state_dict`` like the other models of the package: the
features are standardised with the training data's mean and standard deviation, the
context is log-transformed (optional) and then standardised. :meth:`ConditionalFlow.log_prob`
and :meth:`ConditionalFlow.sample` work in the ORIGINAL units: the density includes the
Jacobian of the standardisation (a density per GeV for a feature in GeV).

>>> flow = ConditionalFlow(n_features=4)
>>> history = flow.fit(x_train, mjj_train, x_val, mjj_val, seed=1)   # sideband events
>>> x_sr = flow.sample(mjj_sr, seed=2)        # [N, 4]: one event per signal-region m_jj
>>> density = flow.log_prob(x_sr, mjj_sr)     # [N], ln p(x | m_jj) in the data's units

zuko is an optional dependency: ``pip install 'hepcourse[anomaly]'``.
"""
from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .. import validate
from ..train.history import History
from ..train.schedule import Schedule

__all__ = ["MIN_EVENTS", "ConditionalFlow"]

#: The fewest events :meth:`ConditionalFlow.fit` accepts in the training and in the
#: validation set.
MIN_EVENTS = 10
_CLIP = 5.0
"""Largest gradient norm in training (flows can take an occasional huge step)."""
_SCHEDULES = ("cosine", "plateau", None)
_INSTALL = "pip install 'hepcourse[anomaly]'  (that is: pip install 'zuko>=1.4,<2')"


def _zuko():
    try:
        import zuko
    except ImportError as err:
        raise ImportError(f"hepcourse.models.flows needs zuko: {_INSTALL}") from err
    return zuko


def _table(values, name: str, width: int, what: str) -> np.ndarray:
    """A float64 array [N, width] of finite numbers from an array [N, width] (or [N] when
    width is 1), a DataFrame or a Series."""
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    array = validate.reals(values, name)
    if array.ndim == 1 and width == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2 or array.shape[1] != width:
        shape = "[N]" if width == 1 else f"[N, {width}]"
        raise ValueError(f"{name}: expected {what} of shape {shape}"
                         f"{' or [N, 1]' if width == 1 else ''}; got shape {array.shape}")
    return array


def _seeded(device: torch.device):
    """A context in which torch's global generators can be seeded without touching the
    caller's random state (CPU, and the CUDA device when there is one)."""
    return torch.random.fork_rng(devices=[device] if device.type == "cuda" else [])


class ConditionalFlow(nn.Module):
    """A conditional density p(x | c) of ``n_features`` features x given ``n_context``
    context values c (e.g. m_jj in GeV), by a neural spline flow.

    transforms: autoregressive spline transforms (default 4); hidden: widths of each
    transform's masked network (default (64, 64)); bins: spline bins (default 8).
    log_context: take the logarithm of the context before standardising it (for masses:
    every context value must then be > 0). Train with :meth:`fit`, which also fits the
    scaling; :meth:`log_prob` and :meth:`sample` before that raise RuntimeError.
    Bad arguments raise TypeError/ValueError naming them; without zuko, ImportError says
    what to install.
    """

    def __init__(self, n_features: int, n_context: int = 1, *, transforms: int = 4,
                 hidden: Sequence[int] = (64, 64), bins: int = 8, log_context: bool = True):
        super().__init__()
        self.n_features = validate.count(n_features, "n_features")
        self.n_context = validate.count(n_context, "n_context")
        self.transforms = validate.count(transforms, "transforms")
        self.hidden = validate.counts(hidden, "hidden")
        self.bins = validate.count(bins, "bins", minimum=2)
        if not isinstance(log_context, (bool, np.bool_)):
            raise TypeError(f"log_context={log_context!r}: expected True or False")
        self.log_context = bool(log_context)
        self.flow = self._build(seed=0)
        for name, size in (("x_mean", self.n_features), ("x_std", self.n_features),
                           ("c_mean", self.n_context), ("c_std", self.n_context)):
            self.register_buffer(name, torch.zeros(size) if "mean" in name else torch.ones(size))
        self.register_buffer("fitted", torch.tensor(False))

    def _build(self, seed: int) -> nn.Module:
        """A fresh zuko NSF whose weights are drawn from ``seed``."""
        zuko = _zuko()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return zuko.flows.NSF(self.n_features, self.n_context, bins=self.bins,
                                  transforms=self.transforms, hidden_features=self.hidden)

    @property
    def device(self) -> torch.device:
        return self.x_mean.device

    # -- scaling ---------------------------------------------------------------------------
    def _context(self, context, name: str) -> np.ndarray:
        c = _table(context, name, self.n_context, "context values")
        if self.log_context:
            if np.any(c <= 0):
                raise ValueError(f"{name}: every context value must be > 0 with log_context=True "
                                 "(e.g. m_jj in GeV); pass log_context=False for other contexts")
            c = np.log(c)
        return c

    def _set_scaling(self, x: np.ndarray, c: np.ndarray) -> None:
        x_std = x.std(axis=0, ddof=1)
        flat = np.flatnonzero(~(x_std > 1e-12 * np.maximum(np.abs(x.mean(axis=0)), 1.0)))
        if flat.size:
            raise ValueError(f"x: feature(s) {flat.tolist()} have no spread in the training data: "
                             "a flow cannot model a constant; leave them out")
        c_std = c.std(axis=0, ddof=1)
        c_std = np.where(c_std > 1e-12, c_std, 1.0)
        for buffer, value in ((self.x_mean, x.mean(axis=0)), (self.x_std, x_std),
                              (self.c_mean, c.mean(axis=0)), (self.c_std, c_std)):
            buffer.copy_(torch.as_tensor(value, dtype=buffer.dtype))

    def _scaled(self, x: np.ndarray | None, c: np.ndarray) -> tuple[torch.Tensor | None, torch.Tensor]:
        """Standardised float32 tensors on the flow's device (c already log-transformed),
        standardised in float64 first (log m_jj varies by a few per cent only)."""
        def scale(values, mean, std):
            shifted = (values - mean.double().cpu().numpy()) / std.double().cpu().numpy()
            return torch.as_tensor(shifted, dtype=torch.float32, device=self.device)

        ct = scale(c, self.c_mean, self.c_std)
        return (None if x is None else scale(x, self.x_mean, self.x_std)), ct

    def _log_jacobian(self) -> float:
        """ln |d z / d x| of the standardisation: −Σ ln σ_j (add it to ln p(z))."""
        return -float(torch.log(self.x_std.double()).sum())

    def _require_fitted(self, what: str) -> None:
        if not bool(self.fitted):
            raise RuntimeError(f"ConditionalFlow.{what}: the flow is not trained; call fit(...) first "
                               "(or load_state_dict of a trained one)")

    def _pair(self, x, context, names=("x", "context")) -> tuple[np.ndarray, np.ndarray]:
        x = _table(x, names[0], self.n_features, "features")
        c = self._context(context, names[1])
        if len(x) != len(c):
            raise ValueError(f"{names[0]} has {len(x)} events but {names[1]} {len(c)}: give one "
                             "context row per event")
        return x, c

    # -- the density -----------------------------------------------------------------------
    def _nll(self, xt: torch.Tensor, ct: torch.Tensor, batch_size: int) -> float:
        """Mean −ln p(z | c) of standardised tensors, in batches, without gradients."""
        total = 0.0
        with torch.no_grad():
            for start in range(0, len(xt), batch_size):
                stop = start + batch_size
                total -= float(self.flow(ct[start:stop]).log_prob(xt[start:stop]).double().sum())
        return total / len(xt)

    def log_prob(self, x, context, *, batch_size: int = 8192) -> np.ndarray:
        """ln p(x | context) [N] (float64) for features x [N, n_features] and context
        [N] or [N, n_context], in the units the flow was trained in (the standardisation's
        Jacobian included: for features in GeV, a log-density per GeV^n_features)."""
        self._require_fitted("log_prob")
        batch_size = validate.count(batch_size, "batch_size")
        xt, ct = self._scaled(*self._pair(x, context))
        out = np.empty(len(xt))
        with torch.no_grad():
            for start in range(0, len(xt), batch_size):
                stop = start + batch_size
                out[start:stop] = self.flow(ct[start:stop]).log_prob(xt[start:stop]).double().cpu().numpy()
        return out + self._log_jacobian()

    def sample(self, context, *, seed=0, batch_size: int = 8192) -> np.ndarray:
        """One draw x ~ p(x | c) per context row: context [N] or [N, n_context] in its own
        units (e.g. m_jj in GeV), returns float64 [N, n_features] in the features' units.
        ``seed``: an int ≥ 0 or a numpy Generator; the same seed gives the same numbers
        (on the same device), and the caller's torch random state is left as it was."""
        self._require_fitted("sample")
        seed = validate.seed_int(seed)
        batch_size = validate.count(batch_size, "batch_size")
        _, ct = self._scaled(None, self._context(context, "context"))
        out = np.empty((len(ct), self.n_features))
        with torch.no_grad(), _seeded(self.device):
            torch.manual_seed(seed)
            for start in range(0, len(ct), batch_size):
                z = self.flow(ct[start:start + batch_size]).sample()
                out[start:start + len(z)] = (z * self.x_std + self.x_mean).double().cpu().numpy()
        return out

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """ln p(x | context) [N] as a differentiable tensor, for tensors in the original
        units: x [N, n_features], context [N, n_context] (before the log-transform)."""
        c = torch.log(context) if self.log_context else context
        z = (x - self.x_mean) / self.x_std
        return self.flow((c - self.c_mean) / self.c_std).log_prob(z) - torch.log(self.x_std).sum()

    # -- training --------------------------------------------------------------------------
    def fit(self, x, context, x_val, context_val, *, epochs: int = 40, batch_size: int = 1024,
            lr: float = 2e-3, schedule: str | None = "cosine", patience: int | None = 10,
            seed=0) -> History:
        """Train by maximum likelihood (Adam) from a fresh initialisation drawn from ``seed``;
        the scaling is fitted on (x, context) first. Refitting starts over.

        x [N, n_features], context [N] or [N, n_context]: training events (at least
        :data:`MIN_EVENTS`); x_val, context_val: validation events (at least
        :data:`MIN_EVENTS`) for early stopping. epochs: at most this many passes;
        batch_size: events per step; lr: Adam's learning rate; schedule: "cosine" (warm-up,
        then cosine annealing over the planned steps), "plateau" (×0.1 when the validation
        loss stalls) or None; patience: stop after this many epochs without a lower
        validation loss (None: never). The weights of the best validation epoch are kept.
        seed: an int ≥ 0 or a numpy Generator (initial weights and batch order); on the CPU
        the same seed and thread count give identical results.

        Returns a :class:`~hepcourse.train.History` whose ``train_loss``/``val_loss`` are
        mean negative log-likelihoods per event in nats, in the original units
        (= −mean :meth:`log_prob`); ``history.to_frame()`` gives them per epoch.
        """
        x, c = self._pair(x, context)
        x_val, c_val = self._pair(x_val, context_val, ("x_val", "context_val"))
        for name, array in (("x", x), ("x_val", x_val)):
            if len(array) < MIN_EVENTS:
                raise ValueError(f"{name}: {len(array)} events; fit needs at least {MIN_EVENTS} "
                                 "(a flow on a handful of events is meaningless)")
        epochs = validate.count(epochs, "epochs")
        batch_size = validate.count(batch_size, "batch_size")
        lr = validate.positive(lr, "lr")
        validate.choice(schedule, "schedule", _SCHEDULES)
        patience = validate.optional_count(patience, "patience")
        seed = validate.seed_int(seed)

        device = self.device
        self.fitted.fill_(False)
        self.flow = self._build(seed).to(device)
        self._set_scaling(x, c)
        xt, ct = self._scaled(x, c)
        xv, cv = self._scaled(x_val, c_val)
        jacobian = self._log_jacobian()
        optimizer = torch.optim.Adam(self.flow.parameters(), lr=lr)
        scheduler = Schedule(schedule, optimizer, lr, patience)
        generator = torch.Generator().manual_seed(seed)
        steps_per_epoch = math.ceil(len(xt) / batch_size)
        total_steps, step = epochs * steps_per_epoch, 0
        history = History(device=str(device))
        best_state, stale, start_time = None, 0, time.perf_counter()
        for epoch in range(1, epochs + 1):
            begin = time.perf_counter()
            self.flow.train()
            order = torch.randperm(len(xt), generator=generator).to(device)
            summed = 0.0
            for first in range(0, len(xt), batch_size):
                scheduler.set(step / total_steps)
                index = order[first:first + batch_size]
                loss = -self.flow(ct[index]).log_prob(xt[index]).mean()
                value = float(loss.detach())
                if not math.isfinite(value):
                    raise FloatingPointError(f"fit: the training loss became {value} at epoch "
                                             f"{epoch}; lower lr (now {lr:g}) or check the inputs")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(self.flow.parameters(), _CLIP)
                optimizer.step()
                summed += value * len(index)
                step += 1
            trained = time.perf_counter() - begin
            self.flow.eval()
            val_loss = self._nll(xv, cv, 8192) - jacobian
            if not math.isfinite(val_loss):
                raise FloatingPointError(f"fit: the validation loss became {val_loss} at epoch {epoch}; "
                                         f"lower lr (now {lr:g}) or check x_val and context_val")
            scheduler.after_epoch(val_loss)
            history.epochs.append({"epoch": epoch, "train_loss": summed / len(xt) - jacobian,
                                   "val_loss": val_loss, "lr": optimizer.param_groups[0]["lr"],
                                   "seconds": time.perf_counter() - begin,
                                   "samples_per_s": len(xt) / trained if trained > 0 else math.nan})
            if history.best_val_loss is None or val_loss < history.best_val_loss:
                history.best_epoch, history.best_val_loss, stale = epoch, val_loss, 0
                best_state = copy.deepcopy(self.flow.state_dict())
            else:
                stale += 1
            if patience is not None and stale >= patience:
                history.stopped_early, history.stop_reason = True, "early stopping"
                break
        self.flow.load_state_dict(best_state)
        self.flow.eval()
        self.fitted.fill_(True)
        history.seconds = time.perf_counter() - start_time
        return history

    def extra_repr(self) -> str:
        return (f"n_features={self.n_features}, n_context={self.n_context}, transforms={self.transforms}, "
                f"hidden={self.hidden}, bins={self.bins}, log_context={self.log_context}")
