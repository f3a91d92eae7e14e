"""A family of machines: the transfer line is never exactly the one that was measured.

Real magnets differ from their design by calibration errors of a few per cent, they are
displaced by tenths of a millimetre, and after a repair or a cabling error one may even be
powered with the wrong polarity. :class:`MachineFamily` is a :class:`~hepcourse.envs.beamline.
BeamlineEnv` that draws a new machine of that kind at every reset, so that a policy trained
on it has seen many machines (domain randomisation, what the CERN studies did to cross the
gap from the simulator to the real line), while a response matrix is measured on one.
"""
from __future__ import annotations

import numpy as np

from .. import validate
from ..physics import optics
from .beamline import BeamlineEnv, Machine


def draw_line(rng, *, strength_spread: float = 0.0, offset_spread: float = 0.0,
              reversed_probability: float = 0.0, line: optics.TransferLine | None = None) -> optics.TransferLine:
    """One machine of the family: every quadrupole of ``line`` (default the nominal
    :func:`~hepcourse.physics.optics.fodo_line`) powered at 1 + N(0, ``strength_spread``)
    times its strength, displaced by N(0, ``offset_spread``) mm, and reversed in polarity
    with probability ``reversed_probability`` (each quadrupole on its own).
    ``rng``: a numpy Generator or an int seed."""
    rng = validate.rng(rng, "rng")
    strength_spread = validate.real(strength_spread, "strength_spread", low=0.0, high=0.5)
    offset_spread = validate.real(offset_spread, "offset_spread", low=0.0)
    reversed_probability = validate.probability(reversed_probability, "reversed_probability")
    line = optics.fodo_line() if line is None else line
    for quad in range(len(line.where("quad"))):
        factor = 1.0 + rng.normal(0.0, strength_spread)
        if rng.random() < reversed_probability:
            factor = -factor
        line = line.mispowered(quad, factor)
        if offset_spread:
            line = line.misaligned(quad, rng.normal(0.0, offset_spread))
    return line


class MachineFamily(BeamlineEnv):
    """The trajectory-correction task on a new machine of the family at every reset
    (:func:`draw_line` with ``strength_spread``, ``offset_spread`` and
    ``reversed_probability``); the other keywords are :class:`BeamlineEnv`'s.

    The machine of the current episode is ``self.machine``; ``self.machines`` counts the
    machines drawn. Its beam shots are counted across machines in ``shots``.
    """

    def __init__(self, *, strength_spread: float = 0.1, offset_spread: float = 0.1,
                 reversed_probability: float = 0.0, bpm_noise: float = 0.02, aperture: float = 10.0,
                 kick_limit: float = 3.0, **options):
        if "machine" in options or "line" in options:
            raise ValueError("MachineFamily draws its own machines: give no machine or line")
        self._draw = {"strength_spread": strength_spread, "offset_spread": offset_spread,
                      "reversed_probability": reversed_probability}
        draw_line(0, **self._draw)  # validates the spreads now, not at the first reset
        self._machine_options = {"bpm_noise": bpm_noise, "aperture": aperture, "kick_limit": kick_limit}
        super().__init__(Machine(**self._machine_options), **options)
        self.machines = 0
        self.shots = 0

    def reset(self, *, seed=None, options=None):
        """A new machine and a new initial trajectory error; returns (readings, info)."""
        if seed is not None:
            super(BeamlineEnv, self).reset(seed=seed)  # seeds self.np_random
        for _ in range(20):
            self.shots += self.machine.interactions
            self.machine = Machine(draw_line(self.np_random, **self._draw), seed=self.np_random,
                                   **self._machine_options)
            self.machines += 1
            try:
                return super().reset(seed=None, options=options)
            except RuntimeError:  # a machine on which every start loses the beam: the next one
                continue
        raise RuntimeError(f"20 machines in a row lose the beam from every start: the family "
                           f"{self._draw} is too far from the design")

    @property
    def interactions(self) -> int:
        """Every beam shot taken in this environment, on all its machines."""
        return self.shots + self.machine.interactions
