"""The resumable training state: everything :func:`~hepcourse.train.fit` needs to continue
a run exactly where it stopped.

``fit(..., state="run/state.pt")`` writes it (atomically, rank 0 only) at the end of every
completed epoch; ``fit(..., state="run/state.pt", resume=True)`` reads it when it exists
and continues: the same weights, AdamW moments, learning-rate schedule position, early-
stopping counters and best weights, the state of the random generators (batch order,
dropout, augmentation) and the history so far. On the same machine and thread count the
continued run is bit for bit the uninterrupted one. A job killed by a batch system loses at
most the epoch it was in.

The file is a dict of tensors, numbers, strings and lists, so it loads with
``torch.load(path, weights_only=True)`` (no pickled code is executed):

    format, epoch (completed epochs), step (optimiser steps), finished (bool),
    config (the settings that must not change), model (state_dict), optimizer, schedule,
    scaler (fp16 only), sampler (generator state), augment (generator state or None),
    rng (one dict {"cpu", "cuda"} of generator states per process),
    best (state_dict of the best epoch or None), best_loss, stale, history (dict)

This is distinct from ``checkpoint=``, which holds only the best weights (a plain
``state_dict``) for later use.
"""
from __future__ import annotations

from pathlib import Path

import torch

FORMAT = "hepcourse.train.state/1"
CONFIG_KEYS = ("n_train", "batch_size", "epochs", "lr", "schedule", "weight_decay", "seed", "loss")


def load_state(path) -> dict:
    """Read a training state written by ``fit(..., state=path)`` (``weights_only=True``).

    Raises FileNotFoundError when there is no such file and ValueError when the file is
    not a hepcourse training state (for example a ``checkpoint=`` file of best weights).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no training state at {path}: it is written by "
                                "fit(..., state=path) after each completed epoch")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ValueError(f"{path} is not a training state written by fit(state=...) "
                         f"(format {FORMAT!r}); a checkpoint= file holds only weights: load "
                         "it with model.load_state_dict(torch.load(path, weights_only=True))")
    return saved


def check_config(saved: dict, config: dict, path) -> None:
    """ValueError naming every setting that differs between the saved run and this call."""
    old = saved.get("config", {})
    changed = [f"{k}: {old.get(k)!r} then, {config[k]!r} now" for k in CONFIG_KEYS
               if k in config and old.get(k) != config[k]]
    if changed:
        raise ValueError(f"cannot resume from {path}: the run's settings changed ("
                         + "; ".join(changed) + "). Resume with the same data and settings, "
                         "or start a new run without resume")


def rng_snapshot(dev: torch.device) -> dict:
    """The global random generators of this process (CPU, and CUDA on a GPU)."""
    return {"cpu": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None}


def restore_rng(snapshot: dict, dev: torch.device) -> None:
    torch.set_rng_state(snapshot["cpu"])
    if dev.type == "cuda" and snapshot.get("cuda") is not None:
        torch.cuda.set_rng_state(snapshot["cuda"], dev)
