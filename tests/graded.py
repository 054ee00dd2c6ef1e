"""A graded run in one process: what sprintlib.grading's checks record in the trusted run
("expected") and in a student's kernel ("got"), judged by the engine (autograder/engine/judge.py) as every door
judges them, outside the kernel."""
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
from engine import feedback, judge  # noqa: E402  (autograder/engine: the grader's side of a graded run)
from engine.submission import END_RECORD  # noqa: E402
from engine.course import copy_course  # noqa: E402


def course_of_one(root, assignment: str, *more: str):
    """A copy of the course in ``root``/autograder (with course.toml, which the copy's engine
    reads, and an empty root/notebooks) holding one assignment (or a few: ``more``): its percent
    script, source and release. Returns the copy's autograder folder."""
    import shutil

    course = root / "autograder"
    copy_course(course, without=("percent",))
    (course / "percent").mkdir()
    (root / "notebooks").mkdir()
    for name in (assignment, *more):
        shutil.copy2(ROOT / "autograder" / "percent" / f"{name}.py", course / "percent" / f"{name}.py")
        for kind in ("source", "release"):
            shutil.copytree(ROOT / "autograder" / kind / name, course / kind / name)
    return course


def graded_part(monkeypatch, mode, run) -> dict:
    """What a test part leaves when ``run()`` checks in ``mode`` ("expected": the trusted run
    of the model answers; "got": a student's kernel): its records, as the grader reads them."""
    import IPython.display

    from sprintlib import grading

    found = []
    monkeypatch.setenv(grading.RECORD_VARIABLE, mode)
    monkeypatch.setattr(IPython.display, "publish_display_data", lambda data: found.append(data[grading.RECORD_MIME]))
    run()
    monkeypatch.delenv(grading.RECORD_VARIABLE)
    found.append({"name": END_RECORD})  # as the test part's last line emits it
    cell = {"outputs": [{"output_type": "display_data", "data": {grading.RECORD_MIME: r}} for r in found]}
    return judge.part_summary(cell, "ok")


def judged(expected: dict, got: dict, hidden: bool) -> tuple[bool, list[str]]:
    """(passed, the verdict's lines) of one part, as the engine judges and words it."""
    verdict = judge.judge(expected, got, hidden)
    return verdict.passed, feedback.part_lines(verdict, prefixed=False)
