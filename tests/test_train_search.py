"""hepcourse.train.search: per-epoch validation AUCs reported to an Optuna trial, pruning,
and the ranking of a study."""
import numpy as np
import optuna
import pytest
import torch

from hepcourse.models import MLP
from hepcourse.train.search import ranking, train_reporting


def _data(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(np.float32)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    X[:, 0] += 1.5 * y
    return X, y


TRAIN, VAL = _data(2000, 0), _data(1000, 1)


def _model(seed=0):
    torch.manual_seed(seed)
    return MLP(4, hidden=(8,)).set_scaling(TRAIN[0])


def test_returns_one_auc_per_epoch_and_learns():
    aucs = train_reporting(_model(), TRAIN, VAL, epochs=3, batch_size=256, lr=3e-2)
    assert len(aucs) == 3 and all(0.0 <= a <= 1.0 for a in aucs)
    assert aucs[-1] > 0.75  # the first feature separates the classes (best possible ≈ 0.85)


def test_same_recipe_as_fit():
    from sklearn.metrics import roc_auc_score

    from hepcourse.train import fit, predict

    model = _model()
    fit(model, TRAIN, VAL, epochs=8, batch_size=256, patience=None, progress=False)
    reference = roc_auc_score(VAL[1], predict(model, VAL[0]))
    assert train_reporting(_model(), TRAIN, VAL, epochs=8, batch_size=256)[-1] == pytest.approx(reference, abs=0.01)


def test_seeded_runs_repeat_and_seeds_differ():
    a = train_reporting(_model(), TRAIN, VAL, epochs=2, batch_size=256, seed=1)
    b = train_reporting(_model(), TRAIN, VAL, epochs=2, batch_size=256, seed=1)
    c = train_reporting(_model(), TRAIN, VAL, epochs=2, batch_size=256, seed=2)
    assert a == b and a != c


def test_reports_to_the_trial_and_prunes():
    def objective(trial):
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        return train_reporting(_model(), TRAIN, VAL, epochs=3, batch_size=512, lr=lr, trial=trial)[-1]

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0),
                                pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    study.enqueue_trial({"lr": 1e-2})
    study.enqueue_trial({"lr": 1e-5})  # far too small: pruned after its first epoch
    study.optimize(objective, n_trials=6)
    states = [t.state for t in study.trials]
    assert states[0] == optuna.trial.TrialState.COMPLETE
    assert states[1] == optuna.trial.TrialState.PRUNED
    assert list(study.trials[0].intermediate_values) == [1, 2, 3]
    table = ranking(study, top=3)
    assert list(table.columns[:2]) == ["trial", "val AUC"] and "lr" in table.columns
    assert table["val AUC"].is_monotonic_decreasing and table["trial"].iloc[0] == study.best_trial.number
    assert table.attrs["pruned"] >= 1
    assert table.attrs["complete"] + table.attrs["pruned"] == len(study.trials)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="epochs"):
        train_reporting(_model(), TRAIN, VAL, epochs=0)
    with pytest.raises(ValueError, match="lr"):
        train_reporting(_model(), TRAIN, VAL, epochs=1, lr=-1.0)
