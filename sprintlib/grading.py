"""What the notebooks' test cells call: a student's arrays, functions and layers compared
with sprintlib's on the same inputs, one verdict a line, type then shape then values.

    from sprintlib import Conv2d
    from sprintlib.grading import check_layer
    check_layer(MyConv2d(1, 2, 3), Conv2d(1, 2, 3), X)   # X (N, 1, H, W)

prints::

    forward A: OK (relative error 6.8e-17)
    backward dX: OK (relative error 6.9e-17)
    backward dW: wrong values (relative error 3.3e-01, tolerance 1e-06): every value is 0.5
    times the expected one (a factor missing or extra?)
      largest difference at index (1, 0, 1, 2): expected 6.53679, got 3.2684
    backward dB: OK (relative error 0.0e+00)

and raises AssertionError naming the parts that are wrong, so that an nbgrader test cell
fails exactly when a check does. The checks return None: a number shown as the result of a
test cell's last line would be read by nbgrader as partial credit. Every part is checked even after one fails: a student
learns which part to fix.

Grading runs without TensorFlow, and writes nothing to stderr (nbgrader marks a test cell
that does as failed): warnings raised by the student's code (``overflow encountered in
exp``) are caught and printed as notes on stdout. Errors raised by the student's code are
not caught: their traceback points into the student's code, which is what they need.
"""
from __future__ import annotations

import contextlib
import inspect
import os
import warnings

import numpy as np

from ._checks import format_shape
from .testing import keep_weights, layer_numerical_gradients, random_input, rel_error

#: default relative tolerance: float64 layers computed in another order agree to ~1e-12
RTOL = 1e-6


# -- arrays ---------------------------------------------------------------------------
def check_array(name: str, got, expected, rtol: float = RTOL) -> None:
    """Compare one array with the expected one: its type, its shape, then its values.

    Prints ``name: OK (relative error ...)``; raises AssertionError with a message that
    says what is wrong and, when it can tell, why.
    """
    problem, err = _array_problem(name, got, expected, rtol)
    if problem:
        raise AssertionError(problem)
    print(_ok(name, err))


def _ok(name, err) -> str:
    return f"{name}: OK" + ("" if err is None else f" (relative error {err:.1e})")


def _array_problem(name, got, expected, rtol):
    """(message or None, relative error or None): the first thing wrong with ``got``."""
    expected = np.asarray(expected)
    if got is None:
        return f"{name}: got None (does the function or method end with a return?)", None
    if not isinstance(got, (np.ndarray, np.generic, int, float)):
        return f"{name}: expected a numpy array, got {type(got).__name__}", None
    got = np.asarray(got)
    if got.dtype.kind not in "biuf":
        return f"{name}: expected numbers, got an array of dtype {got.dtype}", None
    if got.shape != expected.shape:
        return f"{name}: expected shape {format_shape(expected.shape)}, got {format_shape(got.shape)}" \
            + _shape_hint(got.shape, expected.shape), None
    if expected.dtype.kind in "iu":  # sizes and counts: exact integers
        return _integer_problem(name, got, expected), None
    if got.dtype.kind == "f" and not np.isfinite(got).all():
        n_nan, n_inf = int(np.isnan(got).sum()), int(np.isinf(got).sum())
        return f"{name}: expected finite values, got {n_nan} NaN and {n_inf} inf", None
    err = rel_error(got, expected)
    if err < rtol:
        return None, err
    return (f"{name}: wrong values (relative error {err:.1e}, tolerance {rtol:g})"
            + _value_hint(got, expected, rtol) + _where(got, expected)), err


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


def _value_hint(got, expected, rtol) -> str:
    """A likely cause, when the answer is the expected one up to a sign, a factor or a transpose."""
    g, e = got.astype(np.float64), expected.astype(np.float64)
    if got.dtype.kind in "biu" and expected.dtype.kind == "f":
        return f": your result has dtype {got.dtype}; computed in integers, fractions are lost"
    ee = float(np.sum(e * e))
    if ee > 0:
        factor = float(np.sum(g * e)) / ee  # the c that brings c * expected closest to got
        if factor != 0 and rel_error(g, factor * e) < rtol:
            if np.isclose(factor, -1):
                return ": every value has the wrong sign"
            return f": every value is {factor:.4g} times the expected one (a factor missing or extra?)"
    if e.ndim >= 2 and e.shape[-1] == e.shape[-2] and rel_error(g, np.swapaxes(e, -1, -2)) < rtol:
        return ": the values of the expected array with its last two axes swapped (a transpose too many?)"
    return ""


def _where(got, expected) -> str:
    """The entries side by side when the arrays are small; the worst entry otherwise."""
    if expected.size <= 12:
        return f"\n  expected {np.array2string(expected, precision=6)}\n  got      {np.array2string(got, precision=6)}"
    worst = np.unravel_index(np.argmax(np.abs(got - expected)), expected.shape)
    index = tuple(int(i) for i in worst)
    return f"\n  largest difference at index {index}: expected {expected[worst]:.6g}, got {got[worst]:.6g}"


# -- functions ----------------------------------------------------------------------
def check_function(student_fn, reference_fn, *args, rtol: float = RTOL, name: str | None = None,
                   **kwargs) -> None:
    """Call both with the same arguments (copies: a function that writes into its input
    does not change what the other sees) and compare the results.

    A tuple result is compared entry by entry.
    """
    name = name or getattr(reference_fn, "__name__", "result")
    with _notes(f"your {name}"):
        got = student_fn(*_copies(args), **_copies(kwargs))
    expected = reference_fn(*_copies(args), **_copies(kwargs))
    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            raise AssertionError(f"{name}: expected a tuple of {len(expected)} results, got {_describe(got)}")
        _report([(f"{name}[{i}]", g, e) for i, (g, e) in enumerate(zip(got, expected))], rtol)
    else:
        _report([(name, got, expected)], rtol)


