"""What the notebooks' test cells call: a student's arrays, functions and layers compared
with sprintlib's on the same inputs, one verdict a line, type then shape then values.

    from sprintlib import Conv2d
    from sprintlib.grading import check_layer
    check_layer(MyConv2d(1, 2, 3), Conv2d(1, 2, 3), X)   # X (N, 1, H, W)

prints::

    forward A: OK (relative error 6.8e-17)
    backward dX: OK (relative error 6.9e-17)
    backward dW: wrong values (relative error 5.0e-01, tolerance 1e-06): every value is 0.5
    times the expected one (a factor missing or extra?)
      largest difference at index (1, 0, 1, 2): expected 6.53679, got 3.2684
    backward dB: OK (relative error 0.0e+00)

and raises AssertionError naming the parts that are wrong, so that an nbgrader test cell
fails exactly when a check does. The checks return None: a number shown as the result of a
test cell's last line would be read by nbgrader as partial credit. Every part is checked
even after one fails: a student learns which part to fix.

Values are compared entry by entry (as ``np.allclose``): an entry passes when
``|got - expected| <= rtol * |expected| + atol``, with ``rtol`` set by the expected
array's dtype (a float32 answer carries float32 rounding) and ``atol`` a small fraction of
the array's largest value (an entry that should be 0 gets the rounding of its neighbours).
A wrong small entry next to a large one therefore fails, which a single norm over the
whole array would miss.

A wrong part that equals what a known mistake gives (MISTAKES: a flipped kernel, an
uncropped padding, BPTT with the final state...; SIZE_MISTAKES: an output size with the
padding on one side...) gets a hint, and so does one that is the expected array up to a
factor, a constant (per channel: a bias), an order of its values or a length of 1. The
answer must be the student's own: a layer or function that runs sprintlib's answer to the
same problem fails (see _Answer). ``hidden_rng`` and ``random_case`` draw the inputs of hidden tests.

Grading runs without TensorFlow, and writes nothing to stderr (nbgrader marks a test cell
that does as failed): warnings, logging and ``print(..., file=sys.stderr)`` of the
student's code are caught and printed as notes on stdout. Errors raised by the student's
code are not caught: their traceback points into the student's code, which is what they
need.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import inspect
import io
import itertools
import logging
import os
import sys
import types
import warnings
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from ._checks import check_bool, format_shape
from .layers.activations import Sigmoid
from .layers.base import Layer
from .layers.conv1d import Conv1d
from .layers.conv2d import Conv2d
from .layers.max_pool2d import MaxPool2D
from .layers.rnn import SimpleRNN
from .layers.simple_conv1d import SimpleConv1d
from .testing import keep_weights, layer_numerical_gradients, random_input


# -- tolerances -----------------------------------------------------------------------
class Tolerance(NamedTuple):
    """An entry passes when ``|got - expected| <= rtol * (|expected| + floor * scale)``,
    ``scale`` being the largest ``|expected|`` of the array: ``floor`` keeps the entries
    that are small next to their neighbours (0 up to rounding) from counting as 100% wrong."""
    rtol: float
    floor: float


#: by the expected dtype: a right answer computed in another order agrees to a few units of
#: rounding (float64: 1e-16, float32: 1e-7), far inside these; a wrong one does not
TOLERANCES = {
    np.dtype(np.float64): Tolerance(1e-6, 1e-3),
    np.dtype(np.float32): Tolerance(1e-4, 1e-1),
    np.dtype(np.float16): Tolerance(1e-2, 1e-1),
}
#: backward against central differences (h = 1e-5): these agree to about 1e-9
NUMERICAL = Tolerance(1e-5, 1e-2)
#: the float64 relative tolerance (kept for the notebooks that pass rtol=RTOL)
RTOL = TOLERANCES[np.dtype(np.float64)].rtol


def _tolerance(expected: np.ndarray, rtol=None, base: Tolerance | None = None) -> Tolerance:
    """The tolerance for ``expected``'s dtype (float64's for integers), with ``rtol`` if given."""
    tol = base or TOLERANCES.get(expected.dtype, TOLERANCES[np.dtype(np.float64)])
    return tol if rtol is None else tol._replace(rtol=float(rtol))


def entry_errors(got: np.ndarray, expected: np.ndarray, floor: float) -> np.ndarray:
    """``|got - expected| / (|expected| + floor * max|expected|)`` for every entry (same shape).

    0 where both are equal (0 and 0 included), inf where ``expected`` and its whole array
    are 0 but ``got`` is not.
    """
    g, e = got.astype(np.float64), expected.astype(np.float64)
    diff = np.abs(g - e)
    scale = float(np.max(np.abs(e))) if e.size else 0.0
    denom = np.abs(e) + floor * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(diff == 0, 0.0, diff / denom)


def _worst(got, expected, tol: Tolerance) -> tuple[float, tuple]:
    """(the largest entry error, its index); (0.0, ()) for empty arrays."""
    if expected.size == 0:
        return 0.0, ()
    errors = entry_errors(got, expected, tol.floor)
    index = np.unravel_index(int(np.argmax(errors)), expected.shape)
    return float(errors[index]), tuple(int(i) for i in index)


def _matches(got, candidate, tol: Tolerance) -> bool:
    return got.shape == candidate.shape and _worst(got, candidate, tol)[0] <= tol.rtol


# -- reading what the student's code gave, whatever it is ---------------------------------
def _numbers(value):
    """``(array, None)`` when ``value`` is numbers, ``(None, what it is)`` otherwise.

    Reads only the raw data: an ndarray subclass becomes a plain ndarray (its own methods,
    say an ``__eq__`` that always answers True, are never called), a numpy or Python
    scalar a 0-d array; anything else (lists, objects with ``__array__``) is refused
    without calling any of its methods. The array is a copy: the student's code cannot
    change it afterwards.
    """
    if isinstance(value, np.ndarray):
        return np.array(np.ndarray.view(value, np.ndarray), copy=True), None
    if _is_plain_number(value):
        return np.array(value), None
    return None, _describe(value)


def _is_plain_number(value) -> bool:
    """A Python or numpy scalar of its own type (not a subclass with methods of its own)."""
    return type(value) in (bool, int, float) or (isinstance(value, np.generic) and type(value).__module__ == "numpy")


def _snapshot(value):
    """An array's values as they are now (the student's later code cannot change them)."""
    return _numbers(value)[0] if isinstance(value, np.ndarray) else value


def _describe(value) -> str:
    if type(value) is tuple:
        return f"a tuple of {len(value)}"
    return type(value).__name__


class _Absent:
    """What was found where an attribute was expected, and what to say about it."""

    def __init__(self, message):
        self.message = message


def _read(obj, name):
    """``getattr(obj, name)``, or an _Absent when it is missing or reading it fails
    (a property or ``__getattr__`` of the student's class may raise anything)."""
    try:
        return getattr(obj, name)
    except AttributeError:
        return _Absent(f"no attribute {name}")
    except Exception as exc:  # the student's property: say what it raised
        return _Absent(f"reading {name} raised {type(exc).__name__}: {exc}")


def _shape_of(value):
    """The shape of an array, list or number; None for anything else."""
    if isinstance(value, np.ndarray):
        return np.ndarray.view(value, np.ndarray).shape
    if type(value) in (list, tuple, bool, int, float):
        try:
            return np.shape(value)
        except Exception:  # a ragged list
            return None
    return None


# -- arrays ---------------------------------------------------------------------------
def check_array(name: str, got, expected, rtol: float | None = None) -> None:
    """Compare one array with the expected one: its type, its shape, then its values.

    ``rtol`` defaults to the tolerance of ``expected``'s dtype (see TOLERANCES). Prints
    ``name: OK (relative error ...)``; raises AssertionError with a message that says
    what is wrong and, when it can tell, why.
    """
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    if _recording() == "got":
        _emit(name, got)
        return
    if _recording() == "expected":
        _emit(name, np.asarray(expected), tol=list(_tolerance(np.asarray(expected), rtol)))
    problem, err = _array_problem(name, got, expected, rtol)
    if problem:
        raise AssertionError(problem)
    print(_ok(name, err))


def check_accuracy(name: str, y_pred, y_true, at_least: float) -> None:
    """Predicted labels ``y_pred`` (N,) against the true ones ``y_true`` (N,): passes when
    the share of right labels is at least ``at_least`` (a number in [0, 1]).

    In a graded run the accuracy is computed by the grader from the labels the student's
    code returned, not by the kernel (see _recording).
    """
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    mode = _recording()
    if mode == "got":
        return _emit(name, y_pred)
    y_true = np.asarray(y_true)
    if mode == "expected":
        _emit(name, y_true, kind="accuracy", at_least=float(at_least))
    problem, verdict = _accuracy_problem(name, y_pred, y_true, at_least)
    if problem:
        raise AssertionError(problem)
    print(verdict)


def _accuracy_problem(name, y_pred, y_true, at_least):
    """(message or None, the verdict line)."""
    arr, problem = _read_numbers(name, y_pred)
    if problem:
        return problem, ""
    if arr.shape != y_true.shape:
        return (f"{name}: expected labels of shape {format_shape(y_true.shape)}, got {format_shape(arr.shape)}"
                + _shape_hint(arr.shape, y_true.shape)), ""
    right = int(np.sum(arr == y_true))
    accuracy = right / y_true.size if y_true.size else float("nan")  # (nan: no labels, never passes)
    verdict = f"{name}: accuracy {accuracy:.1%} ({right} of {y_true.size} right; at least {at_least:.0%} needed)"
    return (None if accuracy >= at_least else verdict + " - too low"), verdict


def check_bounds(name: str, values, below: float | None = None, decreasing: bool = False) -> None:
    """Numbers such as a loss per epoch: passes when every one is finite, each is below
    ``below`` (if given) and, with ``decreasing``, each is below the one before.

    In a graded run the grader checks the numbers the student's code gave, not the kernel.
    """
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    decreasing = check_bool(decreasing, "check_bounds", "decreasing")
    values = _plain_list(values)
    mode = _recording()
    if mode == "got":
        return _emit(name, values)
    if mode == "expected":
        _emit(name, values, kind="bounds", below=below, decreasing=decreasing)
    problem = _bounds_problem(name, values, below, decreasing)
    if problem:
        raise AssertionError(problem)
    print(f"{name}: OK {np.array2string(np.asarray(values, np.float64), precision=4)}")


def _plain_list(value):
    """A list (a history: one number an epoch) of plain numbers as an array; anything else as it is."""
    if type(value) in (list, tuple) and all(map(_is_plain_number, value)):
        return np.array(value, dtype=np.float64)
    return value


def _bounds_problem(name, values, below, decreasing) -> str | None:
    arr, problem = _read_numbers(name, values)
    if problem:
        return problem
    arr = arr.astype(np.float64).ravel()
    shown = np.array2string(arr, precision=4)
    if arr.size == 0 or not np.isfinite(arr).all():
        return f"{name}: expected finite numbers, got {shown}"
    if below is not None and not (arr < below).all():
        return f"{name}: expected every value below {below:.4g}, got {shown}"
    if decreasing and not (np.diff(arr) < 0).all():
        return f"{name}: expected each value below the one before, got {shown}"
    return None


def _ok(name, err) -> str:
    return f"{name}: OK" + ("" if err is None else f" (relative error {err:.1e})")


def _array_problem(name, got, expected, rtol=None, tol: Tolerance | None = None):
    """(message or None, worst relative error or None): the first thing wrong with ``got``."""
    expected = np.asarray(expected)
    arr, problem = _read_numbers(name, got)
    if problem:
        return problem, None
    if arr.shape != expected.shape:
        return f"{name}: expected shape {format_shape(expected.shape)}, got {format_shape(arr.shape)}" \
            + _output_shape_hint(arr.shape, expected.shape), None
    if expected.dtype.kind in "iu":  # sizes and counts: exact integers
        return _integer_problem(name, arr, expected), None
    if not np.isfinite(arr).all():
        return _not_finite(name, arr) + _dtype_hint(arr, expected), None
    tol = _tolerance(expected, rtol, tol)
    err, worst = _worst(arr, expected, tol)
    if err <= tol.rtol:
        return None, err
    return (f"{name}: wrong values (relative error {err:.1e}, tolerance {tol.rtol:g})"
            + _value_hint(arr, expected, tol) + _dtype_hint(arr, expected) + _where(arr, expected, worst)), err


def _read_numbers(name, got):
    """``(array, None)`` when ``got`` is numbers, ``(None, what is wrong)`` otherwise."""
    if got is None:
        return None, f"{name}: got None (does the function or method end with a return?)"
    if isinstance(got, _Absent):
        return None, f"{name}: {got.message}"
    arr, what = _numbers(got)
    if arr is None:
        return None, f"{name}: expected a numpy array, got {what}"
    if arr.dtype.kind not in "biuf":
        return None, f"{name}: expected numbers, got an array of dtype {arr.dtype}"
    return arr, None


def _not_finite(name, arr) -> str:
    n_nan, n_inf = int(np.isnan(arr).sum()), int(np.isinf(arr).sum())
    return f"{name}: expected finite values, got {n_nan} NaN and {n_inf} inf"


def _integer_problem(name, got, expected):
    if got.dtype.kind not in "iu":
        return (f"{name}: expected integers, got {got.dtype} {np.array2string(got)} "
                f"(a size is a whole number: use // or int())")
    if not np.array_equal(got, expected):
        return f"{name}: expected {np.array2string(expected)}, got {np.array2string(got)}" + _off_by_one(got, expected)
    return None


_SIZE_RULE = "an output size is (N_in + 2P - F) // S + 1"
#: what an output size one too large or too small most often lacks (sprint 1's problem 2)
_SIZE_FORMULA = f"{_SIZE_RULE}: check the + 1, and that P pads both sides"


def _off_by_one(got, expected) -> str:
    """An output size one too large or too small, everywhere."""
    for d, word in ((1, "more"), (-1, "less")):
        if np.array_equal(got.astype(np.int64) - expected, np.full(expected.shape, d)):
            return f": 1 {word} than expected ({_SIZE_FORMULA})"
    return ""


def _shape_hint(got, expected) -> str:
    if got == () and expected != ():
        return (": a single number (a sum or mean over every axis? keep the axes of the expected "
                "shape, e.g. np.sum(dA, axis=0) sums over the batch only)")
    if sorted(got) == sorted(expected):
        return ": the same sizes in another order (check the order of the axes)"
    if int(np.prod(got)) == int(np.prod(expected)):
        return ": the right number of values in another shape"
    return ""


def _output_shape_hint(got, expected) -> str:
    """_shape_hint, and for a result (not a weight, not labels) whose lengths are one too
    large or too small: an output size computed without its + 1 or with P on one side.
    Names axes, never sizes: a hidden test's feedback says this too (autograder/runner.py)."""
    hint = _shape_hint(got, expected)
    if hint or len(got) != len(expected):
        return hint
    diff = np.subtract(got, expected)
    axes = [int(a) for a in np.flatnonzero(diff)]
    for d, word in ((1, "more"), (-1, "less")):
        if axes and all(diff[a] == d for a in axes):
            return f": 1 {word} than expected along {_axes_words(axes)} ({_SIZE_FORMULA})"
    return ""


def _axes_words(axes) -> str:
    """"axis 0", "axes 2 and 3"."""
    if len(axes) == 1:
        return f"axis {axes[0]}"
    return "axes " + ", ".join(map(str, axes[:-1])) + f" and {axes[-1]}"


def _value_hint(got, expected, tol) -> str:
    """A likely cause, when the answer is the expected one up to a sign, a factor, a transpose,
    an order of its values, or a constant added (per channel). Says no number of the inputs:
    a hidden test's feedback says this too (autograder/runner.py)."""
    g, e = got.astype(np.float64), expected.astype(np.float64)
    if got.dtype.kind in "biu" and expected.dtype.kind == "f":
        return f": your result has dtype {got.dtype}; computed in integers, fractions are lost"
    ee = float(np.sum(e * e))
    if ee > 0:
        factor = float(np.sum(g * e)) / ee  # the c that brings c * expected closest to got
        if factor != 0 and _matches(g, factor * e, tol):
            if np.isclose(factor, -1):
                return ": every value has the wrong sign"
            return f": every value is {factor:.4g} times the expected one (a factor missing or extra?)"
    if e.ndim >= 2 and e.shape[-1] == e.shape[-2] and _matches(g, np.swapaxes(e, -1, -2), tol):
        return ": the values of the expected array with its last two axes swapped (a transpose too many?)"
    if _matches(np.sort(g, axis=None), np.sort(e, axis=None), tol):
        return ": the right values in the wrong places (a reshape or transpose in the wrong order?)"
    return _offset_hint(g, e, tol)


def _offset_hint(g, e, tol) -> str:
    """got = expected + a constant, or + one constant per index along an axis (a channel):
    a bias left out or added twice. Only where each constant is shared by 2 entries or more
    (any single wrong entry is "off by a constant")."""
    why = ": is the bias B missing (or added twice)?"
    diff = g - e
    if e.size >= 2 and _matches(g, e + diff.mean(), tol):
        return ": every value differs from the expected by the same amount" + why
    for axis in range(e.ndim):
        others = tuple(a for a in range(e.ndim) if a != axis)
        if 1 < e.shape[axis] < e.size and _matches(g, e + diff.mean(axis=others, keepdims=True), tol):
            return f": every value differs from the expected by the same amount per channel (axis {axis})" + why
    return ""


def _dtype_hint(got, expected) -> str:
    """Say so when the answer is in a less precise float type than the expected one."""
    if got.dtype.kind == "f" and expected.dtype.kind == "f" and got.dtype.itemsize < expected.dtype.itemsize:
        digits = np.finfo(got.dtype).precision
        return (f"; your result has dtype {got.dtype}, expected {expected.dtype}: {got.dtype} keeps "
                f"about {digits} significant digits (compute in {expected.dtype}, or leave the dtype as numpy makes it)")
    return ""


def _where(got, expected, worst) -> str:
    """The entries side by side when the arrays are small; the worst entry otherwise."""
    if expected.size <= 12:
        return f"\n  expected {np.array2string(expected, precision=6)}\n  got      {np.array2string(got, precision=6)}"
    return f"\n  largest difference at index {worst}: expected {expected[worst]:.6g}, got {got[worst]:.6g}"


# -- functions ----------------------------------------------------------------------
def check_function(student_fn, reference_fn, *args, rtol: float | None = None, name: str | None = None,
                   own_code: bool = True, **kwargs) -> None:
    """Call both with the same arguments (copies: a function that writes into its input
    does not change what the other sees) and compare the results.

    A tuple result is compared entry by entry. When the reference computes an output size
    (its parameters are named n_in or in_size, filter_size, stride, pad), a wrong size that a
    known wrong formula gives on the same arguments gets a hint (SIZE_MISTAKES).
    ``own_code`` (default True): fail if the
    student's function runs ``reference_fn`` (or, for a sprintlib function, its module or
    ``sprintlib.functional``) instead of computing the answer itself.
    """
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    name = name or getattr(reference_fn, "__name__", "result")
    answer = _Answer(reference_fn, name) if own_code else None
    with _student(f"your {name}", answer):
        got = student_fn(*_copies(args), **_copies(kwargs))
    got = tuple(map(_snapshot, got)) if type(got) is tuple else _snapshot(got)
    if _recording() == "got":  # the reference does not run in a graded kernel
        for i, g in enumerate(got) if type(got) is tuple else [(None, got)]:
            _emit(name if i is None else f"{name}[{i}]", g)
        return
    with _answer_code():
        expected = reference_fn(*_copies(args), **_copies(kwargs))
    explain = _function_explainer(reference_fn, name, args, kwargs, expected)
    if isinstance(expected, tuple):
        if type(got) is not tuple or len(got) != len(expected):
            raise AssertionError(f"{name}: expected a tuple of {len(expected)} results, got {_describe(got)}")
        _report([(f"{name}[{i}]", g, e) for i, (g, e) in enumerate(zip(got, expected))], rtol, explain=explain)
    else:
        _report([(name, got, expected)], rtol, explain=explain)


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def _copies(values):
    """Copies of the array arguments, in a tuple (``*args``) or a dict (``**kwargs``)."""
    if isinstance(values, dict):
        return {k: _copy(v) for k, v in values.items()}
    return tuple(_copy(v) for v in values)


# -- layers -------------------------------------------------------------------------
def check_layer(student, reference, X, dA=None, rtol: float | None = None, seed: int = 0,
                backward: bool = True, own_code: bool = True) -> None:
    """Check a student's layer against sprintlib's on the same input and weights.

    The reference's parameters (``W``, ``B``..., ``reference.param_names``) are drawn at
    random from X (the same for the same X; no parameter is left at 0, as an initializer's
    bias is, where a forgotten term would not show), the student's layer gets a copy of
    each (same names, same shapes), then both run ``forward(X)`` and
    ``backward(dA)`` (``dA`` random normal by default, with ``seed``). Compared: the output,
    ``dX``, and ``d<name>`` of every parameter, with the tolerance of the reference's dtype
    (``rtol`` overrides it). No optimizer update happens during the check. A wrong part
    that matches a known mistake (MISTAKES) gets a hint.

    ``own_code`` (default True): fail if the student's layer is, subclasses, holds or
    runs sprintlib's implementation of the same layer (its class, its module, or
    ``sprintlib.functional``); sprintlib's other parts (FC, activations...) stay allowed.
    """
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    backward = check_bool(backward, "check_layer", "backward")
    own_code = check_bool(own_code, "check_layer", "own_code")
    X = np.asarray(X)
    answer = _Answer(reference) if own_code else None
    _check_not_a_copy(student, answer)
    # weights drawn from X, never the initializer's: He's B is all zeros, with which a forward
    # that forgets the bias looks right (and a graded run, which draws them too, would not)
    _grading_weights(reference, X, reference.param_names)
    _give_weights(student, reference)
    if _recording() == "got":
        return _record_layer(student, reference, X, dA, seed, backward, answer)
    parts = []
    with keep_weights(student, reference.param_names), keep_weights(reference):
        with _student("your forward", answer), _unchanged("forward", "X", X) as (x, _):
            A_got = _snapshot(student.forward(x))
        with _answer_code():
            A = reference.forward(X.copy())
        parts.append(("forward A", A_got, A))
        if backward:
            dA = np.random.default_rng(seed).standard_normal(A.shape) if dA is None else np.asarray(dA)
            with _student("your backward", answer), _unchanged("backward", "dA", dA) as (d, _):
                dX_got = _snapshot(student.backward(d))
            with _answer_code():
                dX = reference.backward(dA.copy())
            parts.append(("backward dX", dX_got, dX))
            parts += [(f"backward d{n}", _gradient(student, n), getattr(reference, "d" + n))
                      for n in reference.param_names]
    # a forward-only check still gets the forward's hints: the mistakes run a backward too
    dA = np.ones_like(A) if dA is None else dA
    _report(parts, rtol, explain=_layer_explainer(reference, X, dA, {name: expected for name, _, expected in parts}))


def _record_layer(student, reference, X, dA, seed, backward, answer) -> None:
    """check_layer in a graded kernel: run the student's layer as check_layer does and emit
    what it gives; the reference's maths do not run here (see _recording)."""
    with keep_weights(student, reference.param_names):
        with _student("your forward", answer), _unchanged("forward", "X", X) as (x, _):
            A_got = _snapshot(student.forward(x))
        _emit("forward A", A_got)
        if backward:
            if dA is None:  # drawn as check_layer draws it, for the shape of a right forward
                shape = np.shape(A_got) if isinstance(A_got, np.ndarray) else ()
                dA = np.random.default_rng(seed).standard_normal(shape)
            dA = np.asarray(dA)
            with _student("your backward", answer), _unchanged("backward", "dA", dA) as (d, _):
                _emit("backward dX", _snapshot(student.backward(d)))
            for n in reference.param_names:
                _emit(f"backward d{n}", _gradient(student, n))


def _give_weights(student, reference) -> None:
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    for n in reference.param_names:
        expected = getattr(reference, n)
        value = _read(student, n)
        if isinstance(value, _Absent):
            raise AssertionError(f"your layer has {value.message}: __init__ should set self.{n}, "
                                 f"an array of shape {format_shape(expected.shape)}")
        got = _shape_of(value)
        if got != expected.shape:
            came = _describe(value) if got is None else format_shape(got)
            raise AssertionError(f"your layer's {n}: expected shape {format_shape(expected.shape)}, "
                                 f"got {came}" + ("" if got is None else _shape_hint(got, expected.shape)))
        try:
            setattr(student, n, expected.copy())
        except Exception as exc:  # a read-only property of the student's class
            raise AssertionError(f"your layer's {n} cannot be set ({type(exc).__name__}: {exc}): "
                                 f"make it a plain attribute, self.{n} = ...") from None


def _gradient(layer, name):
    """The layer's d<name> (the documents' dW, dB; the book writes db), as it is now."""
    for attr in _gradient_names(name):
        value = _read(layer, attr)
        if not isinstance(value, _Absent):
            return _snapshot(value)
    return _Absent(f"your layer has no attribute d{name} after backward: backward should set self.d{name}")


def _gradient_names(name):
    return dict.fromkeys(("d" + name, "d" + name.lower()))  # in order, without repeats


def _report(parts, rtol=None, tol: Tolerance | None = None, footnote: str = "", explain=None) -> None:
    """Check every (name, got, expected), print each verdict, then fail if any was wrong.

    ``explain(name, got, tolerance)``, if given, returns a hint for a wrong part ("" if none).
    """
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    if _recording() == "got":
        for name, got, _ in parts:
            _emit(name, got)
        return
    if _recording() == "expected":  # with what each known mistake would give: the grader's hints
        for name, _, expected in parts:
            _emit(name, np.asarray(expected), tol=list(_tolerance(np.asarray(expected), rtol, tol)),
                  hints=_hint_records(explain, name) if explain else [])
    wrong = []
    for name, got, expected in parts:
        problem, err = _array_problem(name, got, expected, rtol, tol)
        if problem and explain is not None:
            hint = explain(name, got, _tolerance(np.asarray(expected), rtol, tol))
            problem += f"\n  hint: {hint}" if hint else ""
        print(problem if problem else _ok(name, err))
        if problem:
            wrong.append(name)
    if wrong:
        raise AssertionError(f"wrong: {', '.join(wrong)} (see above)" + footnote)


# -- the student's code runs here -------------------------------------------------------
@contextlib.contextmanager
def _notes(who):
    """While the student's code runs, its warnings, logging and writes to stderr are kept,
    then printed on stdout as notes: nbgrader fails a test cell that writes to stderr,
    even when its checks pass. Printed also when the student's code raises."""
    err = io.StringIO()
    try:
        with warnings.catch_warnings(record=True) as caught, _stderr_to(err):
            warnings.simplefilter("always")
            yield
    finally:
        seen = dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught)
        for text in seen:
            print(f"note: {who} warned: {text}")
        if err.getvalue().strip():
            print(f"note: {who} wrote to stderr (shown here, so that the test cell does not fail):")
            print(_indented(err.getvalue()))


