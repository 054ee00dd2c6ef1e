"""Softmax with cross-entropy, the output of every classifier in the sprints.

``Softmax().forward(A)`` gives class probabilities Z; ``loss(Y)`` the mean
cross-entropy; ``backward(Y)`` the gradient of that mean with respect to A, which
simplifies to ``(Z - Y) / N``. Y may be one-hot (N, K) or integer labels (N,).
Tested in tests/test_losses.py against tf.nn.softmax_cross_entropy_with_logits.
"""
from __future__ import annotations

import numpy as np

from . import _checks


def softmax(A: np.ndarray) -> np.ndarray:
    """Row-wise softmax of A (N, K). Subtracting the row max avoids exp overflow."""
    E = np.exp(A - A.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def one_hot(y, n_classes: int, dtype=np.float64) -> np.ndarray:
    """Labels (N,) -> one-hot (N, n_classes)."""
    y = _checks.check_labels(y, "one_hot", n_classes)
    Y = np.zeros((y.shape[0], n_classes), dtype=dtype)
    Y[np.arange(y.shape[0]), y] = 1
    return Y


def cross_entropy(Z: np.ndarray, Y: np.ndarray) -> float:
    """Mean over the batch of -sum(Y log Z); Z are probabilities (N, K), Y one-hot (N, K)."""
    # the floor keeps log finite when a probability underflows to 0
    return float(-np.sum(Y * np.log(np.maximum(Z, np.finfo(Z.dtype).tiny))) / Z.shape[0])


class Softmax:
    """Softmax output layer with cross-entropy loss."""

    def __init__(self, dtype=np.float64):
        self.dtype = np.dtype(dtype)
        self.Z = None

    def forward(self, A):
        """A (N, K) scores -> Z (N, K) probabilities."""
        A = _checks.check_array(A, "Softmax", "A", ("N", "K"), self.dtype)
        self.Z = softmax(A)
        return self.Z

    def _targets(self, Y) -> np.ndarray:
        if self.Z is None:
            raise RuntimeError("Softmax.loss/backward was called before forward: call forward(A) first")
        N, K = self.Z.shape
        if np.ndim(Y) == 1:
            return one_hot(_checks.check_labels(Y, "Softmax", K, N, "Y"), K, self.dtype)
        return _checks.check_array(Y, "Softmax", "Y", (N, K), self.dtype)

    def loss(self, Y) -> float:
        """Mean cross-entropy of the last forward's Z against Y (N, K) one-hot or (N,) labels."""
        Y = self._targets(Y)
        return cross_entropy(self.Z, Y)

    def backward(self, Y) -> np.ndarray:
        """dA (N, K) = (Z - Y) / N, the gradient of the mean cross-entropy."""
        Y = self._targets(Y)
        return (self.Z - Y) / self.Z.shape[0]
