"""The nbgrader course end to end, as `make demo` runs it: build every notebook from its percent
script, grade the sample submissions in parallel, generate feedback, export the grades.

The expensive run happens once per test session (the ``course`` fixture), in a copy of
autograder/ in a temporary folder, so the repository's files are never touched; every test
of this file reads its results. pytest-xdist's ``--dist loadfile`` sends a file's tests to
one worker, so the run is not repeated on the other one.

- the committed notebooks (source, release, notebooks/, the samples) equal what the
  build makes from the percent scripts: a stale one fails here (run `make notebooks`);
- the grade table: correct = every autograded point, blank = 0, seeds = some but not all;
- the blank submission (the release as handed out) fails every graded test cell;
- feedback exists, carries the hints, and shows no hidden test code.
- the run writes the grading report (output/report/) and Canvas's and Gradescope's CSVs.
"""
import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
import build  # noqa: E402
from engine.course import COURSE_ID, copy_course  # noqa: E402
from graded import keep_prepared, reuse_prepared  # noqa: E402

pytestmark = pytest.mark.xdist_group("course")

ASSIGNMENTS = build.assignments(ROOT)


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A fresh course built and graded in a temporary folder: (root, grade.py's stdout)."""
    root = tmp_path_factory.mktemp("repo")
    (root / "autograder").mkdir()
    (root / "notebooks").mkdir()
    copy_course(root / "autograder")
    reuse_prepared(root / "autograder", tmp_path_factory)  # the session's secret only: this run makes every record
    run = subprocess.run([sys.executable, str(root / "autograder" / "grade.py"), "--output", str(root / "output")],
                         capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout + run.stderr
    keep_prepared(root / "autograder", tmp_path_factory, *ASSIGNMENTS)
    return root, run.stdout


def _cells(path: Path):
    """What a notebook says, without what changes from one run to the next."""
    nb = nbformat.read(str(path), as_version=4)
    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells], nb.metadata.get("kernelspec")


def _built_files(assignment):
    yield f"autograder/source/{assignment}/{assignment}.ipynb"
    yield f"autograder/release/{assignment}/{assignment}.ipynb"
    yield f"notebooks/{assignment}.ipynb"
    for student in build.SAMPLE_STUDENTS:
        yield f"autograder/submitted/{student}/{assignment}/{assignment}.ipynb"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_notebooks_are_current(course, assignment):
    root, _ = course
    stale = [f for f in _built_files(assignment)
             if not (ROOT / f).exists() or _cells(ROOT / f) != _cells(root / f)]
    assert not stale, f"out of date (run `make notebooks` and commit): {', '.join(stale)}"


def _grades(root):
    with open(root / "output" / "grades.csv") as f:
        return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(f)}


