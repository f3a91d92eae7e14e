"""Reference models. Input scaling lives inside each model (as buffers in its state_dict),
so a saved model carries the scaling fitted on its training data."""
from .cnn import CNN
from .mlp import MLP, ParameterizedMLP

__all__ = ["CNN", "MLP", "ParameterizedMLP"]
