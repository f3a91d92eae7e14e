"""The two-hour student project: find a new dimuon resonance.

Samples (all from :func:`hepcourse.simulate.dimuon.dimuon_search`, seeded):

- :func:`training_sample`  labelled simulation, Z' at several masses and the three
  backgrounds, as two frames: the classifier inputs with the label, and the truth
  (process, m_μμ, muon momenta) that must not enter a classifier;
- :func:`test_features`    unlabelled held-out events (classifier inputs only), to score;
- :func:`collision_data`   the "data": the backgrounds plus a Z' of a mass to be found.

**The key.** The Z' mass hidden in the collision data, the number of Z' events and the
seeds of the held-out and collision samples are derived from a key, by hashing it
(SHA-256): the environment variable ``HEPCOURSE_PROJECT_KEY``, or, when it is unset, the
public :data:`DEFAULT_KEY` used for self-study. No constant in the code holds the answer.
In a class the instructor picks a secret key, runs ``hepcourse project publish FOLDER``
with it and hands out FOLDER (the held-out features and the collision data, no truth);
students pass ``folder=`` to :func:`test_features` and :func:`collision_data`. After the
project, the instructor scores the submissions (:func:`write_submission`) with
``hepcourse project score SUBMISSION...`` (:mod:`hepcourse.course.submission`).
"""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .. import validate
from ..config import size, text
from ..files import atomic_write
from ..simulate.dimuon import FEATURES, dimuon_search

KEY_VARIABLE = "HEPCOURSE_PROJECT_KEY"
DEFAULT_KEY = "self-study"  # public: anyone may derive its mass; a class uses a secret key
TRAIN_SEED = 2026  # the labelled simulation is public; only the keyed samples are hidden
TRAINING_MASSES = (300.0, 450.0, 600.0, 800.0, 1000.0, 1200.0)  # GeV, Z' masses of the simulation
SEARCH_RANGE = (200.0, 1200.0)  # GeV: the masses the bump hunt scans
FIT_RANGE = (150.0, 1500.0)  # GeV: the m_μμ range the bump hunt fits
HIDDEN_RANGE = (320.0, 980.0)  # GeV: the hidden mass lies on a grid in here, away from the ends
MASS_GRID_STEP = 5.0  # GeV
DATA_EVENTS = 20_000
# The Z' yield S(m) = SIGNAL_EVENTS_AT_500 · (m / 500 GeV)^-SIGNAL_SLOPE falls with its
# mass so that the reference selection (trees on FEATURES at their best working point)
# gives a local significance of about 4.5σ at every allowed mass (tuned with
# hepcourse.course.submission.local_significance, q0 = fval_b − fval_sb, on eight keys).
SIGNAL_EVENTS_AT_500 = 45
SIGNAL_SLOPE = 1.25
TARGET_AUC = 0.75  # the reference solution (gradient-boosted trees) reaches about 0.77
BASELINE_AUC = 0.67  # the isolation sum alone
DATA_COLUMNS = tuple(FEATURES) + ("mu1_pt", "mu2_pt", "pt_mumu", "m_mumu")
TRUTH_COLUMNS = ("process", "m_mumu", "true_mass", "mu1_pt", "mu2_pt", "pt_mumu", "delta_phi")
SUBMISSION_FORMAT = "hepcourse-project-submission"
_FILES = {"test": "test_features.parquet", "data": "collision_data.parquet"}


# --- the key ---------------------------------------------------------------------------

def key() -> str:
    """The project key: ``HEPCOURSE_PROJECT_KEY`` (read at every call), or
    :data:`DEFAULT_KEY` when it is unset or empty."""
    return text(KEY_VARIABLE) or DEFAULT_KEY


def _digest(purpose: str, project_key: str | None) -> int:
    """A 64-bit number derived from the key and a purpose ("mass", "test", "data")."""
    text = key() if project_key is None else str(project_key)
    return int.from_bytes(hashlib.sha256(f"hepcourse-project\0{text}\0{purpose}".encode()).digest()[:8], "big")


