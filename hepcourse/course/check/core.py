"""What every self-check shares: :class:`Feedback`, the judges :func:`value` and :func:`auc`,
the registry behind :func:`exercise`, and the readers that turn a student's variable into
a number, an array or a dict, or say what is wrong with it.

A self-check never raises on a student's answer. The readers raise :class:`AnswerError`,
whose message names the variable, says what it holds and what was expected;
:func:`exercise` turns it into a failing :class:`Feedback`. Anything else a check raises is
caught there too and reported as a failing Feedback (with ``details["error"]``), so a
notebook cell never ends in a traceback because of an answer.
"""
from __future__ import annotations

import json
import math
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field as _field
from pathlib import Path

import numpy as np


@dataclass
class Feedback:
    """The outcome of a self-check: ``passed``, a message written for the student and, once
    an answer passes in the student edition, the problem's ``discussion`` (markdown, shown
    below the message)."""

    passed: bool
    message: str
    details: dict = _field(default_factory=dict)
    discussion: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = "✔ well done" if self.passed else "✘ not yet"
        return f"{mark}: {self.message}" + (f"\n\n{self.discussion}" if self.discussion else "")

    def _repr_markdown_(self) -> str:
        mark = "✔ **well done**" if self.passed else "✘ **not yet**"
        return f"{mark}: {self.message}" + (f"\n\n---\n\n{self.discussion}" if self.discussion else "")


class AnswerError(Exception):
    """A student's answer cannot be judged; the message (for the student) says why."""


# --- reading answers --------------------------------------------------------------------

def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def keys_of(mapping) -> list:
    """The keys of ``mapping``, sorted when they can be."""
    try:
        return sorted(mapping)
    except TypeError:
        return list(mapping)


def describe(got) -> str:
    """A short description of a value for a message: ``None``, ``the str 'abc'``,
    ``a list of 3 items``, ``a ndarray of shape (2, 2)``, ``a dict with the keys [...]``."""
    if got is None:
        return "None"
    if isinstance(got, (bool, np.bool_)):
        return f"the bool {bool(got)}"
    if isinstance(got, (str, bytes)):
        return f"the {type(got).__name__} {_short(repr(got))}"
    if isinstance(got, numbers.Number):
        return f"the number {_short(repr(got))}"
    if isinstance(got, Mapping):
        return f"a {type(got).__name__} with the keys {_short(repr(keys_of(got)))}"
    shape = getattr(got, "shape", None)
    if isinstance(shape, tuple):
        return f"a {type(got).__name__} of shape {tuple(shape)}"
    if isinstance(got, (list, tuple, set, frozenset)):
        return f"a {type(got).__name__} of {len(got)} items"
    if callable(got):
        return f"the function {getattr(got, '__name__', type(got).__name__)}"
    return f"a {type(got).__name__}"


def _wrong(variable: str, got, what: str) -> AnswerError:
    return AnswerError(f"`{variable}` should be {what}, but it is {describe(got)}.")


def _item(got):
    """A number from a 0-d/1-element array or tensor (no deprecated array→float)."""
    shape = getattr(got, "shape", None)
    if isinstance(shape, tuple) and hasattr(got, "item"):
        if math.prod(shape) != 1:
            return None
        return got.item()
    return got


def number(got, variable: str, what: str = "a number", *, integer: bool = False,
           low: float | None = None, high: float | None = None, positive: bool = False,
           infinite: bool = False) -> float:
    """``got`` as a float, or AnswerError naming ``variable`` and ``what`` was expected.

    Rejects None, bools, strings, containers, NaN (and ±inf unless ``infinite``); with
    ``integer`` a fraction; outside [low, high] (or ≤ 0 with ``positive``) too.
    """
    if got is None or isinstance(got, (bool, np.bool_, str, bytes, Mapping)):
        raise _wrong(variable, got, what)
    scalar = _item(got)
    if scalar is None or isinstance(scalar, (bool, np.bool_)):
        raise _wrong(variable, got, what)
    try:
        result = float(scalar)
    except (TypeError, ValueError, OverflowError):
        raise _wrong(variable, got, what) from None
    if math.isnan(result) or (math.isinf(result) and not infinite):
        raise AnswerError(f"`{variable}` is {result}; expected {what}.")
    if integer and math.isfinite(result) and result != round(result):
        raise AnswerError(f"`{variable}` = {result:g} is not a whole number; expected {what}.")
    if (low is not None and result < low) or (high is not None and result > high) or (positive and result <= 0):
        raise AnswerError(f"`{variable}` = {result:.4g} is out of range; expected {what}.")
    return result


def _to_numpy(got, numeric: bool):
    if type(got).__module__.startswith("torch") and hasattr(got, "detach"):
        import torch

        tensor = got.detach().cpu()
        if numeric and not tensor.is_complex():
            tensor = tensor.to(torch.float64)
        return tensor.numpy()
    return np.asarray(got, dtype=float if numeric else None)


