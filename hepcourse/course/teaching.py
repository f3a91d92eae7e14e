"""Teaching builds: the student notebooks (solutions removed), slide metadata, and
offline reveal.js slides.

The notebook conventions (solution cells, instructor-only notebooks, slide metadata) are
in :mod:`hepcourse.course.notebooks`, the slides in :mod:`hepcourse.course.slides`; this
module re-exports both and holds the student build and the command line.

Command line (used by the Makefile; ``hepcourse student|slides|check-slides`` calls the same
:func:`main`):

    python -m hepcourse.course.teaching normalise notebooks/*.ipynb   # set tags and slide metadata
    python -m hepcourse.course.teaching student . build/student        # student notebooks + book tree
    python -m hepcourse.course.teaching slides EXECUTED_DIR OUT_DIR VENDOR_DIR
    python -m hepcourse.course.teaching check-slides DECK.html [SCREENSHOT.png]  # headless Chromium, no network

``student SRC OUT`` deletes nothing it did not make: OUT gets a ``.hepcourse-student-build``
marker, and an existing OUT is emptied only if it holds that marker (or is empty). OUT may
not be SRC, contain SRC, or lie inside SRC except below ``SRC/build/``
(:mod:`hepcourse.course.folders` has the rules). Exit status: 0 done, 1 failed (a missing
package, a browser, a file that cannot be written), 2 bad arguments or a refused folder.

Reading and writing notebooks needs ``nbformat`` (the ``book`` or ``test`` extra); it is
imported only when needed, so ``import hepcourse.course.teaching`` works without it.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from ..files import atomic_write
from .folders import UnsafeFolderError, check_student_paths, claim
from .notebooks import (  # noqa: F401
    DISCUSSION,
    DISCUSSIONS,
    FOLD,
    PLACEHOLDER,
    SOLUTION,
    _nbformat,
    _require,
    discussions,
    instructor_only,
    is_discussion,
    is_solution,
    normalise,
    read,
    solution_leaks,
    strip_solutions,
)
from .slides import (  # noqa: F401
    VENDOR_FILES,
    VENDOR_MARKER,
    build_slides,
    check_slides,
    external_urls,
)

STUDENT_MARKER = ".hepcourse-student-build"


def write_student_tree(root: Path, out: Path) -> list[Path]:
    """Write the student edition under ``out``: README, book/ (toc without instructor-only
    notebooks) and notebooks/ with the solutions and discussion cells removed, and
    (when any notebook has one) notebooks/discussions.json holding the discussions by exercise key
    (``{"3.1": {"notebook": "04-pid.ipynb", "markdown": "..."}}``), which ``check.exercise``
    shows once an answer passes. Returns the notebooks written.

    ``out`` is claimed first (see :mod:`hepcourse.course.folders`): a folder that is not
    empty and holds no ``.hepcourse-student-build`` marker, SRC itself, a folder holding
    SRC, or one inside SRC but not below SRC/build/ raises UnsafeFolderError and nothing
    is deleted.
    """
    nbformat = _nbformat()
    yaml = _require("yaml", "editing the book's table of contents")
    root, out = check_student_paths(root, out)
    claim(out, STUDENT_MARKER, f"python -m hepcourse.course.teaching student {root} {out}")
    (out / "notebooks").mkdir()
    shutil.copytree(root / "book", out / "book", ignore=shutil.ignore_patterns("_build"))
    shutil.copy(root / "README.md", out / "README.md")
    written, dropped, revealed = [], set(), {}
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nb = read(path)
        if instructor_only(nb):
            dropped.add(f"notebooks/{path.stem}")
            continue
        for key, markdown in discussions(nb).items():
            if key in revealed:
                raise ValueError(f"{path.name}: the discussion of problem {key} is also in {revealed[key]['notebook']}")
            revealed[key] = {"notebook": path.name, "markdown": markdown}
        student, _ = strip_solutions(nb)
        target = out / "notebooks" / path.name
        nbformat.write(student, str(target))
        written.append(target)
    if revealed:
        (out / "notebooks" / DISCUSSIONS).write_text(json.dumps(revealed, indent=1, ensure_ascii=False) + "\n",
                                                     encoding="utf-8")
    toc_path = out / "book" / "_toc.yml"
    toc = yaml.safe_load(toc_path.read_text())
    for part in toc.get("parts", []):
        part["chapters"] = [c for c in part["chapters"] if c.get("file") not in dropped]
    toc_path.write_text(yaml.safe_dump(toc, sort_keys=False))
    config_path = out / "book" / "_config.yml"
    config = config_path.read_text().replace(
        "title: Deep learning for particle physics",
        "title: Deep learning for particle physics (student edition)", 1)
    config_path.write_text(config)
    return written


# --- the command line ------------------------------------------------------------------------

class _UsageError(Exception):
    """A bad argument found after parsing (a path that does not exist, ...)."""


def _parser(prog: str | None) -> tuple[argparse.ArgumentParser, dict]:
    parser = argparse.ArgumentParser(
        prog=prog or "python -m hepcourse.course.teaching",
        description="Teaching builds: student notebooks, slide metadata and offline slides.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    normalise_ = sub.add_parser("normalise", help="set the solution tags and slide metadata in place")
    normalise_.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK.ipynb")
    student = sub.add_parser("student", help="write the student edition (no solutions) into OUT")
    student.add_argument("src", type=Path, metavar="SRC", help="the course checkout, e.g. '.'")
    student.add_argument("out", type=Path, metavar="OUT",
                         help="a new folder, or one an earlier student build made (e.g. build/student)")
    slides = sub.add_parser("slides", help="offline reveal.js slides of executed notebooks")
    slides.add_argument("executed", type=Path, metavar="EXECUTED_DIR")
    slides.add_argument("out", type=Path, metavar="OUT_DIR")
    slides.add_argument("vendor", type=Path, metavar="VENDOR_DIR")
    check = sub.add_parser("check-slides", help="open a deck in headless Chromium, without network")
    check.add_argument("deck", type=Path, metavar="DECK.html")
    check.add_argument("screenshot", type=Path, nargs="?", metavar="SCREENSHOT.png")
    return parser, {"normalise": normalise_, "student": student, "slides": slides, "check-slides": check}


def _run(args) -> int:
    if args.command == "normalise":
        missing = [str(p) for p in args.notebooks if not p.is_file()]
        if missing:
            raise _UsageError(f"no such notebook: {', '.join(missing)}")
        nbformat = _nbformat()
        for path in args.notebooks:
            nb = normalise(read(path))
            with atomic_write(path) as tmp:
                nbformat.write(nb, str(tmp))
        return 0
    if args.command == "student":
        for path in write_student_tree(args.src, args.out):
            print(f"student notebook: {path}")
        return 0
    if args.command == "slides":
        if not args.executed.is_dir():
            raise _UsageError(f"EXECUTED_DIR {str(args.executed)!r} is not a folder (run `make book` first)")
        notebooks = sorted(args.executed.glob("*.ipynb"))
        if not notebooks:
            raise _UsageError(f"EXECUTED_DIR {str(args.executed)!r} holds no notebooks (*.ipynb)")
        for path in build_slides(notebooks, args.out, args.vendor):
            print(f"slides: {path}")
        return 0
    # check-slides
    if not args.deck.is_file():
        raise _UsageError(f"no such slide deck: {str(args.deck)!r}")
    if shutil.which("chromium") is None:
        raise FileNotFoundError("check-slides needs the chromium browser (Debian: apt install chromium)")
    result = check_slides(args.deck, args.screenshot)
    overflow = result["overflow"]
    print(f"{args.deck}: reveal.js ready={result['ready']}, slides={result['slides']} "
          f"(with sub-slides {result['total']}, planned {result['planned']}), "
          f"overflowing={overflow or 'none'}, external URLs={external_urls(args.deck.read_text())}, "
          f"screenshot={args.screenshot}")
    return 0 if result["ready"] and result["slides"] > 1 and not overflow else 1


def main(argv=None, prog: str | None = None) -> int:
    """The command line: ``main(["student", ".", "build/student"])``. Returns the exit
    status (0 done, 1 failed, 2 bad arguments or a refused folder) and prints a usage
    message or an error line, never a traceback, for what a user can get wrong.
    ``prog`` is the command name in the usage message (``hepcourse`` from the main CLI)."""
    parser, commands = _parser(prog)
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse has printed the usage and the error (or --help)
        return stop.code if isinstance(stop.code, int) else 2
    name = f"{parser.prog} {args.command}"
    try:
        return _run(args)
    except (_UsageError, UnsafeFolderError) as error:
        print(commands[args.command].format_usage().rstrip(), file=sys.stderr)
        print(f"{name}: error: {error}", file=sys.stderr)
        return 2
    except (ImportError, OSError, ValueError, subprocess.SubprocessError) as error:
        # a missing package or browser, an unreadable notebook, a full disk
        print(f"{name}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
