"""Sampling helpers shared by the generators: falling spectra (power laws and tabulated
densities by inverse CDF) and the accept loop that draws until enough events pass a
selection, and refuses to loop for ever when none does.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

#: Draws in a row without one accepted event after which :func:`accepted` gives up.
EMPTY_DRAWS = 50


def power_law(rng: np.random.Generator, size, low: float, high: float = np.inf,
              index: float = 4.0) -> np.ndarray:
    """Values from dN/dx ∝ x^-index on [low, high] by inverse CDF (``high`` may be inf;
    needs index > 1 then). ``size``: an int or a shape. Returns float64 of that shape."""
    a, b = low ** (1 - index), high ** (1 - index)
    return (a + rng.uniform(size=size) * (b - a)) ** (1 / (1 - index))


def tabulated(rng: np.random.Generator, n: int, grid: np.ndarray, density: np.ndarray) -> np.ndarray:
    """n values from a density tabulated on ``grid`` (increasing, [G]; ``density`` [G],
    ≥ 0, any normalisation): inverse of the trapezoidal cumulative, linear in between."""
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(grid))])
    return np.interp(rng.uniform(0.0, cdf[-1], n), cdf, grid)


def accepted(draw: Callable[[int], object], n: int, what: str,
             size: Callable[[object], int] = len) -> Iterator:
    """Blocks of accepted events until there are ``n`` in all.

    ``draw(missing)`` generates a trial sample and returns its accepted events, at most
    ``missing`` of them; ``size(block)`` counts them (default ``len``). Each non-empty
    block is yielded.
    Raises RuntimeError naming ``what`` when :data:`EMPTY_DRAWS` draws in a row accept
    nothing (a selection that the options make impossible), instead of looping for ever.
    """
    have, empty = 0, 0
    while have < n:
        block = draw(n - have)
        count = size(block)
        if count == 0:
            empty += 1
            if empty >= EMPTY_DRAWS:
                raise RuntimeError(f"{what}: {EMPTY_DRAWS} trial samples in a row gave no event "
                                   "that passes the selection; check the options")
            continue
        empty = 0
        have += count
        yield block
