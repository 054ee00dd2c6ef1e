"""The instructors' grading report (autograder/engine/report.py, issue 25) on a generated class.

No kernel runs: a class of 100 kept results is written directly into a temporary course's
results/<assignment>/graded/ (verdict.Result's JSON, as engine/cache.py keeps it), each
student given known traits (a known mistake in a visible and a hidden test, a wrong shape no
hint explains, an answer that fits the visible cases only, a cell past its time, a dead
kernel, a file that is not a notebook, a MemoryError, output past its limit, a blank
notebook...), so that every count of the report is known exactly. write_report's data
(out/report.json) is checked against them, its HTML spot-checked, its time measured (under
10 s for the 100), and the report opened in headless Chromium (every figure loads; the
screenshot, output/screenshots/report.png, is the README's, copied to docs/screenshots/).
"""
from __future__ import annotations

import json
import re
import shutil
import sys
import time
from collections import defaultdict
from html.parser import HTMLParser

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
from engine.report import write_report  # noqa: E402
from engine import verdict  # noqa: E402
from engine.verdict import NOT_CHECKED, OK, WRONG, Check, PartVerdict, Result  # noqa: E402

A, B = "sprint1_conv1d", "sprint2_conv2d"
N = 100
#: the hints of three known mistakes, as sprintlib.grading words them (visible, hidden)
H_DW = "your dW is the expected one divided by 4: a mean over the batch where the gradient is their sum"
H_DW_HIDDEN = "your dW is the expected one divided by a count of the inputs: a mean over the batch where the gradient is their sum"
H_FLIP = "your kernel is flipped: np.convolve flips it, a convolution layer does not"
H_SIGMOID = "your output is 1 + exp(-A): 1/1+np.exp(-A) divides 1 by 1 first"
TIME_NOTE = "a cell ran longer than 30 s and was interrupted"
DEAD_NOTE = "the kernel died (the process exited or crashed): the cells after this point did not run"
FILE_NOTE = "the file is not a notebook (not JSON: JSONDecodeError): every answer counts as blank"
OUTPUT_NOTE = "1 cell(s) printed more than 1000000 bytes: the rest of their output was dropped"
BLANK = "an exception was raised: NotImplementedError: not answered yet: replace this line with your code"
NOT_RUN = "it did not run (an earlier cell stopped the notebook)"

#: the traits of the class, by student number (the rest, 55-99, answer everything right)
TRAITS = {
    **{i: {"dW"} for i in range(12)},                  # a known mistake, visible and hidden hints
    **{i: {"flip"} for i in range(12, 19)},            # a known mistake in two checks
    **{i: {"sigmoid"} for i in range(19, 24)},
    **{i: {"size"} for i in range(24, 33)},            # wrong values, no hint
    **{i: {"shape"} for i in range(33, 37)},           # a wrong shape, no hint
    **{i: {"visible_only"} for i in range(37, 43)},    # the hidden part fails only
    **{i: {"timeout"} for i in range(43, 46)},
    **{i: {"dead"} for i in range(46, 48)},
    48: {"not_a_notebook"}, 49: {"memory"}, 50: {"output"},
    **{i: {"blank"} for i in range(51, 54)},
    54: {"named_error"},                              # an exception whose message names the student
}
TRAITS[0] = TRAITS[1] = {"dW", "sigmoid"}            # two mistakes in one submission


def name(i: int) -> str:
    return f"s{i:03d}"


def ok(check: str) -> Check:
    return Check(check, OK, f"{check}: OK (relative error 0.0e+00)", error=0.0)


def wrong(check: str, words: str, hint: str = "", **shapes) -> Check:
    return Check(check, WRONG, f"{check}: {words}", hint, 0.5, **shapes)


