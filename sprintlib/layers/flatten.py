"""Flatten (sprint 2, problem 6): from feature maps to the vector an FC layer takes.
Tested in tests/test_pooling.py (test_flatten_*)."""
from __future__ import annotations

import numpy as np

from .. import _checks
from .. import functional as F
from .base import Layer


class Flatten(Layer):
    """X (N, C, H, W) -> A (N, C*H*W), and back in backward. Any X with a batch axis
    and at least one more, e.g. Conv1d's (N, C, L) -> (N, C*L).

    The order is NCHW's (channel, then row, then column), so backward's reshape puts
    every gradient back at the pixel it came from.
    """

    def forward(self, X):
        """X (N, d1, d2, ...) -> A (N, d1*d2*...)."""
        ndim = np.ndim(X)
        if ndim < 2:
            raise ValueError(f"{self.name} expects X of shape (N, C, H, W) or any (N, ...) with at "
                             f"least 2 axes, got {_checks.format_shape(np.shape(X))}")
        X = self._input(X, ("N",) + tuple(f"d{i}" for i in range(1, ndim)))
        self._X = X
        # a view when X's memory order allows it; a convolution's output, (H, C, W, N) in
        # memory (see functional/im2col.py), is copied into the (N, C*H*W) order here
        return self._output(X.reshape(X.shape[0], -1))

    def backward(self, dA):
        """dA (N, d1*d2*...) -> dX (N, d1, d2, ...), in the memory order forward's X had."""
        dX = self._grad_input(dA).reshape(self._X.shape)
        # in X's order, so that the layers before (ReLU, pooling) combine arrays of one order
        return F.in_memory_order_of(self._X, dX)

    def output_shape(self, input_shape):
        """(N, C, H, W) -> (N, C*H*W); N may be None."""
        return (input_shape[0], int(np.prod(input_shape[1:])))

    def __repr__(self):
        return "Flatten()"
