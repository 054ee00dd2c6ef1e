"""Max and average pooling, forward and backward, as pure functions (what MaxPool2D and
AveragePool2D call). No padding: windows of (PH, PW) at ``stride`` (default: the window,
so that windows do not overlap).

Instead of copying every window (im2col), these loop over the PH*PW positions inside a
window: ``window_view(X, (i, j), ...)`` is the (N, C, OH, OW) view of entry (i, j) of
every window at once, so a 2x2 pooling is four whole-array operations. Outputs keep the
memory order of the input (``order="K"``, ``zeros_like``): after a convolution that is
(H, C, W, N), batch last (see im2col.py), so each of those views reads runs of N values.

Max-pool ties: when a window holds its maximum more than once, the whole gradient goes
to ONE entry, the first in row-major order (top row first, then left to right). That is
what TensorFlow's MaxPoolGrad does (it scans the window in that order and replaces the
maximum only on a strictly greater value); tests/test_pooling.py checks it on
integer-valued inputs, where ties are common.
"""
from __future__ import annotations

import functools

import numpy as np

from .. import _checks
from .im2col import _x_shape, fold_windows, in_memory_order, memory_order, window_view
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


def avg_pool2d_backward(dA, x_shape, pool_size, stride=None, *, allow_remainder=False) -> np.ndarray:
    """dA (N, C, OH, OW) -> dX (N, C, H, W): each window entry gets 1/(PH*PW) of its output's."""
    x_shape = _x_shape(x_shape, ("N", "C", "H", "W"), "avg_pool2d_backward")
    pool, stride, out, _ = _geometry(x_shape, pool_size, stride, allow_remainder, "avg_pool2d")
    share = dA / (pool[0] * pool[1])
    # the same share for every entry of a window: a broadcast view, nothing copied
    windows = np.broadcast_to(share[..., None, None], share.shape + pool)
    return fold_windows(windows, x_shape, stride, 0)
