"""Simulated twin of UCI HEPMASS (Baldi, Cranmer, Faucett, Sadowski, Whiteson 2016,
arXiv:1601.07913): a new heavy particle X → tt̄ against Standard Model tt̄ production, in
the lepton+jets channel, with the 27 features and the mass column of the UCI files.

Each event is a decay chain of four-vectors (``vector``), generated in the rest frame of
each parent and boosted to the lab:

* the tt̄ system: for signal an X of mass m_X (relativistic Breit-Wigner, Γ_X = 3% m_X),
  for background a steeply falling SM m_tt̄ spectrum that starts at threshold,
  dσ/dm ∝ β m^-4.5 with β = √(1 - 4 m_t²/m²); a transverse momentum (Gamma distributed,
  mean ≈ 38 GeV) and a rapidity (Gaussian, σ = 0.9);
* t → W b, W → ℓν (ℓ = e, μ) on one side and W → q q̄' on the other, isotropic in each
  rest frame, with Breit-Wigner top and W masses (PDG masses and widths from ``particle``);
* the detector: jet energies smeared with σ/E = 100%/√E ⊕ 5%, small angular smearing,
  semileptonic b decays that lose part of the b-jet energy to a neutrino, partons closer
  than ΔR = 0.4 merged into one jet, extra jets from QCD radiation (a Poisson number with
  a falling pT spectrum), lepton pT resolution 1% ⊕ 0.02% pT, b-tagging with efficiency
  0.70 for b jets, 0.18 for c jets and 0.02 for light jets, and a missing transverse
  momentum built from the neutrinos, the jet mismeasurement and a soft term (σ = 10 GeV
  per component);
* the selection of the paper: exactly one lepton with pT > 25 GeV and |η| < 2.5, at least
  four jets with pT > 25 GeV and |η| < 2.5, at least one of them b-tagged.

The high-level features are computed from the reconstructed objects, as an analysis
would: the neutrino pz from the W-mass constraint on (ℓ, MET) (the smaller solution, or
the real part when there is none), the two most b-like of the four leading jets as b
candidates, the other two as the hadronic W (m_jj), the pairing of b candidates to the
hadronic (m_jjj) and leptonic (m_jℓν) top that brings both nearest to m_t, and m_WWbb the
mass of ℓ + ν + the four leading jets.

Every feature is then standardised with FIXED constants (:data:`NORMALISATION`, measured
once on a large sample with the default settings), so that all samples share one
normalisation, as the UCI files do. ``hepmass(..., raw=True)`` returns the features in
physical units (GeV, radians, counts) with descriptive names instead.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import vector

from .. import validate
from ..constants import B_MASS, C_MASS, E_MASS, MU_MASS, T_MASS, T_WIDTH, W_MASS, W_WIDTH
from ..physics.detector import energy_resolution, pt_resolution
from ..physics.kinematics import SQRT_S, breit_wigner, from_pt_rapidity, wrap_phi
from ..physics.kinematics import two_body_decay as two_body  # the name notebooks and tests use
from ._sampling import accepted, power_law, tabulated

MASSES = (500, 750, 1000, 1250, 1500)
"""The X masses (GeV) of the UCI 'all' files."""

LEPTON_MASSES = (E_MASS, MU_MASS)  # GeV

X_WIDTH_FRACTION = 0.03  # Γ_X / m_X
BACKGROUND_POWER = 4.5  # dσ/dm_tt̄ ∝ β m^-4.5
BACKGROUND_MAX_MASS = 4000.0  # GeV
SYSTEM_PT_SHAPE, SYSTEM_PT_SCALE = 1.5, 25.0  # Gamma(k, θ) in GeV: mean 37.5 GeV
SYSTEM_RAPIDITY_SIGMA = 0.9
JET_STOCHASTIC, JET_CONSTANT = 1.0, 0.05  # σ/E = a/√E ⊕ b
JET_ANGLE_SIGMA = 0.02  # in η and φ
SEMILEPTONIC_B = 0.20  # fraction of b jets that lose energy to a neutrino
LEPTON_RESOLUTION = (0.01, 2e-4)  # σ(pT)/pT = a ⊕ b·pT[GeV]
SOFT_MET_SIGMA = 10.0  # GeV per component
BTAG_EFFICIENCY = {"b": 0.70, "c": 0.18, "light": 0.02}
EXTRA_JETS_MEAN = (0.7, 0.4)  # Poisson mean = a + b · m_tt̄ / TeV
EXTRA_JET_PT_MIN, EXTRA_JET_PT_POWER = 20.0, 3.5  # dN/dpT ∝ pT^-3.5 above 20 GeV
MAX_EXTRA_JETS = 3
JET_PT_MIN, JET_ETA_MAX = 25.0, 2.5
LEPTON_PT_MIN, LEPTON_ETA_MAX = 25.0, 2.5
MERGE_DR = 0.4

FEATURES = [f"f{i}" for i in range(27)]
COLUMNS = ["label", *FEATURES, "mass"]
FEATURE_NAMES = [
    "lepton_pt", "lepton_eta", "lepton_phi", "met", "met_phi", "n_jets",
    *[f"jet{k}_{q}" for k in range(1, 5) for q in ("pt", "eta", "phi", "btag")],
    "m_jj", "m_jjj", "m_lv", "m_jlv", "m_wwbb",
]
"""Physical meaning of f0..f26, in the UCI order (22 low-level, then 5 high-level)."""

UNITS = {name: ("GeV" if name.endswith("pt") or name.startswith("m_") or name == "met"
                else "rad" if name.endswith("phi") else "") for name in FEATURE_NAMES}

# (offset, scale) per feature: f = (x - offset) / scale. Measured once on 4M events of
# hepmass(raw=True) with the default masses and signal_fraction (see _measure_normalisation).
NORMALISATION = {
    "lepton_pt": (104.6, 87.33), "lepton_eta": (0.0, 1.037), "lepton_phi": (0.0, 1.814),
    "met": (89.87, 84.8), "met_phi": (0.0, 1.814), "n_jets": (4.427, 0.6485),
    "jet1_pt": (197.9, 141.3), "jet1_eta": (0.0, 0.9898), "jet1_phi": (0.0, 1.814),
    "jet1_btag": (0.475, 0.4994),
    "jet2_pt": (124.6, 84.17), "jet2_eta": (0.0, 1.027), "jet2_phi": (0.0, 1.814),
    "jet2_btag": (0.4946, 0.5),
    "jet3_pt": (74.39, 43.08), "jet3_eta": (0.0, 1.072), "jet3_phi": (0.0, 1.814),
    "jet3_btag": (0.3693, 0.4826),
    "jet4_pt": (43.56, 19.98), "jet4_eta": (0.0, 1.135), "jet4_phi": (0.0, 1.814),
    "jet4_btag": (0.2359, 0.4246),
    "m_jj": (115.8, 88.16), "m_jjj": (236.0, 135.6), "m_lv": (91.44, 49.88),
    "m_jlv": (218.6, 121.2), "m_wwbb": (792.6, 393.5),
}

_OFFSET, _SCALE = (np.array([NORMALISATION[f][i] for f in FEATURE_NAMES]) for i in (0, 1))
_CHUNK = 100_000  # events generated per step: small enough for the CPU caches (2x faster than 400k)


# --------------------------------------------------------------------------- sampling

_GRID = np.linspace(2 * T_MASS, BACKGROUND_MAX_MASS, 20001)
_BETA = np.sqrt(np.clip(1.0 - 4 * T_MASS**2 / _GRID**2, 0.0, None))


def background_mass(rng: np.random.Generator, n: int) -> np.ndarray:
    """n SM tt̄ invariant masses (GeV): dσ/dm ∝ β m^-4.5 from threshold 2 m_t to 4 TeV."""
    return tabulated(rng, n, _GRID, _BETA * _GRID ** (-BACKGROUND_POWER))


# --------------------------------------------------------------------------- one chunk

def _chain(rng, n, m_x):
    """Generate n decay chains; m_x is the X mass (GeV) or None for SM tt̄.
    Returns the truth objects and whether the chain is kinematically possible."""
    mt1 = breit_wigner(rng, n, T_MASS, T_WIDTH, T_MASS - 15 * T_WIDTH, T_MASS + 15 * T_WIDTH)
    mt2 = breit_wigner(rng, n, T_MASS, T_WIDTH, T_MASS - 15 * T_WIDTH, T_MASS + 15 * T_WIDTH)
    mw1 = breit_wigner(rng, n, W_MASS, W_WIDTH, 50.0, mt1 - B_MASS - 1.0)
    mw2 = breit_wigner(rng, n, W_MASS, W_WIDTH, 50.0, mt2 - B_MASS - 1.0)
    if m_x is None:
        mass = background_mass(rng, n)
    else:
        width = X_WIDTH_FRACTION * m_x
        mass = breit_wigner(rng, n, m_x, width, max(2 * T_MASS, m_x - 8 * width), m_x + 8 * width)
    possible = mass > mt1 + mt2 + 0.1
    mass = np.where(possible, mass, mt1 + mt2 + 1.0)
    pt = rng.gamma(SYSTEM_PT_SHAPE, SYSTEM_PT_SCALE, n)
    y = rng.normal(0.0, SYSTEM_RAPIDITY_SIGMA, n)
    system = from_pt_rapidity(mass, pt, y, rng.uniform(-np.pi, np.pi, n))
    top1, top2 = two_body(rng, system, mt1, mt2)
    w1, b1 = two_body(rng, top1, mw1, B_MASS)       # leptonic side
    w2, b2 = two_body(rng, top2, mw2, B_MASS)       # hadronic side
    flavour = rng.integers(0, 2, n)                  # 0: e, 1: μ
    m_lep = np.asarray(LEPTON_MASSES)[flavour]
    lepton, neutrino = two_body(rng, w1, m_lep, 0.0)
    charm = rng.uniform(size=n) < 0.5                # W → cs in half the hadronic decays
    q1, q2 = two_body(rng, w2, np.where(charm, C_MASS, 0.0), 0.0)
    return dict(lepton=lepton, neutrino=neutrino, partons=(b1, b2, q1, q2), charm=charm,
                mass=mass, possible=possible)


def _columns(vec):
    """pt, eta, phi, mass of a vector array as numpy arrays."""
    return np.asarray(vec.pt), np.asarray(vec.eta), np.asarray(vec.phi), np.asarray(vec.mass)


def _jets(rng, n, partons, charm, m_tt):
    """Detector-level jets, arrays [4 + MAX_EXTRA_JETS, n] (one row per jet slot): pt, eta,
    phi, m, btag, alive; and the missing momentum (mx, my) that the jets' mismeasurement
    and semileptonic b decays add."""
    n_slots = 4 + MAX_EXTRA_JETS
    pt, eta, phi, m, px, py = (np.empty((n_slots, n)) for _ in range(6))
    flav = np.zeros((n_slots, n), np.int8)  # 2 b, 1 c, 0 light
    for k, parton in enumerate(partons):
        pt[k], eta[k], phi[k], m[k] = _columns(parton)
        px[k], py[k] = np.asarray(parton.px), np.asarray(parton.py)
    flav[0] = flav[1] = 2
    flav[2] = charm
    alive = np.zeros((n_slots, n), bool)
    alive[:4] = True
    # partons closer than ΔR = 0.4 end up in one jet (four-vectors added)
    for i in range(4):
        for j in range(i + 1, 4):
            dphi = np.abs(phi[i] - phi[j])
            dphi = np.minimum(dphi, 2 * np.pi - dphi)
            close = alive[i] & alive[j] & ((eta[i] - eta[j]) ** 2 + dphi**2 < MERGE_DR**2)
            idx = np.flatnonzero(close)
            if idx.size:
                a = vector.array({"pt": pt[i, idx], "eta": eta[i, idx], "phi": phi[i, idx], "M": m[i, idx]})
                b = vector.array({"pt": pt[j, idx], "eta": eta[j, idx], "phi": phi[j, idx], "M": m[j, idx]})
                jet = a + b
                pt[i, idx], eta[i, idx], phi[i, idx], m[i, idx] = _columns(jet)
                px[i, idx], py[i, idx] = np.asarray(jet.px), np.asarray(jet.py)
                flav[i, idx] = np.maximum(flav[i, idx], flav[j, idx])
                alive[j, idx] = False
    # extra jets from initial- and final-state radiation
    mean = EXTRA_JETS_MEAN[0] + EXTRA_JETS_MEAN[1] * m_tt / 1000.0
    n_extra = np.minimum(rng.poisson(mean), MAX_EXTRA_JETS)
    shape = (MAX_EXTRA_JETS, n)
    alive[4:] = np.arange(MAX_EXTRA_JETS)[:, None] < n_extra[None, :]
    pt[4:] = power_law(rng, shape, EXTRA_JET_PT_MIN, index=EXTRA_JET_PT_POWER)
    eta[4:] = rng.normal(0.0, 1.6, shape)
    phi[4:] = rng.uniform(-np.pi, np.pi, shape)
    m[4:] = 0.1 * pt[4:]
    px[4:], py[4:] = pt[4:] * np.cos(phi[4:]), pt[4:] * np.sin(phi[4:])
    flav[4:] = 2 * (rng.random(shape) < 0.04)  # g → bb̄ now and then
    # calorimeter response: stochastic and constant terms, semileptonic b decays
    energy = np.maximum(pt * np.cosh(eta), 1e-3)
    sigma = energy_resolution(energy, JET_STOCHASTIC, JET_CONSTANT) / energy
    response = np.maximum(1.0 + sigma * rng.standard_normal((n_slots, n)), 0.05)
    is_b = flav == 2
    semileptonic = is_b & (rng.random((n_slots, n)) < SEMILEPTONIC_B)
    response[semileptonic] *= 1.0 - rng.uniform(0.0, 0.5, int(semileptonic.sum()))
    # the missing momentum gains what the calorimeter did not measure
    lost = np.where(alive, 1.0 - response, 0.0)
    mx, my = (lost * px).sum(axis=0), (lost * py).sum(axis=0)
    eta = eta + JET_ANGLE_SIGMA * rng.standard_normal((n_slots, n))
    phi = wrap_phi(phi + JET_ANGLE_SIGMA * rng.standard_normal((n_slots, n)))
    eff = np.array([BTAG_EFFICIENCY["light"], BTAG_EFFICIENCY["c"], BTAG_EFFICIENCY["b"]])[flav]
    btag = (rng.random((n_slots, n)) < eff).astype(np.float64)
    return dict(pt=pt * response, eta=eta, phi=phi, m=m * response, btag=btag, alive=alive), mx, my


def neutrino_pz(lepton, met_x, met_y, w_mass: float = W_MASS) -> np.ndarray:
    """Neutrino pz (GeV) from the W-mass constraint (ℓ + ν)² = m_W² with a massless lepton
    and neutrino and p_T(ν) = MET: the solution of smaller |pz|, or the real part of the
    complex pair when MET resolution pushes the event beyond the kinematic limit."""
    lx, ly, lz = np.asarray(lepton.px), np.asarray(lepton.py), np.asarray(lepton.pz)
    lpt2 = lx**2 + ly**2
    le = np.sqrt(lpt2 + lz**2)
    mu = 0.5 * w_mass**2 + lx * met_x + ly * met_y
    a = mu * lz / lpt2
    disc = a**2 - (le**2 * (met_x**2 + met_y**2) - mu**2) / lpt2
    root = np.sqrt(np.clip(disc, 0.0, None))
    return np.where(np.abs(a - root) < np.abs(a + root), a - root, a + root)


def _events(rng, n, m_x):
    """Generate n events and return the raw features [k, 27] of the k that pass the
    selection (physical units)."""
    truth = _chain(rng, n, m_x)
    # the lepton: pT resolution, then its part of the selection (cheap, so first)
    l_pt, l_eta, l_phi, l_m = _columns(truth["lepton"])
    l_pt = l_pt * (1.0 + pt_resolution(l_pt, *LEPTON_RESOLUTION) * rng.standard_normal(n))
    keep = np.flatnonzero(truth["possible"] & (l_pt > LEPTON_PT_MIN) & (np.abs(l_eta) < LEPTON_ETA_MAX))
    l_pt, l_eta, l_phi, l_m = l_pt[keep], l_eta[keep], l_phi[keep], l_m[keep]
    nu = truth["neutrino"][keep]
    partons = [p[keep] for p in truth["partons"]]
    n = keep.size
    jets, mx, my = _jets(rng, n, partons, truth["charm"][keep], truth["mass"][keep])
    met_x = np.asarray(nu.px) + mx + SOFT_MET_SIGMA * rng.standard_normal(n)
    met_y = np.asarray(nu.py) + my + SOFT_MET_SIGMA * rng.standard_normal(n)
    # the jets' part of the selection: ≥ 4 jets, ≥ 1 b-tag
    good = jets["alive"] & (jets["pt"] > JET_PT_MIN) & (np.abs(jets["eta"]) < JET_ETA_MAX)
    n_good = good.sum(axis=0)
    idx = np.flatnonzero((n_good >= 4) & (good & (jets["btag"] > 0)).any(axis=0))
    k = idx.size
    # the four leading selected jets, [k, 4] arrays
    key = np.where(good[:, idx], jets["pt"][:, idx], -1.0).T
    order = np.argsort(-key, axis=1, kind="stable")[:, :4]
    lead = {q: np.take_along_axis(jets[q][:, idx].T, order, axis=1)
            for q in ("pt", "eta", "phi", "m", "btag")}
    lepton = vector.array({"pt": l_pt[idx], "eta": l_eta[idx], "phi": l_phi[idx], "M": l_m[idx]})
    met_x, met_y = met_x[idx], met_y[idx]
    neutrino = vector.array({"px": met_x, "py": met_y, "pz": neutrino_pz(lepton, met_x, met_y),
                             "M": np.zeros(k)})
    lv = lepton + neutrino
    # b candidates: the two most b-like of the four (b-tag first, then pT); W: the other two
    rank = np.argsort(-(lead["btag"] * 1e4 + lead["pt"]), axis=1, kind="stable")
    rows = np.arange(k)

    def jet(column):
        return vector.array({q: lead[key][rows, column] for q, key in
                             (("pt", "pt"), ("eta", "eta"), ("phi", "phi"), ("M", "m"))})

    b1, b2, wj1, wj2 = (jet(rank[:, r]) for r in range(4))
    wjj = wj1 + wj2
    had1, lep1 = np.asarray((wjj + b1).mass), np.asarray((lv + b2).mass)
    had2, lep2 = np.asarray((wjj + b2).mass), np.asarray((lv + b1).mass)
    first = (had1 - T_MASS) ** 2 + (lep1 - T_MASS) ** 2 <= (had2 - T_MASS) ** 2 + (lep2 - T_MASS) ** 2
    everything = lv + wjj + b1 + b2
    features = np.empty((k, 27))
    features[:, 0], features[:, 1], features[:, 2] = lepton.pt, lepton.eta, lepton.phi
    features[:, 3] = np.hypot(met_x, met_y)
    features[:, 4] = np.arctan2(met_y, met_x)
    features[:, 5] = n_good[idx]
    for i, q in enumerate(("pt", "eta", "phi", "btag")):
        features[:, 6 + i:22:4] = lead[q]
    features[:, 22] = wjj.mass
    features[:, 23] = np.where(first, had1, had2)
    features[:, 24] = lv.mass
    features[:, 25] = np.where(first, lep1, lep2)
    features[:, 26] = everything.mass
    return features


def _generate(rng, rows: np.ndarray, m_x, out: np.ndarray, transform) -> None:
    """Fill ``out[rows, 1:28]`` with ``transform(raw features)`` of ``rows.size`` selected
    events of one process (m_x: the X mass in GeV, or None for SM tt̄), chunk by chunk."""
    efficiency = 0.3

    def draw(missing):
        nonlocal efficiency
        n_try = int(min(_CHUNK, max(1000, missing / efficiency * 1.1)))
        block = _events(rng, n_try, m_x)
        efficiency = max(0.02, 0.5 * efficiency + 0.5 * block.shape[0] / n_try)
        return block[:missing]

    have = 0
    what = "hepmass: SM tt̄" if m_x is None else f"hepmass: X → tt̄ at {m_x:g} GeV"
    for block in accepted(draw, rows.size, what):
        out[rows[have:have + len(block)], 1:28] = transform(block)
        have += len(block)


# --------------------------------------------------------------------------- public

def normalise(raw: np.ndarray) -> np.ndarray:
    """Raw features [N, 27] in physical units → the UCI-style standardised features."""
    return (raw - _OFFSET) / _SCALE


def physical(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo the simulator's normalisation: f0..f26 of a SIMULATED frame → physical units
    (GeV, rad, counts) with descriptive column names (:data:`FEATURE_NAMES`). The UCI
    constants of the real files are not published, so for real data this is only a guide."""
    values = frame[FEATURES].to_numpy(np.float64)
    out = pd.DataFrame(values * _SCALE + _OFFSET, columns=FEATURE_NAMES, index=frame.index)
    out.insert(0, "label", frame["label"].to_numpy())
    out["mass"] = frame["mass"].to_numpy()
    return out


