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
import difflib
import importlib
import os
import platform
import shutil
import sys
from pathlib import Path

from . import __version__, config
from . import data as _data

_PACKAGES = ("numpy", "scipy", "pandas", "pyarrow", "torch", "sklearn", "iminuit", "uproot",
             "awkward", "vector", "hist", "mplhep", "particle", "pooch", "h5py", "matplotlib")

#: Checks of the known variables' values (each raises ValueError naming the variable).
_CHECKS = {"HEPCOURSE_SMOKE": config.smoke, "HEPCOURSE_OFFLINE": config.offline,
           "HEPCOURSE_DATA_TIMEOUT": config.data_timeout, "HEPCOURSE_PROGRESS": config.progress}
_LOW_DISK = 5e9
"""Bytes of free disk below which doctor warns (HEPMASS and its Parquet copies take GBs)."""
_CPU_WHEELS = "https://download.pytorch.org/whl/cpu"


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


# --- doctor ------------------------------------------------------------------------------

def compute_device() -> str:
    """A one-line description of the best compute device: CUDA, MPS or CPU."""
    try:
        import torch
    except ImportError:
        return "unknown (torch is not installed)"
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        return f"cuda ({torch.cuda.device_count()} GPU: {', '.join(names)})"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


def nvidia_gpu_present() -> bool:
    """True when this machine shows an NVIDIA GPU driver (``nvidia-smi`` on PATH or
    ``/proc/driver/nvidia``), whether or not torch can use it."""
    return shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia").exists()


def torch_build(torch=None, gpu: bool | None = None) -> list[str]:
    """Lines comparing torch's build (``torch.version.cuda``: CUDA version or CPU-only)
    with whether an NVIDIA GPU is present, with a hint when the two disagree.
    ``torch``/``gpu`` default to the installed torch and :func:`nvidia_gpu_present`."""
    if torch is None:
        try:
            import torch
        except ImportError:
            return ["torch build:    torch is NOT installed: pip install torch"]
    gpu = nvidia_gpu_present() if gpu is None else gpu
    cuda = getattr(torch.version, "cuda", None)
    hip = getattr(torch.version, "hip", None)
    build = f"CUDA {cuda}" if cuda else f"ROCm {hip}" if hip else "CPU-only"
    found = "present" if gpu else "not found"
    lines = [f"torch build:    {torch.__version__} ({build}); NVIDIA GPU {found}"]
    if gpu and not cuda and not hip:
        lines.append("  hint: this machine has an NVIDIA GPU but torch is a CPU-only build, so "
                     "training runs on the CPU. Install the CUDA build, e.g. `pip install "
                     "--force-reinstall torch --index-url https://download.pytorch.org/whl/cu124` "
                     "(pick the cuXYZ your driver supports: `nvidia-smi` shows its CUDA version; "
                     "see https://pytorch.org/get-started/locally/)")
    elif cuda and not gpu:
        lines.append("  hint: a CUDA build without an NVIDIA GPU is fine (torch runs on the CPU) "
                     "but large (GBs of CUDA libraries); the CPU-only build is much smaller: "
                     f"`pip install --force-reinstall torch --index-url {_CPU_WHEELS}`")
    elif cuda and gpu and not torch.cuda.is_available():
        lines.append(f"  hint: torch cannot use the GPU: the NVIDIA driver may be too old for "
                     f"CUDA {cuda} (`nvidia-smi` shows the newest CUDA it supports), or "
                     f"CUDA_VISIBLE_DEVICES hides the GPU")
    return lines


def generators_report() -> list[str]:
    """Lines on Pythia 8 (``pythia8mc``) and FastJet (``fastjet``), which ``simulate.jets``
    needs: their versions, or what to install."""
    from importlib.metadata import PackageNotFoundError, version

    found, lines = {}, []
    for name, module in (("pythia8mc", "pythia8mc"), ("fastjet", "fastjet")):
        try:
            importlib.import_module(module)
            found[name] = version(name)
        except (ImportError, PackageNotFoundError):
            found[name] = None
    state = ", ".join(f"{name} {v or 'MISSING'}" for name, v in found.items())
    lines.append(f"jet generators: {state}")
    if None in found.values():
        lines.append("  hint: simulate.jets (the jets chapter) needs both: pip install 'hepcourse[jets]' "
                     "(`make install` includes it)")
    return lines


