"""Grading a class: 100 submissions of sprint 1 by `make grade`'s pipeline on 2 workers, against
nbgrader's own sequential `nbgrader autograde` of the same submissions, in the same run.

Not part of `make bench` (it takes 10-20 minutes): `make bench-grading`, or
``python -m benchmarks grading``. ``BENCH_GRADING_N`` sets the number of submissions (100).

Everything happens in a temporary folder, never in the repository: two copies of the course
(autograder/ with its built source and release notebooks, sprint 1 only), each with the same N student
folders in nbgrader's ``submitted/<student>/sprint1_conv1d/`` layout, copied round-robin from
the sample submissions (correct, blank, seeds).

- **ours**: ``grade.py --submissions <course>/submitted --no-build --workers 2`` (sandboxed
  kernels, verdicts outside the kernel, feedback, export). Timed whole, and by the phases it
  prints (build = nbgrader generate_assignment of every sprint, the expected records, the
  grading, the feedback, the export).
- **nbgrader**: ``nbgrader generate_assignment`` then ``nbgrader autograde sprint1_conv1d``
  (one notebook after the other, no feedback), timed. The course's nbgrader_config.py routes
  it through the same engine (sandboxed kernels, verdicts outside the kernel): the two rows
  compare the parallel door with nbgrader's sequential one.

Both runs' grades are read back from their gradebooks and must be the samples' grades
(correct 17/17, blank 0, seeds 1). The load average is recorded before and after each run:
the machine is shared, and a busy spell slows a run that lasts minutes.

    python -m benchmarks grading        # -> output/bench/grading.json

Target: ours under 180 s for 100 submissions of sprint 1 (wall, 2 workers).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._timing import limit_row, print_table, write_json

ROOT = Path(__file__).resolve().parents[1]
A = "sprint1_conv1d"
SAMPLES = ("correct", "blank", "seeds")
sys.path.insert(0, str(ROOT / "autograder"))
from engine.course import COURSE_ID, POINTS, copy_course  # noqa: E402

N = int(os.environ.get("BENCH_GRADING_N", "100"))
WORKERS = 2
TARGET_SECONDS = 180


def make_course(dst: Path, n: int) -> Path:
    """A copy of the course in dst/repo/autograder with n submissions of sprint 1 in its
    submitted/<student>/<assignment>/ folder; returns the course folder."""
    course = dst / "repo" / "autograder"
    course.mkdir(parents=True)
    (dst / "repo" / "notebooks").mkdir()
    copy_course(course, extra=["source", "release"], without=["percent"])
    # a course of sprint 1 alone (an assignment exists once its percent script does): both
    # pipelines then run nbgrader generate_assignment for sprint 1 only
    (course / "percent").mkdir()
    shutil.copy2(ROOT / "autograder" / "percent" / f"{A}.py", course / "percent")
    for i in range(n):
        sample = SAMPLES[i % len(SAMPLES)]
        folder = course / "submitted" / f"{sample}-{i:03d}" / A
        folder.mkdir(parents=True)
        shutil.copy2(ROOT / "autograder" / "submitted" / sample / A / f"{A}.ipynb", folder / f"{A}.ipynb")
    return course


def expected_score(student: str) -> float:
    return {"correct": POINTS[A][0], "blank": 0.0, "seeds": 1.0}[student.split("-")[0]]


def read_scores(course: Path) -> dict:
    """{student: autograded score of sprint 1} from the course's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        return {s.student.id: float(s.code_score) for s in gb.assignment_submissions(A)}


def phases(stdout: str) -> dict:
    """grade.py's last line of times, ``time: build 10.2 s, grading 150.3 s, ...`` -> {phase: s}."""
    line = next((line for line in reversed(stdout.splitlines()) if line.startswith("time: ")), "")
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"([a-z][a-z ]*?) (\d+(?:\.\d+)?) s", line[6:])}


def wrong_grades(scores: dict, n: int) -> list[str]:
    """The students whose score is not their sample's (or who have none)."""
    students = [f"{SAMPLES[i % len(SAMPLES)]}-{i:03d}" for i in range(n)]
    return [s for s in students if scores.get(s) != expected_score(s)]


