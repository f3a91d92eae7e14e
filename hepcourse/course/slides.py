"""Offline reveal.js slides of the executed chapter notebooks, and a headless-browser check
that a deck loads nothing from the network and that every slide fits.

:func:`build_slides` lays every notebook out by :func:`.slide_plan.layout` (a slide per
section, a sub-slide per sub-section, long prose and code in the speaker notes, one figure per
slide) and copies reveal.js, require.js, jQuery and MathJax from a vendor folder
(``make build/vendor/.done``) next to the decks; :func:`check_slides` opens a deck in
headless Chromium with every request refused; :func:`screenshot_decks` keeps a screenshot of
one slide per deck. The command line is ``python -m hepcourse.course.teaching
slides|check-slides`` (:mod:`.teaching`) and ``python -m hepcourse.course.slides
screenshots DECK_DIR OUT_DIR``.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import slide_style
from .folders import UnsafeFolderError, claim, inside
from .notebooks import _require, instructor_only, normalise, read
from .slide_plan import OUTPUT_ONLY, layout

VENDOR_MARKER = ".hepcourse-slides-vendor"


VENDOR_FILES = {
    # name in the vendor folder: path inside node_modules
    "reveal.js": "reveal.js",
    "require.js": "requirejs/require.js",
    "jquery.min.js": "jquery/dist/jquery.min.js",
    "mathjax": "mathjax",
}


def _finish(html: str, plan: list) -> str:
    """``html`` with the slide style sheet, the plan (``<script id="hepcourse-plan">``: one
    ``{"h", "v", "title", "words", "figures", "code_lines"}`` per slide) and the measuring
    script of :mod:`.slide_style`."""
    rows = [{"h": s.h, "v": s.v, "title": s.title, "words": s.words, "figures": s.figures,
             "code_lines": s.code_lines} for s in plan]
    data = json.dumps(rows).replace("</", "<\\/")
    head = f'<style type="text/css">{slide_style.CSS}</style>\n'
    tail = (f'<script type="application/json" id="hepcourse-plan">{data}</script>\n'
            f"<script>{slide_style.JS}</script>\n")
    return html.replace("</head>", head + "</head>", 1).replace("</body>", tail + "</body>", 1)


def deck_plan(html: str) -> list[dict]:
    """The plan that :func:`build_slides` wrote into a deck (empty for other decks)."""
    match = re.search(r'<script type="application/json" id="hepcourse-plan">(.*?)</script>', html, re.DOTALL)
    return json.loads(match.group(1)) if match else []


def build_slides(notebooks: list[Path], out: Path, vendor: Path, fit: bool = True) -> list[Path]:
    """Convert executed notebooks to reveal.js slide decks in ``out`` that load nothing
    from the network: reveal.js, require.js, jQuery and MathJax come from ``vendor``
    (copied to ``out/vendor``). Each notebook is laid out by :func:`.slide_plan.layout` (the
    stored notebook is not changed; fit=False: exported as it is, for comparison); notebooks
    without outputs give decks without them. Returns the HTML files written.

    ``out/vendor`` is emptied only if this function made it (its ``.hepcourse-slides-vendor``
    marker, or the ``no-mermaid.mjs`` that older versions wrote); otherwise, or when
    ``vendor`` and ``out/vendor`` overlap, UnsafeFolderError and nothing is deleted.
    """
    SlidesExporter = _require("nbconvert", "converting notebooks to slides").SlidesExporter
    out, vendor = Path(out), Path(vendor)
    if not vendor.is_dir():
        raise UnsafeFolderError(f"VENDOR_DIR {str(vendor)!r} is not a folder (make build/vendor/.done)")
    local = out / "vendor"
    if inside(vendor.resolve(), local.resolve()) or inside(local.resolve(), vendor.resolve()):
        raise UnsafeFolderError(f"VENDOR_DIR {str(vendor)!r} and {str(local)!r} overlap: the copy would "
                                "delete its own source")
    out.mkdir(parents=True, exist_ok=True)
    if local.is_dir() and not local.is_symlink() and (local / "no-mermaid.mjs").is_file():
        (local / VENDOR_MARKER).touch()  # written by an older version of this function
    claim(local, VENDOR_MARKER, "hepcourse.course.teaching.build_slides")
    shutil.copytree(vendor, local, dirs_exist_ok=True)
    (local / "no-mermaid.mjs").write_text("export default { initialize() {} };\n")
    from traitlets.config import Config

    config = Config({"TagRemovePreprocessor": {"enabled": True, "remove_input_tags": {OUTPUT_ONLY}}})
    exporter = SlidesExporter(
        config=config,
        reveal_width=str(slide_style.WIDTH),
        reveal_height=str(slide_style.HEIGHT),
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
        deck, plan = layout(nb, fit)
        html, _ = exporter.from_notebook_node(deck, resources={"metadata": {"name": path.stem}})
        target = out / f"{path.stem}.slides.html"
        target.write_text(_finish(html, plan), encoding="utf-8")
        written.append(target)
    return written


def external_urls(html: str) -> list[str]:
    """Script, stylesheet and module URLs in ``html`` that point off the machine."""
    pattern = r"""(?:<script[^>]*\ssrc|<link[^>]*\shref|import\s+\w+\s+from\s*)=?\s*["'](https?:|//)([^"']*)"""
    return [a + b for a, b in re.findall(pattern, html)]


FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
         f"--window-size={slide_style.WIDTH},{slide_style.HEIGHT}", "--hide-scrollbars",
         "--virtual-time-budget=15000"]


