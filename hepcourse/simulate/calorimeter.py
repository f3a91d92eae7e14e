"""Calorimeter images of a rare boosted two-prong decay against QCD jets (chapter 5).

Each event is the whole calorimeter seen as an image: ``size × size`` towers in
pseudorapidity η (rows, from -η_max to +η_max) and azimuth φ (columns, from -π to π,
periodic: the last column is the neighbour of the first). A tower holds the transverse
energy E_T = E / cosh η deposited in it, in GeV. With the defaults (32 × 32, η_max = π)
a tower is 0.196 × 0.196 in η × φ, the size of the jet elements of a level-1 jet trigger.

What is simulated, event by event (vectorised over events):

- **The hard scatter.** A jet of transverse momentum pT (a falling spectrum dN/dpT ∝ pT⁻⁴
  within ``pt_range``, the same for signal and background, as after a jet trigger), at a
  uniform pseudorapidity and azimuth, and a recoiling QCD jet back-to-back in φ.
- **Signal** (label 1): the jet is a boosted colour-singlet scalar X of mass ``mass``
  (relativistic Breit-Wigner of width ``width``) decaying isotropically to q q̄; the two
  prongs are ΔR ≈ 2m/pT apart (more for an asymmetric decay). Each quark radiates only
  inside the q q̄ dipole (angular ordering, θ < ΔR_qq̄).
- **Background** (label 0): a one-prong QCD jet (a quark or, 55% of the time, a gluon with
  C_A/C_F = 9/4 times more radiation) with soft and collinear emissions out to the jet
  radius: dP ∝ (dθ/θ)(dz/z), θ up to 0.8, z up to 1/2. Some of them radiate a hard
  wide-angle gluon and look two-pronged: the irreducible background.
- **Showers.** Every parton deposits its E_T with a lateral profile: a narrow core plus a
  wider halo (a Molière-radius-like profile widened by hadronisation), integrated over
  the towers it touches.
- **Pile-up.** ``n_vertices ~ Poisson(pileup)`` extra proton-proton collisions add soft
  particles uniformly in η and φ (about 5 per unit η per vertex, E_T exponential with mean
  0.5 GeV): diffuse low-energy deposits everywhere.
- **Calorimeter response.** Each tower's energy E is smeared with the stochastic and
  constant terms σ_E/E = a/√E ⊕ c, electronic noise σ_noise (GeV, in E) is added, towers
  below the zero-suppression ``threshold`` (E_T, GeV) are set to 0, and E_T is digitised in
  steps of ``lsb`` GeV.

The signal fraction is free: 10⁻³ or less for a "realistic" sample, larger (enriched) for
training. Same ``(n, seed, options)``, same events.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import vector
from scipy.special import ndtr

from .. import validate
from ..analysis.jets import JET_RADIUS, jet_features  # noqa: F401  (re-exported for notebooks)
from ..physics.detector import energy_resolution, tower_edges
from ..physics.kinematics import breit_wigner, two_body_decay, wrap_phi
from ._sampling import power_law

__all__ = ["ImageSample", "images", "grid", "jet_features", "SIMULATOR_VERSION"]

SIMULATOR_VERSION = 2  # bump when the physics or the random streams change, so that cached samples are remade

GLUON_FRACTION = 0.55  # gluon share of QCD jets at pT ≈ 300 GeV
CA_OVER_CF = 9.0 / 4.0
ETA_MAX_LIMIT = 6.0  # no calorimeter covers more than |η| < 6
_MAX_EMISSIONS = 10
_CORE_SIGMA, _HALO_SIGMA, _HALO_FRACTION = 0.04, 0.12, 0.25  # lateral profile (η-φ units)
_PU_PARTICLES_PER_ETA = 5.0  # soft particles per unit η per pile-up vertex
_PU_MEAN_ET = 0.5  # GeV
_CHUNK = 4096


@dataclass
class ImageSample:
    """Calorimeter images with their labels and per-event truth.

    images: float32 [N, 1, H, W], tower E_T in GeV; axis 2 is η (row 0 at -η_max), axis 3
        is φ (column 0 at -π, periodic).
    labels: int64 [N], 1 for the signal decay, 0 for background.
    truth: pandas DataFrame [N rows], the generated physics (see :func:`images`).
    attrs: provenance and units (simulator, options, η and φ edges, ...).
    """

    images: np.ndarray
    labels: np.ndarray
    truth: pd.DataFrame
    attrs: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index) -> "ImageSample":
        """A subset (a slice, an index array or a boolean mask) as a new sample."""
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return ImageSample(self.images[index], self.labels[index],
                           self.truth.iloc[index].reset_index(drop=True), dict(self.attrs))

    def __repr__(self) -> str:
        n_sig = int(self.labels.sum())
        return (f"ImageSample({len(self)} events, {n_sig} signal = {n_sig / max(len(self), 1):.2g}, "
                f"images {tuple(self.images.shape)} {self.images.dtype}, "
                f"source={self.attrs.get('source', '?')!r})")


def grid(size: int = 32, eta_max: float = np.pi) -> tuple[np.ndarray, np.ndarray]:
    """Tower edges of the η × φ grid: (eta_edges [size+1], phi_edges [size+1])."""
    return tower_edges(size, size, eta_max)


def _radiate(rng, pt, eta, phi, strength, theta_max):
    """Soft-collinear emissions off partons (leading-log: dP ∝ dθ/θ dz/z).

    pt, eta, phi: [P] partons; strength: [P] mean number of emissions; theta_max: [P] largest
    emission angle. Returns (pt, eta, phi) [P, 1 + K] of the parton (column 0, recoiling so
    that Σ pT·Δ(η, φ) = 0) and its K emissions (pT 0 where there is none).
    """
    p = pt.shape[0]
    k = _MAX_EMISSIONS
    theta_min = 0.02
    n_em = np.minimum(rng.poisson(strength), k)
    exists = np.arange(k)[None, :] < n_em[:, None]
    # z log-uniform in [0.01, 0.5], θ log-uniform in [θ_min, θ_max]
    z = np.where(exists, 0.01 * 50.0 ** rng.uniform(size=(p, k)), 0.0)
    tmax = np.maximum(theta_max, theta_min * 1.01)[:, None]
    theta = theta_min * (tmax / theta_min) ** rng.uniform(size=(p, k))
    alpha = rng.uniform(0, 2 * np.pi, size=(p, k))
    before = pt[:, None] * np.cumprod(np.concatenate([np.ones((p, 1)), 1 - z[:, :-1]], axis=1), axis=1)
    em_pt = z * before
    parent_pt = pt * np.prod(1 - z, axis=1)
    d_eta, d_phi = theta * np.cos(alpha), theta * np.sin(alpha)
    # the parent recoils so that the jet keeps its direction (small-angle momentum balance)
    recoil = -np.stack([(em_pt * d_eta).sum(1), (em_pt * d_phi).sum(1)]) / np.maximum(parent_pt, 1e-12)
    norm = np.hypot(*recoil)
    recoil *= np.minimum(1.0, theta_max / np.maximum(norm, 1e-12))
    out_pt = np.concatenate([parent_pt[:, None], em_pt], axis=1)
    out_eta = np.concatenate([(eta + recoil[0])[:, None], eta[:, None] + d_eta], axis=1)
    out_phi = wrap_phi(np.concatenate([(phi + recoil[1])[:, None], phi[:, None] + d_phi], axis=1))
    return out_pt, out_eta, out_phi


def _cell_fractions(x, edges, sigma, half):
    """Fractions of a Gaussian of width sigma centred at x [M] in the 2·half+1 cells around
    the cell of x (edges of a regular grid); returns (first cell index [M], fractions [M, 2h+1])."""
    width = edges[1] - edges[0]
    centre = np.floor((x - edges[0]) / width).astype(np.int64)
    offsets = np.arange(-half, half + 2)
    bounds = edges[0] + (centre[:, None] + offsets[None, :]) * width
    cdf = ndtr((bounds - x[:, None]) / sigma)
    return centre - half, np.diff(cdf, axis=1)


def _deposit(event, pt, eta, phi, n_events, eta_edges, phi_edges):
    """Sum the showers of particles (event index, pT, η, φ; flat arrays) into towers.

    Returns E_T [n_events, H, W] (GeV). Energy falling outside |η| < η_max is lost, φ wraps.
    """
    h, w = len(eta_edges) - 1, len(phi_edges) - 1
    cell = eta_edges[1] - eta_edges[0]
    half = int(np.ceil(3 * _HALO_SIGMA / min(cell, phi_edges[1] - phi_edges[0])))
    keep = pt > 0
    event, pt, eta, phi = event[keep], pt[keep], eta[keep], phi[keep]
    out = np.zeros(n_events * h * w)
    for sigma, share in ((_CORE_SIGMA, 1 - _HALO_FRACTION), (_HALO_SIGMA, _HALO_FRACTION)):
        i0, fe = _cell_fractions(eta, eta_edges, sigma, half)
        j0, fp = _cell_fractions(phi, phi_edges, sigma, half)
        rows = i0[:, None] + np.arange(2 * half + 1)[None, :]  # [M, K]
        cols = (j0[:, None] + np.arange(2 * half + 1)[None, :]) % w
        weight = share * pt[:, None, None] * fe[:, :, None] * fp[:, None, :]  # [M, K, K]
        inside = ((rows >= 0) & (rows < h))[:, :, None]
        flat = (event[:, None, None] * h + np.clip(rows, 0, h - 1)[:, :, None]) * w + cols[:, None, :]
        out += np.bincount(flat[np.broadcast_to(inside, flat.shape)],
                           weights=weight[np.broadcast_to(inside, weight.shape)],
                           minlength=out.size)
    return out.reshape(n_events, h, w)


def _check(n, signal_fraction, size, options):
    """The options of :func:`images`, validated (each error names its argument)."""
    n = validate.count(n, "n")
    signal_fraction = validate.probability(signal_fraction, "signal_fraction")
    size = validate.count(size, "size", minimum=8, what="a whole number of towers")
    pt_range = validate.reals(options["pt_range"], "pt_range", low=0.0, low_open=True, ndim=1)
    if pt_range.shape != (2,) or not pt_range[0] < pt_range[1]:
        raise ValueError(f"pt_range={options['pt_range']!r} must be (low, high) GeV with 0 < low < high")
    checked = dict(options, pt_range=(float(pt_range[0]), float(pt_range[1])),
                   mass=validate.real(options["mass"], "mass", low=1.0),
                   eta_max=validate.real(options["eta_max"], "eta_max", low=JET_RADIUS + 0.5,
                                         low_open=True, high=ETA_MAX_LIMIT))
    for name in ("width", "pileup", "noise", "stochastic", "constant", "threshold", "lsb"):
        checked[name] = validate.real(options[name], name, low=0.0)
    return n, signal_fraction, size, checked


def images(n: int, signal_fraction: float = 1e-3, size: int = 32, *, seed=0,
           mass: float = 100.0, width: float = 2.0, pt_range: tuple[float, float] = (300.0, 700.0),
           pileup: float = 30.0, noise: float = 0.15, stochastic: float = 0.5,
           constant: float = 0.03, threshold: float = 0.25, lsb: float = 1 / 32,
           eta_max: float = np.pi) -> ImageSample:
    """Simulate n calorimeter images; signal is a boosted X → q q̄, background QCD jets.

    Parameters
    ----------
    n: number of events. signal_fraction: probability that an event is signal (each event
    is drawn independently, so the count fluctuates binomially). size: towers per side (≥ 8).
    seed: keyword only, an int ≥ 0 or a numpy Generator (same seed, same events).
    mass, width: X mass (≥ 1 GeV) and width (GeV, ≥ 0).
    pt_range: (low, high) jet pT in GeV. pileup: mean number of pile-up vertices.
    noise: electronic noise per tower (GeV, in energy). stochastic, constant: the terms a
    (GeV^½) and c of σ_E/E = a/√E ⊕ c. threshold: zero suppression in tower E_T (GeV).
    lsb: digitisation step of E_T (GeV; 0 keeps full precision). eta_max: |η| coverage
    (above 1.3, at most 6). Every parameter must be finite.

    Returns
    -------
    :class:`ImageSample` with ``images`` float32 [n, 1, size, size] (E_T per tower, GeV),
    ``labels`` int64 [n], and ``truth``, a DataFrame with one row per event: ``label``,
    ``pt``, ``eta``, ``phi`` and ``mass`` of the candidate jet at generator level (GeV, rad;
    mass from the partons within ΔR < 0.8 of the jet axis), ``dr_prongs`` (ΔR between the
    two quarks for signal, between the parton and its hardest emission for background),
    ``recoil_pt``, ``recoil_eta``, ``recoil_phi`` and ``n_vertices`` (pile-up).
    """
    n, signal_fraction, size, options = _check(n, signal_fraction, size, dict(
        mass=mass, width=width, pt_range=pt_range, pileup=pileup, noise=noise,
        stochastic=stochastic, constant=constant, threshold=threshold, lsb=lsb, eta_max=eta_max))
    mass, width, eta_max = options["mass"], options["width"], options["eta_max"]
    rng = validate.rng(seed)
    eta_edges, phi_edges = grid(size, eta_max)
    y_max = eta_max - JET_RADIUS - 0.2

    labels = (rng.uniform(size=n) < signal_fraction).astype(np.int64)
    sig = labels == 1
    pt = power_law(rng, n, *options["pt_range"], index=4.0)
    eta = rng.uniform(-y_max, y_max, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    # the recoiling jet: balanced in pT up to radiation, back to back in φ
    recoil_pt = pt * np.clip(rng.normal(1.0, 0.08, n), 0.6, 1.4)
    recoil_eta = np.clip(eta + rng.normal(0.0, 1.0, n), -y_max, y_max)
    recoil_phi = wrap_phi(phi + np.pi + rng.normal(0.0, 0.1, n))

    # signal: X -> q qbar (massless), isotropic in the X rest frame, boosted to the lab;
    # a Breit-Wigner mass truncated to ± 10 widths
    m_x = breit_wigner(rng, n, mass, width, max(mass - 10 * width, 1.0), mass + 10 * width)
    parent = vector.array({"pt": pt, "eta": eta, "phi": phi, "mass": m_x})
    q1, q2 = two_body_decay(rng, parent, 0.0, 0.0)
    dr_qq = np.asarray(q1.deltaR(q2))

    # partons of each event: [n, 3] = (prong or jet, second prong or nothing, recoil jet)
    gluon_jet = rng.uniform(size=n) < GLUON_FRACTION
    gluon_recoil = rng.uniform(size=n) < GLUON_FRACTION
    lam_q = 1.5  # mean number of resolvable emissions off a quark
    p_pt = np.stack([np.where(sig, q1.pt, pt), np.where(sig, q2.pt, 0.0), recoil_pt], axis=1)
    p_eta = np.stack([np.where(sig, q1.eta, eta), np.where(sig, q2.eta, 0.0), recoil_eta], axis=1)
    p_phi = np.stack([np.where(sig, q1.phi, phi), np.where(sig, q2.phi, 0.0), recoil_phi], axis=1)
    strength = np.stack([
        np.where(sig, lam_q, np.where(gluon_jet, lam_q * CA_OVER_CF, lam_q)),
        np.where(sig, lam_q, 0.0),
        np.where(gluon_recoil, lam_q * CA_OVER_CF, lam_q)], axis=1)
    theta_max = np.stack([np.where(sig, np.minimum(dr_qq, JET_RADIUS), JET_RADIUS),
                          np.where(sig, np.minimum(dr_qq, JET_RADIUS), 0.0),
                          np.full(n, JET_RADIUS)], axis=1)
    e_pt, e_eta, e_phi = _radiate(rng, p_pt.ravel(), p_eta.ravel(), p_phi.ravel(),
                                  strength.ravel(), theta_max.ravel())
    k = e_pt.shape[1]
    e_pt, e_eta, e_phi = (a.reshape(n, 3 * k) for a in (e_pt, e_eta, e_phi))

    # generator-level jet: everything but the recoil jet's partons within ΔR < R of the axis
    cand_pt, cand_eta, cand_phi = e_pt[:, :2 * k], e_eta[:, :2 * k], e_phi[:, :2 * k]
    d_r = np.hypot(cand_eta - eta[:, None], wrap_phi(cand_phi - phi[:, None]))
    inside = d_r < JET_RADIUS
    parts = vector.array({"pt": np.where(inside, cand_pt, 0.0).ravel(), "eta": cand_eta.ravel(),
                          "phi": cand_phi.ravel(), "mass": np.zeros(cand_pt.size)})
    jet = vector.array({c: np.asarray(getattr(parts, c)).reshape(n, 2 * k).sum(1)
                        for c in ("px", "py", "pz", "E")})
    hardest = 1 + np.argmax(e_pt[:, 1:k], axis=1)
    rows = np.arange(n)
    dr_bg = np.where(e_pt[rows, hardest] > 0,
                     np.hypot(e_eta[rows, hardest] - e_eta[:, 0], wrap_phi(e_phi[rows, hardest] - e_phi[:, 0])),
                     0.0)

    n_vertices = rng.poisson(options["pileup"], n)
    occupancy = _PU_PARTICLES_PER_ETA * (eta_edges[1] - eta_edges[0]) * (phi_edges[1] - phi_edges[0]) / (2 * np.pi)
    cosh = np.cosh(0.5 * (eta_edges[1:] + eta_edges[:-1]))[None, :, None]
    out = np.empty((n, 1, size, size), np.float32)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        m = stop - start
        owner = np.repeat(np.arange(m), 3 * k)
        et = _deposit(owner, e_pt[start:stop].ravel(), e_eta[start:stop].ravel(),
                      e_phi[start:stop].ravel(), m, eta_edges, phi_edges)
        count = rng.poisson((n_vertices[start:stop] * occupancy)[:, None, None], (m, size, size))
        et += rng.gamma(np.maximum(count, 1), _PU_MEAN_ET) * (count > 0)
        energy = et * cosh
        sigma = energy_resolution(energy, options["stochastic"], options["constant"], options["noise"])
        et = (energy + sigma * rng.standard_normal(energy.shape)) / cosh
        et = np.where(et >= options["threshold"], et, 0.0)
        if options["lsb"] > 0:
            et = np.round(et / options["lsb"]) * options["lsb"]
        out[start:stop, 0] = et

    truth = pd.DataFrame({
        "label": labels, "pt": np.asarray(jet.pt), "eta": np.asarray(jet.eta),
        "phi": np.asarray(jet.phi), "mass": np.nan_to_num(np.asarray(jet.mass)),  # m² < 0 by rounding: 0
        "dr_prongs": np.where(sig, dr_qq, dr_bg),
        "recoil_pt": recoil_pt, "recoil_eta": recoil_eta, "recoil_phi": recoil_phi,
        "n_vertices": n_vertices.astype(np.int64)})
    attrs = {
        "simulator": "hepcourse.simulate.calorimeter",
        "options": dict(options, pt_range=list(options["pt_range"]), n=n,
                        signal_fraction=signal_fraction, size=size,
                        seed=None if isinstance(seed, np.random.Generator) else validate.seed_int(seed)),
        "simulator_version": SIMULATOR_VERSION,
        "unit": "GeV",
        "quantity": "transverse energy E_T per calorimeter tower",
        "axes": ["event", "channel", "eta", "phi"],
        "eta_edges": eta_edges.tolist(), "phi_edges": phi_edges.tolist(),
        "source": "simulated: hepcourse.simulate.calorimeter",
    }
    return ImageSample(out, labels, truth, attrs)
