"""An answer against the expected array, and the words of the verdict.

``compare(name, got, expected)`` gives a Comparison: what kind of thing is wrong (the type,
the shape, integers, NaN, the values), the verdict line with its hint (a factor, a constant,
an order of the values, an output size one too large along an axis, a float32 result...),
the same verdict as a hidden test may show it (no value of the hidden inputs) and the
worst relative error. ``_array_problem`` is its (message, error); ``_accuracy_problem`` and
``_bounds_problem`` judge labels and a history of losses.

The notebooks' checks (checks.py) print these verdicts in the kernel; while
autograder/grade.py grades, its grading process (autograder/engine/judge.py) calls the same
functions on the records, outside the student's kernel.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._checks import format_shape
from .values import _Absent, _numbers


# -- tolerances --------------------------------------------------------------------------
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


#: answers in these dtypes are judged within their own rounding where a more precise one is
#: expected: float32, the dtype the course trains in (a layer written in float32 throughout is
#: right, and agrees with the float64 reference to float32's rounding); float16 is not
ANSWER_DTYPES = (np.dtype(np.float32),)


def _for_answer(tol: Tolerance, got: np.ndarray, expected: np.ndarray) -> Tolerance:
    """``tol``, or float32's tolerance where it is looser and the answer is float32 where a
    more precise float is expected."""
    if got.dtype in ANSWER_DTYPES and expected.dtype.kind == "f" and got.dtype.itemsize < expected.dtype.itemsize:
        own = TOLERANCES[got.dtype]
        return Tolerance(max(tol.rtol, own.rtol), max(tol.floor, own.floor))
    return tol


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


# -- verdicts ----------------------------------------------------------------------------
#: what ``Comparison.kind`` can be
KINDS = ("ok", "not numbers", "shape", "integer dtype", "integer values", "not finite", "values")


@dataclass(frozen=True)
class Comparison:
    """The first thing wrong with an answer, in data: no one needs to read the words again.

    ``kind``: one of KINDS; ``message``: the verdict (None when "ok"); ``hidden_message``:
    the verdict of a hidden test, which shows no value and no shape of the hidden inputs, only
    the kind of mistake, the relative error and a hint that quotes none of them (None when
    "ok"); ``err``: the worst relative error (None unless the values were compared).
    """
    kind: str
    message: str | None = None
    hidden_message: str | None = None
    err: float | None = None


def compare(name: str, got, expected, rtol=None, tol: Tolerance | None = None) -> Comparison:
    """``got`` (anything the student's code gave) against ``expected``: its type, its shape,
    then its values, with the tolerance of ``expected``'s dtype (or ``tol``, with ``rtol``)."""
    expected = np.asarray(expected)
    arr, problem = _read_numbers(name, got)
    if problem:
        return Comparison("not numbers", problem, f"{name}: wrong values")
    if arr.shape != expected.shape:
        moved = _shape_value_hint(arr, expected, _tolerance(expected, rtol, tol))  # names axes, never a size
        shown = moved or _output_shape_hint(arr.shape, expected.shape, hidden=False)
        return Comparison("shape", f"{name}: expected shape {format_shape(expected.shape)}, got "
                                   f"{format_shape(arr.shape)}" + shown,
                          f"{name}: wrong shape" + (moved or _output_shape_hint(arr.shape, expected.shape)))
    if expected.dtype.kind in "iu":  # sizes and counts: exact integers
        return _compare_integers(name, arr, expected)
    if not np.isfinite(arr).all():
        return Comparison("not finite", _not_finite(name, arr) + _dtype_hint(arr, expected),
                          f"{name}: not finite (NaN or inf)")
    tol = _for_answer(_tolerance(expected, rtol, tol), arr, expected)
    err, worst = _worst(arr, expected, tol)
    if err <= tol.rtol:
        return Comparison("ok", err=err)
    # the hints name no value of the inputs: a hidden test shows the verdict up to the values
    verdict = f"{name}: wrong values (relative error {err:.1e}, tolerance {tol.rtol:g})"
    shown = verdict + _value_hint(arr, expected, tol) + _dtype_hint(arr, expected)
    hidden = verdict + _value_hint(arr, expected, tol, hidden=True) + _dtype_hint(arr, expected)
    return Comparison("values", shown + _where(arr, expected, worst), hidden, err)


def _compare_integers(name, got, expected) -> Comparison:
    """Sizes and counts: integers, and exactly the expected ones."""
    if got.dtype.kind not in "iu":
        why = "(/ gives floats: use // or int())"
        return Comparison("integer dtype", f"{name}: expected integers, got {got.dtype} {np.array2string(got)} {why}",
                          f"{name}: expected integers {why}")
    if np.array_equal(got, expected):
        return Comparison("ok")
    shown = f"{name}: expected {np.array2string(expected)}, got {np.array2string(got)}"
    off = _off_by_one(got, expected)  # a fact, no number of the inputs
    # a hidden test keeps it when both arrays are shown on one line (as the grader always worded it)
    return Comparison("integer values", shown + off, f"{name}: wrong values" + ("" if "\n" in shown else off))


def _array_problem(name, got, expected, rtol=None, tol: Tolerance | None = None):
    """(message or None, worst relative error or None): the first thing wrong with ``got``."""
    c = compare(name, got, expected, rtol, tol)
    return c.message, c.err


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


def _ok(name, err) -> str:
    return f"{name}: OK" + ("" if err is None else f" (relative error {err:.1e})")


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


def _bounds_problem(name, values, below, decreasing) -> str | None:
    arr, problem = _read_numbers(name, values)
    if problem:
        if values is None or isinstance(values, _Absent) or isinstance(values, np.ndarray):
            return problem
        return f"{name}: expected a numpy array or a list of numbers (one an epoch), got {_not_a_history(values)}"
    arr = arr.astype(np.float64).ravel()
    shown = np.array2string(arr, precision=4)
    if arr.size == 0:
        return f"{name}: expected at least one number, got none"
    if not np.isfinite(arr).all():
        return f"{name}: expected finite numbers, got {shown}"
    if below is not None and not (arr < below).all():
        return f"{name}: expected every value below {below:.4g}, got {shown}"
    if decreasing and not (np.diff(arr) < 0).all():
        return f"{name}: expected each value below the one before, got {shown}"
    return None


def _not_a_history(values) -> str:
    if isinstance(values, dict):
        return "a dict (pass one of its lists, e.g. history['loss'])"
    if isinstance(values, (list, tuple)):
        bad = next((v for v in values if not (isinstance(v, np.ndarray) and v.size == 1)
                    and _numbers(v)[0] is None or isinstance(v, np.ndarray) and v.size != 1), None)
        what = (f"an array of shape {format_shape(bad.shape)}" if isinstance(bad, np.ndarray)
                else type(bad).__name__)
        return f"a {type(values).__name__} holding {what} where a number was expected"
    return type(values).__name__


# -- hints: what a wrong answer is likely to be ------------------------------------------
# The rule of every hint here: a hint names a hypothesis (a factor, a sign, a transpose, a
# constant added...) only when that hypothesis, applied to the expected array, gives the
# student's values within the tolerance, and only where the data can tell it from another
# (a single value is some factor times any other: no factor is named for it). Otherwise the
# verdict shows where the values differ and guesses nothing. The causes that need to know
# what the part is (a bias, an output size computed with a wrong formula) are the known
# mistakes of mistakes.py, which compute their values from the check's inputs.
_SIZE_RULE = "an output size is (N_in + 2P - F) // S + 1"


def _off_by_one(got, expected) -> str:
    """Integers one too large or too small, every one of them: said as a fact, with no cause
    (an output size's wrong formula is named by SIZE_MISTAKES, which evaluates it)."""
    for d, word in ((1, "more"), (-1, "less")):
        if np.array_equal(got.astype(np.int64) - expected, np.full(expected.shape, d)):
            return f": 1 {word} than expected" + ("" if expected.size == 1 else " in every entry")
    return ""


def _shape_hint(got, expected) -> str:
    """What the two shapes show (facts, no cause): a single number for an array, the same
    sizes in another order, as many values in another shape."""
    if got == () and expected != ():
        return f": a single number where an array of shape {format_shape(expected)} is expected"
    if sorted(got) == sorted(expected):
        return ": the same sizes in another order (check the order of the axes)"
    if int(np.prod(got)) == int(np.prod(expected)):
        return ": the right number of values in another shape"
    return ""


def _output_shape_hint(got, expected, hidden: bool = True) -> str:
    """_shape_hint, and for shapes of as many axes whose lengths differ by one: along which
    axes. ``hidden``: names axes, never sizes (a hidden test's feedback says this). No cause:
    an output size's wrong formula is a known mistake of the layer (mistakes.py), named when
    it gives the student's values."""
    hint = _shape_hint(got, expected)
    if hint or len(got) != len(expected):
        return hint.replace(f" of shape {format_shape(expected)}", "") if hidden and got == () else hint
    diff = np.subtract(got, expected)
    axes = [int(a) for a in np.flatnonzero(diff)]
    for d, word in ((1, "more"), (-1, "less")):
        if axes and all(diff[a] == d for a in axes):
            return f": 1 {word} than expected along {_axes_words(axes)}"
    return ""


def _axes_words(axes) -> str:
    """"axis 0", "axes 2 and 3"."""
    if len(axes) == 1:
        return f"axis {axes[0]}"
    return "axes " + ", ".join(map(str, axes[:-1])) + f" and {axes[-1]}"


def _shape_value_hint(got, expected, tol) -> str:
    """For an answer of another shape, what its values are when the expected array, moved
    into that shape, gives them: its axes in another order, reshaped, or summed (or averaged)
    to one number. Only when the expected values tell these apart (not all the same); ""
    otherwise (then _output_shape_hint says what the shapes show)."""
    if _batch_axis_kept(got, expected):
        return (": the expected values with a 1 in front (the batch axis of a batch of one? a shape without "
                "the batch axis is A.shape[1:])")
    if got.dtype.kind not in "biuf" or expected.size < 2 or _constant(expected.astype(np.float64), tol):
        return ""
    g, e = got.astype(np.float64), expected.astype(np.float64)
    if g.shape == ():
        for what, value in (("sum", e.sum()), ("mean", e.mean())):
            if _matches(g, np.asarray(value), tol):
                return (f": a single number, the {what} of the expected values (a {what} over every axis where "
                        f"some must stay?)")
        return ""
    if sorted(g.shape) == sorted(e.shape) and g.ndim <= 6:
        for order in itertools.permutations(range(e.ndim)):
            if e.transpose(order).shape == g.shape and _matches(g, e.transpose(order), tol):
                return f": the expected values with their axes in the order {order} (a transpose in the wrong order?)"
    if g.size == e.size and _matches(g, e.reshape(g.shape), tol):
        return ": the expected values in their order, in another shape (a reshape too many or too few?)"
    return ""


def _batch_axis_kept(got, expected) -> bool:
    """A shape (integers, one axis) with a 1 in front of the expected one: A.shape where
    A.shape[1:] is asked, on a batch of one."""
    return (got.ndim == expected.ndim == 1 and got.dtype.kind in "iu" and expected.dtype.kind in "iu"
            and got.size == expected.size + 1 and got[0] == 1 and np.array_equal(got[1:], expected))


def _constant(e, tol) -> bool:
    """True when every value of ``e`` is the same up to the tolerance (a hypothesis then
    cannot be told from another: a factor from an offset, an order from another)."""
    return e.size == 0 or _matches(e, np.full(e.shape, e.flat[0]), tol)


def _value_hint(got, expected, tol, hidden: bool = False) -> str:
    """What the answer is, when the expected array gives it up to a sign, a factor, a
    transpose, an order of its values, or a constant added (per index along an axis): each
    said only when it gives the student's values and the data tell it from the others.
    ``hidden``: for a hidden test, the factor is not shown (it may be a count of the inputs,
    1/N for a mean over N samples). Says no number of the inputs otherwise."""
    g, e = got.astype(np.float64), expected.astype(np.float64)
    words = ""
    if got.dtype.kind in "biu" and expected.dtype.kind == "f":
        if any(_matches(g, cut(e), tol) for cut in (np.trunc, np.floor, np.round)):
            return f": your result has dtype {got.dtype}; computed in integers, fractions are lost"
        words = f": your result has dtype {got.dtype} where floats are expected"
    if e.size < 2:
        return words  # one value is some factor times, and some amount off, any other
    sign = _sign(g, e, tol)
    if sign:
        return words + sign
    # expected values all alike: any values all alike are some factor times them and some
    # amount off them; neither is a hypothesis the values could refute
    alike = _constant(e, tol)
    factor, offset = ("", "") if alike else (_factor(g, e, tol, hidden), _offset(g, e, tol))
    if factor and offset.startswith(": every value differs from the expected one by the same amount"):
        factor = offset = ""  # (both fit: the values cannot tell which)
    found = [h for h in (factor, _transposed(g, e, tol), _moved(g, e, tol), offset) if h]
    return words + (found[0] if found else "")


def _sign(g, e, tol) -> str:
    return ": every value has the wrong sign" if _matches(g, -e, tol) else ""


def _factor(g, e, tol, hidden) -> str:
    """got = c * expected, c as written (with the digits it needs to give got), c not 1 or -1."""
    informative = np.abs(e) > tol.floor * np.abs(e).max()
    if informative.sum() < 2:
        return ""
    c = float(np.sum(g * e)) / float(np.sum(e * e))  # the c that brings c * expected closest to got
    if c == 0 or not np.isfinite(c):
        return ""
    for digits in range(4, 18):
        stated = float(f"{c:.{digits}g}")
        if _matches(g, stated * e, tol):
            break
    else:
        return ""
    if stated in (1.0, -1.0):
        return ""
    why = "" if abs(stated - 1) < 0.01 else " (a factor missing or extra?)"
    if hidden:
        return ": every value is the expected one times the same factor" + why
    return f": every value is {stated:.{digits}g} times the expected one{why}"


def _transposed(g, e, tol) -> str:
    if e.ndim >= 2 and e.shape[-1] == e.shape[-2] and _matches(g, np.swapaxes(e, -1, -2), tol):
        return ": the values of the expected array with its last two axes swapped (a transpose too many?)"
    return ""


def _moved(g, e, tol) -> str:
    if _matches(np.sort(g, axis=None), np.sort(e, axis=None), tol):
        return ": the right values in the wrong places (a reshape or transpose in the wrong order?)"
    return ""


def _offset(g, e, tol) -> str:
    """got = expected + a constant, or + one constant per index along an axis: a term left
    out or added twice. Only where each constant is shared by 2 entries or more (any single
    wrong entry is "off by a constant"), and the expected values vary where it is shared (a
    constant added to constant values is as much a factor). Which term, the bias or another,
    only the part knows: a layer's known mistakes name the bias (mistakes.py)."""
    diff = g - e
    if _matches(g, e + diff.mean(), tol):
        return (": every value differs from the expected one by the same amount (a constant term missing or "
                "added twice?)")
    for axis in range(e.ndim):
        others = tuple(a for a in range(e.ndim) if a != axis)
        if not 1 < e.shape[axis] < e.size or _matches(e, np.broadcast_to(e.mean(axis=others, keepdims=True), e.shape),
                                                      tol):
            continue
        if _matches(g, e + diff.mean(axis=others, keepdims=True), tol):
            return (f": every value differs from the expected one by an amount that depends only on its index along "
                    f"axis {axis} (a term per index of axis {axis} missing or added twice?)")
    return ""


def _dtype_hint(got, expected) -> str:
    """Say so when the answer is in a less precise float type than the expected one."""
    if got.dtype.kind == "f" and expected.dtype.kind == "f" and got.dtype.itemsize < expected.dtype.itemsize:
        digits = np.finfo(got.dtype).precision
        return (f"; your result has dtype {got.dtype}, expected {expected.dtype}: {got.dtype} keeps "
                f"about {digits} significant digits (compute in {expected.dtype}, or leave the dtype as numpy "
                f"makes it)")
    return ""


def _where(got, expected, worst) -> str:
    """The entries side by side when the arrays are small; the worst entry otherwise."""
    if expected.size <= 12:
        return f"\n  expected {np.array2string(expected, precision=6)}\n  got      {np.array2string(got, precision=6)}"
    return f"\n  largest difference at index {worst}: expected {expected[worst]:.6g}, got {got[worst]:.6g}"
