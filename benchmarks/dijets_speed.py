"""Events per second of hepcourse.simulate.dijets (Pythia 8 + detector + FastJet +
N-subjettiness, the events that pass the selection), signal (W′ → W Z) and QCD background
apart, with one worker process and with several, from an empty cache.

    python benchmarks/dijets_speed.py                        # 500 events each, 1 vs 2 workers
    python benchmarks/dijets_speed.py --events 2000 --workers 1 2 4 --repeat 2

Every run generates the same events (same seed) into an empty cache folder, so it does
all the work and writes the cache, as a user's first call does; the runs alternate
between the worker counts so that a machine whose load changes treats them alike; the
best of ``--repeat`` is reported, with the CPU seconds (this process and its workers), which
show whether a missing speed-up came from busy cores. With N workers the speed-up is at
most N, and less when the sample has fewer than N chunks per process
(hepcourse.simulate.dijet_resonance.CHUNK events each). Last, the cold generation time of
chapter 7's full-size samples (160 000 QCD events and 23 000 resonance events: 18 000 W′,
5 000 Z′ → t t̄), extrapolated from the fastest rates measured.

Prints a table and writes benchmarks/results/dijets_speed.json.
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
from hepcourse.simulate import dijet_resonance

RESULTS = Path(__file__).resolve().parent / "results"
PROCESSES = {"signal": 1.0, "qcd": 0.0}  # signal_fraction of each run


def cpu_seconds() -> float:
    """CPU time used so far by this process and its finished children (the workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500, help="events per run and process")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count (best of)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--extrapolate", type=int, default=160_000, help="background events to extrapolate to "
                        "(chapter 7: 120,000 + 40,000)")
    parser.add_argument("--extrapolate-signal", type=int, default=23_000, help="resonance events to extrapolate "
                        "to (chapter 7: 8,000 + 10,000 W′ and 5,000 Z′ → t t̄)")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    best = {p: {} for p in PROCESSES}
    cpu = {p: {} for p in PROCESSES}
    with tempfile.TemporaryDirectory() as root:
        for rep in range(args.repeat):
            for process, fraction in PROCESSES.items():
                reference = None
                for workers in args.workers:
                    os.environ["HEPCOURSE_DATA_DIR"] = os.path.join(root, f"{process}-{rep}-{workers}")
                    used, start = cpu_seconds(), time.perf_counter()
                    sample = simulate.dijets(args.events, signal_fraction=fraction, seed=args.seed,
                                             workers=workers, progress=False)
                    seconds, used = time.perf_counter() - start, cpu_seconds() - used
                    if seconds < best[process].get(workers, float("inf")):
                        best[process][workers], cpu[process][workers] = seconds, used
                    reference = sample if reference is None else reference
                    assert ak.array_equal(sample, reference, equal_nan=True), "the workers changed the events"

    rate = {p: {w: args.events / s for w, s in best[p].items()} for p in PROCESSES}
    fastest = max(rate["qcd"].items(), key=lambda item: item[1])
    fastest_signal = max(rate["signal"].items(), key=lambda item: item[1])
    cold = args.extrapolate / fastest[1] + args.extrapolate_signal / fastest_signal[1]
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "events": args.events, "chunk": dijet_resonance.CHUNK, "repeat": args.repeat,
        "seconds": {p: {str(w): s for w, s in best[p].items()} for p in PROCESSES},
        "events_per_second": {p: {str(w): r for w, r in rate[p].items()} for p in PROCESSES},
        "events_per_cpu_second": {p: {str(w): args.events / c for w, c in cpu[p].items()} for p in PROCESSES},
        "extrapolated_background": {"events": args.extrapolate, "workers": fastest[0],
                                    "seconds": args.extrapolate / fastest[1]},
        "chapter_cold_seconds": cold,
        "load_average_1min": [load_before, os.getloadavg()[0]],
    }
    print(f"{args.events} events per run (Pythia 8 + detector + FastJet), {result['machine']}, load "
          f"average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (other work shares the cores)")
    print(f"{'process':>8} {'workers':>8} {'seconds':>9} {'events/s':>9} {'speed-up':>9} {'CPU s':>8} "
          f"{'events/CPU s':>13}")
    for process in PROCESSES:
        base = best[process][args.workers[0]]
        for w in args.workers:
            print(f"{process:>8} {w:>8} {best[process][w]:>9.1f} {rate[process][w]:>9.1f} "
                  f"{base / best[process][w]:>9.2f} {cpu[process][w]:>8.1f} {args.events / cpu[process][w]:>13.1f}")
    seconds = args.extrapolate / fastest[1]
    print(f"{args.extrapolate} background events, cold, with {fastest[0]} worker(s): about "
          f"{seconds:.0f} s ({seconds / 60:.1f} min), extrapolated")
    print(f"chapter 7 at full size from an empty cache ({args.extrapolate} QCD + {args.extrapolate_signal} "
          f"resonance events): about {cold / 60:.1f} min of generation, extrapolated")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dijets_speed.json").write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
