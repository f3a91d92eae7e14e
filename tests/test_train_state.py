"""The resumable state: damaged files named, other data or settings refused, files written
with the umask's permissions, random generators saved on any device type."""
import os
import stat

import numpy as np
import pytest
import torch

from hepcourse.models import MLP
from hepcourse.train import fit, load_state, resume
from hepcourse.train.data import Arrays, fingerprint

SETTINGS = dict(epochs=2, batch_size=500, patience=None, seed=7, progress=False)


def blobs(n=2000, d=6, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.5).astype(np.float32)
    X = (rng.normal(size=(n, d)) + 0.7 * y[:, None]).astype(np.float32)
    return X, y


def new_model(d=6, hidden=(16,)):
    torch.manual_seed(0)
    return MLP(d, hidden=hidden)


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A finished 2-epoch run with its state file."""
    X, y = blobs()
    path = tmp_path_factory.mktemp("run") / "state.pt"
    fit(new_model(), (X, y), (X[:400], y[:400]), state=path, **SETTINGS)
    return X, y, path


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
def test_a_damaged_state_names_the_file_and_what_to_do(saved_run, tmp_path, damage):
    X, y, good = saved_run
    path = tmp_path / "state.pt"
    data = good.read_bytes()
    path.write_bytes({"empty": b"", "truncated": data[: len(data) // 2],
                      "garbage": b"not a torch file at all"}[damage])
    for call in (lambda: load_state(path),
                 lambda: fit(new_model(), (X, y), (X[:400], y[:400]), state=path, resume=True,
                             **SETTINGS)):
        with pytest.raises(resume.StateError) as err:
            call()
        message = str(err.value)
        assert str(path) in message and "delete it" in message and "resume=False" in message
    # resume=False (or None) ignores the damaged file and replaces it with a good one
    h = fit(new_model(), (X, y), (X[:400], y[:400]), state=path, resume=False, **SETTINGS)
    assert h.resumed_from is None and load_state(path)["epoch"] == 2


def test_another_format_and_missing_parts_are_refused(saved_run, tmp_path):
    _, _, good = saved_run
    state = torch.load(good, weights_only=True)
    old = tmp_path / "old.pt"
    torch.save({**state, "format": "hepcourse.train.state/1"}, old)
    with pytest.raises(resume.StateError, match=r"old.pt has format 'hepcourse.train.state/1'.*delete it"):
        load_state(old)
    partial = tmp_path / "partial.pt"
    torch.save({k: v for k, v in state.items() if k != "optimizer"}, partial)
    with pytest.raises(resume.StateError, match=r"partial.pt is incomplete \(no optimizer\)"):
        load_state(partial)


def test_other_data_of_the_same_size_are_refused(saved_run):
    X, y, path = saved_run
    cases = {
        "other events": ((X + 0.01, y), (X[:400], y[:400])),
        "other labels": ((X, 1 - y), (X[:400], y[:400])),
        "other weights": ((X, y, np.full(len(y), 2.0, np.float32)), (X[:400], y[:400])),
        "other validation events": ((X, y), (X[400:800], y[400:800])),
    }
    for name, (train, val) in cases.items():
        with pytest.raises(resume.StateError, match=r"(train|val)_data: '(2000|400) rows") as err:
            fit(new_model(), train, val, state=path, resume=True, **SETTINGS)
        assert "n_train" not in str(err.value), name  # same size: only the fingerprint differs


@pytest.mark.parametrize("change, expected", [
    (dict(class_weight="balanced"), r"class_weight: None then, 'balanced' now"),
    (dict(class_weight={1: 2.0}), r"class_weight: None then, '\{1: 2.0\}' now"),
    (dict(loss=torch.nn.BCEWithLogitsLoss()), r"loss: 'bce' then, 'BCEWithLogitsLoss\(\)' now"),
    (dict(lr=1e-3), r"lr: 0.00395\d* then, 0.001 now"),
    (dict(schedule="cosine"), r"schedule: 'onecycle' then, 'cosine' now"),
    (dict(patience=3), r"patience: None then, 3 now"),
    (dict(amp="bf16"), r"precision: 'fp32' then, 'bf16' now"),
    (dict(model=(32,)), r"model: 'MLP, 6 tensors, 141 numbers.*then, 'MLP, 6 tensors, 269 numbers"),
])
def test_other_settings_or_another_model_are_refused(saved_run, change, expected):
    X, y, path = saved_run
    change = dict(change)
    model = new_model(hidden=change.pop("model")) if "model" in change else new_model()
    with pytest.raises(resume.StateError, match=expected):
        fit(model, (X, y), (X[:400], y[:400]), state=path, resume=True,
            **{**SETTINGS, "device": "cpu", **change})


def test_the_fingerprint_is_cheap_and_sees_the_sample():
    rng = np.random.default_rng(0)
    X = torch.from_numpy(rng.normal(size=(200_000, 4)).astype(np.float32))
    y = torch.from_numpy((rng.uniform(size=200_000) < 0.5).astype(np.float32))
    a = fingerprint(Arrays(X, y, None))
    assert a == fingerprint(Arrays(X.clone(), y.clone(), None))  # deterministic
    assert a.startswith("200000 rows, X (200000, 4) torch.float32")
    changed = X.clone()
    changed[0, 0] += 1  # the first row is always in the sample
    assert fingerprint(Arrays(changed, y, None)) != a
    flipped = y.clone()
    flipped[12345] = 1 - flipped[12345]  # every label counts
    assert fingerprint(Arrays(X, flipped, None)) != a


def test_files_get_the_umask_permissions(tmp_path):
    X, y = blobs(1000)
    previous = os.umask(0o022)
    try:
        fit(new_model(), (X, y), (X[:200], y[:200]), state=tmp_path / "state.pt",
            checkpoint=tmp_path / "best.pt", **SETTINGS)
        fit(new_model(), (X, y), checkpoint=tmp_path / "last.pt", **SETTINGS)  # no validation
    finally:
        os.umask(previous)
    for name in ("state.pt", "best.pt", "last.pt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt", "last.pt", "state.pt"]


class FakeDeviceRNG:
    """Stands in for torch.mps (or torch.xpu): a generator state per device."""

    def __init__(self):
        self.states, self.calls = {}, []

    def get_rng_state(self, device="mps"):
        self.calls.append(("get", str(device)))
        return self.states.get(str(device), torch.zeros(4, dtype=torch.uint8))

    def set_rng_state(self, state, device="mps"):
        self.calls.append(("set", str(device)))
        self.states[str(device)] = state.clone()


@pytest.mark.parametrize("kind", ["mps", "xpu"])
def test_random_state_of_any_accelerator_is_saved_and_restored(monkeypatch, kind):
    fake = FakeDeviceRNG()
    monkeypatch.setattr(torch, kind, fake, raising=False)
    dev = torch.device(kind)
    fake.states[str(dev)] = torch.arange(4, dtype=torch.uint8)
    snapshot = resume.rng_snapshot(dev)
    assert snapshot["device_type"] == kind and torch.equal(snapshot["device"], torch.arange(4, dtype=torch.uint8))
    fake.states[str(dev)] = torch.full((4,), 9, dtype=torch.uint8)
    assert resume.restore_rng(snapshot, dev)
    assert torch.equal(fake.states[str(dev)], torch.arange(4, dtype=torch.uint8))
    # fit's fork: what happens inside leaves the device generator as it was
    with resume.forked_rng(dev):
        fake.states[str(dev)] = torch.full((4,), 7, dtype=torch.uint8)
        torch.rand(3)
    assert torch.equal(fake.states[str(dev)], torch.arange(4, dtype=torch.uint8))
    # a state saved on the CPU cannot set the device generator: restore_rng says so
    assert not resume.restore_rng(resume.rng_snapshot(torch.device("cpu")), dev)
