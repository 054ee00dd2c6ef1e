"""nbgrader configuration of the course: this folder (autograder/) is the course root.

    course.toml (the repository's)         the course's definition: its id, the assignments,
                                           the default seed, the limits file (engine/course.py reads it)
    autograder/percent/<assignment>.py     hand-edited sources (Jupytext percent scripts)
    autograder/source/<assignment>/        instructor notebooks, rendered from them (make notebooks)
    autograder/release/<assignment>/       student versions (nbgrader generate_assignment)
    autograder/submitted/<student>/<assignment>/   the sample submissions (correct, blank, seeds)
    autograder/engine/                     the grading engine (engine/__init__.py: its phases)
    autograder/limits.toml                 the sandbox's limits, for every door
    autograder/gradebook.db, autograded/, feedback/, results/   made by grading (not committed)

Every nbgrader command run in this folder reads this file. Every door that autogrades
(`nbgrader autograde`, with or without --student; the formgrader's Autograde button; the
hub term) grades with the engine, as `make grade` does: the submission rebuilt from the
source notebook, run in the sandbox, judged outside the student's kernel, scores into the
gradebook (engine/nbgrader_door.py). nbgrader's own execution is not reachable from here.
"""
import sys
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor, Preprocessor
from nbgrader.preprocessors import GetGrades

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file
HERE = Path(__file__).resolve().parent
c.CourseDirectory.root = str(HERE)


class EngineMissing(Preprocessor):
    """Autograde when the engine cannot be imported (a copy of the course without engine/):
    each submission fails, loudly. A config file that raised would be skipped by nbgrader
    (traitlets only logs it), which would then grade with its own execution, unhardened."""

    enabled = True
    why = ""

    def preprocess(self, nb, resources):
        raise RuntimeError(f"the course's grading engine could not be imported ({self.why}): no submission is "
                           f"graded without it. Copy autograder/engine/ beside {__file__} (engine.course.copy_course makes a whole copy)")


c.Autograde.sanitize_preprocessors = []
c.Autograde.autograde_preprocessors = [EngineMissing]
sys.path.insert(0, str(HERE))  # the engine package, beside this file
try:
    from engine.course import COURSE_ID, assignments
    from engine.feedback import HideHiddenTests
    from engine.nbgrader_door import GradeInSandbox, SubmissionExporter
except Exception as e:  # noqa: BLE001 - whatever breaks the import, nothing is graded without the engine
    EngineMissing.why = f"{type(e).__name__}: {e}"
    print(f"ERROR: {EngineMissing.why}: nbgrader autograde will grade nothing", file=sys.stderr)
else:
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.db_assignments = [dict(name=a) for a in assignments(HERE)]
    # Autograde: the engine instead of nbgrader's sanitize-and-execute (its time, memory and
    # output limits are autograder/limits.toml's, for every door)
    c.Autograde.exporter_class = SubmissionExporter
    c.Autograde.autograde_preprocessors = [GradeInSandbox]
    # Feedback: the engine's verdicts under each test, never the hidden tests' code
    c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests]

# What a blank answer says when it runs: a readable message, not a bare NotImplementedError
# (a test cell that calls it shows the message; tests/test_student_repo.py runs the releases)
c.ClearSolutions.code_stub = {"python": '# YOUR CODE HERE\nraise NotImplementedError("not answered yet: replace this line '
                                        'with your code")'}

# Nothing but the notebook reaches a release or a submission copy: the percent sources,
# the engine and any .py file stay with the instructor.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "percent", "engine", "*.py"]

# The hidden tests draw their inputs from sprintlib.grading.hidden_rng(grade_id), seeded by
# SPRINTLIB_GRADING_SEED (course.toml's default_seed when unset): for a real term, set your own
# secret value in the environment of every door before grading (autograder/README.md).
