"""Event-level selections on candidate lists."""
from __future__ import annotations

import awkward as ak
import numpy as np

from .. import validate


def one_candidate_per_event(events: ak.Array, preference=("GG", "GT", "TT"),
                            type_field: str = "Type", key=("Run", "Event")) -> ak.Array:
    """Keep one candidate per collision event.

    Files such as ``uproot-Zmumu.root`` hold several candidates per event (the same two
    muons reconstructed in different ways, one row each); they are not independent
    measurements and must not all enter a fit. For each event, identified by the ``key``
    fields, this keeps the candidate whose ``type_field`` comes first in ``preference``
    (then the first in file order). Returns the selected rows, in file order.
    """
    if isinstance(preference, str) or not preference:
        raise ValueError(f"preference={preference!r}: give a non-empty sequence of candidate types")
    fields = [type_field, *key] if not isinstance(key, str) else [type_field, key]
    for name in fields:
        validate.choice(name, "type_field/key", events.fields)
    key = (key,) if isinstance(key, str) else tuple(key)
    types = np.asarray(ak.to_list(events[type_field]), dtype=object)
    unknown = set(types) - set(preference)
    if unknown:
        raise ValueError(f"candidate types {sorted(unknown)} are not in preference={preference}")
    rank = np.searchsorted(np.array(preference), types, sorter=np.argsort(preference))
    rank = np.argsort(preference)[rank]
    columns = [np.asarray(events[k]) for k in key]
    order = np.lexsort((np.arange(len(events)), rank, *reversed(columns)))
    sorted_keys = np.stack([c[order] for c in columns], axis=1)
    first = np.r_[True, np.any(sorted_keys[1:] != sorted_keys[:-1], axis=1)]
    return events[np.sort(order[first])]
