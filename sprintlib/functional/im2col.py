"""im2col / col2im (the names of the book "Deep Learning from Scratch") and the window helpers they are made of.

A convolution looks at windows of its input. ``sliding_windows`` shows every window
without copying anything (a strided view); ``im2col`` lays them out as the rows of a
matrix, so that the convolution becomes one matrix product; ``col2im`` is its adjoint:
it adds every entry of every window back where it came from (overlapping windows add up),
which is how the gradient flows back to the input.

Layouts: input X (N, C, H, W) (NCHW); filter (FH, FW); output size (OH, OW) given by
``output_size_2d``; ``stride`` and ``pad`` are ints or (height, width) pairs.
1-D inputs (N, C, L) go through the same code with a height of 1.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import _checks
from .sizes import output_size_2d


def _pairs(filter_size, stride, pad, owner):
    return (_checks.check_pair(filter_size, owner, "filter_size"),
            _checks.check_pair(stride, owner, "stride"),
            _checks.check_pair(pad, owner, "pad", minimum=0))


def pad2d(X: np.ndarray, pad) -> np.ndarray:
    """X (N, C, H, W) with ``pad`` = (PH, PW) zeros around H and W -> (N, C, H+2PH, W+2PW)."""
    PH, PW = pad
    if PH == PW == 0:
        return X  # no copy when there is nothing to add
    return np.pad(X, ((0, 0), (0, 0), (PH, PH), (PW, PW)))


def sliding_windows(X, filter_size, stride=1, pad=0, *, allow_remainder=False) -> np.ndarray:
    """Every window of X, as a read-only view (nothing is copied).

    X (N, C, H, W) -> windows (N, C, OH, OW, FH, FW), where
    ``windows[n, c, y, x]`` is the FH x FW patch of the padded X that output (y, x) sees.
    """
    return _sliding_windows(X, filter_size, stride, pad, allow_remainder, "sliding_windows")


def _sliding_windows(X, filter_size, stride, pad, allow_remainder, owner) -> np.ndarray:
    """``sliding_windows``, its errors in the name of ``owner`` (the function called)."""
    X = _checks.check_axes(X, ("N", "C", "H", "W"), owner)
    (FH, FW), stride, pad = _pairs(filter_size, stride, pad, owner)
    output_size_2d(X.shape[2:], (FH, FW), stride, pad, allow_remainder=allow_remainder, owner=owner)
    # all windows at stride 1, then every S-th one; a view of a view, still no copy
    windows = sliding_window_view(pad2d(X, pad), (FH, FW), axis=(2, 3))
    return windows[:, :, ::stride[0], ::stride[1]]


def window_view(X: np.ndarray, offset, out_size, stride) -> np.ndarray:
    """The entry at ``offset`` = (i, j) of every window: a (N, C, OH, OW) view of X.

    X (N, C, H, W), already padded. Writing into the view writes into X.
    """
    (i, j), (OH, OW), (SH, SW) = offset, out_size, stride
    return X[:, :, i:i + SH * OH:SH, j:j + SW * OW:SW]


def fold_windows(windows: np.ndarray, x_shape, stride=1, pad=0) -> np.ndarray:
    """Adjoint of ``sliding_windows``: add every window entry back at its input position.

    windows (N, C, OH, OW, FH, FW) -> (N, C, H, W) with (H, W) = x_shape[2:]; the padding
    is cropped off. Where windows overlap (stride < filter) their entries add up.
    The two leading axes may be any pair, e.g. (C, N) with x_shape (C, N, H, W).
    """
    A, B, OH, OW, FH, FW = windows.shape
    stride = _checks.check_pair(stride, "fold_windows", "stride")
    PH, PW = _checks.check_pair(pad, "fold_windows", "pad", minimum=0)
    H, W = x_shape[2:]
    out = np.zeros((A, B, H + 2 * PH, W + 2 * PW), dtype=windows.dtype)
    for i in range(FH):  # a loop over the FH*FW filter taps, each a whole-array add
        for j in range(FW):
            target = window_view(out, (i, j), (OH, OW), stride)
            target += windows[..., i, j]
    return out[:, :, PH:PH + H, PW:PW + W]


def im2col(X, filter_size, stride=1, pad=0, *, allow_remainder=False) -> np.ndarray:
    """The windows of X as the rows of a matrix.

    X (N, C, H, W) -> col (N*OH*OW, C*FH*FW): row ``(n*OH + y)*OW + x`` is the window of
    output (n, y, x), flattened in (C, FH, FW) order; ``col @ W.reshape(C_out, -1).T``
    then gives every output (the book's layout; a 28x28 image and a 5x5 filter: (576, 25)).
    """
    windows = _sliding_windows(X, filter_size, stride, pad, allow_remainder, "im2col")
    N, C, OH, OW, FH, FW = windows.shape
    # The one copy, in the order (C, FH, FW, N, OH, OW): the values of one filter tap are
    # then read from the input along its rows and written contiguously, which is 2-4x
    # faster than copying in the book's order. The transpose (a view) gives the book's shape.
    cols = np.ascontiguousarray(windows.transpose(1, 4, 5, 0, 2, 3))
    return cols.reshape(C * FH * FW, N * OH * OW).T


def col2im(col, x_shape, filter_size, stride=1, pad=0, *, allow_remainder=False) -> np.ndarray:
    """Adjoint of ``im2col``: col (N*OH*OW, C*FH*FW) -> (N, C, H, W), overlaps summed."""
    N, C, H, W = _x_shape(x_shape, ("N", "C", "H", "W"), "col2im")
    col = _checks.check_axes(col, ("N*OH*OW", "C*FH*FW"), "col2im", "col")
    (FH, FW), stride, pad = _pairs(filter_size, stride, pad, "col2im")
    OH, OW = output_size_2d((H, W), (FH, FW), stride, pad, allow_remainder=allow_remainder,
                            owner="col2im")
    _checks.check_same_shape(col, (N * OH * OW, C * FH * FW), "col2im", "col", "N*OH*OW, C*FH*FW")
    # Folded channel-first, (C, N, ...): im2col's memory runs that way, so each add below
    # walks its source in order (about 1.5x faster); the transpose back is a view.
    windows = col.reshape(N, OH, OW, C, FH, FW).transpose(3, 0, 1, 2, 4, 5)
    return fold_windows(windows, (C, N, H, W), stride, pad).transpose(1, 0, 2, 3)


def im2col_1d(X, filter_size, stride=1, pad=0, *, allow_remainder=False) -> np.ndarray:
    """X (N, C, L) -> col (N*L_out, C*F): ``im2col`` on an image of height 1."""
    X = _checks.check_axes(X, ("N", "C", "L"), "im2col_1d")
    return im2col(X[:, :, None, :], (1, filter_size), (1, stride), (0, pad),
                  allow_remainder=allow_remainder)


def col2im_1d(col, x_shape, filter_size, stride=1, pad=0, *, allow_remainder=False) -> np.ndarray:
    """Adjoint of ``im2col_1d``: col (N*L_out, C*F) -> (N, C, L)."""
    N, C, L = _x_shape(x_shape, ("N", "C", "L"), "col2im_1d")
    dX = col2im(col, (N, C, 1, L), (1, filter_size), (1, stride), (0, pad),
                allow_remainder=allow_remainder)
    return dX[:, :, 0, :]


def _x_shape(x_shape, form: tuple, owner: str) -> tuple:
    """``x_shape`` (the shape of the input to rebuild) as a tuple of one int >= 1 per axis of ``form``."""
    try:
        shape = tuple(x_shape)
    except TypeError:  # an int, None...
        shape = None
    if shape is None or len(shape) != len(form):
        raise ValueError(f"{owner} expects x_shape of the form {_checks.format_shape(form)}, got {x_shape!r}")
    return tuple(_checks.check_int(n, owner, "x_shape's sizes") for n in shape)


def memory_order(a: np.ndarray) -> tuple:
    """The axes of ``a`` from the slowest-changing in memory to the fastest.

    Axes of size 1 come last, in index order: their stride means nothing, and two arrays
    that differ only there are laid out alike.
    """
    key = [(a.shape[i] > 1, a.strides[i] if a.shape[i] > 1 else 0) for i in range(a.ndim)]
    return tuple(sorted(range(a.ndim), key=key.__getitem__, reverse=True))  # a stable sort


def in_memory_order(a: np.ndarray, order: tuple) -> np.ndarray:
    """``a`` laid out in memory in ``order`` (``memory_order`` of another array); a copy only
    when it is not already.

    A gradient that comes back in another order than the forward pass's arrays (from
    Flatten's reshape, or a convolution's cropped dX) would make every elementwise
    operation that mixes the two several times slower.
    """
    if a is None or memory_order(a) == tuple(order):
        return a
    out = np.empty([a.shape[i] for i in order], dtype=a.dtype).transpose(np.argsort(order))
    out[...] = a
    return out
