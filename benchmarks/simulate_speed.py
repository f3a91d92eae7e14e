"""How fast the HEPMASS twin simulates, and how much the Parquet cache saves on loading.

    python benchmarks/simulate_speed.py                 # 7M events, a 1M-row CSV
    python benchmarks/simulate_speed.py --events 1000000 --rows 200000

Prints a table and writes benchmarks/results/simulate_speed.json. Measured, in one run:
  1. loading a HEPMASS-format CSV.gz of --rows rows (written from the simulator, same
     layout and float formatting as the UCI file) with pandas.read_csv and with pyarrow
     (hepcourse.data.hepmass.read_csv), against reloading its Parquet cache
     (hepcourse.data.hepmass.read_parquet): each the best of --repeat runs;
  2. events per second of hepcourse.simulate.resonant_ttbar (one process, --events events).
"""
from __future__ import annotations

import argparse
import gzip
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from hepcourse.data import hepmass as hm
from hepcourse.simulate import hepmass

RESULTS = Path(__file__).resolve().parent / "results"


def best_of(repeat: int, function):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def write_uci_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as the UCI files are: a '# label,f0,...' header, then numbers."""
    with gzip.open(path, "wt", compresslevel=1) as out:
        out.write("# " + ",".join(frame.columns) + "\n")
        frame.to_csv(out, header=False, index=False, float_format="%.7g")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=7_000_000, help="events to simulate")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the CSV")
    parser.add_argument("--repeat", type=int, default=5, help="load timings: best of")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "all_train.csv.gz"
        write_uci_csv(hepmass(args.rows, seed=1), csv)
        t_pandas, _ = best_of(args.repeat, lambda: pd.read_csv(csv, dtype=np.float32))
        t_arrow, from_csv = best_of(args.repeat, lambda: hm.read_csv(csv))
        start = time.perf_counter()
        parquet = hm.cached_parquet(csv)
        t_first = time.perf_counter() - start
        t_parquet, from_parquet = best_of(args.repeat, lambda: hm.read_parquet(parquet))
        assert from_csv.equals(from_parquet)
        csv_mb, parquet_mb = csv.stat().st_size / 1e6, parquet.stat().st_size / 1e6
        del from_csv, from_parquet

    start = time.perf_counter()
    events = hepmass(args.events, seed=0)
    sim_seconds = time.perf_counter() - start
    del events

    result = {
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads",
        "events": args.events, "simulate_seconds": sim_seconds,
        "events_per_second": args.events / sim_seconds,
        "rows": args.rows, "csv_gz_mb": csv_mb, "parquet_mb": parquet_mb,
        "pandas_read_csv_s": t_pandas, "pyarrow_read_csv_s": t_arrow,
        "first_load_with_cache_write_s": t_first, "parquet_reload_s": t_parquet,
        "ratio_pyarrow_csv_over_parquet": t_arrow / t_parquet,
        "ratio_pandas_csv_over_parquet": t_pandas / t_parquet,
    }
    print(f"simulator: {args.events:,} events in {sim_seconds:.1f} s = "
          f"{args.events / sim_seconds:,.0f} events/s")
    print(f"\nloading {args.rows:,} HEPMASS rows (CSV.gz {csv_mb:.0f} MB, Parquet {parquet_mb:.0f} MB), "
          f"best of {args.repeat}:")
    print(f"  {'reader':<34}{'seconds':>9}{'× Parquet':>12}")
    for name, t in (("pandas.read_csv (the tutorial)", t_pandas), ("pyarrow CSV (read_csv)", t_arrow),
                    ("first load: CSV + write Parquet", t_first), ("Parquet cache (read_parquet)", t_parquet)):
        print(f"  {name:<34}{t:>9.3f}{t / t_parquet:>12.1f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "simulate_speed.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
