"""Datasets: a registry of real files with hashes, hash-checked downloads into a cache,
a mirror for rooms without network, and seeded simulated twins.

>>> from hepcourse import data
>>> events = data.load("zmumu")            # real CMS data if it can be had, else the twin
>>> data.source_of(events)                 # says which one you got
>>> events = data.load("zmumu", source="real")       # never falls back: raises instead
>>> events = data.load("zmumu", source="simulated", seed=1)

``source="auto"`` tries the cache, then ``HEPCOURSE_DATA_MIRROR``, then the upstream URLs,
and only then the simulated twin, with a :class:`SimulatedDataWarning` naming every
attempt and why it failed. Each load also logs a one-line notice of its source (INFO on
the ``"hepcourse.data"`` logger, shown on stdout unless you configure the ``"hepcourse"``
logger yourself; see :mod:`hepcourse.data.console`), and tags the result:
``result.attrs["source"]``, read with :func:`source_of`.
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

from . import download
from .download import (
    DataCacheError,
    DataError,
    DataHashError,
    DataUnavailableError,
    DownloadTimeoutError,
    cache_dir,
    cached_path,
    fetch_file,
    mirror,
)
from .console import notice
from .registry import REGISTRY, DataFile, Dataset, get, names

SOURCES = ("auto", "real", "simulated")

__all__ = [
    "REGISTRY", "SOURCES", "DataCacheError", "DataError", "DataFile", "DataHashError",
    "DataUnavailableError", "Dataset", "DownloadTimeoutError", "SimulatedDataWarning",
    "cache_dir", "fetch", "get", "is_cached", "is_real", "load", "mirror", "names", "source_of",
]

log = logging.getLogger(__name__)


class SimulatedDataWarning(UserWarning):
    """``source="auto"`` could not get the real files and used the simulated twin."""


def load(name: str, source: str = "auto", **options):
    """Load dataset ``name`` (see :func:`names`).

    source: ``"auto"`` real data if it can be had (cache → mirror → upstream), else the
    simulated twin with a warning; ``"real"`` never falls back (raises
    :class:`DataUnavailableError` saying how to get the file); ``"simulated"`` the twin.
    options: the dataset's options (``get(name).options``, e.g. ``n``, ``seed``,
    ``split``), the same whichever source is used; the reader ignores those only the
    simulator uses (``seed``) and vice versa. Any other keyword is a ValueError listing
    the options, raised before anything is read; so is a bad ``HEPCOURSE_*`` setting
    (for "auto" and "real"), which never leads to the simulated twin.
    Returns what the dataset's reader returns (awkward array, DataFrame, ...), with
    ``.attrs["source"]`` saying where it came from (also :func:`source_of`).
    """
    dataset = get(name)
    if source not in SOURCES:
        raise ValueError(f"source={source!r} is not one of {SOURCES}")
    dataset.check_options(options)
    if source == "simulated":
        result = _simulated(dataset, options)
        notice(log, "%s <- %s", name, source_of(result))
        return result
    current = download.settings()  # a bad setting is an error here, never a fallback
    origins: list[str] = []

    def get_file(role: str) -> Path:
        try:
            file = dataset.files[role]
        except KeyError:
            raise ValueError(
                f"dataset {name!r} has no file {role!r}; it has {sorted(dataset.files)}"
            ) from None
        path, origin = fetch_file(file)
        origins.append(f"{file.filename} from {origin}")
        return path

    try:
        result = dataset.read(get_file, **options)
    except DataUnavailableError as err:
        if source == "real" or dataset.simulator is None:
            why = ("source='real' never falls back to simulation" if source == "real"
                   else f"{name!r} has no simulated twin")
            raise DataUnavailableError(f"dataset {name!r} ({why}): {err}",
                                       filename=err.filename, attempts=err.attempts) from None
        warnings.warn(_fallback_message(dataset, err, current), SimulatedDataWarning,
                      stacklevel=2)
        return _simulated(dataset, options)
    label = "real data: " + "; ".join(origins)
    _tag(result, label)
    notice(log, "%s <- %s", name, label)
    return result


def _fallback_message(dataset: Dataset, err: DataUnavailableError, current) -> str:
    file = next((f for f in dataset.files.values() if f.filename == err.filename), None)
    tried = "; ".join(err.attempts) if err.attempts else str(err).splitlines()[0]
    hint = (download.how_to_get(file, dataset.name, current) if file is not None
            else f"run `hepcourse fetch {dataset.name}`")
    return (f"{dataset.name}: the real data is not available, so this is the SIMULATED twin "
            f"{_twin(dataset)}. Tried for {err.filename}: {tried}. "
            f"To use the real data: {hint}.")


def _twin(dataset: Dataset) -> str:
    return dataset.simulator.replace(":", ".")


def _simulated(dataset: Dataset, options: dict):
    result = dataset.simulate(**options)
    extra = ", ".join(f"{k}={v!r}" for k, v in options.items())
    _tag(result, f"simulated: {_twin(dataset)}({extra})")
    return result


def _tag(result, label: str) -> None:
    attrs = getattr(result, "attrs", None)
    if attrs is None:
        raise TypeError(f"a dataset reader returned {type(result).__name__}, which has no .attrs")
    attrs["source"] = label


def source_of(result) -> str:
    """Where a :func:`load` result came from: ``"real data: ..."`` or ``"simulated: ..."``."""
    return result.attrs["source"]


def is_real(result) -> bool:
    """True when a :func:`load` result holds real (not simulated) data."""
    return source_of(result).startswith("real")


def fetch(name: str) -> list[Path]:
    """Put every file of dataset ``name`` into the cache (from the mirror or upstream) and
    return their paths: run it before a lecture without network."""
    dataset = get(name)
    return [fetch_file(file)[0] for file in dataset.files.values()]


def is_cached(name: str) -> bool:
    """True when every file of ``name`` is in the cache with the right hash."""
    return all(cached_path(file) is not None for file in get(name).files.values())
