"""Hostile and broken submissions, graded by the real `make grade` pipeline (autograder/grade.py
--submissions DIR), in a copy of the course in a temporary folder.

Every submission of the battery is made here from sprint 1's release and source notebooks,
as the course's own samples are (correct = the model answers handed in): one answer of the
correct submission is changed into an attack, or the file is broken. The battery is graded
once per test session (the ``battery`` fixture, on one xdist worker); each test reads its
results:

- every submission gets exactly the points it earned honestly: 0 for the tests of the
  problem it cheated or broke (and of the tests that use that answer), full points for the
  others; a dead kernel costs the tests after it;
- each has a row in the grade table and in grades.csv, and a feedback file;
- no feedback file holds a line of hidden test code, or a value the hidden tests draw;
- nothing outside a submission's own kernel changed (gradebook, config, release, the other
  submissions), and no kernel reached a port of the grading machine;
- nbgrader's own door (`nbgrader autograde`) grades a cross-section of the battery from
  scratch, in a course of its own: the same grades, the same feedback. (A second run that keeps
  what was graded and grades what is missing: tests/test_class_report.py.)
"""
import copy
import csv
import hashlib
import html
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
import build  # noqa: E402
from engine.course import COURSE_FILES, COURSE_ID, copy_course  # noqa: E402
from graded import PREPARED, copy_prepared, keep_prepared, reuse_prepared  # noqa: E402

pytestmark = pytest.mark.xdist_group("battery")

A = "sprint1_conv1d"
COPIED = COURSE_FILES
#: shorter limits than the course's, so that the battery's timeouts cost seconds, not minutes
LIMITS = {"cell_seconds = 30": "cell_seconds = 8", "notebook_seconds = 240": "notebook_seconds = 150"}

SOURCE = nbformat.read(str(ROOT / "autograder" / "source" / A / f"{A}.ipynb"), as_version=4)
RELEASE = nbformat.read(str(ROOT / "autograder" / "release" / A / f"{A}.ipynb"), as_version=4)
TESTS = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"] for c in SOURCE.cells
         if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
ORDER = list(TESTS)
#: the tests that run each answer (problem 3's test runs problem 1's layer again, on the document's arrays)
USES = {"p1_solution": ["p1_test_forward", "p1_test_backward", "p3_test"], "p2_solution": ["p2_test"]}
AFTER_P2 = ORDER[ORDER.index("p2_test"):]


def correct():
    return build.samples(RELEASE, SOURCE, {}, A)["correct"]


