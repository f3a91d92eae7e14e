"""Reference models. Input scaling lives inside each model (as buffers in its state_dict),
so a saved model carries the scaling fitted on its training data.

Jets as sets of particles (:mod:`~hepcourse.models.sets`: :func:`pack`, :class:`PFN`,
:class:`EFN`; :mod:`~hepcourse.models.graphs`: :class:`ParticleNet`;
:mod:`~hepcourse.models.attention`: :class:`ParticleTransformer`) take packed jets
[N, P, F+1] (the constituents' features and the mask as a last channel) and return
logits [N, 1]. Anomaly detection (chapter 7): :mod:`~hepcourse.models.autoencoder`
(:class:`JetAutoencoder` on jet images) and :mod:`~hepcourse.models.flows`
(:class:`ConditionalFlow`, a conditional density p(x | m))."""
from .attention import ParticleTransformer
from .autoencoder import JetAutoencoder, fit_autoencoder, reconstruction_error
from .cnn import CNN
from .flows import ConditionalFlow
from .graphs import ParticleNet
from .mlp import MLP, ParameterizedMLP
from .sets import EFN, PFN, pack, unpack

__all__ = ["CNN", "ConditionalFlow", "EFN", "JetAutoencoder", "MLP", "PFN", "ParameterizedMLP", "ParticleNet",
           "ParticleTransformer", "fit_autoencoder", "pack", "reconstruction_error", "unpack"]
