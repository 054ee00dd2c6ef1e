"""Similar answers (autograder/engine/similarity.py), measured on copies and on honest answers.

Measured on sprint 1: the course documents' student code copied with the variables renamed,
the comments changed (1.00, 1,704 shared tokens), or the functions in another order (0.97,
1,646), is found (threshold 0.8, at least 400 tokens); honest answers written apart (that
code, the browser test's answer, tests/students.py's right layers, an answer that is the
starter code and one line) score 0.00-0.07 with at most 165 shared tokens, and two students
handing in the model answers share 152 tokens outside the boilerplate: none is a pair."""
import re
import sys

import nbformat
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
from engine import similarity  # noqa: E402
from engine.course import load_limits  # noqa: E402
from engine.submission import is_answer, nbgrader_meta  # noqa: E402

A = "sprint1_conv1d"


def _notebook(kind):
    return nbformat.read(str(ROOT / "autograder" / kind / A / f"{A}.ipynb"), as_version=4)


SOURCE, RELEASE = _notebook("source"), _notebook("release")
IDS = [nbgrader_meta(c)["grade_id"] for c in SOURCE.cells if is_answer(c) and c.cell_type == "code"]
BOILERPLATE = similarity.boilerplate_of(SOURCE, RELEASE)
SEEDS = similarity.answers_of(ROOT / "autograder" / "submitted" / "seeds" / A / f"{A}.ipynb", IDS, load_limits())


def renamed(code):
    for a, b in [("self.X", "self.inp"), ("dA", "grad_out"), ("dX", "grad_in"), ("X", "data"), ("F", "width")]:
        code = re.sub(rf"\b{re.escape(a)}\b", b, code)
    return code


def recommented(code):
    lines = [re.sub(r"#.*$", "", line) for line in code.split("\n")]
    return "\n".join(("# written by me\n" + line) if line.strip().startswith("def ") else line for line in lines)


def reordered(code):
    return "\n".join(reversed(re.split(r"\n(?=class |def )", code)))


def honest_answers():
    browser = (ROOT / "tests" / "test_browser.py").read_text().split("ANSWER = '''\\\n")[1].split("'''")[0]
    students = (ROOT / "tests" / "students.py").read_text()
    return {"documents": SEEDS, "browser": browser, "students": students,
            "starter_only": "\n\n".join(c.source for c in RELEASE.cells if is_answer(c)) + "\nx = 1\n"}


@pytest.mark.parametrize("copy", [renamed, recommented, reordered, lambda c: reordered(recommented(renamed(c)))])
def test_a_copy_is_found_whatever_was_changed(copy):
    honest = {k: v for k, v in honest_answers().items() if k != "documents"}  # (the original itself)
    found = similarity.pairs(A, {"original": SEEDS, "copier": copy(SEEDS), **honest}, BOILERPLATE)
    assert [(p.a, p.b) for p in found] == [("copier", "original")], [(p.a, p.b, p.score) for p in found]
    assert found[0].score >= 0.95


def test_honest_answers_are_not_pairs():
    answers = honest_answers()
    assert similarity.pairs(A, answers, BOILERPLATE) == []
    scores = {(a, b): similarity.score(answers[a], answers[b], BOILERPLATE)
              for a in answers for b in answers if a < b}
    assert all(share < 0.2 for share, _ in scores.values()), scores


def test_the_model_answers_are_no_ones_copy():
    """Two students handing in the model answers (released after the deadline) share nothing
    the report lists: the model answers are boilerplate."""
    model = similarity.answers_of(ROOT / "autograder" / "submitted" / "correct" / A / f"{A}.ipynb", IDS, load_limits())
    assert similarity.pairs(A, {"one": model, "two": model}, BOILERPLATE) == []


def test_the_page_shows_each_pair_side_by_side(tmp_path):
    found = similarity.pairs(A, {"original": SEEDS, "copier": renamed(SEEDS)}, BOILERPLATE)
    text = similarity.write(tmp_path, A, found).read_text()
    assert "copier and original" in text and text.count("<pre>") == 2 and "grad_out" in text