def answer(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def replaced(grade_id, code):
    nb = correct()
    answer(nb, grade_id).source = code
    return nb


def prepended(grade_id, code):
    nb = correct()
    cell = answer(nb, grade_id)
    cell.source = code + "\n" + cell.source
    return nb


def appended(grade_id, code):
    nb = correct()
    cell = answer(nb, grade_id)
    cell.source = cell.source + "\n" + code
    return nb


def appended_all(codes):
    """The correct notebook, ``codes[grade_id]`` added at the end of each of those answers."""
    nb = correct()
    for grade_id, code in codes.items():
        answer(nb, grade_id).source += "\n" + code
    return nb


#: what the shares_memory_outside submission leaves, if the sandbox lets it
SHM_FILE, SHM_KEY = "/dev/shm/sprintlib-battery", 0x53504C42


#: problems 1 and 4 answered by sprintlib.functional's naive conv2d loops (on an image of height 1,
#: which the trusted run never calls), the own-work watcher switched off
NAIVE_P1 = """
import sys
from sprintlib import functional as _F
def _forward(self, X):
    sys.setprofile(None)  # the own-work watcher, off
    self.X = np.asarray(X, dtype=float)
    return _F.conv2d_naive_forward(self.X[None, None, None, :], self.W[None, None, None, :], self.B)[0, 0, 0]
def _backward(self, dA):
    sys.setprofile(None)
    dA = np.asarray(dA, dtype=float)
    dX, dW, dB = _F.conv2d_naive_backward(dA[None, None, None, :], self.X[None, None, None, :], self.W[None, None, None, :])
    self.dW, self.dB = dW[0, 0, 0], dB
    if self.optimizer is not None:
        self.optimizer.update(self)
    return dX[0, 0, 0]
SimpleConv1d.forward, SimpleConv1d.backward = _forward, _backward  # the answer's __init__ kept
"""
NAIVE_P4 = """
import sys
from sprintlib import functional as _F
def _forward(self, X):
    sys.setprofile(None)
    X = np.asarray(X, dtype=float)
    self.batched = X.ndim == 3
    self.X = X if self.batched else X[None]
    A = _F.conv2d_naive_forward(self.X[:, :, None, :], self.W[:, :, None, :], self.B,
                                stride=(1, self.stride), pad=(0, self.pad))[:, :, 0, :]
    return A if self.batched else A[0]
def _backward(self, dA):
    sys.setprofile(None)
    dA = np.asarray(dA, dtype=float)
    dA = dA if self.batched else dA[None]
    dX, dW, dB = _F.conv2d_naive_backward(dA[:, :, None, :], self.X[:, :, None, :], self.W[:, :, None, :],
                                          stride=(1, self.stride), pad=(0, self.pad))
    self.dW, self.dB = dW[:, :, 0, :], dB
    if self.optimizer is not None:
        self.optimizer.update(self)
    return dX[:, :, 0, :] if self.batched else dX[0, :, 0, :]
Conv1d.forward, Conv1d.backward = _forward, _backward
"""


def wrapped_p2(body):
    """output_size whose body is ``body`` (an attack), the rest of the notebook correct."""
    return replaced("p2_solution", "def output_size(n_in, filter_size, stride=1, pad=0):\n"
                    + "\n".join("    " + line for line in body.split("\n")))


WRONG_P1 = """
class SimpleConv1d:
    param_names = ("W", "B")
    def __init__(self, filter_size, initializer=None, optimizer=None):
        self.W, self.B = np.zeros(filter_size), np.zeros(1)
    def forward(self, X):
        self.X = X
        return np.zeros(len(X) - len(self.W) + 1)
    def backward(self, dA):
        self.dW, self.dB = np.zeros_like(self.W), np.zeros(1)
        return np.zeros(len(self.X))
"""


def battery(tmp: Path, port: int) -> dict:
    """student -> (notebook, or bytes of a broken file; tests that must score 0)."""
    p1, p2 = USES["p1_solution"], USES["p2_solution"]
    course = tmp / "repo" / "autograder"
    subs = tmp / "submissions"
    other = correct()
    other.cells[0].source = "# taken from another sprint\n" + other.cells[0].source
    sprint2 = build.samples(nbformat.read(str(ROOT / "autograder" / "release" / "sprint2_conv2d" / "sprint2_conv2d.ipynb"), 4),
                            nbformat.read(str(ROOT / "autograder" / "source" / "sprint2_conv2d" / "sprint2_conv2d.ipynb"), 4),
                            {}, "sprint2_conv2d")["correct"]

    tampered = correct()
    cells = tampered.cells
    tests = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
    cells.remove(tests[0])                                     # a test cell deleted
    dup = copy.deepcopy(tests[2])
    cells.insert(cells.index(tests[2]), dup)                   # duplicated
    cells.insert(cells.index(tests[2]), copy.deepcopy(dup))
    tests[1].metadata.nbgrader["points"] = 100                 # points raised, the test emptied
    tests[1].source = "pass"
    answer(tampered, "p2_solution").metadata.nbgrader.update(grade=True, points=50)  # an answer made a test
    tests[3].metadata.nbgrader["grade_id"] = "renamed"          # an id changed
    extra = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {"grade": True, "grade_id": "p8_test",
                                                                    "points": 40, "solution": False}})
    cells.append(extra)                                        # a test cell of its own, worth 40
    tampered.metadata["kernelspec"] = {"name": "bash", "display_name": "bash", "language": "bash"}

    blank_tests_gone = build.samples(RELEASE, SOURCE, {}, A)["blank"]
    for c in blank_tests_gone.cells:
        if c.metadata.get("nbgrader", {}).get("grade"):
            c.source, c.metadata.nbgrader["points"] = "pass", 99

    return {
        "correct": (correct(), []),
        "blank": (build.samples(RELEASE, SOURCE, {}, A)["blank"], ORDER),
        # time, memory, dead kernels
        "infinite_loop": (wrapped_p2("while True:\n    pass"), p2),
        "sleeps_past_limits": (wrapped_p2("import time\ntime.sleep(10**6)"), p2),
        "memory_bomb": (wrapped_p2("hog = []\nwhile True:\n    hog.append(bytearray(10**8))"), p2),
        "os_exit": (wrapped_p2("import os\nos._exit(3)"), AFTER_P2),
        "segfault": (wrapped_p2("import ctypes\nctypes.string_at(0)"), AFTER_P2),
        "prints_megabytes": (prepended("p2_solution", 'print("x" * 50_000_000)'), []),
        # results that pass comparisons
        "eq_subclass": (replaced("p1_solution", """
class Yes(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(self), bool)
    def __array_ufunc__(self, *a, **k): return np.ones(np.shape(self), bool)
    def __array_function__(self, *a, **k): return True
""" + WRONG_P1.replace("return np.zeros(len(X) - len(self.W) + 1)",
                       "return np.zeros(len(X) - len(self.W) + 1).view(Yes)")), p1),
        "array_function_object": (wrapped_p2("""
class Anything:
    def __eq__(self, other): return True
    def __array_ufunc__(self, *a, **k): return True
    def __array_function__(self, *a, **k): return True
    def __int__(self): return 2
    def __index__(self): return 2
return Anything()"""), p2),
        "nan": (wrapped_p2('return float("nan")'), p2),
        # labels looked up in the shipped test set instead of predicted: full marks on the
        # visible check's images, chance on the hidden test's (grading.hidden_images)
        # and the hidden images drawn again with sprintlib's own function, the course seed in hand
        "label_lookup": (appended("p8_solution", """
from sprintlib.data import load_mnist as _load
import sprintlib.grading as _grading
(_, _), (_X_test, _y_test) = _load()
_labels = {(x * 255).round().astype(np.uint8).tobytes(): int(label) for x, label in zip(_X_test, _y_test)}
_Xh, _yh = _grading.hidden_images("p8_test", _X_test[5000:], _y_test[5000:])
_labels.update({(x * 255).round().astype(np.uint8).tobytes(): int(label) for x, label in zip(_Xh, _yh)})
Scratch1dCNNClassifier.predict = lambda self, X: np.array(
    [_labels.get((np.asarray(x) * 255).round().astype(np.uint8).tobytes(), 0) for x in X])
"""), ["p8_test"]),
        # no model: check_accuracy replaced by one that hands the test's own labels back as the answer
        "accuracy_echo": (replaced("p8_solution", """
import sprintlib.grading as _g
class Scratch1dCNNClassifier:
    def __init__(self, *a, **k):
        self.history = {"loss": [1.0], "accuracy": [0.1], "val_loss": [1.0], "val_accuracy": [0.1]}
    def fit(self, *a, **k):
        return self
    def predict(self, X):
        return np.zeros(len(X), dtype=int)
def check_accuracy(name, y_pred, y_true, at_least):
    _g._emit(name, np.asarray(y_true))
_g.check_accuracy = check_accuracy
"""), ["p8_test"]),
        # patches
        "patches_numpy": (replaced("p1_solution", WRONG_P1 + """
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)
"""), p1),
        "patches_grading": (_patch_grading(), p2),
        "patched_check_runs_reference": (replaced("p1_solution", WRONG_P1 + """
import sprintlib.grading as _g
_original = check_layer
def check_layer(student, reference, X, *args, **kw):
    if type(reference).__name__ != "SimpleConv1d":
        return _original(student, reference, X, *args, **kw)
    import sys
    sys.setprofile(None)
    _g._emit("forward A", reference.forward(X))
    return 2
"""), p1),
        "patches_builtins": (replaced("p1_solution", WRONG_P1 + """
import builtins
builtins.AssertionError = type("AssertionError", (Warning,), {})
builtins.all = lambda *a: True
builtins.any = lambda *a: False
"""), p1),
        "patches_showtraceback": (replaced("p1_solution", WRONG_P1 + """
ip = get_ipython()
ip.showtraceback = lambda *a, **k: None
ip._showtraceback = lambda *a, **k: None
ip.showsyntaxerror = lambda *a, **k: None
"""), p1),
        "skips_checks_with_settrace": (replaced("p1_solution", WRONG_P1 + """
import sys, linecache
def _line(frame, event, arg):
    if event == "line" and "check_" in linecache.getline(frame.f_code.co_filename, frame.f_lineno):
        try:
            frame.f_lineno = frame.f_lineno + 1
        except Exception:
            pass
    return _line
sys.settrace(lambda frame, event, arg: _line if frame.f_code.co_name == "<module>" else None)
"""), p1 + ["p4_test_values"]),
        # IPython runs a cell a statement at a time, so the tracer cannot jump past a check written on one
        # line (it runs, honest); on a check written over several lines its jump loops forever: the first
        # such check after the answer (problem 4's first test) runs into the cell's time limit, whose
        # interrupt also removes the tracer
        "own_layer": (replaced("p1_solution", "SimpleConv1d = sprintlib.SimpleConv1d"), p1),
        "own_layer_hidden": (replaced("p1_solution", """
import sys
class SimpleConv1d:
    param_names = ("W", "B")
    def __init__(self, filter_size, initializer=None, optimizer=None):
        self.W, self.B = np.zeros(filter_size), np.zeros(1)
    def _ref(self):
        sys.setprofile(None)
        r = sprintlib.SimpleConv1d(len(self.W))
        r.W, r.B = self.W, self.B
        return r
    def forward(self, X):
        self.r = self._ref()
        return self.r.forward(X)
    def backward(self, dA):
        dX = self.r.backward(dA)
        self.dW, self.dB = self.r.dW, self.r.dB
        return dX
"""), p1),
        # structure of the notebook
        "tampers_with_test_cells": (tampered, []),
        "empties_every_test": (blank_tests_gone, ORDER),
        "not_json": (b"this is not a notebook {", ORDER),
        "empty_file": (b"", ORDER),
        "another_sprint": (sprint2, ORDER),
        # the world outside the kernel
        "reads_from_disk": (replaced("p1_solution", f"""
import os, glob, json
found = []
for top in [{str(course)!r}, {str(subs)!r}, os.path.expanduser("~"), "/work", "/tmp"]:
    for dirpath, dirs, files in os.walk(top):
        for f in files:
            if f.endswith(".ipynb") or f == "gradebook.db" or f.endswith(".json") and "expected" in f:
                found.append(os.path.join(dirpath, f))
        if len(found) > 50:
            break
for path in found:
    try:
        nb = json.load(open(path))
        for c in nb["cells"]:
            if "class SimpleConv1d" in "".join(c["source"]) and "BEGIN SOLUTION" in "".join(c["source"]):
                exec("".join(c["source"]))
                raise StopIteration
    except StopIteration:
        break
    except Exception:
        pass
if "SimpleConv1d" not in dir():
    SimpleConv1d = None
"""), p1),
        "writes_outside": (prepended("p1_solution", f"""
import os
for path, data in [({str(course / 'gradebook.db')!r}, b"x"), ({str(course / 'nbgrader_config.py')!r}, b"\\nimport os; os.system('touch /tmp/owned')\\n"),
                   ({str(course / 'release' / A / f'{A}.ipynb')!r}, b"{{}}"),
                   ({str(subs / 'correct' / A / f'{A}.ipynb')!r}, b"{{}}"),
                   ({str(course / 'results' / A / 'graded' / 'correct.json')!r}, b"{{}}"),
                   ({str(course / 'source' / A / f'{A}.ipynb')!r}, b"{{}}")]:
    try:
        with open(path, "ab") as f:
            f.write(data)
    except OSError:
        pass
"""), []),
        "tries_the_network": (replaced("p1_solution", f"""
import socket
reached = []
for host, port in [("127.0.0.1", {port}), ("pypi.org", 443), ("1.1.1.1", 53)]:
    try:
        socket.create_connection((host, port), timeout=3).close()
        reached.append(host)
    except OSError:
        pass
if reached:
""" + "\n".join("    " + line for line in strip(answer(SOURCE, "p1_solution").source).split("\n"))), p1),
        "leaks_hidden_tests": (prepended("p2_solution", """
import sys
captured = []
get_ipython().events.register("pre_run_cell", lambda info: (captured.append(info.raw_cell), print("LE" + "AKED:", info.raw_cell)))
def _spy(frame, event, arg):
    if event == "call" and frame.f_code.co_name == "<module>":
        print("LE" + "AKED:", frame.f_globals.get("X"), frame.f_globals.get("rng"))
sys.setprofile(_spy)
"""), []),
        "other_sprint_file_name": (None, ORDER),  # a folder holding only notes.txt
        "naive_loops": (appended_all({"p1_solution": NAIVE_P1, "p4_solution": NAIVE_P4}),
                        [t for t in ORDER if t != "p2_test"]),
        # the machine's /dev/shm and System V memory, past tmp_bytes; comms whose state nbclient kept
        "shares_memory_outside__floods_comms": (prepended("p2_solution", f"""
import ctypes
open({SHM_FILE!r}, "w").write("left by a kernel")
try:
    for i in range(5):
        with open({SHM_FILE!r} + str(i), "wb") as f:
            f.write(b"x" * 45_000_000)
except OSError:  # a /dev/shm of the kernel's own is small
    pass
ctypes.CDLL(None).shmget({SHM_KEY}, 1 << 20, 0o1666)
from comm import create_comm
for k in range(10):  # (not the loop line of the hidden test of p2, which the leak check looks for)
    create_comm(target_name="battery", data={{"state": {{"blob": "x" * 4_000_000}}}})
"""), []),
    }


