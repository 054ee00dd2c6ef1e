"""Phase "export": feedback for the students, output/grades.csv and the grade table."""
from __future__ import annotations

import csv
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .course import COURSE_ID
from .session import Graded, env

def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """``nbgrader *args`` in ``course``, in the grading environment (build.nbgrader's command)."""
    import build  # autograder/build.py, beside this package

    return build.nbgrader(course, *args, env=env())


def feedback(course: Path, assignment: str, workers: int) -> None:
    """nbgrader generate_feedback for every autograded student of ``assignment``, the students
    split between ``workers`` processes (each told to leave out the others' students): the
    gradebook is only read, and a notebook's feedback takes a second or so of CPU."""
    students = sorted(p.name for p in (course / "autograded").iterdir() if (p / assignment).is_dir())
    n = max(1, min(workers, len(students) // 10))
    groups = [students[k::n] for k in range(n)]
    if len(groups) == 1 or any("," in s for s in students):
        nbgrader(course, "generate_feedback", assignment, "--force")
        return
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        runs = [pool.submit(nbgrader, course, "generate_feedback", assignment, "--force",
                            "--CourseDirectory.student_id_exclude=" + ",".join(s for s in students if s not in group))
                for group in groups]
        for run in runs:
            run.result()


def grades_csv(course: Path, path: Path, students: list[str]) -> None:
    """nbgrader export of these students to ``path``."""
    nbgrader(course, "export", "--to", str(path), *[f"--student={s}" for s in students])


def times_csv(path: Path, graded: list[Graded]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", "seconds"])
        for g in sorted(graded, key=lambda g: (g.assignment, g.student)):
            writer.writerow([g.student, g.assignment, f"{g.seconds:.1f}"])


def table(course: Path, graded: list[Graded], assignments: list[str]) -> str:
    """Students x assignments: autograded points (and written points left to grade by hand)."""
    from nbgrader.api import Gradebook

    students = sorted({g.student for g in graded})
    done = {(g.student, g.assignment): g for g in graded}
    cols = [a for a in assignments if any(g.assignment == a for g in graded)]
    rows = [["student"] + cols]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        for s in students:
            row = [s]
            for a in cols:
                g = done.get((s, a))
                if g is None:
                    row.append("-")
                elif g.error:
                    row.append("ERROR")
                else:
                    sub = gb.find_submission(a, s)
                    cell = f"{sub.code_score:g}/{sub.max_code_score:g}"
                    if sub.max_written_score:
                        cell += f" (+{sub.max_written_score:g} by hand)"
                    row.append(cell)
            rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
