"""Phase "judge": a test part's records, from the student's kernel, against the trusted run's.

In the kernel (``SPRINTLIB_GRADING_RECORD=got``) sprintlib.grading's checks emit what the
student's code gave, as records (display data of sprintlib's MIME type: a name and an .npy
array); in the trusted run (``=expected``) they emit what the reference gives, and the
values each known mistake would give (the hints). A part passes when the student's run
emitted the same records in the same order, each within the check's tolerance of the
expected one, and its end record: decided here, in the grading process, which the student's
code cannot reach. The verdict is data (engine/verdict.py); engine/feedback.py words it.
"""
from __future__ import annotations

import base64
import io
import re

import numpy as np

from sprintlib import grading
# the comparison's own functions, which the notebooks' checks use too (sprintlib/grading/comparison.py)
from sprintlib.grading.comparison import _accuracy_problem, _bounds_problem, _matches, _ok, _read_numbers, _tolerance
from sprintlib.grading.history import EPOCH_LOSSES, epoch_loss_verdict
from sprintlib.grading.mistakes import _fitted_prediction

from .submission import ANSWER_CODE, END_RECORD
from .verdict import NOT_CHECKED, NOT_NUMBERS, OK, WRONG, Check, PartVerdict

#: an exception's type name as the kernel reported it (anything else is not shown)
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,79}")
#: what of an exception's message the feedback shows
MESSAGE_CHARS = 400
#: a number in a message (integers, decimals, exponents): hidden in a hidden part's message
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
#: why a part did not finish, by its cell's status
STOPPED = {"timeout": "it ran past the time limit", "dead": "the kernel died",
           "not run": "it did not run (an earlier cell stopped the notebook)"}


def records(cell) -> list[dict]:
    found = []
    for out in cell.get("outputs", []):
        rec = out.get("data", {}).get(grading.RECORD_MIME) if out.get("output_type") == "display_data" else None
        if isinstance(rec, dict) and isinstance(rec.get("name"), str):
            found.append(rec)
    return found


def decode(rec: dict):
    npy = rec.get("npy")
    if not isinstance(npy, str):
        return None
    try:
        arr = np.load(io.BytesIO(base64.b64decode(npy, validate=True)), allow_pickle=False)
    except Exception:
        return None
    return arr if isinstance(arr, np.ndarray) and arr.dtype.kind in "biuf" else None


def part_summary(cell, status: str) -> dict:
    """What one executed part left: its records (without the end record), whether it ended."""
    recs = records(cell)
    ended = any(r["name"] == END_RECORD for r in recs)
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    ename = errors[0].get("ename", "") if errors else ""
    evalue = errors[0].get("evalue", "") if errors else ""
    return {"records": [r for r in recs if r["name"] not in (END_RECORD, ANSWER_CODE)],
            "answer_code": [c for r in recs if r["name"] == ANSWER_CODE for c in r.get("code", [])],
            "ended": ended and status == "ok", "status": status,
            "ename": ename if isinstance(ename, str) and NAME.fullmatch(ename) else "",
            "evalue": evalue[:MESSAGE_CHARS] if isinstance(evalue, str) else ""}


def judge(expected: dict, got: dict, hidden: bool) -> PartVerdict:
    """The verdict on one part: this process's comparison, never the kernel's."""
    checks = []
    exp_recs, got_recs = expected["records"], got["records"]
    fitted = _FittedParts(exp_recs, got_recs)
    shift = 0  # records the student's run did not emit: a tuple's entries that came as one value
    for k, e in enumerate(exp_recs):
        g = got_recs[k - shift] if k - shift < len(got_recs) else None  # the student's record in its place
        if g is not None and _one_for_a_tuple(e["name"], g["name"]):
            n = _tuple_size(exp_recs, k, g["name"])
            checks.append(Check(e["name"], WRONG, f"{g['name']}: expected a tuple of {n} results, got {_described(g)}"))
            if k + 1 < len(exp_recs) and _one_for_a_tuple(exp_recs[k + 1]["name"], g["name"]):
                shift += 1  # the tuple's next entry is judged against the same record
            continue
        checks.append(judge_check(e, g, hidden, lambda got, tol, k=k: fitted.hint(k, got, tol, hidden),
                                  lambda offset, k=k, shift=shift: _sibling(exp_recs, got_recs, k + offset, shift)))
    extra = max(0, len(got_recs) - (len(exp_recs) - shift))
    stopped = "" if got["ended"] else stop_reason(got, hidden)
    passed = all(c.status == OK for c in checks) and not extra and not stopped
    return PartVerdict("hidden" if hidden else "visible", passed, checks, stopped, extra)


def _one_for_a_tuple(expected_name: str, got_name: str) -> bool:
    """Whether the trusted run checked ``got_name``'s result entry by entry ("size[0]",
    "size[1]") where the student's function gave one value ("size": a list, an array...)."""
    return expected_name.startswith(got_name + "[") and expected_name[len(got_name) + 1:-1].isdigit() \
        and expected_name.endswith("]")


