"""HEPMASS loading: a small file in the UCI format served from loopback, downloaded through
pooch (hash-checked), parsed once with pyarrow, cached as Parquet and reloaded from it."""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os

import numpy as np
import pandas as pd
import pytest

from hepcourse import data
from hepcourse.data import hepmass as hm
from hepcourse.data.download import fetch_file
from hepcourse.data.registry import REGISTRY, DataFile
from hepcourse.simulate.resonant_ttbar import COLUMNS

HEADER = "# label," + ",".join(f"f{i}" for i in range(27)) + ",mass\n"


def uci_csv_gz(n: int, seed: int = 0) -> tuple[bytes, pd.DataFrame]:
    """n rows in the UCI layout (label, 27 standardised features, mass), gzipped."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 27)).round(6), columns=[f"f{i}" for i in range(27)])
    frame.insert(0, "label", rng.integers(0, 2, n).astype(float))
    frame["mass"] = rng.choice([500.0, 750.0, 1000.0, 1250.0, 1500.0], n)
    text = HEADER + frame.to_csv(header=False, index=False)
    return gzip.compress(text.encode()), frame


@pytest.fixture
def tiny_hepmass(http_server, monkeypatch):
    """A dataset 'hepmass' whose train/test files come from the loopback server."""
    files, frames = {}, {}
    for split, filename, n, seed in (("train", "all_train.csv.gz", 3000, 1),
                                     ("test", "all_test.csv.gz", 1000, 2)):
        payload, frame = uci_csv_gz(n, seed)
        http_server.files[filename] = payload
        files[split] = DataFile(filename, (f"{http_server.url}/{filename}",),
                                hashlib.sha256(payload).hexdigest(), len(payload))
        frames[split] = frame
    dataset = dataclasses.replace(REGISTRY["hepmass"], files=files)
    monkeypatch.setitem(REGISTRY, "hepmass", dataset)
    monkeypatch.setenv("HEPCOURSE_OFFLINE", "0")
    return dataset, frames


def test_real_files_download_parse_and_cache(tiny_hepmass, isolated_data, http_server):
    dataset, frames = tiny_hepmass
    train = data.load("hepmass", split="train", source="real")
    assert data.is_real(train) and "all_train.csv.gz" in data.source_of(train)
    assert list(train.columns) == COLUMNS
    assert (train.dtypes == np.float32).all() and len(train) == 3000
    np.testing.assert_allclose(train.to_numpy(), frames["train"].to_numpy(), atol=1e-5)
    # the CSV went through pooch into the cache; the Parquet copy sits next to it
    cached = sorted(p.name for p in isolated_data.iterdir())
    assert cached == ["all_train.csv.gz", "hepmass-all_train.parquet"]
    test = data.load("hepmass", split="test", source="real")
    assert len(test) == 1000 and http_server.hits["all_test.csv.gz"] == 1


def test_second_load_reads_the_parquet_cache(tiny_hepmass, monkeypatch):
    first = data.load("hepmass", split="train", source="real")

    def no_csv(path):
        raise AssertionError("the CSV was parsed again although the Parquet cache is valid")

    monkeypatch.setattr(hm, "_read_csv_table", no_csv)
    again = data.load("hepmass", split="train", source="real")
    pd.testing.assert_frame_equal(first, again)


def test_parquet_is_rebuilt_when_the_csv_is_newer(tiny_hepmass, isolated_data):
    data.load("hepmass", split="train", source="real")
    csv = isolated_data / "all_train.csv.gz"
    parquet = hm.parquet_path(csv)
    old = parquet.stat().st_mtime_ns
    later = old + 5_000_000_000
    os.utime(csv, ns=(later, later))
    hm.cached_parquet(csv)
    assert parquet.stat().st_mtime_ns > old
    assert not list(isolated_data.glob("*.part"))


def test_read_options(tiny_hepmass):
    _, frames = tiny_hepmass
    head = data.load("hepmass", split="train", source="real", n=100, columns=["label", "mass"])
    assert list(head.columns) == ["label", "mass"] and len(head) == 100
    np.testing.assert_array_equal(head["mass"], frames["train"]["mass"][:100])
    at_1000 = data.load("hepmass", split="train", source="real", masses=[1000], seed=5)
    assert set(at_1000["mass"]) == {1000.0}
    assert len(at_1000) == (frames["train"]["mass"] == 1000).sum()
    X, y, mass = hm.to_arrays(at_1000)
    assert X.shape == (len(at_1000), 28) and X.dtype == np.float32
    assert hm.to_arrays(at_1000, with_mass=False)[0].shape[1] == 27
    with pytest.raises(ValueError, match="splits"):
        data.load("hepmass", split="validation", source="real")
    with pytest.raises(ValueError, match="not HEPMASS columns"):
        data.load("hepmass", source="real", columns=["f27"])


def test_fetch_file_then_reader_with_get(tiny_hepmass, isolated_data):
    dataset, frames = tiny_hepmass
    path, origin = fetch_file(dataset.files["test"])
    assert origin.startswith("http://127.0.0.1") and path.parent == isolated_data
    frame = hm.read(lambda role: path, split="test")
    np.testing.assert_allclose(frame.to_numpy(), frames["test"].to_numpy(), atol=1e-5)


def test_wrong_header_is_named(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("label,a,b\n1,2,3\n")
    with pytest.raises(ValueError, match="bad.csv is not in the HEPMASS format"):
        hm.read_csv(bad)


def test_auto_falls_back_to_the_simulator(http_server, monkeypatch):
    dataset = REGISTRY["hepmass"]
    files = {r: dataclasses.replace(f, urls=(f"{http_server.url}/{f.filename}",))
             for r, f in dataset.files.items()}
    monkeypatch.setitem(REGISTRY, "hepmass", dataclasses.replace(dataset, files=files))
    monkeypatch.setenv("HEPCOURSE_OFFLINE", "0")
    with pytest.warns(data.SimulatedDataWarning, match="SIMULATED"):
        frame = data.load("hepmass", split="test", n=2000, seed=3)
    assert not data.is_real(frame) and data.source_of(frame).startswith("simulated")
    assert list(frame.columns) == COLUMNS and len(frame) == 2000


def test_simulated_splits_use_different_streams():
    train = hm.simulate("train", n=1500, seed=7)
    test = hm.simulate("test", n=1500, seed=7)
    again = hm.simulate("train", n=1500, seed=7)
    pd.testing.assert_frame_equal(train, again)
    assert not np.allclose(train["f0"].to_numpy(), test["f0"].to_numpy())
    assert list(hm.simulate("test", n=10, columns=["f26", "mass"]).columns) == ["f26", "mass"]
    assert hm.DEFAULT_N == {"train": 1_000_000, "test": 500_000}


# --- the mass selection runs in pyarrow (predicate pushdown) --------------------------------

def reference_selection(frame: pd.DataFrame, masses, n=None, columns=None) -> pd.DataFrame:
    """The former implementation: read every row, then filter in pandas."""
    keep = np.isin(frame["mass"].to_numpy(), np.asarray(masses, dtype=np.float32))
    selected = frame.loc[keep].reset_index(drop=True)
    selected = selected.iloc[:n] if n is not None else selected
    return selected[columns or COLUMNS]


@pytest.fixture
def many_row_groups(tmp_path):
    """A HEPMASS Parquet file of 5000 rows in row groups of 128 (order matters)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    _, frame = uci_csv_gz(5000, seed=9)
    frame = frame.astype(np.float32)
    path = tmp_path / "hepmass-many.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=128)
    return path, frame


