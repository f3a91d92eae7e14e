"""Output folders that a build may clear, and only those.

A build writes a marker file into a folder when it creates it; the next build may empty a
folder only if it holds that marker (or is empty). Rules for the student edition
(:func:`check_student_paths`):

- OUT must not be SRC, and SRC must not lie inside OUT (clearing OUT would delete it);
- OUT may lie inside SRC only below ``SRC/build/`` (git-ignored; the Makefile uses
  ``build/student``): anywhere else it would land in the course's own tree;
- an existing OUT must be a folder, empty or holding the marker; anything else is
  refused, never deleted, whatever it holds;
- OUT must not be a symbolic link.

Every refusal is a :class:`UnsafeFolderError` (a ValueError) that names the folder and
says what to do instead.
"""
from __future__ import annotations

import shutil
from pathlib import Path


class UnsafeFolderError(ValueError):
    """A build refused to write into, or clear, a folder it does not own."""


def inside(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or lies below it (both resolved)."""
    return path == folder or folder in path.parents


def check_student_paths(src, out) -> tuple[Path, Path]:
    """Resolve SRC and OUT of a student build and refuse unsafe pairs (see the module
    docstring); SRC must be a course checkout (README.md, book/, notebooks/)."""
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise UnsafeFolderError(f"SRC {str(src)!r} is not a folder: give the course checkout, e.g. '.'")
    for need in ("README.md", "book/_toc.yml", "book/_config.yml", "notebooks"):
        if not (src / need).exists():
            raise UnsafeFolderError(f"SRC {str(src)!r} is not a course checkout: it has no {need}")
    if out.is_symlink():
        raise UnsafeFolderError(f"OUT {str(out)!r} is a symbolic link; give the folder itself")
    src_real, out_real = src.resolve(), out.resolve()
    if out_real == src_real:
        raise UnsafeFolderError(f"OUT {str(out)!r} is SRC itself; the student edition needs its own "
                                f"folder, e.g. {str(src / 'build' / 'student')!r}")
    if inside(src_real, out_real):
        raise UnsafeFolderError(f"SRC {str(src)!r} lies inside OUT {str(out)!r}: clearing OUT would delete "
                                "the course; choose an OUT outside SRC or below SRC/build/")
    if inside(out_real, src_real) and (src_real / "build") not in out_real.parents:
        raise UnsafeFolderError(f"OUT {str(out)!r} lies inside SRC {str(src)!r}; inside SRC only a folder "
                                f"below build/ may be used, e.g. {str(src / 'build' / 'student')!r}")
    return src_real, out_real


def claim(out, marker: str, made_by: str) -> Path:
    """Make ``out`` an empty folder owned by this build, holding the file ``marker``.

    A missing folder is created; an empty one is used; one holding ``marker`` is emptied.
    Anything else (a file, a non-empty folder without the marker, a symbolic link) is an
    UnsafeFolderError and nothing is deleted. ``made_by`` goes into the marker's text.
    """
    out = Path(out)
    if out.is_symlink():
        raise UnsafeFolderError(f"{str(out)!r} is a symbolic link; give the folder itself")
    if out.exists() and not out.is_dir():
        raise UnsafeFolderError(f"{str(out)!r} exists and is not a folder; choose another output folder")
    if out.is_dir():
        entries = list(out.iterdir())
        if entries and not (out / marker).is_file():
            raise UnsafeFolderError(
                f"{str(out)!r} is not empty and was not made by this build (it has no {marker} file): "
                "refusing to delete it. Choose another output folder, or delete this one yourself if it "
                "is an old build.")
        for entry in entries:
            if entry.name == marker:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    else:
        out.mkdir(parents=True)
    (out / marker).write_text(f"Made by {made_by}.\nThe next build deletes everything in this folder.\n",
                              encoding="utf-8")
    return out
