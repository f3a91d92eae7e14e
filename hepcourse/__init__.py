"""hepcourse: data, physics simulation, training, plotting and reference models for the
course "Deep learning for particle physics".

Modules (import them directly, e.g. ``from hepcourse import data``):

- :mod:`hepcourse.data`      the dataset registry and ``load(name, source=...)``
- :mod:`hepcourse.simulate`  seeded physics generators, one per dataset
- :mod:`hepcourse.plot`      physics plots (data vs fit with pulls, ROC, histories, ...)
- :mod:`hepcourse.config`    run-time settings (smoke mode)
"""
from .config import size, smoke

__version__ = "0.1.0"
__all__ = ["size", "smoke", "__version__"]