@contextlib.contextmanager
def _stderr_to(stream):
    """sys.stderr, and the logging handlers that write to it, point at ``stream`` for a while."""
    handlers = [h for h in _logging_handlers() if type(h) is logging.StreamHandler
                and h.stream in (sys.stderr, sys.__stderr__)]
    old = [h.setStream(stream) for h in handlers]
    try:
        with contextlib.redirect_stderr(stream):
            yield
    finally:
        for h, s in zip(handlers, old):
            h.setStream(s)


def _logging_handlers():
    loggers = [logging.getLogger()] + [lg for lg in logging.Logger.manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger)]
    return [h for lg in loggers for h in lg.handlers]


def _indented(text: str, limit: int = 20) -> str:
    lines = text.rstrip().splitlines()
    more = f"\n  ... ({len(lines) - limit} more lines)" if len(lines) > limit else ""
    return "\n".join("  " + line for line in lines[:limit]) + more


@contextlib.contextmanager
def _unchanged(method, name, array):
    """Hand the student a copy, and say so if their code wrote into it.

    Yields (the copy, a list that holds True afterwards if it was changed).
    """
    given, changed = array.copy(), []
    try:
        yield given, changed
    finally:
        if given.shape != array.shape or not np.array_equal(given, array, equal_nan=array.dtype.kind == "f"):
            changed.append(True)
            print(f"note: your {method} changed its input {name} in place; the layer before or after "
                  f"it may still need it (make a copy, or compute into a new array)")


