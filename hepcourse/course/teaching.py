"""Teaching builds: the student notebooks (solutions removed), slide metadata, and
offline reveal.js slides.

Conventions in the chapter notebooks:

- a problem is a markdown cell ("### Problem N ...") followed by a code cell tagged
  ``solution`` (and ``hide-input``, so the instructor book shows it folded);
- a notebook whose metadata holds ``{"hepcourse": {"instructor_only": true}}`` (a solutions
  notebook) is left out of the student build;
- every cell carries ``slideshow.slide_type`` metadata: ``##`` headings start a slide,
  ``###`` headings a sub-slide, solutions are skipped.

Command line (used by the Makefile):

    python -m hepcourse.course.teaching normalise notebooks/*.ipynb   # set tags and slide metadata
    python -m hepcourse.course.teaching student . build/student        # student notebooks + book tree
    python -m hepcourse.course.teaching slides EXECUTED_DIR OUT_DIR VENDOR_DIR
    python -m hepcourse.course.teaching check-slides DECK.html [SCREENSHOT.png]  # headless Chromium, no network
"""
from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

import nbformat

SOLUTION = "solution"
FOLD = "hide-input"
PLACEHOLDER = (
    "# YOUR CODE HERE: solve the problem above in this cell.\n"
    "# (The solution is in the instructor's edition of the course.)\n"
)


def read(path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def is_solution(cell) -> bool:
    return SOLUTION in cell.get("metadata", {}).get("tags", [])


def instructor_only(nb) -> bool:
    return bool(nb.metadata.get("hepcourse", {}).get("instructor_only", False))


def strip_solutions(nb) -> tuple[nbformat.NotebookNode, int]:
    """A copy of ``nb`` with every solution cell replaced by a "your code here" cell.
    Returns ``(student_notebook, number_of_solutions_removed)``."""
    student = nbformat.from_dict(nb)
    removed = 0
    for cell in student.cells:
        if not is_solution(cell):
            continue
        removed += 1
        tags = [t for t in cell.metadata.get("tags", []) if t not in (SOLUTION, FOLD)]
        cell.metadata["tags"] = tags + ["exercise"]
        if cell.cell_type == "code":
            cell.source = PLACEHOLDER
            cell.outputs = []
            cell.execution_count = None
        else:
            cell.source = "*Your answer here.*"
    return student, removed


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names bound, names read) by a code cell; IPython magics are ignored."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(lines))
    bound, read_ = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else read_).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound, read_


def solution_leaks(nb) -> list[str]:
    """Names that a non-solution cell reads but only a solution cell above it defines.

    A student notebook without the solutions must still run, so solution cells have to
    be self-contained. Returns messages like ``"cell 12 reads 'x' from a solution"``.
    """
    defined_outside: set[str] = set()
    only_in_solutions: set[str] = set()
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        bound, read_ = _names(cell.source)
        if is_solution(cell):
            only_in_solutions |= bound - defined_outside
            continue
        for name in sorted((read_ & only_in_solutions) - defined_outside - bound):
            problems.append(f"cell {index} reads {name!r}, which only a solution cell defines")
        defined_outside |= bound
        only_in_solutions -= bound
    return problems


def _heading(cell) -> str:
    first = cell.source.lstrip().split("\n", 1)[0] if cell.cell_type == "markdown" else ""
    return first.split(" ", 1)[0] if first.startswith("#") else ""


def normalise(nb) -> nbformat.NotebookNode:
    """Set the teaching metadata in place: solution cells folded (``hide-input``) and
    skipped in slides; ``#``/``##`` headings start a slide, ``###`` a sub-slide."""
    for cell in nb.cells:
        tags = list(cell.metadata.get("tags", []))
        if is_solution(cell) and cell.cell_type == "code" and FOLD not in tags:
            cell.metadata["tags"] = tags + [FOLD]
        heading = _heading(cell)
        if is_solution(cell):
            kind = "skip"
        elif heading in ("#", "##"):
            kind = "slide"
        elif heading == "###":
            kind = "subslide"
        else:
            kind = "-"
        cell.metadata["slideshow"] = {"slide_type": kind}
    return nb


def write_student_tree(root: Path, out: Path) -> list[Path]:
    """Write the student edition under ``out``: README, book/ (toc without instructor-only
    notebooks) and notebooks/ with the solutions removed. Returns the notebooks written."""
    import yaml

    root, out = Path(root), Path(out)
    if out.exists():
        shutil.rmtree(out)
    (out / "notebooks").mkdir(parents=True)
    shutil.copytree(root / "book", out / "book", ignore=shutil.ignore_patterns("_build"))
    shutil.copy(root / "README.md", out / "README.md")
    written, dropped = [], set()
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nb = read(path)
        if instructor_only(nb):
            dropped.add(f"notebooks/{path.stem}")
            continue
        student, _ = strip_solutions(nb)
        target = out / "notebooks" / path.name
        nbformat.write(student, str(target))
        written.append(target)
    toc_path = out / "book" / "_toc.yml"
    toc = yaml.safe_load(toc_path.read_text())
    for part in toc.get("parts", []):
        part["chapters"] = [c for c in part["chapters"] if c.get("file") not in dropped]
    toc_path.write_text(yaml.safe_dump(toc, sort_keys=False))
    config_path = out / "book" / "_config.yml"
    config = config_path.read_text().replace(
        "title: Deep learning for particle physics",
        "title: Deep learning for particle physics (student edition)", 1)
    config_path.write_text(config)
    return written


