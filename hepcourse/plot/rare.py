"""Measuring and showing a classifier for a rare signal, and the images it reads.

With one signal event in a thousand, accuracy says nothing (always answering "background"
is 99.9% accurate). What a search needs instead:

- the signal efficiency ε_S at a fixed background rejection 1/ε_B (:func:`hepcourse.stats.working_point`),
  and the whole curve of rejection against efficiency (:func:`hepcourse.plot.background_rejection`);
- the precision S/(S+B) against the recall ε_S at the true signal fraction
  (:func:`precision_recall`), whose baseline is the signal fraction itself;
- the expected significance S/√B for the expected yields before the selection
  (:func:`hepcourse.stats.significance_scan`, drawn by :func:`significance_plot`).

Images: :func:`event_display` draws one event, :func:`average_images` the mean signal and
background images, on η × φ axes with the tower E_T on a logarithmic colour scale.
Plot functions draw on ``ax`` (made when None), label the axes with units and return it.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

__all__ = ["average_images", "event_display", "precision_recall", "significance_plot"]


def precision_recall(y, scores: dict, ax=None, sample_weight=None):
    """Precision S/(S+B) against recall ε_S for each entry of ``scores`` ({label: score}),
    at the signal fraction of (y, sample_weight). The dashed line is the precision of a
    random guess: the signal fraction itself. Returns the Axes."""
    from sklearn.metrics import precision_recall_curve

    ax = ax or plt.subplots(figsize=(8, 6))[1]
    y = np.asarray(y).reshape(-1)
    w = None if sample_weight is None else np.asarray(sample_weight, np.float64)
    for label, score in scores.items():
        precision, recall, _ = precision_recall_curve(y, np.asarray(score).reshape(-1), sample_weight=w)
        ax.plot(recall, precision, label=label, drawstyle="steps-post")
    fraction = np.average(y == 1, weights=w)
    ax.axhline(fraction, color="grey", ls="--", label=f"random guess (signal fraction {fraction:.1e})")
    ax.set_yscale("log")
    ax.set_xlim(0, 1)
    ax.set_ylim(max(fraction / 3, 1e-6), 1.05)
    ax.set_xlabel(r"recall = signal efficiency $\varepsilon_S$")
    ax.set_ylabel("precision = S / (S + B)")
    ax.legend()
    return ax


def significance_plot(scans: dict, ax=None):
    """Expected S/√B against the signal efficiency of the cut, for each entry of ``scans``
    ({label: DataFrame from :func:`significance_scan`}). Returns the Axes."""
    ax = ax or plt.subplots(figsize=(8, 6))[1]
    for i, (label, scan) in enumerate(scans.items()):
        ax.plot(scan.eff_signal, scan.s_over_sqrt_b, color=f"C{i}", label=label)
        best = scan.s_over_sqrt_b.idxmax()
        ax.plot(scan.eff_signal[best], scan.s_over_sqrt_b[best], "o", color=f"C{i}")
    ax.set_xlabel(r"signal efficiency $\varepsilon_S$ of the cut")
    ax.set_ylabel("expected significance $S/$√$B$")  # mathtext's \\sqrt warns with the course's font set
    ax.set_xlim(0, 1)
    ax.legend()
    return ax


def _edges(image_shape, eta_edges, phi_edges):
    h, w = image_shape
    if eta_edges is None:
        eta_edges = np.linspace(-np.pi, np.pi, h + 1)
    if phi_edges is None:
        phi_edges = np.linspace(-np.pi, np.pi, w + 1)
    return np.asarray(eta_edges), np.asarray(phi_edges)


def event_display(image, ax=None, eta_edges=None, phi_edges=None, title: str | None = None,
                  vmin: float = 0.1, vmax: float | None = None, colorbar: bool = True,
                  label: str = r"tower $E_T$ [GeV]"):
    """One calorimeter image [H, W] or [1, H, W] (E_T in GeV) on η (vertical) × φ
    (horizontal) axes, with a logarithmic colour scale from ``vmin`` GeV (empty towers
    white). Edges default to |η| < π and φ in [-π, π). Returns the Axes."""
    img = np.asarray(image, dtype=np.float64)
    img = img.reshape(img.shape[-2:])
    eta_edges, phi_edges = _edges(img.shape, eta_edges, phi_edges)
    ax = ax or plt.subplots(figsize=(6.5, 5.5))[1]
    vmax = vmax or max(float(img.max()), vmin * 10)
    mesh = ax.pcolormesh(phi_edges, eta_edges, np.where(img > 0, img, np.nan),
                         norm=LogNorm(vmin=vmin, vmax=vmax), cmap="viridis")
    ax.set_xlabel(r"azimuth $\phi$ [rad]")
    ax.set_ylabel(r"pseudorapidity $\eta$")
    if title:
        ax.set_title(title, fontsize=13)
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=label)
    return ax


def average_images(images, labels, eta_edges=None, phi_edges=None, align: bool = True,
                   names=("background", "signal")):
    """The mean image of each class (E_T per tower, GeV), side by side.

    align: first move every event, using only the detector's symmetries, so that its
    hottest tower sits at φ = 0 and η ≥ 0 (see :func:`hepcourse.augment.align_hottest`);
    without it the mean of jets at random places is nearly featureless.
    Returns the Figure.
    """
    from ..augment import align_hottest

    x = np.asarray(images)
    labels = np.asarray(labels).reshape(-1)
    if align:
        x = align_hottest(x)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), constrained_layout=True)
    means = [x[labels == k].mean(axis=0) for k in (0, 1)]
    vmax = max(float(m.max()) for m in means)
    for ax, mean, name, k in zip(axes, means, names, (0, 1)):
        event_display(mean, ax=ax, eta_edges=eta_edges, phi_edges=phi_edges, vmin=0.1, vmax=vmax,
                      title=f"mean {name} image ({int((labels == k).sum())} events)",
                      label=r"mean tower $E_T$ [GeV]")
    return fig
