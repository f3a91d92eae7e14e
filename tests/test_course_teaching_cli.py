"""The teaching command line deletes only folders it made, and answers bad arguments with a
usage message and exit status 2, never a traceback; nbformat is needed only when used."""
from __future__ import annotations

import importlib
import sys

import nbformat
import pytest

from hepcourse.course import teaching as teach
from hepcourse.course.folders import UnsafeFolderError


def _notebook(path, *, instructor_only=False):
    nb = nbformat.v4.new_notebook()
    solution = nbformat.v4.new_code_cell("answer = 42")
    solution.metadata["tags"] = ["solution"]
    nb.cells = [nbformat.v4.new_markdown_cell("## A chapter"), nbformat.v4.new_markdown_cell("### Problem 1"),
                solution, nbformat.v4.new_code_cell("print(1)")]
    if instructor_only:
        nb.metadata["hepcourse"] = {"instructor_only": True}
    nbformat.write(nb, str(path))


@pytest.fixture
def course(tmp_path):
    """A small course checkout: README, book/, two notebooks (one instructor-only) and a .git."""
    src = tmp_path / "course"
    (src / "notebooks").mkdir(parents=True)
    (src / "book").mkdir()
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (src / "README.md").write_text("# the course\n")
    (src / "book" / "_toc.yml").write_text(
        "format: jb-book\nroot: README\nparts:\n- caption: Chapters\n  chapters:\n"
        "  - file: notebooks/01-a\n  - file: notebooks/01-a-solutions\n")
    (src / "book" / "_config.yml").write_text("title: Deep learning for particle physics\n")
    _notebook(src / "notebooks" / "01-a.ipynb")
    _notebook(src / "notebooks" / "01-a-solutions.ipynb", instructor_only=True)
    return src


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _student(capsys, *args):
    code = teach.main(["student", *map(str, args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_student_into_its_own_source_is_refused_and_deletes_nothing(course, capsys):
    before = _files(course)
    code, _, err = _student(capsys, course, course)
    assert code == 2 and "is SRC itself" in err and "usage:" in err
    assert _files(course) == before and (course / ".git" / "HEAD").is_file()


def test_an_unrelated_folder_is_never_cleared(course, tmp_path, capsys):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("precious")
    code, _, err = _student(capsys, course, mine)
    assert code == 2 and "was not made by this build" in err and teach.STUDENT_MARKER in err
    assert (mine / "chapter1.tex").read_text() == "precious" and _files(mine) == ["chapter1.tex"]


def test_a_second_build_over_a_marked_folder_replaces_it(course, tmp_path, capsys):
    out = tmp_path / "student"
    code, printed, _ = _student(capsys, course, out)
    assert code == 0 and "student notebook:" in printed
    assert (out / teach.STUDENT_MARKER).is_file()
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == ["01-a.ipynb"]
    (out / "stale.txt").write_text("left over")
    (out / "book" / "_build").mkdir()
    code, _, _ = _student(capsys, course, out)
    assert code == 0 and not (out / "stale.txt").exists() and not (out / "book" / "_build").exists()
    assert (out / teach.STUDENT_MARKER).is_file() and (out / "notebooks" / "01-a.ipynb").is_file()
    assert "YOUR CODE HERE" in (out / "notebooks" / "01-a.ipynb").read_text()


def test_the_makefile_layout_build_student_inside_the_checkout_works(course, monkeypatch, capsys):
    monkeypatch.chdir(course)
    code, _, err = _student(capsys, ".", "build/student")
    assert code == 0, err
    assert (course / "build" / "student" / teach.STUDENT_MARKER).is_file()
    assert _student(capsys, ".", "build/student")[0] == 0  # and again, over its own output


def test_an_empty_existing_folder_is_used(course, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert _student(capsys, course, tmp_path / "empty")[0] == 0


@pytest.mark.parametrize("where, message", [
    ("parent", "lies inside OUT"), ("notebooks/student", "only a folder below build/"),
    ("student", "only a folder below build/"), ("build", "only a folder below build/"),
])
def test_out_overlapping_the_source_is_refused(course, capsys, where, message):
    out = course.parent if where == "parent" else course / where
    before = _files(course.parent)
    code, _, err = _student(capsys, course, out)
    assert code == 2 and message in err
    assert _files(course.parent) == before


def test_out_that_is_a_file_or_a_link_is_refused(course, tmp_path, capsys):
    (tmp_path / "file").write_text("keep")
    assert _student(capsys, course, tmp_path / "file")[0] == 2
    assert (tmp_path / "file").read_text() == "keep"
    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / "link").symlink_to(target)
    code, _, err = _student(capsys, course, tmp_path / "link")
    assert code == 2 and "symbolic link" in err


@pytest.mark.parametrize("missing", ["README.md", "book/_toc.yml", "notebooks"])
def test_src_must_be_a_course_checkout(course, tmp_path, capsys, missing):
    import shutil

    path = course / missing
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    code, _, err = _student(capsys, course, tmp_path / "out")
    assert code == 2 and f"has no {missing}" in err and not (tmp_path / "out").exists()


def test_write_student_tree_raises_a_value_error_for_unsafe_output(course):
    with pytest.raises(UnsafeFolderError, match="is SRC itself"):
        teach.write_student_tree(course, course)
    assert issubclass(UnsafeFolderError, ValueError)


@pytest.mark.parametrize("argv, fragment", [
    ([], "the following arguments are required: COMMAND"),
    (["bogus"], "invalid choice: 'bogus'"),
    (["student"], "the following arguments are required: SRC, OUT"),
    (["student", "a"], "the following arguments are required: OUT"),
    (["student", "a", "b", "c"], "unrecognized arguments: c"),
    (["student", "/no/such/course", "out"], "SRC '/no/such/course' is not a folder"),
    (["slides", "/no/such/dir", "out", "vendor"], "EXECUTED_DIR '/no/such/dir' is not a folder"),
    (["slides", "a"], "the following arguments are required: OUT_DIR, VENDOR_DIR"),
    (["check-slides"], "the following arguments are required: DECK.html"),
    (["check-slides", "/no/such/deck.html"], "no such slide deck"),
    (["normalise"], "the following arguments are required: NOTEBOOK.ipynb"),
    (["normalise", "/no/such.ipynb"], "no such notebook: /no/such.ipynb"),
])
def test_bad_arguments_print_usage_and_return_2(argv, fragment, capsys):
    assert teach.main(argv) == 2
    out, err = capsys.readouterr()
    assert "usage:" in err and fragment in err and "Traceback" not in out + err


def test_help_and_the_program_name(capsys):
    assert teach.main(["--help"]) == 0
    assert "student" in capsys.readouterr().out
    assert teach.main([], prog="hepcourse") == 2
    assert capsys.readouterr().err.startswith("usage: hepcourse")


def test_slides_with_an_empty_folder_of_notebooks(tmp_path, capsys):
    (tmp_path / "executed").mkdir()
    (tmp_path / "vendor").mkdir()
    assert teach.main(["slides", str(tmp_path / "executed"), str(tmp_path / "out"), str(tmp_path / "vendor")]) == 2
    assert "holds no notebooks" in capsys.readouterr().err


def test_normalise_rewrites_the_notebook(course, capsys):
    path = course / "notebooks" / "01-a.ipynb"
    assert teach.main(["normalise", str(path)]) == 0
    cells = teach.read(path).cells
    assert [c.metadata["slideshow"]["slide_type"] for c in cells] == ["slide", "subslide", "skip", "-"]
    assert teach.FOLD in cells[2].metadata["tags"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["01-a-solutions.ipynb", "01-a.ipynb"]


def _vendor(tmp_path):
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    (vendor / "reveal.txt").write_text("stands in for reveal.js")
    return vendor


def test_slides_never_clear_a_vendor_folder_they_did_not_make(course, tmp_path):
    vendor, out = _vendor(tmp_path), tmp_path / "slides"
    (out / "vendor").mkdir(parents=True)
    (out / "vendor" / "mine.txt").write_text("keep")
    with pytest.raises(UnsafeFolderError, match="not made by this build"):
        teach.build_slides([course / "notebooks" / "01-a.ipynb"], out, vendor)
    assert (out / "vendor" / "mine.txt").read_text() == "keep"
    with pytest.raises(UnsafeFolderError, match="overlap"):
        teach.build_slides([], tmp_path, vendor)  # out/vendor would be VENDOR itself
    assert (vendor / "reveal.txt").is_file()


def test_slides_replace_their_own_vendor_folder_also_from_older_versions(course, tmp_path):
    vendor, out = _vendor(tmp_path), tmp_path / "slides"
    (out / "vendor").mkdir(parents=True)
    (out / "vendor" / "no-mermaid.mjs").write_text("old")  # what an older version left
    (out / "vendor" / "stale.js").write_text("old")
    decks = teach.build_slides([course / "notebooks" / "01-a.ipynb"], out, vendor)
    assert [d.name for d in decks] == ["01-a.slides.html"]
    assert sorted(p.name for p in (out / "vendor").iterdir()) == [
        teach.VENDOR_MARKER, "no-mermaid.mjs", "reveal.txt"]


def test_the_module_imports_without_nbformat_and_says_how_to_install_it(course, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "nbformat", None)  # `import nbformat` now fails
    import hepcourse.course as package

    for name in ("teaching", "notebooks", "slides"):
        monkeypatch.delitem(sys.modules, f"hepcourse.course.{name}")
        monkeypatch.setattr(package, name, getattr(package, name))  # the re-import rebinds it; undone after
    fresh = importlib.import_module("hepcourse.course.teaching")
    assert fresh is not teach
    with pytest.raises(ImportError, match=r'pip install -e "\.\[book\]"'):
        fresh.read(course / "notebooks" / "01-a.ipynb")
    assert fresh.main(["student", str(course), str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "needs the package 'nbformat'" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("overflow, status", [([], 0), (["slide 4: 1240 px high"], 1)])
def test_check_slides_fails_on_an_overflowing_slide(tmp_path, monkeypatch, capsys, overflow, status):
    deck = tmp_path / "deck.slides.html"
    deck.write_text("<html></html>")
    monkeypatch.setattr(teach.shutil, "which", lambda name: "/usr/bin/chromium")
    monkeypatch.setattr(teach, "check_slides", lambda html, shot: {
        "ready": True, "slides": 5, "total": 9, "planned": 9, "overflow": overflow, "screenshot": shot})
    assert teach.main(["check-slides", str(deck)]) == status
    out = capsys.readouterr().out
    assert "planned 9" in out and (("1240 px" in out) == bool(overflow))
