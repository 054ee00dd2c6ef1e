"""sprintlib.grading inside nbgrader, end to end, on a one-problem course built here:
generate_assignment strips the solution and the hidden tests; autograde scores a right,
an empty, a wrong, a hard-coded submission (the hidden test puts it back and catches
it) and one that imports sprintlib's layer as its own; the feedback carries grading's message. A right answer (which prints, warns and logs
on stderr) getting full marks also shows that the test cells write nothing to stderr
(nbgrader fails a cell that does) and do not wait on TensorFlow.
"""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

BIN = Path(sys.executable).parent  # nbgrader runs `alembic` from PATH

SOLUTION = '''\
import numpy as np


class MyConv1d:
    """SimpleConv1d: x (L,), W (F,), B (1,) -> a (L - F + 1,)."""

    def __init__(self, filter_size):
        self.W, self.B = np.zeros(filter_size), np.zeros(1)

    def forward(self, x):
        ### BEGIN SOLUTION
        # a right answer that talks on stderr: grading shows it on stdout, the cell passes
        import logging, sys, warnings
        print("forward", x.shape, file=sys.stderr)
        warnings.warn("a student's warning")
        logging.warning("a student's log line")
        self.x = x
        F = len(self.W)
        return np.array([x[i:i + F] @ self.W for i in range(len(x) - F + 1)]) + self.B
        ### END SOLUTION

    def backward(self, da):
        ### BEGIN SOLUTION
        F = len(self.W)
        self.dB = np.array([da.sum()])
        self.dW = np.array([da @ self.x[s:s + len(da)] for s in range(F)])
        return np.convolve(da, self.W)
        ### END SOLUTION
'''

VISIBLE_TEST = '''\
from sprintlib import SimpleConv1d, FixedInitializer
from sprintlib.grading import check_layer
reference = SimpleConv1d(3, FixedInitializer(W=[3, 5, 7], B=[1]))
check_layer(MyConv1d(3), reference, np.array([1, 2, 3, 4]), dA=np.array([10.0, 20.0]))
### BEGIN HIDDEN TESTS
check_layer(MyConv1d(4), SimpleConv1d(4), np.random.default_rng(1).standard_normal(9))
### END HIDDEN TESTS
'''

HARD_CODED = SOLUTION.split("    def forward")[0] + '''\
    def forward(self, x):
        return np.array([35.0, 50.0])

    def backward(self, da):
        self.dB, self.dW = np.array([30.0]), np.array([50.0, 80.0, 110.0])
        return np.array([30.0, 110.0, 170.0, 140.0])
'''

TRAIN_TEST = '''\
# a graded cell that trains, progress bar on: full marks only if nothing reaches stderr
import numpy as np
from sprintlib import ScratchDeepNeuralNetworkClassifier
from sprintlib.data import load_mnist
(X, y), (X_test, y_test) = load_mnist(dtype=np.float32)
model = ScratchDeepNeuralNetworkClassifier(epochs=1, batch_size=100, verbose=True)
model.fit(X[:3000], y[:3000])
assert model.score(X_test[:1000], y_test[:1000]) > 0.8
'''

SIZE_SOLUTION = '''\
def my_output_size(n_in, filter_size, stride=1, pad=0):
    ### BEGIN SOLUTION
    return (n_in + 2 * pad - filter_size) // stride + 1
    ### END SOLUTION
'''

SIZE_TEST = '''\
from sprintlib.functional import output_size
from sprintlib.grading import check_function
check_function(my_output_size, output_size, 4, 3)
check_function(my_output_size, output_size, 28, 5, 1, 2)
'''


def _cell(source, grade_id, solution=False, points=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata.nbgrader = {"grade": points is not None, "grade_id": grade_id, "locked": not solution,
                              "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        cell.metadata.nbgrader["points"] = points
    return cell


def _source_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("## Problem 1: SimpleConv1d\nx (L,), W (F,) -> a (L - F + 1,)."),
        _cell(SOLUTION, "conv1d", solution=True),
        _cell(VISIBLE_TEST, "test_conv1d", points=2),
        _cell(SIZE_SOLUTION, "size", solution=True),
        _cell(SIZE_TEST, "test_size", points=1),
        _cell(TRAIN_TEST, "test_training", points=1),
        nbformat.v4.new_code_cell("from sprintlib.grading import autograding\nprint('mode:', autograding())"),
    ]
    return nb


def _nbgrader(course, *args):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
               JUPYTER_CONFIG_DIR=str(course / ".jupyter"))  # no user config leaks in
    run = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


