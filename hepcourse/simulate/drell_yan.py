"""Simulated twin of the CMS dimuon file uproot-Zmumu.root: ``zmumu`` (Drell-Yan Z/γ*→μμ).

The Z→μμ twin is generated at the four-vector level: a Z boson with a relativistic
Breit-Wigner mass (PDG mass and width from the ``particle`` package), a transverse momentum
and a rapidity, decays to two muons with the 1+cos²θ* angular distribution in its rest
frame; the muons are boosted to the lab (``vector``), lose a fraction of their momentum
to final-state radiation in a fifth of the events, are measured with a pT resolution that
depends on the muon type (global-global, global-tracker, tracker-tracker) and accepted
within |η| < 2.4. A falling Drell-Yan/combinatorial continuum is added. The dimuon mass M
is recomputed from the smeared muons, exactly as in the real file.
"""
from __future__ import annotations

import awkward as ak
import numpy as np
import vector

from .. import validate
from ..constants import MU_MASS, Z_MASS, Z_WIDTH
from ..physics.kinematics import SQRT_S, breit_wigner, from_pt_rapidity, two_body_decay
from ._sampling import accepted

#: The name notebooks and tests use for :func:`hepcourse.physics.kinematics.breit_wigner`.
breit_wigner_mass = breit_wigner

# relative pT resolution of the silicon tracker and of the muon chambers alone (at low pT)
_TRACKER_RESOLUTION = 0.020
_CHAMBER_RESOLUTION = 0.080
_RUNS = np.array([148029, 148031])


def _dimuons(rng, n, signal_fraction, mass_range):
    """At most n independent accepted dimuon events at generator level (after final-state
    radiation, before the detector), from one trial sample: muons A and B (vector arrays)
    and whether the pair is a same-sign fake (bool array)."""
    low, high = mass_range
    n_try = int(n * 1.6) + 100
    is_signal = rng.uniform(size=n_try) < signal_fraction
    mass = np.where(
        is_signal,
        breit_wigner(rng, n_try, Z_MASS, Z_WIDTH, min(max(low, 50.0), high), high),
        # falling continuum: low-mass combinatorics and a Drell-Yan tail
        np.where(rng.uniform(size=n_try) < 0.15, low + rng.exponential(9.0, n_try),
                 30.0 + rng.exponential(40.0, n_try)),
    )
    mass = np.where((mass >= low) & (mass < high), mass, rng.uniform(low, high, n_try))
    pt = rng.gamma(1.6, 9.0, n_try)  # GeV, median ≈ 12 as measured for Z bosons
    rapidity = rng.normal(0.0, 1.3, n_try)
    parent = from_pt_rapidity(mass, pt, rapidity, rng.uniform(-np.pi, np.pi, n_try))
    mu_a, mu_b = two_body_decay(rng, parent, MU_MASS, MU_MASS, angular="vector")
    # final-state radiation: in a fifth of the events one muon radiates a photon that
    # is not measured, carrying a fraction z of its momentum (the low-mass tail of the peak)
    radiates = rng.uniform(size=n_try) < 0.2
    z = np.where(radiates, np.minimum(rng.exponential(0.06, n_try), 0.9), 0.0)
    first = rng.uniform(size=n_try) < 0.5
    muons = [_scaled(mu, np.where(first == bool(k), 1.0 - z, 1.0)) for k, mu in enumerate((mu_a, mu_b))]
    inside = (np.abs(muons[0].eta) < 2.4) & (np.abs(muons[1].eta) < 2.4) \
        & (muons[0].pt > 3.0) & (muons[1].pt > 3.0)
    index = np.flatnonzero(inside)[:n]
    same_sign = (~is_signal[index]) & (rng.uniform(size=index.size) < 0.35)
    return muons[0][index], muons[1][index], same_sign


def _scaled(mu, factor):
    """The muon with its momentum scaled by ``factor`` (direction kept), as a vector array."""
    factor = np.asarray(factor, dtype=float)
    return vector.array({"pt": np.asarray(mu.pt) * factor, "eta": np.asarray(mu.eta),
                         "phi": np.asarray(mu.phi), "M": np.full(factor.shape, MU_MASS)})


def _measure(rng, mu):
    """Detector measurements of muons: ``(global, tracker_only)`` vector arrays.

    The tracker measures pT with a relative resolution that grows with pT (the track
    sagitta shrinks); a global muon combines that same tracker measurement with the muon
    chambers, weighted by inverse variance. The two are therefore strongly correlated, and
    the global one only slightly better, as for CMS muons near the Z peak.
    """
    pt = np.asarray(mu.pt)
    growth = 1 + pt / 200.0
    tracker = 1 + _TRACKER_RESOLUTION * growth * rng.standard_normal(pt.size)
    chambers = 1 + _CHAMBER_RESOLUTION * rng.standard_normal(pt.size)
    weight = _CHAMBER_RESOLUTION**2 / (_CHAMBER_RESOLUTION**2 + (_TRACKER_RESOLUTION * growth) ** 2)
    return _scaled(mu, weight * tracker + (1 - weight) * chambers), _scaled(mu, tracker)


