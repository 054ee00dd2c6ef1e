"""What a graded run emits instead of judging: while autograder/grade.py grades (see
mode.recording), the checks emit what they compare as records, display data of type
RECORD_MIME (the part's name and its numbers as .npy, or what was there instead), and the
grading process compares the trusted run's records with the student's kernel's, outside the
kernel (autograder/engine/judge.py).

The trusted run also emits the record "__answer_code__": the sprintlib functions the model
answers ran (``_answer_code``), which autograder/grade.py removes from the sprintlib of the
students' kernels; never the contract every layer shares, nor this package's own code.
Code that runs in a student's kernel emits through
``__import__("sprintlib.grading").grading._emit(...)``.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np

from . import mode
from .own_work import _GRADING, _HERE, _SHARED, _path, _profiling
from .values import _Absent, _numbers

#: the MIME type of one record in a test cell's outputs
RECORD_MIME = "application/vnd.sprintlib.record+json"


def _npy(arr: np.ndarray) -> str:
    """An array as a record carries it: base64 of np.save's bytes (no pickles)."""
    import base64

    buf = io.BytesIO()
    np.save(buf, np.array(arr, order="C"), allow_pickle=False)  # (ascontiguousarray makes a 0-d array 1-d)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _from_npy(text: str) -> np.ndarray:
    """The array of ``_npy(arr)``."""
    import base64

    return np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)


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
    if mode.recording() != "expected":
        yield
        return
    global _CONTRACT_CODE
    if _CONTRACT_CODE is None:
        from ..layers.fc import FC
        from ..initializers import SimpleInitializer
        _CONTRACT_CODE = set()
        fc = FC(2, 2, SimpleInitializer(random_state=0))
        with _profiled(_CONTRACT_CODE):
            fc.backward(np.ones((1, 2)) + 0 * fc.forward(np.ones((1, 2))))
    ran = set()
    try:
        with _profiled(ran):
            yield
    finally:
        harness = _SHARED | {_HERE / "testing.py"}  # and every module of this package
        code = sorted({c for c in ran - _CONTRACT_CODE
                       if _path(c[0]) not in harness and not _path(c[0]).is_relative_to(_GRADING)})
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
