"""The engine behind nbgrader's own doors: `nbgrader autograde` (the class, or --student), the
formgrader's Autograde button and the hub term's autograde all build nbgrader's ``Autograde``
converter from the course's nbgrader_config.py, which sets:

    c.Autograde.exporter_class = SubmissionExporter
    c.Autograde.sanitize_preprocessors = []
    c.Autograde.autograde_preprocessors = [GradeInSandbox]

nbgrader then still finds the submissions, creates the students and the submission rows,
handles --force and timestamps, and writes autograded/<student>/<assignment>/; what it would
have done itself (clean the student's notebook, overwrite its test cells, run it in a kernel
of the instructor's, read the verdicts from the kernel's outputs) is replaced by the engine:
the submission is rebuilt from the source notebook, run in the sandbox, judged outside the
kernel, and its scores written to the gradebook, exactly as `make grade` does
(engine/session.py). Nothing in nbgrader's documentation leads past it: `--no-execute` and
the Execute settings have nothing left to switch off.
"""
from __future__ import annotations

import atexit
import sys
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import Preprocessor

from . import regrade
from .session import GradingError, Session, incomplete_warning

#: one engine session per course folder and process (the formgrader's server grades many)
_SESSIONS: dict[Path, Session] = {}


#: course folder -> (its coursedir, the assignment graded last) with a report not yet written
_PENDING: dict = {}
#: course folder -> the scores its grading changed since its last report (regrade.Difference)
_CHANGED: dict = {}


def write_reports() -> None:
    """The report and the similar answers of every course graded since the last time."""
    import glob

    from .report import write_report
    from .similarity import write_for

    for course, (coursedir, assignment) in list(_PENDING.items()):
        del _PENDING[course]
        out = course.parent / "output" / "report"
        pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
        folders = {Path(p).parent.name: Path(p) for p in sorted(glob.glob(pattern)) if Path(p).is_dir()}
        try:
            write_for(course, assignment, folders, _SESSIONS[course].limits, out)
            index = write_report(course, out, differences=sorted(_CHANGED.pop(course, []), key=lambda d: (d.student, d.assignment, d.grade_id)))
        except Exception as e:  # noqa: BLE001 - the grades are in; a report that fails says so
            print(f"ERROR: the grading report could not be written: {type(e).__name__}: {e}", file=sys.stderr)
            continue
        print(f"report: {index} (and {out}/similar-{assignment}.html)", file=sys.stderr)


atexit.register(write_reports)


def session(course: Path) -> Session:
    course = Path(course).resolve()
    if course not in _SESSIONS:
        s = Session.open(course)
        for line in incomplete_warning(s.problems):
            print(line, file=sys.stderr)  # as `make grade` warns, whatever nbgrader's log level
        _SESSIONS[course] = s
        atexit.register(s.close)
    return _SESSIONS[course]


class SubmissionExporter(NotebookExporter):
    """nbgrader's Autograde reads each submitted notebook through its exporter (to sanitize it,
    then to grade it). This one never parses the student's file: a file that is not JSON, or
    is huge, would stop nbgrader there and leave the student ungraded. The engine reads it
    (engine/submission.py, within limits.toml); the preprocessors get an empty notebook."""

    def from_filename(self, filename, resources=None, **kw):
        return self.from_notebook_node(nbformat.v4.new_notebook(), resources, **kw)


class GradeInSandbox(Preprocessor):
    """Autograde's preprocessor: grades the submission the notebook came from with the engine,
    writes its scores to the gradebook and returns the engine's autograded notebook."""

    enabled = True  # nbconvert's preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        converter = self.parent.parent  # the Autograde converter (the exporter's parent)
        coursedir = converter.coursedir
        info = resources["nbgrader"]
        student, assignment = info["student"], info["assignment"]
        s = session(Path(coursedir.root))
        s.db_url, s.course_id = coursedir.db_url, coursedir.course_id
        try:
            s.prepare(assignment)
        except GradingError as e:
            self.log.error(str(e))
            raise
        swept = converter.__dict__.setdefault("_sprintlib_swept", set())  # once a run of the converter
        if assignment not in swept:
            swept.add(assignment)
            self.sweep(s, coursedir, assignment)
        folder = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
        graded, notebook = s.grade(student, assignment, folder, regrade=False)
        if graded.error:
            raise GradingError(f"{student}/{assignment}: {graded.error}")
        s.record(graded, notebook, write_notebook=False)  # nbgrader writes the notebook itself
        for note in graded.result.notes:
            self.log.warning("%s/%s: %s", student, assignment, note)
        for d in graded.differences:  # a regrade: whose score changed, on which test, and why
            self.log.warning("regraded: %s", d.line())
        if graded.differences:
            log = s.results / assignment / "regrades.csv"
            regrade.append_csv(log, graded.differences)
        _CHANGED.setdefault(Path(coursedir.root).resolve(), []).extend(graded.differences)
        self.after(converter, s, coursedir, assignment, student)
        return nbformat.read(str(notebook), as_version=4), resources

    def after(self, converter, s: Session, coursedir, assignment: str, student: str) -> None:
        """The class report (engine/report.py) and the similar answers, as `make grade` writes
        them, in <course>/../output/report/: once the converter has graded every submission it
        found (the whole class, or the formgrader's one student), else when the process ends."""
        done = converter.__dict__.setdefault("_sprintlib_done", set())
        done.add(student)
        _PENDING[Path(coursedir.root).resolve()] = (coursedir, assignment)
        if len(done) >= len(getattr(converter, "assignments", {}) or {}):
            write_reports()

    def sweep(self, s: Session, coursedir, assignment: str) -> None:
        """The submissions nbgrader passes over (a folder with no notebook in it: nbgrader finds
        nothing to convert) are graded too: 0 points, a row in the gradebook, and the note."""
        import glob

        pattern = coursedir.format_path(coursedir.submitted_directory, coursedir.student_id, assignment)
        for path in sorted(glob.glob(pattern)):
            folder = Path(path)
            if not folder.is_dir() or any(folder.glob("*.ipynb")) or not any(f.is_file() for f in folder.iterdir()):
                continue
            student = folder.parent.name
            if student.startswith("."):
                continue
            graded, notebook = s.grade(student, assignment, folder)
            if graded.error:
                self.log.error("%s/%s could not be graded: %s", student, assignment, graded.error)
                continue
            s.record(graded, notebook)
            self.log.warning("%s/%s: %s", student, assignment, "; ".join(graded.result.notes))
