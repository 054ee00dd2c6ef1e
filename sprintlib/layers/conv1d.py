"""Conv1d, sprint 1 problems 4-7 of "Sprint 深層学習スクラッチ 畳み込みニューラルネットワーク1":
channels, padding, a mini-batch, a stride.

Its maths is in sprintlib/functional/conv.py: pad, the windows as the rows of a matrix
(im2col in 1-D), one matrix product (+ B); backward: dB a sum, dW one product, dX one
product and the windows added back (col2im in 1-D). The fast path has nothing faster
for it (sprintlib/fast/__init__.py says what was measured). Checked against tf.nn.conv1d in tests/test_conv1d.py
(test_against_tensorflow_random_configurations), on both paths."""
from __future__ import annotations

import numpy as np

from .. import _checks
from .. import functional
from .. import initializers
from .base import Layer


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
        self.allow_remainder = _checks.check_bool(allow_remainder, self.name, "allow_remainder")
        init = initializers.resolve(initializer, "he", self.name, self.dtype)
        shape = (self.out_channels, self.in_channels, self.filter_size)
        _checks.check_array_size(shape, self.dtype, self.name, "filter_size", "W")  # before NumPy's own error
        self._init_params(W=init.sample(shape, fan_in=self.in_channels * self.filter_size),
                          B=np.reshape(init.B(self.out_channels), self.out_channels))

    def _input_spec(self, shape):
        # a 2-D X whose first axis is not C_in is as likely a batch without its channel axis
        # (N, L) as a sample with the wrong channels: name both forms
        if len(shape) not in (2, 3) or (len(shape) == 2 and shape[0] != self.in_channels):
            raise ValueError(f"{self.name} expects X of shape (N, {self.in_channels}, L) or "
                             f"({self.in_channels}, L), got {_checks.format_shape(shape)}")
        return ("N", self.in_channels, "L")[3 - len(shape):]

    def _forward(self, X):
        """X (C_in, L) or (N, C_in, L) -> A (C_out, L_out) or (N, C_out, L_out)."""
        self._batched = X.ndim == 3
        X = X if self._batched else X[None]
        # _cols: the windows of X as rows, what backward needs for dW
        A, self._cols = functional.conv1d_forward(X, self.W, self.B, self.stride, self.pad,
                                                  allow_remainder=self.allow_remainder)
        self._x_shape = X.shape
        return A if self._batched else A[0]

    def _backward(self, dA):
        """dA shaped as forward's A -> dX shaped as X; sets dW (C_out, C_in, F), dB (C_out,)."""
        dX, self.dW, self.dB = functional.conv1d_backward(
            dA if self._batched else dA[None], self.W, self._cols, self._x_shape, self.stride,
            self.pad, allow_remainder=self.allow_remainder, need_dX=self.needs_input_grad)
        return dX if self._batched or dX is None else dX[0]

    def output_shape(self, input_shape):
        """(N, C_in, L) -> (N, C_out, L_out), or (C_in, L) -> (C_out, L_out); N may be None."""
        if len(input_shape) not in (2, 3) or input_shape[-2] != self.in_channels:
            raise ValueError(f"{self.name} expects input_shape (N, {self.in_channels}, L) or "
                             f"({self.in_channels}, L), got {_checks.format_shape(input_shape)}")
        L_out = functional.output_size(input_shape[-1], self.filter_size, self.stride, self.pad,
                              allow_remainder=self.allow_remainder, owner=self.name)
        n = (input_shape[0] or 1) if len(input_shape) == 3 else 1  # N may be None
        _checks.check_array_size((n, self.in_channels, input_shape[-1] + 2 * self.pad), self.dtype,
                                 self.name, "pad", "the padded X")
        return tuple(input_shape[:-2]) + (self.out_channels, L_out)

    def __repr__(self):
        return (f"Conv1d({self.in_channels}, {self.out_channels}, {self.filter_size}, "
                f"stride={self.stride}, pad={self.pad})")
