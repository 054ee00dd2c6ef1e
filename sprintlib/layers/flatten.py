"""Flatten (sprint 2, problem 6 of the student's notebook "Sprint13"): from feature maps to the vector an FC layer takes.
Tested in tests/test_pooling.py (test_flatten_*)."""
from __future__ import annotations

import numpy as np

from .. import _checks
from .base import Layer


class Flatten(Layer):
    """X (N, C, H, W) -> A (N, C*H*W), and back in backward. Any X with a batch axis
    and at least one more, e.g. Conv1d's (N, C, L) -> (N, C*L).

    The order is NCHW's (channel, then row, then column), so backward's reshape puts
    every gradient back at the pixel it came from.
    """

    def _input_spec(self, shape):
        if len(shape) < 2:
            raise ValueError(f"{self.name} expects X of shape (N, C, H, W) or any (N, ...) with at "
                             f"least 2 axes, got {_checks.format_shape(shape)}")
        return super()._input_spec(shape)

    def _forward(self, X):
        """X (N, d1, d2, ...) -> A (N, d1*d2*...)."""
        self._x_shape = X.shape
        # a convolution's output, (H, C, W, N) in memory (see functional/im2col.py), is
        # copied into the (N, C*H*W) order here
        return X.reshape(X.shape[0], -1)

    def _backward(self, dA):
        """dA (N, d1*d2*...) -> dX (N, d1, d2, ...)."""
        return dA.reshape(self._x_shape)

    def output_shape(self, input_shape):
        """(N, C, H, W) -> (N, C*H*W); N may be None."""
        return (input_shape[0], int(np.prod(input_shape[1:])))

    def __repr__(self):
        return "Flatten()"
