"""Calorimeter images of a rare boosted two-prong decay against QCD jets (chapter 4).

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

__all__ = ["ImageSample", "images", "grid", "jet_features", "SIMULATOR_VERSION"]

SIMULATOR_VERSION = 1  # bump when the physics changes, so that cached samples are remade

GLUON_FRACTION = 0.55  # gluon share of QCD jets at pT ≈ 300 GeV
CA_OVER_CF = 9.0 / 4.0
JET_RADIUS = 0.8
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
    return (np.linspace(-eta_max, eta_max, size + 1), np.linspace(-np.pi, np.pi, size + 1))


def _wrap(phi):
    """Azimuth folded into [-π, π)."""
    return (np.asarray(phi) + np.pi) % (2 * np.pi) - np.pi


def _power_law(rng, n, low, high, index=4.0):
    """n values from dN/dx ∝ x^-index on [low, high] (inverse CDF)."""
    a, b = low ** (1 - index), high ** (1 - index)
    return (a + rng.uniform(size=n) * (b - a)) ** (1 / (1 - index))


def _breit_wigner(rng, n, mass, width):
    """n masses (GeV) from a relativistic Breit-Wigner, truncated to mass ± 10 widths."""
    if width <= 0:
        return np.full(n, float(mass))
    lo, hi = max(mass - 10 * width, 1.0), mass + 10 * width
    a, b = (np.arctan((x * x - mass * mass) / (mass * width)) for x in (lo, hi))
    return np.sqrt(mass * mass + mass * width * np.tan(rng.uniform(a, b, n)))


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
    out_phi = _wrap(np.concatenate([(phi + recoil[1])[:, None], phi[:, None] + d_phi], axis=1))
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
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n={n!r}: the number of events must be a positive integer")
    if not 0.0 <= signal_fraction <= 1.0:
        raise ValueError(f"signal_fraction={signal_fraction!r} must lie in [0, 1]")
    if isinstance(size, bool) or int(size) != size or size < 8:
        raise ValueError(f"size={size!r}: the image needs an integer size of at least 8 towers")
    low, high = options["pt_range"]
    if not 0 < low < high:
        raise ValueError(f"pt_range={options['pt_range']!r} must be (low, high) GeV with 0 < low < high")
    if options["mass"] <= 0 or options["width"] < 0:
        raise ValueError(f"mass={options['mass']!r} GeV must be positive and width={options['width']!r} "
                         "GeV non-negative")
    if options["eta_max"] <= JET_RADIUS + 0.5:
        raise ValueError(f"eta_max={options['eta_max']!r} must exceed {JET_RADIUS + 0.5} to hold a jet")
    for name in ("pileup", "noise", "stochastic", "constant", "threshold"):
        if options[name] < 0:
            raise ValueError(f"{name}={options[name]!r} must be non-negative")
    if options["lsb"] < 0:
        raise ValueError(f"lsb={options['lsb']!r} must be non-negative (0: no digitisation)")


def images(n: int, signal_fraction: float = 1e-3, size: int = 32, seed: int = 0, *,
           mass: float = 100.0, width: float = 2.0, pt_range: tuple[float, float] = (300.0, 700.0),
           pileup: float = 30.0, noise: float = 0.15, stochastic: float = 0.5,
           constant: float = 0.03, threshold: float = 0.25, lsb: float = 1 / 32,
           eta_max: float = np.pi) -> ImageSample:
    """Simulate n calorimeter images; signal is a boosted X → q q̄, background QCD jets.

    Parameters
    ----------
    n: number of events. signal_fraction: probability that an event is signal (each event
    is drawn independently, so the count fluctuates binomially). size: towers per side.
    seed: same seed, same events. mass, width: X mass and width (GeV).
    pt_range: (low, high) jet pT in GeV. pileup: mean number of pile-up vertices.
    noise: electronic noise per tower (GeV, in energy). stochastic, constant: the terms a
    (GeV^½) and c of σ_E/E = a/√E ⊕ c. threshold: zero suppression in tower E_T (GeV).
    lsb: digitisation step of E_T (GeV; 0 keeps full precision). eta_max: |η| coverage.

    Returns
    -------
    :class:`ImageSample` with ``images`` float32 [n, 1, size, size] (E_T per tower, GeV),
    ``labels`` int64 [n], and ``truth``, a DataFrame with one row per event: ``label``,
    ``pt``, ``eta``, ``phi`` and ``mass`` of the candidate jet at generator level (GeV, rad;
    mass from the partons within ΔR < 0.8 of the jet axis), ``dr_prongs`` (ΔR between the
    two quarks for signal, between the parton and its hardest emission for background),
    ``recoil_pt``, ``recoil_eta``, ``recoil_phi`` and ``n_vertices`` (pile-up).
    """
    options = dict(mass=float(mass), width=float(width), pt_range=tuple(map(float, pt_range)),
                   pileup=float(pileup), noise=float(noise), stochastic=float(stochastic),
                   constant=float(constant), threshold=float(threshold), lsb=float(lsb),
                   eta_max=float(eta_max))
    _check(n, signal_fraction, size, options)
    n, size = int(n), int(size)
    rng = np.random.default_rng(seed)
    eta_edges, phi_edges = grid(size, eta_max)
    y_max = eta_max - JET_RADIUS - 0.2

    labels = (rng.uniform(size=n) < signal_fraction).astype(np.int64)
    sig = labels == 1
    pt = _power_law(rng, n, *options["pt_range"])
    eta = rng.uniform(-y_max, y_max, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    # the recoiling jet: balanced in pT up to radiation, back to back in φ
    recoil_pt = pt * np.clip(rng.normal(1.0, 0.08, n), 0.6, 1.4)
    recoil_eta = np.clip(eta + rng.normal(0.0, 1.0, n), -y_max, y_max)
    recoil_phi = _wrap(phi + np.pi + rng.normal(0.0, 0.1, n))

    # signal: X -> q qbar, isotropic in the X rest frame, boosted to the lab with `vector`
    m_x = _breit_wigner(rng, n, mass, width)
    parent = vector.array({"pt": pt, "eta": eta, "phi": phi, "mass": m_x})
    cos, azim = rng.uniform(-1, 1, n), rng.uniform(-np.pi, np.pi, n)
    p_star = m_x / 2
    sin = np.sqrt(1 - cos**2)
    q1 = vector.array({"px": p_star * sin * np.cos(azim), "py": p_star * sin * np.sin(azim),
                       "pz": p_star * cos, "E": p_star}).boost_p4(parent)
    q2 = vector.array({"px": -p_star * sin * np.cos(azim), "py": -p_star * sin * np.sin(azim),
                       "pz": -p_star * cos, "E": p_star}).boost_p4(parent)
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
    d_r = np.hypot(cand_eta - eta[:, None], _wrap(cand_phi - phi[:, None]))
    inside = d_r < JET_RADIUS
    parts = vector.array({"pt": np.where(inside, cand_pt, 0.0).ravel(), "eta": cand_eta.ravel(),
                          "phi": cand_phi.ravel(), "mass": np.zeros(cand_pt.size)})
    jet = vector.array({c: np.asarray(getattr(parts, c)).reshape(n, 2 * k).sum(1)
                        for c in ("px", "py", "pz", "E")})
    hardest = 1 + np.argmax(e_pt[:, 1:k], axis=1)
    rows = np.arange(n)
    dr_bg = np.where(e_pt[rows, hardest] > 0,
                     np.hypot(e_eta[rows, hardest] - e_eta[:, 0], _wrap(e_phi[rows, hardest] - e_phi[:, 0])),
                     0.0)

    n_vertices = rng.poisson(pileup, n)
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
        sigma = np.sqrt(stochastic**2 * energy + (constant * energy) ** 2 + noise**2)
        et = (energy + sigma * rng.standard_normal(energy.shape)) / cosh
        et = np.where(et >= threshold, et, 0.0)
        if lsb > 0:
            et = np.round(et / lsb) * lsb
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
                        signal_fraction=float(signal_fraction), size=size, seed=int(seed)),
        "simulator_version": SIMULATOR_VERSION,
        "unit": "GeV",
        "quantity": "transverse energy E_T per calorimeter tower",
        "axes": ["event", "channel", "eta", "phi"],
        "eta_edges": eta_edges.tolist(), "phi_edges": phi_edges.tolist(),
        "source": "simulated: hepcourse.simulate.calorimeter",
    }
    return ImageSample(out, labels, truth, attrs)


# --------------------------------------------------------------------------------------
# reconstruction: the physicist's features from an image

def jet_features(images: np.ndarray, eta_max: float = np.pi, radius: float = JET_RADIUS,
                 chunk: int = 8192) -> pd.DataFrame:
    """Reconstruct the two leading jets of each image and their substructure.

    A simple cone algorithm on pile-up-subtracted towers. The pile-up density ρ (GeV per
    unit η·φ area) is the median, over patches of 4 × 4 towers, of the patch E_T divided by
    its area (the median ignores the few patches that hold the jets); ρ times the tower area
    is subtracted from every tower (negative results set to 0). The hottest tower seeds jet 1
    and the towers within ``radius`` of it form the jet (φ wraps around); jet 2 is found the
    same way in what remains. Jet four-momenta are sums over towers taken as massless
    four-vectors at their centres (``vector``).

    images: [N, 1, H, W] or [N, H, W], E_T in GeV, laid out as by :func:`images`.
    Returns a DataFrame [N rows]: ``rho`` (GeV per unit area), and for jet 1: ``pt1`` (GeV),
    ``eta1``, ``phi1`` (rad), ``m1`` (GeV), ``tau21_1`` (the N-subjettiness ratio τ2/τ1, with
    the seed as the one axis, and the seed and the hottest tower at least two towers away
    from it as the two axes: small for two-prong jets); the same for jet 2 with suffix 2.
    """
    x = np.asarray(images)
    if x.ndim == 4:
        x = x[:, 0]
    if x.ndim != 3:
        raise ValueError(f"images must have shape [N, 1, H, W] or [N, H, W]; got {np.shape(images)}")
    geometry = _tower_geometry(x.shape[1], x.shape[2], eta_max)
    frames = [_jets(x[s:s + chunk].astype(np.float32), geometry, radius)
              for s in range(0, len(x), chunk)]
    return pd.concat(frames, ignore_index=True)


def _tower_geometry(h, w, eta_max):
    """Tower centres (η, φ) [h·w], the tower area and the tower-to-tower ΔR matrix."""
    eta_edges, phi_edges = np.linspace(-eta_max, eta_max, h + 1), np.linspace(-np.pi, np.pi, w + 1)
    eta_c = 0.5 * (eta_edges[1:] + eta_edges[:-1])
    phi_c = 0.5 * (phi_edges[1:] + phi_edges[:-1])
    eta_g = np.repeat(eta_c, w)
    phi_g = np.tile(phi_c, h)
    distance = np.hypot(eta_g[:, None] - eta_g[None, :], _wrap(phi_g[:, None] - phi_g[None, :]))
    area = (eta_edges[1] - eta_edges[0]) * (phi_edges[1] - phi_edges[0])
    return (eta_g, phi_g, area, distance.astype(np.float32), phi_edges[1] - phi_edges[0],
            eta_edges[1] - eta_edges[0])


def _jets(x, geometry, radius):
    eta_g, phi_g, area, distance, cell, cell_eta = geometry
    n, h, w = x.shape
    p = 4 if h % 4 == 0 and w % 4 == 0 else 1
    patches = x.reshape(n, h // p, p, w // p, p).sum(axis=(2, 4)).reshape(n, -1)
    rho = np.median(patches, axis=1) / (p * p * area)
    et = np.clip(x.reshape(n, h * w) - (rho * area)[:, None], 0.0, None).astype(np.float32)
    cos, sin = np.cos(phi_g).astype(np.float32), np.sin(phi_g).astype(np.float32)
    sinh, cosh = np.sinh(eta_g).astype(np.float32), np.cosh(eta_g).astype(np.float32)
    result = {"rho": rho}
    rows = np.arange(n)
    for j in (1, 2):
        # seed: the hottest tower; axis: the E_T-weighted centroid of the cone around it,
        # snapped to the nearest tower (one iteration of an iterative cone)
        seed = np.argmax(et, axis=1)
        cone = np.where(distance[seed] < radius, et, 0.0)
        total = np.maximum(cone.sum(1), 1e-12)
        d_eta = (cone * (eta_g[None, :] - eta_g[seed][:, None])).sum(1) / total
        d_phi = (cone * _wrap(phi_g[None, :] - phi_g[seed][:, None])).sum(1) / total
        i = np.clip(seed // w + np.rint(d_eta / cell_eta).astype(np.int64), 0, h - 1)
        k = (seed % w + np.rint(d_phi / cell).astype(np.int64)) % w
        axis = i * w + k
        d_axis = distance[axis]
        member = d_axis < radius
        e_in = np.where(member, et, 0.0)
        p4 = vector.array({"px": e_in @ cos, "py": e_in @ sin, "pz": e_in @ sinh, "E": e_in @ cosh})
        # N-subjettiness: tau1 about the axis; tau2 about the hottest tower a1 and the hottest
        # tower at least two towers away from it (a2)
        a1 = np.argmax(e_in, axis=1)
        d1 = distance[a1]
        a2 = np.argmax(np.where(d1 >= 2 * cell - 1e-6, e_in, -1.0), axis=1)
        tau1 = (e_in * d_axis).sum(1)
        tau2 = (e_in * np.minimum(d1, distance[a2])).sum(1)
        result.update({f"pt{j}": np.asarray(p4.pt, np.float64), f"eta{j}": np.asarray(p4.eta, np.float64),
                       f"phi{j}": np.asarray(p4.phi, np.float64),
                       f"m{j}": np.nan_to_num(np.asarray(p4.mass, np.float64)),
                       f"tau21_{j}": np.where(tau1 > 0, tau2 / np.maximum(tau1, 1e-12), 1.0)})
        et = np.where(member, 0.0, et)
    return pd.DataFrame(result)
