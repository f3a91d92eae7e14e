"""The lecture plan of a chapter: its box, its sections' prose, and its measured run times.

Every chapter notebook opens with a *lecture plan box*: the markdown cell right after the
title, starting with :data:`BOX_START`, then the code cell that glues the measured run
times into it (``plan.glue_run_times("04-pid")``). The box lists, by heading number and
title, the core sections of each 90-minute lecture and the optional ones::

    **Lecture plan**: two 90-minute lectures.

    - **Lecture 1, core:** § 3.1 The detector; § 3.2 Tracks and their bands
    - **Lecture 2, core:** § 3.7 Where the accuracy is earned; Summary
    - **Optional:** § 3.10 Electrons and muons
    - **Run time:** {glue:text}`plan_full_min:.0f` min at full size ...

A chapter that is one lecture writes ``- **Core:** ...``; sections are separated by ``;``
and numbered ones written ``§ 3.2 Tracks and their bands`` (so the prose-number test reads
"§ 3.2" as a section, not a measured number); ``- **Optional:** none`` when there is none.
The yardstick: about 2,500 words of core prose make one lecture (:data:`LECTURE_WORDS`
is the cap tests/test_lecture_plan.py checks; the words before the first section count
towards lecture 1).

The run times live in ``notebooks/run-times.json`` (:data:`RUN_TIMES`), filled from the
book build's execution cache by ``benchmarks/chapter_times.py``::

    {"04-pid": {"full":  {"seconds": 64.8, "machine": "2-core AMD EPYC", "cpus": 2, "date": "2026-12-01"},
                "smoke": {"seconds": 11.2, "machine": "2-core AMD EPYC", "cpus": 2, "date": "2026-12-01"}}}
"""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from ..data.console import notice

#: notebooks/run-times.json of this checkout (the course is installed editable, ``pip install -e``)
RUN_TIMES = Path(__file__).resolve().parents[2] / "notebooks" / "run-times.json"
#: how the lecture plan box (a markdown cell) starts
BOX_START = "**Lecture plan**"
#: the most words of core prose one 90-minute lecture may hold (yardstick: about 2,500)
LECTURE_WORDS = 2600
MODES = ("full", "smoke")
_HOW = ("build the book (`make book` and `HEPCOURSE_SMOKE=1 make book`), and after each build run "
        "`python benchmarks/chapter_times.py`")
log = logging.getLogger(__name__)


