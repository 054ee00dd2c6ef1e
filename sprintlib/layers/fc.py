"""Fully connected layer (sprint 1's FC, which every later sprint imports; the Affine layer of
the book "Deep Learning from Scratch", 『ゼロから作るDeep Learning』).
Tested in tests/test_fc.py against tf.matmul."""
from __future__ import annotations

import numpy as np

from .. import _checks, initializers
from .base import Layer


class FC(Layer):
    """From ``n_nodes1`` nodes to ``n_nodes2`` nodes: ``A = X @ W + B``.

    Parameters
    ----------
    n_nodes1, n_nodes2 : int
        Nodes of the previous and of this layer.
    initializer : Initializer, name ("he", "xavier", "simple") or None ("he", unseeded)
        Gives ``W`` of shape (n_nodes1, n_nodes2) and ``B`` of shape (n_nodes2,).
    optimizer : Optimizer or None
        Updates ``W`` and ``B`` at the end of ``backward``; ``None`` only computes
        ``dW`` and ``dB``.
    dtype : np.float64 or np.float32
    """

    param_names = ("W", "B")

    def __init__(self, n_nodes1, n_nodes2, initializer=None, optimizer=None, dtype=np.float64):
        super().__init__(optimizer, dtype)
        self.n_nodes1 = _checks.check_int(n_nodes1, "FC", "n_nodes1")
        self.n_nodes2 = _checks.check_int(n_nodes2, "FC", "n_nodes2")
        init = initializers.resolve(initializer, "he", self.name, self.dtype)
        self._init_params(W=init.W(self.n_nodes1, self.n_nodes2),
                          B=np.reshape(init.B(self.n_nodes2), self.n_nodes2))

    def _input_spec(self, shape):
        return ("N", self.n_nodes1)

    def _forward(self, X):
        """X (N, n_nodes1) -> A (N, n_nodes2)."""
        self.X = X
        return X @ self.W + self.B

    def _backward(self, dA):
        """dA (N, n_nodes2) -> dX (N, n_nodes1); sets dW (n_nodes1, n_nodes2), dB (n_nodes2,)."""
        self.dW = self.X.T @ dA
        self.dB = dA.sum(axis=0)  # a sum over the batch, not a mean: the loss already averages
        return dA @ self.W.T if self.needs_input_grad else None

    def output_shape(self, input_shape):
        return (input_shape[0], self.n_nodes2)

    def __repr__(self):
        return f"FC({self.n_nodes1}, {self.n_nodes2})"
