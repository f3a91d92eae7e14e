"""The machinery shared by the Pythia 8 + FastJet generators (:mod:`.top_tagging`,
:mod:`.dijet_resonance`): chunks of one process with seeds drawn from (seed, process,
chunk), worker processes, the on-disk cache keyed by the whole configuration and the generator versions,
atomic writes, the progress bar and the notices.

A generator describes itself with a :class:`Generated` (its name, the processes and their
codes, the chunk size, the function that makes one chunk) and calls :func:`generate`; a
chunk is a dict of numpy arrays, event- or jet-level ones [count] and flat constituent
ones (named ``c_*``) whose lengths per row are in ``counts`` [count]. A chunk depends on
its seeds only, so the sample depends on the seed only, never on the number of worker
processes or the order they finish in, and a smaller sample of the same seed is a prefix
of a larger one.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from .. import config as hconfig
from .. import validate
from ..files import atomic_write, remove_orphans

log = logging.getLogger(__name__)

INSTALL = "pip install 'hepcourse[jets]' (that is: pip install 'pythia8mc>=8.315,<8.318' 'fastjet>=3.4')"


def pythia_version() -> str:
    from importlib.metadata import version

    return version("pythia8mc")


def fastjet_version() -> str:
    from importlib.metadata import version

    return version("fastjet")


@dataclass
class Generated:
    """What :func:`generate` needs to know of one generator.

    name: the cache folder's prefix (e.g. "top-tagging"). notice_name: the notices' first
    word (e.g. "jets"). codes: {process: int}, the process's number in the seeds (the order is the order of
    the chunks). chunk: rows per chunk. make: ``make(process, config, seeds, count)`` →
    a chunk (a module-level function, so that worker processes can receive it).
    unit, desc: the progress bar's unit and label. logger: where the notices go (the
    generator's own module's logger). generated: chunks made by Pythia in this process,
    per process (not read from the cache).
    """

    name: str
    notice_name: str
    codes: dict
    chunk: int
    make: Callable
    unit: str
    desc: str
    logger: logging.Logger = log
    generated: dict = field(default_factory=dict)

    def __post_init__(self):
        self.generated = {p: 0 for p in self.codes}


def require_generators(what: str) -> None:
    """ImportError naming what to install when pythia8mc or fastjet is missing."""
    try:
        import fastjet  # noqa: F401
        import pythia8mc  # noqa: F401
    except ImportError as err:
        raise ImportError(f"hepcourse.simulate.{what} needs Pythia 8 and FastJet ({err}); install "
                          f"them with {INSTALL}") from None


def sample_arguments(n, signal_fraction, seed, unit: str) -> tuple[int, float, int]:
    """The checked (n, signal_fraction, seed) of a generator (``unit``: "jets", "events")."""
    return (validate.count(n, "n", what=f"a whole number of {unit}"),
            validate.probability(signal_fraction, "signal_fraction"), validate.seed_int(seed))


def run_arguments(workers, cache, what: str) -> int:
    """The number of worker processes (one per core available to this process by
    default), after checking ``cache`` and that Pythia and FastJet are installed (and
    silencing FastJet's banner in this process)."""
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = validate.count(workers, "workers", what="a number of worker processes")
    if not isinstance(cache, (bool, np.bool_)):
        raise TypeError(f"cache={cache!r}: expected True or False")
    require_generators(what)
    from ._pythia_jets import quiet_fastjet_banner

    quiet_fastjet_banner()  # here too: FastJet used later in this process stays quiet
    return workers


def shared_options(o: dict, n_constituents, detector) -> dict:
    """The checked options every jet generator has: ``mpi`` (from the options ``o``),
    ``radius``, ``eta_max``, ``n_constituents`` and the detector's numbers (default: a
    :class:`~hepcourse.physics.jet_detector.JetDetector` with its defaults)."""
    from ..physics.jet_detector import JetDetector

    if not isinstance(o["mpi"], (bool, np.bool_)):
        raise TypeError(f"mpi={o['mpi']!r}: expected True or False")
    if detector is None:
        detector = JetDetector()
    if not isinstance(detector, JetDetector):
        raise TypeError(f"detector={detector!r}: expected a hepcourse.physics.jet_detector.JetDetector")
    return {"eta_max": validate.positive(o["eta_max"], "eta_max"),
            "radius": validate.real(o["radius"], "radius", low=0.05, high=1.5), "mpi": bool(o["mpi"]),
            "n_constituents": validate.count(n_constituents, "n_constituents", what="a number of constituents"),
            "detector": detector.config()}


def jet_record(fields: dict, constituents):
    """Jets as an awkward record: ``fields`` (numpy arrays [n]: eta, phi, tau1..3 and
    more) with tau21 = τ2/τ1 and tau32 = τ3/τ2 added, and ``constituents`` (ragged
    [n, var], eta and phi) with deta and dphi to the jet axis added."""
    import awkward as ak

    with np.errstate(divide="ignore", invalid="ignore"):
        fields["tau21"] = fields["tau2"] / fields["tau1"]
        fields["tau32"] = fields["tau3"] / fields["tau2"]
    deta = constituents.eta - fields["eta"]
    dphi = (constituents.phi - fields["phi"] + np.pi) % (2 * np.pi) - np.pi
    constituents = ak.with_field(ak.with_field(constituents, deta, "deta"), dphi, "dphi")
    return ak.zip({**fields, "constituents": constituents}, depth_limit=1)


def window(value, name: str, low: float = 0.0) -> tuple[float, float]:
    """A (low, high) pair of numbers with low < high."""
    pair = validate.reals(value, name, low=low, ndim=1)
    if pair.shape != (2,) or not pair[0] < pair[1]:
        raise ValueError(f"{name}={value!r}: give (low, high) with low < high")
    return float(pair[0]), float(pair[1])


def folder(name: str, key: dict) -> Path:
    """The cache folder of a sample: ``cache_dir()/simulated/<name>-<hash>``, the hash of
    ``key`` (the configuration, seed, chunking) and the pythia8mc and fastjet versions."""
    from ..data import cache_dir

    text = json.dumps({**key, "pythia8mc": pythia_version(), "fastjet": fastjet_version()}, sort_keys=True)
    return cache_dir() / "simulated" / f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def seeds(seed: int, code: int, index: int) -> tuple[int, int]:
    """(Pythia seed in 1..900 000 000, detector seed) of chunk ``index`` of the process
    numbered ``code``."""
    state = np.random.SeedSequence([seed, code, index]).generate_state(2, np.uint64)
    return int(state[0] % 900_000_000) + 1, int(state[1])


def _prefix(chunk: dict, count: int) -> dict:
    cut = int(chunk["counts"][:count].sum())
    return {k: (v[:cut] if k.startswith("c_") else v[:count]) for k, v in chunk.items() if k != "count"}


def _read(path: Path, count: int):
    """The first ``count`` rows of a cached chunk, or None (absent, too short, unreadable)."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as stored:
            chunk = {k: stored[k] for k in stored.files}
    except (OSError, ValueError, KeyError) as err:
        log.warning("unreadable cached chunk %s (%s): generating it again", path, err)
        return None
    return _prefix(chunk, count) if int(chunk["count"]) >= count else None


def _write(path: Path, chunk: dict, count: int) -> None:
    remove_orphans(path)  # temporary files of a killed earlier run
    with atomic_write(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, count=np.int64(count), **chunk)


def progress_bar(total: int, enabled: bool, unit: str, desc: str):
    """A tqdm bar (the notebook widget when ipywidgets is there), or None when ``enabled``
    is False or ``HEPCOURSE_PROGRESS=0``."""
    if not (enabled and hconfig.progress()):
        return None
    try:
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm(total=total, unit=unit, desc=desc, leave=True, dynamic_ncols=True)


def _context():
    """Worker processes are forked on Linux (no re-import of the caller's script, which
    ``spawn`` would need guarded by ``if __name__ == "__main__"``) and spawned elsewhere
    (macOS and Windows cannot fork safely: there scripts need that guard)."""
    return get_context("fork" if sys.platform.startswith("linux") else "spawn")


def n_chunks(gen: Generated, count: int) -> int:
    return -(-count // gen.chunk)


def generate(gen: Generated, config: dict, seed: int, counts: dict, key: dict, workers: int,
             cache: bool, progress: bool) -> dict:
    """Every chunk's arrays, {(process, index): dict}, from the cache or generated.

    counts: rows wanted per process. key: what names the cache folder (see :func:`folder`).
    """
    bar = progress_bar(sum(counts.values()), progress, gen.unit, gen.desc)
    try:
        return _chunks(gen, config, seed, counts, key, workers, cache, bar)
    finally:
        if bar is not None:
            bar.close()


def _chunks(gen: Generated, config: dict, seed: int, counts: dict, key: dict, workers: int,
            cache: bool, bar) -> dict:
    where = folder(gen.name, key)
    jobs = [(p, i, min(gen.chunk, counts[p] - i * gen.chunk)) for p in gen.codes
            for i in range(n_chunks(gen, counts[p]))]
    done, missing = {}, []
    for process, index, count in jobs:
        path = where / f"{process}-{index:05d}.npz"
        found = _read(path, count) if cache else None
        if found is None:
            missing.append((process, index, count, path))
        else:
            done[process, index] = found
            if bar is not None:
                bar.update(count)
    from ..data.console import notice

    began = time.perf_counter()
    if missing:
        notice(gen.logger, "%s: generating %d of %d chunks (up to %d %ss each) with Pythia 8 in %d process(es)%s",
               gen.notice_name, len(missing), len(jobs), gen.chunk, gen.unit, min(workers, len(missing)),
               f", caching them in {where}" if cache else " (cache off)")

    def finished(process, index, count, path, result):
        gen.generated[process] += 1
        if cache:
            _write(path, result, count)
        done[process, index] = result
        if bar is not None:
            bar.update(count)

    def seeds_of(process, index):
        return seeds(seed, gen.codes[process], index)

    if workers == 1 or len(missing) == 1:
        for process, index, count, path in missing:
            finished(process, index, count, path, gen.make(process, config, seeds_of(process, index), count))
    elif missing:
        with ProcessPoolExecutor(min(workers, len(missing)), mp_context=_context()) as pool:
            futures = {pool.submit(gen.make, p, config, seeds_of(p, i), c): (p, i, c, path)
                       for p, i, c, path in missing}
            for future in as_completed(futures):
                finished(*futures[future], future.result())
    if missing:
        notice(gen.logger, "%s: %d chunks generated in %.1f s", gen.notice_name, len(missing),
               time.perf_counter() - began)
    elif jobs:
        notice(gen.logger, "%s <- cache %s", gen.notice_name, where)
    return done


def concatenated(gen: Generated, done: dict, counts: dict) -> dict:
    """The chunks of every process, in the order of ``gen.codes``, joined: a dict of
    numpy arrays."""
    parts = [done[p, i] for p in gen.codes for i in range(n_chunks(gen, counts[p]))]
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
