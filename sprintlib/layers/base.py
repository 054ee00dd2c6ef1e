"""The contract every layer keeps, enforced here once (the sprints' FC class, generalised).

A layer is used as the sprints use it::

    A = layer.forward(X)      # X (N, ...) -> A (N, ...)
    dX = layer.backward(dA)   # dA shaped as A -> dX shaped as X; fills dW, dB, ...

and a layer class writes only its maths, in four small methods:

* ``_input_spec(shape)``: the shape X must have, e.g. ``("N", 784)`` (``_checks``' form);
* ``_forward(X) -> A``: X is already checked, finite, of the layer's dtype, and the
  layer's own (the caller cannot change it afterwards); keep on ``self`` what backward needs;
* ``_backward(dA) -> dX``: dA is checked against A's shape; set ``self.d<name>`` for every
  parameter in ``param_names``; ``dX`` may be None when ``needs_input_grad`` is False;
* ``output_shape(input_shape)``: what forward returns, also for a model's ``summary()``.

Everything else is done here, for every layer alike:

* checks: X and dA (shape, numbers, finite, at least one sample), backward before forward,
  and the parameters, which the documents set by hand (``layer.W = np.array(...)``): each
  must keep the shape it was created with, and be finite;
* no aliasing: what forward returns never shares memory with what the layer keeps or with
  its input, and what the layer keeps never shares memory with the caller's X, so editing
  an output or an input in place (scaling, clipping, dropout) cannot change a later backward.
  Inside ``model_chain()`` (a model running its layers) the caller's X is a batch or a
  layer's output that the model alone holds and never edits, and no layer edits its X or
  dA: a layer keeps X uncopied, and its A and dX are passed on even when they are views;
* inside ``model_chain()``, X and dA are not searched for NaN and inf: they are the
  model's own checked batch or what the layers computed from it; the model checks its loss
  instead (a training run that overflows says so there, at its batch);
* ``needs_input_grad = False``: backward returns None (a model sets it on its first layer
  with parameters, whose dX nobody uses; a first convolution then skips its costliest part);
* memory order: dX comes back laid out in memory as forward's X was, so that the layers
  before it combine arrays of one order (several times faster; the fast path's convolutions
  keep images in the (H, C, W, N) order, see ``fast/conv.py``);
* threads: with the fast path on, the maths runs with the BLAS threads of
  ``fast.layer_threads()`` (one, unless SPRINTLIB_NUM_THREADS asks for more: a layer's
  products are too small to share); with it off, the BLAS is left as it is;
* the optimizer: it updates the parameters at the end of backward, after dX was computed
  with the weights forward used (``optimizer=None`` only computes the gradients: that is how
  the tests and the notebooks' test cells compare layers); a layer that changes its
  gradients as a whole first (SimpleRNN's clipping) does it in ``_adjust_gradients``;
* a replica (``fast.halves.replica``, the fast path's batch halves) shares the parameters
  but keeps its own forward state and gradients, and never adjusts or applies them: the
  model sums the replicas' gradients into the layer and applies them once.
"""
from __future__ import annotations

import contextlib
import threading

import numpy as np

from .. import _checks, fast
from ..functional import in_memory_order, memory_order


class _Chain(threading.local):
    active = False  # True inside model_chain(), in this thread


_chain = _Chain()


@contextlib.contextmanager
def model_chain():
    """``with model_chain():`` a model runs its layers: it hands each layer a batch or the
    previous layer's output, which only the model holds and which nobody edits, so a layer
    may keep its X without the copy that protects a caller's array (LeNet: 3 MB a step)."""
    before, _chain.active = _chain.active, True
    try:
        yield
    finally:
        _chain.active = before


