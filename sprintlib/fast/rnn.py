"""The fast path's SimpleRNN loops: the same numbers as ``functional/rnn.py`` (the model
answer), laid out time-major, with B riding in x_t's product, the batch's slices on both
cores, and a vanished gradient flushed to zero.

Layout: the states are kept time-major, (T+1, N, n_nodes), so that each step reads and
writes one contiguous block; a column of ones is appended to x_t, [x_t, 1] @ [W_x; B] =
x_t W_x + B, so that x_t W_x + B for every t is one product before the loop (only h_{t-1}
W_h has to wait for it) and backward gets dB from the product that gives dW_x.

Subnormal numbers: a vanishing gradient shrinks at every step through saturated units
(10x a step is common), down into subnormal numbers (below float32's 1.2e-38), which the
CPU multiplies about 100 times slower. Once every entry of dL/dh_t is below eps**2 times
dA's largest entry (1e-14x in float32), which no float sum of terms of dA's size can see,
zero is the same gradient to float precision (TensorFlow flushes subnormals to zero): the
loop then carries zeros.

The rows of a batch never meet in a recurrent layer: h_t of sample n depends on sample n
alone. So the batch is cut into two halves (``parallel.batch_halves``, fixed by the batch
size alone) and each half runs all T steps on its own, with no waiting between steps: on two
free cores the T small products of a step run two at a time, and with one core the halves
run one after the other, the same products: the same numbers either way.

Backward (``rnn_backward``) shares its work another way: the loop through time runs
alone, from t = T down to 1, while the other core multiplies the steps the loop has
finished (BLOCK at a time) into dW_x, dB, dW_h and dX; once the loop has ended its thread
takes the blocks that are left. Those products are more work than the loop itself, and a
few large products cost little to hand over.
Letters as in ``functional``: T steps, N samples, n_nodes the state's size.
"""
from __future__ import annotations

import itertools
import threading

import numpy as np

from . import parallel


def rnn_forward(X, h0, W_x, W_h, B, f):
    """``functional.rnn_forward``: X (N, T, n_features), h0 (N, n_nodes) -> states (T+1, N, n_nodes)."""
    N, T, n_in = X.shape
    n_nodes = W_h.shape[0]
    X1 = with_ones(X, W_h.dtype)
    states = np.empty((T + 1, N, n_nodes), dtype=W_h.dtype)  # states[t] = h_t
    states[0] = h0
    # x_t W_x + B for every t in one product, written where h_1..h_T will go
    W_xB = np.vstack([W_x, B])  # (n_features + 1, n_nodes)
    np.matmul(X1.reshape(T * N, n_in + 1), W_xB, out=states[1:].reshape(T * N, n_nodes))
    rnn_forward_states(states, W_h, f)
    return states


def with_ones(X, dtype):
    """X (N, T, n_features) -> X1 (T, N, n_features + 1): time-major, a column of ones appended."""
    N, T, n_in = X.shape
    X1 = np.empty((T, N, n_in + 1), dtype=dtype)
    X1[:, :, :n_in] = X.transpose(1, 0, 2)
    X1[:, :, n_in] = 1
    return X1


def rnn_backward(dA, X, states, W_x, W_h, f_prime, return_sequences=False, need_dX=True):
    """``functional.rnn_backward``: -> (dX (N, T, n_features) or None, dW_x, dW_h, dB, dh0)."""
    n_in = X.shape[2]
    carry = np.zeros_like(states[0]) if return_sequences else dA.copy()  # dL/dh_t
    dA_seq = dA.transpose(1, 0, 2) if return_sequences else None  # (T, N, n_nodes) view
    eps = np.finfo(W_h.dtype).eps
    vanished = max(float(np.abs(dA).max()) * eps * eps, np.finfo(W_h.dtype).tiny / eps)
    dW_xB, dW_h, dX = _backward(states, f_prime, carry, W_h, dA_seq, vanished, with_ones(X, W_h.dtype),
                                W_x if need_dX else None)
    dX = None if dX is None else np.ascontiguousarray(dX.transpose(1, 0, 2))
    return dX, dW_xB[:n_in], dW_h, dW_xB[n_in], carry