def _generate(rng, n, signal_fraction, mass_range):
    """n accepted dimuon events: muons A and B (vector arrays [n]) and same_sign (bool [n])."""
    blocks = list(accepted(lambda missing: _dimuons(rng, missing, signal_fraction, mass_range),
                           n, f"zmumu: mass_range={tuple(mass_range)}", size=lambda b: b[2].size))
    if len(blocks) == 1:
        return blocks[0]
    muons = [{k: np.concatenate([np.asarray(getattr(b[i], k)) for b in blocks])
              for k in ("pt", "eta", "phi")} for i in (0, 1)]
    return (*(vector.array({**mu, "M": np.full(n, MU_MASS)}) for mu in muons),
            np.concatenate([b[2] for b in blocks]))


def _check_mass_range(mass_range) -> tuple[float, float]:
    bounds = validate.reals(mass_range, "mass_range", ndim=1)
    if bounds.shape != (2,) or not 2 * MU_MASS < bounds[0] < bounds[1] <= SQRT_S:
        raise ValueError(f"mass_range={mass_range!r}: need (low, high) in GeV with 2 m_μ < low "
                         f"< high ≤ √s = {SQRT_S:.0f}")
    return float(bounds[0]), float(bounds[1])


def zmumu(n: int = 2304, *, seed=0, signal_fraction: float = 0.9,
          mass_range: tuple[float, float] = (2.0, 170.0)) -> ak.Array:
    """Simulated twin of ``uproot-Zmumu.root``: n dimuon *candidates* with the same fields.

    As in the real file, every event appears as four candidates, one per way the two
    muons were reconstructed: GT (muon A global, B tracker-only), TT, GT (B global, A
    tracker-only) and GG, sharing Run and Event; so n candidates come from ⌈n/4⌉ events.
    The global (G) measurement combines the tracker-only one (T, 2% pT resolution at low
    pT) with the muon chambers, so the two are strongly correlated.

    Parameters: n candidates; seed (keyword only: an int ≥ 0 or a numpy Generator; same
    seed, same candidates); signal_fraction of Z→μμ events in [0, 1] (the rest is a falling
    continuum); mass_range (low, high) in GeV.
    Returns an awkward array of n records: Type (str), Run, Event (int32), E1, px1, py1,
    pz1, pt1 (GeV), eta1, phi1 (rad), Q1 (int32), the same for muon 2, and M (GeV).
    """
    n = validate.count(n, "n")
    signal_fraction = validate.probability(signal_fraction, "signal_fraction")
    mass_range = _check_mass_range(mass_range)
    rng = validate.rng(seed)
    n_events = -(-n // 4)
    mu_a, mu_b, same_sign = _generate(rng, n_events, signal_fraction, mass_range)
    q_a = rng.choice(np.array([-1, 1], dtype=np.int32), size=n_events)
    q_b = np.where(same_sign, q_a, -q_a).astype(np.int32)
    a_g, a_t = _measure(rng, mu_a)
    b_g, b_t = _measure(rng, mu_b)
    # the four candidates of each event, in the order of the real file
    rows = [("GT", a_g, q_a, b_t, q_b), ("TT", b_t, q_b, a_t, q_a),
            ("GT", b_g, q_b, a_t, q_a), ("GG", b_g, q_b, a_g, q_a)]
    run = rng.choice(_RUNS, size=n_events).astype(np.int32)
    # distinct, increasing event numbers spread over the range of the real runs
    step = max(1, 650_000_000 // n_events)
    event = (792_020 + np.cumsum(rng.integers(1, 2 * step, size=n_events))).astype(np.int32)

    def interleave(values):  # [4 candidates][events] -> event-major order, first n
        return np.stack(values, axis=1).reshape(-1)[:n]

    fields = {"Type": interleave([np.full(n_events, r[0]) for r in rows]).tolist(),
              "Run": interleave([run] * 4), "Event": interleave([event] * 4)}
    for i, (mu_at, q_at) in enumerate(((1, 2), (3, 4)), start=1):
        mus = [r[mu_at] for r in rows]
        for name in ("E", "px", "py", "pz", "pt", "eta", "phi"):
            fields[f"{name}{i}"] = interleave([np.asarray(getattr(mu, name)) for mu in mus])
        fields[f"Q{i}"] = interleave([r[q_at] for r in rows]).astype(np.int32)
    mass = [np.asarray((r[1] + r[3]).mass) for r in rows]
    fields["M"] = interleave(mass)
    return ak.Array(fields)
