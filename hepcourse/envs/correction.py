"""The classical answer to trajectory steering: measure the orbit response matrix by
kicking each corrector, invert it with a truncated singular value decomposition, and
correct in one or two steps.

Every beam shot is counted (``Machine.interactions``), so the classical method and a
learning agent can be compared by the beam time they cost.
"""
from __future__ import annotations

import numpy as np

from .. import validate
from .beamline import BeamlineEnv, Machine


def measure_response(machine: Machine, *, kick: float = 1.0) -> np.ndarray:
    """The response matrix [mm/mrad], [N BPMs, K correctors], measured on ``machine``:
    one reference shot, then for each corrector one shot with its kick raised by ``kick``
    [mrad] (and set back): column j = (readings_j − reference) / kick. Costs K + 1 beam
    interactions; each element carries a noise of √2 · bpm_noise / kick."""
    kick = validate.positive(kick, "kick")
    if np.any(np.abs(machine.kicks) + kick > machine.kick_limit):
        raise ValueError(f"kick={kick}: a corrector would pass its limit ±{machine.kick_limit} mrad "
                         "and saturate; use a smaller kick or start from smaller settings")
    reference = machine.read()
    columns = []
    for j in range(machine.n_correctors):
        change = np.zeros(machine.n_correctors)
        change[j] = kick
        machine.adjust(change)
        columns.append((machine.read() - reference) / kick)
        machine.adjust(-change)
    return np.stack(columns, axis=1)


def svd_inverse(response, *, n_modes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A truncated pseudo-inverse of ``response`` [N, K] keeping its ``n_modes`` largest
    singular values (all when None): V diag(1/s) Uᵀ over the kept modes.

    Dropping the smallest singular values trades a residual in those modes for less noise
    amplification (1/s grows as s falls). Returns (inverse [K, N], all singular values
    [min(N, K)], largest first)."""
    r = validate.reals(response, "response", ndim=2)
    u, s, vt = np.linalg.svd(r, full_matrices=False)
    n_modes = validate.count(len(s) if n_modes is None else n_modes, "n_modes", maximum=len(s))
    inverse = vt[:n_modes].T @ np.diag(1.0 / s[:n_modes]) @ u[:, :n_modes].T
    return inverse, s


class SVDPolicy:
    """The SVD correction as a policy: readings [N] → the action −gain · inverse @ readings
    in units of ``max_change`` [mrad], scaled down as a whole (keeping its direction) when a
    change would pass ±max_change. ``gain`` < 1 damps the correction (a classical cure for
    a response matrix that is wrong by a factor)."""

    def __init__(self, inverse, max_change: float, *, gain: float = 1.0):
        self.inverse = validate.reals(inverse, "inverse", ndim=2)
        self.max_change = validate.positive(max_change, "max_change")
        self.gain = validate.real(gain, "gain", low=0.0, low_open=True)

    def __call__(self, readings) -> np.ndarray:
        action = -self.gain * (self.inverse @ np.asarray(readings, dtype=float)) / self.max_change
        return (action / max(1.0, np.abs(action).max())).astype(np.float32)


def svd_episode(env: BeamlineEnv, inverse, *, seed=None, max_steps: int = 2) -> dict:
    """One episode corrected with ``inverse`` [K, N]: each step asks for Δkick = −inverse @
    readings, in the environment's units and bounds (a change beyond ±max_change is
    scaled down as a whole, keeping its direction), until
    success, beam loss, truncation or ``max_steps`` steps.

    Returns a dict: ``steps``, ``success``, ``lost``, ``rms`` (measured, last shot),
    ``rms_true``, ``initial_rms`` and ``interactions`` (shots in this episode, the reset's
    one included)."""
    max_steps = validate.count(max_steps, "max_steps")
    policy = SVDPolicy(inverse, env.max_change)
    readings, info = env.reset(seed=seed)
    initial, steps = info["rms"], 0
    done = info["success"]
    while not done and steps < max_steps:
        readings, _, terminated, truncated, info = env.step(policy(readings))
        steps += 1
        done = terminated or truncated
    return {"steps": steps, "success": info["success"], "lost": info["lost"], "rms": info["rms"],
            "rms_true": info["rms_true"], "initial_rms": initial,
            "interactions": info["interactions"]}
