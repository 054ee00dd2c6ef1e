"""The student's code, run inside a check: its warnings, logging and writes to stderr are
printed on stdout as notes (nbgrader fails a test cell that writes to stderr, even when its
checks pass), the arrays it is handed are copies (a note says when it wrote into one), and
the own-work watcher sees every call it makes (own_work.py).

Errors raised by the student's code are not caught: their traceback points into the
student's code, which is what they need.
"""
from __future__ import annotations

import contextlib
import io
import logging
import sys
import warnings

import numpy as np

from .own_work import _own_work, _watching


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
