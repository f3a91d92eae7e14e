"""The slides work on a projector: every section heading starts a slide and every
sub-heading a sub-slide, wherever it sits in a cell; no slide holds more than its budget
(words, one figure, rows of height); every deck opens offline in headless Chromium with
as many slides as the plan, none taller or wider than the slide.

The budget is checked on :func:`slide_plan`, the same layout the builder exports."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from hepcourse.course import slides
from hepcourse.course.notebooks import instructor_only, is_solution, read
from hepcourse.course.slide_plan import (
    CODE_ROWS,
    OUTPUT_ROWS,
    ROWS,
    WORDS,
    WORDS_WITH_FIGURE,
    layout,
    slide_plan,
    words,
)

REPO = Path(__file__).resolve().parent.parent
DECKS = [p for p in sorted((REPO / "notebooks").glob("*.ipynb")) if not instructor_only(read(p))]
EXECUTED = sorted((REPO / "book" / "_build" / "jupyter_execute" / "notebooks").glob("*.ipynb"))
SCREENSHOTS = REPO / "build" / "slides-screenshots"
VENDOR = REPO / "build" / "vendor"
nbf = nbformat.v4


def budget_problems(plan) -> list[str]:
    """Every slide over its budget, in words."""
    problems = []
    for s in plan:
        where = f"slide {s.h}/{s.v} {s.title!r}"
        if s.figures > 1:
            problems.append(f"{where}: {s.figures} figures")
        budget = WORDS_WITH_FIGURE if s.figures else WORDS
        if s.words > budget:
            problems.append(f"{where}: {s.words} words visible (at most {budget})")
        if s.rows > ROWS or s.code_lines > ROWS:
            problems.append(f"{where}: {s.rows:.0f} rows high, {s.code_lines} lines of code (at most {ROWS})")
    return problems


def headings(nb) -> list[tuple[int, str]]:
    """(level, title) of every #, ## and ### heading of the notebook's prose, in order."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown" or is_solution(cell) or "discussion" in cell.metadata.get("tags", []):
            continue
        fenced = False
        for line in cell.source.splitlines():
            fenced ^= line.lstrip().startswith(("```", "~~~"))
            match = re.match(r"(#{1,3})\s+(\S.*)$", line)
            if match and not fenced:
                found.append((len(match.group(1)), match.group(2).strip()))
    return found


def heading_problems(nb, fit: bool = True) -> list[str]:
    """Headings that do not title a slide of their kind in the exported slide notebook."""
    deck, plan = layout(nb, fit)
    wanted_top = [t for level, t in headings(nb) if level <= 2]
    wanted_sub = [t for level, t in headings(nb) if level == 3]
    top = [s.title for s in plan if s.top and s.level in (1, 2)]
    sub = [s.title for s in plan if not s.top and s.level == 3]
    problems = [f"section {t!r} does not start a slide" for t in wanted_top if t not in top]
    problems += [f"sub-section {t!r} does not start a sub-slide" for t in wanted_sub if t not in sub]
    if top != wanted_top or sub != wanted_sub:
        problems.append(f"slide titles {top + sub} differ from the headings {wanted_top + wanted_sub}")
    for s in plan:  # what is exported: the slide's first cell is its heading
        first = deck.cells[s.cells[0]]
        kind = first.metadata["slideshow"]["slide_type"]
        if kind != ("slide" if s.top else "subslide"):
            problems.append(f"slide {s.title!r} opens with a cell of slide_type {kind!r}")
        if s.level and not re.match(r"#{1,3}\s+" + re.escape(s.title), first.source):
            problems.append(f"slide {s.title!r} does not open with its heading")
    return problems


def crafted():
    """A notebook with the three faults: a 300-word cell, headings mid-cell, 60 lines of code."""
    prose = " ".join(f"Sentence {i} of this paragraph has twelve words, said the lecturer." for i in range(25))
    code = "\n".join(f"value_{i} = {i} * 2  # line {i} of a cell wider than the slide " + "x" * 80
                     for i in range(60))
    nb = nbf.new_notebook()
    nb.cells = [nbf.new_markdown_cell("# Crafted\n\nA short intro."),
                nbf.new_markdown_cell("## A. First section\n\n" + prose),
                nbf.new_markdown_cell("Prose before.\n\n## B. Mid-cell section\n\nText.\n\n"
                                      "### B.1 Mid-cell sub-section\n\nMore text."),
                nbf.new_code_cell(code)]
    return nb


