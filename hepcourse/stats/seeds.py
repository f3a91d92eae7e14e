"""Seed ensembles: a number measured with several random seeds, and its spread."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .. import validate

__all__ = ["SeedSpread", "over_seeds", "seed_spread"]


@dataclass
class SeedSpread:
    """A number measured with several seeds: mean, standard deviation between seeds
    (ddof = 1), standard error of the mean, the values themselves and (from
    :func:`over_seeds`) the seeds that gave them."""

    mean: float
    std: float
    error: float
    values: tuple
    seeds: tuple = ()

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.std:.4f} (spread of {len(self.values)} seeds)"


def seed_spread(values) -> SeedSpread:
    """Summarise one quantity measured over seeds (at least two values)."""
    v = validate.reals(values, "values", ndim=1)
    if v.size < 2:
        raise ValueError(f"values: a seed spread needs at least two seeds; got {v.size}")
    std = float(np.std(v, ddof=1))
    return SeedSpread(float(v.mean()), std, std / np.sqrt(v.size), tuple(float(x) for x in v))


def over_seeds(function, seeds) -> SeedSpread:
    """Run ``function(seed)`` once per seed and summarise the numbers it returns.

    function: a callable taking one int seed and returning one finite number (a float, a
    0-d array or a one-element tensor: anything ``float()`` accepts), e.g. the test AUC of
    a network trained with that seed. seeds: at least two distinct ints ≥ 0, e.g.
    ``range(5)``. Returns a :class:`SeedSpread` whose ``values`` follow ``seeds`` (kept in
    ``seeds``).

    >>> over_seeds(lambda seed: train(seed=seed).auc, range(5))
    """
    if not callable(function):
        raise TypeError(f"function={function!r}: expected a callable taking a seed")
    seeds = validate.counts(seeds, "seeds", minimum=0)
    if len(seeds) < 2:
        raise ValueError(f"seeds={seeds!r}: a seed spread needs at least two seeds")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds={seeds!r}: a repeated seed repeats the same run")
    values = []
    for seed in seeds:
        result = function(seed)
        try:
            number = float(result)
        except (TypeError, ValueError):
            raise TypeError(f"function({seed}) returned {result!r}: expected one number") from None
        if not math.isfinite(number):
            raise ValueError(f"function({seed}) returned {number}: expected a finite number")
        values.append(number)
    return replace(seed_spread(values), seeds=seeds)
