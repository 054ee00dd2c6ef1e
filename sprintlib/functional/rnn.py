"""SimpleRNN's forward over time and its backpropagation through time (BPTT), as pure
functions (what layers/rnn.py calls): the loops of the sprint notebook on recurrent
neural networks (リカレントニューラルネットワーク), vectorised over the batch.

Forward, for t = 1..T (the documents' n_sequences), from h_0::

    a_t = x_t @ W_x + h_{t-1} @ W_h + B,   h_t = f(a_t)   (f: tanh in the documents)

Backward, from dL/dh_T (and, with return_sequences, a gradient on every h_t), for t = T..1::

    dL/da_t = dL/dh_t * f'(a_t)
    dW_x += x_t.T @ dL/da_t,  dW_h += h_{t-1}.T @ dL/da_t,  dB += dL/da_t summed over the batch
    dx_t = dL/da_t @ W_x.T,   dL/dh_{t-1} = dL/da_t @ W_h.T

h_{t-1}, not the final state: each step's weights met the state before it.
Letters as in ``functional``: N samples, T steps, n_features, n_nodes the state's size.
``fast/rnn.py`` computes the same numbers faster (sprintlib.fast).
"""
from __future__ import annotations

import numpy as np


def rnn_forward(X, h0, W_x, W_h, B, f):
    """X (N, T, n_features), h0 (N, n_nodes) -> states (T+1, N, n_nodes): states[0] = h0,
    states[t] = h_t. ``f`` is the activation (``Tanh.function``...)."""
    N, T, _ = X.shape
    states = np.empty((T + 1, N, W_h.shape[0]), dtype=W_h.dtype)
    states[0] = h0
    for t in range(T):
        states[t + 1] = f(X[:, t] @ W_x + states[t] @ W_h + B)
    return states


def rnn_backward(dA, X, states, W_x, W_h, f_prime, return_sequences=False, need_dX=True):
    """Backpropagation through time.

    dA: (N, n_nodes), dL/dh_T; or (N, T, n_nodes), dL/dh_t for every t (return_sequences).
    X (N, T, n_features) and states (T+1, N, n_nodes) of forward; ``f_prime(h)`` the
    activation's derivative written through its output (``Tanh.derivative``...).
    Returns (dX (N, T, n_features) or None if not need_dX, dW_x, dW_h, dB, dh0 (N, n_nodes)).
    """
    N, T, _ = X.shape
    dW_x, dW_h, dB = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros(W_h.shape[0], dtype=W_h.dtype)
    dX = np.empty(X.shape, dtype=W_x.dtype) if need_dX else None
    dh = np.zeros_like(states[0]) if return_sequences else dA.copy()  # dL/dh_t
    for t in range(T, 0, -1):
        if return_sequences:
            dh += dA[:, t - 1]  # h_t's own output adds its gradient to the one from h_{t+1}
        da = dh * f_prime(states[t])  # dL/da_t
        dW_x += X[:, t - 1].T @ da
        dW_h += states[t - 1].T @ da  # h_{t-1}
        dB += da.sum(axis=0)  # a sum over the batch and time, not a mean
        if need_dX:
            dX[:, t - 1] = da @ W_x.T
        dh = da @ W_h.T  # dL/dh_{t-1}
    return dX, dW_x, dW_h, dB, dh