def verdict_of(grade_id, points, visible, hidden) -> verdict.TestVerdict:
    """visible, hidden: (checks, stopped) of each part."""
    parts = [PartVerdict(part, not stopped and all(c.status == OK for c in checks), checks, stopped)
             for part, (checks, stopped) in (("visible", visible), ("hidden", hidden))]
    return verdict.TestVerdict(grade_id, points, points if all(p.passed for p in parts) else 0.0, parts)


def stopped_checks(names, why):
    return [Check(n, NOT_CHECKED, f"{n}: not checked") for n in names], why


def result(traits: set) -> Result:
    """One submission of assignment A with these traits."""
    notes, missing = [], []
    fwd = {"visible": ([ok("forward A")], ""), "hidden": ([ok("forward A")], "")}
    bwd = {p: ([ok("backward dX"), ok("backward dW"), ok("backward dB")], "") for p in ("visible", "hidden")}
    size = {p: ([ok("output_size")], "") for p in ("visible", "hidden")}
    p3 = {p: ([ok("forward A")], "") for p in ("visible", "hidden")}
    if "dW" in traits:
        for part, hint in (("visible", H_DW), ("hidden", H_DW_HIDDEN)):
            bwd[part] = ([ok("backward dX"), wrong("backward dW", "wrong values (relative error 7.5e-01, tolerance 1e-06)",
                                                   hint), ok("backward dB")], "")
    if "flip" in traits:
        fwd = {p: ([wrong("forward A", "wrong values (relative error 1.2e+00, tolerance 1e-06)", H_FLIP)], "")
               for p in ("visible", "hidden")}
        bwd["visible"] = ([wrong("backward dX", "wrong values (relative error 9.0e-01, tolerance 1e-06)", H_FLIP),
                           ok("backward dW"), ok("backward dB")], "")
    if "sigmoid" in traits:
        p3 = {p: ([wrong("forward A", "wrong values (relative error 2.0e+00, tolerance 1e-06)", H_SIGMOID)], "")
              for p in ("visible", "hidden")}
    if "size" in traits:
        size = {"visible": ([wrong("output_size", "expected [4], got [5]")], ""),
                "hidden": ([wrong("output_size", "wrong values")], "")}
    if "shape" in traits:
        bwd = {"visible": ([wrong("backward dX", "expected shape (8,), got (6,)", expected_shape=[8], got_shape=[6]),
                            ok("backward dW"), ok("backward dB")], ""),
               "hidden": ([wrong("backward dX", "wrong shape"), ok("backward dW"), ok("backward dB")], "")}
    if "visible_only" in traits:
        p3["hidden"] = ([wrong("forward A", "wrong values (relative error 3.1e-01, tolerance 1e-06)")], "")
    if "timeout" in traits:
        notes.append(TIME_NOTE)
        size = {p: stopped_checks(["output_size"], "it ran past the time limit") for p in ("visible", "hidden")}
    if "dead" in traits:
        notes.append(DEAD_NOTE)
        p3 = {"visible": stopped_checks(["forward A"], "the kernel died"),
              "hidden": stopped_checks(["forward A"], NOT_RUN)}
    if "memory" in traits:
        fwd = {p: stopped_checks(["forward A"], "an exception was raised: MemoryError") for p in ("visible", "hidden")}
    if "output" in traits:
        notes.append(OUTPUT_NOTE)
    if "named_error" in traits:
        p3["visible"] = stopped_checks(["forward A"], "an exception was raised: ValueError: s054's own check failed")
    if traits & {"not_a_notebook", "blank"}:
        if "not_a_notebook" in traits:
            notes.append(FILE_NOTE)
            missing = ["p1_solution", "p2_solution", "p3_solution"]  # a blank notebook's are its stubs
        fwd = {p: stopped_checks(["forward A"], BLANK) for p in ("visible", "hidden")}
        bwd = {p: stopped_checks(["backward dX", "backward dW", "backward dB"], BLANK) for p in ("visible", "hidden")}
        size = {p: stopped_checks(["output_size"], BLANK) for p in ("visible", "hidden")}
        p3 = {p: stopped_checks(["forward A"], BLANK) for p in ("visible", "hidden")}
    tests = [verdict_of("p1_test_forward", 2.0, fwd["visible"], fwd["hidden"]),
             verdict_of("p1_test_backward", 3.0, bwd["visible"], bwd["hidden"]),
             verdict_of("p2_test_output_size", 2.0, size["visible"], size["hidden"]),
             verdict_of("p3_test_forward", 2.0, p3["visible"], p3["hidden"])]
    return Result(tests, notes, missing, 3.0)


