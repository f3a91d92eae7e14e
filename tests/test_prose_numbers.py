"""Numbers in the prose come from the code: a markdown cell may state a measured-looking
number (a decimal, a percentage, a number with thousands separators, a ± value) only
through a myst-nb glue role ({glue:text}`name:.3f`), or when it is a constant listed in
ALLOWED below (PDG values, detector parameters, dataset sizes and settings defined in the
code). Everything else must be glued or said qualitatively: the notebooks are stored
without outputs, so the prose is what a reader of the repository sees.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))

# Constants a chapter may write out, with where they come from. Keep this list short:
# a measured number belongs in a glue role.
ALLOWED: dict[str, set[str]] = {
    "01-fitting": {"0.02", "0.95", "0.3",  # the toy calibration curve the chapter defines
                   "68%"},                 # what a 1σ interval means
    "02-learning": {"5.5%",  # Detector.dedx_resolution (hepcourse/simulate/tracks.py)
                    "0.2",   # pid(): p from 0.2 to 5 GeV
                    "0.5",   # the boundary s = 0.5; the learning rate 0.5 and the 0.5 threshold in the code
                    "0.6",   # the momentum cut of section 2.5's code (GeV)
                    "0.9", "1.1",  # the factors of lr_max tried in Problem 3's code
                    "90%"},  # the 5%-95% quantiles computed in section 2.7's code
    "03-hepmass": {"3.5",    # UCI HEPMASS: 3.5 million test events (data registry, Baldi et al. 2016)
                   "88.1%",  # the Keras HEPMASS tutorial's quoted test accuracy (literature value)
                   "1.1",    # default_lr(4096) = 1e-3·√(4096/32) ≈ 1.1e-2 (hepcourse.train.schedule)
                   "30%",    # ONECYCLE_WARMUP, the warm-up fraction (hepcourse.train.schedule)
                   "50%",    # the working point ε_S = 0.5 set in the code (rejection_at_efficiency)
                   "68%"},   # stats.ONE_SIGMA, the default confidence level of every interval
    "04-pid": {"5.5", "5.5%",   # Detector.dedx_resolution (hepcourse/simulate/tracks.py)
               "3.7",           # Detector.tof_radius, m
               "0.5",           # Detector.b_field (T); the 0.5 GeV split of section 4.10's code
               "0.3",           # p_T [GeV] = 0.3 B [T] R [m]
               "5%",            # 1 - Detector.tof_efficiency
               "1.0014", "1.03", "1.473", "1.30",  # refractive indices, RADIATORS in tracks.py
               "0.2", "0.9",    # pid(): p from 0.2 to 5 GeV, |eta| < 0.9; dropout 0.2 and 0.1
               "0.1",           # dropout; the P(K) band 0.1-0.9 chosen in Problem 2's code
               "2.5",           # an edge of the momentum bins BINS
               "1%",            # MISID, the pion mis-ID fixed by the code
               "8%", "25%",     # Detector.shifted(): dE/dx gain 1.08, resolutions x 1.25
               "10%",           # validation_fraction=0.1 of the trees
               "68%",           # the confidence level of the intervals
               "100%",          # rows of a confusion matrix sum to 100%
               "0.4",           # an example momentum (a 0.4 GeV track without a ring)
               "0.7", "70%"},   # the example probability of section 4.8
    "05-cnn-rare": {"2.1",                # simulate.calorimeter: jets within |η| < π − JET_RADIUS − 0.2
                    "0.8",                # analysis.jets.JET_RADIUS, the cone (and radiation) radius
                    "50%", "3%", "0.15", "0.25",  # calorimeter.images: stochastic, constant, noise, threshold
                    "0.5", "1.5",         # augment.energy_scale's range; the tutorial's 0.5 threshold;
                                          # the comparison's efficiency=0.5 (written 50%)
                    "0.7", "1.3",         # augment.zoom's range and Problem 3's energy factor
                    "0.693"},             # ln 2, the loss of a 50% answer
    "06-jets": {"0.6",              # 2 m_t / p_T = 2 · 172.5 / 600, the opening angle of a top's decay
                "90%", "1%", "0.05%", "5%", "0.025", "0.1",  # JetDetector's defaults (physics/jet_detector.py)
                "0.8",              # the anti-kT radius R and the matching ΔR of simulate.jets
                "172.5", "80.4",    # m_t (Pythia's default) and m_W (PDG)
                "1.2",              # million jets: the size of the reference sample (arXiv:1902.09914)
                "30%",              # EFFICIENCY, the working point of the reference table
                "45%",              # the share of the sample kept for the test set (set in the code)
                "68%"},             # stats.ONE_SIGMA, the confidence level of every interval
    "07-anomaly": {"1.0", "1.2", "3.5",  # simulate.dijets: R = 1.0, the 1.2 TeV trigger, the 3.5 TeV W′ (DEFAULTS)
                   "10%",                # the cut of the sculpting figure and of Problem 2 (set in the code)
                   "0.5",                # the AUC of a perfect background model / of no separation
                   "2.3%", "0.13",       # Φ(−2) and Φ(−3) in percent, P(Z > 2) and P(Z > 3) under the null
                   "16%",                # Φ(−1), P(Z > 1) under the null
                   "68%"},               # stats.ONE_SIGMA, the confidence level of every interval
    "08-gpu-ddp": {"68%",  # the confidence level of hepcourse.stats' intervals (ONE_SIGMA)
                   "3%"},  # Γ_X / m_X of the simulator (simulate.resonant_ttbar.X_WIDTH_FRACTION)
    "A1-beamline": {"0.1", "10%",   # the family of machines set in the code: 10% strength errors, 0.1 mm
                                    # offsets, reversal probability 0.1 (hepcourse.envs.family)
                    "0.9",          # the discount gamma = 0.9 (hepcourse.envs.agents.SETTINGS)
                    "1.5",          # PPO's log_std_init = -1.5 (SETTINGS)
                    "0.3", "0.5", "0.7", "1.0"},  # the SVD gains tried in Problem 3's code
    "09-project": {"20,000"},  # project.DATA_EVENTS, the size of the collision data
    "09-project-solutions": {"20,000", "68%",  # the data size; the confidence level quoted
                             "0.5"},  # the AUC of a classifier that cannot separate
}

_GLUE = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")
_CODE = re.compile(r"```.*?```|`[^`]*`", re.S)
_LINK = re.compile(r"\]\([^)]*\)|https?://\S+|arXiv:\s*\d{4}\.\d{4,5}|doi:\S+", re.I)
_HEADING = re.compile(r"^#+ .*$", re.M)
_SECTION = re.compile(r"(?:section|sections|chapter|chapters|problem|problems|§)\s+\d+(?:\.\d+)*(?:\s*[-–]\s*\d+(?:\.\d+)*)?", re.I)
_MEASURED = re.compile(
    r"(?<![\w.])(?:"
    r"\d+\.\d+\s*%?"            # a decimal, maybe a percentage
    r"|\d+\s*%"                 # a percentage
    r"|\d{1,3}(?:,\d{3})+"      # thousands separators
    r")(?![\w.])"
    r"|±\s*\d"                  # an uncertainty
)


def measured_numbers(text: str) -> list[str]:
    """The measured-looking numbers of a markdown text, glue roles and code left out."""
    for pattern in (_GLUE, _CODE, _LINK, _HEADING, _SECTION):
        text = pattern.sub(" ", text)
    return [m.group(0).strip() for m in _MEASURED.finditer(text)]


def test_the_detector_finds_numbers_and_ignores_glue():
    assert measured_numbers("an AUC of 0.962 and 88.1% accuracy, 72,000 events, ± 3") == \
        ["0.962", "88.1%", "72,000", "± 3"]
    assert measured_numbers("an AUC of {glue:text}`auc:.3f` (`n = 0.5`), section 3.4") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_prose_numbers_are_glued_or_allowed_constants(path):
    nb = nbformat.read(path, as_version=4)
    allowed = ALLOWED.get(path.stem, set())
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        found += [f"cell {index}: {n}" for n in measured_numbers(cell.source) if n not in allowed]
    assert not found, (f"{path.name}: numbers in the prose that are neither glued nor allowed "
                       f"constants ({len(found)}): " + "; ".join(found[:40]))
