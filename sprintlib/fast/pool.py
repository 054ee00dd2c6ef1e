"""The fast path's pooling: the same numbers as ``functional/pool.py`` (the model answer),
in the memory order of its input.

Instead of a view of every window reduced over its last two axes, these loop over the PH*PW positions inside a
window: ``window_view(X, (i, j), ...)`` is the (N, C, OH, OW) view of entry (i, j) of
every window at once, so a 2x2 pooling is four whole-array operations. Outputs keep the
memory order of the input (``order="K"``, ``zeros_like``): after a convolution that is
(H, C, W, N), batch last (see fast/conv.py), so each of those views reads runs of N values.

Max-pool ties: when a window holds its maximum more than once, the whole gradient goes
to ONE entry, the first in row-major order (top row first, then left to right). That is
what TensorFlow's MaxPoolGrad does (it scans the window in that order and replaces the
maximum only on a strictly greater value); tests/test_pooling.py checks it on
integer-valued inputs, where ties are common.
"""
from __future__ import annotations

import numpy as np

from .. import _checks
from ..functional.im2col import in_memory_order, memory_order, window_view
from ..functional.pool import _geometry


def max_pool2d_forward(X, pool_size, stride=None, *, allow_remainder=False) -> np.ndarray:
    """X (N, C, H, W) -> A (N, C, OH, OW), the maximum of each window."""
    X = _checks.check_axes(X, ("N", "C", "H", "W"), "max_pool2d")
    _, stride, out, offsets = _geometry(X.shape, pool_size, stride, allow_remainder, "max_pool2d")
    A = window_view(X, offsets[0], out, stride).copy(order="K")
    for offset in offsets[1:]:
        np.maximum(A, window_view(X, offset, out, stride), out=A)
    return A


def max_pool2d_backward(dA, X, A, pool_size, stride=None, *, allow_remainder=False) -> np.ndarray:
    """dA (N, C, OH, OW), X and A of the forward pass -> dX (N, C, H, W).

    Each window's gradient goes to the first entry (row-major) equal to its maximum.
    """
    X = _checks.check_axes(X, ("N", "C", "H", "W"), "max_pool2d_backward")
    pool, stride, out, offsets = _geometry(X.shape, pool_size, stride, allow_remainder, "max_pool2d")
    overlapping = stride[0] < pool[0] or stride[1] < pool[1]
    covered = not overlapping and (out[0] * stride[0], out[1] * stride[1]) == X.shape[2:]
    # every entry of dX is written below when the windows tile X side by side
    # dX in the gradient's floating type (an integer X would truncate, or refuse, dA's fractions)
    dtype = np.result_type(np.asarray(dA).dtype, X.dtype)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    dX = np.empty_like(X, dtype=dtype) if covered else np.zeros_like(X, dtype=dtype)
    # dA in A's memory order (dA may come in another, e.g. from Flatten), so that the
    # operations below walk one order
    dA = in_memory_order(dA, memory_order(A))
    # True in the windows whose maximum an earlier entry already was (in A's memory order)
    taken = np.zeros_like(A, dtype=bool)
    for offset in offsets:  # row-major, so the first maximum takes the gradient
        hit = window_view(X, offset, out, stride) == A
        first = hit > taken  # booleans: a maximum, in a window not served yet
        taken |= hit
        target = window_view(dX, offset, out, stride)
        if overlapping:  # one pixel can be the maximum of several windows: add
            target += dA * first
        else:  # each pixel is in one window: write straight into dX
            np.multiply(dA, first, out=target)
    return dX


def avg_pool2d_forward(X, pool_size, stride=None, *, allow_remainder=False) -> np.ndarray:
    """X (N, C, H, W) -> A (N, C, OH, OW), the mean of each window."""
    X = _checks.check_axes(X, ("N", "C", "H", "W"), "avg_pool2d")
    pool, stride, out, offsets = _geometry(X.shape, pool_size, stride, allow_remainder, "avg_pool2d")
    # a mean is a fraction: integer pixels are summed and divided in float64 (in their own
    # type a uint8 sum would wrap at 256, and the division could not be written back)
    dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
    A = window_view(X, offsets[0], out, stride).astype(dtype, order="K")
    for offset in offsets[1:]:
        A += window_view(X, offset, out, stride)
    A /= pool[0] * pool[1]
    return A
