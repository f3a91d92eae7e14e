"""Selections learned from unlabelled data for a resonance search in m_jj (chapter 7), and
the bump hunt after them:

* :func:`cwola_scores`: classification without labels (Metodiev, Nachman, Thaler 2017;
  the CWoLa hunt of Collins, Howe, Nachman 2018): a classifier told apart the signal region
  from its sidebands on the data; where the features of the background do not depend on
  m_jj, the best it can do is to find the signal;
* :func:`cathode_scores`: the same against a learned background (CATHODE, Hallin et al.
  2021, arXiv:2109.00546): a conditional flow p(x | m_jj) fitted in the sidebands is
  sampled at the signal region's m_jj values and a classifier tells the data from the
  samples;
* :func:`supervised_scores`: the upper bound, a classifier trained on labelled simulation;
* :func:`selection_significance`: a cut keeping a fraction of the signal region's events,
  then the bump hunt of :mod:`hepcourse.stats.bumps` on the selected m_jj spectrum.

The classifiers are :func:`hepcourse.analysis.baselines.boosted_trees` (gradient-boosted
trees: on four features they match or beat networks for weak supervision, Finke et al.
2023, arXiv:2309.13111). Every score comes from k-fold training: each event is scored by
the classifier that did not see it (events the classifiers never trained on by one of
them, at random), so a fluctuation of the data cannot be learned and then found.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import validate
from .anomaly import FEATURES, Regions
from .baselines import boosted_trees

__all__ = ["Selection", "cathode_scores", "cwola_scores", "kfold_scores", "selection_significance",
           "supervised_scores"]


def _matrix(table: pd.DataFrame, columns=FEATURES) -> np.ndarray:
    missing = [c for c in columns if c not in table]
    if missing:
        raise ValueError(f"the table lacks the feature column(s) {missing}: build it with "
                         "hepcourse.analysis.anomaly.features(events)")
    return table[list(columns)].to_numpy(dtype=float)


def kfold_scores(x, y, *, k: int = 5, seed=0, rest=None, classifier=boosted_trees):
    """Out-of-fold scores of a classifier of ``x`` [N, d] with labels ``y`` [N] (0 or 1):
    the events are split into ``k`` folds (stratified, shuffled with ``seed``) and each fold
    is scored by a classifier trained on the other k − 1. ``rest`` [M, d]: events that no
    classifier trains on, each given at random (seeded) to one of the k classifiers, so
    that their scores are distributed as the out-of-fold ones (a mean of k classifiers
    would be narrower, and a cut would keep fewer of them). ``classifier(x, y, seed=...)``
    returns a fitted model with ``predict_proba``. Returns (scores [N], rest scores [M] or
    None)."""
    from sklearn.model_selection import StratifiedKFold

    x, y = np.asarray(x, dtype=float), np.asarray(y).reshape(-1)
    k = validate.count(k, "k", minimum=2)
    seed = validate.seed_int(seed)
    if len(x) != len(y):
        raise ValueError(f"kfold_scores: {len(x)} rows of features for {len(y)} labels")
    if min(np.sum(y == 1), np.sum(y == 0)) < k:
        raise ValueError(f"kfold_scores: each class needs at least k={k} events "
                         f"(got {int(np.sum(y == 1))} and {int(np.sum(y == 0))})")
    scores = np.empty(len(y))
    rest = None if rest is None else np.asarray(rest, dtype=float)
    rest_scores = None if rest is None else np.empty(len(rest))
    rest_fold = np.random.default_rng(np.random.SeedSequence([seed, 1])).integers(0, k, 0 if rest is None
                                                                                   else len(rest))
    folds = StratifiedKFold(k, shuffle=True, random_state=seed % 2**32)
    for i, (train, held) in enumerate(folds.split(x, y)):
        model = classifier(x[train], y[train], seed=(seed + 7919 * (i + 1)) % 2**32)
        scores[held] = model.predict_proba(x[held])[:, 1]
        if rest is not None and np.any(rest_fold == i):
            rest_scores[rest_fold == i] = model.predict_proba(rest[rest_fold == i])[:, 1]
    return scores, rest_scores


def cwola_scores(table: pd.DataFrame, regions: Regions, *, k: int = 5, seed=0, columns=FEATURES,
                 classifier=boosted_trees) -> np.ndarray:
    """CWoLa scores [N] of the events of ``table`` (:func:`~hepcourse.analysis.anomaly.features`;
    its ``label`` is never read): a classifier of the ``columns`` (default the LHCO's four
    :data:`~hepcourse.analysis.anomaly.FEATURES`) trained, k-fold, to tell signal-region
    events (1) from sideband events (0); events outside the windows get NaN."""
    x = _matrix(table, columns)
    trained = regions.in_fit_range(table.mjj)
    out = np.full(len(table), np.nan)
    out[trained], _ = kfold_scores(x[trained], regions.in_sr(table.mjj[trained]).astype(int), k=k, seed=seed,
                                   classifier=classifier)
    return out


def supervised_scores(simulation: pd.DataFrame, table: pd.DataFrame, *, seed=0, columns=FEATURES,
                      classifier=boosted_trees) -> np.ndarray:
    """Scores [N] of the events of ``table`` from a classifier trained on the labelled
    ``simulation`` (signal 1 vs QCD 0, its ``label`` column): what a search that knew the
    signal would do, the upper bound of the weakly supervised ones. No event of ``table``
    is seen in training."""
    y = simulation["label"].to_numpy()
    model = classifier(_matrix(simulation, columns), y, seed=validate.seed_int(seed) % 2**32)
    return model.predict_proba(_matrix(table, columns))[:, 1]


def background_samples(flow, table: pd.DataFrame, regions: Regions, *, oversample: int = 4,
                       seed=0) -> pd.DataFrame:
    """``oversample`` × (signal-region events) samples of the background model: m_jj values
    drawn (with replacement) from the signal region's data, the features drawn from the
    ``flow`` (:class:`hepcourse.models.flows.ConditionalFlow`, fitted in the sidebands) at
    those m_jj. Returns a table with columns ``mjj`` and :data:`FEATURES`."""
    oversample = validate.count(oversample, "oversample")
    rng = np.random.default_rng(validate.seed_int(seed))
    sr_mjj = table.mjj.to_numpy()[regions.in_sr(table.mjj)]
    mjj = rng.choice(sr_mjj, size=oversample * sr_mjj.size, replace=True)
    x = flow.sample(mjj.reshape(-1, 1), seed=int(rng.integers(2**31)))
    return pd.DataFrame({"mjj": mjj, **{name: x[:, i] for i, name in enumerate(FEATURES)}})


def cathode_scores(table: pd.DataFrame, regions: Regions, flow, *, k: int = 5, oversample: int = 4,
                   seed=0, classifier=boosted_trees) -> np.ndarray:
    """CATHODE scores [N]: a classifier trained, k-fold, to tell the signal region's data
    (1) from :func:`background_samples` of the sideband ``flow`` (0). Data in the signal
    region are scored out of fold; other events in the fit range by one of the k
    classifiers; events outside it NaN."""
    seed = validate.seed_int(seed)
    x = _matrix(table)
    in_sr = regions.in_sr(table.mjj)
    samples = _matrix(background_samples(flow, table, regions, oversample=oversample, seed=seed))
    both = np.concatenate([x[in_sr], samples])
    labels = np.r_[np.ones(in_sr.sum(), int), np.zeros(len(samples), int)]
    rest = regions.in_fit_range(table.mjj) & ~in_sr
    scores, rest_scores = kfold_scores(both, labels, k=k, seed=seed, rest=x[rest], classifier=classifier)
    out = np.full(len(table), np.nan)
    out[in_sr], out[rest] = scores[: in_sr.sum()], rest_scores
    return out


@dataclass(frozen=True)
class Selection:
    """The bump hunt after a cut: ``z`` (local significance, σ) and ``n_signal`` (fitted
    peak events) at the signal region's centre; ``threshold`` on the score, ``n_selected``
    events in the fit range after the cut, and the truth (``label``) of those events:
    ``true_signal`` and ``true_background``, for measuring only."""

    z: float
    n_signal: float
    threshold: float
    n_selected: int
    true_signal: int
    true_background: int


def selection_significance(table: pd.DataFrame, scores, regions: Regions, efficiency: float, width: float,
                           shape: str = "dijet3") -> Selection:
    """Keep the events whose score is in the top ``efficiency`` of the signal region's
    events (the threshold is a quantile of the data's scores: no label is used), then fit
    the selected m_jj spectrum in ``regions.fit_range``: background ``shape`` alone and with
    a Gaussian peak at the signal region's centre of ``width`` (GeV, the resolution of a
    resonance there); ``efficiency=1`` is the bump hunt without a selection. The default
    shape is the three-parameter dijet function (:mod:`hepcourse.stats.bumps`): over the
    1.2 TeV of the sidebands and signal region the log term is not determined."""
    from ..stats import bumps

    efficiency = validate.real(efficiency, "efficiency", low=0.0, high=1.0, low_open=True)
    scores = np.asarray(scores, dtype=float)
    if scores.shape != (len(table),):
        raise ValueError(f"scores has shape {scores.shape}; expected one per event ({len(table)},)")
    mjj = table.mjj.to_numpy()
    fit = regions.in_fit_range(mjj)
    if np.any(np.isnan(scores[fit])):
        raise ValueError("some events in the fit range have no score (NaN): score every event in "
                         "regions.fit_range")
    sr = regions.in_sr(mjj)
    threshold = -np.inf if efficiency == 1 else float(np.quantile(scores[sr], 1 - efficiency))
    keep = fit & (scores >= threshold)
    result = bumps.local_excess(mjj[keep], regions.centre, width, regions.fit_range, shape=shape)
    label = table.label.to_numpy()[keep & sr]
    return Selection(z=result.z, n_signal=result.n_s, threshold=threshold, n_selected=int(keep.sum()),
                     true_signal=int(np.sum(label == 1)), true_background=int(np.sum(label == 0)))