@contextlib.contextmanager
def _student(who, answer=None):
    """The student's code runs here: notes for its warnings and stderr, and a watch on the
    code it runs (see _Answer): fails if it ran sprintlib's answer, even if it then raised."""
    found = []
    try:
        with _notes(who), _watching(answer, found):
            yield
    except Exception as exc:
        if found:
            raise _own_work(answer, f"{who} ran {found[0]}") from exc
        raise
    if found:
        raise _own_work(answer, f"{who} ran {found[0]}")


def _own_work(answer, detail) -> AssertionError:
    """Print and return the verdict on an answer that is sprintlib's."""
    message = f"own work: your {answer.title} uses {answer.whose} ({detail}): write your own"
    print(message)
    return AssertionError(message)


# -- the student's own work ------------------------------------------------------------
_HERE = Path(__file__).resolve().parent
#: sprintlib's helpers that every answer may use: the input checks, the Layer base class,
#: the output sizes (sprint 1's problem, graded on its own when it is the problem)
_SHARED = frozenset({_HERE / "_checks.py", _HERE / "layers" / "base.py", _HERE / "functional" / "sizes.py"})


#: the code of the contract every layer inherits (see _Answer.runs_contract)
_CONTRACT = frozenset({Layer.forward.__code__, Layer.backward.__code__})


