"""Phase "feedback": a verdict in words, in the autograded notebook and in nbgrader's feedback.

``render`` writes a test cell's verdict as the text the autograded notebook shows under it
(and nbgrader's feedback HTML after it); ``HideHiddenTests`` is the feedback preprocessor
(autograder/nbgrader_config.py's GenerateFeedback) that keeps the hidden tests' code out of
what students receive.
"""
from __future__ import annotations

import re

import nbformat
from nbconvert.preprocessors import Preprocessor

from .submission import BEGIN, END
from .verdict import NOT_CHECKED, Check, PartVerdict, TestVerdict


def check_line(check: Check) -> str:
    return check.words + (f"\n  hint: {check.hint}" if check.hint else "")


def part_lines(part: PartVerdict, prefixed: bool = True) -> list[str]:
    """A part's lines: one a check, a run of checks that did not run in one line with why,
    then what else went wrong (extra records, an early stop); a hidden part's marked as such
    (``prefixed``)."""
    lines, said_why = [], False
    for checks in _runs(part.checks):
        if checks[0].status != NOT_CHECKED:
            lines += [check_line(c) for c in checks]
            continue
        names = ", ".join(c.name for c in checks)
        if part.stopped and checks[-1] is part.checks[-1]:
            why, said_why = f"the test did not finish: {part.stopped}", True
        else:
            why = "the test ran other checks in their place"
        lines.append(f"not checked: {names} ({why})")
    if part.extra:
        lines.append(f"{part.extra} more check(s) than the test makes: something else ran them")
    if part.stopped and not said_why:
        lines.append(f"the test did not finish: {part.stopped}")
    return [("hidden test: " if part.hidden and prefixed else "") + line for line in lines]


def _runs(checks: list[Check]) -> list[list[Check]]:
    """The checks in runs: each run of checks that were not checked together, the others alone."""
    runs = []
    for c in checks:
        if runs and c.status == NOT_CHECKED and runs[-1][-1].status == NOT_CHECKED:
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def lines(test: TestVerdict) -> list[str]:
    return [line for part in test.parts for line in part_lines(part)]


def render(test: TestVerdict) -> str:
    """What the autograded notebook shows under a test cell."""
    verdict = "PASSED" if test.passed else "FAILED"
    return "\n".join(lines(test)) + f"\n{verdict}: {test.score:g} of {test.points:g} points\n"


def write_verdicts(nb, tests: dict[str, TestVerdict]) -> None:
    """Each test cell of the rebuilt notebook gets its verdict as its only output."""
    from .submission import is_test, nbgrader_meta

    for cell in nb.cells:
        if is_test(cell) and nbgrader_meta(cell)["grade_id"] in tests:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text=render(tests[nbgrader_meta(cell)["grade_id"]]))]


class HideHiddenTests(Preprocessor):
    """Feedback shows what the hidden tests printed (the engine's verdicts), never their code.

    nbgrader puts the hidden tests back into the test cells to grade them, and its feedback
    shows the autograded notebook as is (nbgrader issue #917). This removes each
    ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region from the source, and
    from an error's traceback every line that quotes it (the rest of the traceback, and
    the frames in the student's own code, stay: they point at what to fix).
    """

    enabled = True  # nbconvert's preprocessors are off unless enabled
    note = "# (hidden tests ran here: their results are printed below)"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or BEGIN not in cell.source:
            return cell, resources
        cell.source, hidden = hide(cell.source, self.note)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                # a frame in the test cell quotes the lines around the failing one: drop those
                # that are hidden test code, keep the rest (and the frames in the student's code)
                output["traceback"] = ["\n".join(line for line in frame.split("\n")
                                                 if not any(h in _plain(line) for h in hidden))
                                       for frame in output.get("traceback", [])]
        return cell, resources


def hide(source: str, note: str) -> tuple[str, list[str]]:
    """(the source with each hidden region replaced by ``note``, the hidden lines stripped,
    markers included). A region left open runs to the end of the cell."""
    kept, hidden, inside = [], [], False
    for line in source.split("\n"):
        if BEGIN in line:
            inside = True
            kept.append(note)
        elif END in line:
            inside = False
        elif inside:
            if line.strip():
                hidden.append(line.strip())
        else:
            kept.append(line)
    return "\n".join(kept), hidden + [BEGIN, END]


def _plain(text):
    """A traceback frame without its ANSI colours."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
