"""Every public layer of sprintlib, each with a small valid configuration.

tests/test_contract.py checks the contract of ``sprintlib.layers.base.Layer`` on each entry.
A new layer is one line here (and its own file in sprintlib/layers/).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

import sprintlib
from sprintlib import (FC, AveragePool2D, Conv1d, Conv2d, Flatten, MaxPool2D, ReLU, Reshape, Sigmoid,
                       SimpleConv1d, SimpleRNN, Softmax, Tanh)


@dataclass(frozen=True)
class Case:
    """``make(dtype=..., optimizer=...)`` builds the layer; ``x_shape`` is a valid input shape."""

    id: str
    make: Callable
    x_shape: tuple
    #: the loss layer's backward takes targets Y instead of a gradient dA
    is_loss: bool = False

    def layer(self, dtype=np.float64, optimizer=None, seed=0):
        """The layer, with weights drawn from ``seed`` (the same seed gives the same weights)."""
        return self.make(np.random.default_rng(seed), dtype=dtype, optimizer=optimizer)


def _init(rng):
    return sprintlib.HeInitializer(random_state=rng)


def _xavier(rng):
    return sprintlib.XavierInitializer(random_state=rng)


CASES = [
    Case("FC", lambda r, **k: FC(4, 3, _init(r), **k), (2, 4)),
    Case("ReLU", lambda r, dtype, optimizer: ReLU(optimizer, dtype), (2, 3, 4)),
    Case("Sigmoid", lambda r, dtype, optimizer: Sigmoid(optimizer, dtype), (2, 5)),
    Case("Tanh", lambda r, dtype, optimizer: Tanh(optimizer, dtype), (3, 2, 2)),
    Case("SimpleConv1d", lambda r, **k: SimpleConv1d(3, _init(r), **k), (6,)),
    Case("Conv1d", lambda r, **k: Conv1d(2, 3, 3, stride=2, pad=1, initializer=_init(r), **k), (2, 2, 7)),
    Case("Conv1d-one-sample", lambda r, **k: Conv1d(2, 3, 3, initializer=_init(r), **k), (2, 5)),
    Case("Conv2d", lambda r, **k: Conv2d(2, 3, (3, 2), stride=(1, 2), pad=1, initializer=_init(r), **k),
         (2, 2, 4, 6)),
    Case("MaxPool2D", lambda r, dtype, optimizer: MaxPool2D(2, dtype=dtype), (2, 3, 4, 6)),
    Case("MaxPool2D-overlapping", lambda r, dtype, optimizer: MaxPool2D(3, stride=1, dtype=dtype),
         (2, 2, 4, 6)),
    Case("AveragePool2D", lambda r, dtype, optimizer: AveragePool2D((2, 3), dtype=dtype), (2, 2, 4, 6)),
    Case("Flatten", lambda r, dtype, optimizer: Flatten(optimizer, dtype), (2, 3, 2, 2)),
    Case("Reshape", lambda r, dtype, optimizer: Reshape((6,), (2, 3), dtype=dtype), (2, 6)),
    Case("SimpleRNN", lambda r, **k: SimpleRNN(3, 4, initializer=_xavier(r), **k), (2, 5, 3)),
    Case("SimpleRNN-sequences", lambda r, **k: SimpleRNN(3, 4, "sigmoid", _xavier(r), return_sequences=True,
                                                          **k), (2, 3, 3)),
    Case("Softmax", lambda r, dtype, optimizer: Softmax(dtype), (3, 4), is_loss=True),
]
LAYERS = [c for c in CASES if not c.is_loss]


def targets(case: Case, A: np.ndarray, rng) -> np.ndarray:
    """What backward takes: a random gradient dA shaped as A, or for the loss, one-hot targets."""
    if case.is_loss:
        return np.eye(A.shape[1])[rng.integers(0, A.shape[1], size=A.shape[0])]
    return rng.standard_normal(A.shape)
