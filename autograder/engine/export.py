"""Phase "export": feedback for the students, output/grades.csv, the gradebook imports of Canvas
and Gradescope, and the grade table."""
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


#: the student columns of Canvas's gradebook CSV (its export; its import reads them back): the
#: importer matches a row by ID (Canvas's user id), then SIS User ID, SIS Login ID, then name
CANVAS_STUDENT = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
#: the columns of Gradescope's grade CSV of one assignment (its "Download Grades"; its roster and
#: score uploads match a row by Email or SID)
GRADESCOPE = ["Name", "SID", "Email", "Total Score", "Max Points", "Status"]


def gradebook_rows(course: Path, students: list[str], assignments: list[str]) -> tuple[list[dict], dict]:
    """([{"id", "first_name", "last_name", "email", "lms_user_id", "scores": {assignment: points
    or None (no submission)}}], {assignment: points possible}) from nbgrader's gradebook: the
    scores nbgrader exports (autograded and graded by hand)."""
    from nbgrader.api import Gradebook, MissingEntry

    rows, possible = [], {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        for a in assignments:
            try:
                possible[a] = gb.find_assignment(a).max_score
            except MissingEntry:
                continue
        for s in students:
            student = gb.find_student(s)
            scores = {}
            for a in possible:
                try:
                    scores[a] = gb.find_submission(a, s).score
                except MissingEntry:
                    scores[a] = None
            rows.append({"id": s, "first_name": student.first_name or "", "last_name": student.last_name or "",
                         "email": student.email or "", "lms_user_id": student.lms_user_id or "", "scores": scores})
    return rows, possible


def _points(x) -> str:
    return "" if x is None else f"{x:g}"


def canvas_csv(path: Path, rows: list[dict], possible: dict, canvas_ids: dict | None = None) -> None:
    """Canvas's gradebook import: Student ("Last, First", else the id), ID (nbgrader's
    lms_user_id), SIS User ID (empty), SIS Login ID (nbgrader's student id), Section (empty),
    then "<assignment> (<Canvas's assignment id>)" a column (the name alone when its id is not
    in ``canvas_ids``: Canvas matches it by name or makes a new assignment), its points; the
    second row, "Points Possible", gives a new assignment its points. An empty cell (no
    submission) leaves Canvas's grade as it is."""
    canvas_ids = canvas_ids or {}
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CANVAS_STUDENT + [f"{a} ({canvas_ids[a]})" if canvas_ids.get(a) else a for a in possible])
        writer.writerow(["Points Possible", "", "", "", ""] + [_points(p) for p in possible.values()])
        for r in rows:
            name = ", ".join(n for n in (r["last_name"], r["first_name"]) if n) or r["id"]
            writer.writerow([name, r["lms_user_id"], "", r["id"], ""] + [_points(r["scores"][a]) for a in possible])


def gradescope_csvs(folder: Path, rows: list[dict], possible: dict) -> list[Path]:
    """One Gradescope grade CSV an assignment, ``folder/<assignment>.csv``: Name ("First Last",
    else the id), SID (nbgrader's student id), Email, Total Score (empty: no submission), Max
    Points, Status ("Graded" or "Missing")."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for a, points in possible.items():
        paths.append(folder / f"{a}.csv")
        with open(paths[-1], "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(GRADESCOPE)
            for r in rows:
                score = r["scores"][a]
                writer.writerow([" ".join(n for n in (r["first_name"], r["last_name"]) if n) or r["id"], r["id"],
                                 r["email"], _points(score), _points(points), "Missing" if score is None else "Graded"])
    return paths


def lms_csvs(course: Path, output: Path, students: list[str], assignments: list[str],
             canvas_ids: dict | None = None) -> list[Path]:
    """output/canvas_grades.csv and output/gradescope/<assignment>.csv of these students."""
    rows, possible = gradebook_rows(course, students, assignments)
    output.mkdir(parents=True, exist_ok=True)
    canvas_csv(output / "canvas_grades.csv", rows, possible, canvas_ids)
    return [output / "canvas_grades.csv"] + gradescope_csvs(output / "gradescope", rows, possible)


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