def seconds(i: int) -> float:
    return 2.0 + 0.25 * i


def keep(course, assignment: str, student: str, res: Result, secs: float) -> None:
    """A kept result, as engine/cache.save writes it."""
    folder = course / "results" / assignment / "graded"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{student}.json").write_text(json.dumps({"key": "k", "seconds": secs, "result": res.to_json()}, indent=1))
    (folder / f"{student}.ipynb").write_text("{}")


FAILED = [("s100", A, "the grading process failed (exit 1):\nTraceback ...")]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The class's report: (out, report.json's data, write_report's seconds)."""
    course = tmp_path_factory.mktemp("course")
    for i in range(N):
        keep(course, A, name(i), result(TRAITS.get(i, set())), seconds(i))
    for i in range(3):
        keep(course, B, name(i), Result([verdict_of("p1_test", 4.0, ([ok("forward A")], ""), ([ok("forward A")], ""))]),
             5.0)
    out = course.parent / "output" / "report"
    began = time.perf_counter()
    index = write_report(course, out, failed=FAILED)
    took = time.perf_counter() - began
    assert index == out / "index.html"
    return out, json.loads((out / "report.json").read_text()), took


def students(pred) -> list[str]:
    return [name(i) for i in range(N) if pred(TRAITS.get(i, set()))]


def problem(data, p):
    return next(x for x in data["by_assignment"][A]["problems"] if x["problem"] == p)


def test_it_takes_under_ten_seconds_for_a_hundred(report):
    out, data, took = report
    assert data["by_assignment"][A]["submissions"] == N
    print(f"\nwrite_report: {took:.2f} s for {data['submissions']} kept results")
    assert took < 10


def test_scores_per_problem(report):
    _, data, _ = report
    d = data["by_assignment"][A]
    assert d["points"] == 9
    assert [p["problem"] for p in d["problems"]] == ["p1", "p2", "p3"]
    # p1: forward (2 points), backward (3)
    p1 = {name(i): (0 if t & {"flip", "blank", "not_a_notebook"} else 2 if t & {"dW", "shape"} else
                    3 if "memory" in t else 5) for i, t in ((i, TRAITS.get(i, set())) for i in range(N))}
    assert problem(data, "p1")["scores"] == p1
    assert problem(data, "p1")["full_marks"] == list(p1.values()).count(5) == N - 12 - 7 - 4 - 1 - 4
    p3 = problem(data, "p3")
    p3_lost = {"sigmoid", "visible_only", "dead", "named_error", "blank", "not_a_notebook"}
    assert p3["full_marks"] == len(students(lambda t: not t & p3_lost)) == N - 7 - 6 - 2 - 1 - 3 - 1
    assert p3["mean"] == pytest.approx(2 * p3["full_marks"] / N)
    assert p3["full_marks_share"] == pytest.approx(p3["full_marks"] / N)
    everything_right = students(lambda t: not t or t == {"output"})
    assert d["full_marks"] == len(everything_right) == 46
    assert d["mean"] == pytest.approx(sum(
        sum(problem(data, p)["scores"][s] for p in ("p1", "p2", "p3")) for s in d["students"]) / N)
    blank = students(lambda t: t & {"blank", "not_a_notebook"})
    assert all(problem(data, p)["no_answer"] == blank for p in ("p1", "p2", "p3"))


