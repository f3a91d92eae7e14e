"""Jets per second of hepcourse.simulate.jets (Pythia 8 + detector + FastJet + substructure)
with one worker process and with several, measured side by side on the same jets.

    python benchmarks/jets_rate.py                     # 1000 jets, 1 vs 2 workers
    python benchmarks/jets_rate.py --jets 4000 --workers 1 2 4 --repeat 2

Every run generates the same sample (same seed, half top, half QCD) into an empty cache
folder, so each run does all the work (and writes the cache, as a user's first call
does); runs alternate between the worker counts (1, 2, 1, 2, ...)
so that a machine whose load changes treats them alike; the best of ``--repeat`` is
reported. Also measured: reading the sample back from the warm cache. The speed-up of N
workers is at most N and less when the sample has few chunks (hepcourse.simulate.
top_tagging.CHUNK jets each) or the cores are shared; the CPU seconds (this process and
its workers) show whether the work per jet stayed the same, i.e. whether a missing speed-up
came from cores that were busy with something else.

Prints a table and writes benchmarks/results/jets_rate.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import awkward as ak

from hepcourse import simulate
from hepcourse.simulate import top_tagging

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_seconds() -> float:
    """CPU time used so far by this process and its finished children (the workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jets", type=int, default=1000, help="jets per run (half top, half QCD)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count (best of)")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    best, cpu, reference = {}, {}, None
    with tempfile.TemporaryDirectory() as root:
        for rep in range(args.repeat):
            for workers in args.workers:
                # each run starts from an empty cache, so it generates (and writes) everything
                os.environ["HEPCOURSE_DATA_DIR"] = folder = os.path.join(root, f"{rep}-{workers}")
                used = cpu_seconds()
                seconds, sample = timed(lambda w=workers: simulate.jets(
                    args.jets, seed=args.seed, workers=w, progress=False))
                used = cpu_seconds() - used
                if seconds < best.get(workers, float("inf")):
                    best[workers], cpu[workers] = seconds, used
                if reference is None:
                    reference = sample
                assert ak.array_equal(sample, reference, equal_nan=True), "the workers changed the jets"
        warm, again = timed(lambda: simulate.jets(args.jets, seed=args.seed, progress=False))
        assert ak.array_equal(again, reference, equal_nan=True) and os.path.isdir(folder)

    base = best[args.workers[0]]
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "jets": args.jets, "chunk": top_tagging.CHUNK, "repeat": args.repeat,
        "seconds": {str(w): s for w, s in best.items()},
        "jets_per_second": {str(w): args.jets / s for w, s in best.items()},
        "speedup": {str(w): base / s for w, s in best.items()},
        "cpu_seconds": {str(w): c for w, c in cpu.items()},
        "jets_per_cpu_second": {str(w): args.jets / c for w, c in cpu.items()},
        "warm_cache_seconds": warm, "warm_cache_jets_per_second": args.jets / warm,
        "load_average_1min": [load_before, os.getloadavg()[0]],
    }
    print(f"{args.jets} jets (Pythia 8 + detector + FastJet), {result['machine']}, load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after (other work shares the cores)")
    print(f"{'workers':>8} {'seconds':>9} {'jets/s':>9} {'speed-up':>9} {'CPU s':>9} {'jets/CPU s':>11}")
    for w in args.workers:
        print(f"{w:>8} {best[w]:>9.1f} {args.jets / best[w]:>9.1f} {base / best[w]:>9.2f} "
              f"{cpu[w]:>9.1f} {args.jets / cpu[w]:>11.1f}")
    print(f"{'cache':>8} {warm:>9.2f} {args.jets / warm:>9.0f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "jets_rate.json").write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
