"""The checks the notebooks' test cells call: ``check_array``, ``check_accuracy``,
``check_bounds``, ``check_function``, ``check_layer`` and ``check_gradients`` (and
``show_source``, the model answer). Each runs the student's code (running.py, watched by
own_work.py) and the reference on the same inputs, prints a verdict a part (comparison.py,
with the hints of mistakes.py) and raises AssertionError naming the parts that are wrong;
in a graded run it emits records instead and the grader judges (records.py, mode.py).
"""
from __future__ import annotations

import copy
import hashlib
import inspect
import json
import numbers
from pathlib import Path

import numpy as np

from .._checks import check_bool, check_int, check_real, format_shape, to_array
from .._withheld import ModelAnswerWithheld
from ..testing import keep_weights, layer_numerical_gradients, random_input
from . import mode
from .comparison import (NUMERICAL, Tolerance, _accuracy_problem, _array_problem, _bounds_problem, _not_finite, _ok,
                         _read_numbers, _shape_hint, _tolerance)
from .hidden import _rng_of
from .mistakes import _fitted_records, _function_explainer, _hint_records, _layer_explainer
from .own_work import _Answer, _check_not_a_copy
from .records import _emit
from .running import _notes, _student, _unchanged
from .shipped import _Expected, function_key, layer_key
from .values import _Absent, _attributes, _describe, _plain_list, _read, _shape_of, _snapshot


# -- arrays ------------------------------------------------------------------------------
def check_array(name: str, got, expected, rtol: float | None = None) -> None:
    """Compare one array with the expected one: its type, its shape, then its values.

    ``rtol`` defaults to the tolerance of ``expected``'s dtype (see TOLERANCES). Prints
    ``name: OK (relative error ...)``; raises AssertionError with a message that says
    what is wrong and, when it can tell, why.
    """
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    rtol = _rtol(rtol, "check_array")
    if mode.recording() == "got":
        _emit(name, got)
        return
    expected = _expected_array(expected, "check_array")
    if mode.recording() == "expected":
        _emit(name, expected, tol=list(_tolerance(expected, rtol)))
    problem, err = _array_problem(name, got, expected, rtol)
    if problem:
        raise AssertionError(problem)
    print(_ok(name, err))


def check_accuracy(name: str, y_pred, y_true, at_least: float) -> None:
    """Predicted labels ``y_pred`` (N,) against the true ones ``y_true`` (N,): passes when
    the share of right labels is at least ``at_least`` (a number in [0, 1]).

    In a graded run the accuracy is computed by the grader from the labels the student's
    code returned, not by the kernel (see mode.recording).
    """
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    at_least = _share(at_least)
    recording = mode.recording()
    if recording == "got":
        return _emit(name, y_pred)
    y_true = _true_labels(y_true)
    if recording == "expected":
        _emit(name, y_true, kind="accuracy", at_least=float(at_least))
    problem, verdict = _accuracy_problem(name, y_pred, y_true, at_least)
    if problem:
        raise AssertionError(problem)
    print(verdict)


def check_bounds(name: str, values, below: float | None = None, decreasing: bool = False) -> None:
    """Numbers such as a loss per epoch: passes when every one is finite, each is below
    ``below`` (if given) and, with ``decreasing``, each is below the one before.

    In a graded run the grader checks the numbers the student's code gave, not the kernel.
    """
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    decreasing = check_bool(decreasing, "check_bounds", "decreasing")
    below = None if below is None else check_real(below, "check_bounds", "below")
    values = _plain_list(values)
    recording = mode.recording()
    if recording == "got":
        return _emit(name, values)
    if recording == "expected":
        _emit(name, values, kind="bounds", below=below, decreasing=decreasing)
    problem = _bounds_problem(name, values, below, decreasing)
    if problem:
        raise AssertionError(problem)
    print(f"{name}: OK {np.array2string(np.asarray(values, np.float64), precision=4)}")


