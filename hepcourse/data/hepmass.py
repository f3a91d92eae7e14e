"""UCI HEPMASS ('all' variant): the real files, their Parquet cache, and the simulated twin.

The real files are gzipped CSVs (7M training and 3.5M test rows, ~1 GB each unpacked)
with the header ``# label,f0,...,f26,mass``. Parsing such a CSV takes a while even with a
fast multithreaded reader, so the first read writes a columnar copy,
``hepmass-<name>.parquet``, next to the cached CSV, and later reads load that copy
(float32 columns, read in a fraction of the time). The copy is written to a temporary
name and renamed (:func:`hepcourse.files.atomic_write`: atomic, with the umask's
permissions), and it is used only while it is newer than its CSV. A mass selection
(``masses=[1000]``) is applied by pyarrow while reading (predicate pushdown), so the
rows of other masses never reach pandas.

>>> from hepcourse import data
>>> train = data.load("hepmass", split="train")          # real if cached/mirrored, else simulated
>>> from hepcourse.data.hepmass import to_arrays
>>> X, y, mass = to_arrays(train)                     # float32 [N, 28], [N], [N]
"""
from __future__ import annotations

import gzip
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from .. import validate
from ..files import atomic_write, remove_orphans
from ..simulate.resonant_ttbar import COLUMNS, FEATURES, MASSES
from ..simulate.resonant_ttbar import hepmass as _simulate_events
from .console import notice

SPLITS = ("train", "test")
DEFAULT_N = {"train": 1_000_000, "test": 500_000}
"""Simulated events per split when ``n`` is not given (the real files hold 7M and 3.5M)."""

_SCHEMA = pa.schema([(name, pa.float32()) for name in COLUMNS])
log = logging.getLogger(__name__)


def _check_split(split: str) -> int:
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: HEPMASS has the splits {SPLITS}")
    return SPLITS.index(split)


def _check_columns(columns) -> list[str]:
    if columns is None:
        return list(COLUMNS)
    columns = [columns] if isinstance(columns, str) else list(columns)
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise ValueError(f"columns {unknown} are not HEPMASS columns; use some of "
                         f"label, f0..f26, mass")
    return columns


def read_csv(path) -> pd.DataFrame:
    """Parse a HEPMASS-format CSV (optionally .gz) with pyarrow's multithreaded reader.

    The header ``# label,f0,...,f26,mass`` is checked and the first name becomes
    ``label``. Returns a DataFrame with the 29 columns as float32.
    """
    return _read_csv_table(Path(path)).to_pandas()


def _read_csv_table(path: Path) -> pa.Table:
    read = pacsv.ReadOptions(column_names=COLUMNS, skip_rows=1, block_size=1 << 24)
    convert = pacsv.ConvertOptions(column_types={c: pa.float32() for c in COLUMNS})
    with open(path, "rb") as raw:
        head = raw.read(2)
    compression = "gzip" if head == b"\x1f\x8b" else None
    opener = gzip.open if compression else open
    with opener(path, "rb") as stream:
        header = stream.readline(4096).decode("utf-8", "replace").strip()
    names = [h.strip() for h in header.lstrip("#").split(",")]
    if names != COLUMNS:
        raise ValueError(f"{path.name} is not in the HEPMASS format: its header is "
                         f"{header[:80]!r}..., expected '# label,f0,...,f26,mass'")
    with pa.input_stream(str(path), compression=compression) as stream:
        return pacsv.read_csv(stream, read_options=read, convert_options=convert)


def parquet_path(csv_path) -> Path:
    """Where the Parquet copy of a HEPMASS CSV lives: ``hepmass-<name>.parquet`` in the
    same folder (the download cache, :func:`hepcourse.data.cache_dir`)."""
    csv_path = Path(csv_path)
    stem = csv_path.name.split(".")[0]
    return csv_path.with_name(f"hepmass-{stem}.parquet")


def cached_parquet(csv_path) -> Path:
    """The Parquet copy of ``csv_path``: reused when it exists and is newer than the CSV,
    else written now (parse the CSV once, write to a temporary file, rename)."""
    csv_path = Path(csv_path)
    target = parquet_path(csv_path)
    if target.is_file() and target.stat().st_mtime_ns >= csv_path.stat().st_mtime_ns:
        return target
    notice(log, "parsing %s once into its Parquet copy %s", csv_path.name, target)
    table = _read_csv_table(csv_path)
    remove_orphans(target)
    with atomic_write(target) as tmp:
        # floats barely compress (snappy saves ~1%) and uncompressed pages read ~5x faster
        pq.write_table(table, tmp, compression="none", row_group_size=1 << 20)
    return target


