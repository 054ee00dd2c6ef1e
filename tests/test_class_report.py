"""A class of generated submissions graded by `make grade`, and its report checked exactly (issue 25).

Fifteen submissions of sprint 1 (tests/class_submissions.py), graded by the real pipeline
(autograder/grade.py --submissions DIR, its sandbox as on this machine, two workers) in a copy
of the course of sprint 1 alone:

- the model answers (model_ans); three students' own answers, right and written otherwise (own_c merely
  similar to own_a: the same ideas, written apart); a copy of own_a (names changed, methods in
  another order, its comments replaced) and one of own_b (names and comments changed);
- three students with dB averaged over the batch (Conv1d, problems 6 and 7), two with the
  kernel flipped by np.convolve (SimpleConv1d, problems 1 and 3), two with the output size
  without its + 1 (problem 2);
- two output_sizes that know the visible cases only (an if per case; a table of them).

The report (output/report/report.json, its pages) must name exactly: per problem each known
mistake and its students, the checks no hint explains, the tests that stopped; the answers
that pass the visible tests only; the two copy pairs and no other; the scores. Then dbmean3 and
visible2 hand in again, corrected, and a second run (the others' kept results reused) must
list exactly their changed scores: which test, from what to what, and why.
"""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from html.parser import HTMLParser

import numpy as np
import nbformat
import pytest

from conftest import ROOT

import class_submissions as cs  # noqa: E402

sys.path.insert(0, str(ROOT / "autograder"))
from engine.course import copy_course  # noqa: E402
from graded import keep_prepared, reuse_prepared  # noqa: E402

pytestmark = pytest.mark.xdist_group("class_report")

A = cs.A
#: the tests each kind of student loses
LOSES = {"right": set(), "db mean": {"p6_test", "p7_test"}, "flipped": {"p1_test_forward", "p1_test_backward", "p3_test"},
         "no +1": {"p2_test"}, "visible only": {"p2_test"}}
#: a right answer whose kept result is lost before the second run (as if the first had stopped before it)
LOST = "model_ans"
#: handed in again, corrected, before the second run
CORRECTED = {"dbmean3": {"p4_solution": cs.MODEL["p4_solution"]}, "visible2": {"p2_solution": cs.MODEL["p2_solution"]}}


def hints():
    """The known mistakes' hints, as sprintlib.grading.mistakes words them."""
    from sprintlib.grading import mistakes

    averaged = mistakes._averaged({"backward dB": None}, np.zeros((5, 2, 3)))
    return {"flipped": mistakes._FLIPPED,
            "no +1": next(m.hint for m in mistakes.SIZE_MISTAKES if m.name == "no + 1"),
            "db mean": averaged[0].hidden_hint}


def who(kind: str, students=cs.CLASS) -> list[str]:
    return sorted(s for s, (_, k) in students.items() if k == kind)


