"""What the student's code gave, read whatever it is: an array, a number, None, an object of
the student's own class, an attribute that is missing or whose property raises.

Only the raw data is read (no method of the student's object is called, an ndarray subclass
becomes a plain ndarray) and it is copied: the student's later code cannot change what is
compared.
"""
from __future__ import annotations

import numpy as np


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
    """What came, in a few words: "a tuple of 2", "a list of 2", "an array of shape (2,)", "int"."""
    if type(value) in (tuple, list):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
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


def _attributes(layer) -> dict:
    try:
        return dict(vars(layer))
    except TypeError:  # no __dict__ (__slots__)
        return {}


def _plain_list(value):
    """A list (a history: one number an epoch) of plain numbers as an array; anything else as it is.
    A number may be a Python or NumPy scalar, or an array holding one number (a loss computed
    as ``np.mean(...)`` or kept with ``keepdims``): a 0-d array, or one of size 1."""
    if type(value) in (list, tuple) and all(map(_one_number, value)):
        return np.array([_numbers(v)[0].reshape(()) if isinstance(v, np.ndarray) else v for v in value],
                        dtype=np.float64)
    return value


def _one_number(value) -> bool:
    """A plain number, or a plain ndarray of numbers that holds exactly one."""
    if isinstance(value, np.ndarray):
        return value.size == 1 and value.dtype.kind in "biuf"
    return _is_plain_number(value)
