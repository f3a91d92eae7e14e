"""Data-parallel training with real torchrun processes (gloo backend on the CPU).

torchrun sets OMP_NUM_THREADS=1 for each process, so two processes use the two cores.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
ENV = {**os.environ, "PYTHONWARNINGS": "ignore", "HEPCOURSE_SMOKE": "0", "HEPCOURSE_PROGRESS": "1"}  # make test turns bars off

pytestmark = pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
    reason="this torch build has no gloo backend")


def run(cmd, **kw):
    done = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=180, **kw)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout}\n{done.stderr[-3000:]}"
    return done


def test_two_processes_reach_the_auc_of_one(tmp_path):
    """Same events, same initial weights (seed), same global batch: 2 processes vs 1."""
    args = ["-m", "hepcourse.train", "--source", "simulated", "--n-train", "60000",
            "--n-test", "20000", "--epochs", "3", "--batch-size", "4096", "--seed", "1"]
    one = run([sys.executable, *args, "--output", str(tmp_path / "one.json"), "--quiet"])
    two = run([*TORCHRUN, *args, "--output", str(tmp_path / "two.json"),
               "--checkpoint", str(tmp_path / "best.pt")])
    r1 = json.loads((tmp_path / "one.json").read_text())
    r2 = json.loads((tmp_path / "two.json").read_text())
    assert r1["world_size"] == 1 and r2["world_size"] == 2 and r2["backend"] == "gloo"
    assert r2["global_batch"] == 4096 and r2["batch_per_process"] == 2048
    assert r1["auc"] > 0.85
    assert abs(r1["auc"] - r2["auc"]) < 0.005, (r1["auc"], r2["auc"])
    # the shards add up to the same batches: the losses agree far better than the AUC tolerance
    for e1, e2 in zip(r1["history"], r2["history"]):
        assert e2["train_loss"] == pytest.approx(e1["train_loss"], rel=1e-3)
    # only rank 0 talks: one summary line, one progress bar
    assert two.stdout.count("test AUC") == 1
    assert two.stderr.count("| 0/3 [00:00<?, ?epoch/s]") == 1
    assert set(torch.load(tmp_path / "best.pt", weights_only=True)) == {
        "mean", "std", *[f"net.{i}.{p}" for i in (0, 2, 4, 6) for p in ("weight", "bias")]}


SCRIPT = """
import json, os, sys
import numpy as np, torch
from hepcourse.models import MLP
from hepcourse.train import fit

out = sys.argv[1]
rank = int(os.environ["RANK"])
rng = np.random.default_rng(0)                      # every process builds the same data
y = (rng.uniform(size=6000) < 0.5).astype(np.float32)
X = (rng.normal(size=(6000, 6)) + 0.8 * y[:, None]).astype(np.float32)
val = (X[:1001], y[:1001])                          # odd sizes: uneven shards
opts = dict(epochs=4, batch_size=1001, patience=None, seed=3, progress=True)

def model():
    torch.manual_seed(0)
    return MLP(6, hidden=(16, 16), dropout=0.1).set_scaling(X)

def crash_at(n):
    calls = [0]
    def augment(xb, generator):
        calls[0] += 1
        if calls[0] == n:
            raise KeyboardInterrupt("node lost")
        return xb
    return augment

# a straight run; each process names its own files, so we see who writes
straight = model()
h = fit(straight, (X, y), val, checkpoint=f"{out}/best-rank{rank}.pt",
        state=f"{out}/state-rank{rank}.pt", augment=crash_at(0), **opts)
# an interrupted run (all processes stop in epoch 3) and its continuation
try:
    fit(model(), (X, y), val, state=f"{out}/shared-state.pt", augment=crash_at(2 * 6 + 2), **opts)
except KeyboardInterrupt:
    pass
resumed = MLP(6, hidden=(16, 16), dropout=0.1)
h2 = fit(resumed, (X, y), val, state=f"{out}/shared-state.pt", resume=True,
         augment=crash_at(0), **opts)
same = all(torch.equal(a, b) for a, b in zip(straight.state_dict().values(),
                                              resumed.state_dict().values()))
weights = [p.detach().flatten().tolist() for p in straight.parameters()]
# a clock budget: the processes must agree on the learning rate and on the last batch
timed = model()
h3 = fit(timed, (X, y), val, **{**opts, "epochs": 10_000, "max_time": 0.5, "progress": False})
# a NaN in the events of one shard stops every process at the same batch
X_bad = X.copy()
X_bad[5500] = np.nan
try:
    fit(model(), (X_bad, y), **{**opts, "progress": False})
    error = None
except FloatingPointError as err:
    error = str(err)
json.dump({"rank": rank, "world_size": h.world_size, "train_loss": h.train_loss,
           "val_loss": h.val_loss, "weights": weights, "resumed_from": h2.resumed_from,
           "resumed_equal": same, "resumed_train_loss": h2.train_loss,
           "timed": [len(h3), h3.stop_reason, [p.detach().flatten().tolist() for p in timed.parameters()]],
           "error": error},
          open(f"{out}/result-rank{rank}.json", "w"))
"""


def test_ranks_agree_only_rank_0_writes_and_resume_works(tmp_path):
    script = tmp_path / "ddp_fit.py"
    script.write_text(textwrap.dedent(SCRIPT))
    done = run([*TORCHRUN, str(script), str(tmp_path)])
    files = sorted(p.name for p in tmp_path.iterdir())
    assert "best-rank0.pt" in files and "state-rank0.pt" in files
    assert "best-rank1.pt" not in files and "state-rank1.pt" not in files
    assert done.stderr.count("| 0/4 [00:00<?, ?epoch/s]") == 2  # bars from rank 0 only
    r0, r1 = (json.loads((tmp_path / f"result-rank{r}.json").read_text()) for r in (0, 1))
    assert r0["world_size"] == r1["world_size"] == 2
    assert r0["weights"] == r1["weights"]  # DistributedDataParallel keeps replicas identical
    assert r0["train_loss"] == r1["train_loss"] and r0["val_loss"] == r1["val_loss"]
    assert r0["resumed_from"] == 2 and r0["resumed_equal"] and r1["resumed_equal"]
    assert r0["resumed_train_loss"] == r0["train_loss"]
    assert r0["timed"][1] == "max_time" and r0["timed"] == r1["timed"]
    assert r0["error"] is not None and r0["error"] == r1["error"]
    assert "epoch 1, batch" in r0["error"]
    state = torch.load(tmp_path / "shared-state.pt", weights_only=True)
    assert len(state["rng"]) == 2  # the random state of both processes


def test_not_launched_by_torchrun_means_one_process(monkeypatch):
    from hepcourse.train import distributed

    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert not distributed.launched_by_torchrun()
    ctx = distributed.setup("cpu")
    assert ctx.world_size == 1 and ctx.is_main and not ctx.enabled
    with pytest.raises(ValueError, match="not started by torchrun"):
        distributed.setup("cpu", distributed=True)
    t = torch.arange(10)
    assert torch.equal(ctx.shard(t), t)
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert not distributed.launched_by_torchrun()
