"""The data layer against real files: loopback downloads through pooch, the mirror, hash
errors, the simulated fallback, and the real CMS Z→μμ fit."""
from __future__ import annotations

import re
import warnings

import awkward as ak
import numpy as np
import pytest

from hepcourse import data
from hepcourse.data import download

ZMUMU = "uproot-Zmumu.root"


def leftovers(cache) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


# --- the registry ------------------------------------------------------------------------

def test_registry_is_complete():
    assert set(data.names()) >= {"zmumu", "hzz", "ttbar_nanoaod", "hepmass"}
    for name in data.names():
        dataset = data.get(name)
        assert dataset.provenance and dataset.licence and dataset.title
        for file in dataset.files.values():
            assert re.fullmatch(r"[0-9a-f]{64}", file.sha256), file
            assert file.urls and all(u.startswith(("http://", "https://")) for u in file.urls)
    assert data.get("hepmass").files["train"].sha256.startswith("52061273")
    assert data.get("hepmass").files["test"].sha256.startswith("eccba00f")
    assert data.get("nanoaod") is data.get("ttbar_nanoaod")


def test_registry_hashes_match_the_mirror(shared_mirror):
    sums = dict(line.split()[::-1] for line in (shared_mirror / "SHA256SUMS").read_text().splitlines())
    for name in ("zmumu", "hzz", "ttbar_nanoaod"):
        file = data.get(name).files["events"]
        assert sums[file.filename] == file.sha256
        assert (shared_mirror / file.filename).stat().st_size == file.size


def test_unknown_dataset_and_source_are_clear_errors():
    with pytest.raises(ValueError, match="unknown dataset 'zmumuu'.*known datasets: .*zmumu"):
        data.load("zmumuu")
    with pytest.raises(ValueError, match=r"source='simulation' is not one of"):
        data.load("zmumu", source="simulation")


# --- downloads from a loopback server (real pooch HTTP downloads) -------------------------

def test_download_is_hash_checked_and_cached(http_server, shared_mirror, monkeypatch, isolated_data, upstream):
    http_server.files[ZMUMU] = (shared_mirror / ZMUMU).read_bytes()
    upstream("zmumu", http_server.url)
    events = data.load("zmumu", source="real")
    assert len(events) == 2304
    assert data.source_of(events) == f"real data: {ZMUMU} from {http_server.url}/{ZMUMU}"
    assert leftovers(isolated_data) == [ZMUMU]
    again = data.load("zmumu", source="real")
    assert data.source_of(again).endswith("from cache")
    assert http_server.hits[ZMUMU] == 1  # the second load did not download


