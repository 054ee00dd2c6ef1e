"""SimpleConv1d, sprint 1 problem 1 of "Sprint 深層学習スクラッチ 畳み込みニューラルネットワーク1":
one channel, no padding, stride 1, one sample. Checked against that notebook's values and tf.nn.conv1d in tests/test_conv1d.py
(test_1a_*, test_simple_conv1d_*)."""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import _checks
from .. import functional
from .. import initializers
from .base import Layer


class SimpleConv1d(Layer):
    """One channel, no padding, stride 1, one sample: ``a_i = sum_s x_(i+s) w_s + b``.

    Parameters
    ----------
    filter_size : int, F
    initializer : Initializer, name or None (HeInitializer()); gives W (F,) and B (1,)
    optimizer : Optimizer or None
    dtype : np.float64 or np.float32

    Backward (sprint 1, problem 1): ``db = sum_i da_i``, ``dw_s = sum_i da_i x_(i+s)``,
    ``dx_j = sum_s da_(j-s) w_s`` (terms with j-s outside the output left out).
    """

    param_names = ("W", "B")

    def __init__(self, filter_size, initializer=None, optimizer=None, dtype=np.float64):
        super().__init__(optimizer, dtype)
        self.filter_size = _checks.check_int(filter_size, self.name, "filter_size")
        _checks.check_array_size((self.filter_size,), self.dtype, self.name, "filter_size", "W")
        init = initializers.resolve(initializer, "he", self.name, self.dtype)
        self._init_params(W=init.sample((self.filter_size,), fan_in=self.filter_size),
                          B=np.reshape(init.B(1), 1))

    def _input_spec(self, shape):
        return ("L",)

    def _forward(self, X):
        """X (L,) -> A (L - F + 1,)."""
        self._windows = sliding_window_view(X, self.filter_size)  # (L_out, F), a view of X
        return self._windows @ self.W + self.B

    def _backward(self, dA):
        """dA (L_out,) -> dX (L,); sets dW (F,), dB (1,)."""
        self.dB = dA.sum(keepdims=True)
        self.dW = self._windows.T @ dA
        # the sum over s of da_(j-s) w_s for every j is numpy's full convolution
        return np.convolve(dA, self.W) if self.needs_input_grad else None

    def output_shape(self, input_shape):
        """(L,) -> (L_out,)."""
        if len(input_shape) != 1:
            raise ValueError(f"{self.name} expects input_shape (L,), got {_checks.format_shape(input_shape)}")
        return (functional.output_size(input_shape[0], self.filter_size, owner=self.name),)

    def __repr__(self):
        return f"SimpleConv1d({self.filter_size})"
