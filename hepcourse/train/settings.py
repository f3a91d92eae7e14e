"""The arguments of :func:`~hepcourse.train.fit`, checked once: :class:`Settings`."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import validate
from .schedule import SCHEDULES

COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def _path(value, name: str):
    if value is None or isinstance(value, (str, os.PathLike)):
        return value
    raise TypeError(f"{name}={value!r}: expected a file path (str or pathlib.Path) or None")


@dataclass(frozen=True)
class Settings:
    """The checked arguments of :func:`fit` (see there)."""

    loss: object
    epochs: int
    batch_size: int
    lr: float | None
    weight_decay: float
    schedule: str | None
    patience: int | None
    checkpoint: object
    class_weight: object
    augment: object
    seed: int
    progress: bool
    max_time: float | None
    amp: object
    compile: object
    state: object
    resume: object

    @classmethod
    def checked(cls, **given) -> "Settings":
        """Settings from ``fit``'s keywords; TypeError/ValueError naming a bad one."""
        v = dict(given)
        v["epochs"] = validate.count(v["epochs"], "epochs")
        v["batch_size"] = validate.count(v["batch_size"], "batch_size")
        v["patience"] = validate.optional_count(v["patience"], "patience")
        v["lr"] = None if v["lr"] is None else validate.positive(v["lr"], "lr")
        v["weight_decay"] = validate.real(v["weight_decay"], "weight_decay", low=0.0)
        if v["max_time"] is not None:
            v["max_time"] = validate.positive(v["max_time"], "max_time")
        v["seed"] = validate.count(v["seed"], "seed", minimum=0, what="an int seed ≥ 0")
        v["schedule"] = validate.choice(v["schedule"], "schedule", SCHEDULES)
        if not isinstance(v["progress"], (bool, np.bool_)):
            raise TypeError(f"progress={v['progress']!r}: expected True or False")
        if v["augment"] is not None and not callable(v["augment"]):
            raise ValueError("augment must be a callable augment(xb, generator) -> xb")
        c = v["compile"]
        if not (c is None or isinstance(c, bool) or (isinstance(c, str) and c in COMPILE_MODES)):
            raise ValueError(f"compile={c!r}: use False, True or one of {COMPILE_MODES}")
        for name in ("checkpoint", "state"):
            v[name] = _path(v[name], name)
        if not isinstance(v["resume"], bool):
            v["resume"] = _path(v["resume"], "resume")
        if v["resume"] is True and v["state"] is None:
            raise ValueError("resume=True continues from the file given as state=...; pass "
                             "state=path (or resume=path)")
        return cls(**v)

    def resume_path(self):
        """The state file to continue from, or None (resume=True: ``state`` if it exists)."""
        if self.resume is None or self.resume is False:
            return None
        if self.resume is True:
            return self.state if Path(self.state).is_file() else None
        return self.resume
