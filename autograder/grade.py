"""`make grade [SUBMISSIONS=dir]`: the instructor's whole run, from the release to a grade table.

1. Build the release (autograder/build.py): source and release notebooks, and the gradebook
   entries of every assignment (autograder/gradebook.db, nbgrader's SQLite gradebook).
2. Take the submissions from SUBMISSIONS (nbgrader's layout, ``<student>/<assignment>/*.ipynb``;
   default: the samples in autograder/submitted/).
3. Autograde them in parallel: one worker a core, each grading one (student, assignment) at a
   time in a folder of its own (autograder/.work/<assignment>--<student>/: this course's
   config, the source, a copy of the gradebook, the submission). Each worker has its own
   SQLite file, so no two processes ever write to one database; nbgrader's kernels run with
   one BLAS thread each (OPENBLAS/OMP/MKL_NUM_THREADS=1), so two workers use two cores.
   Each worker also generates the feedback of its submission.
4. Merge, in this process and one at a time: the autograded notebook and the feedback are
   copied into autograder/autograded/ and autograder/feedback/, and the scores and comments
   of the worker's gradebook are written into autograder/gradebook.db with nbgrader's own
   Gradebook API (what its SaveAutoGrades step writes: auto_score, needs_manual_grade, the
   "No response." comments, the late penalty). The main gradebook is then what a sequential
   `nbgrader autograde` would have left: `nbgrader formgrader` in autograder/ grades the
   written answers by hand on top of it.
5. `nbgrader export` (the students of this run) to output/grades.csv, and a table of
   students x assignments on screen: the autograded points, the written points still to be
   graded by hand, and how long grading took.

    python autograder/grade.py [--submissions DIR] [--workers N] [--no-build] [--output DIR]
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build  # noqa: E402

COURSE_ID = "sprintlib-cnn-rnn"
BIN = Path(sys.executable).parent  # nbgrader runs `alembic` from PATH
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class Task:
    student: str
    assignment: str
    submission: Path  # <SUBMISSIONS>/<student>/<assignment>/
    work: Path = None
    seconds: float = 0.0
    error: str = ""


def env() -> dict:
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                MPLBACKEND="Agg", **ONE_THREAD)


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env(), capture_output=True, text=True)
    if check and run.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed in {course}:\n{run.stdout}{run.stderr}")
    return run


def find_tasks(submissions: Path, assignments: list[str]) -> list[Task]:
    tasks = []
    for student in sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for a in assignments:
            if (student / a).is_dir() and any((student / a).glob("*.ipynb")):
                tasks.append(Task(student.name, a, student / a))
    return tasks


def grade_one(task: Task, template_db: Path, work_root: Path) -> Task:
    """Autograde and make the feedback of one submission in a course folder of its own."""
    start = time.perf_counter()
    work = task.work = work_root / f"{task.assignment}--{task.student}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "source").mkdir(parents=True)
    shutil.copy2(HERE / "nbgrader_config.py", work / "nbgrader_config.py")
    shutil.copytree(HERE / "percent", work / "percent")  # the config lists the assignments from it
    shutil.copytree(HERE / "source" / task.assignment, work / "source" / task.assignment)
    shutil.copy2(template_db, work / "gradebook.db")
    shutil.copytree(task.submission, work / "submitted" / task.student / task.assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    try:
        nbgrader(work, "autograde", task.assignment, "--student", task.student, "--force")
        nbgrader(work, "generate_feedback", task.assignment, "--student", task.student, "--force")
    except RuntimeError as e:
        task.error = str(e)
    task.seconds = time.perf_counter() - start
    return task


def merge(task: Task, course: Path) -> None:
    """Bring one worker's autograded notebook, feedback and scores into the main course."""
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    # nbgrader's add_submission trips SQLAlchemy's autoflush warnings; the rows are written all the same
    warnings.filterwarnings("ignore", category=SAWarning)

    for folder in ("autograded", "feedback"):
        src = task.work / folder / task.student / task.assignment
        dst = course / folder / task.student / task.assignment
        if src.exists():
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)
    with Gradebook(f"sqlite:///{task.work / 'gradebook.db'}", COURSE_ID) as wgb, \
            Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        wsub = wgb.find_submission(task.assignment, task.student)
        gb.update_or_create_student(task.student)
        extra = {"timestamp": wsub.timestamp} if wsub.timestamp else {}
        gb.update_or_create_submission(task.assignment, task.student, **extra)
        for wnb in wsub.notebooks:
            nb = gb.find_submission_notebook(wnb.name, task.assignment, task.student)
            nb.late_submission_penalty = wnb.late_submission_penalty
            for wg in wnb.grades:
                g = gb.find_grade(wg.name, wnb.name, task.assignment, task.student)
                g.auto_score = wg.auto_score
                # as SaveAutoGrades: a manual grade already given, or no automatic score, needs a look
                g.needs_manual_grade = g.manual_score is not None or g.auto_score is None
            for wc in wnb.comments:
                gb.find_comment(wc.name, wnb.name, task.assignment, task.student).auto_comment = wc.auto_comment
        gb.db.commit()