# -- the checks' own arguments: what the test cell gives (a wrong one is the test's mistake) --
def _rtol(rtol, check):
    """None (the dtype's tolerance) or a finite number >= 0."""
    return None if rtol is None else check_real(rtol, check, "rtol", low=0)


def _expected_array(expected, check) -> np.ndarray:
    """The expected values as an array of finite numbers: a ValueError otherwise (the test's own input)."""
    arr = to_array(expected, check, "expected")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{check} expects expected to hold numbers, got {type(expected).__name__} "
                         f"of dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{check} expects expected to hold finite values, got {int(np.isnan(arr).sum())} NaN and "
                         f"{int(np.isinf(arr).sum())} inf")
    return arr


def _test_input(x, check, name) -> np.ndarray:
    """An input the check hands to both layers: numbers, in an array (a ragged list says so)."""
    arr = to_array(x, check, name)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{check} expects {name} to hold numbers, got an array of dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():  # else the student's layer would be blamed
        raise ValueError(f"{check} expects {name} to hold finite values, got {int(np.isnan(arr).sum())} NaN and "
                         f"{int(np.isinf(arr).sum())} inf")
    return arr


def _share(at_least) -> float:
    """check_accuracy's at_least: a share of right labels in [0, 1] (a percentage says so)."""
    try:
        return check_real(at_least, "check_accuracy", "at_least", 0, 1, what="a share of right labels")
    except ValueError as exc:
        if isinstance(at_least, numbers.Real) and 1 < at_least <= 100:
            raise ValueError(f"{exc} (a percentage? write {at_least / 100:g} for {at_least:g} %)") from None
        raise


def _true_labels(y_true) -> np.ndarray:
    """check_accuracy's y_true: labels of shape (N,), N >= 1 (the test's input)."""
    y = to_array(y_true, "check_accuracy", "y_true")
    if y.dtype.kind not in "biuf" or y.ndim != 1 or y.size == 0:
        what = (f"dtype {y.dtype}" if y.dtype.kind not in "biuf" else f"shape {format_shape(y.shape)}"
                + (" (one-hot rows? pass np.argmax(y, axis=1))" if y.ndim == 2 else ""))
        raise ValueError(f"check_accuracy expects y_true as class labels of shape (N,) with N >= 1, got {what}")
    return y


def _check_reference(reference) -> None:
    """check_layer's reference: a layer instance, whose param_names say what it learns."""
    if isinstance(reference, type) or not isinstance(getattr(reference, "param_names", None), tuple):
        what = f"the class {reference.__name__} (create one: {reference.__name__}(...))" if isinstance(
            reference, type) else type(reference).__name__
        raise ValueError(f"check_layer expects reference to be a sprintlib layer such as Conv2d(1, 2, 3), got {what}")


def _check_student_layer(layer, methods) -> None:
    """The student's layer: an instance (not its class) with the methods the check calls."""
    if isinstance(layer, type):
        raise AssertionError(f"your layer is the class {layer.__name__} itself: create one, {layer.__name__}(...), "
                             f"and pass that")
    missing = [m for m in methods if not callable(_read(layer, m))]
    if missing:
        raise AssertionError(f"your layer ({_describe(layer)}) has no method {' and no method '.join(missing)}: "
                             f"a layer defines forward(self, X) and backward(self, dA)")


