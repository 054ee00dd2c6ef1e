"""`make grade [SUBMISSIONS=dir]`: the instructor's whole run, from the release to a grade table.

1. Build the release (autograder/build.py): source and release notebooks, and the gradebook
   entries of every assignment (autograder/gradebook.db, nbgrader's SQLite gradebook).
2. The expected records of each assignment: its source notebook (the model answers) runs
   once, trusted, with sprintlib.grading emitting what every check compares
   (autograder/runner.py). Kept in autograder/results/<assignment>/expected.json until the
   source, sprintlib or the grading seed change. The sprintlib functions the model answers
   ran are noted: the students' kernels get a copy of sprintlib without them.
3. Take the submissions from SUBMISSIONS (nbgrader's layout, ``<student>/<assignment>/*.ipynb``;
   default: the samples in autograder/submitted/).
4. Grade them in parallel, one process a submission (runner.py grade), one a core: the
   graded notebook is rebuilt from the source with only the submission's answer cells, run
   in a sandboxed kernel (sandbox.py: its own network namespace, file system view, throwaway
   uid and resource limits; limits.toml), and scored in the grading process by comparing the
   kernel's records with the expected ones. Nothing the kernel prints counts.
5. Each result is kept in autograder/results/<assignment>/<student>.json with a hash of the
   submission: an interrupted run, started again, grades only what is left (and a changed
   submission again). The scores go into autograder/gradebook.db with nbgrader's Gradebook
   API, the autograded notebook into autograder/autograded/; `nbgrader formgrader` in
   autograder/ grades the written answers by hand on top of it.
6. `nbgrader generate_feedback` (hidden tests removed), `nbgrader export` (the students of this
   run) to output/grades.csv, a table of students x assignments on screen, the time taken,
   and the submissions that could not be graded, or were graded with a note, and why.

    python autograder/grade.py [--submissions DIR] [--workers N] [--no-build] [--output DIR] [--regrade]
"""
from __future__ import annotations

import argparse
import ast
import compileall
import csv
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build  # noqa: E402
import sandbox  # noqa: E402

COURSE_ID = "sprintlib-cnn-rnn"
BIN = Path(sys.executable).parent  # nbgrader runs `alembic` from PATH
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
SPRINTLIB = Path(__import__("sprintlib").__file__).resolve().parent
#: throwaway uids of the kernels: a random one per submission (no passwd entry), far above
#: the system's users and the usual subordinate ranges, so that two grading runs on one
#: machine never share one (after a notebook, every process of its uid is killed)
UID_BASE, UID_RANGE = 3_000_000, 1 << 24
#: the file system a kernel sees (read-only), besides the Python installation and the venv
SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"]


@dataclass
class Task:
    student: str
    assignment: str
    submission: Path  # <SUBMISSIONS>/<student>/<assignment>/
    index: int = 0
    key: str = ""
    seconds: float = 0.0
    error: str = ""
    result: dict = field(default_factory=dict)
    resumed: bool = False


def load_limits() -> dict:
    with open(HERE / "limits.toml", "rb") as f:
        cfg = tomllib.load(f)
    return {k: v for section in cfg.values() for k, v in section.items()}


def env() -> dict:
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                MPLBACKEND="Agg", **ONE_THREAD)


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """``build.nbgrader`` in the grading environment (matplotlib's Agg, one BLAS thread)."""
    return build.nbgrader(course, *args, env=env())


def find_tasks(submissions: Path, assignments: list[str]) -> list[Task]:
    """Every <student>/<assignment>/ folder that holds anything (a broken file still gets a row)."""
    tasks = []
    for student in sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for a in assignments:
            folder = student / a
            if folder.is_dir() and any(f.is_file() for f in folder.iterdir()):
                tasks.append(Task(student.name, a, folder, index=len(tasks)))
    return tasks