@functools.lru_cache(maxsize=None)
def _path(filename: str) -> Path:
    return Path(os.path.realpath(filename))


def _file_of(obj) -> Path | None:
    """The source file of a class or function (of the module it was loaded from, however)."""
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    filename = getattr(getattr(obj, "__code__", None), "co_filename", None) or getattr(module, "__file__", None)
    return _path(filename) if filename else None


def _in_sprintlib(cls) -> bool:
    """A class of sprintlib's own (not the Layer base class that every answer may use)."""
    path = _file_of(cls)
    return path is not None and path.is_relative_to(_HERE) and path not in _SHARED


def _is_part(path: Path) -> bool:
    """sprintlib's layers and functions: the parts of the sprints."""
    return path.parent in (_HERE / "layers", _HERE / "functional")


class _Answer:
    """sprintlib's answer to the problem graded, which the student's code must not run.

    For a layer: the methods of its class and of its sprintlib base classes (not Layer), the
    functions of their modules, and ``sprintlib.functional`` (im2col, conv2d_forward...). For
    a sprintlib function: its module and ``sprintlib.functional``. For any other function:
    itself. Code is recognised by file and qualified name, so a method captured before the
    test, a class loaded again with importlib, a subclass or a wrapper are all caught.
    """

    def __init__(self, reference, title: str | None = None):
        is_function = callable(reference) and not hasattr(reference, "forward")
        classes = [] if is_function else [c for c in type(reference).__mro__ if _in_sprintlib(c)]
        self.title = title or type(reference).__name__
        self.units = {(_file_of(c), c.__qualname__) for c in classes}
        self.files = {_file_of(c) for c in classes}
        self.code = None
        self.whose = f"sprintlib's {self.title}"
        if is_function:
            path = _file_of(reference)
            if path is not None and path.is_relative_to(_HERE):
                self.files = {path}
            else:  # a function of the notebook: only itself
                self.code = getattr(reference, "__code__", None)
                self.whose = f"the reference {self.title}"
        # other classes of the same modules (activations.py holds ReLU, Sigmoid and Tanh)
        graded = {q.split(".")[0] for _, q in self.units}
        self.others = {c.__qualname__ for c in _classes_of(self.files)} - graded

    def owns(self, code) -> str | None:
        """What ``code`` is, if it belongs to the answer ("sprintlib's Conv2d.forward")."""
        path = _path(code.co_filename)
        name = path.relative_to(_HERE).as_posix() if code.co_name == "<module>" else code.co_qualname
        if path.parent == _HERE / "functional" and (path not in _SHARED or path in self.files):
            return f"sprintlib.functional's {name}"
        if path in self.files and code.co_qualname.split(".")[0] not in self.others:
            return f"sprintlib's {name}"
        if code is self.code:
            return f"the reference {code.co_qualname}"
        return None

    def owns_class(self, cls) -> bool:
        return (_file_of(cls), cls.__qualname__) in self.units

    def runs_contract(self, obj, code) -> str | None:
        """The public forward and backward of every layer are Layer's (layers/base.py), which
        call the class's maths. Run on an instance of the answer, or on an object that is no
        Layer at all (``Conv2d.forward(self, X)`` on the student's own object), they are the
        answer's; run on the student's own Layer subclass, they are the shared contract."""
        if not self.units or isinstance(obj, Layer) and not any(self.owns_class(c) for c in type(obj).__mro__):
            return None
        return f"sprintlib's {self.title}.{code.co_name}"


