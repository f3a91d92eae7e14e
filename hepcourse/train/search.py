"""Hyperparameter search with Optuna: a training run that reports its validation AUC after
every epoch, so that a pruner can stop a hopeless trial early.

:func:`fit` trains a model to the end; an Optuna pruner (successive halving, Hyperband)
needs an intermediate score after each epoch instead. :func:`train_reporting` is the same
recipe as ``fit`` (AdamW, the one-cycle learning rate of
:func:`~hepcourse.train.schedule.onecycle` per batch, a seeded permutation of in-memory rows
cut into batches, binary cross-entropy on logits), without early stopping or checkpoints,
and it calls ``trial.report(val_auc, epoch)`` after each epoch and raises
``optuna.TrialPruned`` when ``trial.should_prune()``. The learning rate follows the planned
number of epochs, so a pruned trial is the start of the full run, not a shorter one.

>>> import optuna
>>> from hepcourse.train.search import train_reporting
>>> def objective(trial):
...     width = trial.suggest_int("width", 32, 256, log=True)
...     model = MLP(28, hidden=(width,) * 3).set_scaling(X_train)
...     return train_reporting(model, (X_train, y_train), (X_val, y_val), epochs=6,
...                            lr=trial.suggest_float("lr", 1e-3, 3e-2, log=True), trial=trial)[-1]
>>> study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0),
...                             pruner=optuna.pruners.SuccessiveHalvingPruner())
>>> study.optimize(objective, n_trials=20)
"""
from __future__ import annotations

import numpy as np
import torch

from .. import validate
from .data import as_arrays
from .schedule import default_lr, onecycle

__all__ = ["ranking", "train_reporting"]


def _auc(model: torch.nn.Module, X: torch.Tensor, y: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    model.eval()
    with torch.no_grad():
        scores = torch.cat([model(X[i:i + 65_536]).reshape(-1) for i in range(0, len(X), 65_536)])
    model.train()
    return float(roc_auc_score(y, scores.numpy()))


def train_reporting(model: torch.nn.Module, train, val, *, epochs: int, batch_size: int = 4096,
                    lr: float | None = None, weight_decay: float = 0.0, seed: int = 0,
                    trial=None) -> list[float]:
    """Train ``model`` (one logit per event) in place on the CPU and return its validation
    AUC after each epoch, a list of ``epochs`` floats (fewer when the trial was pruned: then
    ``optuna.TrialPruned`` is raised instead of returning).

    train, val: ``(X, y)`` with X float32 [N, features] and y in {0, 1} [N].
    epochs: planned passes over the data (the one-cycle schedule spans all of them);
    batch_size: events per step; lr: peak learning rate (None: ``default_lr(batch_size)``);
    weight_decay: AdamW's; seed (keyword-only): the batch order (the initial weights are
    the model's, seed them with ``torch.manual_seed``); trial: an ``optuna.Trial`` or None.
    """
    epochs = validate.count(epochs, "epochs")
    batch_size = validate.count(batch_size, "batch_size")
    lr = default_lr(batch_size) if lr is None else validate.positive(lr, "lr")
    weight_decay = validate.real(weight_decay, "weight_decay", low=0.0)
    tr, va = as_arrays(train, "train", "float"), as_arrays(val, "val", "float")
    y_val = va.y.numpy()
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(validate.seed_int(seed))
    steps_per_epoch = -(-len(tr) // batch_size)
    total, step, aucs = epochs * steps_per_epoch, 0, []
    model.train()
    for epoch in range(1, epochs + 1):
        for batch in torch.randperm(len(tr), generator=generator).split(batch_size):
            for group in optimiser.param_groups:
                group["lr"] = lr * onecycle(step / total)
            loss = loss_fn(model(tr.X[batch]).reshape(-1), tr.y[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            step += 1
        if not torch.isfinite(loss):
            raise FloatingPointError(f"the training loss became {loss.item()} in epoch {epoch} (lr={lr:.3g})")
        aucs.append(_auc(model, va.X, y_val))
        if trial is not None:
            trial.report(aucs[-1], epoch)
            if trial.should_prune():
                import optuna

                raise optuna.TrialPruned(f"validation AUC {aucs[-1]:.4f} after epoch {epoch}")
    model.eval()
    return aucs


def ranking(study, top: int = 5):
    """The ``top`` completed trials of an Optuna ``study`` (maximised), best first: a pandas
    DataFrame with the trial number, its validation AUC (``value``), its parameters and
    the epochs it ran; plus, as ``ranking.attrs["pruned"]`` and ``["complete"]``, how many
    trials were pruned and how many ran to the end."""
    import optuna
    import pandas as pd

    top = validate.count(top, "top")
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    done.sort(key=lambda t: t.value, reverse=True)
    table = pd.DataFrame([{"trial": t.number, "val AUC": t.value, **t.params,
                           "epochs": len(t.intermediate_values)} for t in done[:top]])
    table.attrs["complete"] = len(done)
    table.attrs["pruned"] = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    return table
