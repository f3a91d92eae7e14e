"""Linear beam optics of a transfer line in one transverse plane: drifts, thin-lens
quadrupoles, dipole correctors and beam position monitors (BPMs) as 2×2 transfer matrices,
the Twiss functions (β, α, phase advance μ) propagated from the incoming ones, tracking of
trajectories, and the analytic orbit response √(β_i β_j) sin(μ_i − μ_j).

A trajectory is (x, x') with x in mm and x' in mrad; lengths in m (mm = mrad · m, so the
matrices need no unit factors), quadrupole focal lengths in m, β in m, μ in rad.

The element matrices (Wiedemann, *Particle Accelerator Physics*, ch. 7):

- drift of length L:              [[1, L], [0, 1]]
- thin quadrupole, focal length f: [[1, 0], [−1/f, 1]]  (f > 0 focuses in this plane; the
  same magnet has −f in the other plane)
- corrector kick θ:               x' → x' + θ (a dipole; it changes no matrix)
- BPM:                            reads x (the identity matrix)

A thin quadrupole whose centre is displaced by d from the reference orbit kicks the beam by
+d/f: x' → x' − (x − d)/f. A displacement adds a constant kick and leaves the response
matrix as it is; a wrong focal length (a mis-powered magnet) changes the response matrix.

Twiss propagation through M = [[C, S], [C', S']] (Wiedemann eq. 8.23 and the phase
advance tan Δμ = S / (C β₀ − S α₀)):
β₁ = C² β₀ − 2 C S α₀ + S² γ₀,  α₁ = −C C' β₀ + (C S' + S C') α₀ − S S' γ₀,  γ = (1 + α²)/β.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import validate

KINDS = ("drift", "quad", "corrector", "bpm")


@dataclass(frozen=True)
class Element:
    """One element: ``kind`` in :data:`KINDS`; ``value`` the drift length [m] or the
    quadrupole focal length [m] (0 for correctors and BPMs); ``offset`` the quadrupole's
    transverse displacement [mm]."""

    kind: str
    value: float = 0.0
    offset: float = 0.0

    def matrix(self) -> np.ndarray:
        """The 2×2 transfer matrix of the element."""
        if self.kind == "drift":
            return np.array([[1.0, self.value], [0.0, 1.0]])
        if self.kind == "quad":
            return np.array([[1.0, 0.0], [-1.0 / self.value, 1.0]])
        return np.eye(2)


@dataclass(frozen=True)
class TransferLine:
    """A transfer line: elements in beam order and the incoming Twiss functions.

    ``beta0`` [m] and ``alpha0`` are the Twiss functions at the entrance; the default
    :func:`fodo_line` sets them to the periodic (matched) solution of its cell.
    """

    elements: tuple[Element, ...]
    beta0: float
    alpha0: float

    def __post_init__(self):
        for i, e in enumerate(self.elements):
            validate.choice(e.kind, f"elements[{i}].kind", KINDS)
            validate.real(e.value, f"elements[{i}].value")
            validate.real(e.offset, f"elements[{i}].offset")
            if e.kind == "quad" and e.value == 0:
                raise ValueError(f"elements[{i}]: a quadrupole needs a non-zero focal length")
            if e.kind == "drift" and e.value < 0:
                raise ValueError(f"elements[{i}]: a drift length must be ≥ 0 m")
        validate.positive(self.beta0, "beta0")
        validate.real(self.alpha0, "alpha0")

    def where(self, kind: str) -> np.ndarray:
        """Indices (into ``elements``) of the elements of ``kind``, in beam order."""
        return np.array([i for i, e in enumerate(self.elements) if e.kind == kind], dtype=int)

    @property
    def length(self) -> float:
        """Total length [m]."""
        return float(sum(e.value for e in self.elements if e.kind == "drift"))

    def _quad(self, quad: int) -> int:
        quads = self.where("quad")
        quad = validate.count(quad, "quad", minimum=0, maximum=len(quads) - 1)
        return int(quads[quad])

    def mispowered(self, quad: int, factor: float) -> TransferLine:
        """The same line with quadrupole number ``quad`` (0-based, in beam order) powered
        at ``factor`` times its nominal strength (its focal length divided by ``factor``;
        a negative factor is a reversed polarity)."""
        factor = validate.real(factor, "factor")
        if factor == 0:
            raise ValueError("factor=0: a switched-off quadrupole is a drift; use a small factor")
        index = self._quad(quad)
        element = self.elements[index]
        changed = replace(element, value=element.value / factor)
        return replace(self, elements=self.elements[:index] + (changed,) + self.elements[index + 1:])

    def misaligned(self, quad: int, offset: float) -> TransferLine:
        """The same line with quadrupole number ``quad`` displaced by ``offset`` [mm]."""
        index = self._quad(quad)
        changed = replace(self.elements[index], offset=validate.real(offset, "offset"))
        return replace(self, elements=self.elements[:index] + (changed,) + self.elements[index + 1:])


def fodo_line(n_cells: int = 10, *, half_cell: float = 1.0, focal_length: float = 1.0,
              corrector_to_quad: float = 0.3, plane: str = "x") -> TransferLine:
    """A line of ``n_cells`` half-cells, each [corrector, drift, quadrupole, drift, BPM],
    with the quadrupoles alternately focusing and defocusing (focal length ±``focal_length``
    m) and ``half_cell`` m between quadrupoles. ``plane``: "x" (horizontal; the first
    quadrupole focuses) or "y" (vertical: every quadrupole's sign flips). Without skew
    elements the planes do not couple, so each is a line of its own with its own
    correctors and BPMs; the environment steers one.

    The defaults give 10 correctors and 10 BPMs, as the AWAKE electron line that Kain et
    al. (PRAB 23, 124801, 2020) steered with reinforcement learning, over 10 m, with
    sin(μ_cell/2) = half_cell/(2 f) (60° per FODO cell). The incoming Twiss functions are
    the periodic solution of the FODO cell, so the beam enters matched. This is an
    illustration of such a line, not AWAKE's real optics.
    """
    n_cells = validate.count(n_cells, "n_cells", minimum=2)
    half_cell = validate.positive(half_cell, "half_cell")
    focal_length = validate.positive(focal_length, "focal_length")
    first = validate.real(corrector_to_quad, "corrector_to_quad", low=0.0, high=half_cell)
    sign = 1.0 if validate.choice(plane, "plane", ("x", "y")) == "x" else -1.0
    elements = []
    for i in range(n_cells):
        f = sign * (focal_length if i % 2 == 0 else -focal_length)
        elements += [Element("corrector"), Element("drift", first), Element("quad", f),
                     Element("drift", half_cell - first), Element("bpm")]
    cell = tuple(elements[:10])  # one full FODO period, F then D
    beta0, alpha0 = periodic_twiss(cell)
    return TransferLine(tuple(elements), beta0, alpha0)


def matrix(elements) -> np.ndarray:
    """The 2×2 transfer matrix of a sequence of elements (the first one acts first)."""
    total = np.eye(2)
    for element in elements:
        total = element.matrix() @ total
    return total


def periodic_twiss(cell) -> tuple[float, float]:
    """(β [m], α) that repeat themselves through the periodic ``cell`` (a sequence of
    elements): cos μ = (M11 + M22)/2, β = M12 / sin μ, α = (M11 − M22)/(2 sin μ).
    Raises ValueError when the cell is unstable (|cos μ| ≥ 1)."""
    m = matrix(cell)
    cos_mu = 0.5 * np.trace(m)
    if abs(cos_mu) >= 1:
        raise ValueError(f"the cell is unstable (cos μ = {cos_mu:.3f}); weaken the quadrupoles")
    sin_mu = np.sign(m[0, 1]) * np.sqrt(1 - cos_mu**2)
    return float(m[0, 1] / sin_mu), float((m[0, 0] - m[1, 1]) / (2 * sin_mu))


def twiss(line: TransferLine) -> dict[str, np.ndarray]:
    """β [m], α and phase advance μ [rad] (from the entrance, not wrapped) at the exit
    of every element, propagated from ``line.beta0`` and ``line.alpha0``. Arrays [E]."""
    beta, alpha, mu = line.beta0, line.alpha0, 0.0
    out = {"beta": [], "alpha": [], "mu": []}
    for element in line.elements:
        (c, s), (cp, sp) = element.matrix()
        gamma = (1 + alpha**2) / beta
        mu += np.arctan2(s, c * beta - s * alpha)
        beta, alpha = (c * c * beta - 2 * c * s * alpha + s * s * gamma,
                       -c * cp * beta + (c * sp + s * cp) * alpha - s * sp * gamma)
        for key, value in (("beta", beta), ("alpha", alpha), ("mu", mu)):
            out[key].append(value)
    return {key: np.array(value) for key, value in out.items()}


def track(line: TransferLine, x0, xp0, kicks) -> np.ndarray:
    """Trajectories through the line: x [mm] at the exit of every element.

    ``x0`` [mm] and ``xp0`` [mrad]: the incoming position and angle, arrays [B] (or
    numbers); ``kicks`` [mrad]: the corrector settings, [B, K] or [K] with K the number of
    correctors. Returns float64 [B, E] (E elements); BPM readings are the columns
    ``line.where("bpm")``.
    """
    kicks = np.atleast_2d(np.asarray(kicks, dtype=float))
    x = np.broadcast_to(np.asarray(x0, dtype=float), kicks.shape[:1]).copy()
    xp = np.broadcast_to(np.asarray(xp0, dtype=float), kicks.shape[:1]).copy()
    if kicks.shape[1] != len(line.where("corrector")):
        raise ValueError(f"kicks: expected {len(line.where('corrector'))} corrector settings per "
                         f"trajectory, got shape {kicks.shape}")
    positions, corrector = [], 0
    for element in line.elements:
        if element.kind == "drift":
            x = x + element.value * xp
        elif element.kind == "quad":
            xp = xp - (x - element.offset) / element.value
        elif element.kind == "corrector":
            xp = xp + kicks[:, corrector]
            corrector += 1
        positions.append(x)
    return np.stack(positions, axis=1)


def response(line: TransferLine) -> np.ndarray:
    """The analytic orbit response matrix [mm/mrad], [BPMs, correctors]:
    R_ij = √(β_i β_j) sin(μ_i − μ_j) for BPM i downstream of corrector j, 0 upstream
    (a transfer line has no closed orbit: a kick cannot move the beam before it)."""
    functions = twiss(line)
    bpms, correctors = line.where("bpm"), line.where("corrector")
    beta, mu = functions["beta"], functions["mu"]
    r = np.sqrt(np.outer(beta[bpms], beta[correctors])) * np.sin(np.subtract.outer(mu[bpms], mu[correctors]))
    return np.where(np.subtract.outer(bpms, correctors) > 0, r, 0.0)
