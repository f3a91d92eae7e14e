"""Calorimeter images on disk: chunked, compressed HDF5 through h5py.

Images are the largest arrays of the course (a 32 × 32 float32 image is 4 kB, so 10⁵
events are 400 MB in memory). HDF5 stores them in chunks of a few hundred events, each
compressed (shuffle + gzip: zero-suppressed, digitised tower energies compress well), and
reads any slice of events without touching the rest of the file.

Layout of a file written by :func:`save_images` (``format = "hepcourse-images"``)::

    /images   float32 [N, 1, H, W]  tower E_T in GeV; attrs: unit, quantity, axes, edges
    /labels   int64 [N]             1 = signal, 0 = background
    /truth/   one dataset per column of the per-event truth table (its own dtype)
    attrs:    format, format_version, created_with, provenance (JSON of the sample's attrs)

>>> from hepcourse.data.hdf5 import save_images, load_images, cached_images
>>> save_images("sample.h5", sample)
>>> again = load_images("sample.h5")                  # exact: same bits, same dtypes
>>> first = load_images("sample.h5", stop=1000)       # only the first 1000 events
>>> rare = cached_images(n=100_000, signal_fraction=1e-3, seed=1)   # simulated once, then read
"""
from __future__ import annotations

import hashlib
import inspect
import json
import logging
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from ..files import atomic_write, remove_orphans
from .download import DataError, cache_dir
from .console import notice

FORMAT = "hepcourse-images"
FORMAT_VERSION = 1
log = logging.getLogger(__name__)

__all__ = ["FORMAT", "ImageFileError", "cached_images", "cached_images_path", "load_images",
           "save_images"]


class ImageFileError(DataError, ValueError):
    """The file is not a (readable) hepcourse image file."""


def save_images(path, sample=None, *, images=None, labels=None, truth=None, attrs=None,
                chunk_events: int = 256, level: int = 4) -> Path:
    """Write images, labels and truth to an HDF5 file at ``path`` and return its Path.

    Pass an :class:`~hepcourse.simulate.calorimeter.ImageSample` as ``sample``, or the parts:
    ``images`` float32 [N, C, H, W] (GeV), ``labels`` [N] (integers), ``truth`` a DataFrame
    of N rows with numeric columns (optional), ``attrs`` a JSON-serialisable dict of
    provenance (optional). Data are chunked by ``chunk_events`` events and compressed with
    shuffle + gzip at ``level`` (0-9); every value is stored exactly (lossless).
    The file is written under a temporary name and renamed when complete, so a reader never
    sees half a file.
    """
    if sample is not None:
        if any(part is not None for part in (images, labels, truth, attrs)):
            raise ValueError("pass either sample or images/labels/truth/attrs, not both")
        images, labels, truth, attrs = sample.images, sample.labels, sample.truth, sample.attrs
    if images is None or labels is None:
        raise ValueError("save_images needs images [N, C, H, W] and labels [N]")
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 4:
        raise ValueError(f"images must have shape [N, C, H, W]; got {images.shape}")
    if labels.shape != (images.shape[0],):
        raise ValueError(f"labels must have shape [{images.shape[0]}] to match the images; "
                         f"got {labels.shape}")
    if truth is None:
        truth = pd.DataFrame(index=range(len(labels)))
    if len(truth) != len(labels):
        raise ValueError(f"truth has {len(truth)} rows for {len(labels)} events")
    for column in truth.columns:
        if not (pd.api.types.is_numeric_dtype(truth[column]) or pd.api.types.is_bool_dtype(truth[column])):
            raise ValueError(f"truth column {column!r} has dtype {truth[column].dtype}; only numeric "
                             "columns can be stored")
    if not 0 <= level <= 9:
        raise ValueError(f"level={level!r}: gzip levels are 0 (none) to 9 (smallest)")
    provenance = json.dumps(attrs or {}, default=_json_default)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(labels)
    chunk = max(1, min(int(chunk_events), n))
    options = {"compression": "gzip", "compression_opts": int(level), "shuffle": True} if level else {}
    remove_orphans(path)
    # atomic_write: the umask's permissions, and no half file on failure
    with atomic_write(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["created_with"] = _created_with()
        f.attrs["provenance"] = provenance
        ds = f.create_dataset("images", data=images, chunks=(chunk,) + images.shape[1:], **options)
        ds.attrs["unit"] = (attrs or {}).get("unit", "GeV")
        ds.attrs["quantity"] = (attrs or {}).get("quantity", "transverse energy E_T per tower")
        ds.attrs["axes"] = json.dumps((attrs or {}).get("axes", ["event", "channel", "eta", "phi"]))
        for edges in ("eta_edges", "phi_edges"):
            if attrs and edges in attrs:
                ds.attrs[edges] = np.asarray(attrs[edges], dtype=np.float64)
        lab = f.create_dataset("labels", data=labels, chunks=(max(chunk, min(n, 65536)),), **options)
        lab.attrs["meaning"] = "1 = signal, 0 = background"
        group = f.create_group("truth")
        group.attrs["columns"] = json.dumps([str(c) for c in truth.columns])
        for column in truth.columns:
            group.create_dataset(str(column), data=truth[column].to_numpy(),
                                 chunks=(max(chunk, min(n, 65536)),), **options)
    return path


def load_images(path, *, start: int | None = None, stop: int | None = None):
    """Read an image file written by :func:`save_images` (events ``start:stop``, default all).

    Returns an :class:`~hepcourse.simulate.calorimeter.ImageSample` whose ``images``, ``labels``
    and ``truth`` equal, bit for bit and dtype for dtype, what was saved; ``attrs`` is the
    saved provenance plus ``file`` (the path read).
    Raises FileNotFoundError for a missing file and :class:`ImageFileError` for a file that
    is not HDF5 or was not written by :func:`save_images`.
    """
    from ..simulate.calorimeter import ImageSample

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}: write one with "
                                "hepcourse.data.hdf5.save_images(path, sample), or use "
                                "cached_images(...) to simulate and cache a sample")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise ImageFileError(f"{path} is not an HDF5 file (h5py: {err}); image files are written "
                             "by hepcourse.data.hdf5.save_images") from None
    with f:
        found = f.attrs.get("format")
        if found != FORMAT:
            raise ImageFileError(f"{path} is an HDF5 file but not a hepcourse image file "
                                 f"(attribute format={found!r}, expected {FORMAT!r}); image files "
                                 "are written by hepcourse.data.hdf5.save_images")
        version = int(f.attrs.get("format_version", -1))
        if version > FORMAT_VERSION:
            raise ImageFileError(f"{path} has image-file format version {version}; this hepcourse "
                                 f"reads up to version {FORMAT_VERSION}: update hepcourse")
        missing = [name for name in ("images", "labels", "truth") if name not in f]
        if missing:
            raise ImageFileError(f"{path} lacks {missing}: the file is incomplete or damaged")
        select = slice(start, stop)
        images = f["images"][select]
        labels = f["labels"][select]
        group = f["truth"]
        columns = json.loads(group.attrs["columns"])
        truth = pd.DataFrame({c: group[c][select] for c in columns})
        attrs = json.loads(f.attrs["provenance"])
    attrs["file"] = str(path)
    return ImageSample(images, labels, truth, attrs)