def _classes_of(files):
    for module in list(sys.modules.values()):
        if _path(getattr(module, "__file__", None) or "/nonexistent") in files:
            yield from (c for c in vars(module).values() if isinstance(c, type) and c.__module__ == module.__name__)


def _check_not_a_copy(student, answer) -> None:
    """Fail before running when the student's layer is, subclasses or holds the answer."""
    if answer is None:
        return
    detail = None
    for cls in type(student).__mro__:
        if answer.owns_class(cls):
            detail = (f"it is sprintlib's {cls.__qualname__}" if cls is type(student)
                      else f"it subclasses sprintlib's {cls.__qualname__}")
            break
    for attr, value in _attributes(student).items():
        if detail:
            break
        if any(answer.owns_class(c) for c in type(value).__mro__):
            detail = f"self.{attr} is a sprintlib {type(value).__qualname__}"
        code = getattr(getattr(value, "__func__", value), "__code__", None) if callable(value) else None
        if isinstance(code, types.CodeType) and answer.owns(code):
            detail = f"self.{attr} is {answer.owns(code)}"
        bound_to = getattr(value, "__self__", None)  # a method of an instance of the answer
        if bound_to is not None and any(answer.owns_class(c) for c in type(bound_to).__mro__):
            detail = f"self.{attr} is sprintlib's {answer.title}.{getattr(value, '__name__', '?')}"
    if detail:
        raise _own_work(answer, detail)


@contextlib.contextmanager
def _watching(answer, found: list):
    """Note in ``found`` the first call into ``answer`` while the student's code runs.

    A profile hook sees every Python call, however the function was reached (a bound
    method captured before the test, a module imported again, a wrapper). A call made
    by another sprintlib part (sprintlib's Flatten using a functional helper inside a
    student's Conv2d) is that part's business, not a copy of the answer.
    """
    if answer is None:
        yield
        return
    seen = {}

    def hook(frame, event, arg):
        if event != "call" or found:
            return
        code = frame.f_code
        if code in _CONTRACT:  # Layer.forward/backward: the answer's, when run for the answer
            owner = answer.runs_contract(frame.f_locals.get("self"), code)
            if owner and not _called_by_another_part(frame, answer):
                found.append(owner)
            return
        if code not in seen:
            seen[code] = answer.owns(code)
        if seen[code] and not _called_by_another_part(frame, answer):
            found.append(seen[code])

    with _profiling(hook):
        yield


@contextlib.contextmanager
def _profiling(hook):
    """``sys.setprofile(hook)`` for the block; the profiler there before is put back after it."""
    old = sys.getprofile()
    sys.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(old)


def _called_by_another_part(frame, answer) -> bool:
    caller = frame.f_back
    while caller is not None and answer.owns(caller.f_code):
        caller = caller.f_back
    return caller is not None and _is_part(_path(caller.f_code.co_filename))


# -- hints: the mistakes students make -------------------------------------------------
class Mistake(NamedTuple):
    """A known mistake: ``predict(reference, X, dA)`` gives {part: the value a layer with
    this mistake returns} (computed with the reference's own maths; SIZE_MISTAKES' take the
    sizes a check_function passes, see _size_mistake), ``hint`` what to say
    when the student's part equals it; ``hidden_hint`` what to say in a hidden test's
    feedback, where no number of the hidden inputs may show (default: ``hint``)."""
    name: str
    predict: Callable
    hint: str
    hidden_hint: str | None = None


def _run(layer, X, dA, after_forward=None, **changes) -> dict:
    """Forward and backward of a copy of ``layer`` with attributes ``changes``:
    {"forward A": ..., "backward dX": ..., "backward d<name>": ...}."""
    v = copy.deepcopy(layer)
    for name, value in changes.items():
        setattr(v, name, value)
    with keep_weights(v):
        A = v.forward(X.copy())
        if after_forward:
            after_forward(v)
        dX = v.backward(dA.copy())
    return {"forward A": A, "backward dX": dX, **{f"backward d{n}": getattr(v, "d" + n) for n in v.param_names}}


def _flipped_kernel(ref, X, dA, axes):
    """A convolution with W flipped along its spatial axes (np.convolve's, a true convolution)."""
    out = _run(ref, X, dA, W=np.flip(ref.W, axes))
    return {"forward A": out["forward A"], "backward dX": out["backward dX"],
            "backward dW": np.flip(out["backward dW"], axes)}


def _transposed_kernel(ref, X, dA):
    """A 2-D convolution with W's height and width axes swapped (square filters)."""
    out = _run(ref, X, dA, W=np.swapaxes(ref.W, -1, -2))
    return {"forward A": out["forward A"], "backward dX": out["backward dX"],
            "backward dW": np.swapaxes(out["backward dW"], -1, -2)}


def _uncropped_padding(ref, X, dA):
    """dX of the padded input: what a backward that does not cut the padding off returns."""
    pads = ref.pad if isinstance(ref.pad, tuple) else (ref.pad,)
    widths = [(0, 0)] * (X.ndim - len(pads)) + [(p, p) for p in pads]
    no_pad = (0,) * len(pads) if isinstance(ref.pad, tuple) else 0
    return {"backward dX": _run(ref, np.pad(X, widths), dA, pad=no_pad)["backward dX"]} if any(pads) else {}


