"""Writing files atomically: into a temporary file in the target's folder, then renamed.

A reader never sees a half-written file, an interrupted write leaves no file under the
final name, and the file gets the ordinary permissions of the user's umask (the kernel
applies it when the temporary file is created, so nothing changes the process-wide umask).
Temporary files are named ``.<name>.<pid>.<random>.part``; :func:`remove_orphans` deletes
those whose process is gone (a download killed with SIGKILL).
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

_SUFFIX = ".part"


def temporary_path(target: Path) -> Path:
    """A new, empty file next to ``target`` (mode 0666 minus the umask)."""
    target = Path(target)
    while True:
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{_SUFFIX}")
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:
            continue


@contextlib.contextmanager
def atomic_write(target):
    """Yield a temporary path next to ``target``; when the block ends without an error it
    is renamed to ``target`` (replacing it), otherwise it is deleted.

    >>> with atomic_write("model.pt") as tmp:
    ...     torch.save(state, tmp)
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(target)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def remove_orphans(target) -> list[Path]:
    """Delete the temporary files of ``target`` left by processes that no longer run
    (on this machine); returns what was removed. Files of running processes are kept."""
    target = Path(target)
    removed = []
    for tmp in target.parent.glob(f".{target.name}.*{_SUFFIX}"):
        parts = tmp.name[len(target.name) + 2:].split(".")
        pid = int(parts[0]) if parts and parts[0].isdigit() else None
        if pid is not None and pid != os.getpid() and _running(pid):
            continue
        if pid == os.getpid():
            continue
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
