"""The layout of a chapter's slides, computed from its notebook: the one rule that both the
slide builder (:mod:`.slides`) and the budget test (``tests/test_slides.py``) use.

The rule (nothing in the stored notebook changes; the builder edits a copy):

- a ``#`` or ``##`` heading starts a slide and a ``###`` heading a sub-slide, wherever it sits
  in a markdown cell (the cell is split there; ``#`` lines inside fenced code do not count);
- a slide shows at most :data:`WORDS` words of prose, or one figure and at most
  :data:`WORDS_WITH_FIGURE`; it holds at most :data:`ROWS` rows of height (a row is one line
  of code; prose, headings and figures count as the rows they take on the screen);
- prose: the paragraphs (then sentences, or list items) of a cell that fit stay on the slide,
  the rest of that cell goes to the speaker notes (reveal.js: press ``S``). A paragraph that
  does not fit below code or a figure starts a continuation sub-slide ("... (continued)");
- code: long lines wrap on the slide (the builder's CSS), and a cell longer than
  :data:`CODE_ROWS` rows shows its first lines and a ``# ...`` marker, the whole cell sits in
  the notes. Code that does not fit under what is already on the slide starts a continuation;
- outputs: text longer than :data:`OUTPUT_ROWS` lines is shortened (head, a marker, tail);
  one figure per slide: a figure that does not fit (a figure already there, more than
  :data:`WORDS_WITH_FIGURE` words, or no height left) moves to a continuation sub-slide of
  its own. In a notebook stored without outputs, a code cell that draws (``plt.``, ``plot.``,
  ``.plot(``, ``hepcourse.plot``) counts as one figure;
- solution cells are skipped; a ``discussion`` cell (a problem's answer) goes to the notes;
  glue roles (``{glue:text}`name:.3f```) show the glued value of an executed notebook.

:func:`layout` returns the slide notebook and its :class:`Slide` list; :func:`slide_plan`
only the list. ``fit=False`` gives the plan of the notebook exported as it is (slides only
where a cell begins with a heading, everything visible): what the builder did before.
"""
from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field

from .notebooks import _nbformat, is_solution

WORDS = 120
WORDS_WITH_FIGURE = 60
ROWS = 24            # slide height, in lines of code (1280 x 720 slide, CSS in slide_style)
CODE_COLUMNS = 96    # characters of code per line before it wraps
PROSE_COLUMNS = 78   # characters of prose per line
PROSE_ROW = 1.4      # a line of prose is this many code lines high
FIGURE_ROWS = 13     # a figure beside code, at most 300 px high
FIGURE_ALONE_ROWS = 16  # a figure moved to a slide of its own, at most 380 px high
CODE_ROWS = 16       # longest code cell shown whole; longer ones are collapsed
OUTPUT_ROWS = 8      # longest text output shown whole
HEADING_ROWS = {1: 3.2, 2: 2.8, 3: 2.4, 4: 2.0}
OUTPUT_ONLY = "hepcourse-output-only"   # a cell that shows a moved figure; its input is removed
FIGURE_CALL = re.compile(r"plt\.|plot\.|\.plot\(|hepcourse\.plot")
IMAGES = ("image/png", "image/jpeg", "image/svg+xml")
_HEADING = re.compile(r"^(#{1,3})\s+(\S.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_GLUE = re.compile(r"\{glue(?::\w+)?\}`([A-Za-z_]\w*)(?::([^`]*))?`")


@dataclass
class Slide:
    """One slide as the audience sees it. level: 1 or 2 (a top-level slide, from ``#``/``##``),
    3 (a sub-slide from ``###``), 0 (a continuation sub-slide); ``h``/``v``: its reveal.js
    position (``deck.html#/h/v``); words, figures, code_lines (visible code and text output,
    wrapped lines) and rows (height) are what is visible; notes_words is in the notes."""

    title: str
    level: int
    top: bool = True
    h: int = 0
    v: int = 0
    words: int = 0
    figures: int = 0
    code_lines: int = 0
    rows: float = 0.0
    notes_words: int = 0
    cells: list = field(default_factory=list)

    def budget(self) -> int:
        return WORDS_WITH_FIGURE if self.figures else WORDS


def heading(line: str) -> tuple[int, str] | None:
    """(level, title) of a ``#``..``###`` markdown heading line, else None."""
    match = _HEADING.match(line)
    return (len(match.group(1)), match.group(2).strip()) if match else None


def split_markdown(source: str) -> list[str]:
    """``source`` cut before every ``#``/``##``/``###`` heading outside fenced code."""
    pieces, current, fenced = [], [], False
    for line in source.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        if not fenced and heading(line) and any(s.strip() for s in current):
            pieces.append("\n".join(current).strip("\n"))
            current = []
        current.append(line)
    if any(s.strip() for s in current):
        pieces.append("\n".join(current).strip("\n"))
    return pieces


def _blocks(text: str) -> list[str]:
    """Paragraphs of markdown ``text``: split at blank lines outside fences and ``$$`` math."""
    blocks, current, fenced, math_ = [], [], False, False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        if line.strip().startswith("$$") and not fenced:
            math_ = not math_ if line.strip().count("$$") == 1 else math_
        if not line.strip() and not fenced and not math_:
            if current:
                blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _wrapped(lines: list[str], columns: int) -> int:
    return sum(max(1, math.ceil(len(line.expandtabs(4)) / columns)) for line in lines)


def words(text: str) -> int:
    """Words of prose in markdown ``text``: fenced code and display math do not count, inline
    math counts as one word."""
    text = re.sub(r"```.*?```|~~~.*?~~~|\$\$.*?\$\$", " ", text, flags=re.DOTALL)
    text = re.sub(r"\$[^$]+\$", " x ", text)
    return len(re.findall(r"[^\s#*>|`_-]+", text))


