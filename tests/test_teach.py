"""The teaching builds: student notebooks hold no solution code, the instructor notebooks
hold all of it (folded), solutions are self-contained, slides load nothing from the network."""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from hepcourse.course import teaching as teach

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
STUDENT = [p for p in NOTEBOOKS if not teach.instructor_only(teach.read(p))]
CHAPTERS = [p for p in STUDENT if not teach.read(p).metadata.get("hepcourse", {}).get("project")]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_has_problems_with_folded_solutions(path):
    nb = teach.read(path)
    solutions = [c for c in nb.cells if teach.is_solution(c)]
    assert len(solutions) >= 3, f"{path.name} has {len(solutions)} solutions; every chapter needs 3 problems"
    for cell in solutions:
        assert cell.cell_type == "code" and cell.source.strip()
        assert teach.FOLD in cell.metadata["tags"], "the instructor book shows solutions folded"
    problems = [c for c in nb.cells if c.cell_type == "markdown"
                and any(line.startswith("#") and "Problem" in line for line in c.source.splitlines())]
    assert len(problems) >= 3


def test_every_problem_has_a_self_check():
    import re

    from hepcourse.course import check

    used = []
    for path in CHAPTERS:
        cells = teach.read(path).cells
        for i, cell in enumerate(cells):
            if teach.is_solution(cell):
                following = cells[i + 1].source if i + 1 < len(cells) else ""
                keys = re.findall(r'check\.exercise\("([A-Z]?[0-9.]+)", globals\(\)\)', following)
                assert len(keys) == 1, f"{path.name} cell {i}: a solution must be followed by its self-check cell"
                assert f'assert check.exercise("{keys[0]}", globals())' in cell.source, \
                    f"{path.name} cell {i}: the solution must pass its own self-check"
                used += keys
    assert sorted(used) == check.keys(), "each registered self-check is used exactly once"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebook_holds_no_solution_code(path):
    nb = teach.read(path)
    student, removed = teach.strip_solutions(nb)
    assert removed == sum(teach.is_solution(c) for c in nb.cells)
    student_text = "\n".join(c.source for c in student.cells)
    shared = {line for c in nb.cells if not teach.is_solution(c) for line in c.source.splitlines()}
    for cell in nb.cells:
        if teach.is_solution(cell):
            for line in cell.source.splitlines():
                if len(line.strip()) > 25 and line not in shared:  # a substantive line of a solution
                    assert line not in student_text, line
    assert student_text.count("YOUR CODE HERE") == removed
    assert not any(teach.is_solution(c) for c in student.cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_are_self_contained(path):
    assert teach.solution_leaks(teach.read(path)) == []


def test_leak_detection_can_fail():
    nb = nbformat.v4.new_notebook()
    solution = nbformat.v4.new_code_cell("answer = 42")
    solution.metadata["tags"] = ["solution"]
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np"), solution,
                nbformat.v4.new_code_cell("print(answer + np.pi)")]
    assert teach.solution_leaks(nb) == ["cell 2 reads 'answer', which only a solution cell defines"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stored_clean_and_normalised(path):
    nb = teach.read(path)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "strip the outputs"
    assert teach.normalise(copy.deepcopy(nb)) == nb, \
        "run: python -m hepcourse.course.teaching normalise notebooks/*.ipynb"
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    assert kinds.count("slide") >= 2


def test_student_tree_drops_solutions_and_instructor_notebooks(tmp_path):
    written = teach.write_student_tree(REPO, tmp_path / "student")
    assert sorted(p.name for p in written) == sorted(p.name for p in STUDENT)
    assert any(teach.instructor_only(teach.read(p)) for p in NOTEBOOKS), "a solutions notebook exists"
    toc = (tmp_path / "student" / "book" / "_toc.yml").read_text()
    for path in NOTEBOOKS:
        assert (f"notebooks/{path.stem}" in toc) == (path in STUDENT)
    for path in written:
        assert not any(teach.is_solution(c) or teach.is_discussion(c) for c in teach.read(path).cells)
    assert (tmp_path / "student" / "notebooks" / teach.DISCUSSIONS).is_file(), "the discussions, for the reveal"


def test_slides_load_nothing_from_the_network(tmp_path):
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    (vendor / "placeholder.txt").write_text("stands in for reveal.js, MathJax, require.js, jQuery")
    decks = teach.build_slides(CHAPTERS[:1], tmp_path / "slides", vendor)
    html = decks[0].read_text()
    assert teach.external_urls(html) == []
    assert 'src="vendor/require.js"' in html and "vendor/reveal.js/dist/reveal.js" in html
    # the check itself can fail: nbconvert's defaults load everything from CDNs
    from nbconvert import SlidesExporter

    default, _ = SlidesExporter().from_notebook_node(teach.read(CHAPTERS[0]))
    assert len(teach.external_urls(default)) >= 3


def test_book_serves_its_own_mathjax():
    import yaml

    config = yaml.safe_load((REPO / "book" / "_config.yml").read_text())["sphinx"]["config"]
    assert not config["mathjax_path"].startswith(("http:", "https:", "//")), "math must render offline"
    static = config["html_static_path"][0]
    makefile = (REPO / "Makefile").read_text()
    assert f"BOOK_STATIC := {static}" in makefile and "$(BOOK_STATIC)/mathjax/" in makefile
    assert "book: $(STAMP) $(BOOK_STATIC)/.done" in makefile