def array(got, variable: str, what: str, *, ndim: int | None = 1, length: int | None = None,
          length_of: str = "", numeric: bool = True, finite: bool = True, min_length: int = 1,
          low: float | None = None, high: float | None = None) -> np.ndarray:
    """``got`` as a numpy array (float when ``numeric``), or AnswerError naming ``variable``.

    ndim: required number of dimensions; length: required len (``length_of`` names where
    that length comes from, e.g. "`y_test`"); min_length: fewest entries; finite: no NaN/inf;
    low/high: every value inside [low, high]. Torch tensors (also on a GPU) are accepted.
    """
    if got is None or isinstance(got, (str, bytes, bool, np.bool_, numbers.Number, Mapping)) or callable(got):
        raise _wrong(variable, got, what)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = _to_numpy(got, numeric)
    except Exception:
        raise AnswerError(f"`{variable}` cannot be read as an array of numbers: it is {describe(got)}; "
                          f"expected {what}.") from None
    if values.dtype == object:
        raise AnswerError(f"`{variable}` holds things that are not numbers ({describe(got)}); expected {what}.")
    if ndim is not None and values.ndim != ndim:
        raise AnswerError(f"`{variable}` has shape {values.shape}; expected {what} "
                          f"(a {ndim}-dimensional array).")
    size = len(values) if values.ndim else values.size
    if length is not None and size != length:
        source = f" of {length_of}" if length_of else ""
        raise AnswerError(f"`{variable}` has {size} entries; expected {what}: {length}, one per entry{source}.")
    if size < min_length:
        raise AnswerError(f"`{variable}` is empty; expected {what}." if size == 0 else
                          f"`{variable}` has {size} entries; expected {what} (at least {min_length}).")
    if numeric and finite and not np.all(np.isfinite(values)):
        bad = int(np.sum(~np.isfinite(values)))
        raise AnswerError(f"`{variable}` holds {bad} NaN or infinite value(s); expected {what}.")
    if numeric and ((low is not None and np.any(values < low)) or (high is not None and np.any(values > high))):
        raise AnswerError(f"`{variable}` has values outside [{low}, {high}]; expected {what}.")
    return values


def labels(got, variable: str, what: str = "labels 0 (background) and 1 (signal)", *,
           length: int | None = None, length_of: str = "", classes=(0, 1),
           need=(0, 1)) -> np.ndarray:
    """Integer labels among ``classes`` (None: any whole number ≥ 0) with every label in
    ``need`` present."""
    values = array(got, variable, what, length=length, length_of=length_of)
    if classes is None:
        if np.any(values < 0) or np.any(values != np.round(values)):
            raise AnswerError(f"`{variable}` holds values that are not whole numbers ≥ 0; expected {what}.")
    elif not np.all(np.isin(values, classes)):
        raise AnswerError(f"`{variable}` holds values other than {list(classes)}; expected {what}.")
    values = values.astype(int)
    absent = [c for c in need if not np.any(values == c)]
    if absent:
        raise AnswerError(f"`{variable}` has no entry with the label {absent}; expected {what}.")
    return values


def mapping(got, variable: str, what: str) -> dict:
    """``got`` as a dict (a Mapping or a pandas Series), or AnswerError."""
    if isinstance(got, Mapping):
        return dict(got)
    if type(got).__name__ == "Series" and hasattr(got, "to_dict"):
        return got.to_dict()
    raise _wrong(variable, got, what)


def field(got, variable: str, name: str, what: str):
    """``got.name`` (or ``got[name]`` for a dict), or AnswerError naming what was expected."""
    if isinstance(got, Mapping):
        if name in got:
            return got[name]
    else:
        try:
            return getattr(got, name)
        except Exception:
            pass
    raise AnswerError(f"`{variable}` should be {what}, with a `{name}`; but it is {describe(got)}.")


# --- judging ------------------------------------------------------------------------------

def value(name: str, got, low: float, high: float, unit: str = "", hint: str = "",
          variable: str | None = None) -> Feedback:
    """Is ``got`` in [low, high]? The message gives the value, the target and a hint.

    ``variable``: the student's variable name, used when ``got`` is not a number.
    """
    try:
        number_ = number(got, variable or "value", f"a number ({name})")
    except AnswerError as error:
        if variable is None:
            return Feedback(False, f"{name} should be a finite number, but it is {describe(got)}. {hint}".strip())
        return Feedback(False, str(error))
    unit = f" {unit}" if unit else ""
    if low <= number_ <= high:
        return Feedback(True, f"{name} = {number_:.4g}{unit}, inside the expected {low:g}–{high:g}{unit}.",
                        {"value": number_})
    side = "low" if number_ < low else "high"
    return Feedback(False, f"{name} = {number_:.4g}{unit} is too {side}; a good solution gives "
                           f"{low:g}–{high:g}{unit}. {hint}".strip(), {"value": number_})