def hepmass(n: int, masses=MASSES, *, seed=0, signal_fraction: float = 0.5,
            raw: bool = False) -> pd.DataFrame:
    """Simulate n HEPMASS events: X → tt̄ (label 1) against SM tt̄ (label 0).

    n: number of selected events. masses: the X masses in GeV, above the tt̄ threshold and
    at most √s = 13.6 TeV (each signal event has one, drawn uniformly; each background event
    gets one drawn from the same set, as in the UCI files). seed: keyword only, an int ≥ 0
    or a numpy Generator (same seed, same events). signal_fraction: probability of label 1.
    raw: False (default) gives the UCI layout, columns ``label, f0..f26, mass`` (float32;
    f0..f26 standardised with the fixed :data:`NORMALISATION`); True gives the features in
    physical units (GeV, rad, counts) named as in :data:`FEATURE_NAMES`.
    Returns a pandas DataFrame of n rows in random order.
    """
    n = validate.count(n, "n")
    masses = np.atleast_1d(validate.reals(masses, "masses"))
    if masses.ndim != 1 or masses.size == 0 or not np.all(masses > 2 * T_MASS + 5) \
            or np.any(masses > SQRT_S):
        raise ValueError(f"masses={masses.tolist()!r}: give one or more X masses in GeV above "
                         f"the tt̄ threshold 2 m_t = {2 * T_MASS:.0f} GeV and at most √s = "
                         f"{SQRT_S:.0f} GeV, e.g. {MASSES}")
    signal_fraction = validate.probability(signal_fraction, "signal_fraction")
    if not isinstance(raw, (bool, np.bool_)):
        raise TypeError(f"raw={raw!r}: expected True or False")
    rng = validate.rng(seed)
    label = rng.uniform(size=n) < signal_fraction
    which = rng.integers(0, masses.size, n)
    out = np.empty((n, 29), np.float64 if raw else np.float32)
    out[:, 0] = label
    out[:, 28] = masses[which]
    transform = (lambda block: block) if raw else normalise
    _generate(rng, np.flatnonzero(~label), None, out, transform)
    for i, m_x in enumerate(masses):
        _generate(rng, np.flatnonzero(label & (which == i)), float(m_x), out, transform)
    if raw:
        frame = pd.DataFrame(out[:, 1:28], columns=FEATURE_NAMES)
        frame.insert(0, "label", out[:, 0].astype(np.float32))
        frame["mass"] = out[:, 28].astype(np.float32)
        return frame
    return pd.DataFrame(out, columns=COLUMNS, copy=False)


def _measure_normalisation(n: int = 4_000_000, seed: int = 12345) -> dict:
    """Recompute :data:`NORMALISATION` (mean and standard deviation of each raw feature;
    angles and η get offset 0) from a large default sample."""
    frame = hepmass(n, seed=seed, raw=True)
    result = {}
    for name in FEATURE_NAMES:
        x = frame[name].to_numpy()
        symmetric = name.endswith(("eta", "phi"))
        result[name] = (0.0 if symmetric else float(x.mean()), float(x.std()))
    return result
