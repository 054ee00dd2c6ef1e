"""Unit tests of the grading engine's parts (autograder/engine/), one behaviour a test, in the
manner of nbgrader's preprocessor tests: small notebooks and records built here, no kernel, no
grading process.

    submission      read_answers, pick_notebook, rebuild, split_hidden, runnable
    judge           part_summary, judge: statuses, words (hidden ones without values), hints, stops
    verdict         Result to and from JSON
    feedback        render, write_verdicts, HideHiddenTests
    cache           digest, result_key, load / save of kept results
    nbgrader door   SubmissionExporter reads nothing
"""
import base64
import copy
import io
import json
import sys

import nbformat
import numpy as np
import pytest
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
from engine import cache, feedback, judge  # noqa: E402
from engine import verdict as verdicts  # noqa: E402  (its TestVerdict is not a pytest class)
from engine.nbgrader_door import SubmissionExporter  # noqa: E402
from engine.submission import (ANSWER_CODE, BEGIN, END, END_LINE, END_RECORD, is_answer, is_test,  # noqa: E402
                               nbgrader_meta, pick_notebook, read_answers, rebuild, runnable, split_hidden)
from engine.verdict import NOT_CHECKED, NOT_NUMBERS, OK, WRONG, Check, PartVerdict, Result  # noqa: E402
from sprintlib import grading  # noqa: E402

A = "sprint9_demo"
LIMITS = {"submission_bytes": 100_000, "answer_chars": 100}
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
NOTE = feedback.HideHiddenTests.note


# -- notebooks --------------------------------------------------------------------------
def meta(grade_id, **nbgrader) -> dict:
    return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "locked": False, "solution": False,
                         "grade": False, **nbgrader}}


def answer(grade_id, source, cell_type="code", **kw):
    """A solution cell (an answer) of nbgrader."""
    make = new_code_cell if cell_type == "code" else new_markdown_cell
    return make(source, metadata=meta(grade_id, solution=True), **kw)


def graded(grade_id, source, points=1, **kw):
    """A test cell (autograder tests) of nbgrader."""
    return new_code_cell(source, metadata=meta(grade_id, grade=True, locked=True, points=points), **kw)


