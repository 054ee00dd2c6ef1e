"""course.toml is the course's one definition: its id, default seed, assignments, points and
the files a copy of the course needs are written there and nowhere else.

autograder/engine/course.py reads it; every other place imports from there. The scan below
looks through the repository's text files for the values themselves (the seed and the id as
strings, a list of the assignments' or the course files' names) and names each file and line
that writes one again.
"""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
from engine import course  # noqa: E402
from sprintlib.grading import mode  # noqa: E402

DEFINITION = ROOT / "course.toml"
#: not scanned: the definition itself, generated notebooks, data, binaries, installed packages
SKIP_DIRS = {".git", ".venv", "output", "node_modules", "__pycache__", ".pytest_cache", "data"}
TEXT = {".py", ".md", ".toml", ".yml", ".yaml", ".cfg", ".ini", ".txt", ".sh", ".json", ".html", ".in", ""}


def _quoted_list(names, at_least: int = 3) -> re.Pattern:
    """``at_least`` of ``names`` in a row, each quoted, separated by commas: a list written
    again (two names, a pair a test picks, are not the list)."""
    one = "|".join(re.escape(n) for n in names)
    return re.compile(r"\s*,\s*".join([rf"""(["'])(?:{one})\{i + 1}""" for i in range(at_least)]))


def patterns() -> dict[str, re.Pattern]:
    return {
        "the default grading seed": re.compile(re.escape(course.DEFAULT_SEED)),
        "the course id": re.compile(re.escape(course.COURSE_ID)),
        "the list of assignments": _quoted_list(course.ASSIGNMENTS),
        "the list of files of a course copy": _quoted_list(course.COURSE_FILES),
    }


def scan(paths, root: Path) -> list[str]:
    """``file:line: <what>: <the line>`` for every line of ``paths`` that writes a constant again."""
    found = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.split("\n"), 1):
            for what, pattern in patterns().items():
                if pattern.search(line):
                    found.append(f"{path.relative_to(root)}:{number}: {what}: {line.strip()[:100]}")
    return found


def repository_files(root: Path = ROOT) -> list[Path]:
    """The repository's text files (git's list when there is one), course.toml left out."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
        files = [root / p for p in listed.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        files = [p for p in root.rglob("*") if p.is_file()]
    return [p for p in files
            if p.is_file() and p != root / "course.toml" and p.suffix in TEXT
            and not SKIP_DIRS & set(p.relative_to(root).parts[:-1])]


def test_no_constant_is_written_outside_the_definition():
    files = repository_files()
    assert len(files) > 100 and ROOT / "autograder" / "engine" / "course.py" in files
    found = scan(files, ROOT)
    assert not found, ("written again outside course.toml (import it from autograder/engine/course.py):\n"
                       + "\n".join(found))


def test_the_scan_finds_what_it_looks_for(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("\n".join([
        "x = 1",
        f"SEED = {course.DEFAULT_SEED!r}",
        f'gb = Gradebook(db, "{course.COURSE_ID}")',
        f"ASSIGNMENTS = [{course.ASSIGNMENTS[0]!r}, {course.ASSIGNMENTS[1]!r}, {course.ASSIGNMENTS[3]!r}]",
        f'FILES = ["{course.COURSE_FILES[1]}",  "{course.COURSE_FILES[2]}","{course.COURSE_FILES[0]}"]',
        f"A, B = {course.ASSIGNMENTS[0]!r}, {course.ASSIGNMENTS[1]!r}  # a pair is not the list",
    ]))
    assert scan([planted], tmp_path) == [
        f"planted.py:2: the default grading seed: SEED = {course.DEFAULT_SEED!r}",
        f'planted.py:3: the course id: gb = Gradebook(db, "{course.COURSE_ID}")',
        f"planted.py:4: the list of assignments: ASSIGNMENTS = [{course.ASSIGNMENTS[0]!r}, {course.ASSIGNMENTS[1]!r}, "
        f"{course.ASSIGNMENTS[3]!r}]",
        f'planted.py:5: the list of files of a course copy: FILES = ["{course.COURSE_FILES[1]}",  '
        f'"{course.COURSE_FILES[2]}","{course.COURSE_FILES[0]}"]',
    ]


def test_the_definition_holds_what_the_course_uses():
    assert len(course.ASSIGNMENTS) == 4 and len(set(course.ASSIGNMENTS)) == 4
    assert course.assignments() == course.ASSIGNMENTS  # every assignment has its percent script
    for name in course.COURSE_FILES:
        assert (course.COURSE / name).exists(), f"course.toml [course] files: autograder/{name} does not exist"
    assert (course.COURSE / course.LIMITS_FILE).is_file()
    assert course.load_limits()["cell_seconds"] > 0
    import build
    import student_repo
    assert build.ASSIGNMENTS is course.ASSIGNMENTS and student_repo.ASSIGNMENTS is course.ASSIGNMENTS


def _percent_points(assignment: str) -> tuple[float, float]:
    """(autograded, by hand): the points of the graded cells of its percent script."""
    auto = by_hand = 0.0
    for line in (course.COURSE / "percent" / f"{assignment}.py").read_text(encoding="utf-8").split("\n"):
        m = re.match(r"^# %%( \[markdown\])? nbgrader=(\{.*\})\s*$", line)
        if m and json.loads(m.group(2)).get("grade"):
            points = float(json.loads(m.group(2))["points"])
            if m.group(1):
                by_hand += points
            else:
                auto += points
    return auto, by_hand


@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_the_points_are_the_percent_scripts(assignment):
    assert _percent_points(assignment) == course.POINTS[assignment], (
        f"course.toml [assignments.{assignment}] points, by_hand {course.POINTS[assignment]}; "
        f"its percent script's graded cells add up to {_percent_points(assignment)}")


def test_the_seeds_differ_on_purpose():
    """course.toml explains why sprintlib's own default (the runs no door starts) is not the
    graded runs' one; the explanation holds only while they differ, and it names both."""
    assert mode.DEFAULT_SEED != course.DEFAULT_SEED
    text = DEFINITION.read_text(encoding="utf-8")
    assert f'"{mode.DEFAULT_SEED}"' in text and "sprintlib/grading/mode.py" in text


