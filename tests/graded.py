"""A graded run in one process: what sprintlib.grading's checks record in the trusted run
("expected") and in a student's kernel ("got"), judged by the engine (autograder/engine/judge.py) as every door
judges them, outside the kernel."""
import sys
from pathlib import Path

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


# -- the trusted runs' records, made once a test session --------------------------------------------
#: the hidden images' secret of every course copy a test grades (as a term's results/ keeps one):
#: with it, the copies' expected records are the same, and one copy's serve the others
IMAGES_KEY = "a key of the test session's course copies"
#: what a sprint's results/ holds that no student's grade is in: the trusted run's records, the
#: hidden images it drew, the keys that say what they were made from, the canary's key
PREPARED = ("expected.json", "expected.key", "hidden-images", "canary.key")


def _shelf(tmp_path_factory) -> Path:
    """A folder both xdist workers of this session see (their base folders' parent)."""
    import os

    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "prepared-sprints"


def _slot(course, assignment: str) -> str:
    """Where a sprint's prepared results are kept: by its source notebook and the limits (the
    battery's are shorter), the other parts of the engine's key being the session's own."""
    from engine import cache

    return f"{assignment}-" + cache.digest(course / "source" / assignment / f"{assignment}.ipynb",
                                           course / "limits.toml")[:16]


def copy_prepared(src, dst, names=PREPARED) -> None:
    """The ``names`` of a sprint's results/ folder ``src`` that exist, into ``dst`` (made)."""
    import shutil

    dst.mkdir(parents=True, exist_ok=True)
    for name in names:
        if (src / name).is_dir():
            shutil.copytree(src / name, dst / name)
        elif (src / name).exists():
            shutil.copy2(src / name, dst / name)


def reuse_prepared(course, tmp_path_factory, *assignments: str) -> None:
    """Before a grade.py run in the course copy ``course``: the session's secret, and the expected
    records another copy made of ``assignments`` (if any). The engine checks their keys as it
    does a term's: what does not match is made again. This only saves each copy its trusted runs
    (about 15 s a sprint; make test's time was over its 15 minutes)."""
    import shutil

    results = course / "results"
    results.mkdir(exist_ok=True)
    if not (results / "hidden-images.key").exists():
        (results / "hidden-images.key").write_text(IMAGES_KEY)
    for a in assignments:
        kept = _shelf(tmp_path_factory) / _slot(course, a)
        if kept.is_dir() and not (results / a).exists():
            shutil.copytree(kept, results / a)


def keep_prepared(course, tmp_path_factory, *assignments: str) -> None:
    """After a grade.py run: its expected records of ``assignments`` for the session's other copies
    (the first copy to make them keeps them; a folder renamed into place, never half written)."""
    import shutil
    import tempfile

    if (course / "results" / "hidden-images.key").read_text() != IMAGES_KEY:
        return
    shelf = _shelf(tmp_path_factory)
    shelf.mkdir(exist_ok=True)
    for a in assignments:
        kept, made = shelf / _slot(course, a), course / "results" / a
        if kept.exists() or not (made / "expected.key").exists():
            continue
        tmp = Path(tempfile.mkdtemp(dir=shelf))
        copy_prepared(made, tmp)
        try:
            tmp.rename(kept)
        except OSError:  # the other worker's copy got there first
            shutil.rmtree(tmp, ignore_errors=True)