def test_known_mistakes_with_who_and_an_example(report):
    _, data, _ = report
    p1 = problem(data, "p1")["mistakes"]
    # one row a mistake, however many wordings: the visible test's hint names its divisor, the
    # hidden test's does not (the row says it as the hidden test does)
    assert [(r["hint"], r["count"]) for r in p1] == [(H_DW_HIDDEN, 12), (H_FLIP, 7)]
    assert p1[0]["wordings"] == sorted([H_DW, H_DW_HIDDEN])
    assert p1[0]["students"] == students(lambda t: "dW" in t)
    assert p1[0]["where"] == ["p1_test_backward (hidden)", "p1_test_backward (visible)"]
    assert p1[1]["students"] == students(lambda t: "flip" in t)
    # one student counts once, however many checks show the mistake; where it was seen
    assert p1[1]["where"] == ["p1_test_backward (visible)", "p1_test_forward (hidden)", "p1_test_forward (visible)"]
    # the example: a visible test's feedback (its numbers may show)
    assert p1[0]["example"] == f"backward dW: wrong values (relative error 7.5e-01, tolerance 1e-06)\n  hint: {H_DW}"
    p3 = problem(data, "p3")["mistakes"]
    assert [(r["hint"], r["count"]) for r in p3] == [(H_SIGMOID, 7)]
    assert problem(data, "p2")["mistakes"] == []


def test_mistakes_no_hint_explains_by_check_and_kind(report):
    _, data, _ = report
    rows = lambda p: [(r["check"], r["kind"], r["count"]) for r in problem(data, p)["unexplained"]]  # noqa: E731
    assert rows("p1") == [("backward dX", "wrong shape", 4)]
    assert rows("p2") == [("output_size", "wrong values", 9)]
    assert rows("p3") == [("forward A", "wrong values", 6)]
    assert problem(data, "p1")["unexplained"][0]["students"] == students(lambda t: "shape" in t)
    assert problem(data, "p1")["unexplained"][0]["example"] == "backward dX: expected shape (8,), got (6,)"


def test_stopped_tests_by_why_without_the_blank_ones(report):
    _, data, _ = report
    rows = lambda p: [(r["why"], r["count"]) for r in problem(data, p)["stopped"]]  # noqa: E731
    # the blank notebooks' NotImplementedError is "no answer", not a stop
    assert rows("p1") == [("MemoryError", 1)]
    assert rows("p2") == [("time limit", 3)]
    assert rows("p3") == [("did not run (an earlier cell stopped the notebook)", 2), ("kernel died", 2),
                          ("ValueError", 1)]


def test_no_example_names_a_student(report):
    _, data, _ = report
    d = data["by_assignment"][A]
    examples = [r["example"] for p in d["problems"] for key in ("mistakes", "unexplained", "stopped") for r in p[key]]
    assert len(examples) == 11  # (the dW mistake's two wordings, one row)
    assert not [e for e in examples if re.search(r"s\d{3}", e)], examples
    named = problem(data, "p3")["stopped"][-1]
    assert named["students"] == ["s054"] and "[a student]'s own check failed" in named["example"]


def test_visible_passed_hidden_failed(report):
    _, data, _ = report
    assert problem(data, "p3")["visible_only"] == [
        {"test": "p3_test_forward", "count": 6, "students": students(lambda t: "visible_only" in t)}]
    assert problem(data, "p1")["visible_only"] == problem(data, "p2")["visible_only"] == []


def test_limits_failures_and_notes(report):
    _, data, _ = report
    limits = {r["student"]: r for r in data["by_assignment"][A]["limits"]}
    assert {s: r["what"] for s, r in limits.items()} == {
        **{s: ["time limit"] for s in students(lambda t: "timeout" in t)},
        **{s: ["kernel died"] for s in students(lambda t: "dead" in t)},
        "s048": ["not graded"], "s049": ["memory limit"], "s050": ["output limit"], "s100": ["grading failed"]}
    assert limits["s043"]["why"] == [TIME_NOTE, "p2_test_output_size (visible): it ran past the time limit",
                                     "p2_test_output_size (hidden): it ran past the time limit"]
    assert limits["s048"]["why"] == [FILE_NOTE]
    assert limits["s100"]["why"][0].startswith("the grading process failed")
    assert data["by_assignment"][A]["failed"] == ["s100"]


