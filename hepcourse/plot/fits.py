"""Data against a fitted model, with a pull panel."""
from __future__ import annotations

import matplotlib.pyplot as plt
import mplhep
import numpy as np
from hist import Hist


def style() -> None:
    """A readable physics style for notebooks and slides (mplhep's CMS look, smaller)."""
    plt.style.use(mplhep.style.CMS)
    plt.rcParams.update({"figure.figsize": (8, 6), "font.size": 16, "axes.titlesize": 16,
                         "legend.fontsize": 13, "figure.dpi": 80})


def expected_counts(model, edges, points: int = 9) -> np.ndarray:
    """Expected events per bin: ``model(x)`` (events per unit x) integrated over each bin
    with Simpson's rule. edges: shape [B+1]; returns shape [B]."""
    edges = np.asarray(edges, dtype=float)
    t = np.linspace(0.0, 1.0, points)
    x = edges[:-1, None] + (edges[1:] - edges[:-1])[:, None] * t[None, :]
    y = np.asarray(model(x.ravel())).reshape(x.shape)
    from scipy.integrate import simpson

    return simpson(y, x=x, axis=1)


def data_vs_fit(data, model, bins: int = 40, range=(70.0, 110.0), components=None,
                xlabel: str = r"$m_{\mu\mu}$ [GeV]", data_label: str = "data"):
    """Histogram ``data`` with Poisson error bars, overlay ``model`` and draw pulls below.

    model: callable x -> expected events per unit of x (e.g. per GeV) for the whole fit;
    components: optional {label: callable} drawn as dashed curves (e.g. the background).
    Pull per bin = (observed − expected) / √expected.
    Returns ``(fig, (ax_main, ax_pull), pulls)``; pulls has shape [bins].
    """
    h = Hist.new.Reg(bins, *range, name="x", label=xlabel).Double()
    h.fill(np.asarray(data, dtype=float))
    edges = h.axes[0].edges
    centres = h.axes[0].centers
    width = edges[1] - edges[0]
    observed = h.values()
    expected = expected_counts(model, edges)
    pulls = (observed - expected) / np.sqrt(np.maximum(expected, 1e-9))
    chi2 = float(np.sum(pulls**2))

    fig, (ax, axp) = plt.subplots(2, 1, sharex=True, figsize=(8, 7),
                                  gridspec_kw={"height_ratios": [3, 1], "hspace": 0.05})
    mplhep.histplot(h, ax=ax, histtype="errorbar", yerr=np.sqrt(observed), color="black",
                    label=f"{data_label} ({int(observed.sum())} events)")
    fine = np.linspace(*range, 400)
    ax.plot(fine, np.asarray(model(fine)) * width, color="C0", lw=2,
            label=f"fit ($\\chi^2$/bins = {chi2:.1f}/{bins})")
    for i, (label, comp) in enumerate((components or {}).items()):
        ax.plot(fine, np.asarray(comp(fine)) * width, ls="--", color=f"C{i + 1}", label=label)
    ax.set_ylabel(f"events / {width:g} GeV")
    ax.set_xlabel("")
    ax.legend()
    axp.axhline(0, color="black", lw=1)
    axp.bar(centres, pulls, width=width, color="C0", alpha=0.6)
    axp.set_ylabel("pull")
    axp.set_ylim(-4, 4)
    axp.set_xlabel(xlabel)
    return fig, (ax, axp), pulls