def pick_notebook(task: Task) -> tuple[Path | None, str]:
    """<assignment>.ipynb, else the folder's only .ipynb; (None, why) otherwise."""
    named = task.submission / f"{task.assignment}.ipynb"
    if named.is_file() and not named.is_symlink():
        return named, ""
    found = sorted(p for p in task.submission.glob("*.ipynb") if p.is_file() and not p.is_symlink())
    if len(found) == 1:
        return found[0], ""
    return None, (f"no {task.assignment}.ipynb in the submission" +
                  (f" (and {len(found)} other notebooks: which one?)" if found else ""))


def digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            files = sorted(p for p in part.rglob("*") if p.is_file() and "__pycache__" not in p.parts) \
                if part.is_dir() else [part]
            for f in files:
                h.update(str(f.relative_to(part) if part.is_dir() else f.name).encode() + b"\0" + f.read_bytes())
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\1")
    return h.hexdigest()[:24]


def run_runner(what: str, task_json: dict, folder: Path, timeout: float) -> tuple[int, str]:
    """runner.py in a process group of its own, killed whole at ``timeout``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "task.json"
    path.write_text(json.dumps(task_json))
    proc = subprocess.Popen([sys.executable, str(HERE / "runner.py"), what, str(path)], env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return -1, f"killed after {timeout:.0f} s\n{out[-2000:]}"
    return proc.returncode, out


# -- the expected records, and the kernels' sprintlib ---------------------------------------------
def hidden_images_key(results: Path) -> str:
    """The secret that draws the hidden accuracy tests' images (sprintlib.grading.hidden_images):
    SPRINTLIB_HIDDEN_IMAGES_KEY, or one made at random on the first run and kept in
    results/ (never in a kernel's world), so that a second run grades the same images."""
    given = os.environ.get("SPRINTLIB_HIDDEN_IMAGES_KEY")
    if given:
        return given
    path = results / "hidden-images.key"
    if not path.exists():
        results.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16))
        os.chmod(path, 0o600)
    return path.read_text().strip()


def expected_records(assignment: str, limits: dict, results: Path, netns: bool) -> Path:
    """The trusted run's records (expected.json), and beside them the hidden images it drew
    (hidden-images/, one .npy a test)."""
    source = HERE / "source" / assignment / f"{assignment}.ipynb"
    images_key = hidden_images_key(results)
    key = digest(source, SPRINTLIB, HERE / "runner.py", os.environ.get("SPRINTLIB_GRADING_SEED", "20261130"),
                 {k: limits[k] for k in ("cell_seconds", "notebook_seconds")}, images_key)
    out = results / assignment / "expected.json"
    stamp = results / assignment / "expected.key"
    if out.exists() and stamp.exists() and stamp.read_text() == key:
        return out
    images = results / assignment / "hidden-images"
    shutil.rmtree(images, ignore_errors=True)
    images.mkdir(parents=True)
    work = HERE / ".work" / f"expected-{assignment}"
    code, log = run_runner("expected", {"source": str(source), "out": str(out), "work": str(work),
                                        "limits": limits, "network_namespace": netns,
                                        "hidden_images": {"key": images_key, "folder": str(images)}},
                           work, timeout=10 * limits["task_seconds"])
    shutil.rmtree(work, ignore_errors=True)
    if code != 0:
        raise SystemExit(f"the expected records of {assignment} could not be made:\n{log[-4000:]}")
    stamp.write_text(key)
    return out


#: sprintlib's model answers written a second time, which the trusted run never calls (so the
#: profiler does not note them): the naive loops compute every convolution and max pooling
#: (a Conv1d is a Conv2d of height 1), and the book's im2col / col2im (with their 1-D forms
#: and the windows they are made of) are its convolution: they go from every kernel's
#: sprintlib ("*": the whole file)
ANSWERS_IN_ANOTHER_FORM = {
    "functional/naive.py": {"*"},
    "functional/im2col.py": {"im2col", "col2im", "im2col_1d", "col2im_1d", "sliding_windows", "_sliding_windows",
                             "fold_windows"},
}


