"""The errors of the data layer (all are :class:`DataError`)."""
from __future__ import annotations


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
    """No source (cache, mirror, upstream) could provide the file.

    ``attempts`` lists each source tried and why it failed (one string each);
    ``filename`` is the file that could not be had.
    """

    def __init__(self, message: str, *, filename: str | None = None, attempts=()):
        super().__init__(message)
        self.filename = filename
        self.attempts = list(attempts)

    def __str__(self) -> str:  # FileNotFoundError would format (errno, strerror) otherwise
        return str(self.args[0]) if self.args else ""


class DataCacheError(DataError, PermissionError):
    """The cache folder cannot be written: a damaged copy cannot be removed, or a new file
    cannot be stored. The message names the file, the folder and what to do."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DownloadTimeoutError(DataError):
    """A download did not finish within ``HEPCOURSE_DATA_TIMEOUT`` seconds in all."""
