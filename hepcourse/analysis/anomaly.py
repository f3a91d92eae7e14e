"""Searches without a signal model on the dijets of :func:`hepcourse.simulate.dijets`
(chapter 7): the LHC Olympics' event features, the signal region and its sidebands in
m_jj, signal injection, and the weakly supervised selections (CWoLa, CATHODE) with k-fold
scoring, so that no event is ever scored by a classifier that saw it.

>>> table = features(events)                 # pandas DataFrame, one row per event
>>> region = Regions()                       # SR 3.3-3.7 TeV, sidebands 2.9-3.3, 3.7-4.1 TeV
>>> region.of(table.mjj)                     # "low", "sr", "high" or "" (outside)
"""
from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np
import pandas as pd

from .. import validate

__all__ = ["FEATURES", "Regions", "features", "inject"]

#: The LHCO's four features of an event (CATHODE, arXiv:2109.00546): the heavier jet's
#: mass m_j1 and the mass difference m_j1 − m_j2 (GeV), and both jets' τ21.
FEATURES = ("mj1", "delta_mj", "tau21_j1", "tau21_j2")


def features(events) -> pd.DataFrame:
    """The event table of a :func:`~hepcourse.simulate.dijets` sample: columns ``mjj``,
    :data:`FEATURES` (``mj1``, ``delta_mj`` in GeV; ``tau21_j1``, ``tau21_j2``) and
    ``label`` (1 signal, 0 QCD; the truth, for
    measuring only). One row per event [N]."""
    for field in ("mjj", "label", "jet1", "jet2"):
        if field not in ak.fields(events):
            raise ValueError(f"features: events lack the field {field!r}; pass the awkward Array of "
                             "hepcourse.simulate.dijets (fields mjj, label, jet1, jet2)")
    m1, m2 = ak.to_numpy(events.jet1.mass).astype(float), ak.to_numpy(events.jet2.mass).astype(float)
    mjj = ak.to_numpy(events.mjj).astype(float)
    return pd.DataFrame({"mjj": mjj, "mj1": m1, "delta_mj": m1 - m2,
                         "tau21_j1": ak.to_numpy(events.jet1.tau21).astype(float),
                         "tau21_j2": ak.to_numpy(events.jet2.tau21).astype(float),
                         "label": ak.to_numpy(events.label).astype(np.int64)})


@dataclass(frozen=True)
class Regions:
    """A signal region ``sr`` = (low, high) in m_jj (GeV) and sidebands of width
    ``sideband`` (GeV) on either side. The bump hunt after a selection fits m_jj in the
    sidebands and the signal region together (:attr:`fit_range`): outside them a learned
    selection was not trained, and its efficiency there need not follow the same smooth
    curve. Defaults: SR 3.3-3.7 TeV around the LHCO resonance, sidebands 2.9-3.3 and
    3.7-4.1 TeV."""

    sr: tuple[float, float] = (3300.0, 3700.0)
    sideband: float = 400.0

    def __post_init__(self):
        low, high = (validate.real(v, "sr") for v in self.sr)
        validate.positive(self.sideband, "sideband")
        if not 0 < low < high:
            raise ValueError(f"sr={self.sr!r}: expected (low, high) in GeV with 0 < low < high")
        if low - self.sideband <= 0:
            raise ValueError(f"sideband={self.sideband:g} GeV reaches below m_jj = 0 from sr={self.sr!r}")

    @property
    def centre(self) -> float:
        """The middle of the signal region (GeV)."""
        return 0.5 * (self.sr[0] + self.sr[1])

    @property
    def fit_range(self) -> tuple[float, float]:
        """(low, high) in GeV: the signal region and both sidebands."""
        return (self.sr[0] - self.sideband, self.sr[1] + self.sideband)

    def shifted(self, centre: float) -> "Regions":
        """The same windows moved to ``centre`` (GeV): the next step of a sliding search."""
        half = 0.5 * (self.sr[1] - self.sr[0])
        return Regions((centre - half, centre + half), self.sideband)

    def of(self, mjj) -> np.ndarray:
        """The region of each m_jj (GeV) [N]: "sr", "low", "high" (the sidebands) or ""."""
        m = np.asarray(mjj, dtype=float)
        low, high = self.sr
        out = np.full(m.shape, "", dtype="<U4")
        out[(m >= low - self.sideband) & (m < low)] = "low"
        out[(m >= low) & (m < high)] = "sr"
        out[(m >= high) & (m < high + self.sideband)] = "high"
        return out

    def in_sr(self, mjj) -> np.ndarray:
        """True where m_jj lies in the signal region [N]."""
        return self.of(mjj) == "sr"

    def in_sidebands(self, mjj) -> np.ndarray:
        """True where m_jj lies in either sideband [N]."""
        return np.isin(self.of(mjj), ("low", "high"))

    def in_fit_range(self, mjj) -> np.ndarray:
        """True where m_jj lies in the signal region or a sideband [N]."""
        return self.of(mjj) != ""


def inject(background: pd.DataFrame, signal: pd.DataFrame, n_signal: int, seed=0) -> pd.DataFrame:
    """A pseudo-data table: all of ``background`` and the first ``n_signal`` rows of
    ``signal`` (tables of :func:`features`), shuffled with ``seed``. The signal rows are
    taken in order, so a larger injection contains every smaller one of the same signal."""
    n_signal = validate.count(n_signal, "n_signal", minimum=0)
    if n_signal > len(signal):
        raise ValueError(f"inject: n_signal={n_signal} but the signal table has {len(signal)} rows; "
                         "generate more signal events")
    table = pd.concat([background, signal.iloc[:n_signal]], ignore_index=True)
    order = np.random.default_rng(validate.seed_int(seed)).permutation(len(table))
    return table.iloc[order].reset_index(drop=True)
