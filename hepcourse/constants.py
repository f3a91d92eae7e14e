"""Physical constants of the course: PDG masses and widths from the ``particle`` package
(converted to GeV) and the speed of light. Natural units (c = 1) for energies and momenta.
"""
from __future__ import annotations

from particle import Particle

C_LIGHT = 0.299792458  # speed of light, m/ns


def _gev(pdgid: int, attribute: str = "mass") -> float:
    return getattr(Particle.from_pdgid(pdgid), attribute) / 1000.0


E_MASS = _gev(11)
MU_MASS = _gev(13)
PI_MASS = _gev(211)
K_MASS = _gev(321)
P_MASS = _gev(2212)
C_MASS = _gev(4)
B_MASS = _gev(5)
T_MASS, T_WIDTH = _gev(6), _gev(6, "width")
W_MASS, W_WIDTH = _gev(24), _gev(24, "width")
Z_MASS, Z_WIDTH = _gev(23), _gev(23, "width")

#: Charged species of the PID chapter: short name -> PDG id, and their masses (GeV).
PDG_IDS = {"e": 11, "mu": 13, "pi": 211, "K": 321, "p": 2212}
MASSES = {name: _gev(pdg) for name, pdg in PDG_IDS.items()}
