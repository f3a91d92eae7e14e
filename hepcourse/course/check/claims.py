"""Science guards that teach instead of aborting: :func:`claim`.

A notebook states what its numbers show ("the network beats the cuts", "the fitted mass is
within 0.1 GeV of the PDG value"). :func:`claim` checks such a statement and prints one line
about it. A failed claim aborts only the instructor builds (``HEPCOURSE_STRICT_CLAIMS=1``,
set by ``make test`` and ``make book``); in a student's "Run all", on real data or on
another machine it prints a warning with the measured value and the expected range, and
the notebook goes on.

>>> from hepcourse.course import check
>>> check.claim("the CNN's AUC minus the feature's AUC", 0.0312, low=0)
✔ the CNN's AUC minus the feature's AUC: 0.0312 (expected ≥ 0)
True

Asserts of program behaviour that hold everywhere (shapes, a resumed run equals the
uninterrupted one, a solution passes its own self-check) stay plain ``assert``.
"""
from __future__ import annotations

import math

from ... import config

_WHY = ("This number can move on another CPU, with other thread counts, on real data or in a "
        "shortened run. If it stays outside the range in a full-size run, the conclusion the "
        "chapter draws from it does not hold for your run: read the text that follows with your "
        "own number in mind.")


def expected_range(low: float | None, high: float | None) -> str:
    """The range ``[low, high]`` in words: ``"≥ 0"``, ``"≤ 0.05"``, ``"between 0.9 and 1.1"``,
    ``"any value"`` (a missing bound is open)."""
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    if low is not None:
        return f"≥ {low:g}"
    if high is not None:
        return f"≤ {high:g}"
    return "any value"


def claim(statement: str, value: float, low: float | None = None, high: float | None = None, *,
          smoke: bool = False, real_data: bool = False) -> bool:
    """Check that the measured ``value`` lies in ``[low, high]`` (a missing bound is open) and
    say so in one line on stdout.

    statement: what is claimed, in words a student understands ("the CNN's AUC minus the
        feature's AUC"); value: the measured number (a float, numpy scalar or 0-d tensor;
        NaN never passes).
    smoke: check it in smoke mode too (for claims that hold even on tiny data); otherwise
        smoke mode prints ``· smoke mode, not checked: ...`` and returns True.
    real_data: the number comes from real data, so a failure never raises.

    Returns True when the claim holds (or is not checked). A failed claim raises
    AssertionError(message) when ``HEPCOURSE_STRICT_CLAIMS`` is true and ``real_data`` is
    False; otherwise it prints the message (``⚠ ...``: statement, measured value, expected
    range, why it can move) and returns False.
    """
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError(f"claim: statement={statement!r} must say in words what is claimed")
    measured = _number(value, statement)
    if config.smoke() and not smoke:
        print(f"· smoke mode, not checked: {statement} (measured {measured:.4g})")
        return True
    expected = expected_range(low, high)
    inside = not math.isnan(measured) and (low is None or measured >= low) and (high is None or measured <= high)
    if inside:
        print(f"✔ {statement}: {measured:.4g} (expected {expected})")
        return True
    message = f"{statement}: measured {measured:.4g}, expected {expected}. {_WHY}"
    if config.strict_claims() and not real_data:
        raise AssertionError(message)
    print(f"⚠ {message}")
    return False


def _number(value, statement: str) -> float:
    """``value`` as a float; a 1-element array or tensor is read with ``.item()``."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) is not None:
        value = item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"claim {statement!r}: value must be a number, not {type(value).__name__}")
    return float(value)
