"""Where the seconds of grading one submission go: `make grade`'s pipeline (autograder/grade.py
and the engine, autograder/engine/, unchanged), timed from outside by wrapping its functions. Not part of make
bench; benchmarks/README.md summarises what it showed.

    python -m benchmarks.profile_grading [N]     # N submissions of sprint 1 (default 6), one worker

In a temporary copy of the course (never in the repository): the sample submissions of
sprint 1 (correct, blank, seeds) copied to N students, graded by grade.py on one worker,
each grading process (engine/runner.py) started through this file, which times its phases:
interpreter start and imports, the network namespace, reading and rebuilding the notebook,
the kernel's start (launch, then until it answers), every cell, the clean-ups after failed
cells, the kernel's shutdown, the throwaway uid's clean-up, and the verdicts. Separately: a
bare Python start, ipykernel's import, and the imports of the notebook's first cell.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
A = "sprint1_conv1d"


def _timed(owner, name, label, log):
    fn = getattr(owner, name)

    def wrapper(*args, **kw):
        start = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            log.append((label(args) if callable(label) else label, start, time.perf_counter()))
    setattr(owner, name, wrapper)


def runner_main(what: str, task_path: str) -> None:
    """engine/runner.py's main, its phases timed, the timings written next to PROFILE_OUT."""
    born = float(os.environ.pop("PROFILE_SPAWNED", time.time()))
    t0 = time.perf_counter()
    entered = time.time()
    task = json.loads(Path(task_path).read_text())
    sys.path.insert(0, str(Path(task["work"]).parents[2]))  # the course's autograder/ (.work/session-*/job)
    from engine import execute, runner, sandbox  # noqa: the imports of the grading process
    log = [("python start (spawn to main)", t0 - (entered - born), t0), ("imports of runner.py", t0, time.perf_counter())]
    cls = execute.LimitedClient
    _timed(cls, "start_new_kernel", "kernel: launch (sandbox set-up + exec)", log)
    _timed(cls, "start_new_kernel_client", "kernel: until it answers (ipykernel start)", log)
    _timed(cls, "_cleanup_kernel", "kernel: shutdown", log)
    cell_index = {"n": 0}

    def cell_label(args):
        cell = args[1]
        if cell.source == execute.FORGET:
            return "forget the error after a failed cell"
        return f"cell: {cell.source.strip().splitlines()[0][:60] if cell.source.strip() else '(empty)'}"
    _timed(cls, "execute_cell", cell_label, log)
    _timed(sandbox, "enter_network_namespace", "network namespace", log)
    _timed(sandbox, "kill_user", "kill the throwaway uid's processes", log)
    _timed(runner, "rebuild", "rebuild the notebook", log)
    _timed(runner, "execute", "execute (whole)", log)
    _timed(runner, "grade", "grade (whole, in runner)", log)
    _timed(runner, "make_expected", "expected records (trusted run)", log)
    del cell_index
    try:
        runner.main([what, task_path])
    finally:
        out = Path(os.environ["PROFILE_OUT"]) / f"{what}-{Path(task['work']).name}-{time.time():.3f}.json"
        out.write_text(json.dumps({"log": log, "returned": time.time()}))


def separate_costs() -> dict:
    """Bare interpreter, ipykernel's import, the first cell's imports: each in a fresh process."""
    py = sys.executable
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    cases = {"python -c pass": "pass", "import ipykernel.kernelapp": "import ipykernel.kernelapp",
             "import numpy": "import numpy", "import matplotlib.pyplot": "import matplotlib.pyplot",
             "import sprintlib": "import sprintlib",
             "import numpy, matplotlib.pyplot, sprintlib, sprintlib.data, sprintlib.grading, sprintlib.plotting":
                 "import numpy, matplotlib.pyplot, sprintlib, sprintlib.data, sprintlib.grading, sprintlib.plotting",
             "import nbformat, nbclient, numpy, sprintlib.grading (the runner's)":
                 "import nbformat, nbclient, numpy, sprintlib.grading"}
    out = {}
    for label, code in cases.items():
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([py, "-c", code], env=env, check=True)
            times.append(time.perf_counter() - start)
        out[label] = statistics.median(times)
    return out


