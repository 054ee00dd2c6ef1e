"""Convolution forward and backward as pure functions (what Conv1d and Conv2d call): the
algorithm of the book "Deep Learning from Scratch" (『ゼロから作るDeep Learning』, its
Convolution layer in common/layers.py) and of the sprint notebooks "Sprint13" (2-D) and
"Sprint 深層学習スクラッチ 畳み込みニューラルネットワーク1" (1-D).

Forward, for X (N, C, H, W), W (C_out, C, FH, FW), B (C_out,)::

    A[n, o, y, x] = sum over c, i, j of X_pad[n, c, y*S + i, x*S + j] * W[o, c, i, j] + B[o]

im2col (im2col.py) writes every window of X_pad as a row of a matrix ``cols``
(N*OH*OW, C*FH*FW), and each filter of W flattened is a row of ``W_col`` (C_out, C*FH*FW):
the whole sum is then ONE matrix product, ``cols @ W_col.T + B``.

Backward, for a loss L and dA = dL/dA (N, C_out, OH, OW), as a matrix ``dA_col``
(N*OH*OW, C_out) whose rows match the rows of ``cols``:

* dB = dA_col summed over its rows: each output added B once (a sum over the batch, not a mean);
* dW = dA_col.T @ cols: each weight sums dA times the inputs it met;
* dX = col2im(dA_col @ W_col): each window hands W times its output's gradient back to
  the pixels it came from; col2im adds up where windows overlap, and crops the padding.

1-D convolutions (Conv1d) are the same on (N, C, L), written out with their own windows.
``fast/conv.py`` computes the same numbers faster (sprintlib.fast), and ``naive.py``
holds the loops of the documents that both are tested against.
The LeNet notebook "lenet構成のCNN" reshaped the product straight to (N, C_out, OH, OW), which
scrambles the outputs: its rows are ordered (n, y, x), hence the transpose.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import _checks
from .im2col import col2im, im2col
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


def check_conv2d_inputs(X, W, B, stride, pad, allow_remainder, owner="conv2d_forward"):
    """X, W, B as floating arrays of matching shapes, (SH, SW), (PH, PW) and (OH, OW); a
    ValueError naming what was expected otherwise. Shared with the fast path (fast/conv.py)."""
    X, W, B = _floating(X, W, B)
    if X.ndim != 4 or W.ndim != 4 or X.shape[1] != W.shape[1]:
        raise ValueError(f"{owner} expects X of shape (N, {W.shape[1]}, H, W) for W of shape "
                         f"{_checks.format_shape(W.shape)}, got {_checks.format_shape(X.shape)}")
    C_out = W.shape[0]
    if B.shape != (C_out,):
        raise ValueError(f"{owner} expects B of shape ({C_out},) for W of shape "
                         f"{_checks.format_shape(W.shape)}, got {_checks.format_shape(B.shape)}")
    stride = _checks.check_pair(stride, owner, "stride")
    pad = _checks.check_pair(pad, owner, "pad", minimum=0)
    out_size = output_size_2d(X.shape[2:], W.shape[2:], stride, pad, allow_remainder=allow_remainder, owner=owner)
    _checks.check_array_size((X.shape[0], X.shape[1], X.shape[2] + 2 * pad[0], X.shape[3] + 2 * pad[1]),
                             X.dtype, owner, "pad", "the padded X")
    return X, W, B, stride, pad, out_size


def conv2d_forward(X, W, B, stride=1, pad=0, *, allow_remainder=False):
    """X (N, C, H, W), W (C_out, C, FH, FW), B (C_out,) -> (A (N, C_out, OH, OW), cols).

    ``cols`` (N*OH*OW, C*FH*FW), the im2col matrix of the padded X, is what backward needs
    (dW sums dA times the inputs each weight met). Integer arrays are computed in float64.
    """
    X, W, B, stride, pad, (OH, OW) = check_conv2d_inputs(X, W, B, stride, pad, allow_remainder)
    N, C_out = X.shape[0], W.shape[0]
    cols = im2col(X, W.shape[2:], stride, pad, allow_remainder=allow_remainder)  # (N*OH*OW, C*FH*FW)
    W_col = W.reshape(C_out, -1)  # (C_out, C*FH*FW): a filter a row, in im2col's (C, FH, FW) order
    A = cols @ W_col.T + B  # (N*OH*OW, C_out): the one product
    # row (n*OH + y)*OW + x of A is output (n, y, x): back to NCHW
    return A.reshape(N, OH, OW, C_out).transpose(0, 3, 1, 2), cols


def conv2d_backward(dA, W, cols, x_shape, stride=1, pad=0, *, allow_remainder=False, need_dX=True):
    """dA (N, C_out, OH, OW), W (C_out, C, FH, FW), cols from forward, x_shape = X.shape
    -> (dX (N, C, H, W), dW (C_out, C, FH, FW), dB (C_out,)); dX is None if not need_dX.
    Integer arrays are computed in float64."""
    dA, W, cols = _floating(dA, W, cols)
    stride = _checks.check_pair(stride, "conv2d_backward", "stride")
    pad = _checks.check_pair(pad, "conv2d_backward", "pad", minimum=0)
    need_dX = _checks.check_bool(need_dX, "conv2d_backward", "need_dX")
    C_out = W.shape[0]
    dA_col = dA.transpose(0, 2, 3, 1).reshape(-1, C_out)  # (N*OH*OW, C_out), rows as cols' rows
    dB = dA_col.sum(axis=0)  # each output added B once
    dW = (dA_col.T @ cols).reshape(W.shape)  # (C_out, C*FH*FW) -> (C_out, C, FH, FW)
    if not need_dX:
        return None, dW, dB
    # with the W of the forward pass: the optimizer updates it after backward
    dcols = dA_col @ W.reshape(C_out, -1)  # (N*OH*OW, C*FH*FW): each window's share
    dX = col2im(dcols, x_shape, W.shape[2:], stride, pad, allow_remainder=allow_remainder)
    return dX, dW, dB


def conv1d_forward(X, W, B, stride=1, pad=0, *, allow_remainder=False):
    """X (N, C, L), W (C_out, C, F), B (C_out,) -> (A (N, C_out, L_out), cols (N*L_out, C*F)).

    The same algorithm in 1-D, written out on its own (sprint 1 comes before im2col):
    ``cols`` holds every window of the padded X as a row, and A is one product."""
    X, W, B = _floating(X, W, B)
    if X.ndim != 3 or W.ndim != 3:
        raise ValueError(f"conv1d_forward expects X of shape (N, C, L) and W of shape (C_out, C, F), "
                         f"got {_checks.format_shape(X.shape)} and {_checks.format_shape(W.shape)}")
    # the checks (and their messages) of the 2-D case, on an image of height 1
    _, _, _, (_, S), (_, P), (_, L_out) = check_conv2d_inputs(X[:, :, None, :], W[:, :, None, :], B,
                                                              (1, stride), (0, pad), allow_remainder)
    N, C, _ = X.shape
    C_out, _, F = W.shape
    S = _applied_stride((S,), (L_out,))[0]
    X_pad = np.pad(X, ((0, 0), (0, 0), (P, P)))  # P zeros at each end
    windows = sliding_window_view(X_pad, F, axis=2)[:, :, :S * L_out:S]  # (N, C, L_out, F), a view
    cols = windows.transpose(0, 2, 1, 3).reshape(N * L_out, C * F)  # row n*L_out + i: window i of n
    A = cols @ W.reshape(C_out, C * F).T + B  # (N*L_out, C_out): the one product
    return A.reshape(N, L_out, C_out).transpose(0, 2, 1), cols


def conv1d_backward(dA, W, cols, x_shape, stride=1, pad=0, *, allow_remainder=False, need_dX=True):
    """dA (N, C_out, L_out) -> (dX (N, C, L), dW (C_out, C, F), dB (C_out,)); dX None if not need_dX."""
    dA, W, cols = _floating(dA, W, cols)
    need_dX = _checks.check_bool(need_dX, "conv1d_backward", "need_dX")
    N, C, L = x_shape
    C_out, _, F = W.shape
    L_out = dA.shape[2]
    S = _applied_stride((_checks.check_int(stride, "conv1d_backward", "stride"),), (L_out,))[0]
    P = _checks.check_int(pad, "conv1d_backward", "pad", minimum=0)
    dA_col = dA.transpose(0, 2, 1).reshape(N * L_out, C_out)  # rows as cols' rows
    dB = dA_col.sum(axis=0)  # each output added B once
    dW = (dA_col.T @ cols).reshape(W.shape)  # each weight: dA times the inputs it met
    if not need_dX:
        return None, dW, dB
    dwindows = (dA_col @ W.reshape(C_out, C * F)).reshape(N, L_out, C, F)  # each window's share
    # col2im in 1-D: every window entry back to the position it came from, overlaps added
    dX_pad = np.zeros((N, C, L + 2 * P), dtype=dwindows.dtype)
    for s in range(F):  # the F filter taps, each a whole-array add
        dX_pad[:, :, s:s + S * L_out:S] += dwindows[:, :, :, s].transpose(0, 2, 1)
    return dX_pad[:, :, P:P + L], dW, dB
