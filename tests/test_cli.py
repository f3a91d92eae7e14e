"""The ``hepcourse`` command: subcommands, usage errors (status 2, never a traceback),
forwarding to train and the teaching builds, and what ``doctor`` reports."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from hepcourse import doctor
from hepcourse.cli import main

ZMUMU = "uproot-Zmumu.root"


@pytest.mark.parametrize("argv", [
    [], ["nosuch"], ["fetch"], ["list", "--bogus"], ["doctor", "--bogus"], ["doctor", "extra"],
    ["student"], ["student", "."], ["student", "/no/such/folder", "out"], ["slides", "a", "b"],
    ["check-slides"], ["check-slides", "/no/such/deck.html"], ["--bogus"]])
def test_bad_arguments_end_in_usage_and_status_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "usage: hepcourse" in err and "error:" in err and "Traceback" not in err


def test_help_lists_every_subcommand(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("fetch", "doctor", "list", "train", "student", "slides", "check-slides"):
        assert re.search(rf"^\s+{command}\s", out, re.MULTILINE), command


def test_train_help_is_the_train_help(capsys):
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--n-train" in out and "--epochs" in out and "Train the HEPMASS MLP" in out


def test_train_bad_option_is_a_usage_error(capsys):
    assert main(["train", "--epochs", "many"]) == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "argument --epochs" in err and "Traceback" not in err


def test_train_gets_its_arguments_unchanged(monkeypatch):
    import hepcourse.train.__main__ as train_main

    seen = []
    monkeypatch.setattr(train_main, "main", lambda argv: seen.append(argv) or 7)
    argv = ["--epochs", "3", "--hidden", "8", "8", "--source", "simulated", "-h"]
    assert main(["train", *argv]) == 7
    assert main(["train"]) == 7
    assert seen == [argv, []]


def test_train_data_error_is_a_message(monkeypatch, capsys):
    import hepcourse.train.__main__ as train_main
    from hepcourse import data

    def fails(argv):
        raise data.DataUnavailableError("could not get all_train.csv.gz; tried: ...")

    monkeypatch.setattr(train_main, "main", fails)
    assert main(["train", "--source", "real"]) == 1
    assert "hepcourse train: could not get all_train.csv.gz" in capsys.readouterr().err


def test_teaching_commands_are_forwarded(monkeypatch, tmp_path):
    from hepcourse.course import teaching

    deck = tmp_path / "deck.html"
    deck.write_text("<html></html>")
    seen = []
    monkeypatch.setattr(teaching, "main", lambda argv, prog=None: seen.append(argv) or 0)
    out = str(tmp_path / "out")
    assert main(["student", str(tmp_path), out]) == 0
    assert main(["slides", str(tmp_path), out, str(tmp_path)]) == 0
    assert main(["check-slides", str(deck)]) == 0
    assert main(["check-slides", str(deck), "shot.png"]) == 0
    assert seen == [["student", str(tmp_path), out], ["slides", str(tmp_path), out, str(tmp_path)],
                    ["check-slides", str(deck)], ["check-slides", str(deck), "shot.png"]]


def test_list_names_every_dataset(capsys):
    from hepcourse import data

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in data.names():
        assert re.search(rf"^{name}\s", out, re.MULTILINE)
    assert "no simulated twin" in out


# --- doctor ----------------------------------------------------------------------------------

def fake_torch(cuda, available=False):
    return SimpleNamespace(__version__="2.5.0", version=SimpleNamespace(cuda=cuda, hip=None),
                           cuda=SimpleNamespace(is_available=lambda: available))


def test_torch_build_against_the_gpu():
    cpu_on_gpu = "\n".join(doctor.torch_build(fake_torch(None), gpu=True))
    assert "CPU-only" in cpu_on_gpu and "Install the CUDA build" in cpu_on_gpu
    assert "download.pytorch.org/whl/cu" in cpu_on_gpu
    cuda_no_gpu = "\n".join(doctor.torch_build(fake_torch("12.4"), gpu=False))
    assert "CUDA 12.4" in cuda_no_gpu and "fine" in cuda_no_gpu and "large" in cuda_no_gpu
    assert "whl/cpu" in cuda_no_gpu
    driver = "\n".join(doctor.torch_build(fake_torch("12.4", available=False), gpu=True))
    assert "cannot use the GPU" in driver and "driver" in driver
    assert len(doctor.torch_build(fake_torch("12.4", available=True), gpu=True)) == 1  # no hint
    assert len(doctor.torch_build(fake_torch(None), gpu=False)) == 1


def test_gpu_detection(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(doctor, "Path", lambda p: tmp_path / "no-driver")
    assert doctor.nvidia_gpu_present() is False
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\n")
    smi.chmod(0o755)
    assert doctor.nvidia_gpu_present() is True


def test_doctor_reports_settings_typos_and_bad_values(monkeypatch, capsys):
    monkeypatch.setenv("HEPCOURSE_OFLINE", "1")
    monkeypatch.setenv("HEPCOURSE_DATA_TIMEOUT", "2s")
    monkeypatch.delenv("HEPCOURSE_SMOKE", raising=False)  # make test sets it
    assert main(["doctor", "--offline"]) == 1
    captured = capsys.readouterr()
    out = captured.out
    assert re.search(r"HEPCOURSE_OFLINE\s+= '1'\s+UNKNOWN.*did you mean HEPCOURSE_OFFLINE\?", out)
    assert re.search(r"HEPCOURSE_DATA_TIMEOUT\s+= '2s'\s+BAD VALUE: HEPCOURSE_DATA_TIMEOUT='2s'", out)
    assert re.search(r"HEPCOURSE_SMOKE\s+unset \(default 0\)", out)
    assert re.search(r"HEPCOURSE_OFFLINE\s+= '1'$", out, re.MULTILINE)
    assert re.search(r"torch build: .*NVIDIA GPU (present|not found)", out)
    assert re.search(r"disk: +\d+\.\d GB free of \d+\.\d GB at ", out)
    assert "1 problem(s)" in captured.err and "Traceback" not in captured.err


def test_doctor_reports_the_beam_line_packages(capsys):
    main(["doctor", "--offline"])
    out = capsys.readouterr().out
    assert re.search(r"^  gymnasium +\d+\.\d+", out, re.MULTILINE)
    assert re.search(r"^  zuko +\d+\.\d+", out, re.MULTILINE)  # the flows of chapter 7
    assert re.search(r"^  stable-baselines3 +\d+\.\d+", out, re.MULTILINE)


def test_doctor_with_a_bad_setting_does_not_probe_the_network(monkeypatch, capsys):
    monkeypatch.setenv("HEPCOURSE_OFFLINE", "maybe")
    monkeypatch.setattr("requests.head", lambda *a, **k: pytest.fail("probed the network"))
    assert main(["doctor"]) == 1
    assert "BAD VALUE: HEPCOURSE_OFFLINE='maybe'" in capsys.readouterr().out


def test_doctor_reports_a_damaged_copy_it_cannot_remove(monkeypatch, isolated_data, capsys):
    isolated_data.mkdir(parents=True)
    (isolated_data / ZMUMU).write_bytes(b"damaged")
    real = Path.unlink

    def unlink(self, *args, **kwargs):
        if self.name == ZMUMU:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", unlink)
    assert main(["doctor", "--offline"]) == 1
    out = capsys.readouterr().out
    assert re.search(rf"zmumu\s+{ZMUMU}\s+PROBLEM: the cached {ZMUMU} in {isolated_data} is "
                     r"damaged .* cannot be removed", out)
    assert re.search(r"hzz\s+uproot-HZZ.root\s+not cached$", out, re.MULTILINE)


def test_doctor_says_which_datasets_are_ready(shared_mirror, monkeypatch, capsys):
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    assert main(["fetch", "zmumu"]) == 0
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert re.search(rf"zmumu\s+{ZMUMU}\s+cached \(ready\)", out)
    assert re.search(r"hzz\s+uproot-HZZ.root\s+not cached; in the mirror", out)
    assert re.search(r"hepmass\s+all_train.csv.gz\s+not cached; not in the mirror", out)
    assert f"data mirror:    {shared_mirror}" in out


def test_doctor_says_what_to_run_for_each_missing_tool(tmp_path):
    lines = doctor.tools_report(version=lambda module: None, which=lambda binary: None, checkout=tmp_path)
    report = dict(re.match(r"  (.+?)\s+MISSING: .*; run: (.*)$", line).groups() for line in lines)
    python_tools = ("jupyterlab", "ipywidgets", "jupyter-book", "nbclient", "pythia8mc", "fastjet",
                    "gymnasium", "stable-baselines3", "zuko")
    assert set(report) == {*python_tools, "chromium", "npm", "slides vendor", "book MathJax"}
    for tool in python_tools:
        assert report[tool].startswith("make install")
    assert "apt-get install chromium" in report["chromium"] and "npm" in report["npm"]
    assert report["slides vendor"].startswith("make build/vendor/.done")
    assert report["book MathJax"].startswith("make build/book-static/.done")
    assert "IProgress" in next(line for line in lines if "ipywidgets" in line)


def test_doctor_shows_versions_and_paths_of_the_tools_it_finds(tmp_path):
    for folder in ("build/vendor", "build/book-static"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / ".done").touch()
    lines = doctor.tools_report(version=lambda module: "9.9", which=lambda binary: f"/usr/bin/{binary}",
                             checkout=tmp_path)
    assert not [line for line in lines if "MISSING" in line]
    assert "  chromium      /usr/bin/chromium" in lines and f"  slides vendor {tmp_path}/build/vendor" in lines


def test_doctor_fails_on_a_missing_torch_and_says_to_run_make_install(monkeypatch, capsys):
    real = doctor._version
    monkeypatch.setattr(doctor, "_version", lambda module: None if module == "torch" else real(module))
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    assert main(["doctor", "--offline"]) == 1
    captured = capsys.readouterr()
    assert re.search(r"^  torch +MISSING: run make install", captured.out, re.MULTILINE)
    assert "torch is NOT installed: run `make install`" in captured.out
    assert "`hepcourse fetch all`" in captured.out  # the isolated cache holds no dataset
    assert "1 problem(s)" in captured.err


def test_fetch_reports_a_bad_setting_without_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("HEPCOURSE_DATA_TIMEOUT", "soon")
    assert main(["fetch", "zmumu"]) == 1
    err = capsys.readouterr().err
    assert "zmumu: FAILED" in err and "HEPCOURSE_DATA_TIMEOUT='soon'" in err