def table(course: Path, tasks: list[Task], assignments: list[str]) -> str:
    """Students x assignments: autograded points (and written points left to grade by hand)."""
    from nbgrader.api import Gradebook

    students = sorted({t.student for t in tasks})
    done = {(t.student, t.assignment): t for t in tasks}
    cols = [a for a in assignments if any(t.assignment == a for t in tasks)]
    rows = [["student"] + cols]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        for s in students:
            row = [s]
            for a in cols:
                t = done.get((s, a))
                if t is None:
                    row.append("-")
                elif t.error:
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=Path, default=HERE / "submitted",
                        help="nbgrader's submitted/ layout: <student>/<assignment>/*.ipynb (default: the samples)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="default: one a core")
    parser.add_argument("--output", type=Path, default=HERE.parent / "output")
    parser.add_argument("--no-build", action="store_true", help="grade against the release as it is")
    args = parser.parse_args(argv)
    start = time.perf_counter()

    root = HERE.parent
    if args.no_build:
        assignments = build.assignments(root)
        for a in assignments:  # the gradebook still needs each assignment's cells
            build.nbgrader(HERE, "generate_assignment", a, "--force")
    else:
        assignments = build.build(root)
    submissions = args.submissions.resolve()
    tasks = find_tasks(submissions, assignments)
    if not tasks:
        print(f"no submissions in {submissions} (expected <student>/<assignment>/*.ipynb, "
              f"assignments: {', '.join(assignments)})")
        return 1

    work_root = HERE / ".work"
    shutil.rmtree(work_root, ignore_errors=True)
    work_root.mkdir()
    template = work_root / "gradebook-template.db"  # taken before any merge writes to the main one
    shutil.copy2(HERE / "gradebook.db", template)
    print(f"grading {len(tasks)} submissions of {len({t.student for t in tasks})} students "
          f"with {args.workers} workers")
    failed = []
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(grade_one, t, template, work_root) for t in tasks]
        for future in tqdm(as_completed(futures), total=len(futures), unit="submission", desc="autograde"):
            task = future.result()
            if task.error:
                failed.append(task)
            else:
                merge(task, HERE)

    args.output.mkdir(parents=True, exist_ok=True)
    csv_path = args.output.resolve() / "grades.csv"
    students = sorted({t.student for t in tasks})
    nbgrader(HERE, "export", "--to", str(csv_path), *[f"--student={s}" for s in students])
    with open(args.output / "grading_times.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", "seconds"])
        for t in sorted(tasks, key=lambda t: (t.assignment, t.student)):
            writer.writerow([t.student, t.assignment, f"{t.seconds:.1f}"])

    print()
    print("autograded points (written answers are graded by hand: nbgrader formgrader in autograder/)")
    print(table(HERE, tasks, assignments))
    print()
    for a in assignments:
        times = [t.seconds for t in tasks if t.assignment == a]
        if times:
            print(f"{a}: {sum(times) / len(times):.1f} s a submission (autograde + feedback)")
    print(f"grades: {csv_path}; feedback: {HERE / 'feedback'}/<student>/<assignment>/; "
          f"total {time.perf_counter() - start:.0f} s")
    for t in failed:
        print(f"\nERROR grading {t.student}/{t.assignment}:\n{t.error}")
    shutil.rmtree(work_root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