# -- functions ---------------------------------------------------------------------------
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
    if not callable(reference_fn):
        raise ValueError(f"check_function expects reference_fn to be a function, got {type(reference_fn).__name__}")
    rtol = _rtol(rtol, "check_function")
    name = name or getattr(reference_fn, "__name__", "result")
    if not callable(student_fn):
        raise AssertionError(f"your {name} is not a function: got {_describe(student_fn)} (define it with def, "
                             f"and pass the function itself, without calling it)")
    answer = _Answer(reference_fn, name) if own_code else None
    with _student(f"your {name}", answer):
        got = student_fn(*_copies(args), **_copies(kwargs))
    got = tuple(map(_snapshot, got)) if type(got) is tuple else _snapshot(got)
    if mode.recording() == "got":  # the reference does not run in a graded kernel
        if type(got) is tuple:
            for i, g in enumerate(got):
                _emit(f"{name}[{i}]", g)
        else:  # where the reference gives a tuple, the judge says what came instead, in these words
            _emit(name, got, described=_describe(got))
        return
    source = _Expected(function_key(name, reference_fn, args, kwargs, rtol))
    expected = source.run(name, reference_fn, *_copies(args), **_copies(kwargs))
    explain = _function_explainer(reference_fn, name, args, kwargs, expected)
    parts = list(enumerate(expected)) if isinstance(expected, tuple) else [(None, expected)]
    source.ship(f"check_function {name}", [(name if i is None else f"{name}[{i}]", e) for i, e in parts], rtol,
                explain, length=len(expected) if isinstance(expected, tuple) else None)
    if isinstance(expected, tuple):
        if type(got) is not tuple or len(got) != len(expected):
            raise AssertionError(f"{name}: expected a tuple of {len(expected)} results, got {_describe(got)}")
        _judge(source, [(f"{name}[{i}]", g, e) for i, (g, e) in enumerate(zip(got, expected))], rtol, explain)
    else:
        _judge(source, [(name, got, expected)], rtol, explain)


def _copy(value):
    """A copy of an argument that the called code could change in place: an array, and a
    list, dict or set (a right answer that pops from its list must not change what the
    reference is given); anything that cannot be copied as it is."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict, set, bytearray)) or (type(value) is tuple and any(
            isinstance(v, (np.ndarray, list, dict, set)) for v in value)):
        try:
            return copy.deepcopy(value)
        except Exception:  # something in it cannot be copied (a generator, a lock)
            return value
    return value


def _copies(values):
    """Copies of the arguments (``_copy``), in a tuple (``*args``) or a dict (``**kwargs``)."""
    if isinstance(values, dict):
        return {k: _copy(v) for k, v in values.items()}
    return tuple(_copy(v) for v in values)


# -- layers ------------------------------------------------------------------------------
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
    _check_reference(reference)
    rtol = _rtol(rtol, "check_layer")
    seed = check_int(seed, "check_layer", "seed", minimum=0)
    X = _test_input(X, "check_layer", "X")
    dA = None if dA is None else _test_input(dA, "check_layer", "dA")
    _check_student_layer(student, ("forward", "backward") if backward else ("forward",))
    answer = _Answer(reference) if own_code else None
    _check_not_a_copy(student, answer)
    # weights drawn from X, never the initializer's: He's B is all zeros, with which a forward
    # that forgets the bias looks right (and a graded run, which draws them too, would not)
    _grading_weights(reference, X, reference.param_names)
    _give_weights(student, reference)
    key = layer_key(reference, X, dA, seed, backward, rtol)
    if mode.recording() == "got":
        return _record_layer(student, reference, X, dA, seed, backward, answer, key)
    # the reference's values, or where it is withheld (the students' copy) the shipped ones
    source = _Expected(key)
    parts = []
    with keep_weights(student, reference.param_names), keep_weights(reference):
        with _student("your forward", answer), _unchanged("forward", "X", X) as (x, _):
            A_got = _snapshot(student.forward(x))
        A = source.run("forward A", reference.forward, X.copy())
        parts.append(("forward A", A_got, A))
        if mode.recording() == "expected":
            _leave_shape(key, np.shape(A))
        if backward:
            # dA has the shape of the right A, whatever the student's forward gave: the
            # backward's own mistakes are named even where the forward is wrong
            dA = np.random.default_rng(seed).standard_normal(A.shape) if dA is None else np.asarray(dA)
            try:
                with _student("your backward", answer), _unchanged("backward", "dA", dA) as (d, _):
                    dX_got = _snapshot(student.backward(d))
            except Exception:  # the forward's verdict (and its hint) first, then the backward's error
                _judge(source, parts, rtol, _layer_explainer(reference, X, dA, {"forward A": A}), fail=False)
                raise
            dX = source.run("backward dX", reference.backward, dA.copy())
            parts.append(("backward dX", dX_got, dX))
            parts += [(f"backward d{n}", _gradient(student, n),
                       source.run(f"backward d{n}", getattr, reference, "d" + n)) for n in reference.param_names]
    # a forward-only check still gets the forward's hints: the mistakes run a backward too
    dA = np.ones_like(A) if dA is None else dA
    explain = _layer_explainer(reference, X, dA, {name: expected for name, _, expected in parts})
    source.ship(f"check_layer {type(reference).__name__}", [(name, e) for name, _, e in parts], rtol, explain,
                shape=list(np.shape(A)))
    _judge(source, parts, rtol, explain)


def _record_layer(student, reference, X, dA, seed, backward, answer, key) -> None:
    """check_layer in a graded kernel: run the student's layer as check_layer does and emit
    what it gives; the reference's maths do not run here (see mode.recording)."""
    with keep_weights(student, reference.param_names):
        with _student("your forward", answer), _unchanged("forward", "X", X) as (x, _):
            A_got = _snapshot(student.forward(x))
        _emit("forward A", A_got)
        if backward:
            if dA is None:  # drawn as check_layer draws it, for the shape of a right forward
                dA = np.random.default_rng(seed).standard_normal(_right_shape(key, reference, X, A_got))
            dA = np.asarray(dA)
            with _student("your backward", answer), _unchanged("backward", "dA", dA) as (d, _):
                _emit("backward dX", _snapshot(student.backward(d)))
            for n in reference.param_names:
                _emit(f"backward d{n}", _gradient(student, n))