def test_grading_time(report):
    _, data, _ = report
    t = data["by_assignment"][A]["time"]
    assert t["total"] == pytest.approx(sum(seconds(i) for i in range(N)))
    assert t["mean"] == pytest.approx(t["total"] / N)
    assert t["max"] == seconds(N - 1) and t["median"] == pytest.approx((seconds(49) + seconds(50)) / 2)
    assert t["per_submission"]["s007"] == seconds(7)
    assert data["seconds"] == pytest.approx(t["total"] + 3 * 5.0)


class Page(HTMLParser):
    """A page's text, tables, images and links."""

    def __init__(self, path):
        super().__init__()
        self.text, self.tables, self.images, self.links = [], 0, [], []
        self.feed(path.read_text())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tables += tag == "table"
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "a":
            self.links.append(attrs.get("href", ""))

    def handle_data(self, data):
        self.text.append(data)


def test_pages_link_their_figures(report):
    out, data, _ = report
    index = Page(out / "index.html")
    assert [x for x in index.links if x.endswith(".html")] == [f"{A}.html", f"{B}.html"]
    text = " ".join(index.text)
    assert "103 kept results of 2 assignment(s)" in text
    page = Page(out / f"{A}.html")
    assert page.tables >= 8
    assert len(page.images) == 1 + 3 + 1 and all((out / src).stat().st_size > 1000 for src in page.images)
    text = " ".join(page.text)
    for hint in (H_DW, H_FLIP, H_SIGMOID, TIME_NOTE, FILE_NOTE):
        assert hint in text
    assert "s054" in text  # the tables name the students
    # an earlier report's pages and figures go, nothing else
    (out / "figures" / "stale.png").write_bytes(b"x")
    (out / "notes.txt").write_text("the instructor's")
    write_report(out.parent.parent / "course", out, assignments=[A])
    assert not (out / "figures" / "stale.png").exists() and not (out / f"{B}.html").exists()
    assert (out / "notes.txt").read_text() == "the instructor's"


@pytest.mark.browser
def test_the_report_in_a_browser(tmp_path):
    """The report opens from the disk in headless Chromium: tables, every figure loaded."""
    from servers import chromium, screenshot

    course = tmp_path / "course"
    for i in range(N):
        keep(course, A, name(i), result(TRAITS.get(i, set())), seconds(i))
    out = tmp_path / "report"
    index = write_report(course, out, failed=FAILED)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        try:
            page.goto(index.as_uri())
            assert page.locator("table").count() == 1
            page.click(f"text={A}")
            page.wait_for_load_state("load")
            assert page.url.endswith(f"{A}.html")
            assert page.locator("table").count() >= 8
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
            assert len(widths) == 5 and all(w > 0 for w in widths), widths
            page.evaluate("document.getElementById('mistakes').scrollIntoView()")
            shot = screenshot(page, "report")
        except Exception:
            screenshot(page, "failed-report")
            raise
    docs = ROOT / "docs" / "screenshots"
    docs.mkdir(parents=True, exist_ok=True)
    shutil.copy2(shot, docs / "report.png")


def test_an_output_limit_note_is_reported_as_one():
    """The notes engine/execute.py writes when the output caps drop something are what the
    report files under "output limit"."""
    from engine.execute import limit_notes
    from engine.report import note_kinds

    limits = {"output_bytes_per_cell": 1_000_000, "records_per_cell": 2000, "record_bytes": 4_000_000}
    notes = limit_notes([{"noted": True}, {"noted": False, "dropped": True}, {"noted": False}], limits)
    assert notes[0] == OUTPUT_NOTE
    assert [note_kinds(n) for n in notes] == [["output limit"], ["output limit"]]
    assert limit_notes([{"noted": False}], limits) == []


