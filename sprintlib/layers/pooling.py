"""Pooling layers of sprint 2: MaxPool2D (problem 4) and AveragePool2D (problem 5).
Checked against tf.nn.max_pool2d and tf.nn.avg_pool2d, ties included, in
tests/test_pooling.py (test_*_against_tensorflow_random_configurations)."""
from __future__ import annotations

import numpy as np

from .. import _checks
from .. import functional as F
from .base import Layer


class _Pool2D(Layer):
    """What both poolings share: sizes, checks, output_shape. No parameters, no padding.

    Parameters
    ----------
    pool_size : int or (PH, PW)
    stride : int, (SH, SW) or None (the default: pool_size, windows side by side)
    allow_remainder : bool, default False: raise unless the windows tile the input
        (see ``functional.output_size``); True drops the last incomplete windows.
    dtype : np.float64 or np.float32
    """

    def __init__(self, pool_size, stride=None, allow_remainder=False, dtype=np.float64):
        super().__init__(None, dtype)
        self.pool_size = _checks.check_pair(pool_size, self.name, "pool_size")
        self.stride = self.pool_size if stride is None else _checks.check_pair(stride, self.name, "stride")
        self.allow_remainder = bool(allow_remainder)

    def _input_images(self, X):
        X = self._input(X, ("N", "C", "H", "W"))
        self.output_shape(X.shape)  # size errors named after this layer
        return X

    def output_shape(self, input_shape):
        """(N, C, H, W) -> (N, C, OH, OW); N may be None."""
        if len(input_shape) != 4:
            raise ValueError(f"{self.name} expects input_shape (N, C, H, W), "
                             f"got {_checks.format_shape(input_shape)}")
        OH, OW = F.output_size_2d(input_shape[2:], self.pool_size, self.stride, 0,
                                  allow_remainder=self.allow_remainder, owner=self.name)
        return tuple(input_shape[:2]) + (OH, OW)

    def __repr__(self):
        return f"{self.name}({self.pool_size}, stride={self.stride})"


class MaxPool2D(_Pool2D):
    """The maximum of each window; its gradient goes to the entry that held it.

    X (N, C, H, W) -> A (N, C, OH, OW). When a window holds its maximum more than once,
    the gradient goes to the first of them in row-major order, as in TensorFlow.
    """

    def forward(self, X):
        """X (N, C, H, W) -> A (N, C, OH, OW)."""
        self._X = self._input_images(X)
        self._A = F.max_pool2d_forward(self._X, self.pool_size, self.stride,
                                       allow_remainder=self.allow_remainder)
        return self._output(self._A)

    def backward(self, dA):
        """dA (N, C, OH, OW) -> dX (N, C, H, W), zero except at each window's maximum."""
        dA = self._grad_input(dA)
        return F.max_pool2d_backward(dA, self._X, self._A, self.pool_size, self.stride,
                                     allow_remainder=self.allow_remainder)


class AveragePool2D(_Pool2D):
    """The mean of each window; its gradient is shared equally by the window's entries."""

    def forward(self, X):
        """X (N, C, H, W) -> A (N, C, OH, OW)."""
        X = self._input_images(X)
        self._x_shape = X.shape
        return self._output(F.avg_pool2d_forward(X, self.pool_size, self.stride,
                                                 allow_remainder=self.allow_remainder))

    def backward(self, dA):
        """dA (N, C, OH, OW) -> dX (N, C, H, W)."""
        dA = self._grad_input(dA)
        return F.avg_pool2d_backward(dA, self._x_shape, self.pool_size, self.stride,
                                     allow_remainder=self.allow_remainder)
