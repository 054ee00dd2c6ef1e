"""Reshape: give each sample a new shape, e.g. (N, 784) -> (N, 1, 784) before a Conv1d."""
from __future__ import annotations

import numpy as np

from .. import _checks
from .base import Layer


class Reshape(Layer):
    """X (N, *in_shape) -> A (N, *shape); backward reshapes the gradient back.

    Parameters
    ----------
    in_shape : tuple, the shape of one input sample, e.g. (784,)
    shape : tuple, the shape of one output sample, e.g. (1, 784)
    dtype : np.float64 or np.float32
    """

    def __init__(self, in_shape, shape, dtype=np.float64):
        super().__init__(None, dtype)
        self.in_shape = tuple(_checks.check_int(s, self.name, "in_shape") for s in in_shape)
        self.shape = tuple(_checks.check_int(s, self.name, "shape") for s in shape)
        if np.prod(self.in_shape) != np.prod(self.shape):
            raise ValueError(f"{self.name} expects shapes with the same size, got {self.in_shape} and {self.shape}")

    def _input_spec(self, shape):
        return ("N",) + self.in_shape

    def _forward(self, X):
        return X.reshape((len(X),) + self.shape)

    def _backward(self, dA):
        return dA.reshape((len(dA),) + self.in_shape)

    def output_shape(self, input_shape):
        return (input_shape[0],) + self.shape

    def __repr__(self):
        return f"Reshape({self.in_shape} -> {self.shape})"
