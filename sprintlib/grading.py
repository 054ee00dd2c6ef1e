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

Grading runs without TensorFlow, and writes nothing to stderr (nbgrader marks a test cell
that does as failed): warnings, logging and ``print(..., file=sys.stderr)`` of the
student's code are caught and printed as notes on stdout. Errors raised by the student's
code are not caught: their traceback points into the student's code, which is what they
need.
"""
from __future__ import annotations

import contextlib
import inspect
import io
import logging
import os
import sys
import warnings
from typing import NamedTuple

import numpy as np

from ._checks import format_shape
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
    if type(value) in (bool, int, float) or (isinstance(value, np.generic) and type(value).__module__ == "numpy"):
        return np.array(value), None
    return None, _describe(value)


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
    problem, err = _array_problem(name, got, expected, rtol)
    if problem:
        raise AssertionError(problem)
    print(_ok(name, err))


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
            + _shape_hint(arr.shape, expected.shape), None
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
        return f"{name}: expected {np.array2string(expected)}, got {np.array2string(got)}"
    return None


def _shape_hint(got, expected) -> str:
    if sorted(got) == sorted(expected):
        return ": the same sizes in another order (check the order of the axes)"
    if int(np.prod(got)) == int(np.prod(expected)):
        return ": the right number of values in another shape"
    return ""


def _value_hint(got, expected, tol) -> str:
    """A likely cause, when the answer is the expected one up to a sign, a factor or a transpose."""
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
                   **kwargs) -> None:
    """Call both with the same arguments (copies: a function that writes into its input
    does not change what the other sees) and compare the results.

    A tuple result is compared entry by entry.
    """
    name = name or getattr(reference_fn, "__name__", "result")
    with _notes(f"your {name}"):
        got = student_fn(*_copies(args), **_copies(kwargs))
    got = tuple(map(_snapshot, got)) if type(got) is tuple else _snapshot(got)
    expected = reference_fn(*_copies(args), **_copies(kwargs))
    if isinstance(expected, tuple):
        if type(got) is not tuple or len(got) != len(expected):
            raise AssertionError(f"{name}: expected a tuple of {len(expected)} results, got {_describe(got)}")
        _report([(f"{name}[{i}]", g, e) for i, (g, e) in enumerate(zip(got, expected))], rtol)
    else:
        _report([(name, got, expected)], rtol)


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def _copies(values):
    """Copies of the array arguments, in a tuple (``*args``) or a dict (``**kwargs``)."""
    if isinstance(values, dict):
        return {k: _copy(v) for k, v in values.items()}
    return tuple(_copy(v) for v in values)


# -- layers -------------------------------------------------------------------------
def check_layer(student, reference, X, dA=None, rtol: float | None = None, seed: int = 0,
                backward: bool = True) -> None:
    """Check a student's layer against sprintlib's on the same input and weights.

    The student's layer gets a copy of every parameter of ``reference`` (``W``, ``B``...,
    ``reference.param_names``; same names, same shapes), then both run ``forward(X)`` and
    ``backward(dA)`` (``dA`` random normal by default, with ``seed``). Compared: the output,
    ``dX``, and ``d<name>`` of every parameter, with the tolerance of the reference's dtype
    (``rtol`` overrides it). No optimizer update happens during the check.
    """
    X = np.asarray(X)
    _give_weights(student, reference)
    parts = []
    with keep_weights(student, reference.param_names), keep_weights(reference):
        with _notes("your forward"), _unchanged("forward", "X", X) as (x, _):
            A_got = _snapshot(student.forward(x))
        A = reference.forward(X.copy())
        parts.append(("forward A", A_got, A))
        if backward:
            dA = np.random.default_rng(seed).standard_normal(A.shape) if dA is None else np.asarray(dA)
            with _notes("your backward"), _unchanged("backward", "dA", dA) as (d, _):
                dX_got = _snapshot(student.backward(d))
            dX = reference.backward(dA.copy())
            parts.append(("backward dX", dX_got, dX))
            parts += [(f"backward d{n}", _gradient(student, n), getattr(reference, "d" + n))
                      for n in reference.param_names]
    _report(parts, rtol)


def _give_weights(student, reference) -> None:
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


def _report(parts, rtol=None, tol: Tolerance | None = None, footnote: str = "") -> None:
    """Check every (name, got, expected), print each verdict, then fail if any was wrong."""
    wrong = []
    for name, got, expected in parts:
        problem, err = _array_problem(name, got, expected, rtol, tol)
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
    X = random_input(X, seed)
    before = {n: v for n, v in _attributes(layer).items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"}
    declared = _declared_params(layer)
    with keep_weights(layer, declared + tuple(before)):
        _as_float64(layer, declared)
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
