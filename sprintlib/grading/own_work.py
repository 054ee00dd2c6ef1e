"""The watch on the student's own work: a layer or a function that runs sprintlib's answer
to the problem graded fails, however it reached it.

``_Answer(reference)`` is the code of that answer (the reference layer's class and its
sprintlib bases, their modules, sprintlib.functional; for a function, its module or itself).
``_check_not_a_copy`` fails a layer that is, subclasses or holds it before it runs, and
``_watching`` notes, with a profile hook, the first call into it while the student's code
runs. sprintlib's shared helpers (_SHARED: the input checks, the Layer base class, the
output sizes) are every answer's to use.
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import types
from pathlib import Path

from ..layers.base import Layer
from .values import _attributes

#: sprintlib's folder, and this package's in it: the checks' own code, never an answer
_HERE = Path(__file__).resolve().parents[1]
_GRADING = _HERE / "grading"
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
        if self.code is not None:  # the answer is a function of the notebook: only itself (its
            # arguments may be sprintlib's layers, as sprint 3's LeNet is, which run sprintlib.functional)
            return f"the reference {code.co_qualname}" if code is self.code else None
        path = _path(code.co_filename)
        if not path.is_relative_to(_HERE):  # NumPy's, the notebook's...: a module imported for the
            return None                     # first time in the call (numpy.fft) runs its <module> code
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


def _own_work(answer, detail) -> AssertionError:
    """Print and return the verdict on an answer that is sprintlib's."""
    message = f"own work: your {answer.title} uses {answer.whose} ({detail}): write your own"
    print(message)
    return AssertionError(message)


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
