"""Bayesian optimisation of the corrector settings: the black-box baseline.

No model of the machine and no training: treat the measured RMS of one beam shot as an
unknown function of the K corrector settings, fit a Gaussian process to the shots taken so
far, and take the next shot where the expected improvement is largest. It is what many
control rooms use for tuning today (and what Kain et al. compared against), and it needs
no response matrix; its price is the shots it spends exploring, some of which may dump the
beam.

The Gaussian process is scikit-learn's, with a Matérn (ν = 5/2) kernel of one length scale
per corrector and a white-noise term (the BPM noise), refitted after every shot.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import norm

from .. import validate


def expected_improvement(mean, std, best: float) -> np.ndarray:
    """E[max(best − f, 0)] for a Gaussian f ~ N(mean, std²) (minimisation), arrays [C]."""
    std = np.maximum(np.asarray(std, dtype=float), 1e-12)
    z = (best - np.asarray(mean, dtype=float)) / std
    return (best - mean) * norm.cdf(z) + std * norm.pdf(z)


def _process(n_correctors: int):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    kernel = (ConstantKernel(1.0, (1e-2, 1e3)) * Matern(np.ones(n_correctors), (0.05, 20.0), nu=2.5)
              + WhiteKernel(1e-3, (1e-6, 1e-1)))
    return GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=0)


def bayesian_episode(env, *, seed=None, budget: int = 60, bound: float = 1.5, n_initial: int = 5,
                     candidates: int = 2000, rng=0) -> dict:
    """One episode of ``env`` (a :class:`~hepcourse.envs.beamline.BeamlineEnv`, started with
    ``env.reset(seed=seed)``) corrected by Bayesian optimisation of the corrector changes
    Δ ∈ [−bound, bound]^K [mrad] from the starting settings.

    Each evaluation sets the correctors to start + Δ and takes one beam shot; the objective
    is its measured RMS [mm] (the aperture when the shot loses the beam). The first
    ``n_initial`` shots after the starting one probe small random changes (σ = bound/5); then
    each shot goes to the best of ``candidates`` random settings (half around the best so
    far, half anywhere) by expected improvement. It stops when a shot's RMS is below
    ``env.threshold`` or after ``budget`` shots. ``rng``: seed of the candidates.

    Returns a dict: ``success``, ``shots`` (the starting one included), ``losses`` (shots
    that lost the beam), ``rms`` (the best measured RMS, mm), ``initial_rms``, ``best``
    (the best Δ [K]) and ``history`` (the RMS of every shot, [shots]).
    """
    budget = validate.count(budget, "budget", minimum=2)
    bound = validate.positive(bound, "bound")
    n_initial = validate.count(n_initial, "n_initial", minimum=0)
    candidates = validate.count(candidates, "candidates", minimum=2)
    generator = validate.rng(rng, "rng")
    readings, info = env.reset(seed=seed)
    machine = env.machine
    start = machine.kicks.copy()
    k = machine.n_correctors

    def shot(delta) -> float:
        machine.kicks = np.clip(start + delta, -machine.kick_limit, machine.kick_limit)
        readings = machine.read()
        if machine.lost():
            return machine.aperture, True
        return float(np.sqrt(np.mean(readings**2))), False

    xs, ys, losses = [np.zeros(k)], [info["rms"]], 0
    while len(ys) < budget and min(ys) >= env.threshold:
        if len(ys) <= n_initial:
            delta = np.clip(generator.normal(0.0, bound / 5, k), -bound, bound)
        else:
            process = _process(k)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # length scales at their bounds: harmless here
                process.fit(np.array(xs), np.array(ys))
            best = np.array(xs)[int(np.argmin(ys))]
            local = best + generator.normal(0.0, bound / 10, (candidates // 2, k))
            wide = generator.uniform(-bound, bound, (candidates - candidates // 2, k))
            trial = np.clip(np.vstack([local, wide]), -bound, bound)
            mean, std = process.predict(trial, return_std=True)
            delta = trial[int(np.argmax(expected_improvement(mean, std, min(ys))))]
        rms, lost = shot(delta)
        losses += lost
        xs.append(delta)
        ys.append(rms)
    machine.kicks = np.clip(start + xs[int(np.argmin(ys))], -machine.kick_limit, machine.kick_limit)
    return {"success": bool(min(ys) < env.threshold), "shots": len(ys), "losses": int(losses),
            "rms": float(min(ys)), "initial_rms": float(info["rms"]), "best": xs[int(np.argmin(ys))],
            "history": np.array(ys)}