def _copies(values):
    if isinstance(values, dict):
        return {k: _copies(v) for k, v in values.items()}
    return tuple(v.copy() if isinstance(v, np.ndarray) else v for v in values)


def _describe(value) -> str:
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    return type(value).__name__


# -- layers -------------------------------------------------------------------------
def check_layer(student, reference, X, dA=None, rtol: float = RTOL, seed: int = 0,
                backward: bool = True) -> None:
    """Check a student's layer against sprintlib's on the same input and weights.

    The student's layer gets a copy of every parameter of ``reference`` (``W``, ``B``...,
    ``reference.param_names``; same names, same shapes), then both run ``forward(X)`` and
    ``backward(dA)`` (``dA`` random normal by default, with ``seed``). Compared: the output,
    ``dX``, and ``d<name>`` of every parameter. No optimizer update happens during the check.
    """
    X = np.asarray(X)
    _give_weights(student, reference)
    parts = []
    with keep_weights(student, reference.param_names), keep_weights(reference):
        with _notes("your forward"), _unchanged("forward", "X", X) as x:
            A_got = student.forward(x)
        A = reference.forward(X.copy())
        parts.append(("forward A", A_got, A))
        if backward:
            dA = np.random.default_rng(seed).standard_normal(A.shape) if dA is None else np.asarray(dA)
            with _notes("your backward"), _unchanged("backward", "dA", dA) as d:
                dX_got = student.backward(d)
            dX = reference.backward(dA.copy())
            parts.append(("backward dX", dX_got, dX))
            parts += [(f"backward d{n}", _gradient(student, n), getattr(reference, "d" + n))
                      for n in reference.param_names]
    _report(parts, rtol)


def _give_weights(student, reference) -> None:
    for n in reference.param_names:
        expected = getattr(reference, n)
        if not hasattr(student, n):
            raise AssertionError(f"your layer has no attribute {n}: __init__ should set self.{n}, "
                                 f"an array of shape {format_shape(expected.shape)}")
        got = np.shape(getattr(student, n))
        if got != expected.shape:
            raise AssertionError(f"your layer's {n}: expected shape {format_shape(expected.shape)}, "
                                 f"got {format_shape(got)}" + _shape_hint(got, expected.shape))
        setattr(student, n, expected.copy())


def _gradient(student, name):
    """The student's d<name> (the documents' dW, dB; the book writes db)."""
    for attr in ("d" + name, "d" + name.lower()):
        if hasattr(student, attr):
            return getattr(student, attr)
    return _Missing(f"your layer has no attribute d{name} after backward: backward should set self.d{name}")


class _Missing:
    def __init__(self, message):
        self.message = message


def _report(parts, rtol) -> None:
    """Check every (name, got, expected), print each verdict, then fail if any was wrong."""
    wrong = []
    for name, got, expected in parts:
        if isinstance(got, _Missing):
            problem = f"{name}: {got.message}"
        else:
            problem, err = _array_problem(name, got, expected, rtol)
        print(problem if problem else _ok(name, err))
        if problem:
            wrong.append(name)
    if wrong:
        raise AssertionError(f"wrong: {', '.join(wrong)} (see above)")


@contextlib.contextmanager
def _notes(who):
    """Warnings from the student's code, printed on stdout rather than stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        print(f"note: {who} warned: {w.category.__name__}: {w.message}")


@contextlib.contextmanager
def _unchanged(method, name, array):
    """Hand the student a copy, and say so if their code wrote into it."""
    given = array.copy()
    yield given
    if given.shape != array.shape or not np.array_equal(given, array):
        print(f"note: your {method} changed its input {name} in place; the layer before or after "
              f"it may still need it (make a copy, or compute into a new array)")


# -- a student's layer on its own ------------------------------------------------------
def check_gradients(layer, X, dA=None, rtol: float = 1e-6, seed: int = 0) -> None:
    """Compare a layer's backward with numerical gradients of its own forward.

    Needs no reference: it says whether backward is the derivative of forward, whatever
    forward computes. ``X`` is an array or a shape (random normal, ``seed``). Keep it
    small: each entry of X and of every parameter costs two forward passes.
    """
    X = random_input(X, seed)
    names = _param_names(layer)
    with keep_weights(layer, names), _notes("your layer"):
        A = layer.forward(X)
        dA = np.random.default_rng(seed + 1).standard_normal(np.shape(A)) if dA is None else np.asarray(dA)
        dX = layer.backward(dA.copy())
        grads = {"X": dX, **{n: _gradient(layer, n) for n in names}}
    # with the weights of the forward pass again (restored above, should backward have moved them)
    with keep_weights(layer, names), _notes("your layer"):
        numerical = layer_numerical_gradients(layer, X, dA, names)
    _report([(f"backward d{n}", grads[n], numerical[n]) for n in grads], rtol)


def _param_names(layer):
    """``layer.param_names``, or the documents' parameter names the layer has."""
    names = getattr(layer, "param_names", None)
    if names is None:
        names = [n for n in ("W", "W_x", "W_h", "B") if isinstance(getattr(layer, n, None), np.ndarray)]
    return tuple(names)


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


# placeholder until the grading branch is merged
def hidden_rng(name):
    """A numpy Generator for the hidden tests of test cell ``name``, seeded from the course's
    grading seed (``SPRINTLIB_GRADING_SEED``) and the cell's name."""
    import zlib

    return np.random.default_rng([int(os.environ.get("SPRINTLIB_GRADING_SEED", "20261130")), zlib.crc32(name.encode())])
