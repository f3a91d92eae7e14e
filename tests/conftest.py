"""Shared fixtures: an isolated data cache for every test, the shared mirror of real files,
and a loopback HTTP server that can misbehave on purpose (404, truncation, corruption,
a server dripping one byte at a time)."""
from __future__ import annotations

import http.server
import os
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_data(tmp_path, monkeypatch):
    """Every test gets an empty cache, no mirror and no upstream network unless it asks."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("HEPCOURSE_DATA_DIR", str(cache))
    monkeypatch.delenv("HEPCOURSE_DATA_MIRROR", raising=False)
    monkeypatch.setenv("HEPCOURSE_OFFLINE", "1")
    monkeypatch.setenv("HEPCOURSE_PROGRESS", "0")
    monkeypatch.setenv("HEPCOURSE_DATA_TIMEOUT", "5")
    return cache


def _find_mirror() -> Path | None:
    env = os.environ.get("HEPCOURSE_DATA_MIRROR", "")
    for candidate in (env, REPO.parent / "shared" / "data"):
        if candidate and Path(candidate).is_dir() and (Path(candidate) / "uproot-Zmumu.root").is_file():
            return Path(candidate).resolve()
    return None


MIRROR = _find_mirror()


@pytest.fixture
def shared_mirror() -> Path:
    """The folder of real files (``../shared/data`` or ``$HEPCOURSE_DATA_MIRROR``)."""
    if MIRROR is None:
        message = "no mirror of the real files (../shared/data or HEPCOURSE_DATA_MIRROR)"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI must test against the real files")
        pytest.skip(message)
    return MIRROR


class LoopbackServer:
    """Serves ``files`` {name: bytes} on 127.0.0.1; ``mode`` {name: "truncate"|"cut"|"drip"}
    makes a file misbehave: "truncate" sends the first half with a matching Content-Length,
    "cut" announces the full length and closes the connection half-way, "drip" announces
    the full length and sends one byte every ``drip_interval`` seconds (so no single read
    waits long), closing the connection after ``drip_for`` seconds."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.mode: dict[str, str] = {}
        self.hits: dict[str, int] = {}
        self.drip_interval = 0.2
        self.drip_for = 15.0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, body_only: bool):
                name = self.path.lstrip("/")
                server.hits[name] = server.hits.get(name, 0) + 1
                if name not in server.files:
                    self.send_error(404, "Not Found")
                    return
                payload = server.files[name]
                mode = server.mode.get(name)
                length = len(payload)
                if mode == "truncate":
                    payload = payload[: len(payload) // 2]
                    length = len(payload)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(length))
                self.end_headers()
                if body_only:
                    return
                if mode == "drip":
                    stop = time.monotonic() + server.drip_for
                    try:
                        for i in range(len(payload)):
                            if time.monotonic() > stop:
                                break
                            self.wfile.write(payload[i:i + 1])
                            self.wfile.flush()
                            time.sleep(server.drip_interval)
                    except OSError:  # the client gave up
                        pass
                    self.close_connection = True
                    return
                if mode == "cut":
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(payload)

            def do_GET(self):
                self._send(False)

            def do_HEAD(self):
                self._send(True)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server():
    server = LoopbackServer()
    yield server
    server.close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL on which nothing listens (connection refused: 'no network')."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def upstream(monkeypatch):
    """``upstream(name, base)``: make every file of dataset ``name`` come from ``base``
    (e.g. the loopback server's URL) instead of its real upstream, with network allowed."""
    import dataclasses

    from hepcourse.data.registry import REGISTRY

    def point(name: str, base: str) -> None:
        dataset = REGISTRY[name]
        files = {role: dataclasses.replace(f, urls=(f"{base}/{f.filename}",))
                 for role, f in dataset.files.items()}
        replaced = dataclasses.replace(dataset, files=files)
        for key, value in list(REGISTRY.items()):
            if value is dataset:
                monkeypatch.setitem(REGISTRY, key, replaced)
        monkeypatch.setenv("HEPCOURSE_OFFLINE", "0")

    return point
