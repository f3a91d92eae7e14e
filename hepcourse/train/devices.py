"""Choosing where tensors live: CUDA, then Apple's MPS, then the CPU."""
from __future__ import annotations

import torch

_NAMES = ("auto", "cpu", "cuda", "mps")


def device(name: str | torch.device = "auto") -> torch.device:
    """The :class:`torch.device` to train on.

    ``"auto"`` picks the first available of CUDA (an NVIDIA GPU), MPS (Apple silicon) and
    the CPU; ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or a :class:`torch.device` are
    taken as given, with a ValueError when that device is not available here.
    """
    if isinstance(name, torch.device):
        return name
    if not isinstance(name, str):
        raise ValueError(f"device={name!r}: use one of {_NAMES} (or e.g. 'cuda:1')")
    key = name.strip().lower()
    if key == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    kind = key.split(":")[0]
    if kind not in _NAMES[1:]:
        raise ValueError(f"device={name!r}: use one of {_NAMES} (or e.g. 'cuda:1')")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={name!r}: CUDA is not available on this machine; use 'auto' or 'cpu'")
    if kind == "mps" and not _mps_available():
        raise ValueError(f"device={name!r}: MPS is not available on this machine; use 'auto' or 'cpu'")
    return torch.device(key)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())
