"""Simple RNN layer (seed 004, sprint 4): forward over time, backpropagation through time.

Checked in tests/test_rnn.py: the document's values (REFERENCE.md, Sprint 4), numerical
gradients, and ``keras.layers.SimpleRNN`` with the same weights on random shapes
(``test_against_keras_random_shapes``, ``test_initial_state_against_keras``).

The seed's backward multiplies by the final state where h_{t-1} is needed (dW_h);
``test_seed_bug_final_state_gives_wrong_dW_h`` shows what that costs.
"""
from __future__ import annotations

import numpy as np

from .. import _checks
from .. import initializers
from .base import Layer


# Each activation as (f, f'), with f' written through the output h = f(a): backward then
# needs only the states that forward already keeps, not the pre-activations a_t.
def _tanh(A, out):
    return np.tanh(A, out=out)


def _dtanh(H):
    D = np.multiply(H, H)  # 1 - h**2, built in one buffer: it is (T, N, H) large
    return np.subtract(1, D, out=D)


def _sigmoid(A, out):
    # through tanh, so that a large |a| neither overflows exp nor warns
    np.multiply(A, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def _dsigmoid(H):
    return H * (1 - H)


def _relu(A, out):
    return np.maximum(A, 0, out=out)


def _drelu(H):
    return (H > 0).astype(H.dtype)


ACTIVATIONS = {"tanh": (_tanh, _dtanh), "sigmoid": (_sigmoid, _dsigmoid), "relu": (_relu, _drelu)}


class SimpleRNN(Layer):
    """``a_t = x_t @ W_x + h_{t-1} @ W_h + B``,  ``h_t = tanh(a_t)``, for t = 1..T, from h_0.

    Vectorised over the batch: the only Python loop is over the T time steps.

    Parameters
    ----------
    n_features : int
        Features of each time step (F).
    n_nodes : int
        Nodes of the state h_t (H).
    activation : "tanh" (the document's), "sigmoid" or "relu"
    initializer : Initializer, name ("xavier", "he", "simple") or None
        Gives ``W_x`` (F, H) by ``W(F, H)``, ``W_h`` (H, H) by ``W(H, H)`` and ``B`` (H,) by
        ``B(H)``. ``None``: an unseeded XavierInitializer (std 1/sqrt(fan_in)), which keeps
        tanh away from saturation; pass ``XavierInitializer(random_state=0)`` to fix it.
    optimizer : Optimizer or None
        Updates ``W_x``, ``W_h`` and ``B`` (``param_names``) at the end of ``backward``;
        ``None`` only computes the gradients.
    return_sequences : bool
        False: forward returns the last state h_T (N, H). True: every state (N, T, H),
        the input of a further recurrent layer.
    clip_norm : float or None
        If set, backward scales ``dW_x, dW_h, dB`` together so that their global norm
        ``sqrt(|dW_x|^2 + |dW_h|^2 + |dB|^2)`` is at most ``clip_norm`` (the rule of
        ``tf.clip_by_global_norm``), before the optimizer update. BPTT multiplies one
        Jacobian per time step, so a gradient can explode; clipping bounds one bad step.
        ``dX`` and ``dh0`` are not clipped: they are exact gradients for the layers below.
        The norm before clipping is kept in ``grad_norm`` (when ``clip_norm`` is set).
    dtype : float64 (exact, for checking) or float32 (fast)

    Attributes after backward: ``dW_x`` (F, H), ``dW_h`` (H, H), ``dB`` (H,), ``dh0`` (N, H).
    """

    param_names = ("W_x", "W_h", "B")

    def __init__(self, n_features, n_nodes, activation="tanh", initializer=None, optimizer=None,
                 return_sequences=False, clip_norm=None, dtype=np.float64):
        super().__init__(optimizer, dtype)
        self.n_features = _checks.check_int(n_features, self.name, "n_features")
        self.n_nodes = _checks.check_int(n_nodes, self.name, "n_nodes")
        if activation not in ACTIVATIONS:
            raise ValueError(f"{self.name} expects activation to be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.activation = activation
        self._f, self._df = ACTIVATIONS[activation]
        self.return_sequences = bool(return_sequences)
        self.clip_norm = None if clip_norm is None else _checks.check_positive(clip_norm, self.name, "clip_norm")
        init = initializers.resolve(initializer, "xavier", self.name, self.dtype)
        F, H = self.n_features, self.n_nodes
        self.W_x = np.asarray(init.W(F, H), dtype=self.dtype)
        self.W_h = np.asarray(init.W(H, H), dtype=self.dtype)
        self.B = np.asarray(init.B(H), dtype=self.dtype).reshape(H)
        self.dW_x = self.dW_h = self.dB = self.dh0 = self.grad_norm = None

    # -- forward -------------------------------------------------------------------
    def forward(self, X, h0=None):
        """X (N, T, F), h0 (N, H) or None (zeros) -> h_T (N, H), or (N, T, H) with return_sequences."""
        X = self._input(X, ("N", "T", self.n_features))
        N, T, F = X.shape
        if T == 0:
            shape = _checks.format_shape(X.shape)
            raise ValueError(f"{self.name} expects at least one time step in X, got shape {shape}")
        self._check_weights()
        H = self.n_nodes
        # Time-major, so that each step reads and writes one contiguous (N, H) block. A column
        # of ones is appended to x_t: [x_t, 1] @ [W_x; B] = x_t W_x + B, so B rides in the
        # same matmul here, and backward gets dB from the matmul that gives dW_x.
        X1 = np.empty((T, N, F + 1), dtype=self.dtype)
        X1[:, :, :F] = X.transpose(1, 0, 2)
        X1[:, :, F] = 1
        states = np.empty((T + 1, N, H), dtype=self.dtype)  # states[t] = h_t
        states[0] = 0 if h0 is None else self._input(h0, (N, H), "h0")
        # x_t W_x + B for every t in one matmul, written where h_1..h_T will go:
        # only h_{t-1} W_h has to wait for the loop
        W_xB = np.vstack([self.W_x, self.B])  # (F + 1, H)
        np.matmul(X1.reshape(T * N, F + 1), W_xB, out=states[1:].reshape(T * N, H))
        hW = np.empty((N, H), dtype=self.dtype)
        for t in range(T):
            np.matmul(states[t], self.W_h, out=hW)
            states[t + 1] += hW  # now a_t
            self._f(states[t + 1], out=states[t + 1])
        self._X1, self._states = X1, states
        out = np.ascontiguousarray(states[1:].transpose(1, 0, 2)) if self.return_sequences else states[T].copy()
        return self._output(out)  # a copy: editing the output cannot corrupt backward

    def _check_weights(self):
        """The document sets W_x, W_h and B by hand: check them where they are used."""
        F, H = self.n_features, self.n_nodes
        for name, spec in (("W_x", (F, H)), ("W_h", (H, H)), ("B", (H,))):
            setattr(self, name, _checks.check_array(getattr(self, name), self.name, name, spec, self.dtype))

    # -- backward ------------------------------------------------------------------
    def backward(self, dh):
        """Backpropagation through time.

        dh : (N, H), the gradient on h_T; or (N, T, H), on every h_t, with return_sequences.
        Returns dX (N, T, F); sets dW_x (F, H), dW_h (H, H), dB (H,) and dh0 (N, H).
        """
        dh = self._grad_input(dh, "dh")
        X1, states = self._X1, self._states
        T, N, F = X1.shape[0], X1.shape[1], self.n_features
        dA = self._df(states[1:])  # f'(a_t) for every t at once; becomes dL/da_t in the loop
        # carry is dL/dh_t, summed over the paths through the output and through h_{t+1}
        carry = np.zeros((N, self.n_nodes), self.dtype) if self.return_sequences else dh.copy()
        dh_seq = dh.transpose(1, 0, 2) if self.return_sequences else None  # (T, N, H) view
        W_hT = self.W_h.T
        for t in reversed(range(T)):
            if dh_seq is not None:
                carry += dh_seq[t]
            dA[t] *= carry
            np.matmul(dA[t], W_hT, out=carry)  # dL/dh_{t-1}
        self.dh0 = carry
        # every weight gradient is one matmul over all (t, n) rows, outside the loop
        dA2 = dA.reshape(T * N, self.n_nodes)
        dW_xB = X1.reshape(T * N, F + 1).T @ dA2  # (F + 1, H): dW_x, then dB in the ones' row
        self.dW_x, self.dB = dW_xB[:F], dW_xB[F]  # dB is summed over batch and time, not averaged
        self.dW_h = states[:-1].reshape(T * N, self.n_nodes).T @ dA2  # h_{t-1}, not the final state
        dX = (dA2 @ self.W_x.T).reshape(T, N, F)  # with W_x as forward used it, before the update
        self._clip()
        self._update()
        return np.ascontiguousarray(dX.transpose(1, 0, 2))

    def _clip(self):
        """Scale dW_x, dW_h, dB by min(1, clip_norm / global norm) (tf.clip_by_global_norm)."""
        if self.clip_norm is None:
            return
        grads = (self.dW_x, self.dW_h, self.dB)
        self.grad_norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))
        if self.grad_norm > self.clip_norm:
            scale = self.dtype.type(self.clip_norm / self.grad_norm)
            for g in grads:
                g *= scale

    # -- introspection -------------------------------------------------------------
    def output_shape(self, input_shape):
        N, T = input_shape[0], input_shape[1]
        return (N, T, self.n_nodes) if self.return_sequences else (N, self.n_nodes)

    def __repr__(self):
        return (f"SimpleRNN({self.n_features}, {self.n_nodes}, activation={self.activation!r}, "
                f"return_sequences={self.return_sequences})")