def grading_sprintlib(expected: Path, dst: Path) -> Path:
    """A copy of sprintlib in which every function the model answers ran (the expected
    records' answer_code) raises instead: what a student's kernel imports."""
    shutil.rmtree(dst, ignore_errors=True)
    sandbox.copy_tree(SPRINTLIB, dst)
    by_file = {}
    for rel, qualname, line in json.loads(expected.read_text())["answer_code"]:
        by_file.setdefault(rel, set()).add((qualname, line))
    for rel, names in ANSWERS_IN_ANOTHER_FORM.items():
        by_file.setdefault(rel, set()).update((name, "any") for name in names)
    for rel, targets in by_file.items():
        path = dst / rel
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = {node.lineno} | {d.lineno for d in node.decorator_list}
                if ("*", "any") in targets or (node.name, "any") in targets or \
                        any(line in lines and qualname.split(".")[-1] == node.name for qualname, line in targets):
                    node.body = ast.parse(f"raise RuntimeError(\"sprintlib's {node.name} is a model answer: "
                                          f"it does not run while grading\")").body
        path.write_text(ast.unparse(tree))
    # compiled once here, not by every kernel (which may not write it: PYTHONDONTWRITEBYTECODE,
    # a read-only bind); a .pyc is used only while its source's size and mtime match
    compileall.compile_dir(str(dst), quiet=1)
    return dst


