"""Interactive simulators for reinforcement learning (``gymnasium`` environments, the
``beam`` extra): :mod:`~hepcourse.envs.beamline` steers an electron beam through a
transfer line (:class:`~hepcourse.envs.beamline.Machine`,
:class:`~hepcourse.envs.beamline.BeamlineEnv`) and :mod:`~hepcourse.envs.correction` is
the classical answer (response matrix, truncated SVD). :mod:`~hepcourse.envs.family`
draws a changed machine per episode, :mod:`~hepcourse.envs.agents` trains PPO and SAC
(stable-baselines3) and evaluates any policy, and :mod:`~hepcourse.envs.optimise` is the
Bayesian-optimisation baseline. The optics is
:mod:`hepcourse.physics.optics`.

Unlike :mod:`hepcourse.simulate` (a generator per dataset, same schema as the real data),
an environment answers actions one beam shot at a time, and counts the shots.
"""
from .beamline import BeamlineEnv, Machine
from .correction import measure_response, svd_episode, svd_inverse

__all__ = ["BeamlineEnv", "Machine", "measure_response", "svd_episode", "svd_inverse"]