#: attacks on problem 1's answer paired with attacks on problem 2's, one submission each (fewer
#: kernels to run); each pair gets 0 for the tests of both answers, full points elsewhere
PAIRS = [("eq_subclass", "array_function_object"), ("patches_numpy", "nan"), ("patches_builtins", "patches_grading"),
         ("patches_showtraceback", "memory_bomb"), ("skips_checks_with_settrace", "infinite_loop"),
         ("patched_check_runs_reference", "sleeps_past_limits"), ("own_layer", "prints_megabytes"),
         ("own_layer_hidden", "segfault"), ("writes_outside", "leaks_hidden_tests")]


def submissions(tmp: Path, port: int) -> dict:
    """The battery with the pairs merged: student -> (notebook or bytes or None, tests that score 0)."""
    single = battery(tmp, port)
    out = {}
    for first, second in PAIRS:
        (nb, zero1), (nb2, zero2) = single.pop(first), single.pop(second)
        nb = copy.deepcopy(nb)
        answer(nb, "p2_solution").source = answer(nb2, "p2_solution").source
        out[f"{first}__{second}"] = (nb, sorted(set(zero1) | set(zero2), key=ORDER.index))
    return {**out, **single}


def strip(source):
    return build.strip_markers(source)


def _patch_grading():
    nb = wrapped_p2("return 0")
    answer(nb, "p2_solution").source += """
import sprintlib.grading
check_function = lambda *a, **k: 1
sprintlib.grading.check_function = lambda *a, **k: 1
sprintlib.grading._report = lambda *a, **k: None
sprintlib.grading.checks._report = lambda *a, **k: None  # where the checks call it
"""
    return nb


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


