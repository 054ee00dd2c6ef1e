"""What grading decides, as data: the judge makes these, the gradebook, the feedback, the kept
results and the reports read them. Nothing downstream parses words back.

    Result                      one submission of one assignment
      tests: [TestVerdict]      one test cell (a grade_id, its points, its score)
        parts: [PartVerdict]    its visible part, then its hidden part
          checks: [Check]       one record the test emitted, compared with the trusted run's

Every one of them is plain JSON (``to_json`` / ``from_json``): a grading process writes its
Result to a file, the process that started it reads it back.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: Check.status
OK, WRONG, NOT_CHECKED, NOT_NUMBERS = "ok", "wrong", "not checked", "not numbers"


@dataclass
class Check:
    """One check of a test part: ``name`` ("forward A", "backward dW", "output_size"...),
    ``status`` (OK, WRONG, NOT_CHECKED, NOT_NUMBERS), ``words`` (the verdict as the student
    reads it: in a hidden part, without a value or shape of the hidden inputs), ``hint`` (the
    known mistake whose values the student's reproduce, or ""), ``error`` (the worst relative
    error), and the shapes that were expected and that came (visible parts only)."""
    name: str
    status: str
    words: str
    hint: str = ""
    error: float | None = None
    expected_shape: list | None = None
    got_shape: list | None = None


@dataclass
class PartVerdict:
    """The visible or the hidden part of a test cell. ``stopped``: why the part did not
    finish ("" when it did); ``extra``: records beyond the checks the test makes."""
    part: str
    passed: bool
    checks: list[Check] = field(default_factory=list)
    stopped: str = ""
    extra: int = 0

    @property
    def hidden(self) -> bool:
        return self.part == "hidden"


@dataclass
class TestVerdict:
    """One test cell: its grade_id, the points it is worth, the points it got."""
    grade_id: str
    points: float
    score: float
    parts: list[PartVerdict] = field(default_factory=list)

    @property
    def problem(self) -> str:
        """"p3" of "p3_test_backward"."""
        return self.grade_id.split("_")[0]

    @property
    def passed(self) -> bool:
        return self.score == self.points


@dataclass
class Result:
    """One submission's grade: its tests, the notes on what went wrong around them (a file
    that is not a notebook, a cell past its time...), the answers it did not give."""
    tests: list[TestVerdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing_answers: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def scores(self) -> dict[str, float]:
        return {t.grade_id: t.score for t in self.tests}

    @property
    def points(self) -> dict[str, float]:
        return {t.grade_id: t.points for t in self.tests}

    def test(self, grade_id: str) -> TestVerdict:
        return next(t for t in self.tests if t.grade_id == grade_id)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Result":
        tests = [TestVerdict(**{**t, "parts": [PartVerdict(**{**p, "checks": [Check(**c) for c in p["checks"]]})
                                               for p in t["parts"]]}) for t in data["tests"]]
        return cls(**{**data, "tests": tests})
