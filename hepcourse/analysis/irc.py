"""Infrared and collinear (IRC) safety: altering jets by a soft or a collinear emission.

QCD radiates without end: a quark or gluon emits gluons of arbitrarily low energy (the
emission probability ∝ dE/E diverges as E → 0: infrared) and at arbitrarily small angles
(∝ dθ/θ diverges as θ → 0: collinear). In perturbation theory these divergences cancel
between real emissions and virtual corrections only for observables that do not care
whether such an emission happened: an observable O is IRC safe when

* infrared: adding a particle with energy fraction z → 0 leaves O unchanged, and
* collinear: replacing a particle by two at the same angles, sharing its momentum,
  leaves O unchanged.

Only then is O calculable order by order in perturbative QCD, and only then is its value
insensitive to the non-perturbative, hard-to-model soft and collinear end of the parton
shower and to detector thresholds. The jet mass and the N-subjettiness ratios are IRC
safe; the number of constituents is not (every soft emission adds one). A network's
output is an observable too: an Energy Flow Network (:class:`~hepcourse.models.sets.EFN`)
is IRC safe by construction, a Particle Flow Network (:class:`~hepcourse.models.sets.PFN`)
is not.

The two functions below make the test: they return a copy of packed jets X [N, P, F+1]
(:func:`hepcourse.models.sets.pack`; features as :func:`hepcourse.simulate.top_tagging.to_padded`
gives them: Δη, Δφ, ln pT, ln E with pT, E in GeV, ln pT/pT_jet, ln E/E_jet, ΔR, charge
in e) with one particle more per jet, placed in the first padded slot. Compare
``model(X)`` with ``model(add_soft_particle(X))`` and ``model(split_collinear(X))``.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .. import validate
from ..simulate.top_tagging import FEATURES, PID_FEATURES

__all__ = ["add_soft_particle", "split_collinear"]

_LOG_FEATURES = ("log_pt", "log_energy", "log_pt_rel", "log_energy_rel")


def _names(features) -> tuple[str, ...]:
    if isinstance(features, str):
        raise TypeError(f"features={features!r}: expected a sequence of names, e.g. {FEATURES}")
    features = tuple(features)
    for name in features:
        validate.choice(name, "features", FEATURES + PID_FEATURES)
    return features


def _prepare(X, features: tuple[str, ...], needed: tuple[str, ...], what: str):
    """(copy of X, mask, index of the first free slot per jet)."""
    missing = [n for n in needed if n not in features]
    if missing:
        raise ValueError(f"{what} needs the feature(s) {missing}; features={features}")
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"X: expected packed jets, a torch tensor [N, P, F+1] (hepcourse.models.sets.pack); "
                        f"got {type(X).__name__}")
    if X.ndim != 3 or X.shape[-1] != len(features) + 1:
        raise ValueError(f"X must be packed jets [N, P, {len(features) + 1}] ({len(features)} features and "
                         f"the mask); got shape {tuple(X.shape)}")
    if not X.is_floating_point():
        raise TypeError(f"X: expected a float tensor (pack gives float32); got {X.dtype}")
    X = X.detach().to("cpu", copy=True)  # built on the CPU, returned on X's device
    mask = X[..., -1] > 0.5
    if not bool(mask.any(dim=1).all()):
        raise ValueError("every jet needs at least one real constituent")
    free = ~mask
    full = ~free.any(dim=1)
    if bool(full.any()):
        raise ValueError(f"{what}: {int(full.sum())} jet(s) have no free padded slot for the extra particle; "
                         "pad to a larger n_max (to_padded(sample, n_max + 1)) or append an empty slot to X "
                         "(torch.nn.functional.pad(X, (0, 0, 0, 1)); padding changes no model's output)")
    slot = torch.argmax(free.to(torch.int8), dim=1)  # the first padded slot
    return X, mask, slot


def _jet_log(X, mask, features, name: str, rel: str) -> torch.Tensor:
    """ln of the jet's pT or E [N] from any real constituent: ln x − ln(x/x_jet), averaged
    over the real constituents (they all agree to rounding)."""
    diff = X[..., features.index(name)] - X[..., features.index(rel)]
    return torch.where(mask, diff, diff.new_zeros(())).sum(dim=1) / mask.sum(dim=1)


def add_soft_particle(X, features=FEATURES, fraction: float = 1e-6, *, seed=0) -> torch.Tensor:
    """Packed jets X [N, P, F+1] with one soft particle more per jet (infrared test).

    Per jet, the new particle has pT = ``fraction``·pT_jet (0 < fraction < 1; 1e-6 means
    about 0.6 MeV at 600 GeV), sits at a random direction uniform in the disc ΔR < 0.8
    around the jet axis (Δη, Δφ), and has energy E = pT·E_jet/pT_jet (a massless particle
    at the jet's rapidity, roughly); it is neutral (charge 0; "is_photon" 1 and the other
    identity flags 0 when present). It goes into the first padded slot, which must exist
    (else ValueError: pad to a larger n_max). The jet's pT and E are recovered from
    ln pT − ln(pT/pT_jet) and ln E − ln(E/E_jet) of its constituents; the existing
    constituents are unchanged (their relative features stay those of the original jet,
    which the soft particle changes by a relative ``fraction``).

    features: the names of X's features (default FEATURES); "deta", "dphi", "log_pt" and
    "log_pt_rel" are required, "log_energy" needs "log_energy_rel". seed: keyword-only,
    an int ≥ 0 or a numpy Generator (the directions). Returns a new float tensor [N, P, F+1].
    """
    fraction = validate.real(fraction, "fraction", low=0.0, high=1.0, low_open=True, high_open=True)
    features = _names(features)
    needed = ("deta", "dphi", "log_pt", "log_pt_rel") + (("log_energy_rel",) if "log_energy" in features else ())
    device = X.device if isinstance(X, torch.Tensor) else None
    X, mask, slot = _prepare(X, features, needed, "add_soft_particle")
    rng = validate.rng(seed)
    n = X.shape[0]
    r = 0.8 * np.sqrt(rng.uniform(size=n))
    angle = rng.uniform(0.0, 2 * math.pi, size=n)
    values = {"deta": r * np.cos(angle), "dphi": r * np.sin(angle), "delta_r": r}
    log_pt_jet = _jet_log(X, mask, features, "log_pt", "log_pt_rel").double().numpy()
    values["log_pt"] = log_pt_jet + math.log(fraction)
    values["log_pt_rel"] = values["log_energy_rel"] = np.full(n, math.log(fraction))
    if "log_energy" in features:
        log_e_jet = _jet_log(X, mask, features, "log_energy", "log_energy_rel").double().numpy()
        values["log_energy"] = log_e_jet + math.log(fraction)
    values["is_photon"] = np.ones(n)
    rows = torch.arange(n)
    new = torch.zeros((n, X.shape[-1]), dtype=X.dtype)
    for i, name in enumerate(features):
        if name in values:
            new[:, i] = torch.as_tensor(values[name], dtype=X.dtype)
    new[:, -1] = 1.0
    X[rows, slot] = new
    return X.to(device)


def split_collinear(X, features=FEATURES, index: int = 0) -> torch.Tensor:
    """Packed jets X [N, P, F+1] with constituent ``index`` of every jet split into two
    collinear halves (collinear test).

    Both halves have the original's direction (Δη, Δφ, ΔR) and half its pT and energy:
    every log feature (ln pT, ln E, ln pT/pT_jet, ln E/E_jet) is lowered by ln 2; the jet's
    total pT and E are unchanged. One half stays in slot ``index`` and keeps the charge and
    identity flags (think q → q g); the other goes into the first padded slot, neutral
    (charge 0; "is_photon" 1, other flags 0 when present). Slot ``index`` (0: the leading
    constituent, as ``to_padded`` orders them) must be a real constituent of every jet and
    a padded slot must be free (else ValueError: pad to a larger n_max).

    features: the names of X's features (default FEATURES); at least one of the log
    features must be among them. Returns a new float tensor [N, P, F+1].
    """
    features = _names(features)
    if not any(n in features for n in _LOG_FEATURES):
        raise ValueError(f"split_collinear needs at least one of the features {_LOG_FEATURES} "
                         f"(a particle's pT or energy); features={features}")
    device = X.device if isinstance(X, torch.Tensor) else None
    X, mask, slot = _prepare(X, features, (), "split_collinear")
    index = validate.count(index, "index", minimum=0, maximum=X.shape[1] - 1, what="a slot number")
    if not bool(mask[:, index].all()):
        raise ValueError(f"split_collinear: slot index={index} is padding in {int((~mask[:, index]).sum())} "
                         "jet(s); choose a slot every jet fills (0, the leading constituent)")
    rows = torch.arange(X.shape[0])
    half = X[:, index].clone()
    for i, name in enumerate(features):
        if name in _LOG_FEATURES:
            half[:, i] -= math.log(2.0)
    X[:, index] = half
    other = half.clone()
    for i, name in enumerate(features):
        if name == "charge" or name in PID_FEATURES:
            other[:, i] = 1.0 if name == "is_photon" else 0.0
    X[rows, slot] = other
    return X.to(device)
