"""Particle-identification plots: detector response against momentum, drawn like a
detector paper (a 2D histogram on a logarithmic momentum axis, a logarithmic colour
scale, the expected curve of every species on top), and efficiencies against momentum.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import mplhep
import numpy as np
from hist import Hist
from hist import axis as haxis
from matplotlib.colors import LogNorm
from matplotlib.ticker import NullFormatter

from ..constants import MASSES
from ..physics.detector import beta, cherenkov_angle
from ..simulate.tracks import Detector, expected_dedx

#: LaTeX names and colours of the species (curves and legends).
NAMES = {"e": "e", "mu": r"\mu", "pi": r"\pi", "K": "K", "p": "p"}
COLORS = {"e": "tab:green", "mu": "tab:purple", "pi": "tab:red", "K": "tab:orange", "p": "tab:blue"}

_VARIABLES = {
    "dedx": dict(column="dedx", label="d$E$/d$x$ [arb. units]", range=(20.0, 300.0), log=True),
    "beta": dict(column="beta", label=r"TOF $\beta$", range=(0.2, 1.1), log=False),
    "cherenkov_angle": dict(column="cherenkov_angle", label=r"Cherenkov angle $\theta_C$ [rad]",
                            range=(0.0, 0.9), log=False),
}

__all__ = ["COLORS", "NAMES", "band", "beta_vs_p", "cherenkov_vs_p", "dedx_vs_p",
           "efficiency_vs_p", "species_label"]


def species_label(name: str) -> str:
    """The species as a matplotlib math label, e.g. ``$\\pi$``."""
    return f"${NAMES.get(name, name)}$"


def _expected(variable, p, m, detector):
    if variable == "dedx":
        return expected_dedx(p, m, detector)
    if variable == "beta":
        return beta(p, m)
    return cherenkov_angle(p, m, detector.refractive_index)


def band(frame, variable: str = "dedx", detector: Detector | None = None, ax=None,
         p_range=(0.2, 5.0), bins=(200, 200), y_range=None, expected: bool = True,
         species=None, text: str | None = None, legend_loc: str | None = None):
    """Response ``variable`` ("dedx", "beta" or "cherenkov_angle") against the measured
    momentum ``p`` of all tracks in ``frame``, as a 2D histogram with a logarithmic
    momentum axis and colour scale; tracks without that response (NaN) are not drawn.

    expected: overlay the curve of each species of ``frame.attrs["species"]`` (or
    ``species``) for ``detector`` (default: the frame's own, else ``Detector()``).
    text: a label in a lower corner (default: the detector and its resolution; "" for none).
    bins: (momentum bins, response bins); y_range: response range (a default per variable).
    legend_loc: where the legend goes (default: a corner that suits the variable; "best"
    is slow on a 2D histogram). Returns the Axes.
    """
    if variable not in _VARIABLES:
        raise ValueError(f"unknown variable {variable!r}; allowed: {list(_VARIABLES)}")
    spec = _VARIABLES[variable]
    if detector is None:
        stored = frame.attrs.get("detector")
        detector = Detector(**stored) if stored else Detector()  # Detector accepts a list for bethe_bloch
    if y_range is None:
        y_range = spec["range"]
        if variable == "dedx":
            y_range = (y_range[0] * detector.dedx_scale / 50.0, y_range[1] * detector.dedx_scale / 50.0)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    h = Hist(haxis.Regular(bins[0], *p_range, transform=haxis.transform.log, name="p",
                           label="$p$ [GeV]"),
             haxis.Regular(bins[1], *y_range, transform=haxis.transform.log if spec["log"] else None,
                           name="y", label=spec["label"]))
    y = frame[spec["column"]].to_numpy(float)
    ok = np.isfinite(y)
    h.fill(p=frame["p"].to_numpy(float)[ok], y=y[ok])
    values = h.values()
    mplhep.hist2dplot(h, ax=ax, norm=LogNorm(vmin=1, vmax=max(values.max(), 2)), cmap="viridis",
                      flow=None, mask=values >= 1)
    ax.set_xscale("log")
    if spec["log"]:
        ax.set_yscale("log")
        ticks = [t for t in (10, 20, 30, 50, 100, 200, 300, 500, 1000) if y_range[0] <= t <= y_range[1]]
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("$p$ [GeV]")
    ax.set_ylabel(spec["label"])
    if legend_loc is None:
        legend_loc = {"dedx": "upper right", "beta": "lower right", "cherenkov_angle": "center right"}[variable]
    if expected:
        grid = np.geomspace(*p_range, 400)
        for s in (species or frame.attrs.get("species", ("pi", "K", "p"))):
            ax.plot(grid, _expected(variable, grid, MASSES[s], detector), color=COLORS[s],
                    lw=1.5, label=species_label(s))
        ax.legend(loc=legend_loc, frameon=True, fontsize="small")
    ax.set_xlim(*p_range)
    ax.set_ylim(*y_range)
    _momentum_ticks(ax, p_range)
    if text is None:
        text = {"dedx": f"{detector.name} detector, d$E$/d$x$ resolution "
                        f"{100 * detector.dedx_resolution:.1f}%",
                "beta": f"{detector.name} detector, TOF at R = {detector.tof_radius:g} m, "
                        rf"$\sigma_t$ = {1000 * detector.tof_resolution:.0f} ps",
                "cherenkov_angle": f"{detector.name} detector, {detector.radiator}, "
                                   f"n = {detector.refractive_index:g}"}[variable]
    if text:
        # lower left, except for the Cherenkov angle, whose thresholds start there
        x, ha = (0.97, "right") if variable == "cherenkov_angle" else (0.03, "left")
        ax.text(x, 0.04, text, transform=ax.transAxes, ha=ha, color="black", fontsize="small",
                bbox=dict(facecolor="white", alpha=0.7, edgecolor="none"))
    return ax


def _momentum_ticks(ax, p_range):
    """Plain-number ticks (0.2, 0.5, 1, 2, 5) on a logarithmic momentum axis."""
    ticks = [t for t in (0.1, 0.2, 0.3, 0.5, 1, 2, 3, 5, 10, 20, 50, 100)
             if p_range[0] <= t <= p_range[1]]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())


def dedx_vs_p(frame, detector: Detector | None = None, ax=None, **options):
    """dE/dx against momentum with the Bethe-Bloch (ALEPH) curves; see :func:`band`."""
    return band(frame, "dedx", detector, ax, **options)


def beta_vs_p(frame, detector: Detector | None = None, ax=None, **options):
    """Time-of-flight β against momentum with β = p/√(p²+m²); see :func:`band`."""
    return band(frame, "beta", detector, ax, **options)


def cherenkov_vs_p(frame, detector: Detector | None = None, ax=None, **options):
    """Cherenkov angle against momentum with cos θ = 1/(nβ); see :func:`band`."""
    return band(frame, "cherenkov_angle", detector, ax, **options)


def efficiency_vs_p(tables, ax=None, ylabel: str = "efficiency", logy: bool = False,
                    log_p: bool = False):
    """Efficiencies (or mis-identification rates) against momentum.

    tables: {label: DataFrame} with the columns of
    :func:`hepcourse.analysis.pid.efficiency_table` / :func:`~hepcourse.analysis.pid.efficiency_at_misid`
    (p_low, p_high, efficiency, low, high); each is drawn as points with the bin width
    as horizontal and the 68% Clopper-Pearson interval as vertical error bars.
    Returns the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    for k, (label, t) in enumerate(tables.items()):
        x = 0.5 * (t["p_low"] + t["p_high"]).to_numpy()
        xerr = 0.5 * (t["p_high"] - t["p_low"]).to_numpy()
        eff = t["efficiency"].to_numpy()
        yerr = np.vstack([eff - t["low"].to_numpy(), t["high"].to_numpy() - eff])
        ax.errorbar(x, eff, xerr=xerr, yerr=yerr, fmt="os^vDx"[k % 6], ms=5, capsize=0,
                    label=label)
    ax.set_xlabel("$p$ [GeV]")
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if log_p:
        ax.set_xscale("log")
        lows, highs = [t["p_low"].min() for t in tables.values()], [t["p_high"].max() for t in tables.values()]
        _momentum_ticks(ax, (min(lows), max(highs)))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return ax
