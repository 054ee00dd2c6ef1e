"""The shape every layer shares (the sprints' FC class, generalised).

``forward(X)`` keeps what ``backward`` will need; ``backward(dA)`` fills the gradient
``d<name>`` of every parameter named in ``param_names`` (``dW``, ``dB``), lets the
optimizer update the parameters, and returns the gradient with respect to ``X``.
With ``optimizer=None`` backward only computes gradients: that is how the tests and
the notebooks' test cells compare a layer with TensorFlow or with a student's layer.

``needs_input_grad = False`` lets ``backward`` skip the gradient with respect to X and
return None. A model sets it on its first layer with parameters: that layer's input is
the data (or a reshape of it), whose gradient nobody uses, and for a first convolution
it is the most expensive part of backward (Keras does not compute it either).
"""
from __future__ import annotations

import numpy as np

from .. import _checks


class Layer:
    #: names of the trainable arrays; the gradient of ``W`` lives in ``dW``
    param_names: tuple[str, ...] = ()
    #: False: backward may return None instead of dX (layers with parameters honour it)
    needs_input_grad: bool = True

    def __init__(self, optimizer=None, dtype=np.float64):
        self.optimizer = optimizer
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(f"{self.name} expects a floating dtype, got {self.dtype}")
        self._out_shape = None  # shape of the last forward output, checked in backward

    @property
    def name(self) -> str:
        return type(self).__name__

    # -- helpers the subclasses call -------------------------------------------------
    def _input(self, X, spec, name: str = "X") -> np.ndarray:
        """X as a finite array of the layer's dtype, with the shape of ``spec``."""
        return _checks.check_array(X, self.name, name, spec, self.dtype)

    def _output(self, A: np.ndarray) -> np.ndarray:
        self._out_shape = A.shape
        return A

    def _grad_input(self, dA, name: str = "dA") -> np.ndarray:
        """dA checked against the shape the last forward returned."""
        if self._out_shape is None:
            raise RuntimeError(f"{self.name}.backward was called before forward: call forward(X) first")
        dA = _checks.check_array(dA, self.name, name, self._out_shape, self.dtype)
        return dA

    def _update(self) -> None:
        if self.optimizer is not None:
            self.optimizer.update(self)

    # -- introspection (summaries, saving, optimizers) --------------------------------
    def params(self) -> dict[str, np.ndarray]:
        return {n: getattr(self, n) for n in self.param_names}

    def grads(self) -> dict[str, np.ndarray]:
        return {n: getattr(self, "d" + n) for n in self.param_names}

    @property
    def n_params(self) -> int:
        return int(sum(p.size for p in self.params().values()))

    def output_shape(self, input_shape: tuple) -> tuple:
        """Shape of forward's output for an input of ``input_shape`` (batch axis included)."""
        return tuple(input_shape)

    def forward(self, X):  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, dA):  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{self.name}()"