def _options(options: dict) -> dict:
    """The simulator's full option set (defaults filled in), as canonical JSON values."""
    from ..simulate.calorimeter import images as simulate

    try:
        bound = inspect.signature(simulate).bind(**options)
    except TypeError as err:
        raise TypeError(f"cached_images: {err} (the options are those of hepcourse.simulate.images)") from None
    bound.apply_defaults()
    if not isinstance(bound.arguments.get("seed"), (int, np.integer)) or isinstance(bound.arguments["seed"], bool):
        raise TypeError(f"cached_images: seed={bound.arguments.get('seed')!r}: a cached sample needs an int "
                        "seed (a numpy Generator cannot name a file); call simulate.images directly instead")
    return json.loads(json.dumps(dict(bound.arguments), default=_json_default, sort_keys=True))


def cached_images_path(**options) -> Path:
    """Where :func:`cached_images` keeps the sample simulated with these options."""
    from ..simulate.calorimeter import SIMULATOR_VERSION

    canonical = _options(options)
    key = json.dumps({"options": canonical, "simulator_version": SIMULATOR_VERSION,
                      "format_version": FORMAT_VERSION}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir() / "simulated" / f"images-{digest}.h5"


def cached_images(**options):
    """A simulated image sample, read from the cache if it was made before, else simulated
    with :func:`hepcourse.simulate.calorimeter` (same options) and written to the cache.

    The file lives in ``hepcourse.data.cache_dir()/simulated/`` under a name derived from
    the options (with defaults filled in) and the simulator version, so different options
    never share a file and a changed simulator never reuses an old one. A damaged cache file
    is replaced. Says which of the two happened in a one-line notice (logging, INFO, see
    :mod:`hepcourse.data.console`).
    """
    from ..simulate.calorimeter import images as simulate

    path = cached_images_path(**options)
    if path.is_file():
        try:
            sample = load_images(path)
        except (ImageFileError, OSError, KeyError, ValueError) as err:
            notice(log, "the cached %s is unreadable (%s); simulating again", path.name, err)
        else:
            notice(log, "images <- cache %s", path)
            return sample
    began = time.perf_counter()
    sample = simulate(**options)
    save_images(path, sample)
    sample.attrs["file"] = str(path)
    notice(log, "images <- simulated %d events in %.1f s, cached to %s (%.1f MB)", len(sample),
           time.perf_counter() - began, path, path.stat().st_size / 1e6)
    return sample


def _created_with() -> str:
    from .. import __version__

    return f"hepcourse {__version__}, h5py {h5py.__version__}, HDF5 {h5py.version.hdf5_version}"


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
