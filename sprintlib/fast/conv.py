"""The fast path's convolutions: im2col in two steps, on images in the (H, C, W, N) order.

The same maths as ``functional/conv.py`` (the model answer: pad, im2col, one product, col2im),
arranged for speed; tests/test_functional.py checks that both give the same numbers.

Forward: ``A[n, o, y, x] = sum_{c, i, j} X_pad[n, c, y*S + i, x*S + j] * W[o, c, i, j] + B[o]``,
which im2col turns into matrix products. Backward, for a loss L with dL/dA = dA:

* dB[o] = sum over n, y, x of dA[n, o, y, x]   (a sum: each output adds B once; not a mean)
* dW = dA (as a matrix) @ cols.T: each weight's gradient sums dA times the inputs it met
* dX = col2im(W-matrix.T @ dA-matrix): each window hands its share back to its pixels.

The im2col matrix is built in two steps (below): ``width_windows`` copies the windows'
slices along every input row (the ``rows`` kept for backward, FW times the input), and
``height_windows`` stacks FH consecutive rows into each output row's im2col matrix as a
view. The forward pass is then one matrix product per output row (np.matmul on a stack
of OH small matrices: each fits in the cache, and OpenBLAS multiplies small matrices
without repacking them). In the backward pass, dW sums the products of forward's im2col
matrices with dA, one per output row again; filter row i met the input rows i, i+S, ...
and hands W_i.T @ dA back to them, which for every input row is one product with a view
of (a zero-padded) dA;
``fold_width`` then adds the width windows back to their columns (col2im in the same two
steps, backwards).

Images live in the (H, C, W, N) memory order described below: A is returned as a
(N, C_out, OH, OW) view of an (OH, C_out, OW, N) array, and a dA in that order (what the
layers after a convolution return) is read without a copy.

The stacks of products (one per output row, per filter row, per input row) are shared by
the threads of ``parallel.py`` when the process may use more than one CPU: each product
writes its own part of the result, so the result does not depend on the threads.

The slow, obvious loops that both are checked against are in ``functional/naive.py``.

What the convolutions use: im2col in two steps, on rows
-------------------------------------------------------
``im2col`` copies every window: C*FH*FW values per output, 25 times the input for a
5x5 filter (15 MB for LeNet's second convolution on a batch of 128, in float32). The
convolutions here build the same matrix in two steps instead, on the images stored
in the memory order (H, C, W, N) (``to_hcwn``: image row first, batch last):

1. ``width_windows`` copies, along every input row, the FW-wide slice of each window:
   (H, C*FW, OW*N), only FW times the input. With the batch last, the values for every
   (x, n) sit side by side, so the copy moves whole runs of OW*N values.
2. ``height_windows``: output row y sees input rows y*SH .. y*SH+FH-1, and those rows
   follow each other in memory, so the im2col matrix of output row y, (FH*C*FW, OW*N),
   is a *view*: nothing more is copied.

A convolution is then one matrix product per output row (np.matmul on the stack), and
its output comes back in the same (H, C, W, N) order; the layers pass it on as a
transposed view with the (N, C, H, W) shape, so ReLU and pooling keep that order and the
next convolution reads it without reordering. ``fold_width`` is the adjoint of step 1.
"""
from __future__ import annotations

import numpy as np

from numpy.lib.stride_tricks import as_strided, sliding_window_view

from .. import _checks
from ..functional.conv import _applied_stride, _floating, check_conv2d_inputs
from . import parallel


