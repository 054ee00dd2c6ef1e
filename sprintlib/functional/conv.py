"""Convolution forward and backward as pure functions (what Conv1d and Conv2d call).

Forward: ``A[n, o, y, x] = sum_{c, i, j} X_pad[n, c, y*S + i, x*S + j] * W[o, c, i, j] + B[o]``,
which im2col turns into one matrix product. Backward, for a loss L with dL/dA = dA:

* dB[o] = sum over n, y, x of dA[n, o, y, x]   (a sum: each output adds B once; not a mean)
* dW = dA (as a (C_out, N*OH*OW) matrix) @ col
* dX = col2im(dA-matrix.T @ W-matrix): each window hands its share back to its pixels.

The same code does 1-D convolutions, as 2-D ones on an image of height 1.
The slow, obvious loops that these are checked against are in ``naive.py``.
"""
from __future__ import annotations

from .. import _checks
from .im2col import col2im, im2col
from .sizes import output_size_2d


def conv2d_forward(X, W, B, stride=1, pad=0, *, allow_remainder=False):
    """X (N, C, H, W), W (C_out, C, FH, FW), B (C_out,) -> (A (N, C_out, OH, OW), col).

    ``col`` (N*OH*OW, C*FH*FW) is the im2col matrix, kept for the backward pass.
    """
    if X.ndim != 4 or W.ndim != 4 or X.shape[1] != W.shape[1]:
        raise ValueError(f"conv2d_forward expects X of shape (N, {W.shape[1]}, H, W) for W of shape "
                         f"{_checks.format_shape(W.shape)}, got {_checks.format_shape(X.shape)}")
    N, C_out = X.shape[0], W.shape[0]
    OH, OW = output_size_2d(X.shape[2:], W.shape[2:], stride, pad,
                            allow_remainder=allow_remainder, owner="conv2d_forward")
    col = im2col(X, W.shape[2:], stride, pad, allow_remainder=allow_remainder)
    # (C_out, K) @ (K, N*OH*OW): one matrix product for every output of the batch
    A = W.reshape(C_out, -1) @ col.T + B[:, None]
    # columns are ordered (n, y, x): split them, then put the channel axis second (a view;
    # seed 003 reshaped straight to (N, C, H, W), which scrambles the outputs)
    return A.reshape(C_out, N, OH, OW).transpose(1, 0, 2, 3), col


def conv2d_backward(dA, W, col, x_shape, stride=1, pad=0, *, allow_remainder=False):
    """dA (N, C_out, OH, OW), W (C_out, C, FH, FW), col from forward, x_shape = X.shape
    -> (dX (N, C, H, W), dW (C_out, C, FH, FW), dB (C_out,))."""
    C_out, _, FH, FW = W.shape
    dA_mat = dA.transpose(1, 0, 2, 3).reshape(C_out, -1)  # (C_out, N*OH*OW), as col's rows
    dB = dA_mat.sum(axis=1)
    # dA_mat @ col, computed as (col.T @ dA_mat.T).T: both operands then run along their
    # long N*OH*OW axis the way they sit in memory (faster in float32, and OpenBLAS's
    # threads split it well: the other order stalled 100x on a busy 2-core machine)
    dW = (col.T @ dA_mat.T).T.reshape(W.shape)
    # (K, N*OH*OW): each filter tap's gradient contiguous, the order col2im adds fastest
    dcol = W.reshape(C_out, -1).T @ dA_mat
    dX = col2im(dcol.T, x_shape, (FH, FW), stride, pad, allow_remainder=allow_remainder)
    return dX, dW, dB


def conv1d_forward(X, W, B, stride=1, pad=0, *, allow_remainder=False):
    """X (N, C, L), W (C_out, C, F), B (C_out,) -> (A (N, C_out, L_out), col (N*L_out, C*F))."""
    A, col = conv2d_forward(X[:, :, None, :], W[:, :, None, :], B, (1, stride), (0, pad),
                            allow_remainder=allow_remainder)
    return A[:, :, 0, :], col


def conv1d_backward(dA, W, col, x_shape, stride=1, pad=0, *, allow_remainder=False):
    """dA (N, C_out, L_out) -> (dX (N, C, L), dW (C_out, C, F), dB (C_out,))."""
    N, C, L = x_shape
    dX, dW, dB = conv2d_backward(dA[:, :, None, :], W[:, :, None, :], col, (N, C, 1, L),
                                 (1, stride), (0, pad), allow_remainder=allow_remainder)
    return dX[:, :, 0, :], dW[:, :, 0, :], dB