def font_cache(folder: Path) -> Path:
    """matplotlib's font list, made once (trusted) and copied into each kernel's home by the
    sandbox: otherwise every kernel, with a home of its own, scans the system's fonts again."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=dict(env(), MPLCONFIGDIR=str(folder)),
                   capture_output=True, timeout=300)
    return folder


# -- one submission ---------------------------------------------------------------------------------
def grade_one(task: Task, ctx: dict) -> Task:
    start = time.perf_counter()
    work = HERE / ".work" / f"{task.assignment}--{task.student}"
    shutil.rmtree(work, ignore_errors=True)
    notebook, why = pick_notebook(task)
    isolate = ctx["isolate_files"]
    binds = [[d, d] for d in SYSTEM_DIRS + sorted({sys.base_prefix, sys.prefix,
                                                      str(Path(os.path.realpath(sys.executable)).parent)})
             if not any(d.startswith(s + "/") for s in SYSTEM_DIRS)]
    # what the notebooks read: MNIST and the trained LeNet that sprint 3 starts from
    data = [str(SPRINTLIB.parent / "data" / name) for name in ("mnist", "weights")]
    binds += [[str(ctx["overlays"][task.assignment]), str(SPRINTLIB)]] + [[d, d] for d in data]
    images = str(ctx["images"][task.assignment])  # the hidden images, without their labels
    binds.append([images, images])
    job = {"source": str(HERE / "source" / task.assignment / f"{task.assignment}.ipynb"),
           "release": str(HERE / "release" / task.assignment / f"{task.assignment}.ipynb"),
           "expected": str(ctx["expected"][task.assignment]), "notebook": str(notebook) if notebook else None,
           "why_no_notebook": why, "out": str(work / "out"), "work": str(work), "limits": ctx["limits"],
           "network_namespace": ctx["netns"], "hidden_images": images,
           "sandbox": {"uid": UID_BASE + secrets.randbelow(UID_RANGE) if ctx["throwaway_uid"] else None,
                       "isolate_files": isolate, "root": str(work / "root"), "binds": binds,
                       # without a private root the kernel's home is a real folder: outside the job
                       # folder (closed to the kernel: its results are written there)
                       "home": str(work / "home") if isolate else str(HERE / ".work" / "homes" / work.name),
                       "mpl_cache": str(ctx["mpl_cache"]),
                       # without a private root, the answer-less sprintlib goes first on sys.path
                       "pythonpath": None if isolate else str(ctx["overlays"][task.assignment].parent),
                       **{k: ctx["limits"][k] for k in ("memory_bytes", "cpu_seconds", "file_bytes", "tmp_bytes",
                                                        "processes", "open_files")},
                       "keep_env": sorted(runner_env_names())}}
    (work / "root").mkdir(parents=True)
    os.chmod(work, 0o700)
    code, log = run_runner("grade", job, work, timeout=ctx["limits"]["task_seconds"])
    result_path = work / "out" / "result.json"
    if code == 0 and result_path.exists():
        task.result = json.loads(result_path.read_text())
        dst = HERE / "autograded" / task.student / task.assignment
        shutil.rmtree(dst, ignore_errors=True)
        dst.mkdir(parents=True)
        shutil.copy2(work / "out" / "autograded.ipynb", dst / f"{task.assignment}.ipynb")
    else:
        task.error = f"the grading process failed (exit {code}):\n{log[-3000:]}"
    shutil.rmtree(work, ignore_errors=True)
    task.seconds = time.perf_counter() - start
    return task


def warn_incomplete(problems: list[str], stream) -> None:
    """What the sandbox could not do on this machine, and what that means for the grades."""
    for problem in problems:
        print(f"WARNING: SANDBOX INCOMPLETE: {problem}", file=stream)
    if problems:
        print("WARNING: grading went on with the defences left: the verdicts decided outside the kernel, the "
              "time, memory, output and process limits, the answer-less sprintlib first on the kernel's path. "
              "Honest submissions get their right grades; a hostile one may get points it did not earn by the "
              "means named above (autograder/README.md, 'On a machine without namespaces')", file=stream)


def others_can_run_python() -> bool:
    """Whether a uid that is not the grading user's can reach the interpreter, the venv and the
    data (every folder on the way open to others)."""
    import stat
    paths = [Path(os.path.realpath(sys.executable)), Path(sys.prefix), Path(sys.base_prefix), SPRINTLIB.parent / "data"]
    for path in paths:
        for p in [path, *path.parents]:
            try:
                mode = p.stat().st_mode
            except OSError:
                return False
            if not mode & stat.S_IXOTH:
                return False
    return True


def canary(assignment: str, ctx: dict, results: Path) -> str:
    """The model answers (the source notebook handed in as a submission) graded as a student's
    are, in this machine's sandbox: they must get every point, or no grade of this assignment
    is given (a sandbox that breaks the notebook would give wrong grades without a word).
    Kept, by key, until the expected records, the limits or the sandbox's state change.
    """
    source = HERE / "source" / assignment / f"{assignment}.ipynb"
    key = digest(source, digest(ctx["expected"][assignment]), ctx["limits"], ctx["missing"])
    stamp = results / assignment / "canary.key"
    if stamp.exists() and stamp.read_text() == key:
        return ""
    # a name no student has (find_tasks skips folders whose name starts with a dot)
    folder = HERE / ".work" / f"canary-{assignment}" / ".model-answers" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, folder / f"{assignment}.ipynb")
    task = grade_one(Task(".model-answers", assignment, folder), ctx)
    shutil.rmtree(HERE / "autograded" / ".model-answers", ignore_errors=True)
    shutil.rmtree(folder.parents[1], ignore_errors=True)
    if task.error:
        return task.error
    lost = [g for g, p in task.result["points"].items() if task.result["scores"].get(g) != p]
    if lost:
        return "; ".join(f"{g} ({' / '.join(line for line in task.result['lines'].get(g, []) if 'OK' not in line)[:300]})"
                         for g in lost) + (f"; notes: {'; '.join(task.result['notes'])}" if task.result["notes"] else "")
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key)
    return ""


def runner_env_names():
    """What a kernel keeps of the grading process's environment (the rest is dropped)."""
    return ["NBGRADER_EXECUTION", "MPLBACKEND", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
            "PYTHONHASHSEED", "SPRINTLIB_GRADING_SEED", "SPRINTLIB_GRADING_RECORD", "SPRINTLIB_DATA",
            "SPRINTLIB_HIDDEN_IMAGES",
            "TF_CPP_MIN_LOG_LEVEL", "VIRTUAL_ENV"]


