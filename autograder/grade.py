"""`make grade [SUBMISSIONS=dir]`: the whole class through the grading engine, in parallel.

The fast door of the engine (autograder/engine/); `nbgrader autograde`, the formgrader's
Autograde button and the hub term are the others, and give the same scores and feedback.

1. build: source and release notebooks, the gradebook entries (autograder/build.py)
2. probe the sandbox (a WARNING names what this machine does not allow)
3. prepare each assignment: expected records, the kernels' sprintlib, the canary
4. grade the submissions (``<student>/<assignment>/*.ipynb``, default: the samples in
   autograder/submitted/) one process a core; a kept result whose key holds is reused
   (--regrade: grade everything again)
5. record: gradebook, autograded/; feedback (nbgrader generate_feedback, no hidden test);
   output/grades.csv, grading_times.csv, canvas_grades.csv and gradescope/<assignment>.csv;
   the grade table, times, notes and errors
6. report: output/report/index.html, what the class got wrong (engine/report.py), from every
   kept result of the course

    python autograder/grade.py [--submissions DIR] [--workers N] [--no-build] [--output DIR] [--regrade]
                               [--canvas-ids sprint1_conv1d=1234,...]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build  # noqa: E402
from engine import export, regrade  # noqa: E402
from engine.report import write_report  # noqa: E402
from engine.session import Graded, GradingError, Session, incomplete_warning  # noqa: E402


def find_submissions(submissions: Path, assignments: list[str]) -> list[tuple[str, str, Path]]:
    """(student, assignment, folder) of every <student>/<assignment>/ folder that holds anything
    (a broken file still gets a row); folders whose name starts with a dot are not students."""
    found = []
    for student in sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for a in assignments:
            folder = student / a
            if folder.is_dir() and any(f.is_file() for f in folder.iterdir()):
                found.append((student.name, a, folder))
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=Path, default=HERE / "submitted",
                        help="nbgrader's submitted/ layout: <student>/<assignment>/*.ipynb (default: the samples)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="default: one a core")
    parser.add_argument("--output", type=Path, default=HERE.parent / "output")
    parser.add_argument("--no-build", action="store_true", help="grade against the release as it is")
    parser.add_argument("--regrade", action="store_true", help="forget the kept results: grade everything again")
    parser.add_argument("--canvas-ids", default=os.environ.get("CANVAS_ASSIGNMENT_IDS", ""),
                        help="Canvas's id of each assignment, for canvas_grades.csv's columns: "
                             "sprint1_conv1d=1234,sprint2_conv2d=1235 (default: $CANVAS_ASSIGNMENT_IDS)")
    args = parser.parse_args(argv)
    try:
        args.canvas_ids = canvas_ids(args.canvas_ids)
    except ValueError as e:
        parser.error(str(e))
    start = time.perf_counter()
    session = Session.open(HERE)
    try:
        return run(args, session, start)
    finally:
        session.close()


def run(args, session: Session, start: float) -> int:
    for line in incomplete_warning(session.problems):
        print(line, file=sys.stderr)
    phases = {"sandbox probe": time.perf_counter() - start}
    began = time.perf_counter()
    if args.no_build:
        assignments = build.assignments(HERE.parent)
        for a in assignments:  # the gradebook still needs each assignment's cells
            export.nbgrader(HERE, "generate_assignment", a, "--force")
    else:
        assignments = build.build(HERE.parent)
    submissions = args.submissions.resolve()
    todo = find_submissions(submissions, assignments)
    if not todo:
        print(f"no submissions in {submissions} (expected <student>/<assignment>/*.ipynb, "
              f"assignments: {', '.join(assignments)})")
        return 1
    phases["build"] = time.perf_counter() - began

    began = time.perf_counter()
    for a in sorted({a for _, a, _ in todo}):
        try:
            session.prepare(a)
        except GradingError as e:
            print(f"ERROR: {e}", file=sys.stderr)
            for line in incomplete_warning(session.problems):
                print(line, file=sys.stderr)
            return 2
    phases["expected records"] = time.perf_counter() - began

    began = time.perf_counter()
    graded = grade_all(session, todo, args.workers, args.regrade)
    phases["grading"] = time.perf_counter() - began

    began = time.perf_counter()
    for a in sorted({g.assignment for g in graded if not g.error}):
        export.feedback(HERE, a, args.workers)
    phases["feedback"] = time.perf_counter() - began
    began = time.perf_counter()
    args.output.mkdir(parents=True, exist_ok=True)
    csv_path = args.output.resolve() / "grades.csv"
    export.grades_csv(HERE, csv_path, sorted({g.student for g in graded}))
    export.times_csv(args.output / "grading_times.csv", graded)
    export.lms_csvs(HERE, args.output.resolve(), sorted({g.student for g in graded}), assignments, args.canvas_ids)
    report(graded, assignments, session, csv_path)
    similar_answers(session, todo, args.output / "report")
    # in the order of the students, not of the workers' finishing
    changed = sorted((d for g in graded for d in g.differences), key=lambda d: (d.student, d.assignment, d.grade_id))
    regrade.write_csv(args.output / "regrade.csv", changed)
    if changed:
        print(f"\nregraded: {len(changed)} score(s) changed (also in {args.output / 'regrade.csv'}):")
        for d in changed:
            print(f"  {d.line()}")
    phases["export"] = time.perf_counter() - began
    began = time.perf_counter()
    index = write_report(HERE, args.output.resolve() / "report",
                         failed=[(g.student, g.assignment, g.error) for g in graded if g.error], differences=changed)
    phases["report"] = time.perf_counter() - began
    print(f"grades: {csv_path} (Canvas's import: canvas_grades.csv, Gradescope's: gradescope/<assignment>.csv "
          f"beside it); feedback: {HERE / 'feedback'}/<student>/<assignment>/; total {time.perf_counter() - start:.0f} s")
    print(f"report: {index} (what the class got wrong, at a glance: open it in a browser)")
    print("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()))
    failed = [g for g in graded if g.error]
    for g in failed:
        print(f"\nERROR grading {g.student}/{g.assignment} (no grade; run again to retry):\n{g.error}")
    return 1 if failed else 0


def canvas_ids(text: str) -> dict[str, str]:
    """"sprint1_conv1d=1234,sprint2_conv2d=1235" -> {"sprint1_conv1d": "1234", ...}."""
    ids = {}
    for item in filter(None, (i.strip() for i in text.split(","))):
        name, _, number = item.partition("=")
        if not name.strip() or not number.strip().isdigit():
            raise ValueError(f"--canvas-ids: {item!r} is not <assignment>=<Canvas's assignment id>")
        ids[name.strip()] = number.strip()
    return ids


def grade_all(session: Session, todo: list, workers: int, regrade: bool) -> list[Graded]:
    """Every submission, ``workers`` at a time; each recorded as soon as it is graded."""
    kept = {} if regrade else {t: found for t in todo if (found := session.kept(*t)) is not None}
    rest = [t for t in todo if t not in kept]
    print(f"grading {len(todo)} submissions of {len({s for s, _, _ in todo})} students with {workers} workers"
          + (f" ({len(kept)} already graded, kept from an earlier run)" if kept else ""))
    graded = []
    for g, notebook in kept.values():
        session.record(g, notebook)
        graded.append(g)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(session.grade, s, a, f, regrade) for s, a, f in rest]
        for future in tqdm(as_completed(futures), total=len(futures), unit="submission", desc="autograde"):
            g, notebook = future.result()
            if not g.error:
                session.record(g, notebook)
            graded.append(g)
    return graded


def similar_answers(session: Session, todo: list, out: Path) -> None:
    """Pairs of students whose answer cells are alike (engine/similarity.py), an HTML page an
    assignment beside the report; the starter code and the model answers left out."""
    from engine import similarity

    for a in sorted({a for _, a, _ in todo}):
        page, n = similarity.write_for(HERE, a, {s: f for s, x, f in todo if x == a}, session.limits, out)
        print(f"{a}: {n} pair(s) of similar answers ({page})")


def report(graded: list[Graded], assignments: list[str], session: Session, csv_path: Path) -> None:
    print()
    print("autograded points (written answers are graded by hand: nbgrader formgrader in autograder/)")
    print(export.table(HERE, graded, assignments))
    print()
    for a in assignments:
        times = [g.seconds for g in graded if g.assignment == a and not g.resumed]
        if times:
            print(f"{a}: {sum(times) / len(times):.1f} s a submission (grading process, kernel included)")
    noted = [g for g in graded if not g.error and g.result.notes]
    if noted:
        print("\ngraded, with notes (also in results/<assignment>/graded/<student>.json):")
        for g in sorted(noted, key=lambda g: (g.student, g.assignment)):
            print(f"  {g.student}/{g.assignment}: " + "; ".join(g.result.notes[:4]))
    if session.problems:
        print("\nthe sandbox was INCOMPLETE on this machine (also said on stderr at the start):")
        for line in incomplete_warning(session.problems):
            print(line)


if __name__ == "__main__":
    sys.exit(main())