def test_course_toml_holds_no_secret():
    """The term's secrets are environment variables, never keys of course.toml (the students'
    build does not ship course.toml, and tests/test_student_repo.py checks that the default
    seed is in no file of the students' repository)."""
    keys = re.findall(r"^\s*([A-Za-z_]+)\s*=", DEFINITION.read_text(encoding="utf-8"), re.M)
    assert set(keys) == {"id", "default_seed", "limits", "files", "title", "points", "by_hand", "repository",
                         "released"}, keys


@pytest.mark.parametrize("broken, message", [
    ('[course]\nid = "x"\n', "[course] default_seed: expected a str, got None"),
    ('[course]\nid = "x"\ndefault_seed = 7\nlimits = "l"\nfiles = ["l"]\n[assignments]\n',
     "[course] default_seed: expected a str, got 7"),
    ('[course]\nid = "x"\ndefault_seed = "s"\nlimits = "l.toml"\nfiles = []\n[assignments]\n',
     "[course] limits 'l.toml' is not among the files"),
    ('[course]\nid = "x"\ndefault_seed = "s"\nlimits = "l"\nfiles = ["l"]\n[assignments.a]\ntitle = "A"\npoints = -1\nby_hand = 0\n',
     "[assignments.a] points: expected a number >= 0, got -1"),
])
def test_a_broken_definition_says_what_is_wrong(tmp_path, broken, message):
    (tmp_path / "course.toml").write_text(broken)
    with pytest.raises(ValueError, match=re.escape(message)):
        course.read_definition(tmp_path / "course.toml")


def test_a_copy_of_the_course_carries_its_definition(tmp_path):
    """copy_course: the files course.toml names and course.toml itself, which the copy's
    engine reads (not the repository's, which a copy elsewhere cannot see)."""
    copy = course.copy_course(tmp_path / "repo" / "autograder", without=["percent", "samples"])
    assert sorted(p.name for p in copy.iterdir()) == sorted(
        [f for f in course.COURSE_FILES if f not in ("percent", "samples")] + ["course.toml"])
    text = (copy / "course.toml").read_text().replace(f'"{course.COURSE_ID}"', '"another-course"')
    (copy / "course.toml").write_text(text)
    run = subprocess.run([sys.executable, "-c", "from engine.course import COURSE_ID, COURSE; print(COURSE_ID, COURSE)"],
                         cwd=copy, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["another-course", str(copy.resolve())]
    (copy / "course.toml").unlink()
    run = subprocess.run([sys.executable, "-c", "import engine.course"], cwd=copy, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode != 0 and "the course's definition course.toml: expected" in run.stderr
    shutil.rmtree(copy)
