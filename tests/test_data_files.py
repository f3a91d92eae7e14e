"""The data layer's files on disk: permissions from the umask, orphans of killed downloads,
a deadline for the whole download, and a read-only cache."""
from __future__ import annotations

import os
import stat
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from hepcourse import data, files
from hepcourse.data import download, hdf5
from hepcourse.data.http import DeadlineDownloader

ZMUMU = "uproot-Zmumu.root"


def leftovers(cache) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def no_umask_change(monkeypatch):
    """Fail if anything changes the process-wide umask (it is shared by every thread)."""
    def umask(mask):
        raise AssertionError(f"os.umask({mask:#o}) called: the process-wide umask must not change")

    monkeypatch.setattr(os, "umask", umask)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def fake_unlink_denied(monkeypatch, name: str) -> None:
    """Path.unlink raises PermissionError for files called ``name`` (as in a read-only
    folder; root ignores a folder's permissions, so this also tests as root)."""
    real = Path.unlink

    def unlink(self, *args, **kwargs):
        if self.name == name:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", unlink)


# --- permissions ----------------------------------------------------------------------------

def test_downloaded_file_gets_the_umask_mode(upstream, umask_022, http_server, shared_mirror, monkeypatch,
                                             isolated_data):
    http_server.files[ZMUMU] = (shared_mirror / ZMUMU).read_bytes()
    upstream("zmumu", http_server.url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "umask", lambda mask: pytest.fail("os.umask was called"))
        data.fetch("zmumu")
    assert mode(isolated_data / ZMUMU) == 0o644


def test_mirror_copy_gets_the_umask_mode(shared_mirror, monkeypatch, isolated_data):
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    old = os.umask(0o027)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "umask", lambda mask: pytest.fail("os.umask was called"))
            data.fetch("zmumu")
    finally:
        os.umask(old)
    assert mode(isolated_data / ZMUMU) == 0o640


def test_saved_images_get_the_umask_mode(umask_022, tmp_path, monkeypatch):
    target = tmp_path / "images.h5"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "umask", lambda mask: pytest.fail("os.umask was called"))
        hdf5.save_images(target, images=np.ones((4, 1, 3, 3), np.float32), labels=np.arange(4) % 2)
    assert mode(target) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["images.h5"]
    assert np.array_equal(hdf5.load_images(target).labels, np.arange(4) % 2)


def test_failed_image_write_leaves_no_file(tmp_path):
    target = tmp_path / "images.h5"
    with pytest.raises(TypeError):
        hdf5.save_images(target, images=np.ones((2, 1, 3, 3), np.float32), labels=np.arange(2),
                         attrs={"bad": object()})
    assert list(tmp_path.iterdir()) == []


# --- orphans of killed downloads ------------------------------------------------------------

def test_orphans_of_dead_processes_are_removed_before_storing(shared_mirror, monkeypatch,
                                                              isolated_data):
    isolated_data.mkdir(parents=True)
    dead = isolated_data / f".{ZMUMU}.{dead_pid()}.0badf00d.part"  # left by a SIGKILL
    dead.write_bytes(b"half a download")
    alive = isolated_data / f".{ZMUMU}.1.cafecafe.part"  # pid 1 runs: another download
    alive.write_bytes(b"in progress")
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    data.fetch("zmumu")
    assert not dead.exists() and alive.exists()
    assert leftovers(isolated_data) == sorted([alive.name, ZMUMU])


def test_image_orphans_are_removed(tmp_path):
    target = tmp_path / "images.h5"
    dead = tmp_path / f".images.h5.{dead_pid()}.12345678.part"
    dead.write_bytes(b"x")
    hdf5.save_images(target, images=np.zeros((2, 1, 2, 2), np.float32), labels=np.zeros(2))
    assert not dead.exists() and target.is_file()


# --- a deadline for the whole download ------------------------------------------------------

def test_dripping_server_hits_the_total_deadline(upstream, http_server, shared_mirror, monkeypatch,
                                                 isolated_data):
    http_server.files[ZMUMU] = (shared_mirror / ZMUMU).read_bytes()
    http_server.mode[ZMUMU] = "drip"  # a byte every 0.2 s: no single read waits 2 s
    upstream("zmumu", http_server.url)
    monkeypatch.setenv("HEPCOURSE_DATA_TIMEOUT", "2")
    began = time.monotonic()
    with pytest.raises(data.DataUnavailableError) as info:
        data.load("zmumu", source="real")
    elapsed = time.monotonic() - began
    assert 1.5 < elapsed < 10, elapsed
    message = str(info.value)
    assert "DownloadTimeoutError" in message and "HEPCOURSE_DATA_TIMEOUT=2 s" in message
    assert f"{http_server.url}/{ZMUMU}" in message
    assert leftovers(isolated_data) == []


