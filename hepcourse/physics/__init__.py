"""Physics written once: kinematics (:mod:`~hepcourse.physics.kinematics`: Breit-Wigner
sampling, two-body decays, parents from (m, pT, y, φ), isotropic directions, φ wrapping)
and detector response (:mod:`~hepcourse.physics.detector`: Bethe-Bloch, time of flight,
helix path length, Cherenkov threshold, angle and yield, tracker and calorimeter
resolutions), the tracker + calorimeter of the jets sample
(:mod:`~hepcourse.physics.jet_detector`) and linear beam optics
(:mod:`~hepcourse.physics.optics`: transfer matrices, Twiss functions, the orbit response of
a transfer line). The simulators, the environments and the analysis code call these.
"""
from .kinematics import SQRT_S, breit_wigner, from_pt_rapidity, isotropic, two_body_decay, wrap_phi

__all__ = ["SQRT_S", "breit_wigner", "from_pt_rapidity", "isotropic", "two_body_decay", "wrap_phi"]
