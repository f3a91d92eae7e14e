"""python -m hepcourse.train: bad arguments are usage errors (exit 2) found before any
training, and a run writes its files with the usual permissions."""
import json
import os
import stat

import pytest

from hepcourse.train import __main__ as cli
from hepcourse.train import distributed

TINY = ["--source", "simulated", "--n-train", "600", "--n-test", "300", "--epochs", "1",
        "--batch-size", "200", "--quiet"]


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if the command gets as far as reading events."""
    def load_events(*args, **kw):
        raise AssertionError("the command went on to read events and train")
    monkeypatch.setattr(cli, "load_events", load_events)


def usage_error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert "usage: python -m hepcourse.train" in err and "Traceback" not in err
    return err


@pytest.mark.parametrize("argv, message", [
    (["--val-fraction", "0"], r"--val-fraction: '0': must be > 0"),
    (["--val-fraction", "1"], r"--val-fraction: '1': must be < 1"),
    (["--val-fraction", "-0.1"], r"--val-fraction: '-0.1': must be > 0"),
    (["--n-train", "100", "--val-fraction", "0.001"], r"is no validation event"),
    (["--n-train", "-5"], r"--n-train: '-5': must be at least 0"),
    (["--n-test", "abc"], r"--n-test: 'abc': expected a whole number"),
    (["--epochs", "0"], r"--epochs: '0': must be at least 1"),
    (["--batch-size", "2.5"], r"--batch-size: '2.5': expected a whole number"),
    (["--patience", "-1"], r"--patience: '-1'"),
    (["--hidden", "64", "0"], r"--hidden: '0': must be at least 1"),
    (["--dropout", "1"], r"--dropout: '1': must be < 1"),
    (["--lr", "0"], r"--lr: '0': must be > 0"),
    (["--lr", "nan"], r"--lr: 'nan': must be a finite number"),
    (["--weight-decay", "-1"], r"--weight-decay: '-1'"),
    (["--max-time", "-3"], r"--max-time: '-3'"),
    (["--threads", "0"], r"--threads: '0'"),
    (["--masses", "600"], r"--masses: no mass hypothesis \[600.0\]"),
    (["--device", "tpu"], r"--device: device='tpu'"),
    (["--resume"], r"--resume continues from the file given by --state"),
    (["--n-tr", "5"], r"unrecognized arguments: --n-tr"),  # no abbreviations, as torchrun
    (["--epochs"], r"--epochs: expected one argument"),
])
def test_bad_arguments_are_usage_errors(argv, message, capsys, no_training):
    import re

    err = usage_error(argv, capsys)
    assert re.search(message, err), err


def test_an_unwritable_output_fails_before_training(tmp_path, capsys, no_training):
    a_file = tmp_path / "file.txt"
    a_file.write_text("not a folder")
    err = usage_error(["--output", str(a_file / "metrics.json")], capsys)
    assert f"--output {a_file / 'metrics.json'}: {a_file} is a file, not a folder" in err
    err = usage_error(["--checkpoint", str(tmp_path)], capsys)
    assert "is a folder; give a file name" in err
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            err = usage_error(["--state", str(locked / "state.pt")], capsys)
            assert f"cannot write in {locked}" in err
        finally:
            locked.chmod(0o700)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["file.txt"] + (
        ["locked"] if os.geteuid() != 0 else []))  # the checks leave no file behind


def test_a_run_writes_its_files_and_keeps_the_process_group(tmp_path, monkeypatch, capsys):
    closed = []
    monkeypatch.setattr(distributed.Context, "close", lambda self: closed.append(self))
    output, state = tmp_path / "out" / "metrics.json", tmp_path / "state.pt"
    previous = os.umask(0o022)
    try:
        assert cli.main([*TINY, "--output", str(output), "--state", str(state)]) == 0
        assert cli.main([*TINY, "--state", str(state), "--resume"]) == 0  # again, in-process
    finally:
        os.umask(previous)
    out = capsys.readouterr().out
    assert "resumed after epoch 1" in out
    summary = json.loads(output.read_text())
    assert summary["train_events"] == 600 and summary["val_events"] == 60
    assert summary["test_events"] == 300 and 0.5 < summary["auc"] <= 1
    assert stat.S_IMODE(output.stat().st_mode) == 0o644
    assert stat.S_IMODE(state.stat().st_mode) == 0o644
    assert closed == []  # a process group would stay open: never destroyed and created again


def test_a_damaged_state_is_a_usage_error(tmp_path, capsys):
    state = tmp_path / "state.pt"
    state.write_bytes(b"")
    err = usage_error([*TINY, "--state", str(state), "--resume"], capsys)
    assert f"the training state {state} is empty" in err and "delete it" in err