def allowed_masses() -> np.ndarray:
    """The masses (GeV) the key may hide the Z' at: a 5 GeV grid inside :data:`HIDDEN_RANGE`."""
    low, high = HIDDEN_RANGE
    return np.arange(low, high + MASS_GRID_STEP / 2, MASS_GRID_STEP)


def _hidden_mass(project_key: str | None = None) -> float:
    grid = allowed_masses()
    return float(grid[_digest("mass", project_key) % grid.size])


def _signal_events(mass: float) -> int:
    return round(SIGNAL_EVENTS_AT_500 * (mass / 500.0) ** -SIGNAL_SLOPE)


def _seed(purpose: str, project_key: str | None = None) -> int:
    return _digest(purpose, project_key) % 2**31


# --- the samples -----------------------------------------------------------------------

def _split_truth(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return events[list(FEATURES) + ["label"]].copy(), events[list(TRUTH_COLUMNS)].copy()


def training_sample(n: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labelled simulation: half Z' (the masses of :data:`TRAINING_MASSES`), half
    background; n events (default 200k, 50k in smoke mode).

    Returns ``(events, truth)``, two DataFrames with the same index: ``events`` holds the
    classifier inputs (:data:`FEATURES`) and ``label`` (1 for Z'), nothing else;
    ``truth`` holds what must not be a classifier input: ``process``, ``m_mumu`` (what the
    bump hunt fits), ``true_mass`` and the muon and pair momenta (which know m_μμ).
    """
    n = size(200_000, 50_000) if n is None else validate.count(n, "n")
    return _split_truth(dimuon_search(n, signal_fraction=0.5, signal_mass=TRAINING_MASSES,
                                      seed=TRAIN_SEED))


def held_out_size() -> int:
    """How many events :func:`test_features` gives by default (and the scorer expects):
    20k, 5k in smoke mode."""
    return size(20_000, 5_000)


def _test_truth(n: int | None = None, project_key: str | None = None) -> pd.DataFrame:
    """The held-out events with their truth (for the scorer only)."""
    n = held_out_size() if n is None else validate.count(n, "n")
    return dimuon_search(n, signal_fraction=0.5, signal_mass=TRAINING_MASSES,
                         seed=_seed("test", project_key))


def _collision_truth(project_key: str | None = None) -> pd.DataFrame:
    """The collision data with their truth (for the scorer only)."""
    mass = _hidden_mass(project_key)
    n_signal = _signal_events(mass)
    rng = np.random.default_rng(_seed("data", project_key))
    background = dimuon_search(DATA_EVENTS - n_signal, signal_fraction=0.0, seed=int(rng.integers(2**31)))
    signal = dimuon_search(n_signal, signal_fraction=1.0, signal_mass=mass, seed=int(rng.integers(2**31)))
    events = pd.concat([background, signal], ignore_index=True)
    return events.iloc[rng.permutation(len(events))].reset_index(drop=True)


def _read_published(folder, which: str) -> pd.DataFrame:
    path = Path(folder) / _FILES[which]
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: folder= is the folder your instructor handed out "
                                f"(made by `hepcourse project publish FOLDER`), holding {sorted(_FILES.values())}")
    return pd.read_parquet(path)


def test_features(n: int | None = None, *, folder=None) -> pd.DataFrame:
    """The held-out events to score for your submission: the classifier inputs
    (:data:`FEATURES`) only, no label and no mass (default :func:`held_out_size` events).
    folder: the folder your instructor handed out (then ``n`` must be None)."""
    if folder is not None:
        if n is not None:
            raise ValueError("n: give either folder= (the published events) or n, not both")
        return _read_published(folder, "test")
    return _test_truth(n)[list(FEATURES)]


def collision_data(*, folder=None) -> pd.DataFrame:
    """The "collision data": 20,000 unlabelled dimuon events above 150 GeV (the columns of
    :data:`DATA_COLUMNS`: the classifier inputs, the muon and pair pT, m_μμ) that contain
    some Z' decays of unknown mass. folder: the folder your instructor handed out."""
    if folder is not None:
        return _read_published(folder, "data")
    return _collision_truth()[list(DATA_COLUMNS)]


def publish(folder, *, n: int | None = None) -> list[Path]:
    """Write the held-out features and the collision data for the current key into
    ``folder`` (created if needed), without truth, for a class whose students do not
    know the key. Returns the two paths written."""
    folder = Path(folder)
    written = []
    for which, frame in (("test", test_features(n)), ("data", collision_data())):
        target = folder / _FILES[which]
        with atomic_write(target) as tmp:
            frame.reset_index(drop=True).to_parquet(tmp, index=False)
        written.append(target)
    return written


# --- the submission --------------------------------------------------------------------

def _numbers(values, name: str) -> list:
    if values is None or isinstance(values, (str, bytes, dict)):
        raise TypeError(f"{name}: expected one number per event (an array), got {type(values).__name__}")
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected one number per event (an array of numbers)") from None
    return [None if not math.isfinite(v) else v for v in array.reshape(-1).tolist()] \
        if array.ndim == 1 else array.tolist()


def _optional_number(value, name: str):
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise TypeError(f"{name}={value!r}: expected a number or None")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}={value!r}: expected a number or None") from None
    return number if math.isfinite(number) else None


def write_submission(path, *, team: str, scores, data_scores, threshold, mass=None,
                     significance=None) -> Path:
    """Write your team's one submission to ``path`` (JSON) and return the path.

    team: your team's name; scores: one score per event of :func:`test_features`, in its
    order (higher = more signal-like); data_scores: the same classifier's score of every
    event of :func:`collision_data`; threshold: your working point (you select
    ``score > threshold``); mass: the Z' mass you found, in GeV; significance: the local
    significance (in σ) you computed at that mass. Nothing is judged here: the scorer
    (``hepcourse project score``) checks everything, once. NaN and infinite scores are
    written as null (and the scorer says how many). Raises TypeError for values that are
    not numbers at all.
    """
    if not isinstance(team, str) or not team.strip():
        raise ValueError(f"team={team!r}: give your team's name (a non-empty string)")
    record = {
        "format": SUBMISSION_FORMAT, "version": 1, "team": team.strip(),
        "threshold": _optional_number(threshold, "threshold"),
        "mass_gev": _optional_number(mass, "mass"),
        "local_significance": _optional_number(significance, "significance"),
        "scores": _numbers(scores, "scores"), "data_scores": _numbers(data_scores, "data_scores"),
    }
    path = Path(path)
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(record, allow_nan=False))
    return path


def expected_significance(s, b):
    """Asimov discovery significance Z = √(2((s+b) ln(1+s/b) − s)) for s signal and b
    background events (numbers or arrays of shapes that broadcast); Z = 0 where b = 0.

    Raises TypeError for non-numbers and ValueError for NaN, infinite or negative yields
    and for shapes that do not broadcast, naming ``s`` or ``b``.
    """
    for name, given in (("s", s), ("b", b)):
        if given is None:
            raise TypeError(f"{name}=None: expected a number of events (or an array of them)")
    s, b = validate.reals(s, "s", low=0.0), validate.reals(b, "b", low=0.0)
    try:
        np.broadcast_shapes(s.shape, b.shape)
    except ValueError:
        raise ValueError(f"s has shape {s.shape} and b {b.shape}: they must broadcast "
                         "(one s per b, or a single number)") from None
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.sqrt(np.maximum(2 * ((s + b) * np.log1p(s / b) - s), 0.0))
    return np.where(b > 0, z, 0.0)


# The ROC curve to beat: the reference solution (gradient-boosted trees on FEATURES,
# trained on training_sample()) on labelled simulation, as signal efficiency at these
# background efficiencies.
REFERENCE_BACKGROUND_EFFICIENCY = np.linspace(0.05, 1.0, 20)
REFERENCE_SIGNAL_EFFICIENCY = np.array([
    0.143, 0.25, 0.353, 0.46, 0.559, 0.652, 0.75, 0.849, 0.935, 0.994,
    1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
