"""Max and average pooling, forward and backward, as pure functions (what MaxPool2D and
AveragePool2D call). No padding: windows of (PH, PW) at ``stride`` (default: the window,
so that windows do not overlap).

Instead of copying every window (im2col), these loop over the PH*PW positions inside a
window: ``window_view(X, (i, j), ...)`` is the (N, C, OH, OW) view of entry (i, j) of
every window at once, so a 2x2 pooling is four whole-array operations. Outputs keep the
memory order of the input (``order="K"``, ``zeros_like``): after a convolution that is
(H, C, W, N), batch last (see im2col.py), so each of those views reads runs of N values.
The passes run over a few output rows at a time (``ROWS_A_SLICE``), which then stay in the
cache between passes, and the slices are shared by the threads of ``parallel.py``.

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
from . import parallel
from .im2col import fold_windows, in_memory_order, memory_order, window_view
from .sizes import output_size_2d

#: output rows a slice of the pooling works on: a few passes over a slice of this size stay
#: in the cache (the whole array does not: 2.4 MB for LeNet's first pooling)
ROWS_A_SLICE = 2


def _geometry(x_shape, pool_size, stride, allow_remainder, owner):
    """(pool (PH, PW), stride (SH, SW), output size (OH, OW), row-major window offsets)."""
    pool = _checks.check_pair(pool_size, owner, "pool_size")
    stride = pool if stride is None else _checks.check_pair(stride, owner, "stride")
    return (pool, stride) + _windows(tuple(x_shape[2:]), pool, stride, bool(allow_remainder), owner)


@functools.lru_cache(maxsize=256)
def _windows(in_size, pool, stride, allow_remainder, owner):
    """(OH, OW) and the offsets (i, j) inside a window. Cached: a layer asks for the same
    ones on every call, and at a small batch working them out costs as much as pooling."""
    out = output_size_2d(in_size, pool, stride, 0, allow_remainder=allow_remainder, owner=owner)
    return out, tuple((i, j) for i in range(pool[0]) for j in range(pool[1]))


def max_pool2d_forward(X, pool_size, stride=None, *, allow_remainder=False) -> np.ndarray:
    """X (N, C, H, W) -> A (N, C, OH, OW), the maximum of each window."""
    _, stride, out, offsets = _geometry(X.shape, pool_size, stride, allow_remainder, "max_pool2d")
    A = _empty_like_order(X, X.shape[:2] + out)

    def rows(y0, y1):  # output rows y0..y1-1: their windows read X's rows y0*SH ...
        Xs, As = X[:, :, y0 * stride[0]:], A[:, :, y0:y1]
        np.copyto(As, window_view(Xs, offsets[0], As.shape[2:], stride))
        for offset in offsets[1:]:
            np.maximum(As, window_view(Xs, offset, As.shape[2:], stride), out=As)

    parallel.for_slices(out[0], rows, size=X.size, step=ROWS_A_SLICE)
    return A


def max_pool2d_backward(dA, X, A, pool_size, stride=None, *, allow_remainder=False) -> np.ndarray:
    """dA (N, C, OH, OW), X and A of the forward pass -> dX (N, C, H, W).

    Each window's gradient goes to the first entry (row-major) equal to its maximum.
    """
    pool, stride, out, offsets = _geometry(X.shape, pool_size, stride, allow_remainder, "max_pool2d")
    overlapping = stride[0] < pool[0] or stride[1] < pool[1]
    covered = not overlapping and (out[0] * stride[0], out[1] * stride[1]) == X.shape[2:]
    # every entry of dX is written below when the windows tile X side by side
    dX = np.empty_like(X) if covered else np.zeros_like(X)
    # dA in A's memory order (dA may come in another, e.g. from Flatten), so that the
    # operations below walk one order
    dA = in_memory_order(dA, memory_order(A))

    def rows(y0, y1):  # output rows y0..y1-1, and the rows of X their windows cover
        Xs, dXs = X[:, :, y0 * stride[0]:], dX[:, :, y0 * stride[0]:]
        As, dAs = A[:, :, y0:y1], dA[:, :, y0:y1]
        size = As.shape[2:]
        taken = None  # True in the windows whose maximum an earlier entry already was
        for k, offset in enumerate(offsets):  # row-major, so the first maximum takes the gradient
            hit = window_view(Xs, offset, size, stride) == As
            if taken is None:
                first = taken = hit
            else:
                first = hit > taken  # booleans: a maximum, in a window not served yet
                if k < len(offsets) - 1:
                    taken = taken | hit
            target = window_view(dXs, offset, size, stride)
            if overlapping:  # one pixel can be the maximum of several windows: add
                target += dAs * first
            else:  # each pixel is in one window: write straight into dX
                np.multiply(dAs, first, out=target)

    # overlapping windows share rows of dX: then one slice, else a few output rows at a time
    parallel.for_slices(out[0], rows, size=0 if overlapping else X.size,
                        step=out[0] if overlapping else ROWS_A_SLICE)
    return dX


def _empty_like_order(X, shape):
    """An empty array of ``shape`` (X's number of axes) laid out in X's memory order."""
    order = memory_order(X)
    return np.empty([shape[i] for i in order], dtype=X.dtype).transpose(np.argsort(order))


def avg_pool2d_forward(X, pool_size, stride=None, *, allow_remainder=False) -> np.ndarray:
    """X (N, C, H, W) -> A (N, C, OH, OW), the mean of each window."""
    pool, stride, out, offsets = _geometry(X.shape, pool_size, stride, allow_remainder, "avg_pool2d")
    A = window_view(X, offsets[0], out, stride).copy(order="K")
    for offset in offsets[1:]:
        A += window_view(X, offset, out, stride)
    A /= pool[0] * pool[1]
    return A


def avg_pool2d_backward(dA, x_shape, pool_size, stride=None, *, allow_remainder=False) -> np.ndarray:
    """dA (N, C, OH, OW) -> dX (N, C, H, W): each window entry gets 1/(PH*PW) of its output's."""
    pool, stride, out, _ = _geometry(x_shape, pool_size, stride, allow_remainder, "avg_pool2d")
    share = dA / (pool[0] * pool[1])
    # the same share for every entry of a window: a broadcast view, nothing copied
    windows = np.broadcast_to(share[..., None, None], share.shape + pool)
    return fold_windows(windows, x_shape, stride, 0)
