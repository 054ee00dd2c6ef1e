"""MaxPool2D, sprint 2 problem 4 (the student's notebook "Sprint13"). Its maths is in
sprintlib/functional/pool.py: the windows, their maximum; backward, the gradient scattered
to each maximum (the fast path's copy, sprintlib.fast, when it is on). Checked against
tf.nn.max_pool2d, ties included, in tests/test_pooling.py
(test_max_pool_against_tensorflow_random_configurations), on both paths."""
from __future__ import annotations

from .. import fast
from .. import functional
from .pool2d import _Pool2D


class MaxPool2D(_Pool2D):
    """The maximum of each window; its gradient goes to the entry that held it.

    X (N, C, H, W) -> A (N, C, OH, OW). When a window holds its maximum more than once,
    the gradient goes to the first of them in row-major order, as in TensorFlow.
    """

    def _forward(self, X):
        """X (N, C, H, W) -> A (N, C, OH, OW)."""
        self._X = X
        self._fast = fast.enabled()  # functional/pool.py, or sprintlib.fast's copy (backward: the same)
        maths = fast if self._fast else functional
        # kept to find each window's maximum again in backward (the caller gets a copy)
        self._A = maths.max_pool2d_forward(X, self.pool_size, self.stride, allow_remainder=self.allow_remainder)
        return self._A

    def _backward(self, dA):
        """dA (N, C, OH, OW) -> dX (N, C, H, W), zero except at each window's maximum."""
        maths = fast if self._fast else functional
        return maths.max_pool2d_backward(dA, self._X, self._A, self.pool_size, self.stride,
                                         allow_remainder=self.allow_remainder)
