"""Simple RNN layer (sprint 4): forward over time, backpropagation through time.

Checked in tests/test_rnn.py: the sprint's reference values (data/reference/sprint4_rnn.json),
numerical gradients, and ``keras.layers.SimpleRNN`` with the same weights on random shapes
(``test_against_keras_random_shapes``, ``test_initial_state_against_keras``).

A backward that multiplies by the final state where h_{t-1} is needed gets dW_h wrong;
``test_final_state_in_bptt_gives_wrong_dW_h`` shows what that costs.
"""
from __future__ import annotations

import numpy as np

from .. import _checks
from .. import functional
from .. import initializers
from .activations import ACTIVATIONS
from .base import Layer


class SimpleRNN(Layer):
    """``a_t = x_t @ W_x + h_{t-1} @ W_h + B``,  ``h_t = tanh(a_t)``, for t = 1..T, from h_0.

    Vectorised over the batch: the only Python loop is over the T time steps.

    Parameters
    ----------
    n_features : int
        Features of each time step (the documents' n_features).
    n_nodes : int
        Nodes of the state h_t (the documents' n_nodes).
    activation : "tanh" (the documents'), "sigmoid" or "relu"
    initializer : Initializer, name ("xavier", "he", "simple") or None
        Gives ``W_x`` (n_features, n_nodes) by ``W(n_features, n_nodes)``, ``W_h``
        (n_nodes, n_nodes) by ``W(n_nodes, n_nodes)`` and ``B`` (n_nodes,) by ``B(n_nodes)``.
        ``None``: an unseeded XavierInitializer (std 1/sqrt(fan_in)), which keeps tanh away
        from saturation; pass ``XavierInitializer(random_state=0)`` to fix it.
    optimizer : Optimizer or None
        Updates ``W_x``, ``W_h`` and ``B`` (``param_names``) at the end of ``backward``;
        ``None`` only computes the gradients.
    return_sequences : bool
        False: forward returns the last state h_T (N, n_nodes). True: every state
        (N, T, n_nodes), the input of a further recurrent layer.
    clip_norm : float or None
        If set, backward scales ``dW_x, dW_h, dB`` together so that their global norm
        ``sqrt(|dW_x|^2 + |dW_h|^2 + |dB|^2)`` is at most ``clip_norm`` (the rule of
        ``tf.clip_by_global_norm``), before the optimizer update. BPTT multiplies one
        Jacobian per time step, so a gradient can explode; clipping bounds one bad step.
        ``dX`` and ``dh0`` are not clipped: they are exact gradients for the layers below.
        The norm before clipping is kept in ``grad_norm`` (when ``clip_norm`` is set).
    dtype : float64 (exact, for checking) or float32 (fast)

    Shapes: X (N, T, n_features) -> A = h_T (N, n_nodes), or (N, T, n_nodes). After backward:
    ``dW_x`` (n_features, n_nodes), ``dW_h`` (n_nodes, n_nodes), ``dB`` (n_nodes,),
    ``dh0`` (N, n_nodes).
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
        self._activation = ACTIVATIONS[activation]  # its function and derivative
        self.return_sequences = _checks.check_bool(return_sequences, self.name, "return_sequences")
        self.clip_norm = None if clip_norm is None else _checks.check_positive(clip_norm, self.name, "clip_norm")
        init = initializers.resolve(initializer, "xavier", self.name, self.dtype)
        n_in, n_nodes = self.n_features, self.n_nodes
        self._init_params(W_x=init.W(n_in, n_nodes), W_h=init.W(n_nodes, n_nodes),
                          B=np.reshape(init.B(n_nodes), n_nodes))
        self.dW_x = self.dW_h = self.dB = self.dh0 = self.grad_norm = None

    def _input_spec(self, shape):
        return ("N", "T", self.n_features)

    # -- forward -------------------------------------------------------------------
    def forward(self, X, h0=None):
        """X (N, T, n_features), h0 (N, n_nodes) or None (zeros) -> h_T (N, n_nodes),
        or (N, T, n_nodes) with return_sequences."""
        self._h0 = h0  # checked in _forward, once X's batch size is known
        return super().forward(X)

    def _forward(self, X):
        N, T, n_in = X.shape
        h0 = None if self._h0 is None else _checks.as_array(self._h0, self.name, "h0", (N, self.n_nodes), self.dtype)
        self._h0 = None
        # Time-major, so that each step reads and writes one contiguous (N, n_nodes) block.
        # A column of ones is appended to x_t: [x_t, 1] @ [W_x; B] = x_t W_x + B, so B rides
        # in the same matmul here, and backward gets dB from the matmul that gives dW_x.
        X1 = np.empty((T, N, n_in + 1), dtype=self.dtype)
        X1[:, :, :n_in] = X.transpose(1, 0, 2)
        X1[:, :, n_in] = 1
        states = np.empty((T + 1, N, self.n_nodes), dtype=self.dtype)  # states[t] = h_t
        states[0] = 0 if h0 is None else h0
        # x_t W_x + B for every t in one matmul, written where h_1..h_T will go:
        # only h_{t-1} W_h has to wait for the loop
        W_xB = np.vstack([self.W_x, self.B])  # (n_features + 1, n_nodes)
        np.matmul(X1.reshape(T * N, n_in + 1), W_xB, out=states[1:].reshape(T * N, self.n_nodes))
        # then, step after step, a_t = that + h_{t-1} W_h and h_t = f(a_t), in place: the loop
        # is in functional/rnn.py, which runs it on slices of the batch (on both cores when
        # the process may use them: a sample's states never meet another sample's)
        functional.rnn_forward_states(states, self.W_h, self._activation.function)
        self._X1, self._states = X1, states
        if self.return_sequences:  # batch first, as the caller expects; a copy, not a view of states
            return np.ascontiguousarray(states[1:].transpose(1, 0, 2))
        return states[T]  # a view of what backward needs: the caller gets a copy (Layer.forward)

    # -- backward ------------------------------------------------------------------
    def _backward(self, dA):
        """Backpropagation through time.

        dA : (N, n_nodes), the gradient on h_T; or (N, T, n_nodes), on every h_t, with
        return_sequences. Returns dX (N, T, n_features); sets dW_x, dW_h, dB and dh0.
        """
        X1, states, n_in = self._X1, self._states, self.n_features
        # carry is dL/dh_t, summed over the paths through the output and through h_{t+1}
        carry = np.zeros_like(states[0]) if self.return_sequences else dA.copy()
        dA_seq = dA.transpose(1, 0, 2) if self.return_sequences else None  # (T, N, n_nodes) view
        # A vanishing gradient: through saturated units it shrinks at every step (10x a step
        # is common), down into subnormal numbers (below float32's 1.2e-38), which the CPU
        # multiplies about 100 times slower. Once every entry of dL/dh_t is below eps**2
        # times dA's largest entry (1e-14x in float32), which no float sum of terms of dA's
        # size can see, zero is the same gradient to float precision (TensorFlow flushes
        # subnormals to zero): the loop then carries zeros.
        eps = np.finfo(self.dtype).eps
        vanished = max(float(np.abs(dA).max()) * eps * eps, np.finfo(self.dtype).tiny / eps)
        # for t = T..1: dL/da_t = f'(a_t) * carry, then carry = dL/da_t @ W_h.T = dL/dh_{t-1}.
        # The weight gradients are matmuls over the (t, n) rows, outside that loop:
        #   [dW_x; dB] = sum_t [x_t, 1].T @ dL/da_t,  dW_h = sum_t h_{t-1}.T @ dL/da_t (h_{t-1},
        #   not the final state),  dX_t = dL/da_t @ W_x.T (with W_x as forward used it).
        # functional/rnn.py runs the loop and hands its finished steps to those matmuls,
        # which the other core does meanwhile when it is free.
        dW_xB, self.dW_h, dX = functional.rnn_backward(
            states, self._activation.derivative, carry, self.W_h, dA_seq, vanished, X1,
            self.W_x if self.needs_input_grad else None)
        self.dh0 = carry
        self.dW_x, self.dB = dW_xB[:n_in], dW_xB[n_in]  # dB is summed over batch and time, not averaged
        if not self.needs_input_grad:
            return None
        return np.ascontiguousarray(dX.transpose(1, 0, 2))

    def _adjust_gradients(self):
        """Clipping: scale dW_x, dW_h, dB by min(1, clip_norm / global norm)
        (tf.clip_by_global_norm), on the whole batch's gradients, before the update."""
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
