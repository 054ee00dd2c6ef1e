"""The students' repository as students get it, for the tests that work in it (tests/test_binder.py,
tests/test_browser.py): built once per test process (each pytest-xdist worker is one) by
`make student-repo`'s own code (autograder/student_repo.py) with course.toml's settings, shipped
expected values included (the slow part: it runs the four source notebooks' visible tests), into
pytest's temporary folder; each test file then gets a fresh ``git clone`` of it, so that it sees
exactly what the build committed, without this repository beside it.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
import student_repo  # noqa: E402


#: the build of this process: pytest's temporary folder of the session -> the repository
_BUILT: dict[Path, Path] = {}


def built(tmp_path_factory) -> Path:
    """The students' repository as course.toml releases it, built once per test process (per
    pytest session: ``tmp_path_factory``'s temporary folder is one a session)."""
    key = tmp_path_factory.getbasetemp()
    if key not in _BUILT:
        dst = tmp_path_factory.mktemp("student-build") / "repo"
        student_repo.build(dst, ship=True)
        _BUILT[key] = dst
    return _BUILT[key]


def fresh_clone(tmp_path_factory, name: str) -> Path:
    """A new ``git clone`` of the students' repository, in a temporary folder ``name``: the
    committed files and the git history, nothing else."""
    clone = tmp_path_factory.mktemp(name) / "repo"
    subprocess.run(["git", "clone", "-q", str(built(tmp_path_factory)), str(clone)], check=True)
    return clone


def student_config(clone: Path):
    """The clone's binder/student_config.py as a module: a student's Jupyter configuration, as
    the Binder image (binder/postBuild) and `make lab` write it."""
    spec = importlib.util.spec_from_file_location("students_student_config", clone / "binder" / "student_config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
