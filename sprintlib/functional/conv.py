"""Convolution forward and backward as pure functions (what Conv1d and Conv2d call).

Forward: ``A[n, o, y, x] = sum_{c, i, j} X_pad[n, c, y*S + i, x*S + j] * W[o, c, i, j] + B[o]``,
which im2col turns into matrix products. Backward, for a loss L with dL/dA = dA:

* dB[o] = sum over n, y, x of dA[n, o, y, x]   (a sum: each output adds B once; not a mean)
* dW = dA (as a matrix) @ cols.T: each weight's gradient sums dA times the inputs it met
* dX = col2im(W-matrix.T @ dA-matrix): each window hands its share back to its pixels.

The im2col matrix is built in two steps (im2col.py): ``width_windows`` copies the windows'
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

Images live in the (H, C, W, N) memory order described in im2col.py: A is returned as a
(N, C_out, OH, OW) view of an (OH, C_out, OW, N) array, and a dA in that order (what the
layers after a convolution return) is read without a copy.

The stacks of products (one per output row, per filter row, per input row) are shared by
the threads of ``parallel.py`` when the process may use more than one CPU: each product
writes its own part of the result, so the result does not depend on the threads.

The same code does 1-D convolutions, as 2-D ones on an image of height 1.
The slow, obvious loops that these are checked against are in ``naive.py``.
"""
from __future__ import annotations

import numpy as np

from .. import _checks
from . import parallel
from .im2col import fold_width, height_windows, to_hcwn, width_windows
from .sizes import output_size_2d


def _floating(*arrays):
    """The arrays as they are when all are floating; otherwise each as float64 (or the
    widest float among them). Integers would be multiplied and summed in their own type:
    a uint8 image and uint8 weights wrap around at 256, without a warning."""
    arrays = [np.asarray(a) for a in arrays]
    if all(a.dtype.kind == "f" for a in arrays):
        return arrays  # what the layers pass: no copy
    dtype = np.result_type(np.float64, *(a.dtype for a in arrays if a.dtype.kind == "f"))
    return [a.astype(dtype, copy=False) for a in arrays]


def _applied_stride(stride, out_size) -> tuple[int, int]:
    """The strides the views step by: 1 along an axis with a single output position.
    There the stride is never applied (output_size: one window), however large it is, and
    a stride beyond the input (10**20) would overflow NumPy's strided views (OverflowError)."""
    return tuple(s if n > 1 else 1 for s, n in zip(stride, out_size))


def conv2d_forward(X, W, B, stride=1, pad=0, *, allow_remainder=False):
    """X (N, C, H, W), W (C_out, C, FH, FW), B (C_out,) -> (A (N, C_out, OH, OW), rows).

    ``rows`` (H+2PH, C*FW, OW*N) are the width windows of the padded X (``width_windows``),
    kept for backward. Integer arrays are computed in float64.
    """
    X, W, B = _floating(X, W, B)
    if X.ndim != 4 or W.ndim != 4 or X.shape[1] != W.shape[1]:
        raise ValueError(f"conv2d_forward expects X of shape (N, {W.shape[1]}, H, W) for W of shape "
                         f"{_checks.format_shape(W.shape)}, got {_checks.format_shape(X.shape)}")
    N, C_out, (FH, FW) = X.shape[0], W.shape[0], W.shape[2:]
    if B.shape != (C_out,):
        raise ValueError(f"conv2d_forward expects B of shape ({C_out},) for W of shape "
                         f"{_checks.format_shape(W.shape)}, got {_checks.format_shape(B.shape)}")
    (SH, SW), pad = _checks.check_pair(stride, "conv2d_forward", "stride"), \
        _checks.check_pair(pad, "conv2d_forward", "pad", minimum=0)
    OH, OW = output_size_2d(X.shape[2:], (FH, FW), (SH, SW), pad,
                            allow_remainder=allow_remainder, owner="conv2d_forward")
    SH, SW = _applied_stride((SH, SW), (OH, OW))
    _checks.check_array_size((N, X.shape[1], X.shape[2] + 2 * pad[0], X.shape[3] + 2 * pad[1]), X.dtype,
                             "conv2d_forward", "pad", "the padded X")
    rows = width_windows(to_hcwn(X, pad), FW, SW, OW)  # (H', C*FW, OW*N): the one copy
    cols = height_windows(rows, FH, SH, OH)  # (OH, FH*C*FW, OW*N): a view
    # W with its values in the order of cols' rows, (i, c, j): (C_out, FH*C*FW)
    W_mat = W.transpose(0, 2, 1, 3).reshape(C_out, -1)
    A = parallel.matmul(W_mat, cols)  # (OH, C_out, OW*N): one product per output row
    A += B[:, None]  # in place: no second array
    # columns are ordered (x, n): split them, then show the (N, C_out, OH, OW) shape (a view;
    # the LeNet document reshaped its product straight to (N, C, H, W), which scrambles the outputs)
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


def conv1d_forward(X, W, B, stride=1, pad=0, *, allow_remainder=False):
    """X (N, C, L), W (C_out, C, F), B (C_out,) -> (A (N, C_out, L_out), rows (1, C*F, L_out*N))."""
    X, W = np.asarray(X), np.asarray(W)
    if X.ndim != 3 or W.ndim != 3:
        raise ValueError(f"conv1d_forward expects X of shape (N, C, L) and W of shape (C_out, C, F), "
                         f"got {_checks.format_shape(X.shape)} and {_checks.format_shape(W.shape)}")
    A, rows = conv2d_forward(X[:, :, None, :], W[:, :, None, :], B, (1, stride), (0, pad),
                             allow_remainder=allow_remainder)
    return A[:, :, 0, :], rows


def conv1d_backward(dA, W, rows, x_shape, stride=1, pad=0, *, allow_remainder=False, need_dX=True):
    """dA (N, C_out, L_out) -> (dX (N, C, L), dW (C_out, C, F), dB (C_out,)); dX None if not need_dX."""
    N, C, L = x_shape
    dX, dW, dB = conv2d_backward(dA[:, :, None, :], W[:, :, None, :], rows, (N, C, 1, L),
                                 (1, stride), (0, pad), allow_remainder=allow_remainder,
                                 need_dX=need_dX)
    return None if dX is None else dX[:, :, 0, :], dW[:, :, 0, :], dB
