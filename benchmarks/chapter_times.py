"""The measured run time of every chapter, from the execution cache of a book build, into
notebooks/run-times.json (read by the chapters' lecture plan boxes, hepcourse.course.plan).

    make book-force && python benchmarks/chapter_times.py                    # full size
    HEPCOURSE_SMOKE=1 make book-force && python benchmarks/chapter_times.py  # smoke mode

`make book` executes each notebook through jupyter-cache (book/_build/.jupyter_cache), whose
records carry the seconds the execution took (data["execution_seconds"]); the mode of the
build ("full" or "smoke") is in book/_build/.cache-mode. For every notebook whose current
code has a cached execution, this writes {"seconds", "machine", "cpus", "date"} under the
build's mode and keeps the other mode's entry: a full-size and a smoke build fill the file.
It then writes the lecture plans' glued times into the cached executions (the glue
cell's code is unchanged, so jupyter-cache would keep the times of when it ran): the next
`make book` shows them without executing. Measure on a quiet machine (a cold `make
book-force`), so that the numbers are one notebook's time, not its wait for the others.
The first time, a chapter's box shows "nan" for a time not yet measured; so, in order:

    HEPCOURSE_SMOKE=1 make book-force && python benchmarks/chapter_times.py
    make book-force && python benchmarks/chapter_times.py && make book
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "book" / "_build"
OUT = REPO / "notebooks" / "run-times.json"


def machine() -> str:
    """``"2-core AMD EPYC"``: the logical CPUs and the processor's model name."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()}-core {model}"


def cached_times(cache_dir: Path) -> dict[str, tuple[float, str]]:
    """{notebook stem: (seconds, ISO date)} of every project notebook of the jupyter-cache at
    ``cache_dir`` whose current code has a cached execution with a measured time."""
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_dir))
    times = {}
    for record in cache.list_project_records():
        cached = cache.get_cached_project_nb(record.pk)
        seconds = (cached.data or {}).get("execution_seconds") if cached is not None else None
        if isinstance(seconds, (int, float)):
            times[Path(record.uri).stem] = (float(seconds), cached.created.date().isoformat())
    return times


def update(out: Path, mode: str, times: dict[str, tuple[float, str]]) -> dict:
    """``out``'s run times with those of ``mode`` replaced by ``times`` (the other mode kept);
    written back to ``out``, chapters in order."""
    table = json.loads(out.read_text()) if out.is_file() else {}
    where, cpus = machine(), os.cpu_count()
    for stem, (seconds, date) in times.items():
        table.setdefault(stem, {})[mode] = {"seconds": round(seconds, 1), "machine": where,
                                            "cpus": cpus, "date": date}
    table = dict(sorted(table.items()))
    out.write_text(json.dumps(table, indent=2) + "\n")
    return table


def patch_cached_glue(cache_dir: Path, out: Path) -> list[str]:
    """Write the lecture plans' glued run times (``plan.glued_values`` from ``out``) into the
    cached executions of the current notebooks, so that the next `make book` shows the times
    just measured without executing anything (the glue cell's code did not change, so the
    cache would otherwise keep the times the file held when the notebook ran). Returns the
    chapters patched; their notebooks' modification times are renewed (the content is
    unchanged) so that Sphinx reads those pages again."""
    import nbformat
    from jupyter_cache import get_cache

    from hepcourse.course import plan

    cache, patched = get_cache(str(cache_dir)), []
    for record in cache.list_project_records():
        cached = cache.get_cached_project_nb(record.pk)
        if cached is None:
            continue
        stem = Path(record.uri).stem
        file = cache._get_notebook_path_cache(cached.hashkey)  # executed/<hashkey>/base.ipynb
        nb = nbformat.read(str(file), as_version=4)
        values, changed = plan.glued_values(stem, out), False
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                glued = output.get("metadata", {}).get("scrapbook", {})
                if glued.get("name") in values:
                    output["data"] = {glued.get("mime_prefix", "") + "text/plain": repr(values[glued["name"]])}
                    changed = True
        if changed:
            nbformat.write(nb, str(file))
            if Path(record.uri).is_file():
                os.utime(record.uri)  # Sphinx reads a page again only when its source is newer
            patched.append(stem)
    return patched


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", type=Path, default=BUILD, help="the book's _build folder (default %(default)s)")
    p.add_argument("--out", type=Path, default=OUT, help="the file to update (default %(default)s)")
    args = p.parse_args(argv)
    cache_dir, mode_file = args.build / ".jupyter_cache", args.build / ".cache-mode"
    if not cache_dir.is_dir() or not mode_file.is_file():
        print(f"no execution cache in {args.build} (.jupyter_cache and .cache-mode): run `make book` first",
              file=sys.stderr)
        return 1
    mode = mode_file.read_text().strip()
    if mode not in ("full", "smoke"):
        print(f"{mode_file} says {mode!r}, not 'full' or 'smoke'", file=sys.stderr)
        return 1
    times = cached_times(cache_dir)
    if not times:
        print(f"the cache in {cache_dir} holds no executed notebook of the current code", file=sys.stderr)
        return 1
    update(args.out, mode, times)
    for stem, (seconds, date) in sorted(times.items()):
        print(f"{stem:<24} {mode:<5} {seconds:8.1f} s  ({date})")
    print(f"wrote {args.out}")
    patched = patch_cached_glue(cache_dir, args.out)
    if patched:
        print(f"lecture plans of {', '.join(patched)}: times written into the cached executions; "
              f"`make book` shows them without executing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
