"""Jet reconstruction on calorimeter images (chapter 5): the physicist's features that a
classifier of images is compared with.

A simple cone algorithm on pile-up-subtracted towers finds the two leading jets of each
image and measures their four-momenta (towers as massless four-vectors, ``vector``) and
their two-prong substructure (the N-subjettiness ratio τ2/τ1). Images are laid out as by
:func:`hepcourse.simulate.calorimeter.images`: [N, 1, H(η), W(φ)] or [N, H, W], tower
E_T in GeV, rows from −η_max to +η_max, columns from −π to π (periodic).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import vector

from .. import validate
from ..physics.detector import tower_edges
from ..physics.kinematics import wrap_phi

__all__ = ["JET_RADIUS", "jet_features"]

JET_RADIUS = 0.8  # the cone radius of the boosted-jet chapter


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

    images: [N, 1, H, W] or [N, H, W], E_T in GeV, laid out as by
    :func:`hepcourse.simulate.calorimeter.images`. eta_max: the |η| coverage of the rows.
    radius: the cone radius in η-φ. chunk: images processed at a time (memory).
    Returns a DataFrame [N rows]: ``rho`` (GeV per unit area), and for jet 1: ``pt1`` (GeV),
    ``eta1``, ``phi1`` (rad), ``m1`` (GeV), ``tau21_1`` (the N-subjettiness ratio τ2/τ1, with
    the seed as the one axis, and the seed and the hottest tower at least two towers away
    from it as the two axes: small for two-prong jets); the same for jet 2 with suffix 2.
    """
    eta_max = validate.positive(eta_max, "eta_max")
    radius = validate.positive(radius, "radius")
    chunk = validate.count(chunk, "chunk")
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
    eta_edges, phi_edges = tower_edges(h, w, eta_max)
    eta_c = 0.5 * (eta_edges[1:] + eta_edges[:-1])
    phi_c = 0.5 * (phi_edges[1:] + phi_edges[:-1])
    eta_g = np.repeat(eta_c, w)
    phi_g = np.tile(phi_c, h)
    distance = np.hypot(eta_g[:, None] - eta_g[None, :], wrap_phi(phi_g[:, None] - phi_g[None, :]))
    area = (eta_edges[1] - eta_edges[0]) * (phi_edges[1] - phi_edges[0])
    return (eta_g, phi_g, area, distance.astype(np.float32), phi_edges[1] - phi_edges[0],
            eta_edges[1] - eta_edges[0])


def _jets(x, geometry, radius):
    """The columns of :func:`jet_features` for images x [n, h, w] (float32, E_T in GeV)."""
    eta_g, phi_g, area, distance, cell, cell_eta = geometry
    n, h, w = x.shape
    p = 4 if h % 4 == 0 and w % 4 == 0 else 1
    patches = x.reshape(n, h // p, p, w // p, p).sum(axis=(2, 4)).reshape(n, -1)
    rho = np.median(patches, axis=1) / (p * p * area)
    et = np.clip(x.reshape(n, h * w) - (rho * area)[:, None], 0.0, None).astype(np.float32)
    cos, sin = np.cos(phi_g).astype(np.float32), np.sin(phi_g).astype(np.float32)
    sinh, cosh = np.sinh(eta_g).astype(np.float32), np.cosh(eta_g).astype(np.float32)
    result = {"rho": rho}
    for j in (1, 2):
        # seed: the hottest tower; axis: the E_T-weighted centroid of the cone around it,
        # snapped to the nearest tower (one iteration of an iterative cone)
        seed = np.argmax(et, axis=1)
        cone = np.where(distance[seed] < radius, et, 0.0)
        total = np.maximum(cone.sum(1), 1e-12)
        d_eta = (cone * (eta_g[None, :] - eta_g[seed][:, None])).sum(1) / total
        d_phi = (cone * wrap_phi(phi_g[None, :] - phi_g[seed][:, None])).sum(1) / total
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