# -- the shape of the right A in a graded kernel, which draws dA as the trusted run does -------
def _shape_file(key):
    """Where the trusted run leaves the shape of a check_layer's right A (in the folder of the
    hidden images, which a graded kernel reads), or None outside a graded run."""
    folder = mode.hidden_folder()
    return None if not folder else Path(folder) / f"{key[:32]}.A-shape.json"


def _leave_shape(key, shape) -> None:
    path = _shape_file(key)
    if path is not None and path.parent.is_dir():
        path.write_text(json.dumps([int(n) for n in shape]))


def _right_shape(key, reference, X, A_got) -> tuple:
    """The shape of the right A, for the default dA of a graded kernel: as the trusted run
    left it; else the reference's output_shape (sizes, not the answer's maths), which a graded
    kernel may not have; else the shape of the student's A (a wrong one draws another dA: the
    backward's values then differ from the trusted run's)."""
    path = _shape_file(key)
    try:
        shape = json.loads(path.read_text()) if path is not None else None
        if isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape):
            return tuple(shape)
    except (OSError, ValueError):
        pass
    try:
        shape = tuple(reference.output_shape(np.shape(X)))
        if all(isinstance(n, int) for n in shape):
            return shape
    except Exception:  # removed from a graded kernel's sprintlib, or no output_shape
        pass
    return np.shape(A_got) if isinstance(A_got, np.ndarray) else ()


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


