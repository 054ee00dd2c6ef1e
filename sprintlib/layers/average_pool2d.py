"""AveragePool2D, sprint 2 problem 5 (the student's notebook "Sprint13"). Its maths is in
sprintlib/functional/pool.py (the fast path's copy, sprintlib.fast, when it is on). Checked against tf.nn.avg_pool2d in tests/test_pooling.py
(test_average_pool_against_tensorflow_random_configurations)."""
from __future__ import annotations

from .. import fast
from .. import functional
from .pool2d import _Pool2D


class AveragePool2D(_Pool2D):
    """The mean of each window; its gradient is shared equally by the window's entries."""

    def _forward(self, X):
        """X (N, C, H, W) -> A (N, C, OH, OW)."""
        self._x_shape = X.shape
        return (fast if fast.enabled() else functional).avg_pool2d_forward(X, self.pool_size, self.stride,
                                             allow_remainder=self.allow_remainder)

    def _backward(self, dA):
        """dA (N, C, OH, OW) -> dX (N, C, H, W)."""
        return functional.avg_pool2d_backward(dA, self._x_shape, self.pool_size, self.stride,
                                              allow_remainder=self.allow_remainder)