VENDOR_FILES = {
    # name in the vendor folder: path inside node_modules
    "reveal.js": "reveal.js",
    "require.js": "requirejs/require.js",
    "jquery.min.js": "jquery/dist/jquery.min.js",
    "mathjax": "mathjax",
}


def build_slides(notebooks: list[Path], out: Path, vendor: Path) -> list[Path]:
    """Convert executed notebooks to reveal.js slide decks in ``out`` that load nothing
    from the network: reveal.js, require.js, jQuery and MathJax come from ``vendor``
    (copied to ``out/vendor``). Returns the HTML files written."""
    from nbconvert import SlidesExporter

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    local = out / "vendor"
    if local.exists():
        shutil.rmtree(local)
    shutil.copytree(vendor, local)
    (local / "no-mermaid.mjs").write_text("export default { initialize() {} };\n")
    exporter = SlidesExporter(
        reveal_url_prefix="vendor/reveal.js",
        require_js_url="vendor/require.js",
        jquery_url="vendor/jquery.min.js",
        mathjax_url="vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        mermaid_js_url="./vendor/no-mermaid.mjs",
        reveal_scroll=True,
    )
    written = []
    for path in notebooks:
        nb = normalise(read(path))
        if instructor_only(nb):
            continue
        html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        target = out / f"{path.stem}.slides.html"
        target.write_text(html, encoding="utf-8")
        written.append(target)
    return written


def external_urls(html: str) -> list[str]:
    """Script, stylesheet and module URLs in ``html`` that point off the machine."""
    import re

    pattern = r"""(?:<script[^>]*\ssrc|<link[^>]*\shref|import\s+\w+\s+from\s*)=?\s*["'](https?:|//)([^"']*)"""
    return [a + b for a, b in re.findall(pattern, html)]


def check_slides(html: Path, screenshot: Path | None = None, slide: int = 2,
                 browser: str = "chromium") -> dict:
    """Open a slide deck in headless Chromium with every network request refused (a
    proxy on a closed port) and report ``{"ready": reveal.js initialised, "slides": number
    of slides, "screenshot": path}``; optionally save a screenshot of slide ``slide``."""
    import subprocess
    import tempfile

    url = Path(html).resolve().as_uri() + f"#/{slide}"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--proxy-server=http://127.0.0.1:9", "--window-size=1280,800",
             "--virtual-time-budget=10000"]
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([browser, *flags, f"--user-data-dir={profile}", "--dump-dom", url],
                             capture_output=True, text=True, timeout=120).stdout
    if screenshot is not None:
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([browser, *flags, f"--user-data-dir={profile}",
                            f"--screenshot={screenshot}", url],
                           capture_output=True, text=True, timeout=120)
    import re

    reveal = re.search(r'<div class="(reveal [^"]*)"', dom)
    slides_div = dom.split('<div class="slides"', 1)[-1]
    top_level = len(re.findall(r"<section[^>]*class=\"[^\"]*(?:past|present|future)", slides_div))
    return {"ready": bool(reveal and "ready" in reveal.group(1).split()),
            "slides": top_level, "screenshot": screenshot}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(__doc__)
        return 2
    command, args = argv[0], argv[1:]
    if command == "normalise":
        for name in args:
            nb = normalise(read(name))
            nbformat.write(nb, name)
        return 0
    if command == "student":
        root, out = Path(args[0]), Path(args[1])
        for path in write_student_tree(root, out):
            print(f"student notebook: {path}")
        return 0
    if command == "slides":
        source, out, vendor = Path(args[0]), Path(args[1]), Path(args[2])
        for path in build_slides(sorted(source.glob("*.ipynb")), out, vendor):
            print(f"slides: {path}")
        return 0
    if command == "check-slides":
        html = Path(args[0])
        shot = Path(args[1]) if len(args) > 1 else None
        result = check_slides(html, shot)
        print(f"{html}: reveal.js ready={result['ready']}, slides={result['slides']}, "
              f"external URLs={external_urls(html.read_text())}, screenshot={shot}")
        return 0 if result["ready"] and result["slides"] > 1 else 1
    print(f"unknown command {command!r}; use normalise, student, slides or check-slides", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