def run_times(chapter: str, path: Path | str | None = None) -> dict:
    """The measured run times of ``chapter`` (a notebook stem, e.g. ``"04-pid"``):
    ``{"full": {"seconds", "machine", "cpus", "date"}, "smoke": {...}}`` (seconds of one
    execution of the whole notebook), from ``path`` (default :data:`RUN_TIMES`).

    Raises FileNotFoundError when the file is missing and KeyError when it lacks the
    chapter or one of its modes, each naming the file and the script that fills it.
    """
    path = Path(RUN_TIMES if path is None else path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the measured run times of the chapters; {_HOW}")
    times = _measured(chapter, path)
    missing = [mode for mode in MODES if mode not in times]
    if missing:
        raise KeyError(f"{path} has no {' and no '.join(missing)} run time of chapter {chapter!r}; {_HOW}")
    return times


def glue_run_times(chapter: str, path: Path | str | None = None) -> None:
    """Glue the run times of ``chapter`` for its lecture plan box (:func:`glued_values`).

    A time not measured yet is glued as NaN, with a one-line notice, so that the first book
    build (the one that measures) runs; tests/test_lecture_plan.py fails until it is there.
    """
    from .prose import glue

    for name, value in glued_values(chapter, path).items():
        glue(name, value)


def glued_values(chapter: str, path: Path | str | None = None) -> dict:
    """What the lecture plan box of ``chapter`` shows: ``plan_full_min`` (minutes at full
    size), ``plan_smoke_s`` (seconds in smoke mode), ``plan_cpus`` (the cores of the machine
    that measured the full-size run); NaN (and 0 cores) where not measured, with a notice."""
    path = Path(RUN_TIMES if path is None else path)
    try:
        times = run_times(chapter, path)
    except (FileNotFoundError, KeyError) as err:
        notice(log, "lecture plan: %s", err.args[0])
        times = _measured(chapter, path) if path.is_file() else {}
    nan = {"seconds": float("nan"), "cpus": 0}
    return {"plan_full_min": times.get("full", nan)["seconds"] / 60,
            "plan_smoke_s": times.get("smoke", nan)["seconds"],
            "plan_cpus": int(times.get("full", nan).get("cpus") or 0)}


def _measured(chapter: str, path: Path) -> dict:
    """The modes of ``chapter`` in ``path`` that hold a number of seconds."""
    entry = json.loads(path.read_text()).get(chapter) or {}
    return {mode: entry[mode] for mode in MODES
            if isinstance(entry.get(mode), dict) and isinstance(entry[mode].get("seconds"), (int, float))}


# --- the prose of a chapter --------------------------------------------------------------

_FENCE = re.compile(r"^\s*(```|~~~)")
_DROP = [re.compile(r"<!--.*?-->", re.DOTALL), re.compile(r"\$\$.*?\$\$", re.DOTALL), re.compile(r"\$[^$\n]*\$"),
         re.compile(r"\]\([^)]*\)"), re.compile(r"^\s*:::.*$", re.MULTILINE), re.compile(r"https?://\S+")]
_ONE_WORD = re.compile(r"\{[\w:]+\}`[^`]*`|`[^`]*`")
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def prose_words(markdown: str) -> int:
    """Words of prose in ``markdown``: code blocks, math, links' targets, comments and
    directive fences left out; an inline code span or a glue role counts as one word."""
    kept, fenced = [], False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            kept.append(line)
    text = "\n".join(kept)
    for pattern in _DROP:
        text = pattern.sub(" ", text)
    text = _ONE_WORD.sub(" w ", text)
    return len(_WORD.findall(text))


def is_box(cell) -> bool:
    """True for the lecture plan box (a markdown cell starting with :data:`BOX_START`)."""
    return cell.get("cell_type") == "markdown" and cell.get("source", "").lstrip().startswith(BOX_START)


def sections(nb) -> dict[str, int]:
    """Words of prose per ``##`` section of ``nb``, by heading text (``"3.2 Tracks and their
    bands"``), in order; ``""`` holds the words before the first section (title and
    introduction). A heading counts wherever it sits in a cell. The box and the cells tagged
    ``discussion`` (answers, shown after the student's own) are not counted."""
    from .notebooks import is_discussion

    words, current = {"": 0}, ""
    for cell in nb.cells:
        if cell.get("cell_type") != "markdown" or is_box(cell) or is_discussion(cell):
            continue
        for part in re.split(r"(?m)^(?=## )", cell.get("source", "")):
            heading = re.match(r"## (.+)", part)
            if heading:
                current = heading.group(1).strip()
                words[current] = 0
                part = part[heading.end():]
            words[current] += prose_words(part)
    return words


# --- the box -------------------------------------------------------------------------------

_CORE = re.compile(r"^- \*\*(?:Lecture (\d+), core|Core):\*\*(.*)$", re.MULTILINE)
_OPTIONAL = re.compile(r"^- \*\*Optional:\*\*(.*)$", re.MULTILINE)


def _names(text: str) -> list[str]:
    names = [n.strip().rstrip(".").removeprefix("§").strip() for n in text.split(";")]
    return [n for n in names if n and n.lower() != "none"]


def lectures(box: str) -> list[list[str]]:
    """The core sections of each lecture the box ``box`` names, in lecture order."""
    return [_names(m.group(2)) for m in _CORE.finditer(box)]


def optional(box: str) -> list[str]:
    """The optional sections the box ``box`` names."""
    return [name for m in _OPTIONAL.finditer(box) for name in _names(m.group(1))]
