"""`make notebooks`: from the hand-edited percent scripts to every notebook the course ships.

    autograder/percent/<a>.py  --jupytext-->  autograder/source/<a>/<a>.ipynb   (instructor version)
                               --nbgrader generate_assignment-->  autograder/release/<a>/<a>.ipynb
                               --copy-->  notebooks/<a>.ipynb                   (what students open)
    release + source + autograder/samples/buggy/<a>.py  -->  autograder/submitted/<student>/<a>/<a>.ipynb
        correct: the solutions filled back from the source
        blank:   the release as handed out
        seeds:   the solution cells the course documents' students wrote (samples/buggy/<a>.py), blank elsewhere

The assignments are course.toml's (engine.course.ASSIGNMENTS); each whose percent script
exists is built. Everything written is committed: tests/test_course_grading.py rebuilds in a
temporary folder and fails when a committed notebook differs from what this makes.

    python autograder/build.py [--root DIR] [--samples-only] [assignment ...]

``--root`` is the repository to build in (default: the one this file is in).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.modules.setdefault("rfc3987_syntax", None)  # see NBGRADER below
import jupytext  # noqa: E402
import nbformat  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine.course import ASSIGNMENTS  # noqa: E402  (course.toml's)

SAMPLE_STUDENTS = ("correct", "blank", "seeds")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
BIN = Path(sys.executable).parent  # nbgrader runs `alembic` from PATH
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def assignments(root: Path, names=None) -> list[str]:
    """The assignments whose percent source exists, in course order (or the ones named)."""
    found = [a for a in ASSIGNMENTS if (root / "autograder" / "percent" / f"{a}.py").exists()]
    if names:
        unknown = sorted(set(names) - set(found))
        if unknown:
            raise SystemExit(f"build.py: no percent source for {', '.join(unknown)} "
                             f"(autograder/percent/<assignment>.py); found: {', '.join(found)}")
        found = [a for a in found if a in names]
    return found


# -- percent script -> instructor notebook ----------------------------------------------
def render(percent: Path) -> nbformat.NotebookNode:
    """The instructor notebook of a percent script: nbgrader metadata kept, nothing volatile.

    Cells get stable ids (the grade_id, or the assignment and the cell's position), so that
    the same script always renders to the same file.
    """
    nb = jupytext.reads(percent.read_text(encoding="utf-8"), fmt="py:percent")
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC,
                                      "language_info": {"name": "python", "pygments_lexer": "ipython3"}})
    seen = set()
    for i, cell in enumerate(nb.cells):
        nbgrader = cell.metadata.get("nbgrader")
        cell.metadata = nbformat.from_dict({"nbgrader": nbgrader} if nbgrader else {})
        cell.id = nbgrader["grade_id"] if nbgrader else f"{percent.stem}-{i:03d}"
        if cell.id in seen:
            raise SystemExit(f"{percent}: grade_id {cell.id!r} is used twice")
        seen.add(cell.id)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def write(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


#: nbgrader's command line (the ``nbgrader`` script's own three lines), without the 1.4 s import
#: of rfc3987_syntax that jsonschema would make for a format no notebook uses
NBGRADER = [sys.executable, "-c", "import sys; sys.modules.setdefault('rfc3987_syntax', None); sys.argv[0] = 'nbgrader'; "
            "from nbgrader.apps.nbgraderapp import main; sys.exit(main())"]


def nbgrader(course: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``nbgrader *args`` in the course folder ``course``; exits with its output if it fails.
    ``env``: the environment (default: this one, with this Python's scripts first on PATH)."""
    env = env or dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    run = subprocess.run([*NBGRADER, *args], cwd=course, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed in {course}:\n{run.stdout}{run.stderr}")
    return run


# -- sample submissions -------------------------------------------------------------------
def solution_cells(nb) -> dict:
    return {c.metadata.nbgrader["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def strip_markers(source: str) -> str:
    """A model answer as a student would hand it in: the BEGIN/END SOLUTION lines removed."""
    return "\n".join(line for line in source.split("\n") if not MARKER.match(line))


def read_buggy(path: Path) -> dict[str, str]:
    """``# %% <grade_id>`` cells of samples/buggy/<a>.py: grade_id -> the code of that cell."""
    cells, current, lines = {}, None, []
    for line in path.read_text(encoding="utf-8").split("\n"):
        m = re.match(r"^# %% (\S+)\s*$", line)
        if m:
            if current:
                cells[current] = "\n".join(lines).strip("\n")
            current, lines = m.group(1), []
        elif current:
            lines.append(line)
    if current:
        cells[current] = "\n".join(lines).strip("\n")
    return cells


def samples(release, source, buggy: dict[str, str], name: str) -> dict:
    """The three sample submissions of one assignment, built from its release notebook."""
    model = solution_cells(source)
    unknown = sorted(set(buggy) - set(model))
    if unknown:
        raise SystemExit(f"samples/buggy/{name}.py: no solution cell {', '.join(unknown)} in the source")
    out = {}
    for student in SAMPLE_STUDENTS:
        nb = nbformat.from_dict(release)  # a deep copy
        for grade_id, cell in solution_cells(nb).items():
            if student == "correct":
                cell.source = strip_markers(model[grade_id].source)
            elif student == "seeds" and grade_id in buggy:
                cell.source = buggy[grade_id]
        out[student] = nb
    return out


# -- the whole build ---------------------------------------------------------------------------
def build(root: Path, names=None, samples_only: bool = False) -> list[str]:
    course = root / "autograder"
    built = assignments(root, names)
    for a in built:
        if not samples_only:
            write(render(course / "percent" / f"{a}.py"), course / "source" / a / f"{a}.ipynb")
            nbgrader(course, "generate_assignment", a, "--force")
            shutil.copyfile(course / "release" / a / f"{a}.ipynb", root / "notebooks" / f"{a}.ipynb")
        release = nbformat.read(str(course / "release" / a / f"{a}.ipynb"), as_version=4)
        source = nbformat.read(str(course / "source" / a / f"{a}.ipynb"), as_version=4)
        buggy_path = course / "samples" / "buggy" / f"{a}.py"
        buggy = read_buggy(buggy_path) if buggy_path.exists() else {}
        for student, nb in samples(release, source, buggy, a).items():
            write(nb, course / "submitted" / student / a / f"{a}.ipynb")
        print(f"built {a}: source, release, notebooks/{a}.ipynb, samples {', '.join(SAMPLE_STUDENTS)}")
    return built


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment with a percent source")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--samples-only", action="store_true", help="only rewrite autograder/submitted/")
    args = parser.parse_args(argv)
    build(args.root.resolve(), args.assignments, args.samples_only)


if __name__ == "__main__":
    main()