# -- the gradebook imports of Canvas and Gradescope (engine/export.py) ----------------------------------
@pytest.fixture
def gradebook(tmp_path, monkeypatch):
    """A course folder whose nbgrader gradebook has two assignments (5 and 4 points) and three
    students: alice (names, email, LMS id) 3 of 5, bob (no names) 0 of 5, carol nothing handed in."""
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    from engine.course import COURSE_ID

    monkeypatch.setenv("PATH", f"{sys.executable.rsplit('/', 1)[0]}:{__import__('os').environ['PATH']}")  # alembic
    warnings.filterwarnings("ignore", category=SAWarning)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", COURSE_ID) as gb:
        for a, points in ((A, (2, 3)), (B, (4,))):
            gb.add_assignment(a)
            gb.update_or_create_notebook(a, a)
            for k, p in enumerate(points):
                gb.add_grade_cell(f"p{k}_test", a, a, max_score=p, cell_type="code")
        gb.add_student("alice", first_name="Alice", last_name="Liddell", email="alice@example.edu", lms_user_id="7701")
        gb.add_student("bob")
        gb.add_student("carol", first_name="Carol", last_name="Ann, Jr.")
        for s in ("alice", "bob"):
            gb.add_submission(A, s)
        gb.find_grade("p0_test", A, A, "alice").auto_score = 2
        gb.find_grade("p1_test", A, A, "alice").auto_score = 1
        gb.db.commit()
    return tmp_path


def read_csv(path):
    import csv

    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_canvas_import_csv(gradebook):
    from engine import export

    out = gradebook / "output"
    out.mkdir()
    paths = export.lms_csvs(gradebook, out, ["alice", "bob", "carol"], [A, B, "sprint4_rnn"], {A: "1234"})
    assert paths == [out / "canvas_grades.csv", out / "gradescope" / f"{A}.csv", out / "gradescope" / f"{B}.csv"]
    assert read_csv(out / "canvas_grades.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{A} (1234)", B],
        ["Points Possible", "", "", "", "", "5", "4"],
        ["Liddell, Alice", "7701", "", "alice", "", "3", ""],
        ["bob", "", "", "bob", "", "0", ""],
        ["Ann, Jr., Carol", "", "", "carol", "", "", ""]]
    # a comma in a name is quoted (RFC 4180), as Canvas reads it
    assert '"Ann, Jr., Carol"' in (out / "canvas_grades.csv").read_text()


def test_gradescope_csv(gradebook):
    from engine import export

    out = gradebook / "output"
    export.lms_csvs(gradebook, out, ["alice", "bob", "carol"], [A, B])
    assert read_csv(out / "gradescope" / f"{A}.csv") == [
        ["Name", "SID", "Email", "Total Score", "Max Points", "Status"],
        ["Alice Liddell", "alice", "alice@example.edu", "3", "5", "Graded"],
        ["bob", "bob", "", "0", "5", "Graded"],
        ["Carol Ann, Jr.", "carol", "", "", "5", "Missing"]]
    assert [r[3:] for r in read_csv(out / "gradescope" / f"{B}.csv")[1:]] == [["", "4", "Missing"]] * 3


def test_canvas_ids_on_the_command_line():
    import grade

    assert grade.canvas_ids(" sprint1_conv1d=1234, sprint2_conv2d = 99,") == {"sprint1_conv1d": "1234",
                                                                           "sprint2_conv2d": "99"}
    assert grade.canvas_ids("") == {}
    with pytest.raises(ValueError, match="sprint1_conv1d"):
        grade.canvas_ids("sprint1_conv1d")