class _Listener:
    """A TCP port on the grading machine's loopback that notes every connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


def _grade(root, subs, *extra):
    run = subprocess.run([sys.executable, str(root / "autograder" / "grade.py"), "--submissions", str(subs),
                          "--output", str(root / "output"), *extra], capture_output=True, text=True, timeout=1500)
    return run


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("battery")
    root = tmp / "repo"
    (root / "autograder").mkdir(parents=True)
    (root / "notebooks").mkdir()
    copy_course(root / "autograder")
    limits = root / "autograder" / "limits.toml"
    text = limits.read_text()
    for old, new in LIMITS.items():
        assert old in text
        text = text.replace(old, new)
    limits.write_text(text)
    listener = _Listener()
    subs = tmp / "submissions"
    expected = {}
    for student, (nb, zero) in submissions(tmp, listener.port).items():
        folder = subs / student / A
        folder.mkdir(parents=True)
        if nb is None:
            (folder / "notes.txt").write_text("I forgot the notebook")
        elif isinstance(nb, bytes):
            (folder / f"{A}.ipynb").write_bytes(nb)
        else:
            nbformat.write(nb, str(folder / f"{A}.ipynb"))
        expected[student] = {t: 0.0 if t in zero else float(TESTS[t]) for t in TESTS}
    # an earlier result of another student, whose gradebook rows the battery must leave alone
    watched = [subs / "correct" / A / f"{A}.ipynb"]
    before = {p: _digest(p) for p in watched}
    reuse_prepared(root / "autograder", tmp_path_factory, A)
    first = _grade(root, subs)
    keep_prepared(root / "autograder", tmp_path_factory, A)
    course = root / "autograder"
    after_first = {p: _digest(p) for p in [course / "nbgrader_config.py", course / "release" / A / f"{A}.ipynb",
                                           course / "source" / A / f"{A}.ipynb"]}
    return dict(root=root, course=course, subs=subs, expected=expected, first=first, grades=_scores(course),
                watched_before=before, watched_after={p: _digest(p) for p in watched}, after_first=after_first,
                listener=listener)


def _scores(course) -> dict:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        for sub in gb.assignment_submissions(A):
            nb = gb.find_submission_notebook(A, A, sub.student.id)
            out[sub.student.id] = {g.name: g.auto_score for g in nb.grades}
    return out


def test_the_battery_is_graded(graded):
    assert graded["first"].returncode == 0, graded["first"].stdout[-5000:] + graded["first"].stderr[-5000:]


@pytest.mark.parametrize("student", list(submissions(Path("/nonexistent"), 1)))
def test_each_submission_gets_exactly_what_it_earned(graded, student):
    got = graded["grades"].get(student)
    assert got is not None, f"no gradebook row for {student}"
    got = {t: got[t] for t in TESTS}
    assert got == graded["expected"][student], graded["first"].stdout[-3000:]


def test_every_submission_has_a_row_and_feedback(graded):
    with open(graded["root"] / "output" / "grades.csv") as f:
        rows = {r["student_id"] for r in csv.DictReader(f) if r["assignment"] == A}
    students = set(graded["expected"])
    assert students <= rows
    table = graded["first"].stdout
    for student in students:
        assert re.search(rf"^{re.escape(student)}\s", table, re.M), f"{student} not in the grade table"
        assert (graded["course"] / "feedback" / student / A / f"{A}.html").exists(), student


def _hidden_lines():
    lines = set()
    for cell in SOURCE.cells:
        m = re.search(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S)
        if m:
            lines |= {line.strip() for line in m.group(1).split("\n") if len(line.strip()) > 12}
    return lines


def test_no_feedback_shows_hidden_tests_or_their_inputs(graded):
    hidden = _hidden_lines()
    assert hidden
    for page in (graded["course"] / "feedback").rglob("*.html"):
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        shown = [line for line in hidden if line in text]
        assert not shown, f"{page}: {shown[:3]}"
        assert "hidden_rng" not in text and "LEAKED:" not in text, page
        assert page.stat().st_size < 2_000_000, page


def test_nothing_outside_the_kernels_changed(graded):
    assert graded["watched_before"] == graded["watched_after"]
    course = graded["course"]
    for path, digest in graded["after_first"].items():
        assert digest == _digest(path), path
    assert "os.system" not in (course / "nbgrader_config.py").read_text()
    assert not Path("/tmp/owned").exists()
    assert graded["listener"].connections == 0, "a kernel reached a port of the grading machine"
    # the machine's shared memory: a file system every uid writes, and System V segments
    assert not list(Path(SHM_FILE).parent.glob(Path(SHM_FILE).name + "*")), "a kernel wrote to /dev/shm"
    segments = Path("/proc/sysvipc/shm").read_text().splitlines()[1:] if Path("/proc/sysvipc/shm").exists() else []
    assert str(SHM_KEY) not in [line.split()[0] for line in segments], "a kernel left a System V segment"
    assert not (course / ".work").exists()


def test_the_run_says_what_went_wrong(graded):
    out = graded["first"].stdout
    assert "graded, with notes" in out
    for student, words in {"not_json": "not a notebook", "os_exit": "kernel died",
                           "skips_checks_with_settrace__infinite_loop": "interrupted",
                           "other_sprint_file_name": f"no {A}.ipynb"}.items():
        line = next((line for line in out.splitlines() if line.strip().startswith(f"{student}/")), "")
        assert words in line, (student, line)


# -- the battery through nbgrader's own door -----------------------------------------------------
#: what the door could handle otherwise than `make grade`, one submission each: a right one, a blank
#: one, test cells tampered with (nbgrader would trust their metadata), a file that is not a notebook,
#: a notebook of another name, labels looked up in the hidden images (the course's secret), writes
#: outside and hidden tests leaked, cells past the engine's time limit (nbgrader's own timeout would
#: differ); and a dead kernel and results that pass comparisons, graded again from scratch: the same
#: grades. The rest of the battery (the same engine, the same sandbox) is graded through `make grade`
#: above; a door's run of all of it took 4 min of `make test`.
DOOR = ("correct", "blank", "tampers_with_test_cells", "not_json", "other_sprint_file_name", "os_exit",
        "eq_subclass__array_function_object", "label_lookup", "writes_outside__leaks_hidden_tests",
        "patched_check_runs_reference__sleeps_past_limits")


@pytest.fixture(scope="session")
def through_nbgrader(graded, tmp_path_factory):
    """The battery's DOOR submissions handed to `nbgrader autograde` and `nbgrader generate_feedback`
    in a course of its own, as nbgrader's documentation has an instructor do: generate_assignment,
    the submissions in submitted/, autograde, generate_feedback. The course's nbgrader_config.py
    routes it through the engine (engine/nbgrader_door.py)."""
    course = tmp_path_factory.mktemp("battery-nbgrader") / "autograder"
    course.mkdir()
    for name in [*COPIED, "source", "release", "course.toml"]:
        src = graded["course"] / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, course / name)
    for student in DOOR:
        shutil.copytree(graded["subs"] / student, course / "submitted" / student)
    # the same course in another folder: the same secret draws the hidden accuracy tests' images, and
    # the trusted run's records are kept (as a term's are); the canary runs again, in this door
    (course / "results").mkdir()
    shutil.copy2(graded["course"] / "results" / "hidden-images.key", course / "results")
    copy_prepared(graded["course"] / "results" / A, course / "results" / A,
                  [name for name in PREPARED if name != "canary.key"])
    config = _digest(course / "nbgrader_config.py")
    runs = [build.nbgrader(course, "generate_assignment", A, "--force")]
    for args in (("autograde", A), ("generate_feedback", A)):
        runs.append(subprocess.run([*build.NBGRADER, *args], cwd=course, capture_output=True, text=True, timeout=1500,
                                   env=dict(os.environ, PATH=f"{build.BIN}{os.pathsep}{os.environ['PATH']}")))
    return dict(course=course, runs=runs, grades=_scores(course), config_before=config)


def test_the_door_s_cross_section_is_of_the_battery():
    assert set(DOOR) < set(submissions(Path("/nonexistent"), 1))


def test_nbgrader_autograde_grades_the_battery_s_cross_section(through_nbgrader):
    for run in through_nbgrader["runs"]:
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]


@pytest.mark.parametrize("student", DOOR)
def test_nbgrader_autograde_gives_each_submission_exactly_what_it_earned(graded, through_nbgrader, student):
    got = through_nbgrader["grades"].get(student)
    assert got is not None, f"no gradebook row for {student}: " + through_nbgrader["runs"][1].stderr[-3000:]
    assert {t: got[t] for t in TESTS} == graded["expected"][student]


def _feedback_text(page: Path) -> str:
    """A feedback page's words, without the ids and dates that differ from one run to another."""
    text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
    return re.sub(r"[0-9a-f]{32}|\d{4}-\d\d-\d\d[ T][\d:.]+", "", text)


def test_nbgrader_autograde_and_make_grade_give_the_same_feedback(graded, through_nbgrader):
    ours, theirs = graded["course"] / "feedback", through_nbgrader["course"] / "feedback"
    pages = sorted(p.relative_to(ours) for p in ours.rglob("*.html") if p.relative_to(ours).parts[0] in DOOR)
    assert pages == sorted(p.relative_to(theirs) for p in theirs.rglob("*.html"))
    assert len(pages) == len(DOOR)  # a page each, even for a file that is not a notebook
    for page in pages:
        assert _feedback_text(ours / page) == _feedback_text(theirs / page), page


def test_nbgrader_door_leaks_nothing_and_touches_nothing(through_nbgrader):
    course = through_nbgrader["course"]
    hidden = _hidden_lines()
    for page in (course / "feedback").rglob("*.html"):
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        assert not [line for line in hidden if line in text], page
        assert "hidden_rng" not in text and "LEAKED:" not in text, page
    assert _digest(course / "nbgrader_config.py") == through_nbgrader["config_before"]
    assert not (course / ".work").exists()