def _chromium(browser: str, url: str, action: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", action, url],
                              check=False, capture_output=True, text=True, timeout=180).stdout


def check_slides(html: Path, screenshot: Path | None = None, slide: int | str = 2,
                 browser: str = "chromium") -> dict:
    """Open a slide deck in headless Chromium with every network request refused (a
    proxy on a closed port, no name resolution) and report ``{"ready": reveal.js
    initialised, "slides": number of top-level slides, "total": number of slides and
    sub-slides, "planned": number in the deck's plan (None if it has none), "overflow":
    slides whose content is taller or wider than the slide ("h/v why"), "screenshot": path}``.
    Optionally save a screenshot of slide ``slide`` (an int: top-level slide; "h/v": its
    sub-slide v)."""
    url = Path(html).resolve().as_uri() + f"#/{slide}"
    dom = _chromium(browser, url, "--dump-dom")
    if screenshot is not None:
        _chromium(browser, url, f"--screenshot={Path(screenshot).resolve()}")
    reveal = re.search(r'<div class="(reveal [^"]*)"', dom)
    body = re.search(r"<body[^>]*>", dom)
    attrs = dict(re.findall(r'data-hepcourse-(\w+)="([^"]*)"', body.group(0))) if body else {}
    slides_div = dom.split('<div class="slides"', 1)[-1]
    sections = len(re.findall(r"<section[^>]*class=\"[^\"]*(?:past|present|future)", slides_div))
    plan = deck_plan(Path(html).read_text(encoding="utf-8"))
    return {"ready": bool(reveal and "ready" in reveal.group(1).split()),
            "slides": int(attrs.get("top", sections)), "total": int(attrs.get("slides", sections)),
            "planned": len(plan) if plan else None,
            "overflow": [o for o in attrs.get("overflow", "").replace("&gt;", ">").split("; ") if o],
            "screenshot": screenshot}


def showcase(plan: list[dict]) -> str:
    """The slide a deck's screenshot shows ("h/v"): the first with code and prose, at most
    one figure, else the second slide."""
    for slide in plan:
        if slide["code_lines"] >= 6 and slide["words"] >= 20:
            return f"{slide['h']}/{slide['v']}"
    return "1/0"


def screenshot_decks(decks: list[Path], out: Path, browser: str = "chromium") -> dict:
    """Open every deck in headless Chromium (no network, :func:`check_slides`) and save a
    screenshot of its :func:`showcase` slide as ``out/<deck>.png``. Returns
    ``{deck name: check_slides result}``; raises RuntimeError naming every deck that is not
    ready, whose slide count differs from its plan, or that has a slide too large."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results, problems = {}, []
    for deck in decks:
        name = Path(deck).name.removesuffix(".html").removesuffix(".slides")
        plan = deck_plan(Path(deck).read_text(encoding="utf-8"))
        result = check_slides(deck, out / f"{name}.png", showcase(plan), browser)
        results[name] = result
        if not result["ready"] or result["planned"] not in (None, result["total"]) or result["overflow"]:
            problems.append(f"{name}: {result}")
    if problems:
        raise RuntimeError("slide decks that do not work:\n" + "\n".join(problems))
    return results


def main(argv: list[str] | None = None) -> int:
    """``python -m hepcourse.course.slides screenshots DECK_DIR OUT_DIR``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or args[0] != "screenshots":
        print("usage: python -m hepcourse.course.slides screenshots DECK_DIR OUT_DIR", file=sys.stderr)
        return 2
    decks = sorted(Path(args[1]).glob("*.slides.html"))
    if not decks:
        print(f"no *.slides.html in {args[1]!r}", file=sys.stderr)
        return 2
    for name, result in screenshot_decks(decks, Path(args[2])).items():
        print(f"{name}: {result['total']} slides ({result['slides']} top-level), screenshot {result['screenshot']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
