"""Optimizers: ``update(layer)`` moves every parameter of ``layer`` against its gradient.

A layer lists its parameters in ``param_names`` (``("W", "B")``; the RNN has
``("W_x", "W_h", "B")``) and keeps the gradient of ``W`` in ``dW``. One optimizer
may serve every layer of a model (the sprints pass the same instance to each FC):
the running averages of AdaGrad, RMSProp, Momentum and Adam are kept per layer and
per parameter, in a table keyed by the layer itself.

The update rules are the ones of ``tf.keras.optimizers`` (tests/test_optimizers.py
checks each against Keras on the same gradient sequence), which are also the book's,
up to where epsilon sits.
"""
from __future__ import annotations

import weakref

import numpy as np

from . import _checks


class Optimizer:
    def __init__(self, lr: float):
        self.lr = _checks.check_positive(lr, type(self).__name__, "lr")
        # layer -> {parameter name -> state arrays}; weak, so a dropped layer frees its state
        self._state = weakref.WeakKeyDictionary()

    def update(self, layer):
        """Update every parameter of ``layer`` in place; returns the layer (as the sprints do)."""
        slots = self._state.setdefault(layer, {})
        for name in layer.param_names:
            param = getattr(layer, name)
            grad = getattr(layer, "d" + name)
            if name not in slots:
                slots[name] = self._init_state(param)
            # in place, so that every reference to layer.W sees the new values
            param -= self._step(grad.astype(param.dtype, copy=False), slots[name])
        return layer

    def _init_state(self, param: np.ndarray) -> dict:
        return {}

    def _step(self, grad: np.ndarray, state: dict) -> np.ndarray:
        """The amount to subtract from the parameter."""
        raise NotImplementedError  # pragma: no cover

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """W -= lr * dW."""

    def __init__(self, lr: float = 0.01):
        super().__init__(lr)

    def _step(self, grad, state):
        return self.lr * grad


class Momentum(Optimizer):
    """v = momentum * v - lr * dW;  W += v  (Keras: SGD(momentum=...))."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9):
        super().__init__(lr)
        self.momentum = float(momentum)

    def _init_state(self, param):
        return {"v": np.zeros_like(param)}

    def _step(self, grad, state):
        state["v"] = self.momentum * state["v"] - self.lr * grad
        return -state["v"]


class AdaGrad(Optimizer):
    """H += dW**2;  W -= lr * dW / sqrt(H + eps).

    Each weight's step shrinks with the gradients it has already seen. Keras starts
    H at 0.1; the book starts it at 0 (the default here)."""

    def __init__(self, lr: float = 0.01, initial_accumulator_value: float = 0.0, epsilon: float = 1e-7):
        super().__init__(lr)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def _init_state(self, param):
        return {"H": np.full_like(param, self.initial_accumulator_value)}

    def _step(self, grad, state):
        state["H"] += grad * grad
        return self.lr * grad / np.sqrt(state["H"] + self.epsilon)


class RMSProp(Optimizer):
    """h = rho * h + (1 - rho) * dW**2;  W -= lr * dW / sqrt(h + eps).

    AdaGrad with a forgetting average, so the step does not shrink to nothing."""

    def __init__(self, lr: float = 0.001, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(lr)
        self.rho = float(rho)
        self.epsilon = float(epsilon)

    def _init_state(self, param):
        return {"h": np.zeros_like(param)}

    def _step(self, grad, state):
        state["h"] = self.rho * state["h"] + (1 - self.rho) * grad * grad
        return self.lr * grad / np.sqrt(state["h"] + self.epsilon)


class Adam(Optimizer):
    """Momentum on the gradient (m) and RMSProp on its square (v), bias-corrected:

        m = b1 m + (1 - b1) dW;  v = b2 v + (1 - b2) dW**2
        W -= lr * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)
    """

    def __init__(self, lr: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7):
        super().__init__(lr)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _init_state(self, param):
        return {"m": np.zeros_like(param), "v": np.zeros_like(param), "t": 0}

    def _step(self, grad, state):
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        alpha = self.lr * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        # The same formulas, computed in place in one scratch array d (plus alpha * m): a
        # temporary per operation would be fresh memory, which for a layer of 600,000
        # weights costs more (page faults) than the arithmetic.
        d = grad - m
        d *= 1 - self.beta_1
        m += d  # m += (1 - b1) (dW - m)
        np.multiply(grad, grad, out=d)
        d -= v
        d *= 1 - self.beta_2
        v += d  # v += (1 - b2) (dW**2 - v)
        np.sqrt(v, out=d)
        d += self.epsilon
        return np.divide(alpha * m, d, out=d)  # alpha m / (sqrt(v) + eps)


def get_optimizer(name, lr: float | None = None) -> Optimizer:
    """``"sgd"``, ``"momentum"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"`` (or an instance)."""
    if isinstance(name, Optimizer):
        return name
    table = {"sgd": SGD, "momentum": Momentum, "adagrad": AdaGrad, "rmsprop": RMSProp, "adam": Adam}
    if name not in table:
        raise ValueError(f"optimizer expects one of {sorted(table)}, got {name!r}")
    return table[name]() if lr is None else table[name](lr)