def _measure(block: str) -> tuple[int, float, int, int]:
    """(words, rows, code lines, figures) of one markdown block on a slide."""
    lines = block.splitlines()
    head = heading(lines[0]) if lines else None
    if lines and lines[0].startswith("####"):
        return words(block), HEADING_ROWS[4], 0, 0
    if head:
        return words(block), HEADING_ROWS[head[0]], 0, 0
    if _FENCE.match(lines[0]):
        code = [line for line in lines if not _FENCE.match(line)]
        return 0, _wrapped(code, CODE_COLUMNS) + 1.0, _wrapped(code, CODE_COLUMNS), 0
    if block.strip().startswith("$$"):
        return words(block), 1.0 + 2.2 * max(1, block.count("\\\\") + 1), 0, 0
    figures = block.count("![")
    if all(line.lstrip().startswith("|") for line in lines):
        return words(block), 1.6 * len(lines), 0, figures
    items = re.split(r"\n(?=\s*(?:[-*+]|\d+\.)\s)", block)
    text_lines = sum(max(1, math.ceil(len(" ".join(item.split())) / PROSE_COLUMNS)) for item in items)
    return words(block), PROSE_ROW * text_lines + 0.6 + FIGURE_ROWS * figures, 0, figures


def _sentences(block: str) -> tuple[list[str], str]:
    """``(parts, joiner)``: ``block`` cut into list items (joined by a newline), or into
    sentences (joined by a space; never cut inside ``$...$`` math)."""
    items = re.split(r"\n(?=\s*(?:[-*+]|\d+\.)\s)", block)
    if len(items) > 1:
        return items, "\n"
    parts, start = [], 0
    for match in re.finditer(r"(?<=[.!?:])\s+(?=[A-Z(*])", block):
        if block[start:match.start()].count("$") % 2 == 0 and block[:match.start()].count("$") % 2 == 0:
            parts.append(block[start:match.start()])
            start = match.end()
    return parts + [block[start:]], " "


