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

import numbers
import weakref

import numpy as np

#: the values each kind of hyper-parameter may take, as the error messages print them
_ALLOWED = {
    "> 0": lambda v: v > 0,            # lr; epsilon, which keeps sqrt(H + eps) off zero
    ">= 0": lambda v: v >= 0,          # AdaGrad's initial accumulator
    "in [0, 1)": lambda v: 0 <= v < 1,  # decay rates: at 1 the average never moves (Adam divides by 1 - b1**t = 0)
}


def check_hyperparameter(value, owner: str, name: str, allowed: str = "> 0") -> float:
    """``value`` as a float if it is a finite real number in the range ``allowed``
    (a key of ``_ALLOWED``); a ValueError naming owner, argument, range and value otherwise.

    Every optimizer checks its arguments with it: a bad one (Adam(beta_1=1), epsilon=0)
    would otherwise turn the weights into NaN, several epochs later, with only a warning.
    """
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
            or not np.isfinite(value) or not _ALLOWED[allowed](value)):
        raise ValueError(f"{owner} expects {name} to be a number {allowed}, got {value!r}")
    return float(value)


class Optimizer:
    def __init__(self, lr: float):
        self.lr = self._check(lr, "lr")
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

    def _check(self, value, name: str, allowed: str = "> 0") -> float:
        return check_hyperparameter(value, type(self).__name__, name, allowed)

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
        self.momentum = self._check(momentum, "momentum", "in [0, 1)")

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
        self.initial_accumulator_value = self._check(initial_accumulator_value, "initial_accumulator_value", ">= 0")
        self.epsilon = self._check(epsilon, "epsilon")

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
        self.rho = self._check(rho, "rho", "in [0, 1)")
        self.epsilon = self._check(epsilon, "epsilon")

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
        self.beta_1 = self._check(beta_1, "beta_1", "in [0, 1)")
        self.beta_2 = self._check(beta_2, "beta_2", "in [0, 1)")
        self.epsilon = self._check(epsilon, "epsilon")

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


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adagrad": AdaGrad, "rmsprop": RMSProp, "adam": Adam}


def get_optimizer(name, lr: float | None = None, owner: str | None = None) -> Optimizer:
    """``"sgd"``, ``"momentum"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"`` (or an instance).

    ``owner``, the model that asks, is named in the error for an unknown name."""
    if isinstance(name, Optimizer):
        return name
    if not isinstance(name, str) or name not in OPTIMIZERS:
        who = f"{owner} expects optimizer to be" if owner else "optimizer expects"
        raise ValueError(f"{who} one of {', '.join(map(repr, OPTIMIZERS))} or an Optimizer, got {name!r}")
    return OPTIMIZERS[name]() if lr is None else OPTIMIZERS[name](lr)
