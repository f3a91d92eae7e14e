"""The student edition: no answer leaks into the markdown after a problem, and a problem's
discussion is revealed by check.exercise once the student's answer passes (not before).

Where the discussion goes: write_student_tree removes every cell tagged ``discussion`` and
keeps its markdown in ``notebooks/discussions.json`` (keyed by the exercise key);
check.exercise reads that file from the working directory (Jupyter's is the notebook's
folder) and, for a passing answer, shows it with the glued numbers of the student's run.
"""
from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from test_prose_numbers import ALLOWED, measured_numbers

from hepcourse.course import check, prose
from hepcourse.course import teaching as teach

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
_PROBLEM = re.compile(r"^###\s+Problem\b")


# --- where a glue name is glued -----------------------------------------------------------

def _glue_patterns(source: str) -> set[str]:
    """Regexes of the names a code cell glues: ``glue("x", ...)``, ``glue(f"x_{i}", ...)``
    (a placeholder matches any word) and the helper ``glued(x=..., y=...)`` of chapter 8."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    patterns = set()
    for node in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id == "glued":
            patterns |= {re.escape(k.arg) for k in node.keywords if k.arg}
        elif node.func.id == "glue" and node.args:
            name = node.args[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                patterns.add(re.escape(name.value))
            elif isinstance(name, ast.JoinedStr):
                patterns.add("".join(re.escape(p.value) if isinstance(p, ast.Constant) else r"\w+"
                                     for p in name.values))
    return patterns


def secret_names(nb) -> set[str]:
    """Regexes of the glue names that only solution cells glue (a student's run never has them
    unless the student computes them)."""
    outside, inside = set(), set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            (inside if teach.is_solution(cell) else outside).update(_glue_patterns(cell.source))
    return inside - outside


def leaks(student, instructor, allowed=frozenset()) -> list[str]:
    """Markdown cells of the ``student`` notebook after a problem (up to the next problem or
    section) that refer to a glue name only a solution of ``instructor`` glues, or state a
    measured-looking number (not in ``allowed``); discussion cells left in the notebook."""
    secret = [re.compile(p + r"\Z") for p in secret_names(instructor)]
    found, problem = [], None
    for index, cell in enumerate(student.cells):
        if cell.cell_type != "markdown":
            continue
        if teach.is_discussion(cell):
            found.append(f"cell {index}: a discussion cell is left in the student notebook")
        first = cell.source.lstrip().split("\n", 1)[0]
        if _PROBLEM.match(first):
            problem = first
            continue
        if first.startswith(("## ", "# ")):
            problem = None
        if problem is None:
            continue
        for name in prose.glue_names(cell.source):
            if any(p.match(name) for p in secret):
                found.append(f"cell {index} after {problem!r} shows {name!r}, which only a solution glues")
        for number in measured_numbers(cell.source):
            if number not in allowed:
                found.append(f"cell {index} after {problem!r} states the number {number!r}")
    return found


# --- the real student edition ---------------------------------------------------------------

@pytest.fixture(scope="module")
def student_tree(tmp_path_factory):
    out = tmp_path_factory.mktemp("edition") / "student"
    teach.write_student_tree(REPO, out)
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_answer_leaks_after_a_problem(student_tree, path):
    built = student_tree / "notebooks" / path.name
    if not built.exists():
        pytest.skip("instructor-only notebook: not in the student edition")
    assert leaks(teach.read(built), teach.read(path), ALLOWED.get(path.stem, set())) == []


def test_discussions_are_kept_for_the_reveal(student_tree):
    kept = json.loads((student_tree / "notebooks" / teach.DISCUSSIONS).read_text())
    expected = {}
    for path in NOTEBOOKS:
        nb = teach.read(path)
        if not teach.instructor_only(nb):
            expected.update(teach.discussions(nb))
    assert {k: v["markdown"] for k, v in kept.items()} == expected
    assert {"4.1", "4.2", "4.3", "4.4"} <= set(kept), "chapter 4 discusses problems 1-4"
    assert set(kept) <= set(check.keys())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_discussion_cells_follow_their_self_check(path):
    nb = teach.read(path)
    discussed = teach.discussions(nb)  # raises for a misplaced discussion cell
    assert sum(teach.is_discussion(c) for c in nb.cells) >= len(discussed)


def test_real_chapter_reveals_its_discussion_after_a_pass(student_tree, monkeypatch):
    from hepcourse.simulate.tracks import MASSES, time_of_flight

    monkeypatch.chdir(student_tree / "notebooks")
    monkeypatch.setattr(prose, "GLUED", {})
    per_metre = time_of_flight(4.0, MASSES["K"], 1.0) - time_of_flight(4.0, MASSES["pi"], 1.0)
    needed = 3 * 0.080 / per_metre  # the check's own reference: L = 3 sigma_t / (dt per metre)
    passed = check.exercise("4.1", {"needed": needed})
    assert passed and "The reach grows only as" in passed.discussion
    assert f"would need a {needed:.0f} m flight path" in passed.discussion  # the student's own number
    assert "`reach_80ps`" in passed.discussion  # not computed in this run: the name is shown
    assert passed.discussion in passed._repr_markdown_()
    failed = check.exercise("4.1", {"needed": 1.0})
    assert not failed and failed.discussion == "" and "reach grows" not in failed._repr_markdown_()


def test_instructor_tree_shows_no_extra_discussion(monkeypatch):
    monkeypatch.chdir(REPO / "notebooks")
    assert not (REPO / "notebooks" / teach.DISCUSSIONS).exists()
    assert check.exercise("1.1", {"cv_best": 3}).discussion == ""


# --- crafted notebooks: the tests can fail ----------------------------------------------------

def _course(root: Path, discussion_tagged: bool) -> Path:
    """A one-chapter course: problem 1.1, its solution (gluing ``cv_best``), its self-check
    and a markdown cell stating the answer (tagged ``discussion`` or not)."""
    (root / "notebooks").mkdir(parents=True)
    shutil.copytree(REPO / "book", root / "book", ignore=shutil.ignore_patterns("_build"))
    (root / "README.md").write_text("# course\n")
    solution = nbformat.v4.new_code_cell('cv_best = 3\nglue("cv_best", cv_best)\n'
                                         'assert check.exercise("1.1", globals())')
    solution.metadata["tags"] = ["solution", "hide-input"]
    answer = nbformat.v4.new_markdown_cell(
        "Cross-validation picks degree {glue:text}`cv_best:d`, the single split "
        "{glue:text}`best_degree:d`.")
    if discussion_tagged:
        answer.metadata["tags"] = ["discussion"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('from hepcourse.course import check, glue\nbest_degree = glue("best_degree", 4)'),
                nbformat.v4.new_markdown_cell("### Problem 1\n\nChoose the degree by cross-validation."),
                solution, nbformat.v4.new_code_cell('check.exercise("1.1", globals())  # self-check'), answer,
                nbformat.v4.new_markdown_cell("## 1.2 Next section\n\nIt gave {glue:text}`cv_best:d` before.")]
    nbformat.write(nb, str(root / "notebooks" / "01-fitting.ipynb"))
    return root


@pytest.mark.parametrize("tagged", [False, True])
def test_leak_test_fails_on_a_leak(tmp_path, tagged):
    root = _course(tmp_path / "course", discussion_tagged=tagged)
    teach.write_student_tree(root, tmp_path / "student")
    student = teach.read(tmp_path / "student" / "notebooks" / "01-fitting.ipynb")
    found = leaks(student, teach.read(root / "notebooks" / "01-fitting.ipynb"))
    if tagged:  # the answer is in the discussion, removed: the next section's mention is no leak
        assert found == []
    else:
        assert found == ["cell 4 after '### Problem 1' shows 'cv_best', which only a solution glues"]
    stated = nbformat.v4.new_markdown_cell("The best degree has an RMS of 0.0213 on the validation set.")
    student.cells.insert(4, stated)
    assert any("states the number '0.0213'" in f for f in leaks(student, student))


def test_a_misplaced_discussion_cell_is_an_error(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_markdown_cell("The answer.")
    cell.metadata["tags"] = ["discussion"]
    nb.cells = [nbformat.v4.new_markdown_cell("### Problem 1"), cell]
    with pytest.raises(ValueError, match="does not directly follow a self-check"):
        teach.strip_solutions(nb)


def test_reveal_after_pass_in_a_crafted_student_tree(tmp_path, monkeypatch):
    root = _course(tmp_path / "course", discussion_tagged=True)
    teach.write_student_tree(root, tmp_path / "student")
    folder = tmp_path / "student" / "notebooks"
    assert json.loads((folder / teach.DISCUSSIONS).read_text())["1.1"]["notebook"] == "01-fitting.ipynb"
    student = teach.read(folder / "01-fitting.ipynb")
    assert not any("Cross-validation picks" in c.source for c in student.cells)
    monkeypatch.chdir(folder)
    monkeypatch.setattr(prose, "GLUED", {"best_degree": 4})  # glued by a non-solution cell of this run
    passed = check.exercise("1.1", {"cv_best": 5})  # the student's own answer, not the solution's 3
    assert passed.discussion == "Cross-validation picks degree 5, the single split 4."
    assert "Cross-validation picks degree 5" in passed._repr_markdown_()
    failed = check.exercise("1.1", {"cv_best": 12})
    assert not failed and failed.discussion == "" and "Cross-validation" not in repr(failed)
    assert check.exercise("1.1", {}).discussion == ""  # not attempted: nothing revealed
