"""Reshape: give each sample a new shape, e.g. (N, 784) -> (N, 1, 784) before a Conv1d."""
from __future__ import annotations

import numpy as np

from .base import Layer


class Reshape(Layer):
    """X (N, *in_shape) -> (N, *shape); backward reshapes the gradient back.

    Parameters
    ----------
    in_shape : tuple, the shape of one input sample, e.g. (784,)
    shape : tuple, the shape of one output sample, e.g. (1, 784)
    """

    def __init__(self, in_shape, shape, dtype=np.float64):
        super().__init__(None, dtype)
        self.in_shape, self.shape = tuple(in_shape), tuple(shape)
        if np.prod(self.in_shape) != np.prod(self.shape):
            raise ValueError(f"Reshape expects shapes with the same size, got {self.in_shape} and {self.shape}")

    def forward(self, X):
        X = self._input(X, ("N",) + self.in_shape)
        return self._output(X.reshape((len(X),) + self.shape))

    def backward(self, dA):
        dA = self._grad_input(dA)
        return dA.reshape((len(dA),) + self.in_shape)

    def output_shape(self, input_shape):
        return (input_shape[0],) + self.shape

    def __repr__(self):
        return f"Reshape({self.in_shape} -> {self.shape})"
