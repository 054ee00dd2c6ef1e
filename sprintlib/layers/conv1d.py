"""1-D convolution layers of sprint 1: SimpleConv1d (problem 1) and Conv1d (problems 4-7).
Checked against tf.nn.conv1d in tests/test_conv1d.py (test_against_tensorflow_random_configurations)."""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import _checks
from .. import functional as F
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

    Backward (seed 000): ``db = sum_i da_i``, ``dw_s = sum_i da_i x_(i+s)``,
    ``dx_j = sum_s da_(j-s) w_s`` (terms with j-s outside the output left out).
    """

    param_names = ("W", "B")

    def __init__(self, filter_size, initializer=None, optimizer=None, dtype=np.float64):
        super().__init__(optimizer, dtype)
        self.filter_size = _checks.check_int(filter_size, self.name, "filter_size")
        init = initializers.resolve(initializer, "he", self.name, self.dtype)
        self.W = np.asarray(init.sample((self.filter_size,), fan_in=self.filter_size), dtype=self.dtype)
        self.B = np.asarray(init.B(1), dtype=self.dtype).reshape(1)

    def forward(self, X):
        """X (L,) -> A (L - F + 1,)."""
        X = self._input(X, ("L",))
        self.output_shape(X.shape)
        self._windows = sliding_window_view(X, self.filter_size)  # (L_out, F), a view
        return self._output(self._windows @ self.W + self.B)

    def backward(self, dA):
        """dA (L_out,) -> dX (L,); sets dW (F,), dB (1,)."""
        dA = self._grad_input(dA)
        self.dB = dA.sum(keepdims=True)
        self.dW = self._windows.T @ dA
        # the sum over s of da_(j-s) w_s for every j is numpy's full convolution
        dX = np.convolve(dA, self.W)
        self._update()
        return dX

    def output_shape(self, input_shape):
        """(L,) -> (L_out,)."""
        if len(input_shape) != 1:
            raise ValueError(f"{self.name} expects input_shape (L,), got {_checks.format_shape(input_shape)}")
        return (F.output_size(input_shape[0], self.filter_size, owner=self.name),)

    def __repr__(self):
        return f"SimpleConv1d({self.filter_size})"


class Conv1d(Layer):
    """Any number of channels: ``A[n, o, i] = sum_(c, s) X_pad[n, c, i*S + s] W[o, c, s] + B[o]``.

    Parameters
    ----------
    in_channels, out_channels : int, C_in and C_out
    filter_size : int, F
    stride : int, S (default 1);  pad : int, P zeros at each end (default 0)
    initializer : Initializer, name or None (HeInitializer());
        ``sample((C_out, C_in, F), fan_in=C_in*F)`` and ``B(C_out)``
    optimizer : Optimizer or None
    dtype : np.float64 or np.float32
    allow_remainder : bool, as in Conv2d (see ``functional.output_size``)

    X is (C_in, L) for one sample or (N, C_in, L) for a batch; A is then (C_out, L_out)
    or (N, C_out, L_out), with L_out = (L + 2P - F) / S + 1.
    W (C_out, C_in, F), B (C_out,); dW, dB the same shapes after backward.
    """

    param_names = ("W", "B")

    def __init__(self, in_channels, out_channels, filter_size, stride=1, pad=0, initializer=None,
                 optimizer=None, dtype=np.float64, allow_remainder=False):
        super().__init__(optimizer, dtype)
        self.in_channels = _checks.check_int(in_channels, self.name, "in_channels")
        self.out_channels = _checks.check_int(out_channels, self.name, "out_channels")
        self.filter_size = _checks.check_int(filter_size, self.name, "filter_size")
        self.stride = _checks.check_int(stride, self.name, "stride")
        self.pad = _checks.check_int(pad, self.name, "pad", minimum=0)
        self.allow_remainder = bool(allow_remainder)
        init = initializers.resolve(initializer, "he", self.name, self.dtype)
        shape = (self.out_channels, self.in_channels, self.filter_size)
        self.W = np.asarray(init.sample(shape, fan_in=self.in_channels * self.filter_size), dtype=self.dtype)
        self.B = np.asarray(init.B(self.out_channels), dtype=self.dtype).reshape(self.out_channels)

    def forward(self, X):
        """X (C_in, L) or (N, C_in, L) -> A (C_out, L_out) or (N, C_out, L_out)."""
        X = self._input(X, self._spec(np.shape(X)))
        self._batched = X.ndim == 3
        X = X if self._batched else X[None]
        self.output_shape(X.shape)
        A, self._rows = F.conv1d_forward(X, self.W, self.B, self.stride, self.pad,
                                         allow_remainder=self.allow_remainder)
        self._x_shape = X.shape
        return self._output(A if self._batched else A[0])

    def backward(self, dA):
        """dA shaped as forward's A -> dX shaped as X (None if not needs_input_grad);
        sets dW (C_out, C_in, F), dB (C_out,)."""
        dA = self._grad_input(dA)
        dX, self.dW, self.dB = F.conv1d_backward(dA if self._batched else dA[None], self.W, self._rows,
                                                 self._x_shape, self.stride, self.pad,
                                                 allow_remainder=self.allow_remainder,
                                                 need_dX=self.needs_input_grad)
        self._update()
        return dX if self._batched or dX is None else dX[0]

    def _spec(self, shape):
        if len(shape) not in (2, 3):
            raise ValueError(f"{self.name} expects X of shape (N, {self.in_channels}, L) or "
                             f"({self.in_channels}, L), got {_checks.format_shape(shape)}")
        return ("N", self.in_channels, "L")[3 - len(shape):]

    def output_shape(self, input_shape):
        """(N, C_in, L) -> (N, C_out, L_out), or (C_in, L) -> (C_out, L_out); N may be None."""
        if len(input_shape) not in (2, 3) or input_shape[-2] != self.in_channels:
            raise ValueError(f"{self.name} expects input_shape (N, {self.in_channels}, L) or "
                             f"({self.in_channels}, L), got {_checks.format_shape(input_shape)}")
        L_out = F.output_size(input_shape[-1], self.filter_size, self.stride, self.pad,
                              allow_remainder=self.allow_remainder, owner=self.name)
        return tuple(input_shape[:-2]) + (self.out_channels, L_out)

    def __repr__(self):
        return (f"Conv1d({self.in_channels}, {self.out_channels}, {self.filter_size}, "
                f"stride={self.stride}, pad={self.pad})")