def _report(parts, rtol=None, tol: Tolerance | None = None, footnote: str = "", explain=None,
            fail: bool = True) -> None:
    """Check every (name, got, expected), print each verdict, then fail if any was wrong
    (``fail=False``: only print, as before an error of the student's code is raised).

    ``explain(name, got, tolerance)``, if given, returns a hint for a wrong part ("" if none).
    """
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    if mode.recording() == "got":
        for name, got, _ in parts:
            _emit(name, got)
        return
    if mode.recording() == "expected":  # with what each known mistake would give: the grader's hints
        names = [name for name, _, _ in parts]
        for at, (name, _, expected) in enumerate(parts):
            _emit(name, np.asarray(expected), tol=list(_tolerance(np.asarray(expected), rtol, tol)),
                  hints=_hint_records(explain, name) if explain else [],
                  **(_fitted_records(explain, names, at) if explain else {}))
    verdicts, wrong = [], []  # every verdict before the first is printed (a hint may find the reference withheld)
    if explain is not None:  # the mistakes with a quantity read off the student's values see them all
        explain.observe({name: got for name, got, _ in parts})
    for name, got, expected in parts:
        problem, err = _array_problem(name, got, expected, rtol, tol)
        if problem and explain is not None:
            hint = explain(name, got, _tolerance(np.asarray(expected), rtol, tol))
            problem += f"\n  hint: {hint}" if hint else ""
        verdicts.append(problem if problem else _ok(name, err))
        if problem:
            wrong.append(name)
    for verdict in verdicts:
        print(verdict)
    if wrong and fail:
        raise AssertionError(f"wrong: {', '.join(wrong)} (see above)" + footnote)


def _judge(source, parts, rtol, explain, fail: bool = True) -> None:
    """_report the (name, got, expected) parts; once the reference turned out withheld (in
    its maths or a known mistake's), against the values and hints shipped (shipped.py)."""
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    if source.entry is None:
        try:
            return _report(parts, rtol, explain=explain, fail=fail)
        except ModelAnswerWithheld as exc:
            source.withheld(exc)
    _report([(name, got, source.entry.value(name)) for name, got, _ in parts], rtol,
            explain=source.entry.explainer(), fail=fail)


# -- a student's layer on its own --------------------------------------------------------
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
    rtol = _rtol(rtol, "check_gradients")
    seed = check_int(seed, "check_gradients", "seed", minimum=0)
    if isinstance(X, tuple) and not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 1
                                        for n in X):
        raise ValueError(f"check_gradients expects X as an array or a shape (a tuple of sizes >= 1), got {X!r}")
    X = random_input(X if isinstance(X, tuple) else _test_input(X, "check_gradients", "X"), seed)
    _check_student_layer(layer, ("forward", "backward"))
    dA = None if dA is None else _test_input(dA, "check_gradients", "dA")
    before = {n: v for n, v in _attributes(layer).items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"}
    declared = _declared_params(layer)
    with keep_weights(layer, declared + tuple(before)):
        _as_float64(layer, declared)
        if mode.recording():
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


# -- graded runs: the same weights in the trusted run and in the student's kernel --------
def _grading_weights(layer, X, names) -> None:
    """Weights drawn from the inputs alone, in place of the layer's own: the trusted run, the
    student's kernel and the notebook then check the same numbers. Drawn with sprintlib's own
    seed, never the course's grading seed, which a graded run has and a notebook has not: a
    visible test shows the same values in both (a hidden test's inputs, drawn with the grading
    seed, keep its weights unknown). No bias is left at zero."""
    X = np.asarray(X)
    key = hashlib.sha256(f"{X.shape}{X.dtype}".encode() + np.ascontiguousarray(X).tobytes()).hexdigest()
    for n in names:
        current = np.asarray(getattr(layer, n))
        draw = 0.5 * _rng_of(f"{mode.DEFAULT_SEED}\0weights:{key}:{n}").standard_normal(current.shape)
        setattr(layer, n, draw.astype(current.dtype if current.dtype.kind == "f" else np.float64))


# -- the model answer --------------------------------------------------------------------
def show_source(obj) -> None:
    """Show the source of a sprintlib class or function: the model answer of a problem.

    In a notebook, with syntax colouring; elsewhere, as plain text.
    """
    if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismethod(obj) or inspect.ismodule(obj)):
        raise ValueError(f"show_source expects a class or a function such as sprintlib.Conv2d, "
                         f"got {type(obj).__name__}")
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
