"""fit(state=..., resume=...): an interrupted run continues as if it had never stopped."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from hepcourse.models import MLP
from hepcourse.train import fit, load_state

ROOT = Path(__file__).resolve().parents[1]


def blobs(n=6000, d=8, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.5).astype(np.float32)
    X = rng.normal(size=(n, d)).astype(np.float32) + 0.7 * y[:, None]
    return X, y


def new_model(X):
    torch.manual_seed(0)
    return MLP(X.shape[1], hidden=(32, 32), dropout=0.2).set_scaling(X)


class NodeFailure(RuntimeError):
    pass


def jitter(crash_at=None, noise=0.05):
    """An augmentation that draws from fit's generator (so its state must be restored) and,
    like a node failing, raises at training batch number ``crash_at``."""
    calls = [0]

    def augment(xb, generator):
        calls[0] += 1
        if crash_at is not None and calls[0] == crash_at:
            raise NodeFailure(f"the node died at batch {calls[0]}")
        return xb + noise * torch.randn(xb.shape, generator=generator) if noise else xb
    return augment


SETTINGS = dict(epochs=4, batch_size=500, patience=None, seed=7, progress=False)


def test_two_plus_two_epochs_equal_four(tmp_path):
    X, y = blobs()
    val = (X[:1000], y[:1000])
    straight = new_model(X)
    h4 = fit(straight, (X, y), val, augment=jitter(), **SETTINGS)

    state = tmp_path / "state.pt"
    batches = -(-len(X) // SETTINGS["batch_size"])  # 12 per epoch
    crashed = new_model(X)
    with pytest.raises(NodeFailure):
        fit(crashed, (X, y), val, augment=jitter(crash_at=2 * batches + 5), state=state, **SETTINGS)
    saved = load_state(state)  # loads with weights_only=True
    assert saved["epoch"] == 2 and not saved["finished"] and len(saved["history"]["epochs"]) == 2

    resumed = MLP(X.shape[1], hidden=(32, 32), dropout=0.2)  # fresh, differently initialised
    h = fit(resumed, (X, y), val, augment=jitter(), state=state, resume=True, **SETTINGS)
    assert h.resumed_from == 2 and len(h) == 4
    assert h.train_loss == h4.train_loss and h.val_loss == h4.val_loss
    assert h.best_epoch == h4.best_epoch
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)
    assert load_state(state)["finished"]


def test_resume_true_without_a_file_starts_afresh_and_a_finished_run_returns(tmp_path):
    X, y = blobs(3000)
    state = tmp_path / "run" / "state.pt"
    a = new_model(X)
    h = fit(a, (X, y), (X[:500], y[:500]), state=state, resume=True, **SETTINGS)
    assert h.resumed_from is None and len(h) == 4 and state.is_file()
    again = new_model(X)
    h2 = fit(again, (X, y), (X[:500], y[:500]), state=state, resume=True, **SETTINGS)
    assert h2.resumed_from == 4 and len(h2) == 4 and h2.train_loss == h.train_loss
    for p, q in zip(a.state_dict().values(), again.state_dict().values()):
        assert torch.equal(p, q)  # the best weights of the finished run


def test_early_stopping_survives_a_restart(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 8)).astype(np.float32)
    y = (rng.uniform(size=3000) < 0.5).astype(np.float32)  # noise: it can only overfit
    val = (X[:600], 1 - y[:600])
    opts = dict(epochs=40, batch_size=100, lr=3e-3, schedule=None, patience=3, progress=False)
    straight = new_model(X)
    h = fit(straight, (X, y), val, **opts)
    assert h.stopped_early
    state = tmp_path / "state.pt"
    crash = jitter(crash_at=30 * (h.best_epoch + 1) + 3, noise=0)  # inside the patience window
    with pytest.raises(NodeFailure):
        fit(new_model(X), (X, y), val, augment=crash, state=state, **opts)
    resumed = new_model(X)
    h2 = fit(resumed, (X, y), val, state=state, resume=True, **opts)
    assert h2.stopped_early and h2.best_epoch == h.best_epoch and len(h2) == len(h)
    for p, q in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(p, q)


def test_changed_settings_and_wrong_files_are_refused(tmp_path):
    X, y = blobs(2000)
    state, best = tmp_path / "state.pt", tmp_path / "best.pt"
    fit(new_model(X), (X, y), (X[:500], y[:500]), state=state, checkpoint=best, **SETTINGS)
    with pytest.raises(ValueError, match=r"batch_size: 500 then, 250 now"):
        fit(new_model(X), (X, y), state=state, resume=True,
            **{**SETTINGS, "batch_size": 250})
    with pytest.raises(ValueError, match="not a training state"):
        fit(new_model(X), (X, y), resume=best, **SETTINGS)
    with pytest.raises(FileNotFoundError, match="no training state"):
        fit(new_model(X), (X, y), resume=tmp_path / "missing.pt", **SETTINGS)
    with pytest.raises(ValueError, match="resume=True"):
        fit(new_model(X), (X, y), resume=True, **SETTINGS)
    # the best weights stay a plain state_dict
    assert set(torch.load(best, weights_only=True)) == set(new_model(X).state_dict())


def test_killed_command_line_run_resumes(tmp_path):
    """The batch-system case: SIGKILL the command-line training mid-run, run the same
    command again with --resume, and get the weights of an uninterrupted run."""
    common = [sys.executable, "-m", "hepcourse.train", "--source", "simulated",
              "--n-train", "30000", "--n-test", "2000", "--epochs", "8", "--batch-size", "1000",
              "--patience", "0", "--quiet", "--threads", "1"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    straight = tmp_path / "straight"
    subprocess.run([*common, "--checkpoint", str(straight / "best.pt")], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)

    run = tmp_path / "run"
    args = [*common, "--checkpoint", str(run / "best.pt"), "--state", str(run / "state.pt"),
            "--resume"]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (run / "state.pt").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_after = load_state(run / "state.pt")["epoch"]
    assert 1 <= killed_after < 8, "the run should have been killed mid-way"

    done = subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True,
                          timeout=120)
    assert f"resumed after epoch {killed_after}" in done.stdout
    a = torch.load(straight / "best.pt", weights_only=True)
    b = torch.load(run / "best.pt", weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
