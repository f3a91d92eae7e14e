"""What ``data.load`` accepts and says: the options of each dataset (the same for every
source, checked before anything is read), bad settings as errors rather than a fallback,
and the one-line notice of the source."""
from __future__ import annotations

import importlib
import inspect
import logging
import warnings

import pytest

from hepcourse import data

ZMUMU = "uproot-Zmumu.root"


def leftovers(cache) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


# --- options --------------------------------------------------------------------------------

def _parameters(target: str) -> set[str]:
    module, _, function = target.partition(":")
    names = set(inspect.signature(getattr(importlib.import_module(module), function)).parameters)
    return names - {"get"}


def test_registry_options_are_what_reader_and_simulator_take():
    for name in data.names():
        dataset = data.get(name)
        union = _parameters(dataset.reader)
        if dataset.simulator:
            union |= _parameters(dataset.simulator)
        assert set(dataset.options) == union, name
        assert len(dataset.options) == len(set(dataset.options)), name


def test_unknown_option_is_the_same_error_for_every_source(upstream, http_server, shared_mirror, monkeypatch,
                                                           isolated_data):
    http_server.files[ZMUMU] = (shared_mirror / ZMUMU).read_bytes()
    upstream("zmumu", http_server.url)
    messages = set()
    for source in ("auto", "real", "simulated"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no fallback either
            with pytest.raises(ValueError, match=r"unknown option\(s\) \['nn'\]") as info:
                data.load("zmumu", source=source, nn=10)
        messages.add(str(info.value))
    expected = ("dataset 'zmumu': unknown option(s) ['nn']; the options are "
                "['mass_range', 'n', 'seed', 'signal_fraction']")
    assert messages == {expected}
    assert http_server.hits == {} and leftovers(isolated_data) == []  # nothing was read


def test_options_of_the_other_source_are_accepted(shared_mirror, monkeypatch):
    from hepcourse.data import root

    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    events = data.load("zmumu", source="real", n=30, seed=5, signal_fraction=0.5)
    assert len(events) == 30 and data.is_real(events)  # the twin's options are ignored
    with pytest.raises(TypeError):
        root.read_zmumu(lambda role: shared_mirror / ZMUMU, nn=3)  # no catch-all **kwargs
    twin = data.load("hzz", source="simulated", n=50, branches=["NMuon", "Muon_Px"])
    assert twin.fields == ["NMuon", "Muon_Px"] and len(twin) == 50
    with pytest.raises(ValueError, match=r"branches \['MChadronicBottom_px'\] are not in the simulated"):
        data.load("hzz", source="simulated", n=5, branches=["MChadronicBottom_px"])
    real = data.load("hzz", source="real", n=20, branches=["NMuon"], seed=1)
    assert real.fields == ["NMuon"] and len(real) == 20


@pytest.mark.parametrize("n, error", [(-5, ValueError), (0, ValueError), (2.5, ValueError),
                                      ("10", TypeError), (True, TypeError)])
def test_real_readers_check_n_before_reading(n, error, shared_mirror, monkeypatch, isolated_data):
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    for name in ("zmumu", "hzz", "nanoaod"):
        with pytest.raises(error, match=r"^n="):
            data.load(name, source="real", n=n)
    assert leftovers(isolated_data) == []  # failed before fetching
    assert len(data.load("zmumu", source="real", n=1e2)) == 100


# --- a bad setting is an error, never a silent switch to the twin --------------------------

@pytest.mark.parametrize("variable, value", [("HEPCOURSE_DATA_TIMEOUT", "2s"),
                                             ("HEPCOURSE_OFFLINE", "maybe"),
                                             ("HEPCOURSE_PROGRESS", "maybe")])
def test_bad_setting_is_an_error_not_a_fallback(variable, value, upstream, closed_port_url, monkeypatch,
                                                shared_mirror, isolated_data):
    upstream("zmumu", closed_port_url)
    monkeypatch.setenv(variable, value)
    with warnings.catch_warnings():
        warnings.simplefilter("error", data.SimulatedDataWarning)
        for source in ("auto", "real"):
            with pytest.raises(ValueError, match=f"{variable}={value!r}"):
                data.load("zmumu", source=source)
        with pytest.raises(ValueError, match=variable):
            data.fetch("zmumu")
    # also when the file is cached: the setting is checked first
    monkeypatch.delenv(variable)
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    data.fetch("zmumu")
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=variable):
        data.load("zmumu", source="auto")
    assert len(data.load("zmumu", source="simulated", n=8)) == 8  # the twin needs no setting


# --- the notice of the source ---------------------------------------------------------------

def test_load_logs_a_one_line_notice_and_tags_the_source(shared_mirror, monkeypatch, capsys, caplog):
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    with caplog.at_level(logging.INFO, logger="hepcourse"):
        events = data.load("zmumu", source="real")
        twin = data.load("zmumu", source="simulated", n=12, seed=2)
    expected = f"zmumu <- real data: {ZMUMU} from mirror {shared_mirror}"
    assert events.attrs["source"] == expected.split(" <- ")[1] == data.source_of(events)
    records = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert ("hepcourse.data", logging.INFO, expected) in records
    assert ("hepcourse.data", logging.INFO,
            "zmumu <- simulated: hepcourse.simulate.drell_yan.zmumu(n=12, seed=2)") in records
    assert data.source_of(twin) == "simulated: hepcourse.simulate.drell_yan.zmumu(n=12, seed=2)"
    out = capsys.readouterr().out  # a notebook user sees the line without configuring logging
    assert f"hepcourse.data: {expected}\n" in out


def test_own_logging_handler_replaces_the_console_notice(shared_mirror, monkeypatch, capsys):
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    logger = logging.getLogger("hepcourse")
    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    monkeypatch.setattr(logger, "handlers", [Collect()])
    monkeypatch.setattr(logger, "level", logging.INFO)
    data.load("zmumu", source="real", n=5)
    assert seen == [f"zmumu <- real data: {ZMUMU} from mirror {shared_mirror}"]
    assert "hepcourse.data" not in capsys.readouterr().out
    assert len(logger.handlers) == 1  # no console handler was added next to the user's
