"""MaxPool2D, sprint 2 problem 4. Checked against tf.nn.max_pool2d, ties included, in
tests/test_pooling.py (test_max_pool_against_tensorflow_random_configurations)."""
from __future__ import annotations

from .. import functional as F
from .pool2d import _Pool2D


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
