"""Getting one registered file onto the local disk, hash-checked, from the first source
that has it: the cache, then the mirror, then the upstream URLs.

The settings come from :mod:`hepcourse.config` (all optional): ``HEPCOURSE_DATA_DIR`` the
cache folder (default: ``data/`` of the repository when hepcourse runs from a checkout,
else pooch's per-user cache); ``HEPCOURSE_DATA_MIRROR`` a local folder (or ``file://``
URL) or an ``http(s)://`` base URL holding the same file names, tried before upstream;
``HEPCOURSE_OFFLINE=1`` never try the upstream URLs (a lecture hall without network);
``HEPCOURSE_DATA_TIMEOUT`` seconds one download may take in all (default 30);
``HEPCOURSE_PROGRESS=0`` no progress bar. A bad value of any of them is a ValueError
naming the variable, raised before any source is tried.

A file enters the cache only after its sha256 matched: it is written to a temporary name
in the cache folder (:func:`hepcourse.files.atomic_write`, so it gets the umask's
permissions), checked, then renamed, so an interrupted, truncated or corrupted transfer
never leaves a file behind; temporary files of killed downloads are removed before the
next one.
"""
from __future__ import annotations

import contextlib
import logging
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import pooch

from .. import config
from ..files import atomic_write, remove_orphans
from .errors import (
    DataCacheError,
    DataError,
    DataHashError,
    DataUnavailableError,
    DownloadTimeoutError,
)
from .http import DeadlineDownloader
from .registry import DataFile

__all__ = ["DataCacheError", "DataError", "DataHashError", "DataUnavailableError",
           "DownloadTimeoutError", "Settings", "cache_dir", "cached_path", "fetch_file",
           "mirror", "settings", "sha256"]

log = logging.getLogger(__name__)

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_VERIFIED: dict[Path, tuple[int, int]] = {}


@dataclass(frozen=True)
class Settings:
    """The data settings in effect (read together, so a bad value fails before any work)."""

    mirror: str | None
    offline: bool
    timeout: float
    progress: bool


def settings() -> Settings:
    """The current data settings; ValueError (naming the variable) on a bad value."""
    return Settings(mirror=config.data_mirror(), offline=config.offline(),
                    timeout=config.data_timeout(), progress=config.progress())


def cache_dir() -> Path:
    """The download cache: ``$HEPCOURSE_DATA_DIR``, the checkout's ``data/``, or pooch's
    per-user cache (in this order)."""
    env = config.data_dir()
    if env:
        return Path(env).expanduser().resolve()
    checkout = _PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "data" / "README.md").is_file():
        return checkout / "data"
    return Path(pooch.os_cache("hepcourse"))


def mirror() -> str | None:
    """``$HEPCOURSE_DATA_MIRROR`` (a folder or base URL), or None when unset."""
    return config.data_mirror()


def sha256(path: Path) -> str:
    """The sha256 hex digest of a file."""
    return pooch.file_hash(str(path), alg="sha256")


def cached_path(file: DataFile) -> Path | None:
    """The verified cached copy of ``file``, or None when it is not (correctly) cached.

    A cached file whose hash is wrong is removed (the cache only ever holds verified
    files), so that the next source can replace it; when it cannot be removed (a read-only
    cache) this raises :class:`DataCacheError` saying what to do.
    """
    path = cache_dir() / file.filename
    if not path.is_file():
        return None
    stat = path.stat()
    if _VERIFIED.get(path) == (stat.st_size, stat.st_mtime_ns):
        return path
    got = sha256(path)
    if got != file.sha256:
        try:
            path.unlink()
        except OSError as err:
            raise DataCacheError(
                f"the cached {file.filename} in {path.parent} is damaged (sha256 {got}, "
                f"expected {file.sha256}) and cannot be removed ({type(err).__name__}: "
                f"{err.strerror or err}). Remove it yourself (rm {path}) or set "
                f"HEPCOURSE_DATA_DIR to a writable folder, then try again."
            ) from None
        warnings.warn(
            f"the cached {file.filename} had sha256 {got}, expected {file.sha256}; "
            f"removed it from {path.parent} and fetching it again",
            stacklevel=3,
        )
        return None
    _VERIFIED[path] = (stat.st_size, stat.st_mtime_ns)
    return path


