"""The k-fold splits with an inner validation split, and the physics baselines of chapter 5."""
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from hepcourse.analysis.baselines import HistogramRatio, boosted_trees
from hepcourse.train.kfold import nested_folds


def test_nested_folds_are_disjoint_stratified_and_cover_the_pool():
    y = (np.arange(1000) % 4 == 0).astype(int)
    folds = nested_folds(y, k=4, inner_fraction=0.2, seed=1)
    assert len(folds) == 4
    held = np.concatenate([f.held_out for f in folds])
    assert np.array_equal(np.sort(held), np.arange(1000))  # every event held out once
    for f in folds:
        parts = [set(f.train), set(f.val), set(f.held_out)]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert len(f.train) + len(f.val) + len(f.held_out) == 1000
        assert len(f.val) == pytest.approx(0.2 * 750, abs=2)
        for part in f:
            assert y[part].mean() == pytest.approx(0.25, abs=0.02)
    again = nested_folds(y, k=4, inner_fraction=0.2, seed=1)
    assert all(np.array_equal(a.val, b.val) for a, b in zip(folds, again))
    with pytest.raises(ValueError):
        nested_folds(y, k=1)
    with pytest.raises(ValueError):
        nested_folds(y, inner_fraction=1.0)


def _toy(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, [1.0, 0.5], [0.0, 0.0])
    return x, y


def test_histogram_ratio_in_one_and_two_features():
    x, y = _toy(20_000, 0)
    xt, yt = _toy(20_000, 1)
    one = HistogramRatio(x[:, 0], y, bins=20)
    two = HistogramRatio(x, y, bins=20)
    auc1, auc2 = roc_auc_score(yt, one(xt[:, 0])), roc_auc_score(yt, two(xt))
    assert auc1 > 0.7 and auc2 > auc1 + 0.01  # the second feature adds information
    assert np.all(np.isfinite(two(xt * 10)))  # outside the training range: the edge bins
    with pytest.raises(ValueError):
        two(xt[:, 0])
    with pytest.raises(ValueError):
        HistogramRatio(x, np.zeros(len(x)))


def test_boosted_trees_learn_with_early_stopping():
    x, y = _toy(5000, 2)
    xt, yt = _toy(5000, 3)
    model = boosted_trees(x, y, seed=0)
    assert model.n_iter_ < 500
    assert roc_auc_score(yt, model.predict_proba(xt)[:, 1]) > 0.75
