"""Classifier performance: ROC curves with the AUC in the legend, background rejection
against signal efficiency, score distributions by class, and AUC against a parameter."""
from __future__ import annotations

import matplotlib.pyplot as plt
import mplhep
import numpy as np
from hist import Hist
from sklearn.metrics import roc_auc_score, roc_curve


def _curves(y, scores):
    """{label: (y, score)} from a score array or a dict whose values are score arrays or
    (y, score) pairs (curves measured on different events)."""
    if not isinstance(scores, dict):
        scores = {"classifier": scores}
    out = {}
    for label, value in scores.items():
        if isinstance(value, tuple) and len(value) == 2:
            yy, ss = value
        else:
            yy, ss = y, value
        yy, ss = np.asarray(yy).ravel(), np.asarray(ss).ravel()
        if yy.shape != ss.shape:
            raise ValueError(f"{label!r}: {ss.size} scores for {yy.size} labels")
        out[label] = (yy, ss)
    return out


def roc(y, scores, ax=None, sample_weight=None):
    """ROC curves: signal efficiency ε_S (true-positive rate) against background
    efficiency ε_B (false-positive rate), one per entry of ``scores`` ({label: score [N]}
    or {label: (y, score)}), with the AUC in the legend. y: 1 signal, 0 background.
    Returns the Axes."""
    ax = ax or plt.subplots(figsize=(7, 6))[1]
    for label, (yy, ss) in _curves(y, scores).items():
        fpr, tpr, _ = roc_curve(yy, ss, sample_weight=sample_weight)
        auc = roc_auc_score(yy, ss, sample_weight=sample_weight)
        ax.plot(fpr, tpr, label=f"{label} (AUC = {auc:.4f})")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", label="random guess (AUC = 0.5)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel(r"background efficiency $\varepsilon_B$ (false-positive rate)")
    ax.set_ylabel(r"signal efficiency $\varepsilon_S$ (true-positive rate)")
    ax.legend(loc="lower right")
    return ax


def background_rejection(y, scores, ax=None, sample_weight=None, efficiency: float | None = None,
                         rejection: float | None = None):
    """Background rejection 1/ε_B (log scale) against signal efficiency ε_S, one curve
    per entry of ``scores`` ({label: score [N]} or {label: (y, score)}): the ROC curve the
    way searches read it. ``efficiency`` (e.g. 0.5) draws a vertical line at that signal
    efficiency, ``rejection`` (e.g. 1000) a horizontal line at that rejection. Returns the
    Axes."""
    ax = ax or plt.subplots(figsize=(7, 6))[1]
    for label, (yy, ss) in _curves(y, scores).items():
        fpr, tpr, _ = roc_curve(yy, ss, sample_weight=sample_weight)
        keep = fpr > 0
        ax.plot(tpr[keep], 1.0 / fpr[keep], label=label)
    e = np.linspace(0.01, 1, 100)
    ax.plot(e, 1 / e, color="grey", ls=":", label="random guess")
    if efficiency is not None:
        ax.axvline(efficiency, color="black", lw=1, ls="--")
    if rejection is not None:
        ax.axhline(rejection, color="black", lw=1, ls="--")
        ax.text(0.02, rejection * 1.15, f"rejection {rejection:g}", fontsize=11)
    ax.set_yscale("log")
    ax.set_xlim(0, 1)
    ax.set_xlabel(r"signal efficiency $\varepsilon_S$")
    ax.set_ylabel(r"background rejection $1/\varepsilon_B$")
    ax.legend()
    return ax


def score_distributions(y, score, ax=None, bins: int = 50, range=(0.0, 1.0), log: bool = True,
                        names=("background", "signal"), xlabel: str = "classifier output"):
    """The classifier output for background (y = 0) and signal (y = 1), each normalised
    to unit area, as step histograms (``hist`` + ``mplhep``). Returns the Axes."""
    ax = ax or plt.subplots(figsize=(7, 5))[1]
    y, score = np.asarray(y).ravel(), np.asarray(score).ravel()
    for cls, name in enumerate(names):
        h = Hist.new.Reg(bins, *range, name="score", label=xlabel).Double()
        h.fill(score[y == cls])
        mplhep.histplot(h, ax=ax, density=True, label=f"{name} ({int((y == cls).sum()):,} events)")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("probability density")
    ax.legend()
    return ax


def auc_vs_mass(results: dict, ax=None, unseen=None, xlabel: str = r"$m_X$ [GeV]"):
    """AUC against the mass hypothesis, one line per entry of ``results``
    ({label: {mass: auc}}); ``unseen`` (a mass or list of masses) is shaded as a mass
    the networks never saw in training. Returns the Axes."""
    ax = ax or plt.subplots(figsize=(8, 6))[1]
    markers = "osD^v<>"
    for i, (label, by_mass) in enumerate(results.items()):
        masses = sorted(by_mass)
        ax.plot(masses, [by_mass[m] for m in masses], marker=markers[i % len(markers)], label=label)
    for k, m in enumerate(np.atleast_1d(unseen) if unseen is not None else []):
        ax.axvspan(m - 40, m + 40, color="grey", alpha=0.2, lw=0,
                   label="mass not in training" if k == 0 else None)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("AUC")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize=11)
    return ax