def course(answers: dict) -> nbformat.NotebookNode:
    """A notebook of the course: the answers (by grade_id) in its solution cells."""
    ran = dict(outputs=[new_output("stream", name="stdout", text="ran\n")], execution_count=3)
    return new_notebook(cells=[
        new_markdown_cell("# Sprint 9", id="intro"),
        new_code_cell("import numpy as np", id="imports", **ran),
        answer("p1_answer", answers["p1_answer"], **ran),
        graded("p1_test", f"assert f(1) == 2\n{BEGIN}\nassert f(21) == 42\n{END}", points=2, **ran),
        answer("p2_answer", answers["p2_answer"]),
        answer("p3_text", answers["p3_text"], "markdown"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


SOURCE = {"p1_answer": "def f(x):\n    return 2 * x", "p2_answer": "def g(x):\n    return x", "p3_text": "It is 42."}
RELEASE = {"p1_answer": STUB, "p2_answer": STUB, "p3_text": "YOUR ANSWER HERE"}


def write(path, content):
    """A notebook, a JSON value or raw bytes, written to ``path``."""
    if isinstance(content, nbformat.NotebookNode):
        nbformat.write(content, str(path))
    else:
        path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return path


def read(tmp_path, content, limits=LIMITS):
    return read_answers(write(tmp_path / f"{A}.ipynb", content), limits)


def raw(source, cell_type="code", metadata=None, **cell) -> dict:
    """A cell as JSON, as a student's file may hold it."""
    return {"cell_type": cell_type, "source": source, "metadata": {} if metadata is None else metadata, **cell}


# -- reading the answers --------------------------------------------------------------------
def test_read_answers_of_a_good_notebook(tmp_path):
    nb = course({"p1_answer": "def f(x):\n    return x + x", "p2_answer": "def g(x):\n    return 0 + x",
                 "p3_text": "Forty-two."})
    answers, notes = read(tmp_path, nb)
    assert answers == {"intro": ("markdown", "# Sprint 9"), "imports": ("code", "import numpy as np"),
                       "p1_answer": ("code", "def f(x):\n    return x + x"),
                       "p1_test": ("code", f"assert f(1) == 2\n{BEGIN}\nassert f(21) == 42\n{END}"),
                       "p2_answer": ("code", "def g(x):\n    return 0 + x"), "p3_text": ("markdown", "Forty-two.")}
    assert notes == []


def test_read_answers_joins_a_source_given_as_a_list_of_strings(tmp_path):
    answers, notes = read(tmp_path, {"cells": [raw(["def f(x):\n", "    return 2 * x\n"], metadata=meta("p1_answer"))]})
    assert answers == {"p1_answer": ("code", "def f(x):\n    return 2 * x\n")}
    assert notes == []


def test_read_answers_skips_a_source_that_is_not_text(tmp_path):
    cells = [raw(["x = 1\n", 2], metadata=meta("p1_answer")), raw({"x": 1}, metadata=meta("p2_answer")),
             raw("y = 2", metadata=meta("p3_answer"))]
    assert read(tmp_path, {"cells": cells}) == ({"p3_answer": ("code", "y = 2")}, [])


def test_read_answers_grades_the_first_of_a_duplicated_grade_id(tmp_path):
    cells = [raw("first = 1", metadata=meta("p1_answer")), raw("second = 2", metadata=meta("p1_answer"))]
    answers, notes = read(tmp_path, {"cells": cells})
    assert answers == {"p1_answer": ("code", "first = 1")}
    assert notes == ["cell 'p1_answer' appears more than once: the first one is graded"]


@pytest.mark.parametrize("first, note", [
    ("x" * (LIMITS["answer_chars"] + 1), [f"answer 'p1_answer' is longer than {LIMITS['answer_chars']} characters: "
                                          "counted as blank"]),
    (["x = 1\n", None], []),
], ids=["too long", "not text"])
def test_a_blank_first_cell_of_a_duplicated_grade_id_is_the_one_graded(tmp_path, first, note):
    cells = [raw(first, metadata=meta("p1_answer")), raw("second = 2", metadata=meta("p1_answer"))]
    answers, notes = read(tmp_path, {"cells": cells})
    assert answers == {}
    assert notes == note + ["cell 'p1_answer' appears more than once: the first one is graded"]


def test_an_answer_of_the_wrong_cell_type_is_replaced_by_the_stub(tmp_path):
    cells = [raw("def f(x):\n    return 2 * x", "markdown", meta("p1_answer")),
             raw("Forty-two.", "code", meta("p3_text"))]
    answers, notes = read(tmp_path, {"cells": cells})
    assert answers == {"p1_answer": ("markdown", "def f(x):\n    return 2 * x"), "p3_text": ("code", "Forty-two.")}
    nb, missing = rebuild(course(SOURCE), course(RELEASE), answers)
    assert [nb.cells[i].source for i in (2, 4, 5)] == [STUB, STUB, "YOUR ANSWER HERE"]
    assert missing == ["p1_answer", "p2_answer", "p3_text"]


NOT_JSON = "the file is not a notebook (not JSON: {}): every answer counts as blank"
NO_CELLS = "the file is not a notebook (no list of cells): every answer counts as blank"


@pytest.mark.parametrize("content, note", [
    (b"not json", NOT_JSON.format("JSONDecodeError")),
    (b"", NOT_JSON.format("JSONDecodeError")),
    (b'{"cells": []', NOT_JSON.format("JSONDecodeError")),
    (b"\xff\xfe{}", NOT_JSON.format("UnicodeDecodeError")),
    (b"[" * 50_000 + b"]" * 50_000, NOT_JSON.format("RecursionError")),
    (b"[1, 2]", NO_CELLS),
    (b"null", NO_CELLS),
    (b'"cells"', NO_CELLS),
    (b'{"nbformat": 4}', NO_CELLS),
    (b'{"cells": {"0": {"cell_type": "code"}}}', NO_CELLS),
], ids=["text", "empty", "truncated", "not utf-8", "too deep", "a list", "null", "a string", "no cells",
        "cells a dict"])
def test_read_answers_of_a_file_that_is_not_a_notebook(tmp_path, content, note):
    assert read(tmp_path, content) == ({}, [note])


def test_read_answers_skips_cells_that_are_not_dicts(tmp_path):
    cells = [1, "p0_answer", None, ["p0_answer"], raw("x = 1", metadata=meta("p1_answer"))]
    assert read(tmp_path, {"cells": cells}) == ({"p1_answer": ("code", "x = 1")}, [])


def test_read_answers_does_not_read_a_file_over_the_size_limit(tmp_path):
    nb = {"cells": [raw("x = 1", metadata=meta("p1_answer"))]}
    padding = LIMITS["submission_bytes"] - len(json.dumps(nb).encode())
    nb["metadata"] = {"pad": " " * (padding - len(', "metadata": {"pad": ""}'))}
    assert (tmp_path / "x").write_text(json.dumps(nb)) == LIMITS["submission_bytes"]
    assert read(tmp_path, nb) == ({"p1_answer": ("code", "x = 1")}, [])  # at the limit: read
    nb["metadata"]["pad"] += " "
    n = LIMITS["submission_bytes"] + 1
    assert read(tmp_path, nb) == ({}, [f"the notebook is {n} bytes, more than the {n - 1} allowed: not graded"])


def test_read_answers_counts_an_answer_over_the_length_limit_as_blank(tmp_path):
    n = LIMITS["answer_chars"]
    cells = [raw("x" * n, metadata=meta("p1_answer")), raw("y" * (n + 1), metadata=meta("p2_answer"))]
    answers, notes = read(tmp_path, {"cells": cells})
    assert answers == {"p1_answer": ("code", "x" * n)}
    assert notes == [f"answer 'p2_answer' is longer than {n} characters: counted as blank"]


def test_read_answers_takes_the_cell_id_when_nbgrader_metadata_is_missing(tmp_path):
    cells = [raw("x = 1", id="p1_answer"), raw("y = 2", metadata={"nbgrader": {"solution": True}}, id="p2_answer"),
             raw("no id, no grade_id")]
    answers, notes = read(tmp_path, {"cells": cells})
    assert answers == {"p1_answer": ("code", "x = 1"), "p2_answer": ("code", "y = 2")}
    assert notes == []
    nb, missing = rebuild(course(SOURCE), course(RELEASE), answers)
    assert (nb.cells[2].source, nb.cells[4].source, missing) == ("x = 1", "y = 2", ["p3_text"])


@pytest.mark.parametrize("metadata", [
    {"nbgrader": ["grade_id", "p9_answer"]},
    {"nbgrader": {"grade_id": 9, "solution": True}},
    {"nbgrader": {"grade_id": ["p9_answer"]}},
    {"nbgrader": "p9_answer"},
    "p9_answer",
    ["nbgrader"],
], ids=["nbgrader a list", "grade_id an int", "grade_id a list", "nbgrader a string", "metadata a string",
        "metadata a list"])
def test_read_answers_of_metadata_of_the_wrong_types(tmp_path, metadata):
    cells = [raw("x = 1", metadata=metadata, id="p1_answer"), raw("y = 2", metadata=metadata)]
    assert read(tmp_path, {"cells": cells}) == ({"p1_answer": ("code", "x = 1")}, [])


@pytest.mark.parametrize("cell, test, answer_", [
    (graded("t", "assert True"), True, False),
    (answer("a", "x = 1"), False, True),
    (answer("m", "text", "markdown"), False, True),
    (new_code_cell("x", metadata=meta("ma", solution=True, grade=True, points=1)), False, True),
    (new_markdown_cell("x", metadata=meta("tm", grade=True, points=1)), False, False),
    (new_code_cell("x", metadata={"nbgrader": ["grade", True]}), False, False),
    (new_code_cell("x"), False, False),
], ids=["test cell", "answer", "written answer", "manually graded answer", "graded markdown", "bad metadata",
        "plain cell"])
def test_what_a_cell_is(cell, test, answer_):
    assert (is_test(cell), is_answer(cell)) == (test, answer_)


def test_nbgrader_meta_is_a_dict_whatever_the_cell():
    assert nbgrader_meta(graded("t", "x"))["points"] == 1
    assert [nbgrader_meta(c) for c in ({"metadata": {"nbgrader": 3}}, {"metadata": 3}, {}, "cell", None)] == [{}] * 5


# -- which notebook of a submission -----------------------------------------------------------
def test_pick_notebook_takes_the_named_one(tmp_path):
    for name in (f"{A}.ipynb", "a_copy.ipynb", "notes.txt"):
        (tmp_path / name).write_text("{}")
    assert pick_notebook(tmp_path, A) == (tmp_path / f"{A}.ipynb", "")


def test_pick_notebook_takes_a_lone_other_notebook(tmp_path):
    (tmp_path / "my work.ipynb").write_text("{}")
    (tmp_path / "notes.txt").write_text("")
    assert pick_notebook(tmp_path, A) == (tmp_path / "my work.ipynb", "")


def test_pick_notebook_does_not_choose_between_two_others(tmp_path):
    (tmp_path / "one.ipynb").write_text("{}")
    (tmp_path / "two.ipynb").write_text("{}")
    assert pick_notebook(tmp_path, A) == (None, f"no {A}.ipynb in the submission (and 2 other notebooks: which one?)")


def test_pick_notebook_does_not_follow_a_symbolic_link(tmp_path):
    outside = write(tmp_path / "secret.ipynb", b"{}")
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / f"{A}.ipynb").symlink_to(outside)
    (folder / "other.ipynb").symlink_to(outside)
    assert pick_notebook(folder, A) == (None, f"no {A}.ipynb in the submission")
    (folder / "mine.ipynb").write_text("{}")
    assert pick_notebook(folder, A) == (folder / "mine.ipynb", "")


def test_pick_notebook_of_a_folder_without_a_notebook(tmp_path):
    why = f"no {A}.ipynb in the submission"
    assert pick_notebook(tmp_path, A) == (None, why)  # empty
    assert pick_notebook(tmp_path / "absent", A) == (None, why)
    (tmp_path / f"{A}.ipynb").mkdir()  # a folder of the notebook's name
    (tmp_path / "notes.txt").write_text("")
    assert pick_notebook(tmp_path, A) == (None, why)


# -- rebuilding ------------------------------------------------------------------------------
def test_rebuild_puts_the_answers_into_the_source_notebook(tmp_path):
    student = course({"p1_answer": "def f(x):\n    return x + x", "p2_answer": "", "p3_text": "Forty-two."})
    student.cells[3].source = "assert True  # the student's own test"
    student.cells[3].metadata.nbgrader["points"] = 100
    student.cells.pop(4)  # p2_answer deleted
    student.cells.append(new_code_cell("print('extra')", id="extra"))
    student.metadata["kernelspec"]["name"] = "evil"
    answers, _ = read(tmp_path, student)
    source = course(SOURCE)
    kept = copy.deepcopy(source)
    nb, missing = rebuild(source, course(RELEASE), answers)
    assert [c.source for c in nb.cells] == [
        "# Sprint 9", "import numpy as np", "def f(x):\n    return x + x",
        f"assert f(1) == 2\n{BEGIN}\nassert f(21) == 42\n{END}", STUB, "Forty-two."]
    assert missing == ["p2_answer"]
    assert [c.id for c in nb.cells] == [c.id for c in source.cells]
    assert [c.metadata for c in nb.cells] == [c.metadata for c in source.cells]
    assert nb.metadata == source.metadata
    assert [(c.outputs, c.execution_count) for c in nb.cells if c.cell_type == "code"] == [([], None)] * 4
    assert source == kept  # the source notebook is not changed


def test_rebuild_of_no_answers_is_the_release(tmp_path):
    nb, missing = rebuild(course(SOURCE), course(RELEASE), {})
    assert [nb.cells[i].source for i in (2, 4, 5)] == [STUB, STUB, "YOUR ANSWER HERE"]
    assert missing == ["p1_answer", "p2_answer", "p3_text"]


def test_rebuild_without_a_stub_gives_an_empty_answer():
    release = course(RELEASE)
    release.cells.pop(4)
    nb, missing = rebuild(course(SOURCE), release, {})
    assert (nb.cells[4].source, missing) == ("", ["p1_answer", "p2_answer", "p3_text"])


# -- the hidden tests' regions ---------------------------------------------------------------
@pytest.mark.parametrize("source, visible, hidden", [
    (f"a = 1\n{BEGIN}\nb = 2\n{END}\nc = 3", "a = 1\nc = 3", "b = 2"),
    (f"a\n{BEGIN}\nb\n{END}\nc\n{BEGIN}\nd\ne\n{END}\nf", "a\nc\nf", "b\nd\ne"),
    (f"a\n{BEGIN}\nb\nc", "a", "b\nc"),
    (f"if True:\n    a\n    {BEGIN}\n    b\n    {END}", "if True:\n    a", "    b"),
    ("a\nb", "a\nb", ""),
    (f"{BEGIN}\n{END}", "", ""),
], ids=["one region", "two regions", "left open", "indented markers", "no region", "empty region"])
def test_split_hidden(source, visible, hidden):
    assert split_hidden(source) == (visible, hidden)


def test_runnable_runs_each_test_cell_as_its_parts():
    nb = course(SOURCE)
    nb.cells += [graded("p2_test", "assert g(1) == 1"), graded("p3_test", f"assert g(2) == 2\n{BEGIN}\n\n{END}"),
                 graded("p4_test", f"{BEGIN}\nassert g(3) == 3\n{END}")]
    run, where = runnable(nb)
    assert where == [(1, None), (2, None), (3, "visible"), (3, "hidden"), (4, None), (6, "visible"),
                     (7, "visible"), (8, "visible"), (8, "hidden")]
    assert [c.source for c in run.cells] == [
        "import numpy as np", SOURCE["p1_answer"], "assert f(1) == 2" + END_LINE, "assert f(21) == 42" + END_LINE,
        SOURCE["p2_answer"], "assert g(1) == 1" + END_LINE, "assert g(2) == 2" + END_LINE, END_LINE,
        "assert g(3) == 3" + END_LINE]
    assert [c.cell_type for c in run.cells] == ["code"] * 9
    assert run.metadata == nb.metadata
    assert END_LINE == '\n__import__("sprintlib.grading").grading._emit("__end__", None)'


# -- judging ---------------------------------------------------------------------------------
def npy(value) -> str:
    """An array as a record carries it: base64 of np.save's bytes."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(value), allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode()


def rec(name, value, **extra) -> dict:
    return {"name": name, "npy": npy(value), **extra}


def part(*records, status="ok", ended=True, ename="", evalue="the message"):
    """What a test part left (its records, its end record, an error), as judge.part_summary reads it."""
    shown = list(records) + ([{"name": END_RECORD, "what": "None"}] if ended else [])
    outputs = [new_output("display_data", data={grading.RECORD_MIME: r}) for r in shown]
    if ename:
        outputs.append(new_output("error", ename=ename, evalue=evalue, traceback=["the traceback"]))
    return judge.part_summary({"outputs": outputs}, status)


E = np.array([[0.5, -1.25, 2.0], [3.5, 0.75, -4.0]])
DX = np.array([1.0, -2.0, 3.0])


def test_part_summary_reads_the_records_of_a_part():
    outputs = [new_output("stream", name="stdout", text="forward A: OK\n"),
               new_output("display_data", data={"text/plain": "a plot"}),
               new_output("display_data", data={grading.RECORD_MIME: {"name": ANSWER_CODE, "code": [["f.py", "g"]]}}),
               new_output("display_data", data={grading.RECORD_MIME: rec("forward A", E)}),
               new_output("display_data", data={grading.RECORD_MIME: {"name": 3, "npy": npy(E)}}),
               new_output("display_data", data={grading.RECORD_MIME: ["forward A"]}),
               new_output("execute_result", data={grading.RECORD_MIME: rec("forward B", E)}),
               new_output("display_data", data={grading.RECORD_MIME: {"name": END_RECORD, "what": "None"}})]
    assert judge.part_summary({"outputs": outputs}, "ok") == {
        "records": [rec("forward A", E)], "answer_code": [["f.py", "g"]], "ended": True, "status": "ok", "ename": "",
        "evalue": ""}


@pytest.mark.parametrize("status, end_record, ename, ended, kept_ename", [
    ("ok", True, "", True, ""),
    ("ok", False, "", False, ""),
    ("timeout", True, "", False, ""),
    ("error", False, "ValueError", False, "ValueError"),
    ("error", False, "MyOwnError", False, "MyOwnError"),  # sprintlib's own errors are named too
    ("error", False, "a name; with <html>", False, ""),  # not a name: not shown
])
def test_part_summary_tells_a_part_that_ended(status, end_record, ename, ended, kept_ename):
    summary = part(rec("forward A", E), status=status, ended=end_record, ename=ename)
    assert (summary["ended"], summary["status"], summary["ename"]) == (ended, status, kept_ename)


def test_judge_a_part_that_is_right():
    expected = part(rec("forward A", E), rec("backward dX", DX))
    verdict = judge.judge(expected, part(rec("forward A", E * (1 + 1e-9)), rec("backward dX", DX)), hidden=False)
    assert verdict == PartVerdict("visible", True, [
        Check("forward A", OK, f"forward A: OK (relative error {verdict.checks[0].error:.1e})",
              error=verdict.checks[0].error, expected_shape=[2, 3], got_shape=[2, 3]),
        Check("backward dX", OK, "backward dX: OK (relative error 0.0e+00)", error=0.0, expected_shape=[3],
              got_shape=[3])])
    assert 0 < verdict.checks[0].error < 1e-8


def test_judge_wrong_values():
    wrong = E.copy()
    wrong[1, 2] = 4.0
    verdict = judge.judge(part(rec("forward A", E), rec("backward dX", DX)),
                          part(rec("forward A", wrong), rec("backward dX", DX)), hidden=False)
    check = verdict.checks[0]
    assert (verdict.passed, [c.status for c in verdict.checks]) == (False, [WRONG, OK])
    assert check.words.startswith("forward A: wrong values (relative error 2.0e+00, tolerance 1e-06)")
    assert "expected [[ 0.5  -1.25  2.  ]\n" in check.words and "4.  ]]" in check.words
    assert (check.error, check.expected_shape, check.got_shape, check.hint) == (8 / 4.004, [2, 3], [2, 3], "")


def test_judge_a_wrong_shape():
    check = judge.judge(part(rec("forward A", E)), part(rec("forward A", E.T)), hidden=False).checks[0]
    assert (check.status, check.expected_shape, check.got_shape) == (WRONG, [2, 3], [3, 2])
    assert check.words == ("forward A: expected shape (2, 3), got (3, 2): the expected values with their axes in "
                           "the order (1, 0) (a transpose in the wrong order?)")


def test_judge_uses_the_tolerance_of_the_expected_record():
    got = part(rec("forward A", E * 1.2))
    assert judge.judge(part(rec("forward A", E, tol=[0.5, 1e-3])), got, hidden=False).passed
    assert not judge.judge(part(rec("forward A", E)), got, hidden=False).passed
    assert not judge.judge(part(rec("forward A", E, tol=["0.5", 1e-3])), got, hidden=False).passed


def test_judge_a_missing_record():
    verdict = judge.judge(part(rec("forward A", E), rec("backward dX", DX)), part(rec("forward A", E)), hidden=False)
    assert (verdict.passed, [c.status for c in verdict.checks]) == (False, [OK, NOT_CHECKED])
    assert verdict.checks[1] == Check("backward dX", NOT_CHECKED, "backward dX: not checked (the test stopped "
                                      "before this check, or ran other checks)")


def test_judge_a_record_of_another_check_in_its_place():
    verdict = judge.judge(part(rec("forward A", E)), part(rec("forward B", E)), hidden=False)
    assert (verdict.passed, verdict.checks[0].status, verdict.extra) == (False, NOT_CHECKED, 0)


PICKLED = io.BytesIO()
np.save(PICKLED, np.array([{"a": 1}], dtype=object), allow_pickle=True)


@pytest.mark.parametrize("got, words", [
    ({"name": "forward A", "what": "None"}, "forward A: got None (does the function or method end with a return?)"),
    ({"name": "backward dW", "what": "absent"},
     "backward dW: your layer has no attribute dW after backward: backward should set self.dW"),
    ({"name": "forward A", "what": "absent"}, "forward A: expected a numpy array of numbers, got something else"),
    ({"name": "forward A", "what": "a str 'E = [[0.5, -1.25]]'"},
     "forward A: expected a numpy array of numbers, got something else"),
    (rec("forward A", np.array(["0.5", "-1.25"])), "forward A: expected a numpy array of numbers, got something else"),
    (rec("forward A", np.array([1 + 2j])), "forward A: expected a numpy array of numbers, got something else"),
    ({"name": "forward A", "npy": base64.b64encode(PICKLED.getvalue()).decode()},
     "forward A: expected a numpy array of numbers, got something else"),
    ({"name": "forward A", "npy": "not base64!"}, "forward A: expected a numpy array of numbers, got something else"),
    ({"name": "forward A", "npy": [0.5, -1.25]}, "forward A: expected a numpy array of numbers, got something else"),
], ids=["None", "absent gradient", "absent", "a string", "an array of strings", "complex", "pickled objects",
        "not base64", "npy a list"])
def test_judge_a_record_that_is_not_numbers(got, words):
    name = got["name"]
    verdict = judge.judge(part(rec(name, E)), part(got), hidden=False)
    assert (verdict.passed, verdict.checks) == (False, [Check(name, NOT_NUMBERS, words)])


def test_judge_extra_records():
    verdict = judge.judge(part(rec("forward A", E)), part(rec("forward A", E), rec("forward A", E)), hidden=False)
    assert (verdict.passed, [c.status for c in verdict.checks], verdict.extra) == (False, [OK], 1)


@pytest.mark.parametrize("status, ename, hidden, stopped", [
    ("timeout", "", False, "it ran past the time limit"),
    ("timeout", "", True, "it ran past the time limit"),
    ("dead", "", False, "the kernel died"),
    ("not run", "", True, "it did not run (an earlier cell stopped the notebook)"),
    ("error", "ValueError", False, "an exception was raised: ValueError: the message"),
    ("error", "ValueError", True, "an exception was raised: ValueError: the message (numbers hidden: they come "
                                  "from the hidden test's inputs)"),
    ("error", "MyOwnError", False, "an exception was raised: MyOwnError: the message"),
    ("ok", "", True, "an exception was raised"),
])
def test_judge_a_part_that_did_not_end(status, ename, hidden, stopped):
    got = part(rec("forward A", E), status=status, ended=False, ename=ename)
    verdict = judge.judge(part(rec("forward A", E), rec("backward dX", DX)), got, hidden)
    assert (verdict.passed, verdict.stopped, verdict.part) == (False, stopped, "hidden" if hidden else "visible")
    assert [c.status for c in verdict.checks] == [OK, NOT_CHECKED]
    assert judge.stop_reason(got, hidden) == stopped


def test_a_hidden_parts_message_keeps_its_words_not_its_numbers():
    got = part(rec("forward A", E), status="error", ended=False, ename="AssertionError",
               evalue="your layer's W: expected shape (4, 3, 3, 3), got (3, 3) at 1.5e-3\nsecond line")
    assert judge.stop_reason(got, hidden=False) == ("an exception was raised: AssertionError: your layer's W: expected "
                                                    "shape (4, 3, 3, 3), got (3, 3) at 1.5e-3 second line")
    hidden = judge.stop_reason(got, hidden=True)
    assert hidden.startswith("an exception was raised: AssertionError: your layer's W: expected shape (…, …, …, …), "
                             "got (…, …) at … second line")
    assert not any(ch.isdigit() for ch in hidden)


def test_a_run_of_checks_that_did_not_run_is_one_line():
    checks = [Check("forward A", WRONG, "forward A: wrong values")] + [
        Check(n, NOT_CHECKED, f"{n}: not checked") for n in ("backward dX", "backward dW", "backward dB")]
    stopped = PartVerdict("visible", False, checks, stopped="an exception was raised: ValueError: bad")
    assert feedback.part_lines(stopped) == [
        "forward A: wrong values",
        "not checked: backward dX, backward dW, backward dB (the test did not finish: an exception was raised: "
        "ValueError: bad)"]
    other = PartVerdict("visible", False, checks[1:3] + checks[:1])
    assert feedback.part_lines(other) == [
        "not checked: backward dX, backward dW (the test ran other checks in their place)", "forward A: wrong values"]


def test_judge_a_hidden_part_that_is_right():
    assert judge.judge(part(rec("forward A", E)), part(rec("forward A", E), ended=True), hidden=True).passed


H = np.array([[1.234567, -7.654321], [2.718281, 3.141592]])


def shown(values) -> list[str]:
    """The ways a number of ``values`` could be written in a verdict."""
    return [f"{v:{f}}" for v in np.ravel(values) for f in (".6g", ".4g", ".3g", ".6f", ".4f")]


def test_hidden_words_show_no_value_of_the_hidden_arrays():
    wrong = H.copy()
    wrong[1, 0] = 9.876543
    visible = judge.judge(part(rec("forward A", H)), part(rec("forward A", wrong)), hidden=False).checks[0]
    hidden = judge.judge(part(rec("forward A", H)), part(rec("forward A", wrong)), hidden=True).checks[0]
    assert "1.234567" in visible.words and "9.876543" in visible.words  # the visible part shows them
    assert hidden.words == f"forward A: wrong values (relative error {hidden.error:.1e}, tolerance 1e-06)"
    assert not [s for s in shown(H) + shown(wrong) if s in hidden.words]
    assert (hidden.status, hidden.expected_shape, hidden.got_shape) == (WRONG, None, None)


@pytest.mark.parametrize("expected, got, visible, hidden", [
    (H, np.zeros(3), "forward A: expected shape (2, 2), got (3,)", "forward A: wrong shape"),
    (np.zeros((3, 4, 5)), np.zeros((3, 5, 4)), "forward A: expected shape (3, 4, 5), got (3, 5, 4): the same sizes",
     "forward A: wrong shape: the same sizes in another order (check the order of the axes)"),
    (np.array([7, 9]), np.array([8, 10]), "forward A: expected [7 9], got [ 8 10]: 1 more than expected",
     "forward A: wrong values: 1 more than expected in every entry"),
    (np.array([7, 9]), np.array([3, 9]), "forward A: expected [7 9], got [3 9]", "forward A: wrong values"),
    (np.array([7, 9]), np.array([7.0, 9.0]), "forward A: expected integers, got float64 [7. 9.]",
     "forward A: expected integers (/ gives floats: use // or int())"),
], ids=["shape", "axes", "off by one", "integers", "not integers"])
def test_hidden_words_of_other_mistakes(expected, got, visible, hidden):
    checks = [judge.judge(part(rec("forward A", expected)), part(rec("forward A", got)), h).checks[0]
              for h in (False, True)]
    assert checks[0].words.startswith(visible)
    assert checks[1].words == hidden
    assert (checks[1].expected_shape, checks[1].got_shape) == (None, None)


MISTAKE = E[::-1] * 1.0
HINTED = rec("forward A", E, hints=[{"npy": npy(E + 100), "hint": "not this one", "hidden_hint": "nor this"},
                                    {"npy": npy(MISTAKE), "hint": "W flipped (in the visible test: W[::-1])",
                                     "hidden_hint": "W flipped"}])


@pytest.mark.parametrize("got, hidden, hint", [
    (MISTAKE, False, "W flipped (in the visible test: W[::-1])"),
    (MISTAKE, True, "W flipped"),
    (MISTAKE * (1 + 1e-9), False, "W flipped (in the visible test: W[::-1])"),
    (MISTAKE * 1.001, False, ""),
    (E * 2, False, ""),
    (MISTAKE.ravel(), False, ""),
], ids=["the mistake", "hidden", "within tolerance", "another value", "another mistake", "another shape"])
def test_a_hint_is_given_when_the_value_is_the_mistakes(got, hidden, hint):
    check = judge.judge(part(HINTED), part(rec("forward A", got)), hidden).checks[0]
    assert (check.status, check.hint) == (WRONG, hint)


def test_no_hint_on_a_right_value():
    assert judge.judge(part(HINTED), part(rec("forward A", E)), False).checks[0] == Check(
        "forward A", OK, "forward A: OK (relative error 0.0e+00)", error=0.0, expected_shape=[2, 3], got_shape=[2, 3])


@pytest.mark.parametrize("got, status, words", [
    ([1, 2, 0, 0], OK, "labels: accuracy 50.0% (2 of 4 right; at least 50% needed)"),
    ([1, 0, 0, 0], WRONG, "labels: accuracy 25.0% (1 of 4 right; at least 50% needed) - too low"),
    ([1, 2, 3], WRONG, "labels: expected labels of shape (4,), got (3,)"),
])
def test_judge_an_accuracy(got, status, words):
    expected = part(rec("labels", np.array([1, 2, 3, 4]), kind="accuracy", at_least=0.5))
    assert judge.judge(expected, part(rec("labels", np.array(got))), False).checks == [Check("labels", status, words)]


@pytest.mark.parametrize("got, status, words", [
    ([2.5, 1.0], OK, "loss: OK"),
    ([2.5, 2.6], WRONG, "loss: expected each value below the one before, got [2.5 2.6]"),
    ([5.5, 1.0], WRONG, "loss: expected every value below 5, got [5.5 1. ]"),
])
def test_judge_bounds(got, status, words):
    expected = part(rec("loss", np.array([3.0, 2.0]), kind="bounds", below=5.0, decreasing=True))
    assert judge.judge(expected, part(rec("loss", np.array(got))), False).checks == [Check("loss", status, words)]


# -- verdicts as data ------------------------------------------------------------------------
def result() -> Result:
    return Result(tests=[
        verdicts.TestVerdict("p1_test_forward", 2.0, 2.0, [
            PartVerdict("visible", True, [Check("forward A", OK, "forward A: OK (relative error 0.0e+00)", error=0.0,
                                                expected_shape=[2, 3], got_shape=[2, 3])]),
            PartVerdict("hidden", True, [Check("forward A", OK, "forward A: OK (relative error 1.1e-16)",
                                               error=1.1e-16)])]),
        verdicts.TestVerdict("p3_test_backward", 1.5, 0.0, [
            PartVerdict("visible", False, [Check("backward dW", WRONG, "backward dW: wrong values", hint="flipped",
                                                 error=0.5, expected_shape=[], got_shape=[1])], extra=2),
            PartVerdict("hidden", False, [Check("backward dW", NOT_CHECKED, "backward dW: not checked")],
                        stopped="the kernel died")]),
        verdicts.TestVerdict("p4_test", 0.0, 0.0)],
        notes=["cell 'p2' appears more than once: the first one is graded"], missing_answers=["p2_answer"],
        seconds=12.5)


def test_result_to_json_and_back():
    r = result()
    data = json.loads(json.dumps(r.to_json()))
    assert data["tests"][1]["parts"][0]["checks"][0]["hint"] == "flipped"
    back = Result.from_json(data)
    assert back == r
    assert isinstance(back.tests[0].parts[1].checks[0], Check) and back.tests[0].parts[1].hidden


def test_result_scores_and_points():
    r = result()
    assert r.scores == {"p1_test_forward": 2.0, "p3_test_backward": 0.0, "p4_test": 0.0}
    assert r.points == {"p1_test_forward": 2.0, "p3_test_backward": 1.5, "p4_test": 0.0}
    assert r.test("p3_test_backward") is r.tests[1]
    assert [(t.problem, t.passed) for t in r.tests] == [("p1", True), ("p3", False), ("p4", True)]
    assert [p.hidden for p in r.tests[0].parts] == [False, True]


# -- feedback --------------------------------------------------------------------------------
def test_render_a_passed_test():
    assert feedback.render(result().tests[0]) == ("forward A: OK (relative error 0.0e+00)\n"
                                                  "hidden test: forward A: OK (relative error 1.1e-16)\n"
                                                  "PASSED: 2 of 2 points\n")


def test_render_a_failed_test():
    assert feedback.render(result().tests[1]) == ("backward dW: wrong values\n"
                                                  "  hint: flipped\n"
                                                  "2 more check(s) than the test makes: something else ran them\n"
                                                  "hidden test: not checked: backward dW (the test did not finish: "
                                                  "the kernel died)\n"
                                                  "FAILED: 0 of 1.5 points\n")


def test_part_lines_of_a_hidden_part_without_its_prefix():
    hidden = PartVerdict("hidden", False, [Check("forward A", WRONG, "forward A: wrong values", hint="W flipped")],
                         stopped="it ran past the time limit")
    assert feedback.part_lines(hidden, prefixed=False) == [
        "forward A: wrong values\n  hint: W flipped", "the test did not finish: it ran past the time limit"]
    assert feedback.part_lines(hidden)[0] == "hidden test: forward A: wrong values\n  hint: W flipped"


def test_write_verdicts_replaces_the_outputs_of_the_judged_test_cells():
    nb = course(SOURCE)
    nb.cells.append(graded("p9_test", "assert True", outputs=[new_output("stream", name="stdout", text="kept\n")]))
    before = copy.deepcopy(nb)
    feedback.write_verdicts(nb, {"p1_test": result().tests[0]})
    assert nb.cells[3].outputs == [new_output("stream", name="stdout", text=feedback.render(result().tests[0]))]
    assert [c for i, c in enumerate(nb.cells) if i != 3] == [c for i, c in enumerate(before.cells) if i != 3]


HIDDEN_CELL = "\n".join([
    "layer = MyConv(2, 3)",
    "check_layer(layer, Conv(2, 3), X)",
    BEGIN,
    "X_h = hidden_rng('p1_test').standard_normal((4, 2, 7))",
    "",
    "check_layer(layer, Conv(2, 3), X_h)",
    END,
    "print('done')"])

#: an IPython traceback of an error in the hidden part (coloured as IPython colours them)
TRACEBACK = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mValueError\x1b[0m                                Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[7], line 6\x1b[0m\n"
    "\x1b[1;32m      1\x1b[0m layer \x1b[38;5;241m=\x1b[39m MyConv(\x1b[38;5;241m2\x1b[39m, \x1b[38;5;241m3\x1b[39m)\n"
    "\x1b[1;32m      3\x1b[0m \x1b[38;5;66;03m### BEGIN HIDDEN TESTS\x1b[39;00m\n"
    "\x1b[1;32m      4\x1b[0m X_h \x1b[38;5;241m=\x1b[39m hidden_rng(\x1b[38;5;124m'\x1b[39m\x1b[38;5;124mp1_test\x1b[39m"
    "\x1b[38;5;124m'\x1b[39m)\x1b[38;5;241m.\x1b[39mstandard_normal((\x1b[38;5;241m4\x1b[39m, \x1b[38;5;241m2\x1b[39m, "
    "\x1b[38;5;241m7\x1b[39m))\n"
    "\x1b[0;32m----> 6\x1b[0m check_layer(layer, Conv(\x1b[38;5;241m2\x1b[39m, \x1b[38;5;241m3\x1b[39m), X_h)\n"
    "\x1b[1;32m      7\x1b[0m \x1b[38;5;66;03m### END HIDDEN TESTS\x1b[39;00m",
    "File \x1b[0;32m/tmp/ipykernel_1/2.py:9\x1b[0m, in \x1b[0;36mMyConv.forward\x1b[0;34m(self, X)\x1b[0m\n"
    "\x1b[0;32m----> 9\x1b[0m     \x1b[38;5;28;01mreturn\x1b[39;00m X \x1b[38;5;241m@\x1b[39m \x1b[38;5;28mself\x1b[39m"
    "\x1b[38;5;241m.\x1b[39mW",
    "\x1b[0;31mValueError\x1b[0m: matmul: Input operand 1 has a mismatch in its core dimension 0",
]


def hidden_cell():
    return new_code_cell(HIDDEN_CELL, metadata=meta("p1_test", grade=True, points=1), outputs=[
        new_output("stream", name="stdout", text="forward A: OK\n"),
        new_output("error", ename="ValueError", evalue="matmul", traceback=list(TRACEBACK))])


def test_hide_hidden_tests_removes_the_hidden_code():
    nb = new_notebook(cells=[hidden_cell()])
    nb, _ = feedback.HideHiddenTests().preprocess(nb, {})
    cell = nb.cells[0]
    assert cell.source == f"layer = MyConv(2, 3)\ncheck_layer(layer, Conv(2, 3), X)\n{NOTE}\nprint('done')"
    assert cell.outputs[0] == new_output("stream", name="stdout", text="forward A: OK\n")
    assert cell.outputs[1].traceback == TRACEBACK[:2] + [
        "Cell \x1b[0;32mIn[7], line 6\x1b[0m\n"
        "\x1b[1;32m      1\x1b[0m layer \x1b[38;5;241m=\x1b[39m MyConv(\x1b[38;5;241m2\x1b[39m, \x1b[38;5;241m3\x1b[39m)"
    ] + TRACEBACK[3:]


def test_hide_hidden_tests_of_regions_left_open_and_repeated():
    source, hidden = feedback.hide(f"a = 1\n{BEGIN}\n  b = 2\n{END}\nc = 3\n{BEGIN}\nd = 4\n\ne = 5", "# hidden")
    assert source == "a = 1\n# hidden\nc = 3\n# hidden"
    assert hidden == ["b = 2", "d = 4", "e = 5", BEGIN, END]


def test_hide_hidden_tests_leaves_a_cell_without_markers_alone():
    cell = hidden_cell()
    cell.source = cell.source.replace(BEGIN, "").replace(END, "")
    nb = new_notebook(cells=[cell, new_markdown_cell(HIDDEN_CELL)])
    before = copy.deepcopy(nb)
    assert feedback.HideHiddenTests().preprocess(nb, {})[0] == before


# -- kept results ----------------------------------------------------------------------------
def folder(path, files: dict):
    path.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(content)
    return path


def test_digest_is_stable(tmp_path):
    sub = folder(tmp_path / "s", {f"{A}.ipynb": b"{}", "data/x.npy": b"123"})
    assert cache.digest(sub, {"a": 1, "b": [2]}, "text") == cache.digest(sub, {"b": [2], "a": 1}, "text")
    assert len(cache.digest(sub)) == 24 and int(cache.digest(sub), 16) >= 0


@pytest.mark.parametrize("change", [
    lambda s: (s / f"{A}.ipynb").write_bytes(b"{ }"),
    lambda s: (s / "data" / "x.npy").write_bytes(b"124"),
    lambda s: (s / f"{A}.ipynb").rename(s / "other.ipynb"),
    lambda s: (s / "data" / "x.npy").rename(s / "x.npy"),
    lambda s: (s / "new.txt").write_bytes(b""),
    lambda s: (s / "data" / "x.npy").unlink(),
], ids=["content", "content in a subfolder", "renamed", "moved", "a file added", "a file removed"])
def test_digest_of_a_folder_changes_with_its_files(tmp_path, change):
    sub = folder(tmp_path / "s", {f"{A}.ipynb": b"{}", "data/x.npy": b"123"})
    before = cache.digest(sub)
    change(sub)
    assert cache.digest(sub) != before


def test_digest_of_a_folder_ignores_pycache(tmp_path):
    sub = folder(tmp_path / "s", {"a.py": b"x = 1"})
    before = cache.digest(sub)
    folder(sub / "__pycache__", {"a.cpython-311.pyc": b"\0"})
    assert cache.digest(sub) == before


def test_digest_counts_a_link_as_the_path_it_holds_never_what_it_points_to(tmp_path):
    """A submission's symbolic link could point at anything (a secret, a huge or unreadable file):
    the key reads the link, not its target."""
    sub, target = tmp_path / "sub", tmp_path / "target.txt"
    sub.mkdir()
    target.write_text("one")
    (sub / "a.ipynb").symlink_to(target)
    (sub / "folder").symlink_to(tmp_path)  # a link to a folder is not walked into
    before = cache.digest(sub)
    target.write_text("two")
    assert cache.digest(sub) == before
    (sub / "a.ipynb").unlink()
    (sub / "a.ipynb").symlink_to(tmp_path / "elsewhere.txt")
    assert cache.digest(sub) != before


def test_digest_tells_two_files_from_one_holding_both(tmp_path):
    two = folder(tmp_path / "two", {f"{A}.ipynb": b"{}", "z.txt": b"notes"})
    one = folder(tmp_path / "one", {f"{A}.ipynb": b"{}z.txt\0notes"})
    assert cache.digest(two) != cache.digest(one)


@pytest.mark.parametrize("a, b", [
    ({"cell_seconds": 30}, {"cell_seconds": 31}),
    (["netns"], []),
    ("a seed", "a seed."),
    ([1, 2], [[1, 2]]),
    ("a", ["a"]),
])
def test_digest_of_json_values(a, b):
    assert cache.digest(a) != cache.digest(b)
    assert cache.digest("x", a) != cache.digest("x", b)


@pytest.fixture
def keyed(tmp_path, monkeypatch):
    """(a function of the result key's arguments, the submission, the expected records)"""
    monkeypatch.setattr(cache, "_CODE", "the engine's code")
    sub = folder(tmp_path / "sub", {f"{A}.ipynb": b'{"cells": []}'})
    expected = write(tmp_path / "expected.json", {"parts": {"p1_test:visible": {"records": []}}})
    limits = {"cell_seconds": 30, "answer_chars": 100}
    return lambda: cache.result_key(sub, expected, limits, []), sub, expected


@pytest.mark.parametrize("change", [
    lambda sub, expected, mp: (sub / f"{A}.ipynb").write_bytes(b'{"cells": [1]}'),
    lambda sub, expected, mp: (sub / "README.md").write_bytes(b""),
    lambda sub, expected, mp: write(expected, {"parts": {"p1_test:visible": {"records": [1]}}}),
    lambda sub, expected, mp: mp.setattr(cache, "_CODE", "the engine's code, changed"),
], ids=["submission", "another file of the submission", "expected records", "code"])
def test_result_key_changes_with_what_decides_a_grade(keyed, monkeypatch, change):
    key, sub, expected = keyed
    before = key()
    assert key() == before
    change(sub, expected, monkeypatch)
    assert key() != before


def test_result_key_changes_with_the_limits_and_the_sandbox(keyed):
    key, sub, expected = keyed
    limits = {"cell_seconds": 30, "answer_chars": 100}
    assert cache.result_key(sub, expected, limits, []) == key()
    assert cache.result_key(sub, expected, {**limits, "answer_chars": 101}, []) != key()
    assert cache.result_key(sub, expected, limits, ["network namespace"]) != key()


def test_code_digest_follows_the_engine_and_sprintlib(tmp_path, monkeypatch):
    engine = folder(tmp_path / "engine", {"judge.py": b"x = 1"})
    sprintlib = folder(tmp_path / "sprintlib", {"grading.py": b"y = 1"})
    monkeypatch.setattr(cache, "ENGINE", engine)
    monkeypatch.setattr(cache, "SPRINTLIB", sprintlib)
    monkeypatch.setattr(cache, "_CODE", None)
    digests = [cache.code_digest()]
    for path, text in ((engine / "judge.py", b"x = 2"), (sprintlib / "grading.py", b"y = 2"),
                       (sprintlib / "layers.py", b"")):
        path.write_bytes(text)
        assert cache.code_digest() == digests[-1]  # hashed once a process
        monkeypatch.setattr(cache, "_CODE", None)
        digests.append(cache.code_digest())
    assert len(set(digests)) == 4


def test_kept_paths():
    assert cache.kept_paths(ROOT / "results", A, "expected") == (ROOT / "results" / A / "graded" / "expected.json",
                                                                ROOT / "results" / A / "graded" / "expected.ipynb")


@pytest.fixture
def kept(tmp_path):
    """(the results folder), with result() kept for student "ada" under the key "k1"."""
    autograded = write(tmp_path / "autograded.ipynb", new_notebook(cells=[new_code_cell("x = 1", id="c")]))
    results = tmp_path / "results"
    cache.save(results, A, "ada", "k1", result(), 12.5, autograded)
    return results


def test_save_and_load(kept):
    loaded, seconds = cache.load(kept, A, "ada", "k1")
    assert (loaded, seconds) == (result(), 12.5)
    assert nbformat.read(str(cache.kept_paths(kept, A, "ada")[1]), as_version=4).cells[0].source == "x = 1"


def test_load_of_another_key_or_student(kept):
    assert cache.load(kept, A, "ada", "k2") is None
    assert cache.load(kept, A, "bob", "k1") is None
    assert cache.load(kept, "sprint8_demo", "ada", "k1") is None


def test_load_without_the_kept_notebook(kept):
    cache.kept_paths(kept, A, "ada")[1].unlink()
    assert cache.load(kept, A, "ada", "k1") is None


@pytest.mark.parametrize("text", [
    "", "{", '{"key": "k1", "seconds": 1.0', "[]", "null", '"k1"', '{"key": "k1"}',
    '{"key": "k1", "seconds": "soon", "result": {"tests": []}}',
    '{"key": "k1", "seconds": 1.0, "result": {"tests": [{"grade_id": "p1"}]}}',
    '{"key": "k1", "seconds": 1.0, "result": {"tests": [], "grade": 20}}',
], ids=["empty", "truncated", "truncated later", "a list", "null", "a string", "no result", "seconds not a number",
        "a test without parts", "an unknown field"])
def test_load_of_a_corrupted_kept_result(kept, text):
    cache.kept_paths(kept, A, "ada")[0].write_text(text)
    assert cache.load(kept, A, "ada", "k1") is None


# -- nbgrader's door -------------------------------------------------------------------------
@pytest.mark.parametrize("content", [None, b"not json", b"\xff" * 1000], ids=["absent", "not json", "not text"])
def test_submission_exporter_does_not_read_the_file(tmp_path, content):
    path = tmp_path / f"{A}.ipynb"
    if content is not None:
        path.write_bytes(content)
    output, resources = SubmissionExporter().from_filename(str(path), resources={})
    assert nbformat.reads(output, as_version=4) == new_notebook()
    assert resources["output_extension"] == ".ipynb"


def test_submission_exporter_gives_its_preprocessors_an_empty_notebook(tmp_path):
    seen = []

    class Seen(Preprocessor):
        def preprocess(self, nb, resources):
            seen.append((copy.deepcopy(nb), dict(resources)))
            return new_notebook(cells=[new_code_cell("graded", id="g")]), resources

    exporter = SubmissionExporter()
    exporter.register_preprocessor(Seen, enabled=True)
    path = write(tmp_path / f"{A}.ipynb", course(SOURCE))
    output, _ = exporter.from_filename(str(path), resources={"nbgrader": {"student": "ada", "assignment": A}})
    assert [(nb, res["nbgrader"]) for nb, res in seen] == [(new_notebook(), {"student": "ada", "assignment": A})]
    assert nbformat.reads(output, as_version=4).cells[0].source == "graded"


def test_decode_loads_numbers_never_pickles():
    assert np.array_equal(judge.decode(rec("x", E)), E) and judge.decode(rec("x", E)).dtype == E.dtype
    assert judge.decode(rec("x", np.array([True, False]))).dtype == np.bool_
    assert judge.decode({"name": "x", "npy": base64.b64encode(PICKLED.getvalue()).decode()}) is None
    assert judge.decode({"name": "x"}) is None
