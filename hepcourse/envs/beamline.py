"""Steering an electron beam through a transfer line: the machine (its optics, corrector
magnets, noisy BPMs and aperture) and a ``gymnasium`` environment around it.

:class:`Machine` is what an operator has in the control room: set corrector kicks, take
one beam shot and read the BPMs (each :meth:`Machine.read` is one *beam interaction*,
counted in ``interactions``). :class:`BeamlineEnv` turns it into an episode: an initial
trajectory error is drawn at :meth:`~BeamlineEnv.reset`, an action changes the correctors,
the reward is minus the RMS of the BPM readings, and the episode ends on success (RMS
below ``threshold``), on beam loss (the beam touches the aperture anywhere) or after
``max_steps`` actions.

Units: positions and BPM readings in mm, kicks in mrad, lengths in m.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from .. import validate
from ..physics import optics

try:
    import gymnasium as gym
    from gymnasium import spaces
except ImportError as err:  # the `beam` extra is not installed
    raise ImportError("hepcourse.envs needs gymnasium: pip install 'hepcourse[beam]' "
                      "(make install includes it)") from err


class Machine:
    """A transfer line with corrector magnets and BPMs, one beam shot at a time.

    Args:
        line: the optics (default :func:`hepcourse.physics.optics.fodo_line`).
        bpm_noise: Gaussian noise of one BPM reading [mm].
        aperture: half-aperture of the vacuum chamber [mm]; the beam is lost when
            |x| ≥ aperture at any element. BPMs read at most ±aperture.
        kick_limit: the largest corrector kick the power supplies give [mrad]; requested
            settings beyond it are clipped (the magnet saturates).
        seed: int or numpy Generator for the BPM noise and the drawn errors.

    State: ``kicks`` [K] (mrad), ``x0`` [mm] and ``xp0`` [mrad] of the incoming beam.
    """

    def __init__(self, line: optics.TransferLine | None = None, *, bpm_noise: float = 0.02,
                 aperture: float = 10.0, kick_limit: float = 3.0, seed=0):
        self.line = optics.fodo_line() if line is None else line
        if not isinstance(self.line, optics.TransferLine):
            raise TypeError(f"line: expected an optics.TransferLine, not {type(line).__name__}")
        self.bpm_noise = validate.real(bpm_noise, "bpm_noise", low=0.0)
        self.aperture = validate.positive(aperture, "aperture")
        self.kick_limit = validate.positive(kick_limit, "kick_limit")
        self.rng = validate.rng(seed)
        self.n_correctors = len(self.line.where("corrector"))
        self.n_bpms = len(self.line.where("bpm"))
        self.kicks = np.zeros(self.n_correctors)
        self.x0 = self.xp0 = 0.0
        self.interactions = 0
        # the line is linear: positions = offset + incoming @ (x0, x') + kick_map @ kicks
        self._offset = optics.track(self.line, 0.0, 0.0, self.kicks)[0]
        self._incoming = np.stack([optics.track(self.line, *unit, self.kicks)[0] - self._offset
                                   for unit in ((1.0, 0.0), (0.0, 1.0))], axis=1)
        self._kick_map = optics.track(self.line, 0.0, 0.0, np.eye(self.n_correctors)).T - self._offset[:, None]
        self._bpms = self.line.where("bpm")

    def positions(self) -> np.ndarray:
        """The true trajectory x [mm] at every element, [E] (no beam shot, no noise)."""
        return self._offset + self._incoming @ (self.x0, self.xp0) + self._kick_map @ self.kicks

    def trajectory(self) -> np.ndarray:
        """The true x [mm] at the BPMs, [N] (what a perfect BPM would read)."""
        return self.positions()[self._bpms]

    def lost(self) -> bool:
        """True when the beam touches the aperture somewhere with the present settings."""
        return bool(np.any(np.abs(self.positions()) >= self.aperture))

    def adjust(self, change) -> np.ndarray:
        """Add ``change`` [mrad], [K], to the corrector kicks (clipped at ±kick_limit).
        Setting magnets costs no beam. Returns the new kicks."""
        change = validate.reals(change, "change", ndim=1)
        if change.shape != (self.n_correctors,):
            raise ValueError(f"change: expected {self.n_correctors} corrector changes, got shape {change.shape}")
        self.kicks = np.clip(self.kicks + change, -self.kick_limit, self.kick_limit)
        return self.kicks

    def read(self) -> np.ndarray:
        """One beam shot: the BPM readings [mm], [N], with noise, limited to ±aperture.
        Counts one beam interaction."""
        self.interactions += 1
        noisy = self.trajectory() + self.rng.normal(0.0, self.bpm_noise, self.n_bpms)
        return np.clip(noisy, -self.aperture, self.aperture)


class BeamlineEnv(gym.Env):
    """The trajectory-correction task as a gymnasium environment.

    Observation: the BPM readings [mm], float32 [N] in ±aperture. Action: corrector
    changes in units of ``max_change``, float32 [K] in [−1, 1] (a value outside raises,
    as does a wrong shape or a NaN: an interlock, not a silent clip). Reward: −RMS of the
    readings [mm]. The episode terminates on success (RMS < ``threshold``) or on beam loss,
    whose reward is ``loss_reward`` (default −aperture, the worst reading any shot can
    give); it is truncated after ``max_steps`` actions.

    The loss reward is a trade-off to teach. Ending the episode stops the negative
    rewards, so with a discount γ a policy that cannot steer (RMS r every step) weighs
    −aperture against about −r/(1 − γ): too mild a penalty pays the agent to dump the beam
    (PPO with stable-baselines3's default exploration, action noise σ = 1, learned exactly
    that: every test episode lost at the first step; with σ = e^−1.5 it learned to steer).
    Too harsh a one (−aperture × the steps left, 30 times the ordinary rewards) makes rare
    huge rewards that wreck the value functions of off-policy learners: with it SAC
    learned nothing in 8000 steps, with −aperture it succeeded in every test episode.

    At reset the correctors start at random settings (spread ``kick_spread`` mrad, the
    state the last shift left) and the incoming beam at random (x0, x') with spreads
    ``incoming`` = (mm, mrad); a draw that loses the beam, or whose true RMS is already
    below twice the threshold, is drawn again.

    Args:
        machine: a :class:`Machine` (default: the nominal line); ``line`` and the machine
            keywords build one when ``machine`` is None.
        threshold: success when the RMS reading is below it [mm].
        loss_reward: the reward of the shot that loses the beam (default −aperture).
        max_steps: actions per episode at most.
        max_change: the largest corrector change per step [mrad].

    ``info`` holds ``rms`` (measured), ``rms_true``, ``success``, ``lost`` and
    ``interactions`` (beam shots in this episode, the reset's one included; the
    machine's ``interactions`` counts all of them).
    """

    metadata: ClassVar[dict] = {"render_modes": []}

    def __init__(self, machine: Machine | None = None, *, line: optics.TransferLine | None = None,
                 threshold: float = 0.3, max_steps: int = 30, max_change: float = 1.0,
                 kick_spread: float = 0.3, incoming: tuple[float, float] = (0.3, 0.1),
                 bpm_noise: float = 0.02, aperture: float = 10.0, kick_limit: float = 3.0,
                 loss_reward: float | None = None):
        if machine is None:
            machine = Machine(line, bpm_noise=bpm_noise, aperture=aperture, kick_limit=kick_limit)
        elif line is not None:
            raise ValueError("give either machine or line, not both")
        if not isinstance(machine, Machine):
            raise TypeError(f"machine: expected a Machine, not {type(machine).__name__}")
        self.machine = machine
        self.threshold = validate.positive(threshold, "threshold")
        self.loss_reward = (-machine.aperture if loss_reward is None
                            else validate.real(loss_reward, "loss_reward", high=0.0))
        self.max_steps = validate.count(max_steps, "max_steps")
        self.max_change = validate.positive(max_change, "max_change")
        self.kick_spread = validate.real(kick_spread, "kick_spread", low=0.0)
        self.incoming = tuple(validate.reals(incoming, "incoming", low=0.0, ndim=1))
        if len(self.incoming) != 2:
            raise ValueError(f"incoming: expected (mm, mrad), got {incoming!r}")
        a = np.float32(machine.aperture)
        self.observation_space = spaces.Box(-a, a, shape=(machine.n_bpms,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(machine.n_correctors,), dtype=np.float32)
        self.steps = self._start = 0
        self._readings = np.zeros(machine.n_bpms)

    def _observe(self) -> np.ndarray:
        self._readings = self.machine.read()
        return self._readings.astype(np.float32)

    def _info(self, lost: bool = False) -> dict:
        rms = float(np.sqrt(np.mean(self._readings**2)))
        return {"rms": rms, "rms_true": float(np.sqrt(np.mean(self.machine.trajectory()**2))),
                "success": bool(rms < self.threshold and not lost), "lost": bool(lost),
                "interactions": self.machine.interactions - self._start}

    def reset(self, *, seed=None, options=None):
        """A new initial trajectory error (seeded by ``seed``); returns (readings, info)."""
        super().reset(seed=seed)
        machine = self.machine
        machine.rng = self.np_random
        for _ in range(100):
            machine.kicks = np.clip(self.np_random.normal(0.0, self.kick_spread, machine.n_correctors),
                                    -machine.kick_limit, machine.kick_limit)
            machine.x0, machine.xp0 = self.np_random.normal(0.0, self.incoming)
            rms = np.sqrt(np.mean(machine.trajectory()**2))
            if not machine.lost() and rms >= 2 * self.threshold:
                break
        else:
            raise RuntimeError("100 initial draws in a row lost the beam or were already corrected: "
                               "change kick_spread, incoming or threshold")
        self.steps, self._start = 0, machine.interactions
        return self._observe(), self._info()

    def step(self, action):
        """Change the correctors by ``action`` × max_change, take one shot; returns
        (readings, reward, terminated, truncated, info)."""
        action = check_action(action, self.action_space.shape)
        self.machine.adjust(action * self.max_change)
        self.steps += 1
        observation = self._observe()
        lost = self.machine.lost()
        info = self._info(lost)
        reward = self.loss_reward if lost else -info["rms"]
        terminated = lost or info["success"]
        truncated = not terminated and self.steps >= self.max_steps
        return observation, float(reward), bool(terminated), bool(truncated), info


def check_action(action, shape) -> np.ndarray:
    """The action as float64, or ValueError when it has the wrong shape, holds NaN or
    infinity, or leaves [−1, 1] (beyond a float32 rounding)."""
    try:
        array = np.asarray(action, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"action: expected {shape[0]} numbers in [-1, 1], got {action!r}") from None
    if array.shape != tuple(shape):
        raise ValueError(f"action: expected shape {tuple(shape)} (one change per corrector), "
                         f"got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"action: holds NaN or infinite values {array}; a corrector cannot be set to that")
    if np.any(np.abs(array) > 1 + 1e-6):
        raise ValueError(f"action: every value must be in [-1, 1] (units of max_change), got "
                         f"max |a| = {np.abs(array).max():.3g}")
    return np.clip(array, -1.0, 1.0)