def _run(cmd, cwd, env) -> tuple[float, subprocess.CompletedProcess, tuple, tuple]:
    load_before = os.getloadavg()
    start = time.perf_counter()
    run = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd[:3]))}... failed:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    return seconds, run, load_before, os.getloadavg()


def ours(tmp: Path, n: int) -> dict:
    course = make_course(tmp / "ours", n)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    seconds, run, before, after = _run([sys.executable, str(course / "grade.py"), "--submissions",
                                        str(course / "submitted"), "--no-build", "--workers", str(WORKERS),
                                        "--output", str(tmp / "ours" / "output")], course, env)
    times = phases(run.stdout)
    return {"seconds": seconds, "phases": times, "load_before": before, "load_after": after,
            "wrong": wrong_grades(read_scores(course), n), "warnings": [l for l in run.stderr.splitlines() if "WARNING" in l]}


def nbgrader_sequential(tmp: Path, n: int) -> dict:
    import build

    course = make_course(tmp / "nbgrader", n)
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    prep, _, _, _ = _run([*build.NBGRADER, "generate_assignment", A, "--force"], course, env)
    seconds, run, before, after = _run([*build.NBGRADER, "autograde", A, "--force"], course, env)
    return {"seconds": seconds, "generate_assignment": prep, "load_before": before, "load_after": after,
            "wrong": wrong_grades(read_scores(course), n)}


def main(n: int = N):
    tmp = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    os.chmod(tmp, 0o755)
    try:
        print(f"grading {n} submissions of {A}: ours on {WORKERS} workers, then nbgrader autograde "
              f"(sequential); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        a = ours(tmp, n)
        print(f"ours: {a['seconds']:.0f} s", flush=True)
        b = nbgrader_sequential(tmp, n)
        print(f"nbgrader autograde: {b['seconds']:.0f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    grading = a["phases"].get("grading", float("nan"))
    rows = [{"pipeline": f"ours (grade.py, {WORKERS} workers, sandboxed)", "submissions": n,
             "wall_s": a["seconds"], "per_notebook_s": a["seconds"] / n,
             "grading_phase_s": grading, "grading_phase_per_notebook_s": grading / n,
             "load_before": a["load_before"][0], "load_after": a["load_after"][0], "wrong_grades": len(a["wrong"])},
            {"pipeline": "nbgrader autograde (sequential, through the engine)", "submissions": n,
             "wall_s": b["seconds"], "per_notebook_s": b["seconds"] / n,
             "grading_phase_s": b["seconds"], "grading_phase_per_notebook_s": b["seconds"] / n,
             "load_before": b["load_before"][0], "load_after": b["load_after"][0], "wrong_grades": len(b["wrong"])}]
    print_table(f"Grading {n} submissions of {A} (wall seconds; load = 1-minute load average)", rows,
                ["pipeline", "submissions", "wall_s", "per_notebook_s", "grading_phase_s",
                 "grading_phase_per_notebook_s", "load_before", "load_after", "wrong_grades"])
    print("ours, by phase: " + ", ".join(f"{k} {v:.1f} s" for k, v in a["phases"].items()))
    for w in a["warnings"]:
        print(w)
    if a["wrong"] or b["wrong"]:
        print(f"WRONG GRADES: ours {a['wrong'][:10]}, nbgrader {b['wrong'][:10]}")
    write_json("grading", rows, {"ours_phases": a["phases"], "ours_wrong": a["wrong"], "nbgrader_wrong": b["wrong"],
                                 "nbgrader_generate_assignment_s": b["generate_assignment"],
                                 "ours_load": [a["load_before"], a["load_after"]],
                                 "nbgrader_load": [b["load_before"], b["load_after"]],
                                 "target_seconds_for_100": TARGET_SECONDS})
    return [limit_row(f"grading {n} submissions of sprint 1, 2 workers (s)", "wall", a["seconds"] * 100 / n,
                       TARGET_SECONDS, "seconds for 100 (scaled from this run)")]


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else N)
