"""The ``hepcourse`` command line.

    hepcourse fetch NAME...        put datasets into the cache before a lecture (``all``: every one)
    hepcourse doctor [--offline]   versions (Pythia 8, FastJet too), torch build against the GPU,
                                   settings, disk, datasets
    hepcourse list                 the registered datasets
    hepcourse train [OPTIONS]      train the HEPMASS MLP (``hepcourse train --help``)
    hepcourse student SRC OUT      the student edition (solutions removed) of the course in SRC
    hepcourse slides EXECUTED_DIR OUT_DIR VENDOR_DIR   offline reveal.js slides
    hepcourse check-slides DECK.html [SCREENSHOT.png]  open a deck in headless Chromium

Missing or bad arguments print a usage message and end with status 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from . import data as _data

# --- fetch and list ----------------------------------------------------------------------

def _fetch(args, rest) -> int:
    names = _data.names() if args.names == ["all"] else args.names
    failed = 0
    for name in names:
        try:
            paths = _data.fetch(name)
        except (_data.DataError, ValueError) as err:
            print(f"{name}: FAILED\n{err}\n", file=sys.stderr)
            failed += 1
            continue
        for path in paths:
            print(f"{name}: {path} ({path.stat().st_size:,} bytes, sha256 verified)")
    return 1 if failed else 0


def _list(args, rest) -> int:
    for name in _data.names():
        d = _data.get(name)
        twin = "simulated twin" if d.simulator else "no simulated twin"
        print(f"{name:<14} {d.title} [{', '.join(f.filename for f in d.files.values())}; {twin}]")
    return 0


def _doctor(args, rest) -> int:
    from . import doctor

    return doctor.main(no_probe=args.offline)


# --- commands run by other modules -------------------------------------------------------

def _train(args, rest) -> int:
    from .train.__main__ import main as train_main

    try:
        return train_main(list(rest))
    except _data.DataError as err:  # e.g. source=real without the files: say so, no traceback
        print(f"hepcourse train: {err}", file=sys.stderr)
        return 1


def _project(args, rest) -> int:
    from .course import submission
    return submission.main(list(rest), prog="hepcourse project")


def _teaching(args, rest) -> int:
    from .course import teaching

    values = [str(getattr(args, field)) for field in args.fields if getattr(args, field) is not None]
    return teaching.main([args.command, *values], prog="hepcourse")


def _folder(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a folder")
    return path


def _file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not a file")
    return path


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``hepcourse`` (subcommands as in the module docstring)."""
    top = argparse.ArgumentParser(prog="hepcourse", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"hepcourse {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, run, help, **options):
        p = sub.add_parser(name, help=help, description=help, **options)
        p.set_defaults(run=run, parser=p, forward=False)
        return p

    fetch = command("fetch", _fetch, "download datasets into the cache (hash-checked)")
    fetch.add_argument("names", nargs="+", metavar="NAME",
                       help=f"dataset names ({', '.join(_data.names())}) or 'all'")
    doctor = command("doctor", _doctor, "report versions, torch build, settings, disk and data")
    doctor.add_argument("--offline", action="store_true", help="do not probe the network")
    command("list", _list, "list the registered datasets")
    command("project", _project, "the student project: publish its data, score the submissions",
            add_help=False).set_defaults(forward=True)
    train = command("train", _train, "train the HEPMASS MLP (options: hepcourse train --help)",
                    add_help=False)
    train.set_defaults(forward=True)
    student = command("student", _teaching,
                      "write the student edition: notebooks without solutions, book tree")
    student.add_argument("src", metavar="SRC", type=_folder, help="the course checkout, e.g. .")
    student.add_argument("out", metavar="OUT", help="a new folder, or one an earlier student build made (it is replaced), e.g. build/student")
    slides = command("slides", _teaching, "offline reveal.js slides of executed notebooks")
    slides.add_argument("executed", metavar="EXECUTED_DIR", type=_folder,
                        help="folder of executed notebooks")
    slides.add_argument("out", metavar="OUT_DIR", help="where the decks go")
    slides.add_argument("vendor", metavar="VENDOR_DIR", type=_folder,
                        help="folder holding reveal.js, require.js, jQuery, MathJax")
    check = command("check-slides", _teaching, "open a deck in headless Chromium, no network")
    check.add_argument("deck", metavar="DECK.html", type=_file, help="a slide deck")
    check.add_argument("screenshot", metavar="SCREENSHOT.png", nargs="?", default=None,
                       help="where to save a screenshot of slide 2 (optional)")
    for p, names in ((student, ("src", "out")), (slides, ("executed", "out", "vendor")),
                     (check, ("deck", "screenshot"))):
        p.set_defaults(fields=names)
    return top


def main(argv=None) -> int:
    """Run ``hepcourse`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status
    (2 for missing or bad arguments, after a usage message)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    top = parser()
    try:
        args, rest = top.parse_known_args(argv)
        if rest and not args.forward:
            args.parser.error(f"unrecognized arguments: {' '.join(rest)}")
        return int(args.run(args, rest) or 0)
    except SystemExit as stop:
        return _status(stop)


def _status(stop: SystemExit) -> int:
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code
    print(stop.code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