def merge(task: Task, course: Path) -> None:
    """Write one submission's scores into the main gradebook (nbgrader's Gradebook API, as its
    SaveAutoGrades would): auto_score of each test cell, None (to grade by hand) for the rest."""
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    # nbgrader's add_submission trips SQLAlchemy's autoflush warnings; the rows are written all the same
    warnings.filterwarnings("ignore", category=SAWarning)
    scores = task.result["scores"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        gb.update_or_create_student(task.student)
        gb.update_or_create_submission(task.assignment, task.student)
        nb = gb.find_submission_notebook(task.assignment, task.assignment, task.student)
        for g in nb.grades:
            g.auto_score = scores.get(g.name)
            g.needs_manual_grade = g.manual_score is not None or g.auto_score is None
        gb.db.commit()


def feedback(assignment: str, workers: int) -> None:
    """nbgrader generate_feedback for every autograded student of ``assignment``, the students
    split between ``workers`` processes (each told to leave out the others' students): the
    gradebook is only read, and a notebook's feedback takes a second or so of CPU."""
    students = sorted(p.name for p in (HERE / "autograded").iterdir() if (p / assignment).is_dir())
    n = max(1, min(workers, len(students) // 10))
    groups = [students[k::n] for k in range(n)]
    if len(groups) == 1 or any("," in s for s in students):
        nbgrader(HERE, "generate_feedback", assignment, "--force")
        return
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        runs = [pool.submit(nbgrader, HERE, "generate_feedback", assignment, "--force",
                            "--CourseDirectory.student_id_exclude=" + ",".join(s for s in students if s not in group))
                for group in groups]
        for run in runs:
            run.result()


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
    parser.add_argument("--regrade", action="store_true", help="forget the kept results: grade everything again")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    limits = load_limits()

    problems = sandbox.probe()
    missing = {p.split(":")[0] for p in problems}
    if "files" in missing and "uid" not in missing and not others_can_run_python():
        # a throwaway uid outside a private root must reach Python and the venv by their real paths
        problems.append("uid: a throwaway uid cannot reach the Python installation or the virtualenv (a folder on "
                        "their path is closed to other users) without the private file system: "
                        + sandbox.MECHANISMS["uid"])
        missing.add("uid")
    warn_incomplete(problems, sys.stderr)
    ctx = {"limits": limits, "netns": "network" not in missing, "isolate_files": "files" not in missing,
           "throwaway_uid": "uid" not in missing and os.geteuid() == 0, "missing": sorted(missing),
           "expected": {}, "overlays": {}, "images": {}}

    phases = {"sandbox probe": time.perf_counter() - start}
    began = time.perf_counter()
    root = HERE.parent
    if args.no_build:
        assignments = build.assignments(root)
        for a in assignments:  # the gradebook still needs each assignment's cells
            nbgrader(HERE, "generate_assignment", a, "--force")
    else:
        assignments = build.build(root)
    submissions = args.submissions.resolve()
    tasks = find_tasks(submissions, assignments)
    if not tasks:
        print(f"no submissions in {submissions} (expected <student>/<assignment>/*.ipynb, "
              f"assignments: {', '.join(assignments)})")
        return 1

    phases["build"] = time.perf_counter() - began
    began = time.perf_counter()
    results = HERE / "results"
    (HERE / ".work").mkdir(exist_ok=True)
    os.chmod(HERE / ".work", 0o700)
    ctx["mpl_cache"] = font_cache(HERE / ".work" / "mpl")
    if not ctx["isolate_files"]:
        (HERE / ".work" / "homes").mkdir(exist_ok=True)
        if ctx["throwaway_uid"]:  # the kernels' uids must reach their homes and the answer-less sprintlib
            for d in (HERE / ".work", HERE / ".work" / "homes"):
                os.chmod(d, 0o711)
    for a in sorted({t.assignment for t in tasks}):
        ctx["expected"][a] = expected_records(a, limits, results, ctx["netns"])
        ctx["overlays"][a] = grading_sprintlib(ctx["expected"][a], HERE / ".work" / f"sprintlib-{a}" / "sprintlib")
        os.chmod(ctx["overlays"][a].parent, 0o755)
        # sprintlib finds MNIST and the trained weights next to itself: beside the copy too
        (ctx["overlays"][a].parent / "data").symlink_to(SPRINTLIB.parent / "data")
        # the hidden images, where the kernels' uids can read them (results/ stays closed)
        ctx["images"][a] = HERE / ".work" / f"hidden-images-{a}"
        shutil.rmtree(ctx["images"][a], ignore_errors=True)
        shutil.copytree(ctx["expected"][a].parent / "hidden-images", ctx["images"][a])
        for path in [ctx["images"][a], *ctx["images"][a].iterdir()]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    for a in sorted({t.assignment for t in tasks}):
        broken = canary(a, ctx, results)
        if broken:
            print(f"ERROR: the model answers of {a} do not get every point in this machine's sandbox, so its "
                  f"grades would be wrong: none is given. What failed: {broken}", file=sys.stderr)
            warn_incomplete(problems, sys.stderr)
            shutil.rmtree(HERE / ".work", ignore_errors=True)
            return 2

    phases["expected records"] = time.perf_counter() - began
    began = time.perf_counter()
    # resume: a kept result whose key (submission, expected records, limits) still holds
    todo = []
    for t in tasks:
        # the sandbox's state is in the key: a result graded without part of it is graded again
        # once the machine allows the whole sandbox
        t.key = digest(t.submission, digest(ctx["expected"][t.assignment]), limits, ctx["missing"])
        kept = results / t.assignment / f"{t.student}.json"
        graded = HERE / "autograded" / t.student / t.assignment / f"{t.assignment}.ipynb"
        if not args.regrade and kept.exists() and graded.exists():
            data = json.loads(kept.read_text())
            if data.get("key") == t.key:
                t.result, t.seconds, t.resumed = data["result"], data["seconds"], True
                continue
        todo.append(t)
    done = len(tasks) - len(todo)
    print(f"grading {len(tasks)} submissions of {len({t.student for t in tasks})} students "
          f"with {args.workers} workers" + (f" ({done} already graded, kept from an earlier run)" if done else ""))
    for t in tasks:
        if t.resumed:
            merge(t, HERE)
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(grade_one, t, ctx) for t in todo]
        for future in tqdm(as_completed(futures), total=len(futures), unit="submission", desc="autograde"):
            task = future.result()
            if task.error:
                continue
            merge(task, HERE)
            kept = results / task.assignment / f"{task.student}.json"
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_text(json.dumps({"key": task.key, "seconds": task.seconds, "result": task.result}, indent=1))
    failed = [t for t in tasks if t.error]
    shutil.rmtree(HERE / ".work", ignore_errors=True)

    phases["grading"] = time.perf_counter() - began
    began = time.perf_counter()
    for a in sorted({t.assignment for t in tasks if not t.error}):
        feedback(a, args.workers)
    phases["feedback"] = time.perf_counter() - began
    began = time.perf_counter()
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
        times = [t.seconds for t in tasks if t.assignment == a and not t.resumed]
        if times:
            print(f"{a}: {sum(times) / len(times):.1f} s a submission (grading process, kernel included)")
    phases["export"] = time.perf_counter() - began
    print(f"grades: {csv_path}; feedback: {HERE / 'feedback'}/<student>/<assignment>/; "
          f"total {time.perf_counter() - start:.0f} s")
    print("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()))
    noted = [t for t in tasks if not t.error and t.result.get("notes")]
    if noted:
        print("\ngraded, with notes (also in results/<assignment>/<student>.json):")
        for t in noted:
            print(f"  {t.student}/{t.assignment}: " + "; ".join(t.result["notes"][:4]))
    if problems:
        print("\nthe sandbox was INCOMPLETE on this machine (also said on stderr at the start):")
        warn_incomplete(problems, sys.stdout)
    for t in failed:
        print(f"\nERROR grading {t.student}/{t.assignment} (no grade; run again to retry):\n{t.error}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
