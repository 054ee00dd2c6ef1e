"""Activation layers, and the one table of activation functions (SimpleRNN uses it too).

As every layer: ``forward(X) -> A = f(X)``, ``backward(dA) -> dX = dA * f'(X)``, any shape
(after a convolution: (N, C, H, W)). The sprints' documents name the same pair
``forward(A) -> Z`` and ``backward(dZ) -> dA``.

Each derivative is written through the output A = f(X) (``derivative(A)``): backward then
needs only what forward computed anyway, and SimpleRNN needs only the states it keeps.
None of them modifies the incoming gradient in place (the book's ReLU does, which corrupts
a gradient that another branch still needs). Tested in tests/test_activations.py against tf.nn.
"""
from __future__ import annotations

import numpy as np

from .base import Layer


class Activation(Layer):
    """f applied entry by entry; a subclass gives ``function`` and ``derivative``."""

    @staticmethod
    def function(X, out=None):  # pragma: no cover - interface
        raise NotImplementedError

    @staticmethod
    def derivative(A):  # pragma: no cover - interface
        """f'(X) written through A = f(X)."""
        raise NotImplementedError

    def _forward(self, X):
        A = self.function(X)
        # what backward multiplies by, kept instead of A: the caller may edit the A it gets
        self._dA_dX = self.derivative(A)
        return A

    def _backward(self, dA):
        return dA * self._dA_dX


class ReLU(Activation):
    """A = max(X, 0); the gradient passes where X > 0 (where A > 0)."""

    @staticmethod
    def function(X, out=None):
        return np.maximum(X, 0, out=out)

    @staticmethod
    def derivative(A):
        return A > 0  # booleans: an eighth of the memory of a float mask


class Sigmoid(Activation):
    """A = 1 / (1 + exp(-X)); dA/dX = A (1 - A).

    Not ``1/1+np.exp(-X)``, which Python reads as (1/1) + exp(-X).
    """

    @staticmethod
    def function(X, out=None):
        # written through tanh, so that a large |X| neither overflows exp nor warns
        out = np.multiply(X, 0.5, out=out)
        np.tanh(out, out=out)
        out += 1
        out *= 0.5
        return out

    @staticmethod
    def derivative(A):
        return A * (1 - A)


class Tanh(Activation):
    """A = tanh(X); dA/dX = 1 - A**2."""

    @staticmethod
    def function(X, out=None):
        return np.tanh(X, out=out)

    @staticmethod
    def derivative(A):
        D = np.multiply(A, A)  # 1 - A**2 in one buffer: in an RNN it is (T, N, H) large
        return np.subtract(1, D, out=D)


#: every activation by the name the layers and models take (``activation="tanh"``)
ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def get_activation(name, dtype=np.float64):
    """``"relu"``, ``"sigmoid"``, ``"tanh"`` -> a new layer (an instance is returned as is)."""
    if isinstance(name, Layer):
        return name
    if name not in ACTIVATIONS:
        raise ValueError(f"activation expects one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name](dtype=dtype)
