"""Reference models. Input scaling lives inside each model (as buffers in its state_dict),
so a saved model carries the scaling fitted on its training data.

Jets as sets of particles (:mod:`~hepcourse.models.sets`: :func:`pack`, :class:`PFN`,
:class:`EFN`; :mod:`~hepcourse.models.graphs`: :class:`ParticleNet`;
:mod:`~hepcourse.models.attention`: :class:`ParticleTransformer`) take packed jets
[N, P, F+1] (the constituents' features and the mask as a last channel) and return
logits [N, 1]."""
from .attention import ParticleTransformer
from .cnn import CNN
from .graphs import ParticleNet
from .mlp import MLP, ParameterizedMLP
from .sets import EFN, PFN, pack, unpack

__all__ = ["CNN", "EFN", "MLP", "PFN", "ParameterizedMLP", "ParticleNet", "ParticleTransformer",
           "pack", "unpack"]
