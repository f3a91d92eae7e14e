"""Getting one registered file onto the local disk, hash-checked, from the first source
that has it: the cache, then the mirror, then the upstream URLs.

Environment variables (all optional):

``HEPCOURSE_DATA_DIR``      the cache folder. Default: ``data/`` of the repository when
                            hepcourse runs from a checkout, else pooch's per-user cache.
``HEPCOURSE_DATA_MIRROR``   a local folder (or ``file://`` URL) or an ``http(s)://`` base URL
                            holding the same file names; tried before upstream.
``HEPCOURSE_OFFLINE``       1: never try the upstream URLs (a lecture hall without network).
``HEPCOURSE_DATA_TIMEOUT``  seconds to wait for a server before giving up (default 30).

A file enters the cache only after its sha256 matched: it is written to a temporary name
in the cache folder, checked, then renamed (atomic), so an interrupted, truncated or
corrupted transfer never leaves a file behind.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pooch

from .registry import DataFile

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_VERIFIED: dict[Path, tuple[int, int]] = {}


class DataError(Exception):
    """Base class of the data layer's errors."""


class DataHashError(DataError, ValueError):
    """A file's sha256 is not the registered one: it is corrupt, truncated or wrong."""

    def __init__(self, filename: str, expected: str, got: str, origin: str):
        self.filename, self.expected, self.got, self.origin = filename, expected, got, origin
        super().__init__(
            f"{filename} from {origin} is corrupt or not the registered file:\n"
            f"  expected sha256 {expected}\n"
            f"  got      sha256 {got}\n"
            f"The file was not kept. Replace the copy at its source with the original "
            f"(for example run `hepcourse fetch` on a machine with network and copy the "
            f"cache folder), then try again."
        )


class DataUnavailableError(DataError, FileNotFoundError):
    """No source (cache, mirror, upstream) could provide the file."""


def cache_dir() -> Path:
    """The download cache: ``$HEPCOURSE_DATA_DIR``, the checkout's ``data/``, or pooch's
    per-user cache (in this order)."""
    env = os.environ.get("HEPCOURSE_DATA_DIR", "").strip()
    if env:
        return Path(env).expanduser().resolve()
    checkout = _PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "data" / "README.md").is_file():
        return checkout / "data"
    return Path(pooch.os_cache("hepcourse"))


def mirror() -> str | None:
    """``$HEPCOURSE_DATA_MIRROR`` (a folder or base URL), or None when unset."""
    value = os.environ.get("HEPCOURSE_DATA_MIRROR", "").strip()
    return value or None


def offline() -> bool:
    """True when ``HEPCOURSE_OFFLINE`` asks never to contact upstream servers."""
    return os.environ.get("HEPCOURSE_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def timeout() -> float:
    """Seconds to wait for a server (``$HEPCOURSE_DATA_TIMEOUT``, default 30)."""
    value = os.environ.get("HEPCOURSE_DATA_TIMEOUT", "30")
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"HEPCOURSE_DATA_TIMEOUT={value!r} is not a number of seconds") from None
    if seconds <= 0:
        raise ValueError(f"HEPCOURSE_DATA_TIMEOUT={value!r} must be a positive number of seconds")
    return seconds


def sha256(path: Path) -> str:
    """The sha256 hex digest of a file."""
    return pooch.file_hash(str(path), alg="sha256")


def cached_path(file: DataFile) -> Path | None:
    """The verified cached copy of ``file``, or None when it is not (correctly) cached.

    A cached file whose hash is wrong is removed (the cache only ever holds verified
    files), so that the next source can replace it.
    """
    path = cache_dir() / file.filename
    if not path.is_file():
        return None
    stat = path.stat()
    if _VERIFIED.get(path) == (stat.st_size, stat.st_mtime_ns):
        return path
    got = sha256(path)
    if got != file.sha256:
        path.unlink()
        import warnings

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
    Raises :class:`DataHashError` when a source delivers wrong bytes (nothing is kept) and
    :class:`DataUnavailableError`, listing every attempt, when no source has the file.
    """
    path = cached_path(file)
    if path is not None:
        return path, "cache"
    attempts: list[str] = []
    sources: list[tuple[str, str]] = []
    base = mirror()
    if base is not None:
        sources.append((_join(base, file.filename), f"mirror {base}"))
    else:
        attempts.append("mirror: HEPCOURSE_DATA_MIRROR is not set")
    if use_upstream is None:
        use_upstream = not offline()
    if use_upstream:
        sources += [(url, url) for url in file.urls]
    else:
        attempts.append("upstream: skipped (HEPCOURSE_OFFLINE is set)")
    for location, origin in sources:
        try:
            return _store(location, file, origin), origin
        except DataHashError:
            raise
        except Exception as err:  # network, HTTP status, missing file, permissions
            attempts.append(f"{origin}: {_describe(err)}")
    raise DataUnavailableError(_unavailable_message(file, attempts))


def _join(base: str, filename: str) -> str:
    if "://" in base and not base.startswith("file://"):
        return base.rstrip("/") + "/" + filename
    folder = unquote(urlparse(base).path) if base.startswith("file://") else base
    return str(Path(folder).expanduser() / filename)


def _store(location: str, file: DataFile, origin: str) -> Path:
    """Copy or download ``location`` to a temporary file in the cache, check its hash,
    then rename it into place. Nothing is left behind on any failure."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{file.filename}.", suffix=".part", dir=folder)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        if "://" in location:
            downloader = pooch.HTTPDownloader(progressbar=_progress(), timeout=timeout())
            downloader(location, str(tmp), None)
        else:
            shutil.copyfile(location, tmp)
        got = sha256(tmp)
        if got != file.sha256:
            raise DataHashError(file.filename, file.sha256, got, origin)
        final = folder / file.filename
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a cache file is an ordinary file
        os.replace(tmp, final)
        stat = final.stat()
        _VERIFIED[final] = (stat.st_size, stat.st_mtime_ns)
        return final
    finally:
        tmp.unlink(missing_ok=True)


def _progress() -> bool:
    return os.environ.get("HEPCOURSE_PROGRESS", "1").strip().lower() not in {"0", "false", "no", "off"}


def _describe(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text}"[:300]


def _unavailable_message(file: DataFile, attempts: list[str]) -> str:
    tried = "\n".join(f"  - {a}" for a in attempts)
    return (
        f"could not get {file.filename}; tried:\n  - cache {cache_dir()}: not there\n{tried}\n"
        f"To use the real file without network, either\n"
        f"  - point HEPCOURSE_DATA_MIRROR at a folder (or http URL) holding {file.filename}, or\n"
        f"  - run `hepcourse fetch` on a machine with network and copy {file.filename} "
        f"into {cache_dir()} (or set HEPCOURSE_DATA_DIR)."
    )
