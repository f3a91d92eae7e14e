"""Readers of the real ROOT files (through uproot), returning awkward arrays.

The readers take the options of their simulated twins (``seed``, ...) explicitly and
ignore them, so that :func:`hepcourse.data.load` accepts the same options whichever
source it uses; any other keyword is a TypeError here (and a ValueError in ``load``).
"""
from __future__ import annotations

import awkward as ak
import uproot

from .. import validate


def read_tree(path, tree: str, branches=None, n: int | None = None) -> ak.Array:
    """Read ``tree`` of the ROOT file at ``path`` into an awkward array of records.

    ``branches``: a list of branch names (or None for all); ``n``: the first n entries
    (a whole number ≥ 1, or None for all).
    """
    n = _entries(n)
    with uproot.open(path) as file:
        return file[tree].arrays(branches, entry_stop=n, library="ak")


def read_zmumu(get, n: int | None = None, *, seed=None, signal_fraction=None,
               mass_range=None) -> ak.Array:
    """The 2304 real CMS 2010 dimuon candidates: Type, Run, Event, then for each muon
    i=1,2: E, px, py, pz, pt (GeV), eta, phi (rad), Q (charge); M the dimuon mass (GeV).

    n: the first n candidates (all when None). ``seed``, ``signal_fraction`` and
    ``mass_range`` are options of the simulated twin, ignored here.
    """
    n = _entries(n)  # before get(): a bad n fails before any download
    return read_tree(get("events"), "events", n=n)


def read_hzz(get, n: int | None = None, branches=None, *, seed=None) -> ak.Array:
    """The CMS HEP-tutorial events: ragged Jet_*, Muon_*, Electron_*, Photon_* (GeV),
    MET_px/MET_py (GeV), EventWeight and MC-truth branches.

    n: the first n events (all when None); branches: names to read (all when None);
    ``seed`` is an option of the simulated twin, ignored here.
    """
    n = _entries(n)  # before get(): a bad n fails before any download
    return read_tree(get("events"), "events", branches=branches, n=n)


def read_nanoaod(get, n: int | None = None, branches=None) -> ak.Array:
    """200 CMS NanoAOD tt̄ events (tree ``Events``); pass ``branches`` (names or a
    list) to read a few of its ~950 branches; n: the first n events (all when None)."""
    n = _entries(n)  # before get(): a bad n fails before any download
    return read_tree(get("events"), "Events", branches=branches, n=n)


def _entries(n) -> int | None:
    return validate.optional_count(n, "n", what="a whole number of entries (or None for all)")