def grade(course, subs, out) -> tuple[subprocess.CompletedProcess, str]:
    """One `make grade` run: (its process, how long it took: wall-clock and CPU seconds, its phases)."""
    began, cpu = time.perf_counter(), _children_cpu()
    run = subprocess.run([sys.executable, str(course / "grade.py"), "--submissions", str(subs), "--no-build",
                          "--workers", "2", "--output", str(out)], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    phases = next((line for line in run.stdout.splitlines() if line.startswith("time: ")), "")
    return run, f"{time.perf_counter() - began:.0f} s ({_children_cpu() - cpu:.0f} s of CPU; {phases})"


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Both runs: their stdout, the first report's data (as it was), the second's, regrade.csv."""
    tmp = tmp_path_factory.mktemp("class")
    course = tmp / "repo" / "autograder"
    copy_course(course, extra=("source", "release"), without=("percent",))  # with course.toml
    (course / "percent").mkdir()
    (tmp / "repo" / "notebooks").mkdir()
    shutil.copy2(ROOT / "autograder" / "percent" / f"{A}.py", course / "percent")  # a course of sprint 1
    subs, out = tmp / "submissions", tmp / "output"
    cs.write_class(subs)
    reuse_prepared(course, tmp_path_factory, A)
    first, first_seconds = grade(course, subs, out)
    keep_prepared(course, tmp_path_factory, A)
    report_first = json.loads((out / "report" / "report.json").read_text())
    pages_first = {p.name: p.read_text() for p in (out / "report").glob("*.html")}
    for student, answers in CORRECTED.items():
        nbformat.write(cs.notebook(answers), str(subs / student / A / f"{A}.ipynb"))
    # and a run stopped before it had kept one result (a right answer's): graded again, as it was
    (course / "results" / A / "graded" / f"{LOST}.json").unlink()
    second, second_seconds = grade(course, subs, out)
    with open(out / "regrade.csv", newline="") as f:
        regrade_csv = list(csv.DictReader(f))
    print(f"\nmake grade of {len(cs.CLASS)} submissions: {first_seconds}\nagain, 2 of them changed: {second_seconds}")
    return dict(first=first, second=second, report=report_first, pages=pages_first, out=out,
                again=json.loads((out / "report" / "report.json").read_text()), regrade_csv=regrade_csv)


def assignment(data) -> dict:
    assert data["assignments"] == [A]
    return data["by_assignment"][A]


def problems(data) -> dict:
    return {p["problem"]: p for p in assignment(data)["problems"]}


def test_every_submission_is_graded_with_the_points_it_earned(graded):
    d = assignment(graded["report"])
    assert d["students"] == sorted(cs.CLASS) and d["failed"] == [] and d["limits"] == []
    for p, row in problems(graded["report"]).items():
        tests = {t: pts for t, pts in cs.TESTS.items() if t.split("_")[0] == p}
        assert row["points"] == sum(tests.values())
        assert row["scores"] == {s: sum(pts for t, pts in tests.items() if t not in LOSES[kind])
                                 for s, (_, kind) in cs.CLASS.items()}, p
        assert row["no_answer"] == []
    assert d["scores"] == {s: 17 - sum(cs.TESTS[t] for t in LOSES[kind]) for s, (_, kind) in cs.CLASS.items()}
    assert d["full_marks"] == len(who("right")) == 6


def test_each_known_mistake_once_with_its_students(graded):
    """Per problem, each known mistake is one row: the students whose submission shows it, where."""
    h = hints()
    found = {p: [(r["hint"], r["students"], r["where"]) for r in row["mistakes"]]
             for p, row in problems(graded["report"]).items()}
    counts = {p: [r["count"] for r in row["mistakes"]] for p, row in problems(graded["report"]).items()}
    assert counts == {"p1": [2], "p2": [2], "p3": [2], "p4": [], "p5": [], "p6": [3], "p7": [3], "p8": []}
    both = lambda test: [f"{test} (hidden)", f"{test} (visible)"]  # noqa: E731
    assert found == {
        "p1": [(h["flipped"], who("flipped"), both("p1_test_backward") + both("p1_test_forward"))],
        "p2": [(h["no +1"], who("no +1"), both("p2_test"))],
        "p3": [(h["flipped"], who("flipped"), ["p3_test (visible)"])],
        "p4": [], "p5": [],
        "p6": [(h["db mean"], who("db mean"), both("p6_test"))],
        "p7": [(h["db mean"], who("db mean"), both("p7_test"))],
        "p8": []}
    p6 = problems(graded["report"])["p6"]["mistakes"][0]
    # the visible test's hints name the batch sizes (5 and 3); one example, without a name
    assert [w.split(":")[0] for w in p6["wordings"]] == [
        "your dB is the expected one divided by 3", "your dB is the expected one divided by 5",
        "your dB is the expected one divided by a count of the inputs"]
    assert p6["example"].startswith("backward dB: wrong values") and "divided by 5" in p6["example"]
    examples = [r["example"] for row in problems(graded["report"]).values()
                for key in ("mistakes", "unexplained", "stopped") for r in row[key]]
    assert not [e for e in examples if any(s in e for s in cs.CLASS)]


def test_what_no_hint_explains_and_what_stopped(graded):
    rows = {p: ([(r["check"], r["kind"], r["students"]) for r in row["unexplained"]],
                [(r["why"], r["students"], r["where"]) for r in row["stopped"]])
            for p, row in problems(graded["report"]).items() if row["unexplained"] or row["stopped"]}
    assert rows == {
        # check_array compares the student's own numbers: no hypothesis of a mistake to test
        "p2": ([("output_size(4, 3)", "wrong values", who("no +1")), ("output_size", "not numbers", ["visible1"])],
               [("KeyError", ["visible2"], ["p2_test (hidden)"])]),
        "p3": ([("a", "wrong values", who("flipped"))], [])}


def test_visible_tests_passed_hidden_tests_failed(graded):
    only = {p: row["visible_only"] for p, row in problems(graded["report"]).items() if row["visible_only"]}
    assert only == {"p2": [{"test": "p2_test", "count": 2, "students": who("visible only")}]}
    assert problems(graded["report"])["p2"]["visible_only_students"] == ["visible1", "visible2"]


def test_the_similar_pairs_are_the_copies(graded):
    """The two copies and their originals, and no honest pair: not own_c and own_a (the same
    ideas), not the students who made the same mistake in the model answers."""
    similar = assignment(graded["report"])["similar"]
    assert sorted(tuple(p["students"]) for p in similar) == [("copy_a", "own_a"), ("copy_b", "own_b")]
    assert all(p["score"] >= 0.95 and p["tokens"] >= 400 for p in similar), similar
    assert "sprint1_conv1d: 2 pair(s) of similar answers" in graded["first"].stdout


def test_the_pages(graded):
    pages = graded["pages"]
    assert {"index.html", f"{A}.html", f"similar-{A}.html"} <= set(pages)
    text = Text(pages[f"{A}.html"])
    for p in hints().values():
        assert p in text.text
    assert "copy_a and own_a" in text.text and "copy_b and own_b" in text.text
    assert text.tables >= 8 and len(text.images) == 1 + 8 + 1
    assert all((graded["out"] / "report" / src).exists() for src in text.images)
    side_by_side = Text(pages[f"similar-{A}.html"])
    assert side_by_side.tables == 2 and side_by_side.tags["pre"] == 4  # each pair's two answers
    assert "copy_b and own_b: 100% of their answers shared" in side_by_side.text
    assert "No score changed." in text.text  # the first run regraded nothing


def test_the_regrade_lists_exactly_what_changed(graded):
    """Second run: the 12 unchanged submissions' results are kept; the two handed in again
    are graded again and their changed scores listed (report.json, regrade.csv, the output);
    the one whose kept result was lost is graded again, with the same scores, and listed nowhere."""
    assert f"grading {len(cs.CLASS)} submissions of {len(cs.CLASS)} students with 2 workers " \
           f"({len(cs.CLASS) - 3} already graded, kept from an earlier run)" in graded["second"].stdout
    assert assignment(graded["again"])["scores"][LOST] == assignment(graded["report"])["scores"][LOST] == 17
    why = "the submission changed"
    expected = [{"student": "dbmean3", "test": "p6_test", "before": 0.0, "after": 1.0, "why": why},
                {"student": "dbmean3", "test": "p7_test", "before": 0.0, "after": 1.0, "why": why},
                {"student": "visible2", "test": "p2_test", "before": 0.0, "after": 1.0, "why": why}]
    assert assignment(graded["again"])["regrade"] == expected
    assert graded["regrade_csv"] == [{**{k: str(v) for k, v in e.items() if k != "test"}, "assignment": A,
                                      "test": e["test"]} for e in expected]
    for e in expected:
        assert f"{e['student']}/{A} {e['test']}: 0 -> 1 ({why})" in graded["second"].stdout
    # the report of the second run: what the corrections changed
    again = problems(graded["again"])
    assert [r["students"] for r in again["p6"]["mistakes"]] == [["dbmean1", "dbmean2"]]
    assert again["p2"]["visible_only_students"] == ["visible1"]
    assert assignment(graded["again"])["scores"]["dbmean3"] == 17
    assert [p["students"] for p in assignment(graded["again"])["similar"]] == [["copy_b", "own_b"], ["copy_a", "own_a"]]
    assert assignment(graded["report"])["regrade"] == []


class Text(HTMLParser):
    """A page's text, its tables and images."""

    def __init__(self, page: str):
        super().__init__()
        self.parts, self.tags, self.images = [], Counter(), []
        self.feed(page)
        self.text = " ".join(" ".join(self.parts).split())
        self.tables = self.tags["table"]

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.parts.append(data)