#: backward hands the weight gradients' products over in blocks of this many time steps
#: (7: four blocks for 28 steps; 4 to 10 measured alike on two threads, and fewer, larger
#: products cost less on one)
BLOCK = 7


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

    # slices fixed by N alone (two halves from 64 samples on), on one thread or two: each product
    # then has the same rows, and so the same rounding (OpenBLAS's kernels for 64 and for 128 rows
    # round differently on some CPUs), whatever the threads
    parallel.for_each(parallel.batch_halves(N), batch, size=T * N * n_nodes * n_nodes // 32)


def _backward(states, f_prime, carry, W_h, dA_seq, vanished, X1, W_x=None):
    """Backpropagation through time, with the weight gradients.

    states (T+1, N, n_nodes): h_0..h_T of forward; f_prime(h) the activation's derivative
    written through its output (``Tanh.derivative``...); carry (N, n_nodes): dL/dh_T on
    entry, dL/dh_0 on return; dA_seq (T, N, n_nodes): the gradient on every h_t
    (return_sequences), or None; X1 (T, N, n_in + 1): the inputs with a column of ones.

    For t = T..1: dL/da_t = f'(a_t) * carry, then carry = dL/da_t @ W_h.T = dL/dh_{t-1}.
    Once every entry of carry is below ``vanished`` it is set to zero (the module's
    docstring says why). Returns (dW_xB (n_in + 1, n_nodes), dW_h (n_nodes, n_nodes), dX (T, N, n_in),
    or None without W_x): dW_xB = sum_t [x_t, 1].T @ dL/da_t, dW_h = sum_t h_{t-1}.T @
    dL/da_t, dX_t = dL/da_t @ W_x.T.

    The loop runs on this thread; every BLOCK steps it ends, their products are free to
    go, to whichever thread takes them first (the loop's own, once it has ended). Each
    block's share of the sums is kept apart and they are added in one order at the end:
    the numbers do not depend on the threads.
    """
    T, N, n_nodes = states.shape[0] - 1, states.shape[1], states.shape[2]
    blocks = [(max(t - BLOCK, 0), t) for t in range(T, 0, -BLOCK)]  # in the order the loop ends them
    ready = [threading.Event() for _ in blocks]
    # f'(a_t) for every t in one call, before the loop: the loop then does the fewest
    # operations a step (each one costs a few microseconds on a (N, n_nodes) block).
    # dL/da_t is written over it when it is a float array (tanh's, sigmoid's).
    D = f_prime(states[1:])  # (T, N, n_nodes)
    dZ = D if D.dtype == states.dtype else np.empty(D.shape, dtype=states.dtype)  # dL/da_t
    dX = None if W_x is None else np.empty((T, N, W_x.shape[0]), dtype=states.dtype)
    parts = [None] * len(blocks)  # (block's dW_xB, block's dW_h)
    taken = itertools.count()  # next() is atomic under the GIL: each block goes to one thread
    stopped = []
    W_hT = np.ascontiguousarray(W_h.T)  # a copy in C order: 28 float32 products by it took
    # 1.98-2.20 ms, against 2.28-2.51 ms by the transposed view

    def loop():
        try:
            for k, (first, last) in enumerate(blocks):
                for t in range(last - 1, first - 1, -1):
                    if dA_seq is not None:
                        np.add(carry, dA_seq[t], out=carry)
                    np.multiply(D[t], carry, out=dZ[t])
                    np.matmul(dZ[t], W_hT, out=carry)  # dL/dh_{t-1}
                    if carry.max() < vanished and -vanished < carry.min():  # max first: it is rarely small
                        carry[...] = 0
                ready[k].set()
        except BaseException:
            stopped.append(True)
            raise
        finally:
            for event in ready:
                event.set()  # nobody waits for a loop that has ended
        products()

    def products():
        for k in iter(taken.__next__, None):
            if k >= len(blocks):
                return
            ready[k].wait()
            if stopped:
                return
            first, last = blocks[k]
            dZ_k = dZ[first:last].reshape(-1, n_nodes)
            parts[k] = (X1[first:last].reshape(-1, X1.shape[2]).T @ dZ_k,
                        states[first:last].reshape(-1, n_nodes).T @ dZ_k)  # h_{t-1}
            if dX is not None:
                np.matmul(dZ_k, W_x.T, out=dX[first:last].reshape(-1, W_x.shape[0]))

    roles = (loop, products)  # on one thread: the loop, which then does every block
    parallel.for_each([(0, 1), (1, 2)], lambda k, _: roles[k](), size=T * N * n_nodes)
    dW_xB, dW_h = (np.add.reduce([p[i] for p in parts]) for i in (0, 1))  # sum in block order
    return dW_xB, dW_h, dX
