"""``hepcourse doctor``: what this machine has for the course, and what to run for each
missing piece: package versions, the course's tools (JupyterLab, Chromium, Pythia 8,
gymnasium, zuko ...),
the compute device against the torch build, the ``HEPCOURSE_*`` settings, disk space and
the datasets (cached, in the mirror, reachable upstream)."""
from __future__ import annotations

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
            return [("torch build:    torch is NOT installed: run `make install` (the CPU build; for "
                    "a GPU, put the CUDA build in .venv first, see the README)")]
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


def _version(module: str) -> str | None:
    """The version of an importable ``module`` (its ``__version__``, else its distribution's
    version, else "?"), None when it cannot be imported."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = getattr(importlib.import_module(module), "__version__", None)
    except ImportError:
        return None
    try:
        return str(found or version(module))
    except PackageNotFoundError:
        return "?"


def _checkout() -> Path | None:
    """The course checkout this package is installed from (``pip install -e``), else None."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "Makefile").is_file() else None


_INSTALL = "make install  (in the checkout; or pip install -e \".[test,book,notebook,jets,beam,anomaly]\")"


def tools_report(version=_version, which=shutil.which, checkout: Path | None = None) -> list[str]:
    """One line per tool of the course beyond the core packages: its version or path, or
    MISSING with what it is for and the command that installs it. ``version``, ``which``
    and ``checkout`` (default: :func:`_checkout`) are replaceable for tests."""
    checkout = _checkout() if checkout is None else checkout

    def built(folder: str) -> str | None:
        done = checkout is not None and (checkout / folder / ".done").is_file()
        return str(checkout / folder) if done else None

    npm_once = "once, with network; needs npm"
    pieces = [
        ("jupyterlab", version("jupyterlab"), "to open the notebooks (`jupyter lab notebooks/`)", _INSTALL),
        ("ipywidgets", version("ipywidgets"),
         "for progress bars in JupyterLab (else tqdm warns 'IProgress not found')", _INSTALL),
        ("jupyter-book", version("jupyter_book"), "for `make book`", _INSTALL),
        ("nbclient", version("nbclient"), "for `make test`, which runs every notebook", _INSTALL),
        ("pythia8mc", version("pythia8mc"), "Pythia 8, for simulate.jets and simulate.dijets", _INSTALL),
        ("fastjet", version("fastjet"), "FastJet, for simulate.jets and simulate.dijets", _INSTALL),
        ("gymnasium", version("gymnasium"), "for hepcourse.envs (steering a beam, the appendix)", _INSTALL),
        ("stable-baselines3", version("stable_baselines3"),
         "PPO and SAC, for the appendix's reinforcement learning", _INSTALL),
        ("zuko", version("zuko"), "normalizing flows, for hepcourse.models.flows (CATHODE)", _INSTALL),
        ("chromium", which("chromium") or which("chromium-browser"),
         "for the slides' headless-browser check (`hepcourse check-slides`)",
         "sudo apt-get install chromium  (Debian, Ubuntu)"),
        ("npm", which("npm"), "to fetch reveal.js and MathJax once (`make book`, `make slides`)",
         "sudo apt-get install npm  (or install Node.js)"),
        ("slides vendor", built("build/vendor"), "reveal.js and MathJax for slides without network",
         f"make build/vendor/.done  ({npm_once})"),
        ("book MathJax", built("build/book-static"), "MathJax for the book without network",
         f"make build/book-static/.done  ({npm_once})"),
    ]
    return [f"  {name:<13} {found}" if found else f"  {name:<13} MISSING: {purpose}; run: {fix}"
            for name, found, purpose, fix in pieces]


def main(no_probe: bool = False) -> int:
    """Print the report; 1 when something needs fixing (each problem says what to run), else 0.
    ``no_probe`` (``--offline``): do not look for the files in the mirror or upstream."""
    print(f"hepcourse {__version__} on Python {platform.python_version()} ({platform.platform()})")
    versions = {name: _version(name) for name in _PACKAGES}
    missing = [name for name, found in versions.items() if found is None]
    for name, found in versions.items():
        print(f"  {name:<11} {found or 'MISSING: run ' + _INSTALL}")
    print("course tools (missing ones say what to run):")
    print("\n".join(tools_report()))
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
    lines, problems = _datasets_report(probe=not no_probe, offline=offline)
    print("\n".join(lines))
    if any(" not cached" in line for line in lines):
        print("  to do: `hepcourse fetch all` on a machine with network fills the cache (or point "
              "HEPCOURSE_DATA_MIRROR at a folder of the files); until then the notebooks use the "
              "simulated twins")
    problems += len(missing)
    if bad or problems:
        print(f"doctor: {bad + problems} problem(s) to fix, see BAD VALUE / PROBLEM / MISSING above",
              file=sys.stderr)
        return 1
    return 0
