"""Checks of public arguments, written once and used by every public function.

Each returns the cleaned value or raises TypeError (wrong kind of thing) or ValueError
(right kind, bad value) with a message that names the argument and says what is allowed.

>>> count(1e3, "n")
1000
>>> count(True, "n")
Traceback (most recent call last):
TypeError: n=True: expected a whole number of events, not a bool
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np


def count(value, name: str, *, minimum: int = 1, maximum: int | None = None,
          what: str = "a whole number") -> int:
    """A whole number ≥ ``minimum`` (and ≤ ``maximum``). Integral floats such as ``1e6``
    are accepted; bools, fractions, NaN, inf, strings and lists are not."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r}: expected {what}, not a bool")
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, numbers.Real):
        if not math.isfinite(value) or float(value) != int(value):
            raise ValueError(f"{name}={value!r}: expected {what}")
        number = int(value)
    else:
        raise TypeError(f"{name}={value!r}: expected {what}, not {type(value).__name__}")
    if number < minimum:
        raise ValueError(f"{name}={value!r}: must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{name}={value!r}: must be at most {maximum}")
    return number


def optional_count(value, name: str, **options) -> int | None:
    """:func:`count`, or None when ``value`` is None."""
    return None if value is None else count(value, name, **options)


def counts(values, name: str, *, minimum: int = 1) -> tuple[int, ...]:
    """A non-empty sequence of whole numbers (e.g. layer widths)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name}={values!r}: expected a sequence of whole numbers")
    result = tuple(count(v, f"{name}[{i}]", minimum=minimum) for i, v in enumerate(values))
    if not result:
        raise ValueError(f"{name}={values!r}: expected at least one number")
    return result


def real(value, name: str, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number in [low, high] (open ends with ``low_open``/``high_open``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}={value!r}: expected a number, not {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name}={value!r}: must be a finite number")
    if low is not None and (number < low or (low_open and number == low)):
        raise ValueError(f"{name}={value!r}: must be {'>' if low_open else '≥'} {low}")
    if high is not None and (number > high or (high_open and number == high)):
        raise ValueError(f"{name}={value!r}: must be {'<' if high_open else '≤'} {high}")
    return number


def positive(value, name: str) -> float:
    """A finite number > 0."""
    return real(value, name, low=0.0, low_open=True)


def probability(value, name: str) -> float:
    """A number in [0, 1]."""
    return real(value, name, low=0.0, high=1.0)


def reals(values, name: str, *, low: float | None = None, high: float | None = None,
          low_open: bool = False, ndim: int | None = None) -> np.ndarray:
    """A float64 array of finite numbers, all in range (``low_open``: strictly above low)."""
    if isinstance(values, (str, bytes)) or (isinstance(values, (list, tuple)) and any(
            isinstance(v, (str, bytes)) for v in values)):
        raise TypeError(f"{name}: expected numbers, got text {values!r}")
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected numbers, got {type(values).__name__}") from None
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-dimensional array, got shape {array.shape}")
    if array.size and not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: holds NaN or infinite values")
    if low is not None and array.size and (np.any(array < low) or (low_open and np.any(array == low))):
        raise ValueError(f"{name}: every value must be {'>' if low_open else '≥'} {low}")
    if high is not None and array.size and np.any(array > high):
        raise ValueError(f"{name}: every value must be ≤ {high}")
    return array


def choice(value, name: str, allowed) -> str:
    """One of ``allowed`` (compared as given)."""
    allowed = tuple(allowed)
    try:
        ok = value in allowed
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{name}={value!r}: use one of {allowed}")
    return value


def rng(seed, name: str = "seed") -> np.random.Generator:
    """A numpy Generator from an int ≥ 0 or a Generator (used as it is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    return np.random.default_rng(count(seed, name, minimum=0, what="an int ≥ 0 or a numpy Generator"))


def seed_int(seed, name: str = "seed") -> int:
    """An int seed: the int itself, or one drawn from a Generator (which advances it)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    return count(seed, name, minimum=0, what="an int ≥ 0 or a numpy Generator")


def options(given: dict, allowed, where: str) -> None:
    """Raise ValueError when ``given`` holds a keyword that ``allowed`` does not list."""
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown option(s) {unknown}; the options are {sorted(allowed)}")
