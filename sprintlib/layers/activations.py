"""Activation layers: ``forward(A) -> Z``, ``backward(dZ) -> dA``, same shape in and out.

They accept any shape (after a convolution: (N, C, H, W)). None of them modifies the
incoming gradient in place (the book's ReLU does, which corrupts a gradient that
another branch still needs). Tested in tests/test_activations.py against tf.nn.
"""
from __future__ import annotations

import numpy as np

from .base import Layer


class Activation(Layer):
    def forward(self, A):
        A = self._input(A, tuple("N" if i == 0 else f"d{i}" for i in range(np.ndim(A))) or ("N",), "A")
        self.Z = self._f(A)
        self._A = A
        return self._output(self.Z)

    def backward(self, dZ):
        dZ = self._grad_input(dZ, "dZ")
        return dZ * self._df()

    def _f(self, A):  # pragma: no cover - interface
        raise NotImplementedError

    def _df(self):  # pragma: no cover - interface
        raise NotImplementedError


class ReLU(Activation):
    """Z = max(A, 0); the gradient passes where A > 0."""

    def _f(self, A):
        return np.maximum(A, 0)

    def _df(self):
        return self._A > 0


class Sigmoid(Activation):
    """Z = 1 / (1 + exp(-A)) (the seed's ``1/1+np.exp(-A)`` is 1 + exp(-A)); dZ/dA = Z (1 - Z)."""

    def _f(self, A):
        # written through tanh so that large |A| neither overflows nor warns
        return 0.5 * (1.0 + np.tanh(0.5 * A))

    def _df(self):
        return self.Z * (1 - self.Z)


class Tanh(Activation):
    """Z = tanh(A); dZ/dA = 1 - Z**2."""

    def _f(self, A):
        return np.tanh(A)

    def _df(self):
        return 1 - self.Z**2


ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def get_activation(name, dtype=np.float64):
    """``"relu"``, ``"sigmoid"``, ``"tanh"`` -> a new layer (an instance is returned as is)."""
    if isinstance(name, Layer):
        return name
    if name not in ACTIVATIONS:
        raise ValueError(f"activation expects one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name](dtype=dtype)