def settings_report() -> tuple[list[str], int]:
    """Lines for every ``HEPCOURSE_*`` variable (set ones with their value, unset ones
    with their default) and the number of bad values; unknown names are flagged as
    likely typos with the closest known name."""
    lines, bad = [], 0
    given = config.settings()
    for name, (default, meaning) in config.VARIABLES.items():
        if name not in given:
            lines.append(f"  {name:<24} unset{f' (default {default})' if default else ''}: {meaning}")
            continue
        state = ""
        if name in _CHECKS:
            try:
                _CHECKS[name]()
            except ValueError as err:
                state, bad = f"  BAD VALUE: {err}", bad + 1
        lines.append(f"  {name:<24} = {given[name]!r}{state}")
    for name in sorted(set(given) - set(config.VARIABLES)):
        close = difflib.get_close_matches(name, list(config.VARIABLES), n=1)
        guess = f"; did you mean {close[0]}?" if close else ""
        lines.append(f"  {name:<24} = {given[name]!r}  UNKNOWN: not a hepcourse variable, "
                     f"likely a typo{guess} (known: {', '.join(config.VARIABLES)})")
    return lines, bad


def disk_report(folder: Path) -> list[str]:
    """Free disk space where the cache ``folder`` is (or would be created)."""
    existing = Path(folder)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        usage = shutil.disk_usage(existing)
    except OSError as err:
        return [f"disk:           cannot read the free space of {existing}: {err}"]
    line = f"disk:           {usage.free / 1e9:.1f} GB free of {usage.total / 1e9:.1f} GB at {existing}"
    writable = os.access(existing, os.W_OK)
    lines = [line + ("" if writable else " (NOT writable: set HEPCOURSE_DATA_DIR)")]
    if usage.free < _LOW_DISK:
        lines.append("  hint: little space left: the HEPMASS files and their Parquet copies take "
                     "several GB; set HEPCOURSE_DATA_DIR to a folder on a larger disk")
    return lines


def _reachable(dataset, file, offline: bool) -> str:
    base = _data.mirror()
    urls = []
    if base is not None:
        location = _data.download._join(base, file.filename)
        if "://" not in location:
            return "in the mirror" if os.path.isfile(location) else "not in the mirror"
        urls.append(location)
    if not offline:
        urls += list(file.urls)
    import requests

    for url in urls:
        try:
            response = requests.head(url, timeout=3, allow_redirects=True)
            if response.status_code == 200:
                return f"reachable ({url})"
        except requests.RequestException:
            continue
    fallback = ("`load` will use the simulated twin" if dataset.simulator
                else "no simulated twin: `load` will fail")
    return f"NOT reachable (no mirror, no network): {fallback}"


def _datasets_report(probe: bool, offline: bool) -> tuple[list[str], int]:
    lines, problems = [], 0
    for name in _data.names():
        dataset = _data.get(name)
        for file in dataset.files.values():
            try:
                cached = _data.cached_path(file) is not None
            except _data.DataError as err:
                lines.append(f"  {name:<14} {file.filename:<40} PROBLEM: {err}")
                problems += 1
                continue
            if cached:
                state = "cached (ready)"
            elif not probe:
                state = "not cached"
            else:
                state = "not cached; " + _reachable(dataset, file, offline)
            lines.append(f"  {name:<14} {file.filename:<40} {state}")
    return lines, problems


def _doctor(args, rest) -> int:
    print(f"hepcourse {__version__} on Python {platform.python_version()} ({platform.platform()})")
    for name in _PACKAGES:
        try:
            module = importlib.import_module(name)
            print(f"  {name:<11} {getattr(module, '__version__', '?')}")
        except ImportError:
            print(f"  {name:<11} MISSING")
    print("\n".join(generators_report()))
    print(f"compute device: {compute_device()}")
    for line in torch_build():
        print(line)
    print("settings (HEPCOURSE_* variables):")
    lines, bad = settings_report()
    print("\n".join(lines))
    try:
        offline = config.offline()
    except ValueError:
        offline = True  # reported above; do not probe the network on a bad setting
    folder = _data.cache_dir()
    print(f"data cache:     {folder}")
    print("\n".join(disk_report(folder)))
    print(f"data mirror:    {_data.mirror() or '(HEPCOURSE_DATA_MIRROR not set)'}")
    print("datasets (cached = ready to load without network):")
    lines, problems = _datasets_report(probe=not args.offline, offline=offline)
    print("\n".join(lines))
    if bad or problems:
        print(f"doctor: {bad + problems} problem(s) to fix, see BAD VALUE / PROBLEM above",
              file=sys.stderr)
        return 1
    return 0


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
