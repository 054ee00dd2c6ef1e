"""Right answers written as plain loops, in the course documents' style: for-loops over the
samples and the output positions (one window at a time, as a layer without mini-batches is
called once a sample), NumPy only over the channels; sprint 4's RNN loops over the samples
and the time steps, one vector-matrix product a step. What the graded training cells of
sprints 1 to 4 must finish with, within the cell limit (issue 24, item 11):
tests/test_training_cells.py grades them, and ``SOURCES`` is each as a notebook cell appended
to the model answer's (the class replaced, its name kept). Sprint 3 builds on sprint 2's
layers: a student who writes their own puts them in problem 1's cell, beside the LeNet."""
import inspect

import numpy as np

from sprintlib import HeInitializer, XavierInitializer  # the notebooks' own imports: their cells get them there


class LoopConv1d:
    """Conv1d (X (C_in, L) or (N, C_in, L), padding, stride): a loop over the samples and one over
    the output positions, each window's product with W summed by NumPy over the channels."""

    param_names = ("W", "B")

    def __init__(self, in_channels, out_channels, filter_size, stride=1, pad=0, initializer=None, optimizer=None):
        initializer = HeInitializer() if initializer is None else initializer
        self.W = initializer.sample((out_channels, in_channels, filter_size), fan_in=in_channels * filter_size)
        self.B = initializer.B(out_channels)
        self.stride, self.pad = stride, pad
        self.optimizer = optimizer

    def forward(self, X):
        X = np.asarray(X, dtype=float)
        self.batched = X.ndim == 3
        X = X if self.batched else X[None]
        P, S, F = self.pad, self.stride, self.W.shape[2]
        self.Xp = np.pad(X, ((0, 0), (0, 0), (P, P)))
        L_out = (self.Xp.shape[2] - F) // S + 1
        A = np.zeros((len(X), len(self.W), L_out))
        for n in range(len(X)):
            for i in range(L_out):
                window = self.Xp[n, :, i * S:i * S + F]  # (C_in, F)
                A[n, :, i] = np.sum(window * self.W, axis=(1, 2)) + self.B
        return A if self.batched else A[0]

    def backward(self, dA):
        dA = np.asarray(dA, dtype=float)
        dA = dA if self.batched else dA[None]
        P, S, F = self.pad, self.stride, self.W.shape[2]
        dXp, self.dW = np.zeros_like(self.Xp), np.zeros_like(self.W)
        for n in range(len(dA)):
            for i in range(dA.shape[2]):
                d = dA[n, :, i, None, None]  # (C_out, 1, 1)
                self.dW += d * self.Xp[n, None, :, i * S:i * S + F]
                dXp[n, :, i * S:i * S + F] += np.sum(d * self.W, axis=0)  # overlapping windows add
        self.dB = dA.sum(axis=(0, 2))
        dX = dXp[:, :, P:dXp.shape[2] - P]
        if self.optimizer is not None:
            self.optimizer.update(self)
        return dX if self.batched else dX[0]