def _points(nb_path):
    nb = nbformat.read(str(nb_path), as_version=4)
    code = [c.metadata.nbgrader for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    written = [c.metadata.nbgrader for c in nb.cells
               if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]
    return sum(m["points"] for m in code), sum(m["points"] for m in written)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_table(course, assignment):
    """correct: every autograded point; blank: 0; seeds: partial (more than 0, less than full)."""
    root, stdout = course
    auto, written = _points(root / "autograder" / "source" / assignment / f"{assignment}.ipynb")
    grades = _grades(root)
    for student in build.SAMPLE_STUDENTS:
        assert float(grades[(student, assignment)]["max_score"]) == auto + written
    # written answers wait for a person: score is the autograded part
    assert float(grades[("correct", assignment)]["score"]) == auto
    assert float(grades[("blank", assignment)]["score"]) == 0
    seeds = float(grades[("seeds", assignment)]["score"])
    if (ROOT / "autograder" / "samples" / "buggy" / f"{assignment}.py").exists():
        assert 0 < seeds < auto
    else:
        assert seeds == 0
    # the table on screen says the same
    table = {line.split()[0]: line for line in stdout.splitlines() if line.split()[:1] and line.split()[0] in build.SAMPLE_STUDENTS}
    assert f"{auto:g}/{auto:g}" in table["correct"]
    assert f"0/{auto:g}" in table["blank"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_test_fails_before_the_student_writes_code(course, assignment):
    root, _ = course
    nb = nbformat.read(str(root / "autograder" / "autograded" / "blank" / assignment / f"{assignment}.ipynb"), 4)
    tests = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    assert tests
    # the verdict the grading process wrote under each test cell
    passed = [c.metadata.nbgrader.grade_id for c in tests if "FAILED: 0 of" not in "".join(o.get("text", "") for o in c.outputs)]
    assert not passed, f"these test cells pass on the release as handed out: {passed}"


def _feedback_text(root, student, assignment):
    page = (root / "autograder" / "feedback" / student / assignment / f"{assignment}.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_shows_results_but_no_hidden_test_code(course, assignment):
    root, _ = course
    for student in build.SAMPLE_STUDENTS:
        text = _feedback_text(root, student, assignment)
        assert "BEGIN HIDDEN TESTS" not in text and "hidden_rng" not in text, student
    assert "OK (relative error" in _feedback_text(root, "correct", assignment)


#: what the course documents' own code (the "seeds" sample) is told (hints from sprintlib.grading), per assignment
SEED_HINTS = {
    "sprint1_conv1d": ["forward A: OK", "does the function or method end with a return?",
                       "your layer has no attribute dW after backward"],
    "sprint2_conv2d": ["last two axes swapped"],
    # a known mistake (MISTAKES), named in a visible and in a hidden test's verdict
    "sprint4_rnn": ["hint: your output is 1 + exp(-A): 1/1+np.exp(-A) divides 1 by 1 first",
                    "hidden test: forward A: wrong values (relative error",
                    # its forward's global b = np.array([1]), read off its states (FITTED)
                    "hint: your states are those of a bias that is one number"],
}


@pytest.mark.parametrize("assignment", [a for a in ASSIGNMENTS if a in SEED_HINTS])
def test_the_seeds_feedback_carries_hints(course, assignment):
    root, _ = course
    text = _feedback_text(root, "seeds", assignment)
    missing = [h for h in SEED_HINTS[assignment] if h not in text]
    assert not missing, f"not in the \"seeds\" sample's feedback: {missing}"


def test_the_instructor_sees_times_and_where_things_are(course):
    root, stdout = course
    assert "s a submission" in stdout and "grades.csv" in stdout
    assert (root / "autograder" / "gradebook.db").exists()
    assert not (root / "autograder" / ".work").exists()  # the workers' folders are cleaned up


def test_the_run_writes_the_report_and_the_imports(course):
    """The grading report (engine/report.py) of the samples' run, and Canvas's and Gradescope's CSVs."""
    root, stdout = course
    index = root / "output" / "report" / "index.html"
    assert f"report: {index}" in stdout
    data = json.loads((index.parent / "report.json").read_text())
    assert data["assignments"] == ASSIGNMENTS
    for a in ASSIGNMENTS:
        d = data["by_assignment"][a]
        assert d["students"] == sorted(build.SAMPLE_STUDENTS) and d["full_marks"] == 1, a
        assert (index.parent / f"{a}.html").exists()
        no_answer = {s for p in d["problems"] for s in p["no_answer"]}
        assert "blank" in no_answer and "correct" not in no_answer, a
        # the blank notebook's stubs are "no answer", not tests that stopped
        assert not [r for p in d["problems"] for r in p["stopped"] if r["why"] == "NotImplementedError"], a
    # the documents' known mistake, named in the misconception map
    rnn = [r for p in data["by_assignment"]["sprint4_rnn"]["problems"] for r in p["mistakes"]]
    assert any("1/1+np.exp(-A) divides 1 by 1 first" in r["hint"] and r["students"] == ["seeds"] for r in rnn), rnn
    with open(root / "output" / "canvas_grades.csv") as f:
        canvas = list(csv.reader(f))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] and canvas[0][5:] == ASSIGNMENTS
    assert sorted(r[3] for r in canvas[2:]) == sorted(build.SAMPLE_STUDENTS)
    grades = _grades(root)
    assert {(r[3], a): float(v) for r in canvas[2:] for a, v in zip(ASSIGNMENTS, r[5:])} == \
        {k: float(g["score"]) for k, g in grades.items()}
    for a in ASSIGNMENTS:
        with open(root / "output" / "gradescope" / f"{a}.csv") as f:
            assert {r["SID"]: float(r["Total Score"]) for r in csv.DictReader(f)} == \
                {s: float(grades[(s, a)]["score"]) for s in build.SAMPLE_STUDENTS}


#: the sprints whose samples go through nbgrader's door here: sprint 4 (the hints the engine fits to
#: the student's values, the class report's misconception map). Sprint 1 goes through it in
#: tests/test_grading_battery.py (a cross-section of the hostile battery, the hidden images drawn
#: with the course's secret) and on the hub (tests/test_hub.py); sprints 2 and 3 differ from those
#: in nothing a door sees. All four took 3 min of `make test`.
DOOR = ["sprint4_rnn"]


@pytest.fixture(scope="session")
def through_nbgrader(course, tmp_path_factory):
    """The DOOR sprints' sample submissions through nbgrader's own door, as its documentation has
    an instructor do it, in a copy of the graded course that keeps the expected records and the
    hidden images' key (the same course) but no grade: no gradebook, no kept result, no
    autograded notebook, no feedback."""
    root, _ = course
    copy = tmp_path_factory.mktemp("repo-nbgrader") / "autograder"
    shutil.copytree(root / "autograder", copy, ignore=shutil.ignore_patterns(
        "graded", "canary.key", "autograded", "feedback", "gradebook.db"))
    runs = []
    for a in DOOR:
        build.nbgrader(copy, "generate_assignment", a, "--force")
        for args in (("autograde", a), ("generate_feedback", a)):
            runs.append(subprocess.run([*build.NBGRADER, *args], cwd=copy, capture_output=True, text=True,
                                       timeout=900, env=dict(os.environ, PATH=f"{build.BIN}{os.pathsep}{os.environ['PATH']}")))
    return copy, runs


def _scores(course_dir: Path) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", COURSE_ID) as gb:
        return {(a, s.student.id): {g.name: g.auto_score for g in gb.find_submission_notebook(a, a, s.student.id).grades}
                for a in DOOR for s in gb.assignment_submissions(a)}


def test_nbgrader_autograde_gives_make_grades_scores_and_feedback(course, through_nbgrader):
    """`nbgrader autograde` + `generate_feedback` and `make grade`: the same scores, test by test,
    and the same feedback pages, word for word."""
    root, _ = course
    copy, runs = through_nbgrader
    for run in runs:
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    ours = _scores(root / "autograder")
    assert len(ours) == len(DOOR) * len(build.SAMPLE_STUDENTS)
    assert _scores(copy) == ours
    for a in DOOR:
        for student in build.SAMPLE_STUDENTS:
            same = [re.sub(r"[0-9a-f]{32}", "", _feedback_text(r, student, a)) for r in (copy.parent, root)]
            assert same[0] == same[1], (student, a)
            # graded by the engine (its kept result and verdicts), not read from a kept one
            assert (copy / "results" / a / "graded" / f"{student}.json").exists()
    assert not (copy / ".work").exists()
    # nbgrader's door writes the class report and the similar answers too, as make grade does
    report = copy.parent / "output" / "report"
    assert (report / "index.html").exists()
    assert all((report / f"{a}.html").exists() and (report / f"similar-{a}.html").exists() for a in DOOR)