def fetch_file(file: DataFile, *, use_upstream: bool | None = None) -> tuple[Path, str]:
    """Make ``file`` available locally and return ``(path, origin)``.

    ``origin`` says where it came from: ``"cache"``, ``"mirror <where>"`` or ``"<url>"``.
    Raises ValueError for a bad ``HEPCOURSE_*`` setting (before anything else),
    :class:`DataHashError` when a source delivers wrong bytes (nothing is kept),
    :class:`DataCacheError` when the cache folder cannot be written, and
    :class:`DataUnavailableError`, listing every attempt and why it failed, when no
    source has the file.
    """
    current = settings()
    path = cached_path(file)
    if path is not None:
        return path, "cache"
    attempts = [f"cache {cache_dir()}: not there"]
    sources: list[tuple[str, str]] = []
    if current.mirror is not None:
        sources.append((_join(current.mirror, file.filename), f"mirror {current.mirror}"))
    else:
        attempts.append("mirror: HEPCOURSE_DATA_MIRROR is not set")
    if use_upstream is None:
        use_upstream = not current.offline
    if use_upstream:
        sources += [(url, url) for url in file.urls]
    else:
        attempts.append("upstream: skipped, HEPCOURSE_OFFLINE is set")
    for location, origin in sources:
        try:
            return _store(location, file, origin, current), origin
        except (DataHashError, DataCacheError):
            raise
        except Exception as err:  # noqa: BLE001  network, HTTP status, deadline, missing file
            label = origin if origin.startswith("mirror") else f"upstream {origin}"
            attempts.append(f"{label}: {_describe(err)}")
            log.debug("could not get %s from %s: %r", file.filename, origin, err)
    raise DataUnavailableError(_unavailable_message(file, attempts, current),
                               filename=file.filename, attempts=attempts)


def _join(base: str, filename: str) -> str:
    if "://" in base and not base.startswith("file://"):
        return base.rstrip("/") + "/" + filename
    folder = unquote(urlparse(base).path) if base.startswith("file://") else base
    return str(Path(folder).expanduser() / filename)


def _store(location: str, file: DataFile, origin: str, current: Settings) -> Path:
    """Copy or download ``location`` to a temporary file in the cache, check its hash,
    then rename it into place. Nothing is left behind on any failure."""
    folder = cache_dir()
    final = folder / file.filename
    with contextlib.ExitStack() as stack:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            remove_orphans(final)
            tmp = stack.enter_context(atomic_write(final))
        except OSError as err:
            raise DataCacheError(
                f"cannot store {file.filename} in the cache folder {folder} "
                f"({type(err).__name__}: {err.strerror or err}). Make the folder writable or "
                f"set HEPCOURSE_DATA_DIR to a writable folder, then try again."
            ) from None
        if "://" in location:
            downloader = DeadlineDownloader(current.timeout, progressbar=current.progress,
                                            name=file.filename)
            downloader(location, str(tmp), None)
        else:
            shutil.copyfile(location, tmp)
        got = sha256(tmp)
        if got != file.sha256:
            raise DataHashError(file.filename, file.sha256, got, origin)
    stat = final.stat()
    _VERIFIED[final] = (stat.st_size, stat.st_mtime_ns)
    return final


def _describe(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text}"[:300]


def how_to_get(file: DataFile, name: str | None, current: Settings) -> str:
    """One sentence: how to make ``file`` (of dataset ``name``) available."""
    fetch = f"`hepcourse fetch {name}`" if name else "`hepcourse fetch`"
    if current.mirror is None:
        where = (f"set HEPCOURSE_DATA_MIRROR to a folder (or http URL) holding {file.filename}")
    else:
        where = f"put {file.filename} into the mirror {current.mirror}"
    offline = "; or unset HEPCOURSE_OFFLINE where there is network" if current.offline else ""
    return (f"{where}, or run {fetch} on a machine with network and copy {file.filename} "
            f"into {cache_dir()}{offline}")


def _unavailable_message(file: DataFile, attempts: list[str], current: Settings) -> str:
    tried = "\n".join(f"  - {a}" for a in attempts)
    return (f"could not get {file.filename}; tried:\n{tried}\n"
            f"To use the real file: {how_to_get(file, None, current)}.")
