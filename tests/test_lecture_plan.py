"""Every chapter opens with its lecture plan, and the plan holds.

The box (hepcourse.course.plan): the markdown cell right after the title, starting with
"**Lecture plan**", lists the core sections of each 90-minute lecture ("- **Core:**" or
"- **Lecture N, core:**") and the optional ones ("- **Optional:**"), and shows the run times
glued by the code cell right after it (``plan.glue_run_times("<chapter>")``). Checked here:
the box and its glue cell are there; every section it names is a ``##`` heading of the
chapter and every heading is named once; the core prose of each lecture is at most
plan.LECTURE_WORDS words (the introduction counts towards lecture 1); notebooks/run-times.json
holds a full-size and a smoke time of every chapter (benchmarks/chapter_times.py fills it).
"""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import nbformat
import pytest

from hepcourse.course import plan, prose

REPO = Path(__file__).resolve().parent.parent
CHAPTERS = [p for p in sorted((REPO / "notebooks").glob("*.ipynb"))
            if not nbformat.read(p, as_version=4).metadata.get("hepcourse", {}).get("instructor_only")]


def problems(nb, stem: str) -> list[str]:
    """What is wrong with the lecture plan of the chapter notebook ``nb`` (empty: nothing)."""
    cells = nb.cells
    if not (cells and cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")):
        return ["the first cell is not the title (a markdown cell starting '# ')"]
    if len(cells) < 3 or not plan.is_box(cells[1]):
        return [f"no lecture plan box right after the title (a markdown cell starting {plan.BOX_START!r})"]
    box, found = cells[1].source, []
    if cells[2].cell_type != "code" or f'plan.glue_run_times("{stem}")' not in cells[2].source:
        found.append(f'the cell after the box is not the code cell calling plan.glue_run_times("{stem}")')
    missing = [n for n in ("plan_full_min", "plan_smoke_s") if n not in prose.glue_names(box)]
    if missing:
        found.append(f"the box does not glue {missing}")
    lectures, words = plan.lectures(box), plan.sections(nb)
    if not lectures or not all(lectures):
        found.append("the box names no core sections ('- **Core:** ...' or '- **Lecture 1, core:** ...')")
    named = [n for lecture in lectures for n in lecture] + plan.optional(box)
    headings = [h for h in words if h]
    found += [f"the box names {n!r}, which is no ## heading (headings: {headings})" for n in named if n not in words]
    found += [f"the section {h!r} is not in the box" for h in headings if h not in named]
    found += [f"the box names {n!r} twice" for n in sorted(set(named)) if named.count(n) > 1]
    for number, lecture in enumerate(lectures, 1):
        total = sum(words.get(n, 0) for n in lecture) + (words[""] if number == 1 else 0)
        if total > plan.LECTURE_WORDS:
            found.append(f"lecture {number} holds {total} words of core prose (at most {plan.LECTURE_WORDS}); "
                         f"per section: {[(n, words.get(n)) for n in lecture]}")
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_chapter_opens_with_its_lecture_plan_and_the_plan_holds(path):
    found = problems(nbformat.read(path, as_version=4), path.stem)
    assert not found, f"{path.name}: " + "; ".join(found)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_run_times_holds_a_full_size_and_a_smoke_time_of_the_chapter(path):
    times = plan.run_times(path.stem)
    for mode in plan.MODES:
        assert times[mode]["seconds"] > 0 and times[mode]["cpus"] >= 1 and times[mode]["machine"], times


# --- the checks catch what they should -------------------------------------------------------

def _chapter(box: str, sections: dict[str, int], glue_cell='plan.glue_run_times("09-x")'):
    cells = [nbformat.v4.new_markdown_cell("# 9. A chapter\n\n" + "intro " * 10),
             nbformat.v4.new_markdown_cell(box), nbformat.v4.new_code_cell(glue_cell)]
    cells += [nbformat.v4.new_markdown_cell(f"## {h}\n\n" + "word " * n) for h, n in sections.items()]
    return nbformat.v4.new_notebook(cells=cells)


_TIMES = "- **Run time:** {glue:text}`plan_full_min:.0f` min, {glue:text}`plan_smoke_s:.0f` s"


def test_a_good_plan_passes_and_its_parts_are_read():
    box = (f"{plan.BOX_START}: two lectures.\n\n- **Lecture 1, core:** § 9.1 One; § 9.2 Two, with a comma\n"
           f"- **Lecture 2, core:** Summary\n- **Optional:** § 9.3 Three\n{_TIMES}")
    nb = _chapter(box, {"9.1 One": 100, "9.2 Two, with a comma": 100, "9.3 Three": 3000, "Summary": 50})
    assert problems(nb, "09-x") == []
    assert plan.lectures(box) == [["9.1 One", "9.2 Two, with a comma"], ["Summary"]]
    assert plan.optional(box) == ["9.3 Three"]
    assert plan.sections(nb)[""] == 13 + 0  # "9. A chapter" and ten words; the box is not prose
    assert plan.optional("- **Optional:** none") == []


def test_a_missing_section_a_forgotten_one_an_overfull_lecture_and_a_wrong_glue_cell_are_caught():
    box = f"{plan.BOX_START}: one lecture.\n\n- **Core:** § 9.1 One; § 9.9 Gone\n{_TIMES}"
    nb = _chapter(box, {"9.1 One": 2700, "9.2 Two": 10}, glue_cell='plan.glue_run_times("01-fitting")')
    found = " | ".join(problems(nb, "09-x"))
    for part in ("'9.9 Gone', which is no ## heading", "'9.2 Two' is not in the box",
                 "lecture 1 holds", 'glue_run_times("09-x")'):
        assert part in found, found
    nb.cells.pop(1)
    assert problems(nb, "09-x") == [
        f"no lecture plan box right after the title (a markdown cell starting {plan.BOX_START!r})"]


def test_prose_words_leave_out_code_math_links_and_count_a_glue_role_once():
    text = ("## 1.1 A heading\n\nThe fit's value is {glue:text}`m_z:.2f` GeV, see [the docs](https://x.org/a-b).\n"
            "$$\\int f\\,dx$$ and $m_{\\mu\\mu}$ stay out.\n```python\nnot = counted + at_all\n```\n"
            "<!-- a comment -->\n:::{note}\nA note counts.\n:::\n")
    assert plan.prose_words(text) == 19  # 4 in the heading ("1", "1", "A", "heading"), 12, 3


def test_a_heading_in_the_middle_of_a_cell_starts_its_section():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T\n\nintro\n## 1.1 A\n\none two\n## 1.2 B\n\nthree"),
                                         nbformat.v4.new_markdown_cell("### Problem 1\n\nfour five")])
    assert plan.sections(nb) == {"": 2, "1.1 A": 2, "1.2 B": 5}