def conv2d_forward(X, W, B, stride=1, pad=0, *, allow_remainder=False):
    """X (N, C, H, W), W (C_out, C, FH, FW), B (C_out,) -> (A (N, C_out, OH, OW), rows).

    ``rows`` (H+2PH, C*FW, OW*N) are the width windows of the padded X (``width_windows``),
    kept for backward. Integer arrays are computed in float64.
    """
    X, W, B, stride, pad, (OH, OW) = check_conv2d_inputs(X, W, B, stride, pad, allow_remainder)
    N, C_out, (FH, FW) = X.shape[0], W.shape[0], W.shape[2:]
    SH, SW = _applied_stride(stride, (OH, OW))
    rows = width_windows(to_hcwn(X, pad), FW, SW, OW)  # (H', C*FW, OW*N): the one copy
    cols = height_windows(rows, FH, SH, OH)  # (OH, FH*C*FW, OW*N): a view
    # W with its values in the order of cols' rows, (i, c, j): (C_out, FH*C*FW)
    W_mat = W.transpose(0, 2, 1, 3).reshape(C_out, -1)
    A = parallel.matmul(W_mat, cols)  # (OH, C_out, OW*N): one product per output row
    A += B[:, None]  # in place: no second array
    # columns are ordered (x, n): split them, then show the (N, C_out, OH, OW) shape (a view;
    # the LeNet notebook "lenet構成のCNN" reshaped its product straight to (N, C, H, W), which
    # scrambles the outputs)
    return A.reshape(OH, C_out, OW, N).transpose(3, 1, 0, 2), rows


def conv2d_backward(dA, W, rows, x_shape, stride=1, pad=0, *, allow_remainder=False, need_dX=True):
    """dA (N, C_out, OH, OW), W (C_out, C, FH, FW), rows from forward, x_shape = X.shape
    -> (dX (N, C, H, W), dW (C_out, C, FH, FW), dB (C_out,)); dX is None if not need_dX.
    Integer arrays are computed in float64."""
    dA, W, rows = _floating(dA, W, rows)
    C_out, C, FH, FW = W.shape
    N, _, H, Wd = x_shape
    OH, OW = dA.shape[2:]
    (SH, SW), (PH, PW) = _checks.check_pair(stride, "conv2d_backward", "stride"), \
        _checks.check_pair(pad, "conv2d_backward", "pad", minimum=0)
    SH, SW = _applied_stride((SH, SW), (OH, OW))
    need_dX = _checks.check_bool(need_dX, "conv2d_backward", "need_dX")
    # (OH, C_out, OW*N), columns ordered as rows': a view when dA is in the (H, C, W, N) order
    dA_rows = dA.transpose(2, 1, 3, 0).reshape(OH, C_out, OW * N)
    dB = dA_rows.sum(axis=(0, 2))
    # dW = sum over the output rows y of cols_y @ dA_y.T, with forward's im2col matrices
    # cols_y (a view of rows again): one product per output row, as in forward
    cols = height_windows(rows, FH, SH, OH)  # (OH, FH*C*FW, OW*N)
    dW = parallel.matmul(cols, dA_rows.transpose(0, 2, 1)).sum(axis=0)  # (FH*C*FW, C_out), rows (i, c, j)
    dW = dW.reshape(FH, C, FW, C_out).transpose(3, 1, 0, 2)  # (C_out, C, FH, FW)
    if not need_dX:
        return None, dW, dB
    # Each filter row i hands W_i.T @ dA_y back to the input row y*SH + i it met, so input
    # row h collects sum_i W_i.T @ dA_{(h-i)/SH}: a convolution along the height of dA (its
    # rows spread SH apart, FH-1 zero rows before and after) with the filter rows reversed.
    # height_windows stacks, for every h, the FH rows of dA it needs: one product per row h
    # (computed with the W of the forward pass: the update comes after).
    H_pad = rows.shape[0]  # H + 2*PH
    dA_spread = np.zeros((H_pad + FH - 1, C_out, OW * N), dtype=dA_rows.dtype)
    dA_spread[FH - 1:FH - 1 + SH * OH:SH] = dA_rows
    W_back = W[:, :, ::-1].transpose(1, 3, 2, 0).reshape(C * FW, FH * C_out)  # (c, j) x (FH-1-i, o)
    # only for the rows of X itself (h = PH .. PH+H-1): the padding rows' gradient is dropped
    d_rows = parallel.matmul(W_back, height_windows(dA_spread[PH:PH + H + FH - 1], FH, 1, H))  # (H, C*FW, OW*N)
    dXr = fold_width(d_rows, (H, C, Wd + 2 * PW, N), FW, SW)  # (H, C, W', N)
    dX = dXr[:, :, PW:PW + Wd].transpose(3, 1, 0, 2)  # crop the padded columns: (N, C, H, W)
    return dX, dW, dB


