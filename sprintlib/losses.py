"""Softmax with cross-entropy, the output of every classifier in the sprints.

``Softmax().forward(A)`` gives class probabilities Z; ``loss(Y)`` the mean
cross-entropy; ``backward(Y)`` the gradient of that mean with respect to A, which
simplifies to ``(Z - Y) / N``. Y may be one-hot (N, K) or integer labels (N,).
Tested in tests/test_losses.py against tf.nn.softmax_cross_entropy_with_logits.
"""
from __future__ import annotations

import numpy as np

from . import _checks
from .layers.base import Layer


def softmax(A: np.ndarray) -> np.ndarray:
    """Row-wise softmax of A (N, K). Subtracting the row max avoids exp overflow."""
    E = np.exp(A - A.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def log_softmax(A: np.ndarray) -> np.ndarray:
    """Row-wise log of softmax(A), from the scores A (N, K): finite where a probability
    underflows to 0 (log Z would be -inf there, and a floor on Z would cap the loss)."""
    shifted = A - A.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def one_hot(y, n_classes: int, dtype=np.float64) -> np.ndarray:
    """Labels (N,) -> one-hot (N, n_classes)."""
    y = _checks.check_labels(y, "one_hot", n_classes)
    Y = np.zeros((y.shape[0], n_classes), dtype=dtype)
    Y[np.arange(y.shape[0]), y] = 1
    return Y


def cross_entropy(Z: np.ndarray, Y: np.ndarray) -> float:
    """Mean over the batch of -sum(Y log Z); Z are probabilities (N, K), Y one-hot (N, K).

    From probabilities a loss can only be computed up to -log(tiny) (708 in float64, 87 in
    float32): Softmax.loss, and a model's evaluate, compute it from the scores instead."""
    # the floor keeps log finite when a probability underflows to 0
    return float(-np.sum(Y * np.log(np.maximum(Z, np.finfo(Z.dtype).tiny))) / Z.shape[0])


class Softmax(Layer):
    """Softmax output layer with cross-entropy loss.

    ``forward(X)``: scores X (N, K) -> probabilities Z (N, K), each row summing to 1.
    ``loss(Y)`` and ``backward(Y)`` take the targets Y instead of a gradient (this is where
    backpropagation starts): one-hot or probability rows (N, K), or integer labels (N,).
    """

    def __init__(self, dtype=np.float64):
        super().__init__(None, dtype)

    def _input_spec(self, shape):
        return ("N", "K")

    def _forward(self, X):
        self.Z = softmax(X)  # kept for loss and backward (the caller gets a copy)
        self.log_Z = log_softmax(X)  # for loss: a confident wrong score costs what it should
        return self.Z

    def _targets(self, Y, method) -> np.ndarray:
        """Y as probability rows (N, K); labels become one-hot."""
        if self._out_shape is None:
            raise RuntimeError(f"{self.name}.{method} was called before forward: call forward(X) first")
        N, K = self.Z.shape
        if np.ndim(Y) == 1:
            return one_hot(_checks.check_labels(Y, self.name, K, N, "Y"), K, self.dtype)
        Y = _checks.as_array(Y, self.name, "Y", (N, K), self.dtype)
        # the gradient (Z - Y) / N is the cross-entropy's only when every row of Y is a
        # probability distribution: no negative entry, and a sum of 1
        if (Y < 0).any() or (Y > 1).any():
            raise ValueError(f"{self.name} expects Y with entries in [0, 1] (one-hot or probabilities), "
                             f"got values from {Y.min():g} to {Y.max():g}")
        sums = Y.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1) > 1e-6 * K)
        if bad.size:
            raise ValueError(f"{self.name} expects every row of Y to sum to 1 (one-hot or probabilities), "
                             f"got a sum of {sums[bad[0]]:g} in row {bad[0]}")
        return Y

    def loss(self, Y) -> float:
        """Mean cross-entropy of the last forward's Z against Y (N, K) one-hot or (N,) labels."""
        Y = self._targets(Y, "loss")
        return float(-np.sum(Y * self.log_Z) / self.Z.shape[0])

    def backward(self, Y) -> np.ndarray:
        """dX (N, K) = (Z - Y) / N, the gradient of the mean cross-entropy."""
        Y = self._targets(Y, "backward")
        return (self.Z - Y) / self.Z.shape[0]
