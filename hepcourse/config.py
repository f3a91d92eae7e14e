"""Run-time settings read from environment variables.

Every notebook asks this module, and only this module, whether it runs in smoke mode:

    HEPCOURSE_SMOKE=1   tiny data and few epochs, so the whole book executes in minutes
                        on a 2-core laptop (this is what ``make test`` uses).

The same code runs at full size without it.
"""
from __future__ import annotations

import os

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def smoke() -> bool:
    """True when ``HEPCOURSE_SMOKE`` is set to 1/true/yes/on (read at every call)."""
    value = os.environ.get("HEPCOURSE_SMOKE", "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"HEPCOURSE_SMOKE={value!r} is not understood; use 1 (smoke mode) or 0 (full size)"
    )


def size(full, smoke_value):
    """Pick ``smoke_value`` in smoke mode and ``full`` otherwise.

    Example: ``n_events = size(1_000_000, 20_000)``; ``epochs = size(30, 2)``.
    """
    return smoke_value if smoke() else full
