"""Drawing jets as sets of particles (chapter 6): one jet's constituents in the (Δη, Δφ)
plane around its axis, marker area proportional to pT, colour by what the detector saw,
optionally with the k-nearest-neighbour graph an EdgeConv network builds on them."""
from __future__ import annotations

import awkward as ak
import matplotlib.pyplot as plt
import numpy as np

from ..physics.jet_detector import PID_ECAL, PID_HCAL

__all__ = ["jet_constituents"]

_KINDS = {"charged track": (211, 11, 13), "photon (ECAL cell)": (PID_ECAL,),
          "neutral hadron (HCAL cell)": (PID_HCAL,)}
_COLOURS = {"charged track": "tab:blue", "photon (ECAL cell)": "tab:orange",
            "neutral hadron (HCAL cell)": "tab:green"}


def jet_constituents(jet, ax=None, radius: float = 0.8, knn: int | None = None,
                     title: str | None = None, size_per_gev: float = 3.0):
    """Scatter one jet's constituents (a record of :func:`hepcourse.simulate.jets`) in Δη and
    Δφ to the jet axis; the dashed circle is the jet radius. knn: also draw the edges from
    every constituent to its ``knn`` nearest neighbours in (Δη, Δφ) (the first graph of
    ParticleNet). Returns the Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    c = jet["constituents"]
    deta, dphi, pt = (np.asarray(ak.to_numpy(c[k]), float) for k in ("deta", "dphi", "pt"))
    pid = np.abs(np.asarray(ak.to_numpy(c["pid"])))
    if knn:
        points = np.stack([deta, dphi], axis=1)
        distance = np.linalg.norm(points[:, None] - points[None], axis=-1)
        np.fill_diagonal(distance, np.inf)
        for i, row in enumerate(np.argsort(distance, axis=1)[:, :knn]):
            for j in row:
                ax.plot([deta[i], deta[j]], [dphi[i], dphi[j]], color="0.75", lw=0.5, zorder=1)
    for kind, codes in _KINDS.items():
        chosen = np.isin(pid, codes)
        ax.scatter(deta[chosen], dphi[chosen], s=size_per_gev * pt[chosen], color=_COLOURS[kind],
                   alpha=0.7, edgecolor="k", linewidth=0.3, label=f"{kind} ({chosen.sum()})", zorder=2)
    ax.add_patch(plt.Circle((0, 0), radius, fill=False, ls="--", color="0.4"))
    ax.set(xlim=(-1.05 * radius, 1.05 * radius), ylim=(-1.05 * radius, 1.05 * radius),
           xlabel=r"$\Delta\eta$ to the jet axis", ylabel=r"$\Delta\phi$ to the jet axis [rad]",
           aspect="equal")
    ax.set_title(title or f"jet: $p_T$ = {float(jet['pt']):.0f} GeV, $m$ = {float(jet['mass']):.0f} GeV",
                 fontsize=10)
    ax.legend(loc="upper right", fontsize=7, markerscale=0.5)
    return ax
