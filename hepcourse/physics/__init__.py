"""Physics written once: kinematics (:mod:`~hepcourse.physics.kinematics`: Breit-Wigner
sampling, two-body decays, φ wrapping) and detector response
(:mod:`~hepcourse.physics.detector`: Bethe-Bloch, time of flight, Cherenkov angle,
momentum resolution). The simulators and the analysis code both call these.
"""
from .kinematics import breit_wigner, isotropic, two_body_decay, wrap_phi

__all__ = ["breit_wigner", "isotropic", "two_body_decay", "wrap_phi"]