# -- one row a known mistake (engine/report.py's Mistakes) ------------------------------------------------
SIZE_NO_PAD = "your size is what (N_in - F) // S + 1 gives: the padding is left out"
SIZE_NO_ONE = "your size is what (N_in + 2P - F) // S gives: the + 1 is missing"
SIZE_ONE_SIDE = "your size is what (N_in + P - F) // S + 1 gives: is the padding counted on both sides?"


def test_wordings_of_one_mistake_and_of_others():
    from engine.report import same_mistake

    by = "your dB is the expected one divided by {}: a mean over the batch"
    assert same_mistake(by.format(5), by.format(3)) and same_mistake(by.format(5), by.format("a count of the inputs"))
    assert not same_mistake(by.format(5), by.format(5).replace("dB", "dW"))
    assert not same_mistake(SIZE_NO_ONE, SIZE_ONE_SIDE) and not same_mistake(SIZE_NO_PAD, SIZE_NO_ONE)
    assert not same_mistake(SIZE_NO_PAD, SIZE_ONE_SIDE)


def test_a_hint_naming_several_mistakes_counts_under_the_one_the_student_shows():
    """A student whose hints are "one of these mistakes: no padding; or: no + 1" and, on
    another check, "no + 1" alone shows "no + 1" (once); a student with the first hint only
    has a row of that hint's own (the values cannot tell which)."""
    from engine.report import EITHER, OR, Mistakes

    m = Mistakes()
    either = EITHER + OR.join([SIZE_NO_PAD, SIZE_NO_ONE])
    m.add("p2", either, "ann", "p2_test (visible)", "ex1", False)
    m.add("p2", SIZE_NO_ONE, "ann", "p2_test (hidden)", "ex2", True)
    m.add("p2", either, "bob", "p2_test (visible)", "ex3", False)
    by = "your dB is the expected one divided by {}: a mean over the batch"
    for student in ("ann", "cy"):
        m.add("p6", by.format("a count of the inputs"), student, "p6_test (hidden)", "hidden ex", True)
        m.add("p6", by.format(5), student, "p6_test (visible)", f"visible ex of {student}", False)
        m.add("p6", by.format(3), student, "p6_test (visible)", "visible ex 3", False)
    rows = [(r["problem"], r["hint"], r["students"], r["where"], r["example"]) for r in m.rows()]
    assert rows == [
        ("p6", by.format("a count of the inputs"), ["ann", "cy"], ["p6_test (hidden)", "p6_test (visible)"],
         "visible ex of ann"),
        ("p2", EITHER + OR.join(sorted([SIZE_NO_PAD, SIZE_NO_ONE])), ["bob"], ["p2_test (visible)"], "ex3"),
        ("p2", SIZE_NO_ONE, ["ann"], ["p2_test (hidden)", "p2_test (visible)"], "ex2")]
    assert m.rows()[0]["wordings"] == sorted(by.format(x) for x in (3, 5, "a count of the inputs"))


def test_the_similar_pairs_and_the_regrade_in_the_report(tmp_path):
    """The pairs engine/similarity.py wrote beside the report, and the scores a run changed,
    are in report.json and on the assignment's page; a report written without grading says it
    does not know them."""
    from engine import similarity
    from engine.regrade import Difference

    course, out = tmp_path / "course", tmp_path / "report"
    for i in range(3):
        keep(course, A, name(i), result(set()), 3.0)
    similarity.write(out, A, [similarity.Pair(A, "s000", "s001", 0.97, "x = 1", "y = 1", 812)])
    why = "the submission changed"
    write_report(course, out, differences=[Difference("s002", A, "p1_test_forward", 0.0, 2.0, why),
                                           Difference("s002", B, "p1_test", 4.0, 0.0, why)])
    d = json.loads((out / "report.json").read_text())["by_assignment"][A]
    assert d["similar"] == [{"students": ["s000", "s001"], "score": 0.97, "tokens": 812}]
    assert d["regrade"] == [{"student": "s002", "test": "p1_test_forward", "before": 0.0, "after": 2.0, "why": why}]
    text = " ".join(Page(out / f"{A}.html").text)
    assert "s000 and s001" in text and "97%" in text and "812" in text
    assert f"s002 p1_test_forward 0 2 {why}" in " ".join(text.split())
    write_report(course, out)
    d = json.loads((out / "report.json").read_text())["by_assignment"][A]
    assert d["regrade"] is None and len(d["similar"]) == 1
    assert "this report was written without grading" in " ".join(Page(out / f"{A}.html").text)


