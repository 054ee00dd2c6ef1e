"""The time loops of SimpleRNN (layers/rnn.py), forward and backward through time.

The rows of a batch never meet in a recurrent layer: h_t of sample n depends on sample n
alone. So the batch is cut into slices (``parallel.for_slices``) and each slice runs all
T steps on its own, with no waiting between steps: on two free cores the T small products
of a step run two at a time, and with one core the loop is the same as without slices.
Letters as in ``functional``: T steps, N samples, n_nodes the state's size.
"""
from __future__ import annotations

import numpy as np

from . import parallel


def rnn_forward_states(states: np.ndarray, W_h: np.ndarray, f) -> None:
    """states (T+1, N, n_nodes): states[0] = h_0 and states[t] = x_t W_x + B for t >= 1 on
    entry; on return states[t] = h_t = f(x_t W_x + B + h_{t-1} W_h), in place.

    ``f(a, out=a)`` is the activation (``Tanh.function``...).
    """
    T, N, n_nodes = states.shape[0] - 1, states.shape[1], states.shape[2]

    def batch(first, last):
        hW = np.empty((last - first, n_nodes), dtype=states.dtype)  # one buffer for every step
        for t in range(T):
            a_t = states[t + 1, first:last]  # x_t W_x + B, becomes a_t, then h_t
            np.matmul(states[t, first:last], W_h, out=hW)
            a_t += hW
            f(a_t, out=a_t)

    parallel.for_slices(N, batch, size=T * N * n_nodes * n_nodes // 32, per_thread=1)


def rnn_backward_steps(dZ: np.ndarray, carry: np.ndarray, W_h: np.ndarray, dA_seq, vanished: float) -> None:
    """Backpropagation through time, in place.

    dZ (T, N, n_nodes) holds f'(a_t) on entry and dL/da_t on return; carry (N, n_nodes)
    holds dL/dh_T on entry and dL/dh_0 on return; dA_seq (T, N, n_nodes) is the gradient
    on every h_t (return_sequences) or None. Once every entry of a slice's carry is below
    ``vanished`` it is set to zero (see SimpleRNN._backward).
    """
    T, N, n_nodes = dZ.shape
    W_hT = W_h.T

    def batch(first, last):
        c = carry[first:last]  # a view: the slice's dL/dh_t
        for t in reversed(range(T)):
            if dA_seq is not None:
                c += dA_seq[t, first:last]
            dZ_t = dZ[t, first:last]
            dZ_t *= c
            np.matmul(dZ_t, W_hT, out=c)  # dL/dh_{t-1}
            if c.max() < vanished and -vanished < c.min():  # max first: it is rarely small
                c[...] = 0

    parallel.for_slices(N, batch, size=T * N * n_nodes * n_nodes // 32, per_thread=1)