def _pool_backward_transposed(ref, X, dA):
    """Sprint 2's max-pool backward, transposed: each gradient spread over its window, the
    (H, W) plane transposed, kept where the maxima are; and the right dX with the positions
    inside each window transposed. Square inputs and windows side by side only."""
    (H, W), (OH, OW) = X.shape[-2:], dA.shape[-2:]
    if H != W or tuple(ref.stride) != tuple(ref.pool_size) or ref.pool_size != (H // OH, W // OW) or H % OH:
        return {}
    maxima = _run(ref, X, np.ones_like(dA))["backward dX"] != 0
    spread = np.repeat(np.repeat(dA, H // OH, axis=-2), W // OW, axis=-1)
    dX = _run(ref, X, dA)["backward dX"]
    windows = dX.reshape(dX.shape[:-2] + (OH, H // OH, OW, W // OW))
    in_windows = np.swapaxes(windows, -3, -1).reshape(dX.shape) if H // OH == W // OW else None
    return {"backward dX": [np.swapaxes(spread, -1, -2) * maxima, in_windows]}


def _scrambled_reshape(ref, X, dA):
    """Seed 003's Convolution: the im2col product, whose rows run over (n, oh, ow) and whose
    columns over the output channels, reshaped straight to (N, C, OH, OW)."""
    A = _run(ref, X, dA)["forward A"]
    product = np.moveaxis(A, -3, -1).reshape(-1, A.shape[-3])  # (N * OH * OW, C)
    return {"forward A": product.reshape(A.shape)}


def _rnn_final_state(ref, X, dA):
    """dW_h computed with the final state h_T at every step: sum_t h_T^T da_t."""
    A = _run(ref, X, dA)["forward A"]
    h_T = A[:, -1] if A.ndim == 3 else A
    per_sample = [_run(ref, X[n:n + 1], dA[n:n + 1])["backward dB"] for n in range(len(X))]  # sum_t da_t
    return {"backward dW_h": sum(np.outer(h, s) for h, s in zip(h_T, per_sample))}


def _rnn_without_w_h(ref, X, dA):
    """Forward with a_t = x_t W_x + B, the h_{t-1} W_h term left out."""
    return {"forward A": _run(ref, X, dA, W_h=np.zeros_like(ref.W_h))["forward A"]}


def _rnn_no_carry(ref, X, dA):
    """Backward that does not pass the gradient from step t back to h_{t-1} through W_h."""
    def forget_w_h(v):  # after forward: backward then carries nothing through W_h
        v.W_h = np.zeros_like(v.W_h)
    out = _run(ref, X, dA, after_forward=forget_w_h)
    return {k: v for k, v in out.items() if k != "forward A"}


def _one_plus_exp(ref, X, dA):
    """``1/1+np.exp(-A)``: that is 1 + exp(-A); backward then uses it as Z."""
    Z = 1 / 1 + np.exp(-X.astype(np.float64))
    return {"forward A": Z, "backward dX": Z * (1 - Z) * dA}


_FLIPPED = "the convolution with W flipped along its spatial axes (np.convolve, scipy.signal.convolve and " \
    "the textbook convolution flip the filter): this layer slides W as it is, A[i] = sum_s X[i + s] W[s]"
_UNCROPPED = "your dX has the shape of the padded input (H + 2P, W + 2P): cut the padding off " \
    "(dX[..., P:-P, P:-P]); the zeros added around X are not inputs of the layer"

#: known mistakes of each layer the sprints teach (a gradient averaged over the batch is
#: known for every layer: see _averaged)
MISTAKES = {
    Conv2d: [Mistake("flipped kernel", functools.partial(_flipped_kernel, axes=(-2, -1)), _FLIPPED),
             Mistake("transposed kernel", _transposed_kernel,
                     "the convolution with W's height and width axes swapped: W[o, c, i, j] multiplies "
                     "X[n, c, y + i, x + j] (i along the height, j along the width)"),
             Mistake("padding not cropped", _uncropped_padding, _UNCROPPED),
             Mistake("im2col product reshaped to NCHW", _scrambled_reshape,
                     "your A is in the order of the im2col product reshaped straight to (N, C, OH, OW): "
                     "the product's rows run over (n, oh, ow) and its columns over the channels, so "
                     "reshape it to (N, OH, OW, C), then .transpose(0, 3, 1, 2)")],
    Conv1d: [Mistake("flipped kernel", functools.partial(_flipped_kernel, axes=(-1,)), _FLIPPED),
             Mistake("padding not cropped", _uncropped_padding, _UNCROPPED.replace("(H + 2P, W + 2P)", "(L + 2P)")
                     .replace("dX[..., P:-P, P:-P]", "dX[..., P:-P]"))],
    SimpleConv1d: [Mistake("flipped kernel", functools.partial(_flipped_kernel, axes=(-1,)), _FLIPPED)],
    MaxPool2D: [Mistake("transposed backward", _pool_backward_transposed,
                        "your dX holds the right values at transposed positions (what belongs to row i "
                        "went to column i): when you put the gradient back into the input's shape, keep "
                        "the height and width axes in order (a .T or an unravel_index shape too many?)")],
    SimpleRNN: [Mistake("final state in BPTT", _rnn_final_state,
                        "your dW_h uses the final state h_T at every step: step t needs the state before "
                        "it, dW_h = sum over t of h_{t-1}^T da_t (keep every state from forward)"),
                Mistake("no W_h in forward", _rnn_without_w_h,
                        "your states ignore the previous state: a_t = x_t W_x + h_{t-1} W_h + B, "
                        "with h_0 = 0 and then the state of the step before"),
                Mistake("no gradient through W_h", _rnn_no_carry,
                        "your backward does not carry the gradient back in time: dL/dh_{t-1} is the "
                        "gradient from the output at t-1 plus da_t W_h^T from the step after it")],
    Sigmoid: [Mistake("1/1+np.exp(-A)", _one_plus_exp,
                      "your output is 1 + exp(-A): 1/1+np.exp(-A) divides 1 by 1 first; write "
                      "1 / (1 + np.exp(-A))")],
}


def _averaged(expected: dict, dA) -> list:
    """A gradient divided by a count of dA's entries (the batch, positions, time steps):
    the mean where the gradient is the sum. One Mistake for each divisor."""
    sizes = [n for n in np.shape(dA) if n > 1]
    divisors = sorted({int(np.prod(c)) for r in range(1, len(sizes) + 1) for c in itertools.combinations(sizes, r)})
    grads = {part: value for part, value in expected.items() if part.startswith("backward d") and part != "backward dX"}
    why = ("a mean over the batch (or the positions, or the time steps) where the gradient is their sum; "
           "the mean over the batch is taken once, in the loss")
    return [Mistake(f"{part} averaged over {k}", lambda ref, X, dA, part=part, k=k: {part: grads[part] / k},
                    f"your {part.split()[1]} is the expected one divided by {k}: {why}",
                    f"your {part.split()[1]} is the expected one divided by a count of the inputs: {why}")
            for part in grads for k in divisors]


class _Explainer:
    """``explain(part, got, tolerance)`` -> the hint of the first known mistake whose
    prediction for ``part`` the student's value equals ("" if none). ``mistakes`` are
    Mistakes whose ``predict(*inputs)`` gives {part: value}. Predictions are computed
    when first asked for, once each; a mistake that cannot be computed for these inputs is
    skipped. ``candidates(part)`` lists (mistake, predicted array) in that order: what a
    graded run records, so that the grader can give the same hints outside the kernel."""

    def __init__(self, mistakes, *inputs):
        self.mistakes, self.inputs = list(mistakes), inputs
        self.predictions = {}

    def candidates(self, part):
        for m in self.mistakes:
            if m.name not in self.predictions:
                self.predictions[m.name] = _predict(m, *self.inputs)
            found = self.predictions[m.name].get(part)
            for c in found if isinstance(found, list) else [found]:
                if c is not None:
                    yield m, np.asarray(c, np.float64)

    def __call__(self, part, got, tol):
        arr, _ = _numbers(got)
        if arr is None or arr.dtype.kind not in "biuf":
            return ""
        return next((m.hint for m, c in self.candidates(part) if _matches(arr.astype(np.float64), c, tol)), "")


def _layer_explainer(reference, X, dA, expected: dict) -> _Explainer:
    """The known mistakes of the reference's class and its bases, then the averaged gradients."""
    mistakes = [m for cls in type(reference).__mro__ for m in MISTAKES.get(cls, [])]
    return _Explainer(mistakes + _averaged(expected, dA), reference, X, dA)


def _hint_records(explain, part) -> list:
    """The known mistakes' predictions for ``part``, as a record carries them."""
    return [{"hint": m.hint, "hidden_hint": m.hidden_hint or m.hint, "npy": _npy(c)}
            for m, c in explain.candidates(part)]


def _predict(mistake, *inputs) -> dict:
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return mistake.predict(*inputs)
    except Exception:  # not defined for these inputs (a pad of 0, an odd shape): no hint
        return {}


# -- hints: the wrong formulas of an output size ----------------------------------------
#: the parameters of an output size (sprintlib's output_size and output_size_2d, the notebooks'
#: reference_output_size...): their names in the reference function's signature, by role
_SIZE_PARAMETERS = {"n": ("n_in", "in_size"), "f": ("filter_size",), "s": ("stride",), "p": ("pad",)}


def _size_mistake(name, formula, hint):
    """A Mistake whose ``predict(sizes, parts)`` evaluates ``formula(n, f, s, p)`` on the
    check's arguments (ints, or pairs for both axes) and gives each part its value."""
    def predict(sizes, parts):
        value = np.asarray(formula(**sizes))
        if len(parts) == 1:
            return {parts[0]: value}
        return dict(zip(parts, np.broadcast_to(value, (len(parts),))))  # a tuple: (OH, OW)
    return Mistake(name, predict, hint)


#: what a wrong output-size formula gives, on the same arguments as the check's (the hints
#: name the formula, never the arguments: a hidden test's feedback shows them too)
SIZE_MISTAKES = [
    _size_mistake("padding on one side", lambda n, f, s, p: (n + p - f) // s + 1,
                  f"your size is what (N_in + P - F) // S + 1 gives: {_SIZE_RULE}, is the padding "
                  f"counted on both sides?"),
    _size_mistake("no padding", lambda n, f, s, p: (n - f) // s + 1,
                  f"your size is what (N_in - F) // S + 1 gives: the padding is left out; {_SIZE_RULE} "
                  f"(P zeros at each end)"),
    _size_mistake("stride not divided", lambda n, f, s, p: n + 2 * p - f + 1,
                  f"your size is what N_in + 2P - F + 1 gives: {_SIZE_RULE}, the windows move S at a time"),
    _size_mistake("F // S without parentheses", lambda n, f, s, p: n + 2 * p - f // s + 1,
                  f"your size is what N_in + 2P - F // S + 1 gives (// divides F alone): {_SIZE_RULE}, "
                  f"with the parentheses"),
]


def _function_explainer(reference_fn, name, args, kwargs, expected) -> _Explainer | None:
    """The known wrong formulas, when the reference computes an output size: its signature
    names an input size, a filter size, a stride and a padding; None otherwise."""
    sizes = _size_arguments(reference_fn, args, kwargs)
    if sizes is None:
        return None
    parts = [f"{name}[{i}]" for i in range(len(expected))] if isinstance(expected, tuple) else [name]
    return _Explainer(SIZE_MISTAKES, sizes, parts)


def _size_arguments(reference_fn, args, kwargs) -> dict | None:
    """{"n", "f", "s", "p": int arrays} of the check's arguments, or None."""
    try:
        bound = inspect.signature(reference_fn).bind(*args, **kwargs)
    except (TypeError, ValueError):  # no signature, or arguments it does not take
        return None
    bound.apply_defaults()
    found = {role: next((bound.arguments[n] for n in names if n in bound.arguments), None)
             for role, names in _SIZE_PARAMETERS.items()}
    try:
        sizes = {role: np.asarray(v) for role, v in found.items()}
    except Exception:  # a ragged argument
        return None
    if not all(a.dtype.kind in "iu" and a.ndim <= 1 for a in sizes.values()):
        return None  # not an output size (or None where a role is missing)
    return sizes


# -- hidden tests ------------------------------------------------------------------------
#: the variable the course's nbgrader_config.py sets, so that a course draws its own cases
SEED_VARIABLE = "SPRINTLIB_GRADING_SEED"
DEFAULT_SEED = "sprintlib"


def hidden_rng(name: str) -> np.random.Generator:
    """A random generator for the hidden test ``name``: the same draws every time for one
    course (``SPRINTLIB_GRADING_SEED``, default fixed), other draws for another test name
    or another course seed. The seed and the name are mixed by SHA-256, so that no draw
    depends on Python's hash randomisation."""
    return _rng_of(f"{os.environ.get(SEED_VARIABLE, DEFAULT_SEED)}\0{name}")


def _rng_of(text: str) -> np.random.Generator:
    """A generator seeded by SHA-256 of ``text``: the same draws in every process."""
    return np.random.default_rng(int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "little"))


#: set by autograder/grade.py: the secret that draws the hidden images, in the trusted run only
#: (a student's kernel never has it, so it cannot tell which shipped images, and so which
#: labels, they are), and the folder where the trusted run leaves the images it drew, which a
#: student's kernel reads them from
HIDDEN_KEY_VARIABLE = "SPRINTLIB_HIDDEN_IMAGES_KEY"
HIDDEN_DIR_VARIABLE = "SPRINTLIB_HIDDEN_IMAGES"


def hidden_images(name: str, X, y, n: int = 500, noise: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """(X_hidden, y_hidden): ``n`` images of ``X`` drawn at random, each pixel moved by uniform
    noise in [-noise, noise] and clipped to [0, 1], and their labels.

    What a hidden accuracy test predicts on. The shipped test images are readable in a
    student's kernel, labels included, so a ``predict`` that looks labels up (by index, by an
    image's bytes, or by its pixels rounded to 1/255) passes on them without a model; on
    these images it finds nothing, while a trained network's accuracy does not move (a
    shift of 5/255 at most). X: (N, ...) pixels in [0, 1]; y: (N,) labels.

    Which images: drawn by ``hidden_rng(name)`` when a person runs the notebook; while
    autograder/grade.py grades, by a secret only the trusted run has, which leaves the images
    in a file. A student's kernel reads them from there and gets no labels (-1): the grader
    holds the labels, and the kernel cannot find them again (nor echo them as its answer).
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y) or not 0 < n <= len(X):
        raise ValueError(f"hidden_images expects X and y with the same number of rows, at least n = {n}, "
                         f"got {len(X)} and {len(y)}")
    mode = _recording()
    if mode == "got":
        return _graded_images(name, X, n), np.full(n, -1)
    rng = _keyed_rng(name) if mode == "expected" else hidden_rng(name)
    idx = rng.choice(len(X), size=n, replace=False)
    chosen = X[idx]
    moved = chosen + rng.uniform(-noise, noise, size=chosen.shape)
    X_hidden = np.clip(moved, 0, 1).astype(X.dtype if X.dtype.kind == "f" else np.float64)
    if mode == "expected":
        np.save(_images_file(name), X_hidden, allow_pickle=False)
    return X_hidden, y[idx]


def _keyed_rng(name: str) -> np.random.Generator:
    key = os.environ.get(HIDDEN_KEY_VARIABLE)
    if not key:
        raise RuntimeError(f"hidden_images: the trusted run needs {HIDDEN_KEY_VARIABLE} (set by autograder/grade.py)")
    return _rng_of(f"{key}\0images\0{name}")


def _images_file(name: str) -> Path:
    folder = os.environ.get(HIDDEN_DIR_VARIABLE)
    if not folder:
        raise RuntimeError(f"hidden_images: a graded run needs {HIDDEN_DIR_VARIABLE} (set by autograder/grade.py)")
    return Path(folder) / (hashlib.sha256(name.encode()).hexdigest()[:24] + ".npy")


def _graded_images(name: str, X: np.ndarray, n: int) -> np.ndarray:
    """The images the trusted run drew for ``name``, checked against what the test asks for."""
    try:
        images = np.load(_images_file(name), allow_pickle=False)
    except OSError:
        raise RuntimeError(f"hidden_images: the grader's images for {name!r} are missing") from None
    if images.shape != (n, *X.shape[1:]) or images.dtype.kind != "f":
        raise RuntimeError(f"hidden_images: the grader's images for {name!r} are of shape "
                           f"{format_shape(images.shape)}, the test asks for {format_shape((n, *X.shape[1:]))}")
    return images


def random_case(layer: str, rng: np.random.Generator) -> dict:
    """A random valid configuration of a sprint's layer: sprintlib's constructor arguments
    and ``input_shape``, small enough for a test cell. ``layer``: "fc", "simple_conv1d",
    "conv1d", "conv2d", "pool2d" (MaxPool2D and AveragePool2D) or "rnn".

        case = random_case("conv2d", hidden_rng("conv2d"))
        X = rng.standard_normal(case.pop("input_shape"))
        check_layer(MyConv2d(**case), Conv2d(**case), X)

    Sizes are drawn as output sizes first, then the input size that they need, so that the
    windows tile the padded input exactly (sprintlib's layers refuse a remainder).
    """
    r = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731 - inclusive, as the sprints write sizes
    n = r(1, 3)
    if layer == "fc":
        n1 = r(1, 6)
        return dict(n_nodes1=n1, n_nodes2=r(1, 6), input_shape=(n, n1))
    if layer == "simple_conv1d":
        f = r(1, 4)
        return dict(filter_size=f, input_shape=(f - 1 + r(1, 6),))
    if layer == "rnn":
        features, nodes = r(1, 4), r(1, 5)
        return dict(n_features=features, n_nodes=nodes, input_shape=(n, r(1, 5), features))
    if layer in ("conv1d", "conv2d"):
        axes = 1 if layer == "conv1d" else 2
        f, s = [r(1, 4) for _ in range(axes)], [r(1, 3) for _ in range(axes)]
        p = [r(0, ff - 1) for ff in f]  # pad < filter: each window sees some input
        size = [max((r(1, 4) - 1) * ss + ff - 2 * pp, 1) for ff, ss, pp in zip(f, s, p)]
        size = [_tiling(x, ff, ss, pp) for x, ff, ss, pp in zip(size, f, s, p)]
        one = (lambda v: v[0]) if axes == 1 else tuple
        c_in = r(1, 3)
        return dict(in_channels=c_in, out_channels=r(1, 3), filter_size=one(f), stride=one(s), pad=one(p),
                    input_shape=(n, c_in, *size))
    if layer == "pool2d":
        pool = (r(1, 3), r(1, 3))
        stride = pool if rng.random() < 0.5 else (r(1, 3), r(1, 3))
        size = [(r(1, 4) - 1) * ss + pp for pp, ss in zip(pool, stride)]
        return dict(pool_size=pool, stride=stride, input_shape=(n, r(1, 3), *size))
    raise ValueError(f"random_case expects one of fc, simple_conv1d, conv1d, conv2d, pool2d, rnn; got {layer!r}")


def _tiling(size, f, s, p) -> int:
    """The smallest input size >= size whose padded windows tile exactly."""
    while (size + 2 * p - f) % s or size + 2 * p < f:
        size += 1
    return size


# -- a student's layer on its own ------------------------------------------------------
def check_gradients(layer, X, dA=None, rtol: float | None = None, seed: int = 0) -> None:
    """Compare a layer's backward with numerical gradients of its own forward.

    Needs no reference: it says whether backward is the derivative of forward, whatever
    forward computes. ``X`` is an array or a shape (random normal, ``seed``). Keep it
    small: each entry of X and of every parameter costs two forward passes.

    The parameters checked are ``layer.param_names`` if it has them, the documents' names
    (``W``, ``B``, ``W_x``, ``W_h``...) and every other float array attribute ``p`` that
    forward leaves in place and whose gradient ``d<p>`` backward sets (``self.w``, ``self.dw``).
    """
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    X = random_input(X, seed)
    before = {n: v for n, v in _attributes(layer).items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"}
    declared = _declared_params(layer)
    with keep_weights(layer, declared + tuple(before)):
        _as_float64(layer, declared)
        if _recording():
            _grading_weights(layer, X, declared)
        with _notes("your forward"), _unchanged("forward", "X", X) as (x, x_changed):
            A = _snapshot(layer.forward(x))
        A, problem = _read_numbers("forward A", A)
        if problem or not np.isfinite(A).all():
            raise AssertionError(problem or _not_finite("forward A", A))
        # a parameter stays the same array; forward replaces what it keeps for backward (self.X)
        kept = [n for n, v in before.items() if _read(layer, n) is v]
        dA = np.random.default_rng(seed + 1).standard_normal(A.shape) if dA is None else np.asarray(dA, float)
        with _notes("your backward"):
            dX = _snapshot(layer.backward(dA.copy()))
        names = declared + tuple(n for n in kept if n not in declared and any(
            not isinstance(_read(layer, g), _Absent) for g in _gradient_names(n)))
        grads = {"X": dX, **{n: _gradient(layer, n) for n in names}}
    # with the weights of the forward pass again (restored above, should backward have moved them)
    with keep_weights(layer, names), _notes("your layer"):
        _as_float64(layer, names)
        numerical = layer_numerical_gradients(layer, X, dA, names)
    footnote = ("; your forward changed its input X in place, and backward may have used the changed X: "
                "fix forward first" if x_changed else "")
    _report([(f"backward d{n}", grads[n], numerical[n]) for n in grads], rtol, NUMERICAL, footnote)


def _attributes(layer) -> dict:
    try:
        return dict(vars(layer))
    except TypeError:  # no __dict__ (__slots__)
        return {}


def _declared_params(layer) -> tuple:
    """``layer.param_names``, or the documents' parameter names the layer has."""
    names = _read(layer, "param_names")
    if isinstance(names, (tuple, list)) and all(isinstance(n, str) for n in names):
        return tuple(names)
    return tuple(n for n in ("W", "W_x", "W_h", "B") if isinstance(_read(layer, n), np.ndarray))


def _as_float64(layer, names) -> None:
    """Float64 copies of the parameters: an integer W (``np.array([3, 5, 7])``) cannot take
    the small steps of the numerical gradient."""
    for n in names:
        arr, problem = _read_numbers(f"your layer's {n}", _read(layer, n))
        if problem:
            raise AssertionError(problem)
        setattr(layer, n, arr.astype(np.float64))


# -- graded runs: the verdict is decided outside the kernel --------------------------------
#: set by autograder/grade.py in the kernels it runs: "expected" in the trusted run of the
#: instructor's notebook, "got" in a student's (sandboxed, untrusted) kernel
RECORD_VARIABLE = "SPRINTLIB_GRADING_RECORD"
#: the MIME type of one record in a test cell's outputs
RECORD_MIME = "application/vnd.sprintlib.record+json"


def _recording() -> str | None:
    """None as usual; while autograder/grade.py grades, every check emits what it compares
    (a record: the part's name and an array) instead of trusting its own verdict:

    - "expected": the trusted run of the source notebook (the model answers) emits the
      reference's values, after the usual checks;
    - "got": a student's kernel emits the values the student's code gave, and runs none of
      the reference's maths (in a graded kernel they are removed from sprintlib).

    The grader compares the two lists outside the kernel: whatever the student's code
    changes in the kernel (numpy, these functions, IPython) can only spoil its own records.
    """
    mode = os.environ.get(RECORD_VARIABLE)
    return mode if mode in ("expected", "got") else None


def _npy(arr: np.ndarray) -> str:
    """An array as a record carries it: base64 of np.save's bytes (no pickles)."""
    import base64

    buf = io.BytesIO()
    np.save(buf, np.array(arr, order="C"), allow_pickle=False)  # (ascontiguousarray makes a 0-d array 1-d)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _emit(name: str, value, **extra) -> None:
    """One record: {"name", "npy": base64 of np.save of the numbers} or {"name", "what"}."""
    from IPython.display import publish_display_data

    record = {"name": str(name), **extra}
    arr, what = _numbers(value) if not isinstance(value, _Absent) and value is not None else (None, None)
    if arr is not None and arr.dtype.kind in "biuf":
        record["npy"] = _npy(arr)
    else:
        record["what"] = "None" if value is None else ("absent" if isinstance(value, _Absent) else str(what))
    publish_display_data({RECORD_MIME: record})


#: sprintlib code every layer runs (the contract of Layer, the checks): never the answer
_CONTRACT_CODE: set | None = None


@contextlib.contextmanager
def _answer_code():
    """In the trusted run, note the sprintlib functions the reference runs (not the
    contract every layer shares) and emit them as the record "__answer_code__": the
    grader removes them from the sprintlib of the students' kernels."""
    if _recording() != "expected":
        yield
        return
    global _CONTRACT_CODE
    if _CONTRACT_CODE is None:
        from .layers.fc import FC
        from .initializers import SimpleInitializer
        _CONTRACT_CODE = set()
        fc = FC(2, 2, SimpleInitializer(random_state=0))
        with _profiled(_CONTRACT_CODE):
            fc.backward(np.ones((1, 2)) + 0 * fc.forward(np.ones((1, 2))))
    ran = set()
    try:
        with _profiled(ran):
            yield
    finally:
        harness = _SHARED | {_HERE / "grading.py", _HERE / "testing.py"}
        code = sorted({c for c in ran - _CONTRACT_CODE if _path(c[0]) not in harness})
        if code:
            _emit("__answer_code__", None, code=[[_path(f).relative_to(_HERE).as_posix(), q, line]
                                               for f, q, line in code])


@contextlib.contextmanager
def _profiled(found: set):
    def hook(frame, event, arg):
        if event == "call":
            c = frame.f_code
            if _path(c.co_filename).is_relative_to(_HERE):
                found.add((c.co_filename, c.co_qualname, c.co_firstlineno))
    with _profiling(hook):
        yield


def _grading_weights(layer, X, names) -> None:
    """Weights drawn from the inputs (by hidden_rng), in place of the layer's own: the trusted
    run and the student's kernel then check the same numbers, and no bias is left at zero."""
    X = np.asarray(X)
    key = hashlib.sha256(f"{X.shape}{X.dtype}".encode() + np.ascontiguousarray(X).tobytes()).hexdigest()
    for n in names:
        current = np.asarray(getattr(layer, n))
        draw = 0.5 * hidden_rng(f"weights:{key}:{n}").standard_normal(current.shape)
        setattr(layer, n, draw.astype(current.dtype if current.dtype.kind == "f" else np.float64))


# -- the notebook's situation ------------------------------------------------------------
def autograding() -> str | None:
    """"autograde" or "validate" while nbgrader runs the notebook (``NBGRADER_EXECUTION``),
    None when a person does. A cell that trains can then do a token amount of work when
    graded: nbgrader stops a cell after 30 s."""
    return os.environ.get("NBGRADER_EXECUTION") or None


# -- the model answer -------------------------------------------------------------------
def show_source(obj) -> None:
    """Show the source of a sprintlib class or function: the model answer of a problem.

    In a notebook, with syntax colouring; elsewhere, as plain text.
    """
    source = inspect.getsource(obj)
    try:
        from IPython import get_ipython
        from IPython.display import Code, display
    except ImportError:  # pragma: no cover - IPython comes with the notebook
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(Code(source, language="python"))
    else:
        print(source)

