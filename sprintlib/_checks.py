"""Input checks shared by every layer, model and loader.

Every message has the same form, naming what was expected and what came::

    FC expects X of shape (N, 784), got (784,)
    Conv2d expects stride to be an integer >= 1, got 0
    ReLU expects finite values in X, got 3 NaN and 1 inf

A shape spec is a tuple whose entries are ints (that size exactly) or strings
(any size, shown by that name): ``("N", 784)`` prints as ``(N, 784)``.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

#: the largest size NumPy can index along an axis, and the most bytes one array can hold
MAX_INDEX = int(np.iinfo(np.intp).max)


def format_shape(spec) -> str:
    """``("N", 784)`` -> ``"(N, 784)"``; ``(784,)`` -> ``"(784,)"``."""
    parts = [str(s) for s in spec]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


class NotFiniteError(ValueError):
    """NaN or inf where numbers were expected (a model's fit turns it into a message about
    the batch where its training diverged)."""


def check_finite(x: np.ndarray, owner: str, name: str) -> None:
    """Raise NotFiniteError (a ValueError) if x holds NaN or inf (they would silently poison
    every weight)."""
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        n_nan = int(np.isnan(x).sum())
        n_inf = int(np.isinf(x).sum())
        raise NotFiniteError(
            f"{owner} expects finite values in {name}, got {n_nan} NaN and {n_inf} inf"
        )


def as_array(x, owner: str, name: str, spec, dtype=np.float64, finite: bool = True) -> np.ndarray:
    """Return ``x`` as a finite array of ``dtype`` whose shape matches ``spec``
    (``finite=False``: NaN and inf are not searched for).

    Integer input is accepted and converted, so that ``forward(np.array([1, 2, 3, 4]))``
    is computed in floating point rather than failing on an in-place float update.
    An empty array is refused, and so is a masked array (``np.asarray`` would read its
    masked entries as numbers).
    """
    check_not_masked(x, owner, name)
    arr = to_array(x, owner, name)
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"{owner} expects {name} to hold numbers, got an array of dtype {arr.dtype}"
        )
    spec = tuple(spec)
    if arr.ndim != len(spec) or any(
        isinstance(s, int) and s != n for s, n in zip(spec, arr.shape)
    ):
        raise ValueError(
            f"{owner} expects {name} of shape {format_shape(spec)}, got {format_shape(arr.shape)}"
        )
    if arr.size == 0:  # an empty batch is almost always a slicing mistake (and ends in a 0/0)
        raise ValueError(f"{owner} expects {name} of shape {format_shape(spec)} with at least one entry "
                         f"along every axis, got {format_shape(arr.shape)}")
    with np.errstate(over="ignore"):  # an overflow gets the error below, not a warning
        cast = arr.astype(dtype, copy=False)
    if finite:
        if cast is not arr and arr.dtype.kind == "f" and not np.isfinite(cast).all() and np.isfinite(arr).all():
            raise ValueError(_overflow(owner, name, arr, dtype))  # finite numbers too large for dtype
        check_finite(cast, owner, name)
    return cast


def to_array(x, owner: str, name: str) -> np.ndarray:
    """``np.asarray(x)``, or a ValueError naming ``name`` when NumPy cannot make one array of
    it (a ragged list: rows of different lengths), instead of NumPy's "inhomogeneous shape"."""
    try:
        return np.asarray(x)
    except Exception:  # ragged lists and the like
        raise ValueError(f"{owner} expects {name} as an array of numbers, got {_what(x)}") from None


def shape_of(x, owner: str, name: str) -> tuple:
    """``np.shape(x)``, with to_array's message for a ragged list."""
    try:
        return np.shape(x)
    except Exception:
        return to_array(x, owner, name).shape  # raises, naming name


def _what(x) -> str:
    """What came, for a message: a ragged list says so, with the lengths where its entries differ."""
    if isinstance(x, (list, tuple)):
        level = [x]
        while level:
            lengths = [len(v) if isinstance(v, (list, tuple, np.ndarray)) else None for v in level]
            if len(set(lengths)) > 1:
                shown = ", ".join("a number" if n is None else str(n) for n in lengths[:8])
                return (f"a ragged {type(x).__name__} (entries of different lengths: {shown}"
                        f"{', ...' if len(lengths) > 8 else ''}; an array needs the same length in every row)")
            level = [w for v in level if isinstance(v, (list, tuple)) for w in v]
        return f"a {type(x).__name__} of things that are not numbers"
    return type(x).__name__


def check_real(value, owner: str, name: str, low: float | None = None, high: float | None = None,
               what: str = "a number") -> float:
    """A finite real number (not a bool, not a str) in [low, high]; the message names the range."""
    ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real) and bool(np.isfinite(value))
    if ok and (low is None or value >= low) and (high is None or value <= high):
        return float(value)
    where = (f" in [{low:g}, {high:g}]" if low is not None and high is not None else
             f" >= {low:g}" if low is not None else f" <= {high:g}" if high is not None else "")
    raise ValueError(f"{owner} expects {name} to be {what}{where}, got {value!r}")


def check_not_masked(x, owner: str, name: str) -> None:
    """Refuse a ``np.ma.MaskedArray``: NumPy reads it as its data, the masked entries
    included (whatever numbers they hold), so the mask would be lost in silence."""
    if isinstance(x, np.ma.MaskedArray):
        n = int(np.ma.count_masked(x))
        raise ValueError(f"{owner} expects {name} as a plain array, got a masked array ({n} of its values "
                         f"masked): masked arrays are not supported, fill the masked values first, "
                         f"e.g. {name}.filled(0)")