def main(n: int = 6) -> None:
    import shutil
    tmp = Path(tempfile.mkdtemp(prefix="profile-grading-"))
    try:
        course = tmp / "repo" / "autograder"
        (tmp / "repo" / "notebooks").mkdir(parents=True)
        course.mkdir()
        sys.path.insert(0, str(ROOT / "autograder"))
        from engine.course import copy_course
        copy_course(course, extra=["source", "release"])
        samples = ["correct", "blank", "seeds"]
        subs = tmp / "submissions"
        for i in range(n):
            who = samples[i % 3]
            dst = subs / f"{who}-{i:03d}" / A
            dst.mkdir(parents=True)
            shutil.copy2(ROOT / "autograder" / "submitted" / who / A / f"{A}.ipynb", dst / f"{A}.ipynb")
        logs = tmp / "logs"
        logs.mkdir()
        os.chmod(tmp, 0o755)
        sys.path.insert(0, str(course))
        import grade
        from engine import export, session
        original = session.run_runner

        def run_runner(what, task_json, folder, timeout):
            # the same call, through runner_main above
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "task.json"
            path.write_text(json.dumps(task_json))
            import signal
            env = dict(session.env(), PROFILE_OUT=str(logs), PROFILE_SPAWNED=str(time.time()),
                       PYTHONPATH=str(ROOT))
            import resource
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "benchmarks.profile_grading", "--runner", what, str(path)],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    start_new_session=True)
            try:
                out, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, _ = proc.communicate()
                return -1, out
            spent.setdefault(what, []).append(time.perf_counter() - start)
            exited.setdefault(what, []).append(time.time())
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.setdefault(what, []).append(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime)
            return proc.returncode, out

        spent, exited, cpu = {}, {}, {}
        session.run_runner = run_runner
        one = {"grade_one": []}
        real_run = session.Session.run

        def run(self, *args):
            start = time.perf_counter()
            try:
                return real_run(self, *args)
            finally:
                one["grade_one"].append(time.perf_counter() - start)
        session.Session.run = run
        merged = []
        real_merge = session.write_gradebook

        def merge(*args):
            start = time.perf_counter()
            real_merge(*args)
            merged.append(time.perf_counter() - start)
        session.write_gradebook = merge
        phases = {}
        real_nbgrader = export.nbgrader

        def nbgrader(course_dir, *args, **kw):
            start = time.perf_counter()
            try:
                return real_nbgrader(course_dir, *args, **kw)
            finally:
                phases[f"nbgrader {args[0]}"] = phases.get(f"nbgrader {args[0]}", 0) + time.perf_counter() - start
        export.nbgrader = nbgrader
        load = os.getloadavg()
        start = time.perf_counter()
        code = grade.main(["--submissions", str(subs), "--no-build", "--workers", "1", "--output", str(tmp / "output")])
        total = time.perf_counter() - start
        session.run_runner = original
        session.Session.run = real_run

        # per phase, the median over the graded submissions
        per, returned = {}, []
        for f in sorted(logs.glob("grade-*.json")):
            sums = {}
            data = json.loads(f.read_text())
            returned.append(data["returned"])
            for label, a, b in data["log"]:
                key = label if not label.startswith("cell:") else label
                sums[key] = sums.get(key, 0.0) + (b - a)
            for k, v in sums.items():
                per.setdefault(k, []).append(v)
        print(f"\n# one submission of {A}, {n} graded on one worker (exit {code}, {total:.1f} s in all; "
              f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end)")
        print(f"Session.run (whole, in the grading process's parent): median {statistics.median(one['grade_one']):.2f} s")
        print(f"runner process (spawn to exit): median {statistics.median(spent['grade']):.2f} s, "
              f"CPU time (runner and kernel, user + system): median {statistics.median(cpu['grade']):.2f} s "
              f"({', '.join(f'{c:.2f}' for c in cpu['grade'])})")
        after = [min(e - r for e in exited["grade"] if e >= r) for r in returned]
        print(f"  {statistics.median(after):7.3f} s  runner.main returned -> process exit seen by grade.py")
        for k, v in sorted(per.items(), key=lambda kv: -statistics.median(kv[1])):
            print(f"  {statistics.median(v):7.3f} s  {k}")
        print(f"merge into the gradebook: median {statistics.median(merged):.3f} s")
        for k, v in phases.items():
            print(f"{k}: {v:.1f} s")
        print("\n# separately, in fresh processes (median of 3)")
        for k, v in separate_costs().items():
            print(f"  {v:6.3f} s  {k}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--runner"]:
        runner_main(sys.argv[2], sys.argv[3])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
