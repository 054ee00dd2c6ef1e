"""Weight initializers (the sprints' ``SimpleInitializer(sigma)``, Xavier, He).

Each has ``W(n_nodes1, n_nodes2)`` and ``B(n_nodes2)`` as the sprints call them for
FC, and ``sample(shape, fan_in)`` for layers whose weights are not a matrix
(Conv1d ``(C_out, C_in, F)``, Conv2d ``(C_out, C_in, FH, FW)``): ``fan_in`` is the
number of inputs that feed one output (``C_in * FH * FW`` for a convolution).
Biases start at zero for Xavier and He (the usual choice; a random bias adds
nothing that the random weights do not already break).
"""
from __future__ import annotations

import numbers

import numpy as np

from . import _checks


def check_random_state(random_state, owner: str):
    """None (a fresh seed each run), an integer >= 0 or a NumPy Generator (used as is);
    what ``np.random.default_rng`` accepts, minus the forms nobody means (floats, strings)."""
    if random_state is None or isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, numbers.Integral) or random_state < 0:
        raise ValueError(f"{owner} expects random_state to be None, an integer >= 0 or a "
                         f"numpy.random.Generator, got {random_state!r}")
    return int(random_state)


def check_float_dtype(dtype, owner: str) -> np.dtype:
    """``dtype`` as a floating NumPy dtype: the weights and their updates are fractions."""
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):  # np.dtype("float") is fine, np.dtype("fast") is not
        dt = None
    if dt is None or dt.kind != "f":
        raise ValueError(f"{owner} expects dtype to be a floating dtype (np.float32 or np.float64), got {dtype!r}")
    return dt


class Initializer:
    def __init__(self, random_state=None, dtype=np.float64):
        # one generator per initializer: a fixed random_state gives the same weights
        self.rng = np.random.default_rng(check_random_state(random_state, type(self).__name__))
        self.dtype = check_float_dtype(dtype, type(self).__name__)

    def std(self, fan_in: int) -> float:  # pragma: no cover - interface
        raise NotImplementedError

    def sample(self, shape, fan_in: int) -> np.ndarray:
        """Gaussian weights of ``shape`` with the standard deviation of this scheme."""
        fan_in = _checks.check_int(fan_in, self.__class__.__name__, "fan_in")
        return (self.std(fan_in) * self.rng.standard_normal(shape)).astype(self.dtype)

    def W(self, n_nodes1: int, n_nodes2: int) -> np.ndarray:
        """Weights of an FC layer, shape (n_nodes1, n_nodes2)."""
        return self.sample((n_nodes1, n_nodes2), fan_in=n_nodes1)

    def B(self, n_nodes2: int) -> np.ndarray:
        """Biases, shape (n_nodes2,)."""
        return np.zeros(n_nodes2, dtype=self.dtype)


class SimpleInitializer(Initializer):
    """Gaussian with a fixed standard deviation ``sigma`` (weights and biases)."""

    def __init__(self, sigma: float = 0.01, random_state=None, dtype=np.float64):
        super().__init__(random_state, dtype)
        self.sigma = _checks.check_positive(sigma, "SimpleInitializer", "sigma")

    def std(self, fan_in: int) -> float:
        return self.sigma

    def B(self, n_nodes2: int) -> np.ndarray:
        return (self.sigma * self.rng.standard_normal(n_nodes2)).astype(self.dtype)


class XavierInitializer(Initializer):
    """std = 1/sqrt(fan_in): keeps the variance of sigmoid/tanh activations steady."""

    def std(self, fan_in: int) -> float:
        return 1.0 / np.sqrt(fan_in)


class HeInitializer(Initializer):
    """std = sqrt(2/fan_in): ReLU zeroes half its inputs, so twice Xavier's variance."""

    def std(self, fan_in: int) -> float:
        return np.sqrt(2.0 / fan_in)


NAMES = ("he", "xavier", "simple")


def get_initializer(name, random_state=None, dtype=np.float64, sigma: float = 0.01,
                    owner: str = "get_initializer") -> Initializer:
    """``"he"``, ``"xavier"``, ``"simple"`` (or an Initializer instance, returned as is)."""
    if isinstance(name, Initializer):
        return name
    if name == "simple":
        return SimpleInitializer(sigma, random_state, dtype)
    table = {"he": HeInitializer, "xavier": XavierInitializer}
    if name not in table:
        raise ValueError(f"{owner} expects initializer to be one of {', '.join(map(repr, NAMES))}, got {name!r}")
    return table[name](random_state, dtype)


def resolve(initializer, default: str, owner: str, dtype=np.float64):
    """What every layer does with its ``initializer=`` argument.

    None -> the layer's ``default`` ("he" before a ReLU, "xavier" before tanh), unseeded;
    a name -> that initializer; an object with ``B(n)`` and ``W(n1, n2)`` or
    ``sample(shape, fan_in)`` (an Initializer, a FixedInitializer, a student's own) -> as is.
    """
    if initializer is None:
        initializer = default
    if isinstance(initializer, str):
        return get_initializer(initializer, dtype=dtype, owner=owner)
    if not (hasattr(initializer, "B") and (hasattr(initializer, "W") or hasattr(initializer, "sample"))):
        raise ValueError(f"{owner} expects initializer to be None, one of {', '.join(map(repr, NAMES))} "
                         f"or an object with W(n1, n2) or sample(shape, fan_in) and B(n), got {initializer!r}")
    return initializer


class FixedInitializer:
    """Hands out the weights you give it: for the documents' small-array cases
    (``SimpleConv1d(3, FixedInitializer(W=[3, 5, 7], B=[1]))``) and for tests.

    ``W(...)`` / ``sample(shape, ...)`` return a copy of W and check its shape;
    ``B(n)`` returns a copy of B.
    """

    def __init__(self, W, B):
        self._W = self._own_copy(W, "W")
        self._B = self._own_copy(B, "B").reshape(-1)

    @staticmethod
    def _own_copy(values, name: str) -> np.ndarray:
        """A float64 copy of ``values`` (of any shape), which must be finite numbers."""
        any_shape = [f"d{i}" for i in range(np.ndim(values))]
        return _checks.as_array(values, "FixedInitializer", name, any_shape).copy()

    def sample(self, shape, fan_in=None) -> np.ndarray:
        if self._W.shape != tuple(shape):
            raise ValueError(f"FixedInitializer expects to be asked for W of shape "
                             f"{_checks.format_shape(self._W.shape)}, got {_checks.format_shape(tuple(shape))}")
        return self._W.copy()

    def W(self, n_nodes1: int, n_nodes2: int) -> np.ndarray:
        return self.sample((n_nodes1, n_nodes2))

    def B(self, n_nodes2: int) -> np.ndarray:
        if self._B.shape != (n_nodes2,):
            raise ValueError(f"FixedInitializer expects to be asked for B of shape "
                             f"{_checks.format_shape(self._B.shape)}, got ({n_nodes2},)")
        return self._B.copy()
