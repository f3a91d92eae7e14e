"""The dataset registry: every real file the course uses, with its upstream URLs and hash.

A :class:`Dataset` groups the files of one dataset (``hepmass`` has a train and a test
file), says how to read them (``reader``) and which seeded generator is its offline twin
(``simulator``). Readers and simulators are named as ``"module:function"`` and imported
only when used, so importing the registry is cheap.

Reader contract: ``reader(get, **options)`` where ``get(role) -> pathlib.Path`` fetches
(or finds in the cache) the file of that role, e.g. ``get("events")``.
Simulator contract: ``simulator(**options)`` returns the same type and schema as the reader.
``Dataset.options`` lists the keywords :func:`hepcourse.data.load` accepts for a dataset:
the union of what its reader and its simulator take. A reader takes the simulator's
options explicitly and ignores them; :meth:`Dataset.simulate` passes the simulator only
the options it takes (``branches`` selects fields of the simulated array).
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field

from .. import validate

SKHEP_TESTDATA = (
    "https://github.com/scikit-hep/scikit-hep-testdata/raw/v0.6.7/src/skhep_testdata/data/"
)
SKHEP_PROVENANCE = "scikit-hep-testdata v0.6.7, src/skhep_testdata/data/"
UCI_HEPMASS = "http://archive.ics.uci.edu/ml/machine-learning-databases/00347/"
UCI_HEPMASS_ALT = "http://mlphysics.ics.uci.edu/data/hepmass/"


@dataclass(frozen=True)
class DataFile:
    """One file: its name in the cache and on mirrors, where it comes from, its sha256.

    ``size`` is in bytes, or None where upstream does not publish it (the hash decides).
    """

    filename: str
    urls: tuple[str, ...]
    sha256: str
    size: int | None


@dataclass(frozen=True)
class Dataset:
    """A named dataset: its files by role, how to read them and its simulated twin."""

    name: str
    title: str
    files: dict[str, DataFile]
    provenance: str
    licence: str
    reader: str
    simulator: str | None = None
    notes: str = ""
    aliases: tuple[str, ...] = field(default=())
    options: tuple[str, ...] = field(default=())

    def check_options(self, options: dict) -> None:
        """Raise ValueError naming the allowed options when ``options`` holds another."""
        validate.options(options, self.options, f"dataset {self.name!r}")

    def read(self, get, **options):
        """Read the real files; ``get(role)`` returns the local path of a file."""
        self.check_options(options)
        return _resolve(self.reader)(get, **options)

    def simulate(self, **options):
        """Produce the simulated twin (same schema as :meth:`read`).

        Options only the reader takes are not passed to the simulator; ``branches`` (a
        list of field names) then selects those fields of the simulated array.
        """
        if self.simulator is None:
            raise ValueError(f"dataset {self.name!r} has no simulated twin")
        self.check_options(options)
        simulator = _resolve(self.simulator)
        takes = set(inspect.signature(simulator).parameters)
        result = simulator(**{k: v for k, v in options.items() if k in takes})
        branches = options.get("branches")
        if "branches" not in takes and branches is not None:
            result = _select_fields(result, branches, self.name)
        return result


def _resolve(target: str):
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


def _select_fields(result, branches, name: str):
    wanted = [branches] if isinstance(branches, str) else list(branches)
    missing = [b for b in wanted if b not in result.fields]
    if missing:
        raise ValueError(f"branches {missing} are not in the simulated twin of {name!r}; "
                         f"it has {result.fields}")
    return result[wanted]


def _skhep(filename: str, sha256: str, size: int) -> DataFile:
    return DataFile(filename, (SKHEP_TESTDATA + filename,), sha256, size)


REGISTRY: dict[str, Dataset] = {}


def register(dataset: Dataset) -> Dataset:
    """Add a dataset to the registry (names and aliases must be new)."""
    for key in (dataset.name, *dataset.aliases):
        if key in REGISTRY:
            raise ValueError(f"dataset name {key!r} is already registered")
        REGISTRY[key] = dataset
    return dataset


register(Dataset(
    name="zmumu",
    title="CMS 2010 Z→μμ candidates (real data)",
    files={"events": _skhep(
        "uproot-Zmumu.root",
        "8290ddc1f2b1f866f30df016558936da27107f7f5b87e574c741f2baab1bad64", 178971)},
    provenance=(SKHEP_PROVENANCE + "uproot-Zmumu.root: 2304 dimuon candidates recorded by CMS "
                "in 2010 (runs 148029, 148031), tree 'events'; they come from 500 collisions, "
                "each muon pair appearing as several candidates (global/tracker-muon "
                "combinations)"),
    licence="BSD-3-Clause (scikit-hep-testdata); CMS data released as open data",
    reader="hepcourse.data.root:read_zmumu",
    simulator="hepcourse.simulate.drell_yan:zmumu",
    options=("n", "seed", "signal_fraction", "mass_range"),
))

register(Dataset(
    name="hzz",
    title="CMS HEP-tutorial simulation with ragged jets, muons, electrons, photons",
    files={"events": _skhep(
        "uproot-HZZ.root",
        "baa852f7b801eee0fb7234f44864a20808d17d84fa44e712072fa881c423ad46", 217945)},
    provenance=(SKHEP_PROVENANCE + "uproot-HZZ.root: 2421 simulated events from the CMS HEP "
                "tutorial (2012), tree 'events'"),
    licence="BSD-3-Clause (scikit-hep-testdata)",
    reader="hepcourse.data.root:read_hzz",
    simulator="hepcourse.simulate.higgs_4l:hzz",
    options=("n", "branches", "seed"),
))

register(Dataset(
    name="ttbar_nanoaod",
    title="CMS 2015 open-data NanoAOD tt̄ simulation (200 events)",
    files={"events": _skhep(
        "nanoAOD_2015_CMS_Open_Data_ttbar.root",
        "c14a29b25b15b837226f396e920b5d9fb134f3558bef5b0a9db5d6d9606c5f3a", 377623)},
    provenance=(SKHEP_PROVENANCE + "nanoAOD_2015_CMS_Open_Data_ttbar.root: 200 simulated "
                "NanoAOD events, tree 'Events'"),
    licence="BSD-3-Clause (scikit-hep-testdata); CMS open data (CC0)",
    reader="hepcourse.data.root:read_nanoaod",
    simulator=None,
    notes="no simulated twin: a NanoAOD event holds ~950 branches",
    aliases=("nanoaod",),
    options=("n", "branches"),
))

register(Dataset(
    name="hepmass",
    title="UCI HEPMASS: X→tt̄ against SM tt̄, 27 features + mass (Baldi et al. 2016)",
    files={
        "train": DataFile(
            "all_train.csv.gz",
            (UCI_HEPMASS + "all_train.csv.gz", UCI_HEPMASS_ALT + "all_train.csv.gz"),
            "52061273edbe84cbfff6cc5432a04366d3401c39baf80da99d9baf91e0165498", None),
        "test": DataFile(
            "all_test.csv.gz",
            (UCI_HEPMASS + "all_test.csv.gz", UCI_HEPMASS_ALT + "all_test.csv.gz"),
            "eccba00f8d82c471c582ab629084103356f8dda637fad6d43f16a056673091b3", None),
    },
    provenance=("UCI Machine Learning Repository, dataset 347 (HEPMASS), 'all' variant: "
                "7M training and 3.5M test events, masses {500,750,1000,1250,1500} GeV; "
                "P. Baldi et al., Eur. Phys. J. C 76 (2016) 235, arXiv:1601.07913"),
    licence="CC BY 4.0 (UCI Machine Learning Repository)",
    reader="hepcourse.data.hepmass:read",
    simulator="hepcourse.data.hepmass:simulate",
    options=("split", "n", "columns", "masses", "seed", "signal_fraction"),
))


def get(name: str) -> Dataset:
    """The registry entry of ``name``; a clear error lists the known names."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted({d.name for d in REGISTRY.values()}))
        raise ValueError(f"unknown dataset {name!r}; known datasets: {known}") from None


def names() -> list[str]:
    """The canonical dataset names (aliases left out), sorted."""
    return sorted({d.name for d in REGISTRY.values()})