def _tuple_size(exp_recs: list[dict], k: int, got_name: str) -> int:
    """How many entries the tuple of the expected record k has: name[0], name[1]... in a row."""
    first = k - int(exp_recs[k]["name"][len(got_name) + 1:-1])
    n = 0
    while first + n < len(exp_recs) and exp_recs[first + n]["name"] == f"{got_name}[{n}]":
        n += 1
    return max(n, 1)


def _described(got_rec: dict) -> str:
    """What the student's function gave instead of a tuple, as the notebook's check words it."""
    described = got_rec.get("described")
    return described[:200] if isinstance(described, str) and described else "one value"


def _sibling(exp_recs: list, got_recs: list, j: int, shift: int = 0):
    """The student's value of record ``j`` (another entry of the same tuple; the student's run
    emitted it ``shift`` places earlier), or None when it is not there or is not the expected
    record's (a run that stopped or checked other things)."""
    if not 0 <= j < len(exp_recs) or not 0 <= j - shift < len(got_recs) \
            or got_recs[j - shift]["name"] != exp_recs[j]["name"]:
        return None
    return decode(got_recs[j - shift])


def judge_check(e: dict, g: dict | None, hidden: bool, fitted_hint=None, sibling=None) -> Check:
    """One expected record against the record the student's run emitted in its place;
    ``fitted_hint(got, tol)``, if given, names a mistake whose free quantity is read off the
    student's values (see _FittedParts) where no recorded mistake gives them."""
    name = e["name"]
    if g is None or g["name"] != name:
        return Check(name, NOT_CHECKED, f"{name}: not checked (the test stopped before this check, or ran other checks)")
    expected_arr, got_arr = decode(e), decode(g)
    if got_arr is None:
        return Check(name, NOT_NUMBERS, not_numbers(name, g.get("what")))
    if e.get("kind") in ("accuracy", "bounds"):
        problem, verdict = other_check(e, got_arr, expected_arr)
        return Check(name, WRONG if problem else OK, problem or verdict)
    if e.get("kind") == EPOCH_LOSSES:
        return epoch_loss_check(e, g, got_arr, hidden)
    tol = tolerance(e, expected_arr)
    compared = grading.compare(name, got_arr, expected_arr, tol=tol)
    shapes = {} if hidden else {"expected_shape": list(expected_arr.shape), "got_shape": list(got_arr.shape)}
    if compared.message is None:
        return Check(name, OK, _ok(name, compared.err), error=compared.err, **shapes)
    return Check(name, WRONG, compared.hidden_message if hidden else compared.message,
                 hint=mistake_hint(e, got_arr, tol, hidden, sibling) or (fitted_hint(got_arr, tol) if fitted_hint else ""),
                 error=compared.err, **shapes)


def stop_reason(got: dict, hidden: bool) -> str:
    """Why a part did not reach its end record, in words: the exception's type and message (the
    readable errors of sprintlib's checks and layers say what to fix). A hidden part's message
    is shown without its numbers, which may come from the hidden test's inputs."""
    what = STOPPED.get(got["status"])
    if what is None:
        message = " ".join(str(got.get("evalue", "")).split())
        if hidden and message:
            message = NUMBER.sub("…", message) + " (numbers hidden: they come from the hidden test's inputs)"
        what = "an exception was raised" + (f": {got['ename']}" if got["ename"] else "") + \
            (f": {message}" if message else "")
    return what


def other_check(e: dict, got: np.ndarray, expected: np.ndarray) -> tuple[str | None, str]:
    """(problem or None, verdict) of check_accuracy (labels against the trusted run's true
    labels) and check_bounds (the student's numbers against the trusted run's bounds)."""
    name = e["name"]
    if e["kind"] == "accuracy":
        at_least = e.get("at_least")
        return _accuracy_problem(name, got, expected, float(at_least) if isinstance(at_least, (int, float)) else 1.0)
    below = e.get("below")
    problem = _bounds_problem(name, got, float(below) if isinstance(below, (int, float)) else None,
                                      e.get("decreasing") is True)
    return problem, f"{name}: OK"


def epoch_loss_check(e: dict, g: dict, losses: np.ndarray, hidden: bool) -> Check:
    """check_epoch_losses (sprints 1 and 2): the student's history["loss"] against the mean over
    each epoch's images of the student's own history["batch_loss"] (carried by the same record),
    the batch sizes and the number of epochs being the trusted run's; the known mistakes are
    tested here, on the student's batch losses (sprintlib.grading.history.epoch_loss_verdict)."""
    name = e["name"]
    sizes, epochs, within = e.get("sizes"), e.get("epochs"), e.get("within")
    if not (isinstance(sizes, list) and sizes and all(type(s) is int and s > 0 for s in sizes)
            and type(epochs) is int and epochs > 0 and isinstance(within, (int, float))):
        return Check(name, WRONG, f"{name}: not checked (the trusted run's record of it is incomplete)")
    batches = decode({"npy": g.get("batch_loss")})
    if batches is None:
        return Check(name, NOT_NUMBERS, 'history["batch_loss"]: expected a list of numbers, got something else')
    problem, words, hint = epoch_loss_verdict(name, losses, batches, sizes, epochs, hidden, float(within))
    return Check(name, WRONG if problem else OK, words, hint=hint)