def test_run_times_names_the_file_and_the_script_when_a_time_is_missing(tmp_path):
    path = tmp_path / "run-times.json"
    with pytest.raises(FileNotFoundError, match="run-times.json is missing.*benchmarks/chapter_times.py"):
        plan.run_times("04-pid", path)
    path.write_text(json.dumps({"04-pid": {"smoke": {"seconds": 9.5, "cpus": 2, "machine": "m", "date": "d"}}}))
    with pytest.raises(KeyError, match="no full run time of chapter '04-pid'.*chapter_times.py"):
        plan.run_times("04-pid", path)
    values = plan.glued_values("04-pid", path)  # the first build: what is measured, NaN for the rest
    assert values["plan_smoke_s"] == 9.5 and math.isnan(values["plan_full_min"]) and values["plan_cpus"] == 0


def test_glue_run_times_glues_minutes_seconds_and_cores(tmp_path):
    path = tmp_path / "run-times.json"
    entry = {"seconds": 90.0, "cpus": 2, "machine": "2-core X", "date": "2026-12-01"}
    path.write_text(json.dumps({"04-pid": {"full": entry, "smoke": dict(entry, seconds=12.0)}}))
    plan.glue_run_times("04-pid", path)
    assert {k: prose.GLUED[k] for k in ("plan_full_min", "plan_smoke_s", "plan_cpus")} == \
        {"plan_full_min": 1.5, "plan_smoke_s": 12.0, "plan_cpus": 2}


# --- benchmarks/chapter_times.py on a jupyter-cache made here --------------------------------

def _chapter_times():
    spec = importlib.util.spec_from_file_location("chapter_times", REPO / "benchmarks" / "chapter_times.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chapter_times_fills_run_times_from_the_book_cache_and_patches_the_cached_glue(tmp_path, capsys):
    pytest.importorskip("jupyter_cache")
    from jupyter_cache import get_cache

    chapter_times = _chapter_times()
    build, out = tmp_path / "_build", tmp_path / "run-times.json"
    notebook = tmp_path / "04-pid.ipynb"
    glue_cell = nbformat.v4.new_code_cell('plan.glue_run_times("04-pid")')
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 3. PID"), glue_cell]), notebook)
    executed = nbformat.read(notebook, as_version=4)
    executed.cells[1].outputs = [nbformat.v4.new_output(
        "display_data", data={"application/papermill.record/text/plain": "nan"},
        metadata={"scrapbook": {"name": "plan_full_min", "mime_prefix": "application/papermill.record/"}})]
    executed_path = tmp_path / "executed.ipynb"
    nbformat.write(executed, executed_path)
    build.mkdir()
    assert chapter_times.main(["--build", str(build), "--out", str(out)]) == 1  # no cache yet
    cache = get_cache(str(build / ".jupyter_cache"))
    cache.add_nb_to_project(str(notebook))
    cache.cache_notebook_file(str(executed_path), uri=str(notebook), data={"execution_seconds": 75.0},
                              check_validity=False)
    for mode, seconds in (("smoke", 75.0), ("full", 75.0)):
        (build / ".cache-mode").write_text(mode + "\n")
        assert chapter_times.main(["--build", str(build), "--out", str(out)]) == 0
        times = json.loads(out.read_text())["04-pid"]
        assert times[mode]["seconds"] == seconds and times[mode]["cpus"] >= 1 and times[mode]["date"]
    assert set(times) == {"full", "smoke"}  # the second mode's run kept the first's
    record = cache.get_cached_project_nb(str(notebook))
    patched = nbformat.read(cache._get_notebook_path_cache(record.hashkey), as_version=4)
    outputs = [o for cell in patched.cells for o in cell.get("outputs", [])]  # the cache keeps code cells only
    assert [o["data"] for o in outputs] == [{"application/papermill.record/text/plain": repr(75.0 / 60)}]
    assert "04-pid" in capsys.readouterr().out