def to_hcwn(X: np.ndarray, pad=(0, 0)) -> np.ndarray:
    """X (N, C, H, W) -> (H+2PH, C, W+2PW, N) with ``pad`` = (PH, PW) zeros around H and W.

    One copy, which pads and reorders at once. Without padding, a view (a convolution's
    output is already in this order in memory; anything else is reordered by the copy in
    ``width_windows``).
    """
    N, C, H, W = X.shape
    PH, PW = pad
    Xr = X.transpose(2, 1, 3, 0)  # a view: (H, C, W, N)
    if PH == PW == 0:
        return Xr
    out = np.zeros((H + 2 * PH, C, W + 2 * PW, N), dtype=X.dtype)
    out[PH:PH + H, :, PW:PW + W] = Xr
    return out


def width_windows(Xr: np.ndarray, FW: int, SW: int, OW: int) -> np.ndarray:
    """Xr (H, C, W, N) -> rows (H, C*FW, OW*N): im2col along the width only (one copy).

    ``rows[h, c*FW + j, x*N + n] = Xr[h, c, x*SW + j, n]``: for input row h, column x*N + n
    holds the FW values of channel c that output column x of image n sees in that row.
    """
    H, C, _, N = Xr.shape
    windows = sliding_window_view(Xr, FW, axis=2)[:, :, :SW * OW:SW]  # (H, C, OW, N, FW), a view
    rows = np.ascontiguousarray(windows.transpose(0, 1, 4, 2, 3))  # (H, C, FW, OW, N)
    return rows.reshape(H, C * FW, OW * N)


def height_windows(rows: np.ndarray, FH: int, SH: int, OH: int) -> np.ndarray:
    """rows (H, K, M) -> cols (OH, FH*K, M), a view: ``cols[y]`` is rows y*SH .. y*SH+FH-1.

    For the rows of ``width_windows`` (K = C*FW, M = OW*N), ``cols[y]`` is the im2col
    matrix of output row y, its rows ordered (i, c, j). The FH rows already follow each
    other in memory, so the stack is a strided view: consecutive y start SH rows apart
    (the windows overlap when SH < FH). Read-only: writing into it would change several
    windows at once.
    """
    K, M = rows.shape[1:]
    rows = np.ascontiguousarray(rows)  # the view relies on contiguous rows (no copy if they are)
    s_row, s_k, s_m = rows.strides
    return as_strided(rows, shape=(OH, FH * K, M), strides=(SH * s_row, s_k, s_m), writeable=False)


def fold_width(drows: np.ndarray, xr_shape, FW: int, SW: int) -> np.ndarray:
    """Adjoint of ``width_windows``: drows (H, C*FW, OW*N) -> (H, C, W, N) = xr_shape.

    Every window entry is added back at its column; where windows overlap they add up.
    """
    H, C, W, N = xr_shape
    OW = drows.shape[2] // N
    windows = drows.reshape(H, C, FW, OW, N)
    out = np.zeros(xr_shape, dtype=drows.dtype)

    def rows(h0, h1):  # the rows h0..h1-1 (all of them, or a thread's share: parallel.py)
        for j in range(FW):  # a loop over the FW filter columns, each a whole-array add
            out[h0:h1, :, j:j + SW * OW:SW] += windows[h0:h1, :, j]

    parallel.for_slices(H, rows, size=drows.size)
    return out
