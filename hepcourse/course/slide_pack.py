"""The packer behind :func:`hepcourse.course.slide_plan.layout`: walks the cells of a
notebook once and fills slides by the rule described in :mod:`.slide_plan`."""
from __future__ import annotations

import copy

from .notebooks import is_discussion, is_solution
from .slide_plan import (
    CODE_COLUMNS,
    CODE_ROWS,
    FIGURE_ALONE_ROWS,
    FIGURE_ROWS,
    HEADING_ROWS,
    IMAGES,
    OUTPUT_ONLY,
    ROWS,
    WORDS,
    WORDS_WITH_FIGURE,
    Slide,
    _blocks,
    _cell,
    _measure,
    _sentences,
    _text,
    _wrapped,
    draws,
    fill_glue,
    heading,
    merge_streams,
    shorten,
    split_markdown,
    words,
)

_MARKER = "# ... {n} more lines: the whole cell is in the speaker notes (press S)"


class Packer:
    """One pass over a notebook's cells; ``run(nb)`` returns ``(nb, slides)``."""

    def __init__(self, nbformat, glued: dict, fit: bool):
        self.nbf, self.glued, self.fit = nbformat, glued, fit
        self.cells: list = []
        self.slides: list[Slide] = []
        self.pending = None       # slide_type of the next visible cell ("slide"/"subslide")
        self.content = False      # the current slide shows more than its title

    # -- slides -------------------------------------------------------------------------
    @property
    def cur(self) -> Slide | None:
        return self.slides[-1] if self.slides else None

    def start(self, title: str, level: int):
        top = level in (1, 2) or not self.slides
        self.slides.append(Slide(title=title, level=level, top=top))
        self.pending, self.content = ("slide" if top else "subslide"), False

    def continuation(self):
        titled = [s.title for s in self.slides if s.level and s.title]
        base = titled[-1] if titled else ""
        self.start(f"{base} (continued)" if base else "", 0)
        if base:
            title = f"#### {self.cur.title}"
            self.add(words(title), HEADING_ROWS[4])
            self.content = False
            self.emit(_cell(self.nbf, "markdown", title, "-"))

    def add(self, words_: int = 0, rows: float = 0.0, lines: int = 0, figures: int = 0):
        slide = self.cur
        slide.words += words_
        slide.rows += rows
        slide.code_lines += lines
        slide.figures += figures
        self.content = True

    def fits(self, words_: int, rows: float, figures: int = 0) -> bool:
        slide = self.cur
        figures += slide.figures
        budget = WORDS_WITH_FIGURE if figures else WORDS
        return figures <= 1 and slide.words + words_ <= budget and slide.rows + rows <= ROWS

    def emit(self, cell, visible: bool = True):
        """Append ``cell``; a visible cell opens the slide started last."""
        if visible:
            if self.cur is None:
                self.start("", 1)
            if self.pending:
                cell.metadata["slideshow"] = {"slide_type": self.pending}
                self.pending = None
            self.cur.cells.append(len(self.cells))
        self.cells.append(cell)

    def notes(self, kind: str, source: str, **metadata):
        cell = _cell(self.nbf, kind, source, "notes", **metadata)
        if self.cur is not None:
            self.cur.notes_words += words(source) if kind == "markdown" else len(source.split())
        self.cells.append(cell)

    # -- cells --------------------------------------------------------------------------
    def run(self, nb):
        for cell in nb.cells:
            if is_solution(cell):
                cell.metadata["slideshow"] = {"slide_type": "skip"}
                self.cells.append(cell)
            elif is_discussion(cell):
                self.notes("markdown", fill_glue(cell.source, self.glued))
            elif cell.cell_type == "markdown":
                pieces = split_markdown(cell.source) if self.fit else [cell.source]
                for piece in pieces:
                    (self.markdown if self.fit else self.markdown_as_is)(fill_glue(piece, self.glued))
            elif cell.cell_type == "code":
                (self.code if self.fit else self.code_as_is)(cell)
            else:
                cell.metadata["slideshow"] = {"slide_type": "-"}
                self.emit(cell)
        h, v = -1, 0
        for slide in self.slides:
            h, v = (h + 1, 0) if slide.top else (h, v + 1)
            slide.h, slide.v = h, v
        nb.cells = self.cells
        return nb, self.slides

    def markdown(self, text: str):
        blocks = _blocks(text)
        if not blocks:
            return
        head = heading(blocks[0].splitlines()[0])
        visible, noted = [], []
        if head:
            first, _, rest = blocks[0].partition("\n")
            blocks = [first] + ([rest] if rest.strip() else []) + blocks[1:]
            self.start(head[1], head[0])
            visible.append(blocks.pop(0))
            self.add(*_measure(visible[0])[:2])
            self.content = False
        for block in blocks:
            if noted:
                noted.append(block)
                continue
            w, rows, lines, figures = _measure(block)
            if self.cur is None or (not visible and self.content and not self.fits(w, rows, figures)
                                    and rows <= ROWS - 3):
                self.continuation()  # below code or a figure: the paragraph starts a new slide
            if self.fits(w, rows, figures):
                visible.append(block)
                self.add(w, rows, lines, figures)
                continue
            shown, rest = self._cut(block)
            if shown:
                visible.append(shown)
                self.add(*_measure(shown))
            noted.append(rest)
        if visible:
            self.emit(_cell(self.nbf, "markdown", "\n\n".join(visible), "-"))
        if noted:
            self.notes("markdown", "\n\n".join(noted))

    def _cut(self, block: str) -> tuple[str, str]:
        """The part of ``block`` that still fits on the slide, and the rest."""
        lines = block.splitlines()
        if lines and lines[0].lstrip().startswith(("```", "~~~")):
            code = lines[1:-1] if len(lines) > 2 else lines[1:]
            head = []
            while code[len(head):] and self.fits(0, _wrapped(head + [code[len(head)]], CODE_COLUMNS) + 3):
                head.append(code[len(head)])
            if not head:
                return "", block
            more = _MARKER.format(n=len(code) - len(head))
            return "\n".join([lines[0], *head, more, "```"]), block
        parts, joiner = _sentences(block)
        taken = 0
        while taken < len(parts):
            w, rows, _, figures = _measure(joiner.join(parts[:taken + 1]))
            if not self.fits(w, rows, figures):
                break
            taken += 1
        return joiner.join(parts[:taken]), joiner.join(parts[taken:])

    def _outputs(self, cell) -> list[tuple]:
        """``(output or None, rows, lines, is_figure)`` of what a code cell shows: glued values
        dropped, streams merged, text shortened; a stored cell that draws gives ``None``."""
        items = []
        for output in merge_streams(cell.get("outputs", [])):
            if "scrapbook" in output.get("metadata", {}):
                continue  # a glued value: the book shows it in the prose only
            data = output.get("data", {})
            if any(kind in data for kind in IMAGES):
                items.append((output, FIGURE_ROWS, 0, True))
                continue
            text = _text(output)
            if text is None:  # a small HTML table
                items.append((output, 1.3 * data["text/html"].count("<tr") + 1, 0, False))
                continue
            text = shorten(text)
            if output.output_type == "stream":
                output["text"] = text
            elif output.output_type == "error":
                output = self.nbf.v4.new_output("stream", name="stderr", text=text)
            else:
                data.pop("text/html", None)
                data["text/plain"] = text
            lines = _wrapped(text.rstrip("\n").splitlines(), CODE_COLUMNS)
            items.append((output, lines + 0.5, lines, False))
        if draws(cell):
            items.append((None, FIGURE_ROWS, 0, True))
        return items

    def _place(self, rows: float, lines: int, figure: bool, alone: bool = False) -> bool:
        """Add an output to the current slide if it fits there; False if it does not."""
        if figure:
            rows = FIGURE_ALONE_ROWS if alone else rows
            if not self.fits(0, rows, 1):
                return False
        elif self.cur.rows + rows > ROWS:
            return False
        self.add(0, rows, lines, int(figure))
        return True

    def code(self, cell):
        items = self._outputs(cell)
        lines = cell.source.splitlines()
        collapsed = _wrapped(lines, CODE_COLUMNS) > CODE_ROWS
        if collapsed:
            head = []
            while _wrapped(head + [lines[len(head)]], CODE_COLUMNS) <= CODE_ROWS - 1:
                head.append(lines[len(head)])
            lines = head + [_MARKER.format(n=len(lines) - len(head))]
        shown_lines = _wrapped(lines, CODE_COLUMNS)
        if self.cur is None or (self.content and self.cur.rows + shown_lines + 1.0 > ROWS):
            self.continuation()
        self.add(0, shown_lines + 1.0, shown_lines)
        kept = 0
        while kept < len(items) and self._place(*items[kept][1:]):
            kept += 1
        shown = copy.deepcopy(cell)
        shown.source = "\n".join(lines)
        shown.outputs = [output for output, *_ in items[:kept] if output is not None]
        shown.metadata["slideshow"] = {"slide_type": "-"}
        self.emit(shown)
        if collapsed:
            self.notes("code", cell.source)
        only = None  # the outputs that did not fit go on slides of their own, in order
        for output, rows, lines_, figure in items[kept:]:
            if only is None or not self._place(rows, lines_, figure, alone=True):
                if only is not None:
                    self.emit(only)
                self.continuation()
                if not self._place(rows, lines_, figure, alone=True):
                    self.add(0, rows, lines_, int(figure))  # taller than a slide: the test says so
                only = _cell(self.nbf, "code", "", "-", tags=[OUTPUT_ONLY])
            if output is not None:
                only.outputs.append(output)
        if only is not None:
            self.emit(only)

    # -- fit=False: the notebook as it is ------------------------------------------------
    def markdown_as_is(self, text: str):
        head = heading(text.lstrip().split("\n", 1)[0])
        if head:
            self.start(head[1], head[0])
        elif self.cur is None:
            self.start("", 1)
        for block in _blocks(text):
            self.add(*_measure(block))
        self.emit(_cell(self.nbf, "markdown", text, "-"))

    def code_as_is(self, cell):
        if self.cur is None:
            self.start("", 1)
        lines = _wrapped(cell.source.splitlines(), CODE_COLUMNS)
        figures = 0
        for output in cell.get("outputs", []):
            if any(kind in output.get("data", {}) for kind in IMAGES):
                figures += 1
            elif "scrapbook" not in output.get("metadata", {}):
                lines += _wrapped((_text(output) or "").splitlines(), CODE_COLUMNS)
        figures = figures or int(draws(cell))
        self.add(0, lines + 1.0 + FIGURE_ROWS * figures, lines, figures)
        self.emit(copy.deepcopy(cell))


