"""Readers of the real ROOT files (through uproot), returning awkward arrays."""
from __future__ import annotations

import awkward as ak
import uproot


def read_tree(path, tree: str, branches=None, n: int | None = None) -> ak.Array:
    """Read ``tree`` of the ROOT file at ``path`` into an awkward array of records.

    ``branches``: a list of branch names (or None for all); ``n``: the first n entries.
    """
    with uproot.open(path) as file:
        return file[tree].arrays(branches, entry_stop=n, library="ak")


def read_zmumu(get, n: int | None = None, **simulation_only) -> ak.Array:
    """The 2304 real CMS 2010 dimuon candidates: Type, Run, Event, then for each muon
    i=1,2: E, px, py, pz, pt (GeV), eta, phi (rad), Q (charge); M the dimuon mass (GeV).

    Options of the simulated twin (``seed``, ...) are accepted and ignored here.
    """
    return read_tree(get("events"), "events", n=n)


def read_hzz(get, n: int | None = None, branches=None, **simulation_only) -> ak.Array:
    """The CMS HEP-tutorial events: ragged Jet_*, Muon_*, Electron_*, Photon_* (GeV),
    MET_px/MET_py (GeV), EventWeight and MC-truth branches."""
    return read_tree(get("events"), "events", branches=branches, n=n)


def read_nanoaod(get, n: int | None = None, branches=None) -> ak.Array:
    """200 CMS NanoAOD tt̄ events (tree ``Events``); pass ``branches`` (names or a
    list) to read a few of its ~950 branches."""
    return read_tree(get("events"), "Events", branches=branches, n=n)
