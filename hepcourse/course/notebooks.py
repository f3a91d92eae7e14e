"""The conventions of the chapter notebooks, and the edits the teaching builds make.

- a problem is a markdown cell ("### Problem N ...") followed by a code cell tagged
  ``solution`` (and ``hide-input``, so the instructor book shows it folded);
- the self-check of problem K is the code cell ``check.exercise("K", globals())`` after it;
  a markdown cell tagged ``discussion`` directly after the self-check (one or more) discusses
  the answer. The instructor book shows it; the student build removes it and keeps its text
  in ``notebooks/discussions.json`` (:data:`DISCUSSIONS`), which ``check.exercise`` shows once
  the student's answer passes;
- a notebook whose metadata holds ``{"hepcourse": {"instructor_only": true}}`` (a solutions
  notebook) is left out of the student build;
- every cell carries ``slideshow.slide_type`` metadata: ``##`` headings start a slide,
  ``###`` headings a sub-slide, solutions are skipped.

``nbformat`` (the ``book`` or ``test`` extra) is imported only when a notebook is read or
written; without it those calls raise an ImportError that says what to install.
"""
from __future__ import annotations

import ast
import importlib
import re

_EXTRA = 'pip install -e ".[book]"'


def _require(module: str, purpose: str):
    """Import ``module`` or raise an ImportError that says how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"{purpose} needs the package {module!r}, which the course's book extra "
                          f"installs: {_EXTRA} (in the checkout)") from error


def _nbformat():
    return _require("nbformat", "reading and writing notebooks")


SOLUTION = "solution"
DISCUSSION = "discussion"
FOLD = "hide-input"
#: the file of the student edition, beside its notebooks: {key: {"notebook", "markdown"}}
DISCUSSIONS = "discussions.json"
_SELF_CHECK = re.compile(r"""^\s*check\.exercise\(\s*["']([^"']+)["']\s*,\s*globals\(\)\s*\)""", re.MULTILINE)
PLACEHOLDER = (
    "# YOUR CODE HERE: solve the problem above in this cell.\n"
    "# (The solution is in the instructor's edition of the course.)\n"
)


def read(path):
    """The notebook at ``path`` as an ``nbformat.NotebookNode`` (version 4)."""
    return _nbformat().read(str(path), as_version=4)


def is_solution(cell) -> bool:
    return SOLUTION in cell.get("metadata", {}).get("tags", [])


def is_discussion(cell) -> bool:
    return cell.get("cell_type") == "markdown" and DISCUSSION in cell.get("metadata", {}).get("tags", [])


def self_check_key(cell) -> str | None:
    """The key K of a self-check cell (a code cell, not a solution, whose line is
    ``check.exercise("K", globals())``), else None."""
    if cell.get("cell_type") != "code" or is_solution(cell):
        return None
    match = _SELF_CHECK.search(cell.get("source", ""))
    return match.group(1) if match else None


def discussions(nb) -> dict[str, str]:
    """The discussion text of each problem of ``nb``, by exercise key: the markdown of the
    ``discussion`` cells right after the self-check cell of K (several are joined).

    Raises ValueError for a discussion cell that does not follow a self-check (or another
    discussion cell): the student edition would not know which answer reveals it.
    """
    found: dict[str, list[str]] = {}
    key = None
    for index, cell in enumerate(nb.cells):
        if is_discussion(cell):
            if key is None:
                raise ValueError(f"cell {index} is tagged {DISCUSSION!r} but does not directly follow "
                                 "a self-check cell check.exercise(\"K\", globals())")
            found.setdefault(key, []).append(cell.source.strip())
            continue
        key = self_check_key(cell)
    return {k: "\n\n".join(texts) for k, texts in found.items()}


def instructor_only(nb) -> bool:
    return bool(nb.metadata.get("hepcourse", {}).get("instructor_only", False))


def strip_solutions(nb) -> tuple:
    """A copy of ``nb`` with every solution cell replaced by a "your code here" cell and the
    discussion cells removed (:func:`discussions` reads their text first).
    Returns ``(student_notebook, number_of_solutions_removed)``."""
    discussions(nb)  # a misplaced discussion cell is an error, not a silent leak
    student = _nbformat().from_dict(nb)
    student.cells = [cell for cell in student.cells if not is_discussion(cell)]
    removed = 0
    for cell in student.cells:
        if not is_solution(cell):
            continue
        removed += 1
        tags = [t for t in cell.metadata.get("tags", []) if t not in (SOLUTION, FOLD)]
        cell.metadata["tags"] = tags + ["exercise"]
        if cell.cell_type == "code":
            cell.source = PLACEHOLDER
            cell.outputs = []
            cell.execution_count = None
        else:
            cell.source = "*Your answer here.*"
    return student, removed


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names bound, names read) by a code cell; IPython magics are ignored."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(lines))
    bound, read_ = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else read_).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound, read_


def solution_leaks(nb) -> list[str]:
    """Names that a non-solution cell reads but only a solution cell above it defines.

    A student notebook without the solutions must still run, so solution cells have to
    be self-contained. Returns messages like ``"cell 12 reads 'x' from a solution"``.
    """
    defined_outside: set[str] = set()
    only_in_solutions: set[str] = set()
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        bound, read_ = _names(cell.source)
        if is_solution(cell):
            only_in_solutions |= bound - defined_outside
            continue
        for name in sorted((read_ & only_in_solutions) - defined_outside - bound):
            problems.append(f"cell {index} reads {name!r}, which only a solution cell defines")
        defined_outside |= bound
        only_in_solutions -= bound
    return problems


def _heading(cell) -> str:
    first = cell.source.lstrip().split("\n", 1)[0] if cell.cell_type == "markdown" else ""
    return first.split(" ", 1)[0] if first.startswith("#") else ""


def normalise(nb):
    """Set the teaching metadata in place: solution cells folded (``hide-input``) and
    skipped in slides; ``#``/``##`` headings start a slide, ``###`` a sub-slide."""
    for cell in nb.cells:
        tags = list(cell.metadata.get("tags", []))
        if is_solution(cell) and cell.cell_type == "code" and FOLD not in tags:
            cell.metadata["tags"] = tags + [FOLD]
        heading = _heading(cell)
        if is_solution(cell):
            kind = "skip"
        elif heading in ("#", "##"):
            kind = "slide"
        elif heading == "###":
            kind = "subslide"
        else:
            kind = "-"
        cell.metadata["slideshow"] = {"slide_type": kind}
    return nb
