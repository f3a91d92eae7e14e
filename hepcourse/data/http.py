"""HTTP downloads with a deadline for the whole transfer, not for each read.

``requests``/``pooch`` apply a timeout to every single read of the socket, so a server
that sends one byte a second keeps a download alive for days with a 2-s timeout.
:class:`DeadlineDownloader` (a pooch downloader: ``downloader(url, output_file, pooch)``)
gives the whole body ``deadline`` seconds from the start of the download: before every
read it sets the socket's timeout to the time left, and it reads whatever has arrived
(``read1``) rather than waiting for full chunks. Connecting and waiting for the response
headers are each bounded by ``deadline`` as well (requests' connect and read timeouts), so
only a server slow both to accept and to answer can take up to twice the deadline.
"""
from __future__ import annotations

import socket
import sys
import time

import requests
import urllib3

from .errors import DownloadTimeoutError

CHUNK = 1 << 16
"""Bytes asked for per read (a read returns what has arrived, up to this)."""


class DeadlineDownloader:
    """Download ``url`` to ``output_file`` within ``deadline`` seconds in all.

    deadline: seconds (> 0) from the start for the response and every byte of the body.
    progressbar: True shows a tqdm bar (on stderr) sized by Content-Length; redrawn at most once
        a minute where stderr is neither a terminal nor a notebook (a log file).
    Raises :class:`DownloadTimeoutError` when the deadline passes, ``requests`` errors for
    HTTP status and connection failures, and ``urllib3`` ProtocolError when the server
    closes the connection before sending the announced length.
    """

    def __init__(self, deadline: float, progressbar: bool = False, name: str | None = None):
        if not deadline > 0:
            raise ValueError(f"deadline={deadline!r}: must be a positive number of seconds")
        self.deadline = float(deadline)
        self.progressbar = progressbar
        self.name = name

    def __call__(self, url: str, output_file, pooch=None, check_only: bool = False):
        began = time.monotonic()
        end = began + self.deadline
        if check_only:
            response = requests.head(url, timeout=self.deadline, allow_redirects=True)
            return response.status_code == 200
        received, total = 0, None
        try:
            with requests.get(url, stream=True, timeout=(self.deadline, self.deadline)) as response:
                response.raise_for_status()
                total = int(response.headers.get("content-length") or 0) or None
                sock = _socket_of(response)
                bar = self._bar(total)
                try:
                    with _open(output_file) as out:
                        while True:
                            left = end - time.monotonic()
                            if left <= 0:
                                raise self._timeout(url, received, total)
                            if sock is not None:
                                sock.settimeout(left)
                            chunk = _read(response.raw)
                            if not chunk:
                                break
                            out.write(chunk)
                            received += len(chunk)
                            if bar is not None:
                                bar.update(len(chunk))
                finally:
                    if bar is not None:
                        bar.close()
        except DownloadTimeoutError:
            raise
        except (TimeoutError, urllib3.exceptions.TimeoutError, requests.Timeout) as err:
            if time.monotonic() >= end - 0.05:
                raise self._timeout(url, received, total) from err
            raise
        return None

    def _bar(self, total):
        if not self.progressbar:
            return None
        from tqdm import (
            tqdm,  # the text bar (as pooch): works in notebooks without ipywidgets
        )

        live = sys.stderr.isatty() or "ipykernel" in sys.modules  # else a log: a line a minute, and the last
        return tqdm(total=total, unit="B", unit_scale=True, ncols=79, leave=True, desc=self.name,
                    file=sys.stderr, ascii=sys.platform == "win32", mininterval=0.1 if live else 60)

    def _timeout(self, url: str, received: int, total: int | None) -> DownloadTimeoutError:
        got = f"{received:,} of {total:,} bytes" if total else f"{received:,} bytes"
        return DownloadTimeoutError(
            f"{url} did not finish within HEPCOURSE_DATA_TIMEOUT={self.deadline:g} s "
            f"(received {got}); on a slow network raise HEPCOURSE_DATA_TIMEOUT (seconds for "
            f"the whole download)")


class _open:
    """``open(path, "wb")``, or a file object given by the caller (left open)."""

    def __init__(self, target):
        self.target, self.file = target, None

    def __enter__(self):
        if hasattr(self.target, "write"):
            return self.target
        self.file = open(self.target, "wb")
        return self.file

    def __exit__(self, *exc):
        if self.file is not None:
            self.file.close()


def _read(raw) -> bytes:
    # read1 returns what one socket read brings (urllib3 >= 2.3); read(amt) waits for amt
    if hasattr(raw, "read1"):
        return raw.read1(CHUNK, decode_content=True)
    return raw.read(1024, decode_content=True)


def _socket_of(response):
    """The socket under a streamed ``requests`` response, or None when it cannot be found
    (the deadline is then checked between reads only)."""
    connection = getattr(response.raw, "connection", None) or getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None
