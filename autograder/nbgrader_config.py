"""nbgrader configuration of the course: this folder (autograder/) is the course root.

    autograder/percent/<assignment>.py     hand-edited sources (Jupytext percent scripts)
    autograder/source/<assignment>/        instructor notebooks, rendered from them (make notebooks)
    autograder/release/<assignment>/       student versions (nbgrader generate_assignment)
    autograder/submitted/<student>/<assignment>/   the sample submissions (correct, blank, seeds)
    autograder/gradebook.db, autograded/, feedback/   made by make grade (not committed)

Every nbgrader command run in this folder reads this file, and so do the per-submission
copies that `make grade` grades in parallel (autograder/grade.py): the course root is the
folder this file sits in.
"""
import os
import re
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor, Preprocessor
from nbgrader.preprocessors import GetGrades

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

HERE = Path(__file__).resolve().parent

#: the four sprints, in order; an assignment counts once its percent source exists
ASSIGNMENTS = ["sprint1_conv1d", "sprint2_conv2d", "sprint3_lenet", "sprint4_rnn"]

c.CourseDirectory.root = str(HERE)
c.CourseDirectory.course_id = "sprintlib-cnn-rnn"
c.CourseDirectory.db_assignments = [dict(name=a) for a in ASSIGNMENTS if (HERE / "percent" / f"{a}.py").exists()]
# Nothing but the notebook reaches a release or a submission copy: the percent sources
# and any .py file stay with the instructor.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "percent", "*.py"]

# `make grade` does not run nbgrader autograde: it grades in a sandbox with the limits of
# limits.toml (see README.md). These apply when an instructor runs `nbgrader autograde` by hand.
# Each cell of a graded notebook gets 30 s (nbgrader's default, stated here): training
# cells do a token amount of work when sprintlib.grading.autograding() says nbgrader runs.
c.Execute.timeout = 30
c.Execute.startup_timeout = 120  # a kernel's start on a busy machine
c.Execute.execute_retries = 0

# The hidden tests draw their inputs from sprintlib.grading.hidden_rng(grade_id), seeded by
# this number: the kernels nbgrader starts inherit it. For a real term, set your own
# (secret) number in the environment before grading; it wins over this default.
os.environ.setdefault("SPRINTLIB_GRADING_SEED", "20261130")


class HideHiddenTests(Preprocessor):
    """Feedback shows what the hidden tests printed (check_layer's verdicts), never their code.

    nbgrader puts the hidden tests back into the test cells to grade them, and its feedback
    shows the autograded notebook as is (nbgrader issue #917). This removes each
    ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region from the source, and
    from an error's traceback every line that quotes it (the rest of the traceback, and
    the frames in the student's own code, stay: they point at what to fix).
    """

    enabled = True  # nbconvert's preprocessors are off unless enabled
    begin, end = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
    note = "# (hidden tests ran here: their results are printed below)"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or self.begin not in cell.source:
            return cell, resources
        kept, hidden, inside = [], [], False
        for line in cell.source.split("\n"):
            if self.begin in line:
                inside = True
                kept.append(self.note)
            elif self.end in line:
                inside = False
            elif inside:
                if line.strip():
                    hidden.append(line.strip())
            else:
                kept.append(line)
        cell.source = "\n".join(kept)
        hidden += [self.begin, self.end]
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                # a frame in the test cell quotes the lines around the failing one: drop those
                # that are hidden test code, keep the rest (and the frames in the student's code)
                output["traceback"] = ["\n".join(line for line in frame.split("\n")
                                                 if not any(h in _plain(line) for h in hidden))
                                       for frame in output.get("traceback", [])]
        return cell, resources


def _plain(text):
    """A traceback frame without its ANSI colours."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests]
