"""Every run-time setting of the course, read from ``HEPCOURSE_*`` environment variables.

This module is the only place that reads them; each is read at every call, so a notebook
or test can change one with ``os.environ`` and the next call sees it.

==========================  ===========================================================
variable                    meaning
==========================  ===========================================================
``HEPCOURSE_SMOKE``         1: tiny data and few epochs (``make test``); 0/unset: full size
``HEPCOURSE_DATA_DIR``      the download cache folder (default: the checkout's ``data/``,
                            else pooch's per-user cache)
``HEPCOURSE_DATA_MIRROR``   a folder, ``file://`` or ``http(s)://`` base URL holding the
                            same file names, tried before the upstream URLs
``HEPCOURSE_OFFLINE``       1: never contact the upstream servers
``HEPCOURSE_DATA_TIMEOUT``  seconds one download may take in all (default 30)
``HEPCOURSE_PROGRESS``      0: no progress bars (default 1)
``HEPCOURSE_PROJECT_KEY``   the instructor's secret key of the project (unset: self-study)
``HEPCOURSE_STRICT_CLAIMS`` 1: a failed science claim (``check.claim``) raises AssertionError
                            (``make test``, ``make book``); 0/unset: it prints a warning
==========================  ===========================================================

A boolean variable accepts 1/true/yes/on and 0/false/no/off (any case) or empty; anything
else is a ValueError naming the variable, never a silent default.
"""
from __future__ import annotations

import os

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

#: The variables this module reads, with their defaults (as strings) and meaning.
VARIABLES = {
    "HEPCOURSE_SMOKE": ("0", "smoke mode: tiny data, few epochs"),
    "HEPCOURSE_DATA_DIR": ("", "download cache folder"),
    "HEPCOURSE_DATA_MIRROR": ("", "mirror folder or base URL"),
    "HEPCOURSE_OFFLINE": ("0", "never contact upstream servers"),
    "HEPCOURSE_DATA_TIMEOUT": ("30", "seconds one download may take in all"),
    "HEPCOURSE_PROGRESS": ("1", "progress bars"),
    "HEPCOURSE_PROJECT_KEY": ("", "the project's key (unset: the public self-study key)"),
    "HEPCOURSE_STRICT_CLAIMS": ("0", "a failed science claim raises instead of warning"),
}


def flag(name: str, default: bool = False) -> bool:
    """The boolean environment variable ``name`` (unset or empty: ``default``).

    Raises ValueError, naming the variable and the accepted values, for anything else.
    """
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={raw!r} is not understood; use 1/true/yes/on or 0/false/no/off")


def text(name: str) -> str | None:
    """The string environment variable ``name`` stripped, or None when unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or None


def seconds(name: str, default: float) -> float:
    """A positive, finite number of seconds from ``name`` (unset or empty: ``default``)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number of seconds (e.g. {name}=30)") from None
    if not (value > 0 and value < float("inf")):
        raise ValueError(f"{name}={raw!r} must be a positive, finite number of seconds")
    return value


def smoke() -> bool:
    """True when ``HEPCOURSE_SMOKE`` asks for smoke mode (tiny data, few epochs)."""
    return flag("HEPCOURSE_SMOKE")


def size(full, smoke_value):
    """Pick ``smoke_value`` in smoke mode and ``full`` otherwise.

    Example: ``n_events = size(1_000_000, 20_000)``; ``epochs = size(30, 2)``.
    """
    return smoke_value if smoke() else full


def data_dir() -> str | None:
    """``HEPCOURSE_DATA_DIR`` or None (see :func:`hepcourse.data.cache_dir` for the default)."""
    return text("HEPCOURSE_DATA_DIR")


def data_mirror() -> str | None:
    """``HEPCOURSE_DATA_MIRROR`` (a folder or base URL) or None."""
    return text("HEPCOURSE_DATA_MIRROR")


def offline() -> bool:
    """True when ``HEPCOURSE_OFFLINE`` asks never to contact the upstream servers."""
    return flag("HEPCOURSE_OFFLINE")


def data_timeout() -> float:
    """Seconds one download may take in all (``HEPCOURSE_DATA_TIMEOUT``, default 30)."""
    return seconds("HEPCOURSE_DATA_TIMEOUT", 30.0)


def progress() -> bool:
    """False when ``HEPCOURSE_PROGRESS`` turns progress bars off."""
    return flag("HEPCOURSE_PROGRESS", default=True)


def strict_claims() -> bool:
    """True when ``HEPCOURSE_STRICT_CLAIMS`` asks a failed :func:`hepcourse.course.check.claim`
    to raise (the instructor builds) instead of printing a warning (a student's run)."""
    return flag("HEPCOURSE_STRICT_CLAIMS")


def settings() -> dict[str, str]:
    """Every ``HEPCOURSE_*`` variable set in the environment, known or not (for
    ``hepcourse doctor``); unknown names are typos worth reporting."""
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith("HEPCOURSE_")}
