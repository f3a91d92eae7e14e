"""Offline reveal.js slides of the executed chapter notebooks, and a headless-browser check
that a deck loads nothing from the network.

:func:`build_slides` copies reveal.js, require.js, jQuery and MathJax from a vendor folder
(``make build/vendor/.done``) next to the decks; :func:`check_slides` opens a deck in
headless Chromium with every request refused. The command line is
``python -m hepcourse.course.teaching slides|check-slides`` (:mod:`.teaching`).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .folders import UnsafeFolderError, claim, inside
from .notebooks import _require, instructor_only, normalise, read

VENDOR_MARKER = ".hepcourse-slides-vendor"


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
    (copied to ``out/vendor``). Returns the HTML files written.

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
