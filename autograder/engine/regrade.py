"""A regrade with a difference: whose score changed, on which test, from what to what, and why.

Every door keeps each submission's result with the parts of its key (cache.key_parts: the
submission, the expected records, the engine's and sprintlib's code, the limits, the sandbox).
When a submission is graded again (its key changed: a new submission, a changed test, hint or
limit; or `make grade --regrade`), the new scores are compared with the kept ones, test by
test, and the parts that changed say why.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .verdict import Result

#: a part of the key that changed -> why the grade may have changed
WHY = {"submission": "the submission changed",
       "expected records": "the test changed (the source notebook, its hidden tests, the grading seed or key)",
       "engine and sprintlib": "the engine changed (the judge, the hints' wording, sprintlib's checks)",
       "limits": "the limits changed (limits.toml)",
       "sandbox": "the sandbox changed (a mechanism this machine allows or not)"}


@dataclass
class Difference:
    student: str
    assignment: str
    grade_id: str
    before: float | None
    after: float | None
    why: str

    def line(self) -> str:
        show = lambda x: "-" if x is None else f"{x:g}"  # noqa: E731
        return f"{self.student}/{self.assignment} {self.grade_id}: {show(self.before)} -> {show(self.after)} ({self.why})"


def why(before: dict, after: dict) -> str:
    """The parts of the key that changed, in words."""
    if not before:
        return "kept before the engine recorded why"
    changed = [words for part, words in WHY.items() if before.get(part) != after.get(part)]
    return "; ".join(changed) or "graded again with the same inputs (--regrade)"


def differences(student: str, assignment: str, old: Result, old_parts: dict, new: Result,
                new_parts: dict) -> list[Difference]:
    """One Difference a test whose score changed (a test that appeared or went: None)."""
    before, after = old.scores, new.scores
    reason = why(old_parts, new_parts)
    return [Difference(student, assignment, g, before.get(g), after.get(g), reason)
            for g in sorted(set(before) | set(after)) if before.get(g) != after.get(g)]


HEADER = ["student", "assignment", "test", "before", "after", "why"]


def write_csv(path: Path, found: list[Difference]) -> None:
    """This run's differences (make grade: output/regrade.csv)."""
    path.unlink(missing_ok=True)
    append_csv(path, found)


def append_csv(path: Path, found: list[Difference]) -> None:
    """Differences added to a log (nbgrader's door: results/<assignment>/regrades.csv)."""
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", newline="") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(HEADER)
        for d in found:
            writer.writerow([d.student, d.assignment, d.grade_id, d.before, d.after, d.why])