class Layer:
    #: names of the trainable arrays; the gradient of ``W`` lives in ``dW``
    param_names: tuple[str, ...] = ()
    #: False: backward returns None instead of dX
    needs_input_grad: bool = True
    #: True for a replica (``fast.halves.replica``): backward leaves its gradients to the model
    _is_replica: bool = False

    def __init__(self, optimizer=None, dtype=np.float64):
        if optimizer is not None and not callable(getattr(optimizer, "update", None)):
            raise ValueError(f"{self.name} expects optimizer to be None or an object with "
                             f"update(layer), got {optimizer!r}")
        self.optimizer = optimizer
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(f"{self.name} expects a floating dtype, got {self.dtype}")
        self._param_shapes = {}
        self._out_shape = None  # shape of the last forward output, checked in backward

    @property
    def name(self) -> str:
        return type(self).__name__

    # -- what a layer class writes ----------------------------------------------------
    def _input_spec(self, shape) -> tuple:
        """The shape spec of X; by default any array with a batch axis."""
        return ("N",) + tuple(f"d{i}" for i in range(1, max(len(shape), 1)))

    def _forward(self, X):  # pragma: no cover - interface
        raise NotImplementedError

    def _backward(self, dA):  # pragma: no cover - interface
        raise NotImplementedError

    def output_shape(self, input_shape: tuple) -> tuple:
        """Shape of forward's output for an input of ``input_shape`` (batch axis included;
        it may be None). Raises, naming the layer, when the sizes do not fit."""
        return tuple(input_shape)

    def _init_params(self, **params) -> None:
        """Set the parameters at creation, in the layer's dtype; their shapes are the ones
        forward will insist on."""
        for name, value in params.items():
            value = np.array(value, dtype=self.dtype)  # a copy: an initializer may hand out its own array
            self._param_shapes[name] = value.shape
            setattr(self, name, value)

    # -- the contract ------------------------------------------------------------------
    def forward(self, X):
        """X -> A (see the class's ``_forward`` for the shapes)."""
        given = X
        X = _checks.as_array(X, self.name, "X", self._input_spec(_checks.shape_of(X, self.name, "X")), self.dtype,
                             finite=not _chain.active)
        self.output_shape(X.shape)  # size errors (a filter larger than the input...) named here
        self._check_params()
        self._x_order = memory_order(X)
        with fast.layer_threads():  # the fast path: one BLAS thread (see fast/threads.py)
            A = self._forward(X)
        if not _chain.active:  # in a model's chain no one edits an array in place: no copies
            _checks.check_no_overflow(A, self.name, "forward's A")
            self._disown(given)
            if self._shares_memory(A, given):
                A = A.copy(order="K")
        self._out_shape = A.shape
        return A

    def backward(self, dA):
        """dA shaped as forward's A -> dX shaped as forward's X (None if not needs_input_grad)."""
        if self._out_shape is None:
            raise RuntimeError(f"{self.name}.backward was called before forward: call forward(X) first")
        given = dA
        dA = _checks.as_array(dA, self.name, "dA", self._out_shape, self.dtype, finite=not _chain.active)
        with fast.layer_threads():
            dX = self._backward(dA)
            if not self._is_replica:
                self.apply_gradients()
        if not self.needs_input_grad:
            return None
        dX = in_memory_order(dX, self._x_order)
        if not _chain.active:
            _checks.check_no_overflow(dX, self.name, "backward's dX")
            if self._shares_memory(dX, given):
                dX = dX.copy(order="K")
        return dX

    def apply_gradients(self) -> None:
        """The end of backward: adjust the gradients (``_adjust_gradients``), then let the
        optimizer update the parameters. A model calls it itself after a replicas' step."""
        self._adjust_gradients()
        if self.optimizer is not None and self.param_names:
            self.optimizer.update(self)

    def _adjust_gradients(self) -> None:
        """Change the gradients as a whole before the update (SimpleRNN clips them); none here."""

    # -- the checks and the copies behind the contract --------------------------------------
    def _check_params(self) -> None:
        """Parameters set by hand keep their shape, hold finite numbers, get the layer's dtype."""
        for name, shape in self._param_shapes.items():
            setattr(self, name, _checks.as_array(getattr(self, name), self.name, name, shape, self.dtype))

    def _kept_arrays(self):
        """(name, array) of everything forward kept on self, parameters and gradients excluded."""
        skip = set(self.param_names) | {"d" + n for n in self.param_names}
        return [(k, v) for k, v in vars(self).items() if isinstance(v, np.ndarray) and k not in skip]

    def _disown(self, given) -> None:
        """Copy what forward kept when it is (a view of) the caller's X, which the caller may edit."""
        if not isinstance(given, np.ndarray):
            return  # a list or a scalar was converted: the arrays are the layer's already
        for key, value in self._kept_arrays():
            if np.may_share_memory(value, given):
                setattr(self, key, value.copy(order="K"))  # in its memory order, as computed

    def _shares_memory(self, out, given) -> bool:
        """True when ``out`` is (a view of) the caller's array, a parameter or a kept array."""
        if out is None:
            return False
        others = [given] + [v for _, v in self._kept_arrays()] + [getattr(self, n) for n in self.param_names]
        return any(isinstance(o, np.ndarray) and np.may_share_memory(out, o) for o in others)

    # -- introspection (summaries, saving, optimizers) --------------------------------
    def params(self) -> dict[str, np.ndarray]:
        return {n: getattr(self, n) for n in self.param_names}

    def grads(self) -> dict[str, np.ndarray]:
        return {n: getattr(self, "d" + n) for n in self.param_names}

    @property
    def n_params(self) -> int:
        return int(sum(p.size for p in self.params().values()))

    def __repr__(self) -> str:
        return f"{self.name}()"
