"""pyflakes over the package, the benchmarks and the tests: an undefined name or an unused
import is a bug waiting in code that no test runs (a benchmark's last line, an error path)."""
import io

import pytest
from pyflakes import api, reporter

from conftest import ROOT


@pytest.mark.parametrize("folder", ["sprintlib", "benchmarks", "tests"])
def test_pyflakes_finds_nothing(folder):
    out = io.StringIO()
    n = api.checkRecursive([str(ROOT / folder)], reporter.Reporter(out, out))
    assert n == 0, f"pyflakes, {n} warning(s):\n{out.getvalue()}"


def test_pyflakes_on_the_course_scripts():
    """autograder/'s scripts and its engine (not the percent sources: their cells share one namespace with the
    notebook; nor nbgrader_config.py, whose get_config comes from nbgrader)."""
    out = io.StringIO()
    files = [ROOT / "autograder" / "build.py", ROOT / "autograder" / "grade.py",
             *sorted((ROOT / "autograder" / "engine").glob("*.py"))]
    n = sum(api.checkPath(str(f), reporter.Reporter(out, out)) for f in files)
    assert n == 0, f"pyflakes, {n} warning(s):\n{out.getvalue()}"