def _overflow(owner: str, name: str, values: np.ndarray, dtype) -> str:
    limit = np.finfo(dtype).max
    n = int((np.abs(values) > limit).sum())
    return (f"{owner} expects values of {name} within {np.dtype(dtype)}'s range (|x| <= {limit:.3g}), "
            f"got {n} beyond it (the largest {np.abs(values).max():.3g}): they would be inf")


def check_no_overflow(values: np.ndarray, owner: str, name: str) -> None:
    """After a layer's forward or backward on finite numbers: an inf is an overflow of the
    layer's dtype (float32 ends at 3.4e38), which would reach the caller as a number."""
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        n = int((~np.isfinite(values)).sum())
        raise ValueError(f"{owner}: {name} overflowed {values.dtype} ({n} value{'s' * (n != 1)} beyond "
                         f"{np.finfo(values.dtype).max:.3g}, from finite inputs): scale the inputs or the "
                         f"weights down")


def check_int(value, owner: str, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int, raising ValueError unless it is an integer >= minimum."""
    if type(value) is int and value >= minimum:  # the common case, without the slower ABC check
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{owner} expects {name} to be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_bool(value, owner: str, name: str) -> bool:
    """A flag: True or False (np.bool_ too, and the ints 0 and 1, as in ``verbose=0``).

    ``bool(value)`` would take any object: ``allow_remainder="no"`` would mean True.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise ValueError(f"{owner} expects {name} to be True or False, got {value!r}")


def check_pair(value, owner: str, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints (height, width), each >= minimum. A pair may be a tuple,
    a list or a 1-D array of two ints (``np.array([3, 3])``, what ``X.shape`` arithmetic gives)."""
    if type(value) is int and value >= minimum:  # the common case, without the slower checks below
        return (value, value)
    pair = value.tolist() if isinstance(value, np.ndarray) and value.ndim == 1 else value
    if isinstance(pair, (tuple, list)) and len(pair) == 2:
        return (check_int(pair[0], owner, name, minimum), check_int(pair[1], owner, name, minimum))
    if isinstance(pair, bool) or not isinstance(pair, numbers.Integral):
        raise ValueError(f"{owner} expects {name} to be an int or a pair (height, width), got {value!r}")
    v = check_int(value, owner, name, minimum)
    return (v, v)


def check_array_size(shape, dtype, owner: str, what: str, name: str) -> None:
    """Refuse a ``shape`` that no NumPy array can have (more bytes than an index can count):
    NumPy would say "array is too big" or "Maximum allowed dimension exceeded" without
    naming the argument (``what``, e.g. "filter_size") that made it so large."""
    n_bytes = math.prod(shape) * np.dtype(dtype).itemsize
    if n_bytes > MAX_INDEX:
        raise ValueError(f"{owner} expects {what} small enough for {name} to be a NumPy array (at most "
                         f"{MAX_INDEX:.3g} bytes), got {name} of shape {format_shape(shape)} ({n_bytes:.3g} bytes)")


def check_axes(x, form: tuple, owner: str, name: str = "X") -> np.ndarray:
    """``x`` as an array with one axis per entry of ``form`` (names such as ``("N", "C", "H",
    "W")``, which the message shows), for the pure functions of ``functional``: the layers
    call them with arrays they have checked, a direct caller gets the same kind of message."""
    check_not_masked(x, owner, name)
    arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    if arr.ndim != len(form):
        raise ValueError(f"{owner} expects {name} of shape {format_shape(form)}, got {format_shape(arr.shape)}")
    return arr


def check_positive(value, owner: str, name: str) -> float:
    """A finite real number > 0 (learning rates, standard deviations)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{owner} expects {name} to be a number > 0, got {value!r}")
    return float(value)


def check_labels(y, owner: str, n_classes: int | None = None, n_samples: int | None = None,
                 name: str = "y") -> np.ndarray:
    """Integer class labels of shape (N,), each in [0, n_classes)."""
    check_not_masked(y, owner, name)
    arr = np.asarray(y)
    spec = (n_samples if n_samples is not None else "N",)
    if arr.ndim != 1 or (n_samples is not None and arr.shape[0] != n_samples):
        raise ValueError(f"{owner} expects {name} of shape {format_shape(spec)}, got {format_shape(arr.shape)}")
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or not np.all(arr == np.round(arr)):
            raise ValueError(f"{owner} expects integer class labels in {name}, got non-integer values")
    elif arr.dtype.kind not in "biu":
        raise ValueError(f"{owner} expects integer class labels in {name}, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and arr.min() < 0:
        raise ValueError(f"{owner} expects labels in {name} >= 0, got {arr.min()}")
    if n_classes is not None and arr.size and arr.max() >= n_classes:
        raise ValueError(
            f"{owner} expects labels in {name} in 0..{n_classes - 1}, got {arr.max()}"
        )
    return arr


def check_same_shape(actual: np.ndarray, expected_shape, owner: str, name: str, what: str) -> None:
    """For gradients: ``dA`` must have exactly the shape ``forward`` returned."""
    if tuple(actual.shape) != tuple(expected_shape):
        raise ValueError(
            f"{owner} expects {name} of shape {format_shape(expected_shape)} ({what}), "
            f"got {format_shape(actual.shape)}"
        )
