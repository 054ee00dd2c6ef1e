"""The slow, obvious versions: one loop per output, as the course documents write them (the
students' notebooks "Sprint 深層学習スクラッチ 畳み込みニューラルネットワーク1" and "Sprint13").

They exist to be read and to check the fast versions against (tests/test_functional.py
asserts fast == naive on random shapes; benchmarks/bench_conv.py times both). Never
use them for training: they are hundreds of times slower.
"""
from __future__ import annotations

import itertools

import numpy as np

from .conv import _floating
from .im2col import pad2d
from .sizes import output_size_2d


def conv2d_naive_forward(X, W, B, stride=1, pad=0):
    """X (N, C, H, W), W (C_out, C, FH, FW), B (C_out,) -> A (N, C_out, OH, OW).

    stride, pad : int or (height, width) pair. Integer arrays are computed in float64.
    """
    X, W, B = _floating(X, W, B)  # an integer A would truncate, or wrap, every sum
    N, C_out, (FH, FW) = X.shape[0], W.shape[0], W.shape[2:]
    (SH, SW), pad = _pair(stride), _pair(pad)
    OH, OW = output_size_2d(X.shape[2:], (FH, FW), (SH, SW), pad, owner="conv2d_naive_forward")
    Xp = pad2d(X, pad)
    A = np.empty((N, C_out, OH, OW), dtype=X.dtype)
    for n, o, y, x in itertools.product(range(N), range(C_out), range(OH), range(OW)):
        window = Xp[n, :, y * SH:y * SH + FH, x * SW:x * SW + FW]
        A[n, o, y, x] = np.sum(window * W[o]) + B[o]
    return A


def conv2d_naive_backward(dA, X, W, stride=1, pad=0):
    """dA (N, C_out, OH, OW) -> (dX (N, C, H, W), dW (C_out, C, FH, FW), dB (C_out,)).
    Integer arrays are computed in float64."""
    dA, X, W = _floating(dA, X, W)
    N, C_out, OH, OW = dA.shape
    FH, FW = W.shape[2:]
    (SH, SW), (PH, PW) = _pair(stride), _pair(pad)
    Xp = pad2d(X, (PH, PW))
    dXp, dW = np.zeros_like(Xp), np.zeros_like(W)
    for n, o, y, x in itertools.product(range(N), range(C_out), range(OH), range(OW)):
        rows, cols = slice(y * SH, y * SH + FH), slice(x * SW, x * SW + FW)
        dXp[n, :, rows, cols] += dA[n, o, y, x] * W[o]
        dW[o] += dA[n, o, y, x] * Xp[n, :, rows, cols]
    dB = dA.sum(axis=(0, 2, 3))
    H, Wd = X.shape[2:]
    return dXp[:, :, PH:PH + H, PW:PW + Wd], dW, dB


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def max_pool2d_naive_forward(X, pool_size, stride=None):
    """X (N, C, H, W) -> A (N, C, OH, OW); square int window and stride."""
    stride = pool_size if stride is None else stride
    N, C = X.shape[:2]
    OH, OW = output_size_2d(X.shape[2:], pool_size, stride, 0, owner="max_pool2d_naive_forward")
    A = np.empty((N, C, OH, OW), dtype=X.dtype)
    for n, c, y, x in itertools.product(range(N), range(C), range(OH), range(OW)):
        A[n, c, y, x] = X[n, c, y * stride:y * stride + pool_size, x * stride:x * stride + pool_size].max()
    return A


def max_pool2d_naive_backward(dA, X, pool_size, stride=None):
    """dA (N, C, OH, OW) -> dX (N, C, H, W): to the first maximum of each window."""
    stride = pool_size if stride is None else stride
    dX = np.zeros_like(X)
    for n, c, y, x in itertools.product(*map(range, dA.shape)):
        window = X[n, c, y * stride:y * stride + pool_size, x * stride:x * stride + pool_size]
        i, j = np.unravel_index(np.argmax(window), window.shape)  # argmax: first in row-major order
        dX[n, c, y * stride + i, x * stride + j] += dA[n, c, y, x]
    return dX
