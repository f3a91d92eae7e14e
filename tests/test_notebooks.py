"""Every notebook of notebooks/ runs in smoke mode, and what it shows is clean.

Each notebook is executed with nbclient in a fresh kernel (cwd = notebooks/, as the book
build runs it), in smoke mode (HEPCOURSE_SMOKE=1), one test per notebook (marked
``notebook``, so `make test` spreads them over the pytest-xdist workers and `make test-fast`
leaves them out). A cell error fails the test with the cell's source and traceback.

Clean means what the book shows holds no stray output: no stderr except the deliberate
notice that a dataset is the simulated twin (``SimulatedDataWarning``; the one-line source
notices of ``hepcourse.data.console.notice`` go to stdout and are fine), no progress-bar
fragments or widgets, no warnings (e.g. matplotlib's "No TeX to Unicode mapping").

The kernel gets the environment pytest started with (not the per-test isolated data cache
of conftest.py: the notebooks use the checkout's data/ and HEPCOURSE_DATA_MIRROR as the book
build does), with the book build's settings HEPCOURSE_PROGRESS=0 and
HEPCOURSE_STRICT_CLAIMS=1 unless they are set (the Makefile sets them).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
FOLDER = REPO / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
ENVIRONMENT = dict(os.environ)  # at collection, before any test's monkeypatching
CELL_TIMEOUT = 600  # seconds one cell may take in smoke mode

_ALLOWED_WARNING = re.compile(r"^.*SimulatedDataWarning: .*\n?(?:[ \t]+\S.*\n?)*", re.MULTILINE)
_BAR = re.compile(r"\d+%\|"                      # tqdm's "  40%|████      |"
                  r"|\[\d+:\d\d(?::\d\d)?<"      # its "[00:03<00:05"
                  r"|\d(?:it|epoch|B|kB|MB|GB)/s\]"  # its rate
                  r"|\r")                        # a line redrawn in place
_WIDGET = "application/vnd.jupyter.widget-view+json"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the colours of an IPython traceback


def kernel_environment() -> dict[str, str]:
    """The environment of a notebook's kernel: smoke mode and the book build's settings."""
    env = dict(ENVIRONMENT)
    env["HEPCOURSE_SMOKE"] = "1"
    env.setdefault("HEPCOURSE_PROGRESS", "0")
    env.setdefault("HEPCOURSE_STRICT_CLAIMS", "1")
    return env


def execute(nb, cwd: Path, env: dict[str, str]):
    """Run every cell of ``nb`` (in place) in a fresh kernel in ``cwd``; a cell error fails
    the test with the cell's source and traceback."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute(env=env)
    except (CellExecutionError, CellTimeoutError) as err:
        pytest.fail(f"a cell failed:\n{_ANSI.sub('', str(err))}", pytrace=False)
    return nb


def stray_outputs(nb) -> list[str]:
    """What an executed ``nb`` shows that it should not: one line per stray output, naming
    the cell (its index and first line) and what is wrong."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"cell {index} ({cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ''})"
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text = out.get("text", "")
                if _BAR.search(text):
                    found.append(f"{where}: progress-bar fragment in {out['name']}: {text.strip()[:160]!r}")
                elif out.get("name") == "stderr" and _ALLOWED_WARNING.sub("", text).strip():
                    found.append(f"{where}: stderr: {_ALLOWED_WARNING.sub('', text).strip()[:300]!r}")
            elif out.get("output_type") in ("display_data", "execute_result"):
                data = out.get("data", {})
                if _WIDGET in data:
                    found.append(f"{where}: a widget (progress bar?): {str(data.get('text/plain', ''))[:120]!r}")
                elif _BAR.search(str(data.get("text/plain", ""))):
                    found.append(f"{where}: progress-bar fragment: {str(data['text/plain'])[:160]!r}")
    return found


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_smoke_mode_and_is_clean(path, tmp_path):
    nb = execute(nbformat.read(path, as_version=4), FOLDER, kernel_environment())
    nbformat.write(nb, tmp_path / path.name)  # the executed notebook, to look at after a failure
    stray = stray_outputs(nb)
    assert not stray, (f"{path.name} executed (kept in {tmp_path / path.name}) shows stray output:\n  "
                       + "\n  ".join(stray))


# --- the check itself -----------------------------------------------------------------------

_CRAFTED = [
    ("import warnings\nclass SimulatedDataWarning(UserWarning): pass  # as hepcourse.data's\n"
     "warnings.warn('zmumu: the real data is not available, so this is the SIMULATED twin', SimulatedDataWarning)\n"
     "print('fitted')"),
    "import warnings\nwarnings.warn('a stray warning')",
    "import sys, time\nfrom tqdm import tqdm\nfor _ in tqdm(range(3), file=sys.stderr, mininterval=0):\n    time.sleep(0.01)",
    "import logging\nlogging.getLogger('matplotlib.mathtext').warning('No TeX to Unicode mapping for %r', 'x')",
]


def test_the_cleanliness_check_fails_on_stray_warnings_and_bars_in_a_crafted_notebook(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in _CRAFTED])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    stray = stray_outputs(execute(nb, tmp_path, kernel_environment()))
    cells = sorted({int(re.match(r"cell (\d+)", line).group(1)) for line in stray})
    assert cells == [1, 2, 3], stray
    assert "a stray warning" in stray[0]
    assert any("progress-bar" in line for line in stray)


def test_widgets_and_bars_in_rich_outputs_are_stray_and_notices_on_stdout_are_not():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x") for _ in range(3)])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hepcourse.data: zmumu <- real data\n")]
    nb.cells[1].outputs = [nbformat.v4.new_output("display_data", data={
        _WIDGET: {"model_id": "abc"}, "text/plain": "fit:   0%|          | 0/2"})]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="fit: 50%|#####     | 1/2\r")]
    stray = stray_outputs(nb)
    assert [line.split(" ")[1] for line in stray] == ["1", "2"], stray


def test_a_cell_error_fails_with_the_cells_source_and_traceback(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell("ratio = x / 0  # the broken cell")])
    with pytest.raises(pytest.fail.Exception) as failure:
        execute(nb, tmp_path, kernel_environment())
    message = str(failure.value)
    assert "ratio = x / 0  # the broken cell" in message and "ZeroDivisionError" in message
    assert "\x1b[" not in message
