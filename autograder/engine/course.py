"""The course's constants, written once: what every door of the engine and the tests read.

The course folder is autograder/ (nbgrader's course root, where nbgrader_config.py is);
these names describe it. A copy of the course (a test's temporary folder, the hub's
instructor home) is made of ``COURSE_FILES``.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

from sprintlib.grading.mode import SEED_VARIABLE

#: autograder/: the course root, holding this package
COURSE = Path(__file__).resolve().parents[1]
ENGINE = Path(__file__).resolve().parent
COURSE_ID = "sprintlib-cnn-rnn"
#: the four sprints, in order; an assignment counts once its percent source exists
ASSIGNMENTS = ["sprint1_conv1d", "sprint2_conv2d", "sprint3_lenet", "sprint4_rnn"]
#: the hidden tests draw their inputs from sprintlib.grading.hidden_rng(grade_id), seeded by
#: this variable; a real term sets its own secret value (autograder/README.md)
#: (sprintlib.grading.mode.SEED_VARIABLE); without it the notebooks use sprintlib's own default,
#: and every graded run this one
DEFAULT_SEED = "20261130"
#: what a copy of the course needs to build, grade and give feedback (a test's temporary course)
COURSE_FILES = ["nbgrader_config.py", "build.py", "grade.py", "engine", "limits.toml", "percent", "samples"]


def grading_seed() -> str:
    """The seed the hidden tests are drawn with: the environment's, else the course default."""
    return os.environ.get(SEED_VARIABLE) or DEFAULT_SEED


def load_limits(course: Path = COURSE) -> dict:
    """limits.toml, flattened: {"cell_seconds": 30, "memory_bytes": ..., ...}."""
    with open(course / "limits.toml", "rb") as f:
        cfg = tomllib.load(f)
    return {k: v for section in cfg.values() for k, v in section.items()}


def assignments(course: Path = COURSE) -> list[str]:
    """The assignments whose percent source exists, in course order."""
    return [a for a in ASSIGNMENTS if (course / "percent" / f"{a}.py").exists()]