@pytest.mark.parametrize("masses, n, columns", [
    ([1000], None, None), ([500, 1500], None, None), ([1000.0], 37, None),
    (np.array([750, 1250], np.float32), 700, ["label", "f3"]), (1250, 1, ["f26"]),
    ([1000], 10**6, ["label"]), ([999], None, None)])
def test_mass_selection_is_identical_to_the_pandas_filter(masses, n, columns, many_row_groups,
                                                          monkeypatch):
    path, frame = many_row_groups

    def no_full_read(*args, **kwargs):
        raise AssertionError("the mass selection read the whole file into a table first")

    monkeypatch.setattr(hm.pq, "ParquetFile", no_full_read)
    got = hm.read_parquet(path, n=n, columns=columns, masses=masses)
    expected = reference_selection(frame, np.atleast_1d(masses), n, columns)
    pd.testing.assert_frame_equal(got, expected)


def test_mass_selection_through_load(tiny_hepmass):
    _, frames = tiny_hepmass
    got = data.load("hepmass", split="train", source="real", masses=[500, 1250], n=123,
                    columns=["label", "f0"])
    expected = reference_selection(frames["train"].astype(np.float32), [500, 1250], 123,
                                   ["label", "f0"])
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("options, error", [
    ({"n": -5}, ValueError), ({"n": 0}, ValueError), ({"n": 1.5}, ValueError),
    ({"n": "10"}, TypeError), ({"masses": []}, ValueError), ({"masses": ["heavy"]}, TypeError),
    ({"masses": [-1]}, ValueError), ({"nn": 3}, ValueError)])
def test_bad_options_fail_before_any_download(options, error, tiny_hepmass, http_server,
                                              isolated_data):
    for source in ("real", "auto"):
        with pytest.raises(error):
            data.load("hepmass", split="train", source=source, **options)
    assert http_server.hits == {} and not isolated_data.exists()


def test_parquet_cache_gets_the_umask_mode_and_orphans_go(tiny_hepmass, isolated_data):
    import stat
    import subprocess

    data.fetch("hepmass")
    process = subprocess.Popen(["true"])
    process.wait()
    orphan = isolated_data / f".hepmass-all_train.parquet.{process.pid}.abcdef01.part"
    orphan.write_bytes(b"half a parquet file")
    old = os.umask(0o022)
    try:
        data.load("hepmass", split="train", source="real", n=5)
    finally:
        os.umask(old)
    parquet = isolated_data / "hepmass-all_train.parquet"
    assert stat.S_IMODE(parquet.stat().st_mode) == 0o644  # was 0600 (mkstemp)
    assert not orphan.exists()
    assert sorted(p.name for p in isolated_data.iterdir()) == [
        "all_test.csv.gz", "all_train.csv.gz", "hepmass-all_train.parquet"]
