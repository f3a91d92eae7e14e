"""Training: :func:`fit` (early stopping, best checkpoint, learning-rate schedule, device,
mixed precision, torch.compile, data parallelism under torchrun, resumable state, progress
bar, a returned :class:`History`) and :func:`predict`.

>>> from hepcourse.train import fit, predict
>>> history = fit(model, (X_train, y_train), (X_val, y_val), epochs=20)
>>> scores = predict(model, X_test)          # sigmoid probabilities [N]

The data stay in memory as tensors on the training device and each epoch is a seeded
permutation of their indices, cut into large batches (4096 by default) — no per-sample
DataLoader. See :mod:`hepcourse.train.loop` for ``fit`` (its pieces:
:mod:`~hepcourse.train.losses`, :mod:`~hepcourse.train.epoch`, :mod:`~hepcourse.train.state`),
:mod:`hepcourse.train.schedule` for the learning-rate rule, :mod:`~hepcourse.train.precision`,
:mod:`~hepcourse.train.distributed` and :mod:`~hepcourse.train.resume` for chapter 8's
additions, and ``python -m hepcourse.train --help`` for the command line (which
``torchrun`` launches on several processes, GPUs or nodes).
"""
from .devices import device
from .history import History
from .loop import evaluate, fit, predict
from .resume import StateError, load_state
from .schedule import default_lr

__all__ = ["History", "StateError", "default_lr", "device", "evaluate", "fit", "load_state",
           "predict"]
