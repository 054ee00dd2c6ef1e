"""Sprints 3 and 4 graded by the real `make grade` pipeline (autograder/grade.py --submissions DIR,
in a copy of the course holding those two sprints), in one run: the student's kernel, the trusted
run, the engine's judge and nbgrader's feedback file. One run, because each grade.py run of a
fresh course copy first makes the sprints' expected records (about 15 s a sprint), unless another
copy of the test session made them (tests/graded.py, reuse_prepared).

- Right answers written other ways keep every point: sprint 3's LeNet built from layers of the
  course documents' names (``Convolution``, ``Pooling``..., issue 24, item 4: tests/test_course_fairness.py
  checks the names in the notebook); sprint 3's loop answers, the course documents'
  style (issue 24, item 11: tests/test_training_cells.py times them); an RNN on sprintlib's Tanh
  (which every student's copy holds, though the warm-up's check ran that Tanh as its reference in
  the trusted run).
- Known mistakes injected into a sprint-4 submission are named by the feedback (issue 24, item
  6): an h_0 that is not zero, which the engine reads off the student's records, and an
  activation's derivative taken at its input. (Sprints 1 and 2's history mistakes are graded
  by the engine's judge_test on the notebooks' test cells: tests/test_training_history.py.)
"""
import csv
import html
import re
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT
from loop_answers import SOURCES
from test_course_fairness import renamed_lenet_answer
from test_training_cells import LOOPS_IN

sys.path.insert(0, str(ROOT / "autograder"))
import build  # noqa: E402
from engine.course import COURSE_ID, POINTS  # noqa: E402
from graded import course_of_one, keep_prepared, reuse_prepared  # noqa: E402

A3, A4 = "sprint3_lenet", "sprint4_rnn"
H0 = "your states start from an h_0 that is not zero"
AT_INPUT = "your backward takes the derivative at the input X"
ZERO_H0 = "self.states = np.zeros((N, T + 1, self.n_nodes))  # states[:, t] = h_t, from h_0 = 0\n"


def _replaced(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, old
    return source.replace(old, new)


def _answer(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _correct(course, assignment: str):
    """The model answers handed in, as the course's "correct" sample is made."""
    release = nbformat.read(str(course / "release" / assignment / f"{assignment}.ipynb"), 4)
    source = nbformat.read(str(course / "source" / assignment / f"{assignment}.ipynb"), 4)
    return build.samples(release, source, {}, assignment)["correct"]


def with_mistakes(nb):
    """Sprint 4's model answers with a random h_0 in the RNN's forward and Sigmoid's derivative
    taken at its input."""
    rnn = _answer(nb, "rnn_solution")
    rnn.source = _replaced(rnn.source, ZERO_H0, ZERO_H0 + "        self.states[:, 0] = "
                           "0.5 * np.random.default_rng().standard_normal((N, self.n_nodes))\n")
    p0 = _answer(nb, "p0_solution")
    p0.source = _replaced(p0.source, "self.Z = 1 / (1 + np.exp(-A))",
                          "self.A = A\n        self.Z = 1 / (1 + np.exp(-A))")
    p0.source = _replaced(p0.source, "return dZ * self.Z * (1 - self.Z)", "return dZ * self.A * (1 - self.A)")
    return nb


def on_tanh(nb):
    """Sprint 4's model answers, the RNN's activation sprintlib's Tanh."""
    rnn = _answer(nb, "rnn_solution")
    rnn.source = _replaced(rnn.source, "self.states[:, t + 1] = np.tanh(A)",
                           "self.states[:, t + 1] = __import__('sprintlib').Tanh().forward(A)")
    return nb


def with_loops(nb, assignment: str):
    """The model answers with the loop answers appended where tests/test_training_cells.py puts them."""
    cell, _ = LOOPS_IN[assignment]
    _answer(nb, cell).source += "\n\n" + SOURCES[assignment][cell]
    return nb


def documents_names(nb):
    """Sprint 3's model answers, its LeNet built from layers of the documents' names."""
    _answer(nb, "p1_solution").source = renamed_lenet_answer()
    return nb


#: student -> (assignment, the submission made from that sprint's model answers)
STUDENTS = {"loops": (A3, lambda nb: with_loops(nb, A3)),
            "documents_names": (A3, documents_names),
            "mistakes": (A4, with_mistakes),
            "on_tanh": (A4, on_tanh)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """grade.py on STUDENTS' submissions: (grades.csv's rows, the run, the course copy)."""
    root = tmp_path_factory.mktemp("later")
    course = course_of_one(root, A3, A4)
    subs = root / "submissions"
    for student, (assignment, make) in STUDENTS.items():
        (subs / student / assignment).mkdir(parents=True)
        nbformat.write(make(_correct(course, assignment)), str(subs / student / assignment / f"{assignment}.ipynb"))
    reuse_prepared(course, tmp_path_factory, A3, A4)
    # one worker: one notebook at a time, each cell with a core of its own while the test suite's
    # other worker runs (the loop answers' cells take up to 11 s of CPU; 30 s of wall time allowed)
    run = subprocess.run([sys.executable, str(course / "grade.py"), "--submissions", str(subs), "--no-build",
                          "--workers", "1", "--output", str(root / "output")], capture_output=True, text=True,
                         timeout=1500)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    keep_prepared(course, tmp_path_factory, A3, A4)
    with open(root / "output" / "grades.csv", newline="") as f:
        return list(csv.DictReader(f)), run, course


def _scores(graded, student: str) -> dict:
    rows, _, _ = graded
    return {row["assignment"]: float(row["score"]) for row in rows if row["student_id"] == student}


def _feedback(graded, student: str, assignment: str) -> str:
    page = graded[2] / "feedback" / student / assignment / f"{assignment}.html"
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def test_the_engine_gives_the_loop_answers_of_sprint_3_every_point(graded):
    """Sprint 3's, whose Problem 3 test takes 10-11 s of CPU with them (sprint 4's loop RNN takes
    4.5 s at most: tests/test_training_cells.py runs every cell of both within its CPU budget)."""
    assert _scores(graded, "loops")[A3] == POINTS[A3][0], graded[1].stdout[-4000:]


def test_a_lenet_of_other_class_names_gets_every_point(graded):
    from nbgrader.api import Gradebook

    _, run, course = graded
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        nb = gb.find_submission_notebook(A3, A3, "documents_names")
        scores = {g.name: (g.auto_score, g.max_score) for g in nb.grades if g.auto_score is not None}
    lost = {k: v for k, v in scores.items() if v[0] != v[1]}
    assert scores and not lost, f"{lost}\n{run.stdout[-3000:]}"


def test_the_feedback_names_a_random_h0(graded):
    text = _feedback(graded, "mistakes", A4)
    assert text.count(f"hint: {H0}") >= 4, text[-6000:]  # problems 1 and 3, visible and hidden
    assert "hidden test: forward A" in text


def test_the_feedback_names_sigmoid_s_derivative_at_its_input(graded):
    text = _feedback(graded, "mistakes", A4)
    assert text.count(f"hint: {AT_INPUT}") >= 2, text[-6000:]  # the visible test and the hidden one


def test_a_right_rnn_on_sprintlib_s_tanh_keeps_every_point(graded):
    assert _scores(graded, "on_tanh")[A4] == POINTS[A4][0] == 13, graded[1].stdout[-4000:]
