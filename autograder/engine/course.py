"""The course's definition, read once from course.toml: what every door of the engine, the
build, the hub term, the tests and the benchmarks import (none of them writes a value again;
tests/test_course_definition.py checks that).

The course folder is autograder/ (nbgrader's course root, where nbgrader_config.py is). Its
definition is the repository's course.toml, beside autograder/; a copy of the course (a test's
temporary folder, the hub's instructor home), made by ``copy_course``, carries its own
course.toml inside the copied folder, which is read first.
"""
from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

from sprintlib.grading.mode import SEED_VARIABLE

#: autograder/: the course root, holding this package
COURSE = Path(__file__).resolve().parents[1]
ENGINE = Path(__file__).resolve().parent


def _definition_file(course: Path = COURSE) -> Path:
    """course.toml: the copy's own (inside the course folder), else the repository's (beside it)."""
    for path in (course / "course.toml", course.parent / "course.toml"):
        if path.is_file():
            return path
    raise FileNotFoundError(f"the course's definition course.toml: expected {course / 'course.toml'} "
                            f"or {course.parent / 'course.toml'}, found neither")


def read_definition(path: Path) -> dict:
    """course.toml, checked: a clear error names the key that is missing or of the wrong kind."""
    with open(path, "rb") as f:
        d = tomllib.load(f)

    def need(table: dict, where: str, key: str, kind: type):
        value = table.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"{path}: [{where}] {key}: expected a {kind.__name__}, got {value!r}")
        return value

    course = need(d, "", "course", dict)
    for key, kind in (("id", str), ("default_seed", str), ("limits", str), ("files", list)):
        need(course, "course", key, kind)
    if course["limits"] not in course["files"]:
        raise ValueError(f"{path}: [course] limits {course['limits']!r} is not among the files a copy of "
                         f"the course carries ({course['files']})")
    assignments = need(d, "", "assignments", dict)
    for name, a in assignments.items():
        need(assignments, "assignments", name, dict)
        need(a, f"assignments.{name}", "title", str)
        for key in ("points", "by_hand"):
            if not isinstance(a.get(key), (int, float)) or isinstance(a.get(key), bool) or a[key] < 0:
                raise ValueError(f"{path}: [assignments.{name}] {key}: expected a number >= 0, got {a.get(key)!r}")
    return d


_DEFINITION = read_definition(_definition_file())

#: nbgrader's course id
COURSE_ID: str = _DEFINITION["course"]["id"]
#: the sprints, in course order; an assignment counts once its percent source exists
ASSIGNMENTS: list[str] = list(_DEFINITION["assignments"])
#: each sprint's title, for the docs and the tables
TITLES: dict[str, str] = {a: v["title"] for a, v in _DEFINITION["assignments"].items()}
#: each sprint's points: (autograded, by hand); the percent scripts' cells add up to these
POINTS: dict[str, tuple[float, float]] = {a: (v["points"], v["by_hand"]) for a, v in _DEFINITION["assignments"].items()}
#: the hidden tests draw their inputs from sprintlib.grading.hidden_rng(grade_id), seeded by
#: SEED_VARIABLE; every door sets it to the environment's value, else this default (course.toml
#: says why sprintlib's own default differs)
DEFAULT_SEED: str = _DEFINITION["course"]["default_seed"]
#: the limits file, in the course folder
LIMITS_FILE: str = _DEFINITION["course"]["limits"]
#: what a copy of the course needs to build, grade and give feedback (files of autograder/)
COURSE_FILES: list[str] = list(_DEFINITION["course"]["files"])


def grading_seed() -> str:
    """The seed the hidden tests are drawn with: the environment's, else the course default."""
    return os.environ.get(SEED_VARIABLE) or DEFAULT_SEED


def load_limits(course: Path = COURSE) -> dict:
    """The limits file, flattened: {"cell_seconds": 30, "memory_bytes": ..., ...}."""
    with open(course / LIMITS_FILE, "rb") as f:
        cfg = tomllib.load(f)
    return {k: v for section in cfg.values() for k, v in section.items()}


def assignments(course: Path = COURSE) -> list[str]:
    """The assignments whose percent source exists, in course order."""
    return [a for a in ASSIGNMENTS if (course / "percent" / f"{a}.py").exists()]


def copy_course(dest: Path, extra=(), without=(), ignore=("__pycache__", "*.pyc", ".ipynb_checkpoints")) -> Path:
    """A copy of the course in ``dest`` (made if missing): COURSE_FILES, without the names in
    ``without``, plus the names in ``extra`` (e.g. "source", "release"), each from autograder/,
    and course.toml, which the copy's engine reads. Returns ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    skip = shutil.ignore_patterns(*ignore)
    for name in [*(f for f in COURSE_FILES if f not in without), *extra]:
        src = COURSE / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=skip, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest / name)
    shutil.copy2(_definition_file(), dest / "course.toml")
    return dest