class LoopConv2d:
    """Conv2d (X (N, C_in, H, W), padding, stride): a loop over the samples and two over the output
    positions, each window's product with W summed by NumPy over the channels."""

    param_names = ("W", "B")

    def __init__(self, in_channels, out_channels, filter_size, stride=1, pad=0, initializer=None, optimizer=None,
                 dtype=float):  # dtype: what sprint 3's LeNet passes its layers
        FH, FW = (filter_size, filter_size) if np.isscalar(filter_size) else filter_size
        self.dtype = dtype
        initializer = HeInitializer() if initializer is None else initializer
        self.W = initializer.sample((out_channels, in_channels, FH, FW), fan_in=in_channels * FH * FW)
        self.B = initializer.B(out_channels)
        self.stride = (stride, stride) if np.isscalar(stride) else tuple(stride)
        self.pad = (pad, pad) if np.isscalar(pad) else tuple(pad)
        self.optimizer = optimizer

    def forward(self, X):
        X = np.asarray(X, dtype=self.dtype)
        (PH, PW), (SH, SW), (FH, FW) = self.pad, self.stride, self.W.shape[2:]
        self.Xp = np.pad(X, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
        OH, OW = (self.Xp.shape[2] - FH) // SH + 1, (self.Xp.shape[3] - FW) // SW + 1
        A = np.zeros((len(X), len(self.W), OH, OW), dtype=self.dtype)
        for n in range(len(X)):
            for i in range(OH):
                for j in range(OW):
                    window = self.Xp[n, :, i * SH:i * SH + FH, j * SW:j * SW + FW]  # (C_in, FH, FW)
                    A[n, :, i, j] = np.sum(window * self.W, axis=(1, 2, 3)) + self.B
        return A

    def backward(self, dA):
        dA = np.asarray(dA, dtype=self.dtype)
        (PH, PW), (SH, SW), (FH, FW) = self.pad, self.stride, self.W.shape[2:]
        dXp, self.dW = np.zeros_like(self.Xp), np.zeros_like(self.W)
        for n in range(len(dA)):
            for i in range(dA.shape[2]):
                for j in range(dA.shape[3]):
                    rows, cols = slice(i * SH, i * SH + FH), slice(j * SW, j * SW + FW)
                    d = dA[n, :, i, j, None, None, None]  # (C_out, 1, 1, 1)
                    self.dW += d * self.Xp[n, None, :, rows, cols]
                    dXp[n, :, rows, cols] += np.sum(d * self.W, axis=0)  # overlapping windows add
        self.dB = dA.sum(axis=(0, 2, 3))
        H, W = dXp.shape[2:]
        if self.optimizer is not None:
            self.optimizer.update(self)
        return dXp[:, :, PH:H - PH, PW:W - PW]


class LoopMaxPool2D:
    """MaxPool2D (X (N, C, H, W)): a loop over the samples and the windows; each window's
    gradient goes to its maximum (where windows overlap, the shares add)."""

    param_names = ()

    def __init__(self, pool_size=2, stride=None, dtype=float):
        self.pool_size = pool_size
        self.stride = pool_size if stride is None else stride
        self.dtype = dtype

    def forward(self, X):
        self.X = np.asarray(X, dtype=self.dtype)
        P, S = self.pool_size, self.stride
        N, C, H, W = self.X.shape
        OH, OW = (H - P) // S + 1, (W - P) // S + 1
        A = np.zeros((N, C, OH, OW), dtype=self.dtype)
        for n in range(N):
            for i in range(OH):
                for j in range(OW):
                    A[n, :, i, j] = self.X[n, :, i * S:i * S + P, j * S:j * S + P].max(axis=(1, 2))
        return A

    def backward(self, dA):
        P, S = self.pool_size, self.stride
        dX = np.zeros(self.X.shape, dtype=self.dtype)
        channels = np.arange(self.X.shape[1])
        for n in range(dA.shape[0]):
            for i in range(dA.shape[2]):
                for j in range(dA.shape[3]):
                    window = self.X[n, :, i * S:i * S + P, j * S:j * S + P].reshape(len(channels), -1)
                    r, q = np.divmod(window.argmax(axis=1), P)
                    dX[n, channels, i * S + r, j * S + q] += dA[n, :, i, j]
        return dX


class LoopSimpleRNN:
    """SimpleRNN (X (N, T, F) -> every state (N, T, H), h_0 = 0): a loop over the samples and one
    over the time steps, each step one vector-matrix product (a student who also loops over the
    batch, where the document loops over time only)."""

    param_names = ("W_x", "W_h", "B")

    def __init__(self, n_features, n_nodes, initializer=None, optimizer=None):
        initializer = XavierInitializer() if initializer is None else initializer
        self.n_features, self.n_nodes = n_features, n_nodes
        self.W_x = initializer.W(n_features, n_nodes)
        self.W_h = initializer.W(n_nodes, n_nodes)
        self.B = initializer.B(n_nodes)
        self.optimizer = optimizer

    def forward(self, X):
        N, T, _ = X.shape
        self.X = X
        self.states = np.zeros((N, T + 1, self.n_nodes))  # states[n, t] = h_t of sample n, h_0 = 0
        for n in range(N):
            for t in range(T):
                a = X[n, t] @ self.W_x + self.states[n, t] @ self.W_h + self.B  # (H,)
                self.states[n, t + 1] = np.tanh(a)
        return self.states[:, 1:].copy()

    def backward(self, dH):
        N, T, _ = dH.shape
        self.dW_x, self.dW_h = np.zeros_like(self.W_x), np.zeros_like(self.W_h)
        self.dB = np.zeros_like(self.B)
        dX = np.zeros((N, T, self.n_features))
        for n in range(N):
            dh_later = np.zeros(self.n_nodes)  # what reaches h_t through h_{t+1}
            for t in reversed(range(T)):
                da = (dH[n, t] + dh_later) * (1 - self.states[n, t + 1] ** 2)  # (H,)
                self.dW_x += np.outer(self.X[n, t], da)
                self.dW_h += np.outer(self.states[n, t], da)
                self.dB += da
                dX[n, t] = self.W_x @ da
                dh_later = self.W_h @ da
        if self.optimizer is not None:
            self.optimizer.update(self)
        return dX


def _as_cell(cls, name: str) -> str:
    """The class's source as a notebook cell defining ``name`` (its loops kept as they are)."""
    return inspect.getsource(cls).replace(f"class {cls.__name__}:", f"class {name}:", 1)


#: grade_id -> the cell appended to that model answer: its class replaced by the loop version
SOURCES = {
    "sprint1_conv1d": {"p4_solution": _as_cell(LoopConv1d, "Conv1d")},
    "sprint2_conv2d": {"p1_solution": _as_cell(LoopConv2d, "Conv2d"),
                       "p4_solution": _as_cell(LoopMaxPool2D, "MaxPool2D")},
    # sprint 2's layers, the student's own: they replace sprintlib's for the LeNet of problem 1
    "sprint3_lenet": {"p1_solution": _as_cell(LoopConv2d, "Conv2d") + "\n\n" + _as_cell(LoopMaxPool2D, "MaxPool2D")},
    "sprint4_rnn": {"rnn_solution": _as_cell(LoopSimpleRNN, "ScratchSimpleRNN")},
}
