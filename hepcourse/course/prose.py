"""Measured numbers handed from a notebook's code to its prose (myst-nb ``glue``).

The book build (Jupyter Book, with myst-nb) shows ``{glue:text}`name:.3f``` roles in the
markdown with the value computed when the notebook ran. Where myst-nb is not installed
(JupyterLab from the ``notebook`` extra alone), :func:`glue` only keeps the value, so a
notebook runs the same everywhere.

>>> from hepcourse.course import glue          # the function, from hepcourse.course.prose
>>> glue("m_z", fit.values["m"])           # in the prose: {glue:text}`m_z:.2f` GeV

:func:`fill` puts the glued values into a markdown text outside the book (the student
edition's discussions, shown by ``check.exercise`` once an answer passes).
"""
from __future__ import annotations

import re

#: Every value glued in this kernel, by name (also when myst-nb is missing).
GLUED: dict = {}


def glue(name: str, value, display: bool = False):
    """Record ``value`` under ``name`` for the book's ``{glue:text}`` roles and return it.

    display: also show the value as the cell's output (default False: prose only).
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"glue: name={name!r} must be an identifier such as 'm_z'")
    value = _plain(value)
    GLUED[name] = value
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    myst_glue(name, value, display=display)
    return value


def _plain(value):
    """numpy scalars and 0-d arrays (and 0-d tensors) as Python numbers: myst-nb formats a
    ``{glue:text}`name:.3f``` role from the value's repr, which numpy 2 writes as
    ``np.float64(...)``, and would drop the number from the page."""
    item = getattr(value, "item", None)
    shape = getattr(value, "shape", None)
    if callable(item) and shape is not None and tuple(shape) == ():
        return item()
    return value


#: a myst-nb glue role: {glue:text}`name:.3f`, {glue:text}`name`, {glue}`name`, {glue:}`name`
GLUE_ROLE = re.compile(r"\{glue(?::\w*)?\}`([A-Za-z_]\w*)(?::([^`]*))?`")


def glue_names(markdown: str) -> list[str]:
    """The glue names a markdown text refers to, in order (``{glue:text}`name:.3f``` → ``name``)."""
    return [m.group(1) for m in GLUE_ROLE.finditer(markdown)]


def fill(markdown: str, values: dict | None = None) -> str:
    """``markdown`` with every glue role replaced by its value from ``values`` (default:
    :data:`GLUED`, what this kernel glued), formatted with the role's spec (``:.3f``).

    A name without a value becomes ```name``` (code), so the reader sees which number is
    meant and that this run did not compute it.
    """
    values = GLUED if values is None else values

    def one(match) -> str:
        name, spec = match.group(1), match.group(2) or ""
        if name not in values:
            return f"`{name}`"
        try:
            return format(_plain(values[name]), spec)
        except (TypeError, ValueError):
            return str(values[name])
    return GLUE_ROLE.sub(one, markdown)
