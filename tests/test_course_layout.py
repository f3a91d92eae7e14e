"""The layout of hepcourse.course: one self-check module per chapter, named by topic, short
files, and no function hiding a submodule."""
from __future__ import annotations

import importlib
import pkgutil
import types
from pathlib import Path

import pytest

import hepcourse.course
from hepcourse.course import check

COURSE = Path(hepcourse.course.__file__).parent
CHECK_MODULES = sorted(m.name for m in pkgutil.iter_modules(check.__path__))


def test_check_is_split_by_topic():
    assert CHECK_MODULES == ["anomaly", "beamline", "claims", "core", "fitting", "gpu", "hepmass", "jets", "learning", "pid", "rare", "scoring"]


@pytest.mark.parametrize("name", CHECK_MODULES)
def test_no_name_in_check_hides_a_submodule(name):
    module = importlib.import_module(f"hepcourse.course.check.{name}")
    assert getattr(check, name) is module


def test_check_exports_what_the_notebooks_call():
    for name in ("exercise", "project", "value", "auc", "keys"):
        assert callable(getattr(check, name)) and not isinstance(getattr(check, name), types.ModuleType)
    assert check.Feedback(True, "ok") and not check.Feedback(False, "no")


def test_each_chapter_module_holds_the_checks_of_one_chapter():
    chapters: dict[str, set[str]] = {}
    for key, (_, _, function) in check._EXERCISES.items():
        module = function.__module__.rsplit(".", 1)[-1]
        assert module in {"fitting", "learning", "hepmass", "pid", "rare", "jets", "anomaly", "gpu", "beamline"}, (key, function.__module__)
        chapters.setdefault(module, set()).add(key.split(".")[0])
    assert all(len(prefixes) == 1 for prefixes in chapters.values()), chapters
    assert len({p for prefixes in chapters.values() for p in prefixes}) == len(chapters)


@pytest.mark.parametrize("path", sorted(COURSE.rglob("*.py")), ids=lambda p: str(p.relative_to(COURSE)))
def test_no_course_file_is_longer_than_400_lines(path):
    assert len(path.read_text().splitlines()) <= 400