def _submit(course, student, nb):
    folder = course / "submitted" / student / "sprint1"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "conv1d.ipynb")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "sprints"\n'
        'c.CourseDirectory.db_assignments = [dict(name="sprint1")]\n'
        'c.CourseDirectory.db_students = [dict(id="alice"), dict(id="bob"), dict(id="carol"), dict(id="dave"), '
        'dict(id="erin")]\n')
    (course / "source" / "sprint1").mkdir(parents=True)
    nbformat.write(_source_notebook(), course / "source" / "sprint1" / "conv1d.ipynb")
    _nbgrader(course, "generate_assignment", "sprint1", "--force")
    release = nbformat.read(course / "release" / "sprint1" / "conv1d.ipynb", as_version=4)

    _submit(course, "alice", _source_notebook())  # the model answer
    _submit(course, "bob", release)  # handed in untouched
    wrong = _source_notebook()  # dW off by a factor 2
    wrong.cells[1].source = wrong.cells[1].source.replace("self.dW = np.array(", "self.dW = 0.5 * np.array(")
    _submit(course, "carol", wrong)
    hard_coded = _source_notebook()  # passes the visible case only: the hidden test catches it
    hard_coded.cells[1].source = HARD_CODED
    _submit(course, "dave", hard_coded)
    copied = _source_notebook()  # sprintlib's layer handed in as the student's own
    copied.cells[1].source = "import numpy as np\nfrom sprintlib import SimpleConv1d as MyConv1d\n"
    _submit(course, "erin", copied)
    _nbgrader(course, "autograde", "sprint1", "--force")
    _nbgrader(course, "generate_feedback", "sprint1", "--force")
    _nbgrader(course, "export")
    return course, release


def test_the_release_has_no_solution_and_no_hidden_test(course):
    _, release = course
    text = "\n".join(cell.source for cell in release.cells)
    assert "np.convolve" not in text and "// stride" not in text
    assert text.count("raise NotImplementedError") == 3
    assert "check_layer(MyConv1d(3)" in text and "MyConv1d(4)" not in text


def test_autograde_scores_right_empty_and_wrong(course):
    root, _ = course
    with open(root / "grades.csv") as f:
        scores = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(f)}
    assert scores == {"alice": (4.0, 4.0), "bob": (1.0, 4.0), "carol": (2.0, 4.0), "dave": (2.0, 4.0),
                      "erin": (2.0, 4.0)}


def test_the_notebook_knows_it_is_being_graded(course):
    root, _ = course
    graded = nbformat.read(root / "autograded" / "alice" / "sprint1" / "conv1d.ipynb", as_version=4)
    assert graded.cells[-1].outputs[0]["text"] == "mode: autograde\n"
    # the model answer's stderr, shown on stdout by grading
    test_output = "".join(o.get("text", "") for o in graded.cells[2].outputs)
    assert "note: your forward wrote to stderr" in test_output and "a student's log line" in test_output
    assert "note: your forward warned: UserWarning: a student's warning" in test_output
    # nothing on stderr anywhere (the training cell's progress bar is a widget)
    assert not [o for cell in graded.cells if cell.cell_type == "code" for o in cell.outputs
                if o.output_type == "stream" and o.name == "stderr"]


def test_the_feedback_says_what_is_wrong(course):
    root, _ = course
    html = (root / "feedback" / "carol" / "sprint1" / "conv1d.html").read_text()
    assert "backward dW: wrong values" in html and "0.5 times the expected one" in html
    assert "forward A: OK" in html
    copied = (root / "feedback" / "erin" / "sprint1" / "conv1d.html").read_text()
    assert "own work: your SimpleConv1d uses sprintlib" in copied and "SimpleConv1d): write your own" in copied


@pytest.fixture(autouse=True, scope="module")
def _nbgrader_available():
    if shutil.which("nbgrader", path=str(BIN)) is None:  # pragma: no cover - installed by make
        pytest.fail("nbgrader is not installed next to this Python: run make test")