def test_deadline_downloader_is_a_pooch_downloader(http_server, tmp_path):
    import pooch

    payload = os.urandom(300_000)
    http_server.files["blob.bin"] = payload
    path = pooch.retrieve(f"{http_server.url}/blob.bin", known_hash=None, path=tmp_path,
                          fname="blob.bin", downloader=DeadlineDownloader(5), progressbar=False)
    assert Path(path).read_bytes() == payload
    assert DeadlineDownloader(5)(f"{http_server.url}/blob.bin", None, None, check_only=True)
    with pytest.raises(ValueError, match="deadline"):
        DeadlineDownloader(0)


def test_progress_bar_when_enabled(upstream, http_server, shared_mirror, monkeypatch, capsys):
    http_server.files[ZMUMU] = (shared_mirror / ZMUMU).read_bytes()
    upstream("zmumu", http_server.url)
    monkeypatch.setenv("HEPCOURSE_PROGRESS", "1")
    data.fetch("zmumu")
    err = capsys.readouterr().err
    assert ZMUMU in err and "179k/179k" in err
    (Path(os.environ["HEPCOURSE_DATA_DIR"]) / ZMUMU).unlink()
    monkeypatch.setenv("HEPCOURSE_PROGRESS", "0")
    data.fetch("zmumu")
    assert "179k" not in capsys.readouterr().err


# --- a read-only cache ----------------------------------------------------------------------

def _damaged_copy(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    bad = cache / ZMUMU
    bad.write_bytes(b"not a ROOT file")
    return bad


def test_damaged_copy_that_cannot_be_removed_is_a_clear_error(monkeypatch, shared_mirror,
                                                              isolated_data):
    bad = _damaged_copy(isolated_data)
    fake_unlink_denied(monkeypatch, ZMUMU)
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    for call in (lambda: data.load("zmumu"), lambda: data.load("zmumu", source="real"),
                 lambda: data.is_cached("zmumu")):
        with warnings.catch_warnings():
            warnings.simplefilter("error", data.SimulatedDataWarning)  # no fallback
            with pytest.raises(data.DataCacheError) as info:
                call()
        message = str(info.value)
        assert f"the cached {ZMUMU} in {isolated_data} is damaged" in message
        assert f"rm {bad}" in message and "HEPCOURSE_DATA_DIR to a writable folder" in message
        assert "PermissionError" in message and isinstance(info.value, data.DataError)
    assert bad.read_bytes() == b"not a ROOT file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_damaged_copy_in_a_read_only_folder(shared_mirror, monkeypatch, isolated_data):
    _damaged_copy(isolated_data)
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    isolated_data.chmod(0o555)
    try:
        with pytest.raises(data.DataCacheError, match=f"{ZMUMU} in {isolated_data} is damaged"):
            data.load("zmumu")
    finally:
        isolated_data.chmod(0o755)


def test_cache_that_cannot_be_written_is_a_clear_error(monkeypatch, shared_mirror, isolated_data):
    def denied(target):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(files, "temporary_path", denied)
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    with warnings.catch_warnings():
        warnings.simplefilter("error", data.SimulatedDataWarning)
        with pytest.raises(data.DataCacheError) as info:
            data.load("zmumu")
    message = str(info.value)
    assert f"cannot store {ZMUMU} in the cache folder {isolated_data}" in message
    assert "HEPCOURSE_DATA_DIR" in message


# --- notices of the image cache --------------------------------------------------------------

def test_cached_images_say_what_happened(tmp_path, monkeypatch, capsys, caplog):
    import logging

    monkeypatch.setenv("HEPCOURSE_DATA_DIR", str(tmp_path))
    with caplog.at_level(logging.INFO, logger="hepcourse"):
        first = hdf5.cached_images(n=40, seed=3, size=8)
        second = hdf5.cached_images(n=40, seed=3, size=8)
    messages = [r.getMessage() for r in caplog.records if r.name == "hepcourse.data.hdf5"]
    assert messages[0].startswith("images <- simulated 40 events")
    assert messages[1] == f"images <- cache {hdf5.cached_images_path(n=40, seed=3, size=8)}"
    out = capsys.readouterr().out
    assert "hepcourse.data.hdf5: images <- simulated" in out and "images <- cache" in out
    assert np.array_equal(first.images, second.images)
    assert download.cache_dir() == tmp_path
