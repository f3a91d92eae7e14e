"""The project's scorer: ``hepcourse project score SUBMISSION...`` ranks the teams.

Run by the instructor, with the class's ``HEPCOURSE_PROJECT_KEY`` set (without it the
public self-study key is used, and a notice says so). Each submission is a JSON file
written by :func:`hepcourse.course.project.write_submission`; it is judged once:

- the **rank** is the expected discovery significance (Asimov,
  :func:`hepcourse.stats.asimov_significance`) of the team's selection ``score >
  threshold`` in a window of ±2σ of the peak around the hidden mass: the efficiencies of
  the cut for the Z' and for each background process are measured on the held-out events
  (their truth is rebuilt from the key here) and scaled to the collision data's expected
  yields in the window. Its error comes from the binomial errors of those efficiencies;
- the **mass** the team quotes must lie within 2σ of the peak width of the hidden mass;
- the **local significance** the team quotes is recomputed on the collision data at the
  team's working point and quoted mass (:func:`local_significance`: power law + Gaussian
  peak, extended unbinned likelihood, q0 = fval_b − fval_sb, Z = √q0);
- a selection that **sculpts** the background m_μμ spectrum (a score that correlates with
  m_μμ inside a background process) is flagged and not ranked;
- scores of the wrong length or shape, NaN, a working point that keeps no events and a
  mass outside the searched range (e.g. in TeV) each get a message that says what to fix.

Exit status: 0 scored, 1 a submission could not be read (the others are still ranked),
2 bad arguments.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import stats
from . import project
from .bumphunt import local_significance

SCULPTING_LIMIT = 0.1  # |Spearman ρ(score, m_μμ)| inside one background process
MIN_PROCESS_EVENTS = 200
WINDOW_SIGMAS = 2.0
WINDOW_EVENTS = 300_000  # background simulation for the window acceptances


def project_backgrounds() -> tuple:
    from ..simulate.dimuon import PROCESSES

    return tuple(p for p in PROCESSES if p != "zprime")


# --- one submission --------------------------------------------------------------------

@dataclass
class Entry:
    """How one submission was judged. ``problems`` make it unrankable; ``flags`` (e.g.
    sculpting) keep it off the ranking; ``notes`` are the checks of mass and significance."""

    team: str
    path: str
    z_expected: float = float("nan")
    z_error: float = float("nan")
    auc: float = float("nan")
    mass_found: bool | None = None
    significance_ok: bool | None = None
    z_recomputed: float = float("nan")
    problems: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def ranked(self) -> bool:
        return not self.problems and not self.flags


class Truth:
    """What the scorer rebuilds from the key: the held-out events with labels, the
    collision data, the hidden mass, its peak width and the expected yields."""

    def __init__(self, project_key: str | None = None, n: int | None = None):
        from ..simulate.dimuon import dimuon_search, peak_width

        self.test = project._test_truth(n, project_key)
        self.data = project._collision_truth(project_key)
        self.mass = project._hidden_mass(project_key)
        self.n_signal = project._signal_events(self.mass)
        self.n_background = project.DATA_EVENTS - self.n_signal
        self.width = peak_width(self.mass)
        half = WINDOW_SIGMAS * self.width
        peak = dimuon_search(20_000, signal_fraction=1.0, signal_mass=self.mass, seed=1)["m_mumu"]
        self.window_acceptance = float(np.mean(np.abs(peak - self.mass) < half))
        # per background process: its share of the background times the fraction of it in the window
        background = dimuon_search(WINDOW_EVENTS, signal_fraction=0.0, seed=2)
        inside = np.abs(background["m_mumu"].to_numpy() - self.mass) < half
        process = background["process"].astype(str).to_numpy()
        self.window_background = {p: float(np.mean(inside & (process == p))) for p in project_backgrounds()}


def _array(values, expected: int, name: str, where: str, problems: list):
    if not isinstance(values, list):
        problems.append(f"`{name}` is missing or not a list of numbers: write the file with "
                        "project.write_submission(...)")
        return None
    try:
        array = np.array([np.nan if v is None else v for v in values], dtype=float)
    except (TypeError, ValueError):
        problems.append(f"`{name}` has shape or type that is not one number per event: give a 1-D array "
                        "(e.g. predict_proba(X)[:, 1])")
        return None
    if array.ndim != 1:
        hint = ("take the signal column, e.g. predict_proba(X)[:, 1]" if array.ndim == 2 and array.shape[1] == 2
                else "flatten it with .ravel()")
        problems.append(f"`{name}` has shape {array.shape}; expected one score per event (a 1-D array of "
                        f"{expected}): {hint}")
        return None
    if array.size != expected:
        problems.append(f"`{name}`: expected {expected} scores, got {array.size}: score every event of "
                        f"{where} once, in its order (a smoke-mode run gives fewer events)")
        return None
    bad = int(np.sum(~np.isfinite(array)))
    if bad:
        problems.append(f"`{name}`: {bad} of your {expected} scores are NaN or infinite: check your model's "
                        "inputs (missing values?) and its training loss")
        return None
    return array


def _sculpting(scores, truth, threshold) -> list:
    """Flags for a score that knows m_μμ inside a background process."""
    from scipy.stats import spearmanr

    flags = []
    process = truth.test["process"].astype(str).to_numpy()
    mass = truth.test["m_mumu"].to_numpy()
    for name in ("drell_yan", "ttbar", "nonprompt"):
        inside = process == name
        if inside.sum() < MIN_PROCESS_EVENTS:
            continue
        rho = float(spearmanr(scores[inside], mass[inside]).statistic)
        kept = scores[inside] > threshold
        if abs(rho) > SCULPTING_LIMIT:
            shift = ""
            if 0 < kept.sum() < kept.size:
                shift = (f"; the median m_μμ of the {name} events goes from {np.median(mass[inside]):.0f} GeV "
                         f"to {np.median(mass[inside][kept]):.0f} GeV after your cut")
            flags.append(f"SCULPTING: your score correlates with m_μμ inside the {name} background "
                         f"(Spearman ρ = {rho:+.2f}, limit ±{SCULPTING_LIMIT}){shift}. A selection that knows "
                         "the mass bends the background into bumps of its own: use FEATURES only, never "
                         "m_μμ, the muon or pair pT")
    return flags


def _mass_check(entry: Entry, mass, truth) -> bool:
    low, high = project.SEARCH_RANGE
    if mass is None:
        entry.notes.append("mass: none quoted (mass=...), so no discovery to check")
        return False
    if not low <= mass <= high:
        hint = (f" Did you give it in TeV? {mass:g} TeV is {1000 * mass:g} GeV; the project uses GeV."
                if low <= 1000 * mass <= high else "")
        entry.problems.append(f"mass: {mass:g} GeV is outside the searched range {low:.0f}–{high:.0f} GeV.{hint}")
        return False
    entry.mass_found = abs(mass - truth.mass) <= WINDOW_SIGMAS * truth.width
    verdict = "✔ the signal is there" if entry.mass_found else "✘ the signal is not there"
    entry.notes.append(f"mass {mass:.0f} GeV: {verdict} (tolerance ±{WINDOW_SIGMAS:g}σ of the peak "
                       f"= ±{WINDOW_SIGMAS * truth.width:.0f} GeV)")
    return True


def _significance_check(entry: Entry, quoted, mass, data_scores, threshold, truth) -> None:
    masses = truth.data["m_mumu"].to_numpy()[data_scores > threshold]
    entry.z_recomputed = local_significance(masses, mass)
    if quoted is None:
        entry.notes.append(f"local significance: none quoted; at your working point and mass it is "
                           f"{entry.z_recomputed:.1f}σ")
        return
    tolerance = max(0.5, 0.15 * entry.z_recomputed)
    entry.significance_ok = abs(quoted - entry.z_recomputed) <= tolerance
    text = (f"local significance: you quote {quoted:.1f}σ, the recomputation at {mass:.0f} GeV with your "
            f"selection gives {entry.z_recomputed:.1f}σ")
    if entry.significance_ok:
        entry.notes.append(f"{text}: ✔ agrees (±{tolerance:.1f}σ)")
        return
    hint = ""
    if entry.z_recomputed > 0 and abs(quoted / entry.z_recomputed - math.sqrt(2)) < 0.15:
        hint = (" — a factor √2 too large: iminuit's costs are already −2 ln L, so q0 = fval_b − fval_sb "
                "without a factor 2")
    elif entry.z_recomputed > 0 and abs(quoted / entry.z_recomputed - 2) < 0.25:
        hint = " — twice too large: Z = √q0, and q0 = fval_b − fval_sb is already −2Δln L"
    entry.notes.append(f"{text}: ✘ disagrees (±{tolerance:.1f}σ){hint}")


def _expected(entry: Entry, scores, threshold, truth) -> None:
    """S and B in the window around the hidden mass: S = N_S · A_window · ε_S and
    B = N_B · Σ_p f_p · A_window,p · ε_p over the background processes p, the cut
    efficiencies ε measured on the held-out events (binomial errors), the window
    acceptances A (common to every team) on a large simulation. A score that knows
    m_μμ breaks this factorisation; the sculpting check flags it."""
    label = truth.test["label"].to_numpy() == 1
    process = truth.test["process"].astype(str).to_numpy()
    selected = scores > threshold

    def efficiency(inside):
        eff, low, high = stats.binomial_interval(int(selected[inside].sum()), int(inside.sum()))
        return float(eff), float(high - low) / 2

    eff_s, err_s = efficiency(label)
    parts = {p: efficiency(process == p) for p in truth.window_background}
    s = truth.n_signal * truth.window_acceptance * eff_s

    def background(shift=None):
        return truth.n_background * sum(w * (parts[p][0] + (parts[p][1] if p == shift else 0.0))
                                        for p, w in truth.window_background.items())

    b = background()
    z = float(stats.asimov_significance(s, b))
    ds = truth.n_signal * truth.window_acceptance * err_s
    variance = (float(stats.asimov_significance(s + ds, b)) - z) ** 2
    variance += sum((float(stats.asimov_significance(s, background(p))) - z) ** 2 for p in parts)
    entry.z_expected, entry.z_error = z, float(np.sqrt(variance))
    effs = ", ".join(f"ε({p}) {parts[p][0]:.3f}" for p in parts)
    entry.notes.append(f"at score > {threshold:g}: ε(Z') {eff_s:.3f}, {effs}: {s:.1f} Z' on {b:.1f} background "
                       f"events expected in the ±{WINDOW_SIGMAS:g}σ window")


def judge(record, truth: Truth, path: str = "") -> Entry:
    """Judge one submission (the dict read from its JSON file) against ``truth``."""
    if not isinstance(record, dict) or record.get("format") != project.SUBMISSION_FORMAT:
        entry = Entry("?", path)
        entry.problems.append("not a project submission: write it with project.write_submission(path, ...)")
        return entry
    entry = Entry(str(record.get("team") or "?"), path)
    scores = _array(record.get("scores"), len(truth.test), "scores", "project.test_features()", entry.problems)
    data_scores = _array(record.get("data_scores"), len(truth.data), "data_scores",
                         "project.collision_data()", entry.problems)
    threshold, mass, quoted = (record.get(k) for k in ("threshold", "mass_gev", "local_significance"))
    if threshold is None:
        entry.problems.append("threshold: none given; your working point is `score > threshold`")
    if scores is not None and threshold is not None:
        if not np.any(scores > threshold):
            entry.problems.append(f"threshold: score > {threshold:g} keeps none of the {scores.size} held-out events "
                                  f"(your scores go from {scores.min():.3g} to {scores.max():.3g}); choose a "
                                  "working point below your highest score")
        else:
            label = truth.test["label"].to_numpy()
            area = stats.auc(label, scores)
            entry.auc = area.value
            if area.value < 0.5 - 3 * area.error:
                entry.notes.append(f"AUC {area.value:.3f}: your scores are inverted (background scores higher "
                                   "than signal): higher must mean more signal-like, e.g. predict_proba(X)[:, 1]")
            elif area.value < 0.5 + 3 * area.error:
                entry.notes.append(f"AUC {area.value:.3f} ± {area.error:.3f}: your scores do not separate Z' from "
                                   "background (a random score?)")
            entry.flags += _sculpting(scores, truth, threshold)
            _expected(entry, scores, threshold, truth)
    if data_scores is not None and threshold is not None and not np.any(data_scores > threshold):
        entry.problems.append(f"threshold: score > {threshold:g} keeps none of the {data_scores.size} collision "
                              "events: nothing left for the bump hunt")
        data_scores = None
    if _mass_check(entry, mass, truth) and data_scores is not None and threshold is not None:
        _significance_check(entry, quoted, mass, data_scores, threshold, truth)
    return entry


def read(path) -> dict:
    """The submission at ``path`` as a dict; OSError or ValueError when it cannot be read."""
    return json.loads(Path(path).read_text())


def score(paths, *, project_key: str | None = None, n: int | None = None) -> tuple[list, Truth]:
    """Judge every submission in ``paths``; returns (entries, truth). A file that cannot be
    read becomes an entry with a problem."""
    truth = Truth(project_key, n)
    entries = []
    for path in paths:
        try:
            record = read(path)
        except (OSError, ValueError) as error:
            entry = Entry("?", str(path))
            entry.problems.append(f"cannot read {path}: {error}")
            entries.append(entry)
            continue
        entries.append(judge(record, truth, str(path)))
    return entries, truth


def leaderboard(entries, truth: Truth | None = None) -> str:
    """The leaderboard as text: ranked entries by expected significance, then the others."""
    ranked = sorted((e for e in entries if e.ranked), key=lambda e: -e.z_expected)
    rest = [e for e in entries if not e.ranked]
    lines = ["LEADERBOARD (expected significance at the hidden mass, Asimov)"]
    if truth is not None:
        lines.append(f"hidden Z' mass {truth.mass:.0f} GeV, {truth.n_signal} Z' events in "
                     f"{project.DATA_EVENTS} collision events, peak width σ = {truth.width:.1f} GeV")
    for rank, e in enumerate(ranked, 1):
        mass = {True: "mass ✔", False: "mass ✘", None: "no mass"}[e.mass_found]
        sig = {True: "Z_local ✔", False: "Z_local ✘", None: "Z_local –"}[e.significance_ok]
        lines.append(f"{rank:2d}. {e.team:20s} Z = {e.z_expected:.2f} ± {e.z_error:.3f}  AUC {e.auc:.3f}  "
                     f"{mass}  {sig}")
        lines += [f"      {note}" for note in e.notes]
    if rest:
        lines.append("not ranked:")
    for e in rest:
        lines.append(f"  - {e.team} ({e.path})")
        lines += [f"      ✘ {text}" for text in e.problems + e.flags]
        lines += [f"      {note}" for note in e.notes]
    return "\n".join(lines)


# --- command line ----------------------------------------------------------------------

def _parser(prog: str) -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog=prog, description="the student project: publish its data, score "
                                  f"the submissions (with the class's {project.KEY_VARIABLE})")
    sub = top.add_subparsers(dest="action", required=True, metavar="ACTION")
    s = sub.add_parser("score", help="print the leaderboard of the submissions")
    s.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="JSON files from project.write_submission")
    s.add_argument("--n", type=int, default=None, help="held-out events the students scored (default: "
                   "project.held_out_size())")
    p = sub.add_parser("publish", help="write the held-out features and the collision data (no truth) "
                       "for the students")
    p.add_argument("folder", metavar="FOLDER")
    p.add_argument("--n", type=int, default=None, help="held-out events (default: project.held_out_size())")
    return top


def main(argv=None, prog: str = "hepcourse project") -> int:
    """``hepcourse project score SUBMISSION... | publish FOLDER``; returns the exit status
    (0 done, 1 a submission could not be read or a file not written, 2 bad arguments)."""
    parser = _parser(prog)
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 2
    if args.n is not None and args.n < 1:
        parser.print_usage(sys.stderr)
        print(f"{prog}: error: --n must be at least 1", file=sys.stderr)
        return 2
    if project.key() == project.DEFAULT_KEY:
        print(f"{prog}: {project.KEY_VARIABLE} is not set: using the public self-study key "
              f"{project.DEFAULT_KEY!r}", file=sys.stderr)
    if args.action == "publish":
        try:
            for path in project.publish(args.folder, n=args.n):
                print(f"wrote {path}")
        except OSError as error:
            print(f"{prog}: cannot write {args.folder}: {error}", file=sys.stderr)
            return 1
        return 0
    entries, truth = score(args.submissions, n=args.n)
    print(leaderboard(entries, truth))
    return 1 if any(p.startswith("cannot read") for e in entries for p in e.problems) else 0
