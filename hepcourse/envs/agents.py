"""Reinforcement-learning agents on the beam line, and the one evaluation every method
goes through: PPO and SAC from stable-baselines3 with the settings that learned here,
a training log that counts episodes and beam shots (the learning curve), and
:func:`evaluate`, which runs any policy (a trained agent, the SVD correction, a random
one) on held-out seeded starts and reports success, steps, beam losses, shots and RMS.

The settings (measured on this 2-core CPU in benchmarks/beamline_rl_budget.py): the
default PPO explores with action noise σ = 1, which on this line dumps the beam and
teaches the agent to end episodes by losing it, so its log σ starts at −1.5; SAC's default
256×256 networks are three times slower per step here than 64×64, which learn as well;
both discount with γ = 0.9 (a correction takes a few steps, not hundreds).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .. import validate

try:
    import gymnasium as gym
except ImportError as err:  # the `beam` extra is not installed
    raise ImportError("hepcourse.envs needs gymnasium: pip install 'hepcourse[beam]'") from err

#: stable-baselines3 keyword arguments of each algorithm (see the module docstring)
SETTINGS = {"ppo": {"gamma": 0.9, "policy_kwargs": {"log_std_init": -1.5}},
            "sac": {"gamma": 0.9, "policy_kwargs": {"net_arch": [64, 64]}}}

#: the seeds of the evaluation starts: never used in training
EVALUATION_SEEDS = range(10_000, 10_100)


class EpisodeLog(gym.Wrapper):
    """Records every finished episode of the wrapped environment: its return, length,
    success, beam loss and the beam shots taken so far (all episodes, resets included).
    The lists are ``returns``, ``lengths``, ``successes``, ``losses`` and ``shots``."""

    def __init__(self, env):
        super().__init__(env)
        self.returns, self.lengths, self.successes, self.losses, self.shots = [], [], [], [], []
        self._return = 0.0
        self._length = 0
        self._shots = 0

    def reset(self, **kwargs):
        self._return, self._length = 0.0, 0
        self._shots += 1
        return self.env.reset(**kwargs)

    def step(self, action):
        observation, reward, terminated, truncated, info = self.env.step(action)
        self._return += reward
        self._length += 1
        self._shots += 1
        if terminated or truncated:
            self.returns.append(self._return)
            self.lengths.append(self._length)
            self.successes.append(bool(info["success"]))
            self.losses.append(bool(info["lost"]))
            self.shots.append(self._shots)
        return observation, reward, terminated, truncated, info


@dataclass
class Trained:
    """A trained agent: ``model`` (stable-baselines3), its ``log`` (:class:`EpisodeLog`),
    the environment ``steps`` it trained for, the training ``seconds`` and the ``seed``."""

    algorithm: str
    model: object
    log: EpisodeLog
    steps: int
    seconds: float
    seed: int
    parameters: int = field(default=0)

    def __call__(self, readings) -> np.ndarray:
        """The deterministic action of the trained policy for ``readings``."""
        action, _ = self.model.predict(np.asarray(readings, dtype=np.float32), deterministic=True)
        return action


def train(algorithm: str, env, steps: int, *, seed) -> Trained:
    """Train ``algorithm`` ("ppo" or "sac", with :data:`SETTINGS`) on ``env`` (wrapped in an
    :class:`EpisodeLog`) for ``steps`` environment steps (beam shots), on the CPU.

    Returns a :class:`Trained` whose ``parameters`` counts the weights of the policy network
    (the actor: the network that maps BPM readings to corrector changes)."""
    from stable_baselines3 import PPO, SAC

    algorithm = validate.choice(algorithm, "algorithm", tuple(SETTINGS))
    steps = validate.count(steps, "steps", minimum=64)
    seed = validate.seed_int(seed)
    log = EpisodeLog(env)
    log.reset(seed=seed)
    model_class = {"ppo": PPO, "sac": SAC}[algorithm]
    model = model_class("MlpPolicy", log, seed=seed, device="cpu", verbose=0, **SETTINGS[algorithm])
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    actor = model.policy.actor if algorithm == "sac" else model.policy
    names = ("mlp_extractor.policy_net", "action_net", "log_std") if algorithm == "ppo" else ("",)
    parameters = sum(p.numel() for name, p in actor.named_parameters() if name.startswith(names))
    return Trained(algorithm, model, log, model.num_timesteps, time.perf_counter() - start, seed, parameters)


def learning_curve(log: EpisodeLog, *, window: int = 50, grid=None) -> dict[str, np.ndarray]:
    """The success rate of the training episodes in a moving window of ``window`` episodes,
    against the episode number and against the beam shots spent so far.

    Returns ``episodes`` [E], ``shots`` [E] and ``success`` [E] (NaN before the window is
    full); with ``grid`` (beam shots, [G]) also ``on_grid`` [G]: the rate interpolated at
    those shots (NaN outside the logged range), for bands over seeds."""
    window = validate.count(window, "window")
    success = np.asarray(log.successes, dtype=float)
    shots = np.asarray(log.shots, dtype=float)
    rate = np.full(success.size, np.nan)
    if success.size >= window:
        sums = np.convolve(success, np.ones(window), mode="valid") / window
        rate[window - 1:] = sums
    out = {"episodes": np.arange(1, success.size + 1), "shots": shots, "success": rate}
    if grid is not None:
        grid = validate.reals(grid, "grid", ndim=1)
        ok = ~np.isnan(rate)
        out["on_grid"] = (np.interp(grid, shots[ok], rate[ok], left=np.nan, right=np.nan)
                          if ok.sum() >= 2 else np.full(grid.size, np.nan))
    return out


@dataclass
class Evaluation:
    """Per-episode results of :func:`evaluate` (arrays [episodes]): ``success``, ``lost``,
    ``steps`` (corrections applied), ``shots`` (beam shots, the first reading included),
    ``rms`` (the measured RMS of the last shot, mm) and ``initial_rms``."""

    success: np.ndarray
    lost: np.ndarray
    steps: np.ndarray
    shots: np.ndarray
    rms: np.ndarray
    initial_rms: np.ndarray

    @property
    def rate(self) -> float:
        """The fraction of episodes that reached the threshold."""
        return float(self.success.mean())

    def interval(self, cl: float | None = None) -> tuple[float, float, float]:
        """The success rate with its Clopper-Pearson interval (rate, low, high)."""
        from ..stats import ONE_SIGMA, binomial_interval

        rate, low, high = binomial_interval(int(self.success.sum()), self.success.size,
                                            ONE_SIGMA if cl is None else cl)
        return float(rate), float(low), float(high)

    @property
    def shots_to_success(self) -> float:
        """Mean beam shots of the successful episodes (NaN when none succeeded)."""
        return float(self.shots[self.success].mean()) if self.success.any() else math.nan


def evaluate(policy, env, seeds=EVALUATION_SEEDS, *, max_steps: int | None = None) -> Evaluation:
    """Run ``policy`` (a callable from BPM readings [N] to an action [K] in [−1, 1], e.g. a
    :class:`Trained` agent or :class:`~hepcourse.envs.correction.SVDPolicy`) on the
    episodes that start from ``env.reset(seed=s)`` for each seed, until success, beam
    loss, truncation or ``max_steps`` corrections (default: the environment's cap)."""
    if not callable(policy):
        raise TypeError(f"policy: expected a callable from readings to an action, not {type(policy).__name__}")
    seeds = validate.counts(seeds, "seeds", minimum=0)
    limit = env.max_steps if max_steps is None else validate.count(max_steps, "max_steps")
    rows = []
    for seed in seeds:
        readings, info = env.reset(seed=seed)
        initial, steps, done = info["rms"], 0, info["success"]
        while not done and steps < limit:
            readings, _, terminated, truncated, info = env.step(np.asarray(policy(readings), dtype=np.float32))
            steps += 1
            done = terminated or truncated
        rows.append((info["success"], info["lost"], steps, info["interactions"], info["rms"], initial))
    columns = list(zip(*rows))
    return Evaluation(*(np.array(c, dtype=dtype) for c, dtype in
                        zip(columns, (bool, bool, int, int, float, float))))
