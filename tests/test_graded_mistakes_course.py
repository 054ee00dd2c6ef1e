"""Known mistakes injected into a sprint 4 submission and graded by the real `make grade`
pipeline (autograder/grade.py --submissions DIR, in a copy of the course, sprint 4 only): the
student's kernel, the trusted run, the engine's judge and nbgrader's feedback file. The feedback
names each mistake (issue 24, item 6): an h_0 that is not zero, which the engine reads off the
student's records, and an activation's derivative taken at its input. And a right RNN built on
sprintlib's Tanh (which every student's copy holds) keeps every point, though the warm-up's
check ran that Tanh as its reference in the trusted run. (Sprints 1 and 2's history mistakes are
graded by the engine's judge_test on the notebooks' test cells: tests/test_training_history.py.)"""
import html
import re
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
import build  # noqa: E402
from graded import course_of_one  # noqa: E402

pytestmark = pytest.mark.xdist_group("graded_mistakes")

A4 = "sprint4_rnn"
H0 = "your states start from an h_0 that is not zero"
AT_INPUT = "your backward takes the derivative at the input X"
ZERO_H0 = "self.states = np.zeros((N, T + 1, self.n_nodes))  # states[:, t] = h_t, from h_0 = 0\n"


def _replaced(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, old
    return source.replace(old, new)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """grade.py on one sprint-4 submission: the model answers, with a random h_0 in the RNN's
    forward and Sigmoid's derivative taken at its input. (its feedback's text, grade.py's run)"""
    root = tmp_path_factory.mktemp("mistakes")
    course = course_of_one(root, A4)
    release = nbformat.read(str(course / "release" / A4 / f"{A4}.ipynb"), 4)
    source = nbformat.read(str(course / "source" / A4 / f"{A4}.ipynb"), 4)
    nb = build.samples(release, source, {}, A4)["correct"]
    answers = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    rnn = answers["rnn_solution"]
    rnn.source = _replaced(rnn.source, ZERO_H0, ZERO_H0 + "        self.states[:, 0] = "
                           "0.5 * np.random.default_rng().standard_normal((N, self.n_nodes))\n")
    p0 = answers["p0_solution"]
    p0.source = _replaced(p0.source, "self.Z = 1 / (1 + np.exp(-A))",
                          "self.A = A\n        self.Z = 1 / (1 + np.exp(-A))")
    p0.source = _replaced(p0.source, "return dZ * self.Z * (1 - self.Z)", "return dZ * self.A * (1 - self.A)")
    subs = root / "submissions"
    _submit(subs, "mistakes", A4, nb)
    on_tanh = build.samples(release, source, {}, A4)["correct"]
    rnn = next(c for c in on_tanh.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "rnn_solution")
    rnn.source = _replaced(rnn.source, "self.states[:, t + 1] = np.tanh(A)",
                           "self.states[:, t + 1] = __import__('sprintlib').Tanh().forward(A)")
    _submit(subs, "on_tanh", A4, on_tanh)
    text, run = _grade(root, course, subs, A4)
    return text, run, root / "output" / "grades.csv"


def _submit(subs, student: str, assignment: str, nb) -> None:
    (subs / student / assignment).mkdir(parents=True)
    nbformat.write(nb, str(subs / student / assignment / f"{assignment}.ipynb"))


def _grade(root, course, subs, assignment: str):
    """grade.py on ``subs`` in the course copy: (the feedback of student "mistakes", as text; the run)."""
    run = subprocess.run([sys.executable, str(course / "grade.py"), "--submissions", str(subs), "--no-build",
                          "--output", str(root / "output")], capture_output=True, text=True, timeout=1500)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    page = course / "feedback" / "mistakes" / assignment / f"{assignment}.html"
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text())), run


def test_the_feedback_names_a_random_h0(graded):
    text = graded[0]
    assert text.count(f"hint: {H0}") >= 4, text[-6000:]  # problems 1 and 3, visible and hidden
    assert "hidden test: forward A" in text


def test_the_feedback_names_sigmoid_s_derivative_at_its_input(graded):
    text = graded[0]
    assert text.count(f"hint: {AT_INPUT}") >= 2, text[-6000:]  # the visible test and the hidden one


def test_a_right_rnn_on_sprintlib_s_tanh_keeps_every_point(graded):
    import csv
    rows = [r for r in csv.DictReader(graded[2].open()) if r["student_id"] == "on_tanh"]
    assert [r["score"] for r in rows] == ["13.0"], rows
