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
    config (the settings that must not change, see :data:`CONFIG_KEYS`), model
    (state_dict), optimizer, schedule, scaler (fp16 only), sampler (generator state),
    augment (generator states or None), rng (one dict {"cpu", "device", "device_type"} of
    generator states per process), best (state_dict of the best epoch or None),
    best_loss, stale, history (dict)

``config`` holds, besides the settings, fingerprints of the training and validation data
(:func:`~hepcourse.train.data.fingerprint`: shapes, dtypes, labels, weights and a sample
of the rows) and of the model (its class and parameter shapes), so that a run is not
resumed on other events, with another class weighting or another network.

This is distinct from ``checkpoint=``, which holds only the best weights (a plain
``state_dict``) for later use.
"""
from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import torch

FORMAT = "hepcourse.train.state/2"
CONFIG_KEYS = ("n_train", "batch_size", "epochs", "lr", "schedule", "weight_decay", "seed",
               "loss", "patience", "class_weight", "precision", "model", "train_data",
               "val_data")
KEYS = ("epoch", "step", "finished", "config", "model", "optimizer", "schedule", "scaler",
        "sampler", "augment", "rng", "best", "best_loss", "stale", "history")
WHAT_TO_DO = ("delete it to start afresh, pass another state path, or do not resume "
              "(resume=False; on the command line, leave out --resume)")


class StateError(ValueError):
    """A training-state file that cannot be used: damaged, of another kind, or from a run
    with other data or settings. The message names the file and says what to do."""


def load_state(path) -> dict:
    """Read a training state written by ``fit(..., state=path)`` (``weights_only=True``).

    Raises FileNotFoundError when there is no such file, and :class:`StateError` (a
    ValueError) naming the file when it is empty, truncated or otherwise damaged, or not a
    hepcourse training state (for example a ``checkpoint=`` file of best weights).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no training state at {path}: it is written by "
                                "fit(..., state=path) after each completed epoch")
    if path.stat().st_size == 0:
        raise StateError(f"the training state {path} is empty (a write was interrupted?); "
                         + WHAT_TO_DO)
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except (PermissionError, FileNotFoundError, IsADirectoryError):
        raise  # they name the file and say what is wrong
    except Exception as err:  # noqa: BLE001 - zip, pickle, EOF and OS errors of a damaged file
        text = str(err).strip()
        reason = text.splitlines()[0].split(". ")[0][:200] if text else type(err).__name__
        raise StateError(f"cannot read the training state {path}: the file is damaged or "
                         f"incomplete ({reason}); " + WHAT_TO_DO) from err
    if not isinstance(saved, dict) or not str(saved.get("format", "")).startswith("hepcourse.train.state/"):
        raise StateError(f"{path} is not a training state written by fit(state=...) "
                         f"(format {FORMAT!r}); a checkpoint= file holds only weights: load "
                         "it with model.load_state_dict(torch.load(path, weights_only=True))")
    if saved["format"] != FORMAT:
        raise StateError(f"the training state {path} has format {saved['format']!r}, written by "
                         f"another version of hepcourse (this one reads {FORMAT!r}); " + WHAT_TO_DO)
    missing = [k for k in KEYS if k not in saved]
    if missing:
        raise StateError(f"the training state {path} is incomplete (no {', '.join(missing)}); "
                         + WHAT_TO_DO)
    return saved


def check_config(saved: dict, config: dict, path) -> None:
    """:class:`StateError` naming every setting that differs between the saved run and
    this call (data and model fingerprints included)."""
    old = saved.get("config", {})
    changed = [f"{k}: {old.get(k)!r} then, {config[k]!r} now" for k in CONFIG_KEYS
               if k in config and old.get(k) != config[k]]
    if changed:
        raise StateError(f"cannot resume from {path}: the run's data or settings changed ("
                         + "; ".join(changed) + "). Resume with the same data and settings, "
                         "or " + WHAT_TO_DO.replace("delete it to start afresh", "delete the file"))


def model_fingerprint(model: torch.nn.Module) -> str:
    """The architecture of ``model``: its class, and the names, shapes and dtypes of its
    parameters and buffers (not their values), e.g. ``"MLP, 8 tensors, 1345 numbers,
    blake2b 9c0e…"``."""
    state = model.state_dict()
    digest = hashlib.blake2b(digest_size=12)
    digest.update(type(model).__qualname__.encode())
    for name, value in state.items():
        digest.update(f";{name}:{tuple(value.shape)}:{value.dtype}".encode())
    numbers = sum(v.numel() for v in state.values())
    return f"{type(model).__name__}, {len(state)} tensors, {numbers} numbers, blake2b {digest.hexdigest()}"


def _rng_module(dev: torch.device):
    """The torch module holding the default generator of ``dev`` (torch.cuda, torch.mps,
    torch.xpu, ...), or None for the CPU and for devices without one."""
    if dev.type == "cpu":
        return None
    module = getattr(torch, dev.type, None)
    if module is None or not hasattr(module, "get_rng_state") or not hasattr(module, "set_rng_state"):
        return None
    return module


def rng_snapshot(dev: torch.device) -> dict:
    """The global random generators of this process: the CPU one and, on an accelerator
    (CUDA, MPS, ...), the one of ``dev``: ``{"cpu", "device", "device_type"}``."""
    module = _rng_module(dev)
    return {"cpu": torch.get_rng_state(),
            "device": None if module is None else module.get_rng_state(dev),
            "device_type": dev.type}


def restore_rng(snapshot: dict, dev: torch.device) -> bool:
    """Set the generators saved by :func:`rng_snapshot`. Returns False when the device's
    generator could not be restored (the state was saved on another kind of device)."""
    torch.set_rng_state(snapshot["cpu"])
    module = _rng_module(dev)
    if module is None:
        return True
    if snapshot.get("device") is None or snapshot.get("device_type") != dev.type:
        return False
    module.set_rng_state(snapshot["device"], dev)
    return True


@contextlib.contextmanager
def forked_rng(dev: torch.device):
    """Leave the global generators of the CPU and of ``dev`` as they were found (what
    :func:`torch.random.fork_rng` does for CUDA, for any device type)."""
    snapshot = rng_snapshot(dev)
    try:
        yield
    finally:
        restore_rng(snapshot, dev)