def auc(y_true, scores, good: float, hint: str = "", name: str = "AUC") -> Feedback:
    """The ROC AUC of ``scores`` against labels ``y_true``, judged against ``good``."""
    from sklearn.metrics import roc_auc_score

    try:
        y = array(y_true, "y_true", "labels 0 and 1", finite=False)
        s = array(scores, "scores", "one score per event", finite=False)
    except AnswerError as error:
        return Feedback(False, str(error))
    if len(s) != len(y):
        return Feedback(False, f"{len(s)} scores for {len(y)} events: score every event once.")
    if not np.all(np.isfinite(s)):
        return Feedback(False, "some scores are NaN or infinite: check the inputs and the training loss.")
    if len(np.unique(y)) != 2:
        return Feedback(False, f"the labels hold {sorted(np.unique(y).tolist())}: an AUC needs both "
                               "signal and background events.")
    area = float(roc_auc_score(y, s))
    if area < 0.5:
        return Feedback(False, f"your {name} is {area:.3f}, below 0.5: no better than a guess, or the "
                               f"scores are inverted (is a high score signal-like?); a good solution "
                               f"reaches {good:.2f} or more.", {"auc": area})
    if area >= good:
        return Feedback(True, f"your {name} is {area:.3f}; a good solution reaches {good:.2f} or more.", {"auc": area})
    return Feedback(False, f"your {name} is {area:.3f}; a good solution reaches {good:.2f} or more. {hint}".strip(),
                    {"auc": area})


# --- the registry ---------------------------------------------------------------------------

#: key → (variable names, what they are, check function)
_EXERCISES: dict[str, tuple[tuple[str, ...], str, object]] = {}


def register(key: str, names: tuple[str, ...], what: str):
    """Decorator: the check of exercise ``key`` reads the variables ``names`` (``what``
    describes them for the "not attempted" message)."""
    def wrap(function):
        if key in _EXERCISES:
            raise RuntimeError(f"two self-checks registered as {key!r}")
        _EXERCISES[key] = (tuple(names), what, function)
        return function
    return wrap


def keys() -> list[str]:
    """The keys of every registered self-check, e.g. ``["1.1", "1.2", ...]``."""
    return sorted(_EXERCISES)


def discussion(key: str, namespace: Mapping, folder: Path | None = None) -> str:
    """The discussion of problem ``key`` kept by the student edition, with its glue roles
    filled in ("" when there is none, e.g. in the instructor's tree, where the notebook shows
    the discussion cell itself).

    The student build writes ``discussions.json`` beside the notebooks
    (:data:`hepcourse.course.notebooks.DISCUSSIONS`: ``{key: {"notebook", "markdown"}}``);
    it is looked up in ``folder`` (default: the working directory, which Jupyter sets to the
    notebook's folder). A glued number comes from what this kernel glued
    (:data:`hepcourse.course.prose.GLUED`), else from the student's variable of that name.
    """
    from ..notebooks import DISCUSSIONS
    from ..prose import GLUED, fill

    path = (Path.cwd() if folder is None else Path(folder)) / DISCUSSIONS
    try:
        entry = json.loads(path.read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError, AttributeError):
        return ""
    text = entry.get("markdown", "") if isinstance(entry, Mapping) else ""
    if not isinstance(text, str) or not text:
        return ""
    values = {}
    for name, got in namespace.items():
        number_ = _item(got)
        if isinstance(number_, numbers.Real) and not isinstance(number_, bool):
            values[name] = number_
    values.update(GLUED)
    return fill(text, values)


def exercise(key: str, namespace: dict) -> Feedback:
    """Check exercise ``key`` (e.g. ``"1.2"``) using the variables in ``namespace``
    (pass ``globals()``).

    Always returns a :class:`Feedback`, whatever the variables hold; an unknown ``key``
    (a typo) is the one ValueError, and it lists the known keys. In the student edition a
    passing Feedback carries the problem's :func:`discussion`, shown under the message.
    """
    feedback = _judge(key, namespace)
    if feedback.passed:
        feedback.discussion = discussion(key, namespace)
    return feedback


def _judge(key: str, namespace: dict) -> Feedback:
    """:func:`exercise` without the discussion."""
    if not isinstance(key, str) or key not in _EXERCISES:
        raise ValueError(f"no self-check {key!r}; known: {', '.join(keys())}")
    names, what, function = _EXERCISES[key]
    if not isinstance(namespace, Mapping):
        return Feedback(False, f"check.exercise needs your notebook's variables: call "
                               f"check.exercise({key!r}, globals()), not with {describe(namespace)}.")
    missing = [n for n in names if n not in namespace]
    if missing:
        return Feedback(False, f"problem {key} is not attempted yet: your solution should define "
                               + ", ".join(f"`{n}`" for n in missing) + f" ({what}).")
    try:
        with np.errstate(all="ignore"):
            return function(*(namespace[n] for n in names))
    except AnswerError as error:
        return Feedback(False, str(error))
    except Exception as error:  # a safety net: the notebook shows feedback, never a traceback
        listed = ", ".join(f"`{n}`" for n in names)
        return Feedback(False, f"the self-check could not read {listed} ({what}): "
                               f"{type(error).__name__}: {error}", {"error": repr(error)})