@pytest.mark.parametrize("path", DECKS + EXECUTED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_slide_keeps_its_budget(path):
    assert budget_problems(slide_plan(read(path))) == []


@pytest.mark.parametrize("path", DECKS, ids=lambda p: p.stem)
def test_every_heading_starts_a_slide(path):
    assert heading_problems(read(path)) == []


def test_the_slide_checks_catch_an_overfull_notebook():
    nb = crafted()
    as_is = budget_problems(slide_plan(nb, fit=False))  # what the builder did before
    assert any("words visible" in p for p in as_is), as_is
    assert any("lines of code" in p for p in as_is), as_is
    assert "section 'B. Mid-cell section' does not start a slide" in heading_problems(nb, fit=False)
    assert "sub-section 'B.1 Mid-cell sub-section' does not start a sub-slide" in heading_problems(nb, fit=False)
    # the builder's layout fixes all three
    plan = slide_plan(nb)
    assert budget_problems(plan) == [] and heading_problems(nb) == []
    section_a = [s for s in plan if s.title.startswith("A. First section")]
    assert WORDS - 20 <= section_a[0].words <= WORDS, "the first sentences stay visible"
    prose = words(nb.cells[1].source)
    assert prose >= 250 and sum(s.notes_words for s in section_a) >= prose - WORDS, "the rest is in the notes"
    deck, plan = layout(nb)
    code = [c for c in deck.cells if c.cell_type == "code"]
    shown = [c for c in code if c.metadata["slideshow"]["slide_type"] != "notes"]
    assert len(shown[0].source.splitlines()) <= CODE_ROWS and "speaker notes" in shown[0].source
    assert [c.source for c in code if c.metadata["slideshow"]["slide_type"] == "notes"] == [nb.cells[-1].source]


def test_figures_one_per_slide_in_stored_and_executed_notebooks():
    stored = nbf.new_notebook()
    stored.cells = [nbf.new_markdown_cell("## Plots\n\n" + "Some words. " * 20),
                    nbf.new_code_cell("plt.plot(x, y)"), nbf.new_code_cell("hepcourse.plot.roc(y, s)"),
                    nbf.new_code_cell("print('no figure')")]
    plan = slide_plan(stored)
    assert [s.figures for s in plan] == [1, 1], "the second drawing cell goes to a slide of its own"
    executed = nbf.new_notebook()
    image = nbf.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    cell = nbf.new_code_cell("for k in range(2):\n    plt.plot(x[k])\n    plt.show()\nprint(long)",
                             outputs=[image, image, nbf.new_output("stream", name="stdout",
                                                                   text="".join(f"line {i}\n" for i in range(200)))])
    executed.cells = [nbf.new_markdown_cell("## Two figures"), cell]
    deck, plan = layout(executed)
    assert max(s.figures for s in plan) == 1 and sum(s.figures for s in plan) == 2
    assert budget_problems(plan) == []
    images = [o for c in deck.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 2, "both figures are shown, each on its own slide"
    text = next(o["text"] for c in deck.cells for o in c.get("outputs", []) if o.output_type == "stream")
    assert len(text.splitlines()) <= OUTPUT_ROWS and "more lines" in text and "line 199" in text


def test_glued_numbers_and_solutions_on_slides():
    nb = nbf.new_notebook()
    glue = nbf.new_output("display_data", data={"application/papermill.record/text/plain": "0.91234"},
                          metadata={"scrapbook": {"name": "auc", "mime_prefix": "application/papermill.record/"}})
    solution = nbf.new_code_cell("answer = 42")
    solution.metadata["tags"] = ["solution"]
    discussion = nbf.new_markdown_cell("The answer is 42.")
    discussion.metadata["tags"] = ["discussion"]
    nb.cells = [nbf.new_markdown_cell("## Result\n\nThe AUC is {glue:text}`auc:.2f`."),
                nbf.new_code_cell("glue('auc', auc)", outputs=[glue]), solution, discussion]
    deck, _ = layout(nb)
    kinds = {c.source: c.metadata["slideshow"]["slide_type"] for c in deck.cells}
    assert "## Result\n\nThe AUC is 0.91." in kinds
    assert kinds["answer = 42"] == "skip" and kinds["The answer is 42."] == "notes"
    assert not any(c.get("outputs") for c in deck.cells if c.cell_type == "code"), "glue outputs stay hidden"


def _browser():
    if shutil.which("chromium") is None:
        pytest.skip("needs Debian's chromium (.ci/run installs it)")
    if not (VENDOR / ".done").exists():
        pytest.skip("run `make build/vendor/.done` first (npm)")


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    _browser()
    executed = {p.name: p for p in EXECUTED}
    sources = [executed.get(p.name, p) for p in DECKS]  # the executed copy where the book made one
    built = slides.build_slides(sources, tmp_path_factory.mktemp("slides"), VENDOR)
    return {d.name.removesuffix(".slides.html"): (d, src) for d, src in zip(built, sources)}


@pytest.mark.parametrize("name", [p.stem for p in DECKS])
def test_every_deck_opens_offline_and_fits(decks, name):
    deck, source = decks[name]
    assert slides.external_urls(deck.read_text()) == []
    plan = slide_plan(read(source))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    result = slides.check_slides(deck, shot, slides.showcase(slides.deck_plan(deck.read_text())))
    assert result["ready"], "reveal.js did not start without network"
    assert result["total"] == result["planned"] == len(plan)
    assert result["slides"] == sum(s.top for s in plan)
    assert result["overflow"] == [], "slides taller or wider than the screen"
    assert shot.stat().st_size > 10_000


def test_the_browser_check_catches_an_overfull_deck(tmp_path):
    _browser()
    path = tmp_path / "crafted.ipynb"
    nbformat.write(crafted(), str(path))
    deck = slides.build_slides([path], tmp_path / "as-is", VENDOR, fit=False)[0]
    with pytest.raises(RuntimeError, match=r"crafted: .*'overflow': \['1/0 \d+px high"):
        slides.screenshot_decks([deck], tmp_path / "shots")  # what `make slides` runs
    assert (tmp_path / "shots" / "crafted.png").stat().st_size > 10_000
