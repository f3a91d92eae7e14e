"""The ``hepcourse`` command line.

    hepcourse fetch NAME...   put datasets into the cache before a lecture (``all``: every one)
    hepcourse doctor          versions, compute device, and which datasets are cached/reachable
    hepcourse list            the registered datasets
"""
from __future__ import annotations

import argparse
import importlib
import platform
import sys

from . import __version__
from . import data as _data

_PACKAGES = ("numpy", "scipy", "pandas", "pyarrow", "torch", "sklearn", "iminuit", "uproot",
             "awkward", "vector", "hist", "mplhep", "particle", "pooch", "h5py", "matplotlib")


def _fetch(args) -> int:
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


def _reachable(dataset, file) -> str:
    base = _data.mirror()
    if base is not None:
        from .data.download import _join

        location = _join(base, file.filename)
        if "://" not in location:
            import os

            return "in the mirror" if os.path.isfile(location) else "not in the mirror"
        urls = [location]
    else:
        urls = []
    if not _data.download.offline():
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


def _doctor(args) -> int:
    print(f"hepcourse {__version__} on Python {platform.python_version()} ({platform.platform()})")
    for name in _PACKAGES:
        try:
            module = importlib.import_module(name)
            print(f"  {name:<11} {getattr(module, '__version__', '?')}")
        except ImportError:
            print(f"  {name:<11} MISSING")
    print(f"compute device: {compute_device()}")
    print(f"data cache:     {_data.cache_dir()}")
    print(f"data mirror:    {_data.mirror() or '(HEPCOURSE_DATA_MIRROR not set)'}")
    for name in _data.names():
        dataset = _data.get(name)
        for file in dataset.files.values():
            if _data.cached_path(file) is not None:
                state = "cached"
            elif args.offline:
                state = "not cached"
            else:
                state = "not cached; " + _reachable(dataset, file)
            print(f"  {name:<14} {file.filename:<40} {state}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="hepcourse", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("fetch", help="download datasets into the cache (hash-checked)")
    fetch.add_argument("names", nargs="+", metavar="NAME",
                       help=f"dataset names ({', '.join(_data.names())}) or 'all'")
    fetch.set_defaults(run=_fetch)
    doctor = sub.add_parser("doctor", help="report versions, device and data availability")
    doctor.add_argument("--offline", action="store_true", help="do not probe the network")
    doctor.set_defaults(run=_doctor)
    listing = sub.add_parser("list", help="list the registered datasets")
    listing.set_defaults(run=lambda a: _list())
    args = parser.parse_args(argv)
    return args.run(args)


def _list() -> int:
    for name in _data.names():
        d = _data.get(name)
        twin = "simulated twin" if d.simulator else "no simulated twin"
        print(f"{name:<14} {d.title} [{', '.join(f.filename for f in d.files.values())}; {twin}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
