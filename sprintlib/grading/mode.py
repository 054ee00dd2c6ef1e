"""The grading mode, decided in one place: every read of the environment variables that
tell sprintlib.grading how its notebook is being run. Every other module asks here.

- ``recording()``: "expected" in autograder/grade.py's trusted run of the source notebook,
  "got" in a student's graded kernel, None otherwise (``SPRINTLIB_GRADING_RECORD``);
- ``autograding()``: "autograde" or "validate" while nbgrader runs the notebook
  (``NBGRADER_EXECUTION``);
- ``seed()``: the course's seed of the hidden tests (``SPRINTLIB_GRADING_SEED``);
- ``hidden_key()``, ``hidden_folder()``: the secret that draws the hidden images, which only
  the trusted run has, and the folder where the trusted run leaves them
  (``SPRINTLIB_HIDDEN_IMAGES_KEY``, ``SPRINTLIB_HIDDEN_IMAGES``);
- ``ship_file()``: the file where the checks that run with the model answers append the
  expected values that the students' copy of sprintlib ships (``SPRINTLIB_GRADING_SHIP``,
  see shipped.py).

Each is read when asked, never kept: whoever starts the kernel sets the variables
(autograder/grade.py, nbgrader, a test), and they may change between two checks.
"""
from __future__ import annotations

import os

#: set by autograder/grade.py in the kernels it runs: "expected" in the trusted run of the
#: instructor's notebook, "got" in a student's (sandboxed, untrusted) kernel
RECORD_VARIABLE = "SPRINTLIB_GRADING_RECORD"

#: the variable every grading door sets in the kernels it starts, so that a course draws its own
#: cases; DEFAULT_SEED serves the runs no door starts (a student's notebook), and is not the
#: graded runs' default on purpose (the course's definition, course.toml, says why)
SEED_VARIABLE = "SPRINTLIB_GRADING_SEED"
DEFAULT_SEED = "sprintlib"

#: set by autograder/grade.py: the secret that draws the hidden images, in the trusted run only
#: (a student's kernel never has it, so it cannot tell which shipped images, and so which
#: labels, they are), and the folder where the trusted run leaves the images it drew, which a
#: student's kernel reads them from
HIDDEN_KEY_VARIABLE = "SPRINTLIB_HIDDEN_IMAGES_KEY"
HIDDEN_DIR_VARIABLE = "SPRINTLIB_HIDDEN_IMAGES"

#: set while the instructor's sprintlib runs a notebook for the students' build (``make
#: student-repo``): the file (JSON lines) where every check_layer and check_function that runs
#: with the model answers appends what a students' copy, without them, judges by (shipped.py)
SHIP_VARIABLE = "SPRINTLIB_GRADING_SHIP"

#: set by nbgrader while it runs a notebook: "autograde" or "validate"
NBGRADER_VARIABLE = "NBGRADER_EXECUTION"


def recording() -> str | None:
    """None as usual; while autograder/grade.py grades, every check emits what it compares
    (a record: the part's name and an array) instead of trusting its own verdict:

    - "expected": the trusted run of the source notebook (the model answers) emits the
      reference's values, after the usual checks;
    - "got": a student's kernel emits the values the student's code gave, and runs none of
      the reference's maths (in a graded kernel they are removed from sprintlib).

    The grader compares the two lists outside the kernel: whatever the student's code
    changes in the kernel (numpy, these functions, IPython) can only spoil its own records.
    """
    mode = os.environ.get(RECORD_VARIABLE)
    return mode if mode in ("expected", "got") else None


def autograding() -> str | None:
    """"autograde" or "validate" while nbgrader runs the notebook (``NBGRADER_EXECUTION``),
    None when a person does. A cell that trains can then do a token amount of work when
    graded: nbgrader stops a cell after 30 s."""
    return os.environ.get(NBGRADER_VARIABLE) or None


def seed() -> str:
    """The course's seed of the hidden tests: ``SPRINTLIB_GRADING_SEED``, DEFAULT_SEED when
    it is not set (set but empty, it is the empty seed)."""
    return os.environ.get(SEED_VARIABLE, DEFAULT_SEED)


def hidden_key() -> str | None:
    """The secret that draws the hidden images in the trusted run (None when it is not set)."""
    return os.environ.get(HIDDEN_KEY_VARIABLE)


def hidden_folder() -> str | None:
    """The folder of the hidden images the trusted run drew (None when it is not set)."""
    return os.environ.get(HIDDEN_DIR_VARIABLE)


def ship_file() -> str | None:
    """The file where the checks append their expected values for the students' copy
    (``SPRINTLIB_GRADING_SHIP``); None when it is not set (or empty)."""
    return os.environ.get(SHIP_VARIABLE) or None