def test_nbgrader_doors_report_has_its_regrade(tmp_path):
    """nbgrader's door writes the report with the scores its grading changed since the last
    report (then forgets them), and the similar answers of the submitted folders."""
    from types import SimpleNamespace

    from engine import nbgrader_door
    from engine.course import load_limits
    from engine.regrade import Difference

    course = tmp_path / "autograder"
    for kind in ("source", "release"):
        shutil.copytree(ROOT / "autograder" / kind / A, course / kind / A)
    keep(course, A, "s000", result(set()), 3.0)
    coursedir = SimpleNamespace(submitted_directory="submitted",
                                format_path=lambda folder, student, a: str(course / folder / student / a))
    changed = Difference("s000", A, "p1_test_forward", 0.0, 2.0, "the submission changed")
    try:
        nbgrader_door._PENDING[course] = (coursedir, A)
        nbgrader_door._SESSIONS[course] = SimpleNamespace(limits=load_limits())
        nbgrader_door._CHANGED[course] = [changed]
        nbgrader_door.write_reports()
    finally:
        for table in (nbgrader_door._PENDING, nbgrader_door._SESSIONS, nbgrader_door._CHANGED):
            table.pop(course, None)
    d = json.loads((tmp_path / "output" / "report" / "report.json").read_text())["by_assignment"][A]
    assert d["regrade"] == [{"student": "s000", "test": "p1_test_forward", "before": 0.0, "after": 2.0,
                             "why": "the submission changed"}]
    assert d["similar"] == []


def test_no_two_known_mistakes_of_the_course_are_taken_for_one():
    """Every hint sprintlib.grading.mistakes can give (each layer's mistakes, those any layer
    can make, the output sizes' and parameter counts' formulas, the gradients averaged over
    each count, in their visible and hidden wordings): two wordings the report takes for one
    mistake are wordings of one mistake (a gradient averaged over another count)."""
    import itertools

    import numpy as np

    import sprintlib
    from engine.report import same_mistake
    from sprintlib.grading import mistakes

    found = [m for ms in mistakes.MISTAKES.values() for m in ms] + mistakes.SIZE_MISTAKES + mistakes.PARAM_MISTAKES
    for ref, X in ((sprintlib.Conv1d(2, 3, 3, pad=1), np.ones((4, 2, 7))),
                   (sprintlib.Conv2d(2, 3, 3, pad=1), np.ones((2, 2, 5, 5)))):
        A = ref.forward(X)
        found += mistakes._general(ref, X, A, {"forward A": A, "backward dX": X, "backward dW": ref.W,
                                               "backward dB": ref.B})
    found += mistakes._averaged({"backward dW_x": 0, "backward dW_h": 0, "backward dB": 0}, np.zeros((3, 4, 5)))
    names = defaultdict(set)
    for m in found:
        for words in {m.hint, m.hidden_hint or m.hint}:
            # one mistake whatever its count or axes: "dB averaged over 5", "dB summed over (0, 2)"
            names[words].add(re.sub(r" (averaged|summed) over .*", r" \1 over", m.name))
    assert len(names) > 90
    merged = [(a, b) for a, b in itertools.combinations(names, 2) if same_mistake(a, b)]
    assert merged and all(names[a] & names[b] for a, b in merged), [
        (a, b) for a, b in merged if not names[a] & names[b]]
