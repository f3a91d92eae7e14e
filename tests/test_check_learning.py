"""The self-checks of chapter 2 (how a network learns) accept the reference answer and
reject the typical mistake of each problem."""
from __future__ import annotations

import numpy as np
import pytest

from hepcourse.course import check


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def learning_reference(key: str) -> dict:
    """A namespace holding a correct answer to problem ``key`` (2.1-2.4)."""
    rng = np.random.default_rng(7)
    if key == "2.1":
        y = rng.integers(0, 2, 3000)
        return {"llr": 4.0 * (y - 0.5) + rng.normal(size=y.size), "y_val": y}
    if key == "2.2":
        W1, b1, w2, b2 = rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=3), 0.1
        X, y = rng.normal(size=(5, 2)), np.array([0, 1, 0, 1, 1])
        h = np.tanh(X @ W1.T + b1)
        dz2 = (_sigmoid(h @ w2 + b2) - y) / len(y)
        grad_X = (dz2[:, None] * w2[None, :] * (1 - h**2)) @ W1
        return {"W1": W1, "b1": b1, "w2": w2, "b2": b2, "X_small": X, "y_small": y, "grad_X": grad_X}
    if key == "2.3":
        y = rng.integers(0, 2, 2000)
        x = np.where(y == 1, 3.0, 1.5) * (1 + 0.1 * rng.normal(size=y.size))
        w = np.array([4.0, -9.0])
        design = np.stack([x, np.ones_like(x)], 1)
        p = _sigmoid(design @ w)
        hessian = (design * (p * (1 - p))[:, None]).T @ design / len(x)
        return {"hessian": hessian, "lr_max": 2 / np.linalg.eigvalsh(hessian).max(), "dedx_low": x,
                "y_low": y, "w_min": w}
    if key == "2.4":
        y = rng.integers(0, 3, 2000)
        probs = rng.dirichlet(np.ones(3), size=y.size)
        probs[np.arange(y.size), y] += 0.4
        probs /= probs.sum(1, keepdims=True)
        one_hot = np.eye(3)[y]
        return {"probs": probs, "y3_val": y, "categorical_accuracy": float(np.mean(probs.argmax(1) == y)),
                "binary_accuracy": float(np.mean((probs > 0.5) == (one_hot > 0.5)))}
    raise KeyError(key)


@pytest.mark.parametrize("key", ["2.1", "2.2", "2.3", "2.4"])
def test_the_reference_passes(key):
    feedback = check.exercise(key, learning_reference(key))
    assert feedback, feedback.message


def test_an_inverted_likelihood_ratio_is_rejected():
    answer = learning_reference("2.1")
    feedback = check.exercise("2.1", {**answer, "llr": -answer["llr"]})  # ln L_pi - ln L_K
    assert not feedback and "below 0.5" in feedback.message


def test_backpropagation_without_the_tanh_derivative_or_the_mean_is_rejected():
    answer = learning_reference("2.2")
    X, W1, b1, w2, y = (answer[k] for k in ("X_small", "W1", "b1", "w2", "y_small"))
    h = np.tanh(X @ W1.T + b1)
    dz2 = (_sigmoid(h @ w2 + answer["b2"]) - y) / len(y)
    no_derivative = (dz2[:, None] * w2[None, :]) @ W1
    feedback = check.exercise("2.2", {**answer, "grad_X": no_derivative})
    assert not feedback and "(1 − h²)" in feedback.message
    feedback = check.exercise("2.2", {**answer, "grad_X": len(y) * answer["grad_X"]})  # the sum, not the mean
    assert not feedback and "factor N" in feedback.message


def test_a_wrong_learning_rate_limit_or_hessian_is_rejected():
    answer = learning_reference("2.3")
    feedback = check.exercise("2.3", {**answer, "lr_max": answer["lr_max"] / 2})  # 1/lambda_max
    assert not feedback and "2/λ_max" in feedback.message
    feedback = check.exercise("2.3", {**answer, "hessian": 2 * answer["hessian"]})  # without the 1/2 of BCE'' ...
    assert not feedback and "`hessian` differs" in feedback.message


def test_swapped_accuracies_are_rejected():
    answer = learning_reference("2.4")
    swapped = {**answer, "categorical_accuracy": answer["binary_accuracy"],
               "binary_accuracy": answer["categorical_accuracy"]}
    feedback = check.exercise("2.4", swapped)
    assert not feedback and "argmax" in feedback.message
    feedback = check.exercise("2.4", {**answer, "binary_accuracy": answer["categorical_accuracy"]})
    assert not feedback and "N × C entries" in feedback.message
