"""Max and average pooling, forward and backward, as pure functions (what MaxPool2D and
AveragePool2D call): the pooling layers of the student's notebook "Sprint13" and of the
book "Deep Learning from Scratch" (『ゼロから作るDeep Learning』). No padding: windows of
(PH, PW) at ``stride`` (default: the window, so that windows do not overlap).

Forward: every window of X as a view (``sliding_windows``, nothing copied), reduced by its
maximum or its mean. Backward scatters each output's gradient back into its window and
adds the windows up where they overlap (``fold_windows``, col2im's way back):

* max: the whole gradient to the entry that held the maximum;
* mean: 1/(PH*PW) of it to every entry of the window.

Max-pool ties: when a window holds its maximum more than once, the whole gradient goes
to ONE entry, the first in row-major order (top row first, then left to right): np.argmax
picks that one, and TensorFlow's MaxPoolGrad does the same (it scans the window in that
order and replaces the maximum only on a strictly greater value); tests/test_pooling.py
checks it on integer-valued inputs, where ties are common.
``fast/pool.py`` computes the same numbers faster (sprintlib.fast).
"""
from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import _checks
from .im2col import _x_shape, fold_windows
from .sizes import output_size_2d


def _geometry(x_shape, pool_size, stride, allow_remainder, owner):
    """(pool (PH, PW), stride (SH, SW), output size (OH, OW), row-major window offsets)."""
    pool = _checks.check_pair(pool_size, owner, "pool_size")
    stride = pool if stride is None else _checks.check_pair(stride, owner, "stride")
    allow_remainder = _checks.check_bool(allow_remainder, owner, "allow_remainder")
    return (pool, stride) + _windows(tuple(x_shape[2:]), pool, stride, allow_remainder, owner)


@functools.lru_cache(maxsize=256)
def _windows(in_size, pool, stride, allow_remainder, owner):
    """(OH, OW) and the offsets (i, j) inside a window. Cached: a layer asks for the same
    ones on every call, and at a small batch working them out costs as much as pooling."""
    out = output_size_2d(in_size, pool, stride, 0, allow_remainder=allow_remainder, owner=owner)
    return out, tuple((i, j) for i in range(pool[0]) for j in range(pool[1]))


def _windows_of(X, pool, stride, out) -> np.ndarray:
    """Every pooling window of X (N, C, H, W): a (N, C, OH, OW, PH, PW) view."""
    (SH, SW), (OH, OW) = stride, out
    windows = sliding_window_view(X, pool, axis=(2, 3))  # every window at stride 1
    return windows[:, :, :SH * OH:SH, :SW * OW:SW]  # every S-th, the first OH x OW (a view)


def max_pool2d_forward(X, pool_size, stride=None, *, allow_remainder=False) -> np.ndarray:
    """X (N, C, H, W) -> A (N, C, OH, OW), the maximum of each window."""
    X = _checks.check_axes(X, ("N", "C", "H", "W"), "max_pool2d")
    pool, stride, out, _ = _geometry(X.shape, pool_size, stride, allow_remainder, "max_pool2d")
    return _windows_of(X, pool, stride, out).max(axis=(4, 5))


def max_pool2d_backward(dA, X, A, pool_size, stride=None, *, allow_remainder=False) -> np.ndarray:
    """dA (N, C, OH, OW), X and A of the forward pass -> dX (N, C, H, W).

    Each window's gradient goes to the first entry (row-major) equal to its maximum.
    (A is not needed here: the fast path's copy uses it.)
    """
    X = _checks.check_axes(X, ("N", "C", "H", "W"), "max_pool2d_backward")
    pool, stride, out, _ = _geometry(X.shape, pool_size, stride, allow_remainder, "max_pool2d")
    N, C, (OH, OW), (PH, PW) = X.shape[0], X.shape[1], out, pool
    windows = _windows_of(X, pool, stride, out).reshape(N, C, OH, OW, PH * PW)  # a copy
    first = windows.argmax(axis=4)[..., None]  # where each window's maximum is (the first one)
    # dX in the gradient's floating type (an integer X would truncate, or refuse, dA's fractions)
    dtype = np.result_type(np.asarray(dA).dtype, X.dtype)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    dwindows = np.zeros((N, C, OH, OW, PH * PW), dtype=dtype)
    np.put_along_axis(dwindows, first, np.asarray(dA)[..., None], axis=4)  # the gradient to it
    # scatter-add: every window entry back to its pixel (a pixel in two windows gets both)
    return fold_windows(dwindows.reshape(N, C, OH, OW, PH, PW), X.shape, stride, 0)


def avg_pool2d_forward(X, pool_size, stride=None, *, allow_remainder=False) -> np.ndarray:
    """X (N, C, H, W) -> A (N, C, OH, OW), the mean of each window."""
    X = _checks.check_axes(X, ("N", "C", "H", "W"), "avg_pool2d")
    pool, stride, out, _ = _geometry(X.shape, pool_size, stride, allow_remainder, "avg_pool2d")
    # a mean is a fraction: integer pixels are averaged in float64 (in their own type a uint8
    # sum would wrap at 256)
    dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
    return _windows_of(X, pool, stride, out).mean(axis=(4, 5), dtype=dtype)


def avg_pool2d_backward(dA, x_shape, pool_size, stride=None, *, allow_remainder=False) -> np.ndarray:
    """dA (N, C, OH, OW) -> dX (N, C, H, W): each window entry gets 1/(PH*PW) of its output's."""
    x_shape = _x_shape(x_shape, ("N", "C", "H", "W"), "avg_pool2d_backward")
    pool, stride, out, _ = _geometry(x_shape, pool_size, stride, allow_remainder, "avg_pool2d")
    share = dA / (pool[0] * pool[1])
    # the same share for every entry of a window: a broadcast view, nothing copied
    windows = np.broadcast_to(share[..., None, None], share.shape + pool)
    return fold_windows(windows, x_shape, stride, 0)
