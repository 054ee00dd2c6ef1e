"""Simple RNN layer (sprint 4, the student's notebook on recurrent neural networks,
リカレントニューラルネットワーク): forward over time, backpropagation through time.

Its loops are in sprintlib/functional/rnn.py (the fast path's copy, sprintlib.fast, when
it is on).

Checked in tests/test_rnn.py: the sprint's reference values (data/reference/sprint4_rnn.json),
numerical gradients, and ``keras.layers.SimpleRNN`` with the same weights on random shapes
(``test_against_keras_random_shapes``, ``test_initial_state_against_keras``).

A backward that multiplies by the final state where h_{t-1} is needed gets dW_h wrong;
``test_final_state_in_bptt_gives_wrong_dW_h`` shows what that costs.
"""
from __future__ import annotations

import numpy as np

from .. import _checks
from .. import fast
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
        Features of each time step (n_features in the notebook リカレントニューラルネットワーク).
    n_nodes : int
        Nodes of the state h_t (that notebook's n_nodes).
    activation : "tanh" (that notebook's), "sigmoid" or "relu"
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
        # the loop over time is in functional/rnn.py (rnn_forward); the fast path's copy
        # (sprintlib.fast) gives the same numbers, and backward takes the path forward took
        self._fast = fast.enabled()
        maths = fast if self._fast else functional
        self._X = X
        # states[t] = h_t, (T+1, N, n_nodes), time first: states[0] = h0 (zeros by default)
        self._states = maths.rnn_forward(X, 0 if h0 is None else h0, self.W_x, self.W_h, self.B,
                                         self._activation.function)
        if self.return_sequences:  # batch first, as the caller expects; a copy, not a view of states
            return np.ascontiguousarray(self._states[1:].transpose(1, 0, 2))
        return self._states[T]  # a view of what backward needs: the caller gets a copy (Layer.forward)

    # -- backward ------------------------------------------------------------------
    def _backward(self, dA):
        """Backpropagation through time (functional/rnn.py, rnn_backward).

        dA : (N, n_nodes), the gradient on h_T; or (N, T, n_nodes), on every h_t, with
        return_sequences. Returns dX (N, T, n_features); sets dW_x, dW_h, dB and dh0.
        """
        maths = fast if self._fast else functional
        # dW_h sums h_{t-1}.T @ dL/da_t (h_{t-1}, not the final state); dB is summed over
        # the batch and time, not averaged; dX with the W_x forward used
        dX, self.dW_x, self.dW_h, self.dB, self.dh0 = maths.rnn_backward(
            dA, self._X, self._states, self.W_x, self.W_h, self._activation.derivative,
            self.return_sequences, self.needs_input_grad)
        return dX

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