@pytest.mark.parametrize("damage", ["truncate", "corrupt"])
def test_bad_download_is_rejected_and_not_cached(damage, http_server, shared_mirror, monkeypatch,
                                                 isolated_data, upstream):
    payload = bytearray((shared_mirror / ZMUMU).read_bytes())
    if damage == "corrupt":
        payload[len(payload) // 3] ^= 0xFF
    else:
        http_server.mode[ZMUMU] = "truncate"
    http_server.files[ZMUMU] = bytes(payload)
    upstream("zmumu", http_server.url)
    with pytest.raises(data.DataHashError) as info:
        data.load("zmumu", source="auto")  # a hash error is never hidden by the fallback
    message = str(info.value)
    assert ZMUMU in message and data.get("zmumu").files["events"].sha256 in message
    assert info.value.got in message and info.value.got != info.value.expected
    assert "not kept" in message
    assert leftovers(isolated_data) == []


def test_interrupted_transfer_leaves_nothing(http_server, shared_mirror, monkeypatch, isolated_data, upstream):
    http_server.files[ZMUMU] = (shared_mirror / ZMUMU).read_bytes()
    http_server.mode[ZMUMU] = "cut"
    upstream("zmumu", http_server.url)
    with pytest.raises((data.DataUnavailableError, data.DataHashError)):
        data.load("zmumu", source="real")
    assert leftovers(isolated_data) == []


def test_404_is_reported_with_what_to_do(http_server, monkeypatch, isolated_data, upstream):
    upstream("zmumu", http_server.url)
    with pytest.raises(data.DataUnavailableError) as info:
        data.load("zmumu", source="real")
    message = str(info.value)
    assert "404" in message and "source='real' never falls back" in message
    assert "HEPCOURSE_DATA_MIRROR" in message and "hepcourse fetch" in message
    assert leftovers(isolated_data) == []


# --- no network ----------------------------------------------------------------------------

def test_no_network_auto_falls_back_with_a_notice(closed_port_url, monkeypatch, upstream):
    upstream("zmumu", closed_port_url)
    with pytest.warns(data.SimulatedDataWarning,
                      match=r"zmumu: .*SIMULATED twin hepcourse\.simulate\.drell_yan\.zmumu") as info:
        events = data.load("zmumu", seed=3)
    message = str(info[0].message)
    assert f"upstream {closed_port_url}/{ZMUMU}: ConnectionError" in message
    assert len(events) == 2304
    assert data.source_of(events).startswith("simulated: hepcourse.simulate.drell_yan")
    assert not data.is_real(events)
    reference = data.load("zmumu", source="simulated", seed=3)
    assert np.array_equal(ak.to_numpy(events.M), ak.to_numpy(reference.M))


def test_no_network_real_raises_the_clear_error(closed_port_url, monkeypatch, upstream):
    upstream("zmumu", closed_port_url)
    with pytest.raises(data.DataUnavailableError) as info:
        data.load("zmumu", source="real")
    message = str(info.value)
    assert "ConnectionError" in message and ZMUMU in message
    assert "HEPCOURSE_DATA_MIRROR" in message


def test_offline_mode_never_contacts_upstream(http_server, monkeypatch, shared_mirror, upstream):
    http_server.files[ZMUMU] = (shared_mirror / ZMUMU).read_bytes()
    upstream("zmumu", http_server.url)
    monkeypatch.setenv("HEPCOURSE_OFFLINE", "1")
    with pytest.raises(data.DataUnavailableError, match="HEPCOURSE_OFFLINE"):
        data.load("zmumu", source="real")
    assert http_server.hits == {}


def test_dataset_without_twin_says_so(closed_port_url, monkeypatch, upstream):
    upstream("ttbar_nanoaod", closed_port_url)
    with pytest.raises(data.DataUnavailableError, match="has no simulated twin"):
        data.load("ttbar_nanoaod")


# --- the mirror ----------------------------------------------------------------------------

def test_mirror_folder_gives_the_real_events(shared_mirror, monkeypatch, isolated_data):
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    events = data.load("zmumu", source="real")
    assert len(events) == 2304
    assert set(events.Type.to_list()) == {"GG", "GT", "TT"}
    assert data.source_of(events) == f"real data: {ZMUMU} from mirror {shared_mirror}"
    assert (isolated_data / ZMUMU).is_file() and data.is_cached("zmumu")


def test_mirror_as_base_url(http_server, shared_mirror, monkeypatch):
    http_server.files[ZMUMU] = (shared_mirror / ZMUMU).read_bytes()
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", http_server.url + "/")
    events = data.load("zmumu", source="real")
    assert len(events) == 2304 and "from mirror http://127.0.0.1" in data.source_of(events)


def test_corrupted_mirror_file_is_rejected_and_not_cached(shared_mirror, tmp_path, monkeypatch,
                                                          isolated_data):
    bad_mirror = tmp_path / "mirror"
    bad_mirror.mkdir()
    payload = bytearray((shared_mirror / ZMUMU).read_bytes())
    payload[1000] ^= 0x01
    (bad_mirror / ZMUMU).write_bytes(bytes(payload))
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(bad_mirror))
    for source in ("real", "auto"):
        with pytest.raises(data.DataHashError, match=f"{ZMUMU} from mirror {bad_mirror}"):
            data.load("zmumu", source=source)
        assert leftovers(isolated_data) == []
    assert (bad_mirror / ZMUMU).read_bytes() == bytes(payload)  # the mirror is left untouched


def test_corrupted_cache_file_is_replaced_from_the_mirror(shared_mirror, monkeypatch, isolated_data):
    isolated_data.mkdir(parents=True)
    (isolated_data / ZMUMU).write_bytes(b"not a ROOT file")
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    with pytest.warns(UserWarning, match="the cached uproot-Zmumu.root had sha256"):
        events = data.load("zmumu", source="real")
    assert len(events) == 2304
    assert download.sha256(isolated_data / ZMUMU) == data.get("zmumu").files["events"].sha256