def glue_values(nb) -> dict:
    """name: text of every value glued (myst-nb ``glue``) in the outputs of ``nb``."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            book = output.get("metadata", {}).get("scrapbook")
            if book and "name" in book:
                data = output.get("data", {})
                values[book["name"]] = data.get(book.get("mime_prefix", "") + "text/plain",
                                                data.get("text/plain", ""))
    return values


def fill_glue(text: str, values: dict) -> str:
    """``{glue:text}`name:fmt``` roles replaced by the glued value (formatted with ``fmt``),
    or by ``‹name›`` where the notebook was not executed."""
    import ast

    def one(match):
        name, spec = match.group(1), match.group(2) or ""
        if name not in values:
            return f"‹{name}›"
        try:
            return format(ast.literal_eval(values[name]), spec)
        except (ValueError, SyntaxError, TypeError):
            return str(values[name]).strip("'\"")
    return _GLUE.sub(one, text)


def _table_columns(html: str) -> int:
    """Characters across the widest row of an HTML table (cell texts plus 3 per cell)."""
    widest = 0
    for row in re.findall(r"<tr.*?</tr>", html, re.DOTALL):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
        widest = max(widest, sum(len(re.sub(r"<[^>]+>", "", c).strip()) + 3 for c in cells))
    return widest


def _text(output) -> str | None:
    """The text an output shows (stream, plain-text result, error), or None for a figure or
    an HTML table small enough for the slide."""
    if output.output_type == "stream":
        return output.get("text", "")
    if output.output_type == "error":
        return f"{output.get('ename', '')}: {output.get('evalue', '')}"
    data = output.get("data", {})
    if any(kind in data for kind in IMAGES):
        return None
    html = data.get("text/html", "")
    if html and html.count("<tr") <= OUTPUT_ROWS and _table_columns(html) <= CODE_COLUMNS:
        return None
    return data.get("text/plain", "")


def terminal(text: str) -> str:
    """``text`` as a terminal shows it: of a line rewritten with carriage returns (a progress
    bar), only its last state."""
    lines = []
    for line in text.split("\n"):
        states = [state for state in line.split("\r") if state.strip()]
        lines.append(states[-1] if states else "")
    return "\n".join(lines)


def merge_streams(outputs: list) -> list:
    """``outputs`` with consecutive stream outputs of the same name joined (copies)."""
    merged = []
    for output in outputs:
        output = copy.deepcopy(output)
        last = merged[-1] if merged else None
        if output.output_type == "stream" and last is not None and last.output_type == "stream" \
                and last.get("name") == output.get("name"):
            last["text"] = last.get("text", "") + output.get("text", "")
        else:
            merged.append(output)
    return merged


def shorten(text: str, rows: int = OUTPUT_ROWS) -> str:
    """``text`` (as a terminal shows it) cut to at most ``rows`` wrapped lines: its first
    lines, a marker, the last line."""
    lines = terminal(text).strip("\n").splitlines()
    if _wrapped(lines, CODE_COLUMNS) <= rows:
        return "\n".join(lines) + "\n"
    head = []
    for line in lines:
        if _wrapped(head + [line], CODE_COLUMNS) > rows - 2:
            break
        head.append(line)
    more = len(lines) - len(head) - 1
    marker = f"... ({more} more line{'s' if more != 1 else ''})"
    return "\n".join(head + [marker, lines[-1][:CODE_COLUMNS - 1]]) + "\n"


def _cell(nbf, kind: str, source: str, slide_type: str, **metadata):
    cell = nbf.v4.new_markdown_cell(source) if kind == "markdown" else nbf.v4.new_code_cell(source)
    cell.metadata.update(metadata)
    cell.metadata["slideshow"] = {"slide_type": slide_type}
    return cell


def layout(nb, fit: bool = True):
    """``(slide_notebook, slides)``: a copy of ``nb`` cut and annotated for reveal.js by the rule
    in the module docstring, and the list of :class:`Slide` it shows (in order). ``nb`` itself
    is not changed. fit=False: the notebook as it is (see the module docstring)."""
    from .slide_pack import Packer

    return Packer(_nbformat(), glue_values(nb), fit).run(copy.deepcopy(nb))


def slide_plan(nb, fit: bool = True) -> list[Slide]:
    """The slides of ``nb`` (see :func:`layout`)."""
    return layout(nb, fit)[1]


def draws(cell) -> bool:
    """A stored code cell (no outputs) that draws a figure."""
    return not cell.get("outputs") and bool(FIGURE_CALL.search(cell.source)) and not is_solution(cell)
