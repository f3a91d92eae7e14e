"""Self-checks of the chapter "How a neural network learns" (keys 2.x): the likelihood ratio
of the detector model, backpropagation by hand, the largest stable learning rate, and the
accuracy a Keras-style metric reports for several classes."""
from __future__ import annotations

import numpy as np

from .core import AnswerError, Feedback, array, auc, labels, number, register, value


@register("2.1", ("llr", "y_val"), "the exact K-vs-π log-likelihood ratio of every validation track")
def _likelihood_ratio(llr, y_val):
    y = labels(y_val, "y_val", "the label of each validation track: 0 (π) or 1 (K)")
    ratio = array(llr, "llr", "one log-likelihood ratio ln L_K − ln L_π per validation track",
                  length=len(y), length_of="`y_val`")
    return auc(y, ratio, good=0.85, name="AUC of the likelihood ratio",
               hint="ln L_h = −½ ((dE/dx − μ_h)/σ_h)² − ln σ_h with μ_h = expected_dedx(p, m_h) and "
                    "σ_h = 5.5% of μ_h; the ratio is ln L_K − ln L_π (large: kaon-like).")


def _tensor(got, variable: str, what: str, ndim: int, length: int | None = None):
    import torch

    return torch.tensor(array(got, variable, what, ndim=ndim, length=length), dtype=torch.float64)


_NETWORK = "`W1`, `b1`, `w2`, `b2` and the batch `X_small`, `y_small`"


@register("2.2", ("W1", "b1", "w2", "b2", "X_small", "y_small", "grad_X"),
          "the gradient of the mean BCE loss with respect to the inputs, by hand")
def _input_gradient(W1, b1, w2, b2, X_small, y_small, grad_X):
    import torch

    X = _tensor(X_small, "X_small", "the inputs [N, 2] (log10 p, dE/dx) of the small batch", ndim=2)
    if X.shape[1] != 2:
        raise AnswerError(f"`X_small` has shape {tuple(X.shape)}; expected [N, 2]: two inputs per track.")
    X.requires_grad_(True)
    n = X.shape[0]
    weights = _tensor(W1, "W1", "the hidden weights [H, 2]", ndim=2)
    if weights.shape[1] != 2:
        raise AnswerError(f"`W1` has shape {tuple(weights.shape)}; expected [H, 2] for two inputs.")
    hidden = weights.shape[0]
    bias1 = _tensor(b1, "b1", "the hidden biases [H]", ndim=1, length=hidden)
    out_weights = _tensor(w2, "w2", "the output weights [H]", ndim=1, length=hidden)
    bias2 = number(b2, "b2", "the output bias (a number)")
    y = torch.tensor(labels(y_small, "y_small", "labels 0 and 1 of the small batch", length=n, need=()),
                     dtype=torch.float64)
    given = array(grad_X, "grad_X", f"dL/dX, the shape of X_small ({n}, 2)", ndim=2)
    if given.shape != (n, 2):
        return Feedback(False, f"`grad_X` has shape {given.shape}; dL/dX has the shape of X_small, ({n}, 2).")
    logit = torch.tanh(X @ weights.T + bias1) @ out_weights + bias2
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, y)
    (truth,) = torch.autograd.grad(loss, X)
    truth = truth.numpy()
    scale = float(np.max(np.abs(truth))) or 1.0
    error = float(np.max(np.abs(given - truth))) / scale
    if error < 1e-6:
        return Feedback(True, f"your dL/dX agrees with autograd (largest difference {error:.1e} of the "
                              "largest entry).", {"difference": error})
    ratio = float(np.sum(given * truth) / max(np.sum(truth * truth), 1e-300))
    hint = ("Backwards: dL/dz2 = (σ(z2) − y)/N, dL/dh = dL/dz2 · w2, dL/dz1 = dL/dh · (1 − h²) "
            "(the tanh derivative), dL/dX = dL/dz1 · W1.")
    if abs(ratio / n - 1) < 1e-3:
        hint = "You are off by a factor N: the loss is the MEAN over the batch, so dL/dz2 = (σ(z2) − y)/N."
    return Feedback(False, f"your `grad_X` differs from autograd's gradient for the network {_NETWORK} by "
                           f"{error:.2g} of the largest entry. {hint}", {"difference": error})


@register("2.3", ("hessian", "lr_max", "dedx_low", "y_low", "w_min"),
          "the Hessian of the loss surface at its minimum and the largest stable learning rate")
def _largest_learning_rate(hessian, lr_max, dedx_low, y_low, w_min):
    y = labels(y_low, "y_low", "the labels 0 (π) and 1 (K) of the low-momentum tracks")
    x = array(dedx_low, "dedx_low", "the dE/dx (MIP) of the low-momentum tracks", length=len(y),
              length_of="`y_low`")
    w = array(w_min, "w_min", "the minimum (w, b) of the surface", length=2)
    H = array(hessian, "hessian", "the 2×2 matrix of second derivatives of the mean BCE in (w, b)", ndim=2)
    if H.shape != (2, 2):
        return Feedback(False, f"`hessian` has shape {H.shape}; the surface has two parameters (w, b): 2×2.")
    design = np.stack([x, np.ones_like(x)], axis=1)
    p = 1.0 / (1.0 + np.exp(-(design @ w)))
    truth = (design * (p * (1 - p))[:, None]).T @ design / len(x)
    if not np.allclose(H, truth, rtol=0.02, atol=1e-6 * np.abs(truth).max()):
        return Feedback(False, "your `hessian` differs from the one of the mean BCE at `w_min`: for "
                               "logistic regression H = mean over tracks of σ(1 − σ)·[x, 1]ᵀ[x, 1].")
    limit = 2.0 / float(np.linalg.eigvalsh(truth).max())
    return value("the largest stable learning rate", lr_max, 0.97 * limit, 1.03 * limit, variable="lr_max",
                 hint="On a quadratic bowl gradient descent multiplies the distance along each "
                      "eigenvector by (1 − lr·λ): it diverges when |1 − lr·λ_max| > 1, i.e. lr > 2/λ_max.")


@register("2.4", ("probs", "y3_val", "categorical_accuracy", "binary_accuracy"),
          "the true (categorical) accuracy and the accuracy a Keras-style binary metric reports")
def _keras_accuracy(probs, y3_val, categorical_accuracy, binary_accuracy):
    y = labels(y3_val, "y3_val", "the class of each validation track (0, 1, 2)", classes=None, need=())
    P = array(probs, "probs", "class probabilities [N, C]", ndim=2, low=0.0, high=1.0)
    if P.shape[0] != len(y) or P.shape[1] <= int(y.max()):
        return Feedback(False, f"`probs` has shape {P.shape} for the {len(y)} tracks of `y3_val` with labels "
                               f"up to {int(y.max())}: one row per track, one column per class.")
    truth = float(np.mean(P.argmax(axis=1) == y))
    one_hot = np.eye(P.shape[1])[y]
    keras = float(np.mean((P > 0.5) == (one_hot > 0.5)))
    result = value("the categorical accuracy", categorical_accuracy, truth - 1e-6, truth + 1e-6,
                   variable="categorical_accuracy",
                   hint="The fraction of tracks whose most probable class (argmax) is the true one.")
    if not result:
        return result
    return value("the binary accuracy", binary_accuracy, keras - 1e-6, keras + 1e-6, variable="binary_accuracy",
                 hint="Keras's binary accuracy thresholds EVERY output at 0.5 and compares it with the "
                      "one-hot label: it averages over N × C entries, not over N tracks.")
