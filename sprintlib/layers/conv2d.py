"""2-D convolution layer (sprint 2, problem 1; the student's notebook "Sprint13", and the
Convolution layer of the book "Deep Learning from Scratch", 『ゼロから作るDeep Learning』).

Its maths is in sprintlib/functional/conv.py: pad, im2col, one matrix product (+ B),
reshape to (N, C_out, OH, OW); backward: dB a sum, dW one product, dX one product and
col2im. With the fast path on (sprintlib.fast, the default) the same numbers come from
fast/conv.py. Checked against tf.nn.conv2d on random configurations in tests/test_conv2d.py
(test_against_tensorflow_random_configurations), on both paths."""
from __future__ import annotations

import numpy as np

from .. import _checks
from .. import fast
from .. import functional
from .. import initializers
from .base import Layer


class Conv2d(Layer):
    """Convolution of NCHW images: ``A[n, o] = sum_c X[n, c] * W[o, c] + B[o]`` (* slides W).

    Parameters
    ----------
    in_channels, out_channels : int
        C_in, C_out.
    filter_size : int or (FH, FW)
    stride : int or (SH, SW), default 1
    pad : int or (PH, PW), default 0
        Zeros added on each side of H and W (pad=2 with a 5x5 filter and stride 1 keeps
        the size: Keras's 'same').
    initializer : Initializer, name or None (HeInitializer())
        ``sample((C_out, C_in, FH, FW), fan_in=C_in*FH*FW)`` gives W, ``B(C_out)`` gives B.
    optimizer : Optimizer or None
        Updates W and B at the end of ``backward``; None only computes dW and dB.
    dtype : np.float64 or np.float32
        Of the weights, and of the computation whatever the input's dtype.
    allow_remainder : bool, default False
        False: raise unless the windows tile the padded input exactly (see
        ``functional.output_size``). True: drop the last, incomplete windows (TF 'VALID').

    Attributes
    ----------
    W : ndarray of shape (C_out, C_in, FH, FW);  B : ndarray of shape (C_out,)
    dW, dB : same shapes as W and B, set by ``backward``
    """

    param_names = ("W", "B")

    def __init__(self, in_channels, out_channels, filter_size, stride=1, pad=0, initializer=None,
                 optimizer=None, dtype=np.float64, allow_remainder=False):
        super().__init__(optimizer, dtype)
        self.in_channels = _checks.check_int(in_channels, self.name, "in_channels")
        self.out_channels = _checks.check_int(out_channels, self.name, "out_channels")
        self.filter_size = _checks.check_pair(filter_size, self.name, "filter_size")
        self.stride = _checks.check_pair(stride, self.name, "stride")
        self.pad = _checks.check_pair(pad, self.name, "pad", minimum=0)
        self.allow_remainder = _checks.check_bool(allow_remainder, self.name, "allow_remainder")
        init = initializers.resolve(initializer, "he", self.name, self.dtype)
        shape = (self.out_channels, self.in_channels) + self.filter_size
        _checks.check_array_size(shape, self.dtype, self.name, "filter_size", "W")  # before NumPy's own error
        fan_in = self.in_channels * self.filter_size[0] * self.filter_size[1]
        self._init_params(W=init.sample(shape, fan_in=fan_in),
                          B=np.reshape(init.B(self.out_channels), self.out_channels))

    def _input_spec(self, shape):
        return ("N", self.in_channels, "H", "W")

    def _forward(self, X):
        """X (N, C_in, H, W) -> A (N, C_out, OH, OW)."""
        # functional/conv.py; the same numbers faster with the fast path on (sprintlib.fast),
        # and backward then takes the same path (what forward keeps differs)
        self._fast = fast.enabled()
        maths = fast if self._fast else functional
        # _cols: what backward needs of X (its im2col matrix, for dW)
        A, self._cols = maths.conv2d_forward(X, self.W, self.B, self.stride, self.pad,
                                             allow_remainder=self.allow_remainder)
        self._x_shape = X.shape
        return A

    def _backward(self, dA):
        """dA (N, C_out, OH, OW) -> dX (N, C_in, H, W); sets dW (C_out, C_in, FH, FW), dB (C_out,)."""
        dX, self.dW, self.dB = (fast if self._fast else functional).conv2d_backward(
            dA, self.W, self._cols, self._x_shape, self.stride, self.pad,
            allow_remainder=self.allow_remainder, need_dX=self.needs_input_grad)
        return dX

    def output_shape(self, input_shape):
        """(N, C_in, H, W) -> (N, C_out, OH, OW); N may be None."""
        if len(input_shape) != 4 or input_shape[1] != self.in_channels:
            raise ValueError(f"{self.name} expects input_shape (N, {self.in_channels}, H, W), "
                             f"got {_checks.format_shape(input_shape)}")
        OH, OW = functional.output_size_2d(input_shape[2:], self.filter_size, self.stride, self.pad,
                                  allow_remainder=self.allow_remainder, owner=self.name)
        (H, W), (PH, PW) = input_shape[2:], self.pad
        _checks.check_array_size((input_shape[0] or 1, self.in_channels, H + 2 * PH, W + 2 * PW), self.dtype,
                                 self.name, "pad", "the padded X")
        return (input_shape[0], self.out_channels, OH, OW)

    def __repr__(self):
        return (f"Conv2d({self.in_channels}, {self.out_channels}, {self.filter_size}, "
                f"stride={self.stride}, pad={self.pad})")