def tolerance(expected_rec: dict, expected: np.ndarray) -> grading.Tolerance:
    """The check's tolerance, as the trusted run recorded it (the dtype's by default)."""
    tol = expected_rec.get("tol")
    if isinstance(tol, list) and len(tol) == 2 and all(isinstance(t, (int, float)) for t in tol):
        return grading.Tolerance(*map(float, tol))
    return _tolerance(expected)


def mistake_hint(expected_rec: dict, got: np.ndarray, tol: grading.Tolerance, hidden: bool, sibling=None) -> str:
    """The hint of the first known mistake (sprintlib.grading.MISTAKES, SIZE_MISTAKES) whose value, computed
    in the trusted run and carried by the expected record, the student's value equals; for an
    entry of a tuple, its other entries too (the hint's ``together``: ``sibling(offset)`` gives
    the student's value of the entry that many records away, None if there is none)."""
    if got.dtype.kind not in "biuf" or not np.isfinite(got).all():
        return ""
    hints = expected_rec.get("hints")
    for h in hints if isinstance(hints, list) else []:
        candidate = decode(h)
        if candidate is not None and candidate.shape == got.shape and \
                _matches(got.astype(np.float64), candidate.astype(np.float64), tol) and _together(h, tol, sibling):
            return h["hidden_hint"] if hidden else h["hint"]
    return ""


def _together(h: dict, tol, sibling) -> bool:
    """The student's other entries of a tuple are what the mistake gives them (true when the
    hint names none)."""
    together = h.get("together")
    if not together:
        return True
    if not isinstance(together, list) or sibling is None:
        return False
    for t in together:
        other = decode(t) if isinstance(t, dict) and type(t.get("offset")) is int else None
        got = sibling(t["offset"]) if other is not None else None
        if got is None or got.shape != other.shape or \
                not _matches(got.astype(np.float64), other.astype(np.float64), tol):
            return False
    return True


class _FittedParts:
    """The mistakes with a quantity read off the student's values (sprintlib.grading.mistakes.FITTED:
    an RNN's h_0 that is not zero, its bias one number), which no value of the trusted run can carry: its records
    carry the check's inputs instead (on the check's first record, ``fitted_inputs``; on each,
    the mistakes and the record's place in the check, ``check_at``), and the prediction is
    computed here on the student's records of the same check (each part, by its name and
    place), once a check. The mistake is named only when its prediction gives the student's
    value within the tolerance and differs from the expected one."""

    def __init__(self, exp_recs: list, got_recs: list):
        self.exp_recs, self.got_recs, self.predictions = exp_recs, got_recs, {}

    def hint(self, k: int, got: np.ndarray, tol: grading.Tolerance, hidden: bool) -> str:
        e = self.exp_recs[k]
        fitted, at = e.get("fitted"), e.get("check_at")
        if not isinstance(fitted, list) or type(at) is not int or not 0 <= at <= k:
            return ""
        if got.dtype.kind not in "biuf" or not np.isfinite(got).all():
            return ""
        start = k - at
        expected = decode(e)
        for f in fitted:
            if not isinstance(f, dict) or not isinstance(f.get("mistake"), str):
                continue
            candidate = self._predicted(start, f["mistake"]).get(e["name"])
            if not isinstance(candidate, np.ndarray) or candidate.shape != got.shape:
                continue
            candidate = candidate.astype(np.float64)
            if _matches(got.astype(np.float64), candidate, tol) and not (
                    expected is not None and expected.shape == candidate.shape
                    and _matches(candidate, expected.astype(np.float64), _tolerance(candidate))):
                return str(f.get("hidden_hint" if hidden else "hint", ""))
        return ""

    def _predicted(self, start: int, mistake: str) -> dict:
        if (start, mistake) not in self.predictions:
            self.predictions[start, mistake] = self._predict(start, mistake)
        return self.predictions[start, mistake]

    def _predict(self, start: int, mistake: str) -> dict:
        inputs = self.exp_recs[start].get("fitted_inputs")
        if not isinstance(inputs, dict) or not isinstance(inputs.get("parts"), list):
            return {}
        got = {}
        for i, name in enumerate(inputs["parts"]):
            e = self.exp_recs[start + i] if start + i < len(self.exp_recs) else None
            g = self.got_recs[start + i] if start + i < len(self.got_recs) else None
            if e is None or g is None or e.get("name") != name or g.get("name") != name:
                continue  # the student's run checked something else here
            arr = decode(g)
            if arr is not None:
                got[name] = arr
        return _fitted_prediction(mistake, inputs, got)


def not_numbers(name: str, what) -> str:
    """The verdict on a record that is not numbers, in this process's words (the kernel's
    description of what it got is not shown)."""
    if what == "None":
        return _read_numbers(name, None)[1]
    if what == "absent" and name.startswith("backward d"):
        attr = name.split()[-1]
        return f"{name}: your layer has no attribute {attr} after backward: backward should set self.{attr}"
    return f"{name}: expected a numpy array of numbers, got something else"