def _check_masses(masses) -> pa.Array | None:
    if masses is None:
        return None
    values = np.atleast_1d(validate.reals(masses, "masses", low=0.0, low_open=True))
    if values.ndim != 1 or not values.size:
        raise ValueError(f"masses={masses!r}: expected one or more masses in GeV, e.g. [1000]")
    return pa.array(values.astype(np.float32))  # compared as float32, like the column


def read_parquet(path, n: int | None = None, columns=None, masses=None) -> pd.DataFrame:
    """Read the first n rows (all when None) of a HEPMASS Parquet file, as float32.

    masses: keep only rows whose ``mass`` (GeV) is one of these; the selection runs in
    pyarrow while reading (predicate pushdown), and n then counts the selected rows.
    """
    columns = _check_columns(columns)
    n = validate.optional_count(n, "n", what="a whole number of rows (or None for all)")
    wanted = _check_masses(masses)
    if wanted is not None:
        source = pads.dataset(path, format="parquet")
        selection = pads.field("mass").isin(wanted)
        if n is None:
            table = source.to_table(columns=columns, filter=selection)
        else:
            table = source.head(n, columns=columns, filter=selection)
        return table.to_pandas()
    file = pq.ParquetFile(path, memory_map=True)
    if n is None or n >= file.metadata.num_rows:
        table = file.read(columns=columns)
    else:
        groups, rows = [], 0
        for g in range(file.num_row_groups):
            if rows >= n:
                break
            groups.append(g)
            rows += file.metadata.row_group(g).num_rows
        table = file.read_row_groups(groups, columns=columns).slice(0, n)
    return table.to_pandas()


def read(get, split: str = "train", n: int | None = None, columns=None, masses=None, *,
         seed=None, signal_fraction=None) -> pd.DataFrame:
    """The real HEPMASS ``split`` ("train": 7M rows, "test": 3.5M rows).

    get: the registry's file getter (``get("train") -> Path`` of the verified CSV).
    n: the first n rows (the UCI files are in random order), all when None.
    columns: a subset of ``label, f0..f26, mass`` (all when None).
    masses: keep only rows whose mass column is one of these (GeV), e.g. ``[1000]`` for
    the signal at 1000 GeV and the background events labelled with 1000 GeV.
    ``seed`` and ``signal_fraction`` are options of the simulated twin, ignored here.
    Returns a DataFrame of float32 columns, read from the Parquet cache (written on the
    first call).
    """
    _check_split(split)
    columns = _check_columns(columns)
    n = validate.optional_count(n, "n", what="a whole number of rows (or None for all)")
    _check_masses(masses)
    return read_parquet(cached_parquet(get(split)), n=n, columns=columns, masses=masses)


def simulate(split: str = "train", n: int | None = None, masses=MASSES, seed: int = 0,
             signal_fraction: float = 0.5, columns=None) -> pd.DataFrame:
    """The simulated twin of ``split`` (:func:`hepcourse.simulate.resonant_ttbar`), same columns.

    n: events (default 1,000,000 for "train" and 500,000 for "test"). The train and test
    splits use different random streams derived from ``seed``, so they never share events.
    """
    index = _check_split(split)
    columns = _check_columns(columns)
    n = DEFAULT_N[split] if n is None else validate.count(n, "n", what="a whole number of events")
    base = validate.seed_int(seed)  # an int ≥ 0, or drawn from a numpy Generator
    stream = int(np.random.SeedSequence([base, index]).generate_state(1)[0])
    frame = _simulate_events(n, masses=masses, seed=stream, signal_fraction=signal_fraction)
    return frame if columns == list(COLUMNS) else frame[columns]


def to_arrays(frame: pd.DataFrame, with_mass: bool = True):
    """Split a HEPMASS frame into network inputs and targets.

    Returns ``(X, y, mass)``: X float32 [N, 28] (f0..f26 then the mass, the layout a
    parameterized network expects) or [N, 27] with ``with_mass=False``; y float32 [N]
    (1 signal, 0 background); mass float32 [N] in GeV.
    """
    inputs = [*FEATURES, "mass"] if with_mass else list(FEATURES)
    X = np.ascontiguousarray(frame[inputs].to_numpy(np.float32))
    y = np.array(frame["label"].to_numpy(np.float32))  # writable copies
    mass = np.array(frame["mass"].to_numpy(np.float32))
    return X, y, mass