def test_fetch_puts_every_file_in_the_cache(shared_mirror, monkeypatch, isolated_data):
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", f"file://{shared_mirror}")
    paths = data.fetch("hzz")
    assert [p.name for p in paths] == ["uproot-HZZ.root"] and data.is_cached("hzz")


# --- real physics from the real file -------------------------------------------------------

def test_real_zmumu_fit_gives_the_z_mass(shared_mirror, monkeypatch):
    """The chapter's fit: one candidate per collision, Voigt + exponential, 70-110 GeV."""
    from hepcourse.analysis.candidates import one_candidate_per_event
    from hepcourse.analysis.zpeak import fit_zpeak

    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    events = data.load("zmumu", source="real")
    masses = ak.to_numpy(one_candidate_per_event(events).M)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warnings in the model
        fit = fit_zpeak(masses, window=(70, 110), m=91, sigma=2, slope=0.05)
    assert fit.valid and fit.fmin.has_accurate_covar
    assert 90.5 <= fit.values["m"] <= 91.1
    assert 0.1 < fit.errors["m"] < 0.2
    assert 1.0 < fit.values["sigma"] < 2.5  # CMS 2010 dimuon mass resolution, GeV
    in_window = np.count_nonzero((masses > 70) & (masses < 110))
    assert fit.values["n_sig"] + fit.values["n_bkg"] == pytest.approx(in_window, rel=1e-3)
    # every row as if independent: the same peak, but a fake factor-two precision
    naive = fit_zpeak(ak.to_numpy(events.M))
    assert 90.5 <= naive.values["m"] <= 91.1 and naive.errors["m"] < 0.6 * fit.errors["m"]


def test_real_hzz_is_ragged(shared_mirror, monkeypatch):
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    events = data.load("hzz", source="real")
    assert len(events) == 2421
    assert ak.all(ak.num(events.Muon_Px) == events.NMuon)


def test_nanoaod_reads_selected_branches(shared_mirror, monkeypatch):
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    events = data.load("nanoaod", branches=["nMuon", "Muon_pt"])
    assert len(events) == 200 and events.fields == ["nMuon", "Muon_pt"]


def test_cli_fetch_and_doctor(shared_mirror, monkeypatch, capsys):
    from hepcourse.cli import main

    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(shared_mirror))
    assert main(["fetch", "zmumu", "hzz"]) == 0
    out = capsys.readouterr().out
    assert "uproot-Zmumu.root (178,971 bytes, sha256 verified)" in out
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "compute device: cpu" in out or "compute device: cuda" in out
    assert re.search(r"zmumu\s+uproot-Zmumu.root\s+cached", out)
    assert re.search(r"ttbar_nanoaod\s+\S+\s+not cached; in the mirror", out)
    assert main(["fetch", "nosuchset"]) == 1
    assert "unknown dataset 'nosuchset'" in capsys.readouterr().err


# --- the fallback says what was tried and why ----------------------------------------------

def test_fallback_warning_names_every_attempt_and_why(tmp_path, monkeypatch, isolated_data):
    empty_mirror = tmp_path / "mirror"
    empty_mirror.mkdir()
    monkeypatch.setenv("HEPCOURSE_DATA_MIRROR", str(empty_mirror))
    with pytest.warns(data.SimulatedDataWarning) as info:
        events = data.load("zmumu", n=40)
    message = str(info[0].message)
    assert f"cache {isolated_data}: not there" in message
    assert f"mirror {empty_mirror}: FileNotFoundError" in message and ZMUMU in message
    assert "upstream: skipped, HEPCOURSE_OFFLINE is set" in message
    assert "set HEPCOURSE_DATA_MIRROR" not in message  # it is set: say what to put there
    assert f"put {ZMUMU} into the mirror {empty_mirror}" in message
    assert "unset HEPCOURSE_OFFLINE" in message and "hepcourse fetch zmumu" in message
    assert len(events) == 40 and not data.is_real(events)


def test_fallback_warning_suggests_the_mirror_when_it_is_unset():
    with pytest.warns(data.SimulatedDataWarning) as info:
        data.load("zmumu", n=40)
    message = str(info[0].message)
    assert "mirror: HEPCOURSE_DATA_MIRROR is not set" in message
    assert f"set HEPCOURSE_DATA_MIRROR to a folder (or http URL) holding {ZMUMU}" in message
