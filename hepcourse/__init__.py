"""hepcourse: data, physics simulation, training, statistics, plotting and reference
models for the course "Deep learning for particle physics".

Subpackages and modules, by topic (import them directly, e.g. ``from hepcourse import data``):

- :mod:`hepcourse.config`     every ``HEPCOURSE_*`` setting; ``smoke()`` and ``size()``
- :mod:`hepcourse.constants`  PDG masses and widths (from ``particle``), c
- :mod:`hepcourse.physics`    kinematics, detector response and beam optics, each written once
- :mod:`hepcourse.data`       the dataset registry and ``load(name, source=...)``
- :mod:`hepcourse.simulate`   seeded physics generators, one per dataset
- :mod:`hepcourse.envs`       gymnasium environments (steering a beam) and their classical answer
- :mod:`hepcourse.stats`      intervals, working points, significance, calibration
- :mod:`hepcourse.analysis`   analysis steps: Z-peak fit, candidates, PID, jet features
- :mod:`hepcourse.models`     reference networks (input scaling inside the model)
- :mod:`hepcourse.train`      ``fit``/``predict``: the training loop
- :mod:`hepcourse.plot`       drawing only
- :mod:`hepcourse.course`     self-checks, the project and its scorer, teaching builds
- :mod:`hepcourse.cli`        the ``hepcourse`` command
"""
import logging
from importlib.metadata import PackageNotFoundError, version

from .config import size, smoke

try:
    __version__ = version("hepcourse")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__", "size", "smoke"]
