"""The engine's phases for one course, behind every door (``make grade``, ``nbgrader autograde``,
the formgrader's Autograde button, the hub's term):

    probe       what the sandbox can do on this machine (engine/sandbox.py), warned about
    prepare     per assignment: the expected records (the trusted run of the model answers,
                kept in results/<assignment>/ by key), the kernels' sprintlib without the
                model answers, the hidden images, and the canary (the model answers graded
                as a submission must get every point, or no grade is given)
    grade       per submission: a kept result whose key holds, or a grading process
                (engine/runner.py: rebuild, run sandboxed, judge) -> verdict.Result and the
                autograded notebook
    record      the scores into nbgrader's gradebook, the autograded notebook into
                autograded/<student>/<assignment>/, the result kept in results/

A Session holds what ``prepare`` made (in <course>/.work/<id>/, removed by ``close``).
"""
from __future__ import annotations

import ast
import compileall
import json
import os
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import answers, cache, sandbox
from .regrade import differences as score_differences
from .course import COURSE_ID, grading_seed, load_limits
from .verdict import Result

ENGINE = Path(__file__).resolve().parent
SPRINTLIB = cache.SPRINTLIB
BIN = Path(sys.executable).parent  # nbgrader runs `alembic` from PATH
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: throwaway uids of the kernels: a random one per submission (no passwd entry), far above
#: the system's users and the usual subordinate ranges, so that two grading runs on one
#: machine never share one (after a notebook, every process of its uid is killed)
UID_BASE, UID_RANGE = 3_000_000, 1 << 24
#: the file system a kernel sees (read-only), besides the Python installation and the venv
SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"]
#: sprintlib's model answers written a second time, which the trusted run never calls (so the
#: profiler does not note them): the naive loops compute every convolution and max pooling
#: (a Conv1d is a Conv2d of height 1), and the book's im2col / col2im (with their 1-D forms
#: and the windows they are made of) are its convolution: they go from every kernel's
#: sprintlib ("*": the whole file)
ANSWERS_IN_ANOTHER_FORM = {
    "functional/naive.py": {"*"},
    "functional/im2col.py": {"im2col", "col2im", "im2col_1d", "col2im_1d", "sliding_windows", "_sliding_windows",
                             "fold_windows"},
    # backpropagation through time written out again, to predict its known mistakes (a graded
    # kernel predicts none: it only records)
    "grading/mistakes.py": {"_bptt"},
}
#: what a kernel keeps of the grading process's environment (the rest is dropped)
KERNEL_ENV = ["NBGRADER_EXECUTION", "MPLBACKEND", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
              "PYTHONHASHSEED", "SPRINTLIB_GRADING_SEED", "SPRINTLIB_GRADING_RECORD", "SPRINTLIB_DATA",
              "SPRINTLIB_HIDDEN_IMAGES", "TF_CPP_MIN_LOG_LEVEL", "VIRTUAL_ENV"]


class GradingError(Exception):
    """A submission or an assignment that could not be graded (not a student's mistake)."""


@dataclass
class Graded:
    """One submission, graded (or not: ``error``)."""
    student: str
    assignment: str
    folder: Path
    result: Result | None = None
    seconds: float = 0.0
    resumed: bool = False
    error: str = ""
    key: str = ""
    #: how its scores changed from the kept result it replaced (engine/regrade.py)
    differences: list = field(default_factory=list)


def env() -> dict:
    """The grading processes' environment: matplotlib's Agg, one BLAS thread, nbgrader on PATH."""
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg", **ONE_THREAD)


def run_runner(what: str, task: dict, folder: Path, timeout: float) -> tuple[int, str]:
    """engine/runner.py in a process group of its own, killed whole at ``timeout``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "task.json"
    path.write_text(json.dumps(task))
    proc = subprocess.Popen([sys.executable, str(ENGINE / "runner.py"), what, str(path)], env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return -1, f"killed after {timeout:.0f} s\n{out[-2000:]}"
    return proc.returncode, out


# -- probe ------------------------------------------------------------------------------------------
def probe() -> list[str]:
    """What the sandbox cannot do here, one line each (sandbox.probe, and whether a throwaway
    uid can reach Python outside a private root)."""
    problems = sandbox.probe()
    missing = {p.split(":")[0] for p in problems}
    if "files" in missing and "uid" not in missing and not others_can_run_python():
        problems.append("uid: a throwaway uid cannot reach the Python installation or the virtualenv (a folder on "
                        "their path is closed to other users) without the private file system: "
                        + sandbox.MECHANISMS["uid"])
    return problems


def others_can_run_python() -> bool:
    """Whether a uid that is not the grading user's can reach the interpreter, the venv and the
    data (every folder on the way open to others)."""
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


def incomplete_warning(problems: list[str]) -> list[str]:
    """The lines every door prints when the sandbox is incomplete on this machine."""
    if not problems:
        return []
    return [f"WARNING: SANDBOX INCOMPLETE: {p}" for p in problems] + [
        "WARNING: grading went on with the defences left: the verdicts decided outside the kernel, the "
        "time, memory, output and process limits, the answer-less sprintlib first on the kernel's path. "
        "Honest submissions get their right grades; a hostile one may get points it did not earn by the "
        "means named above (autograder/README.md, 'On a machine without namespaces')"]


# -- the session --------------------------------------------------------------------------------
@dataclass
class Session:
    """The engine for one course folder (autograder/ or a copy of it)."""
    course: Path
    limits: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    work: Path | None = None
    expected: dict = field(default_factory=dict)
    overlays: dict = field(default_factory=dict)
    images: dict = field(default_factory=dict)
    mpl_cache: Path | None = None
    prepared: dict = field(default_factory=dict)
    db_url: str = ""
    course_id: str = COURSE_ID

    @classmethod
    def open(cls, course: Path) -> "Session":
        s = cls(Path(course).resolve(), load_limits(Path(course)), probe())
        s.db_url = f"sqlite:///{s.course / 'gradebook.db'}"
        s.work = s.course / ".work" / f"session-{os.getpid()}-{secrets.token_hex(3)}"
        s.work.mkdir(parents=True)
        for d in (s.course / ".work", s.work):
            # the kernels' throwaway uids must reach their homes and the answer-less sprintlib
            os.chmod(d, 0o711 if s.throwaway_uid and not s.isolate_files else 0o700)
        return s

    @property
    def missing(self) -> list[str]:
        return sorted({p.split(":")[0] for p in self.problems})

    @property
    def netns(self) -> bool:
        return "network" not in self.missing

    @property
    def isolate_files(self) -> bool:
        return "files" not in self.missing

    @property
    def throwaway_uid(self) -> bool:
        return "uid" not in self.missing and os.geteuid() == 0

    @property
    def results(self) -> Path:
        return self.course / "results"

    def close(self) -> None:
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)
            try:
                (self.course / ".work").rmdir()  # the last session's
            except OSError:
                pass

    # -- prepare ------------------------------------------------------------------------------------
    def prepare(self, assignment: str) -> None:
        """The expected records, the kernels' sprintlib and hidden images, and the canary of one
        assignment, made again when they change (a long-running formgrader sees a source notebook
        or the limits changed by the command line). Raises GradingError when the model answers
        do not get every point in this machine's sandbox (its grades would be wrong)."""
        self.limits = load_limits(self.course)
        expected = expected_records(self.course, assignment, self.limits, self.results, self.netns, self.work)
        stamp = cache.digest(expected, self.limits)
        if self.prepared.get(assignment) == stamp:
            return
        self.prepared.pop(assignment, None)
        if self.mpl_cache is None:
            self.mpl_cache = font_cache(self.work / "mpl")
        overlay = grading_sprintlib(expected, self.work / f"sprintlib-{assignment}" / "sprintlib")
        os.chmod(overlay.parent, 0o755)
        # sprintlib finds MNIST and the trained weights next to itself: beside the copy too
        if not (overlay.parent / "data").is_symlink():
            (overlay.parent / "data").symlink_to(SPRINTLIB.parent / "data")
        # the hidden images, where the kernels' uids can read them (results/ stays closed)
        images = self.work / f"hidden-images-{assignment}"
        shutil.rmtree(images, ignore_errors=True)
        shutil.copytree(expected.parent / "hidden-images", images)
        for path in [images, *images.iterdir()]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        self.expected[assignment], self.overlays[assignment], self.images[assignment] = expected, overlay, images
        broken = self.canary(assignment)
        if broken:
            del self.expected[assignment]
            raise GradingError(f"the model answers of {assignment} do not get every point in this machine's sandbox, "
                               f"so its grades would be wrong: none is given. What failed: {broken}")
        self.prepared[assignment] = stamp

    def canary(self, assignment: str) -> str:
        """The model answers (the source notebook handed in as a submission) graded as a student's
        are: "" when they get every point, else what failed. Kept, by key, until the expected
        records, the code, the limits or the sandbox's state change."""
        source = self.course / "source" / assignment / f"{assignment}.ipynb"
        key = cache.result_key(source, self.expected[assignment], self.limits, self.missing)
        stamp = self.results / assignment / "canary.key"
        if stamp.exists() and stamp.read_text() == key:
            return ""
        folder = self.work / "canary" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, folder / f"{assignment}.ipynb")
        graded, _ = self.run(".model-answers", assignment, folder)
        shutil.rmtree(folder, ignore_errors=True)
        if graded.error:
            return graded.error
        lost = [t for t in graded.result.tests if not t.passed]
        if lost:
            from .feedback import lines
            return "; ".join(f"{t.grade_id} ({' / '.join(line for line in lines(t) if 'OK' not in line)[:300]})"
                             for t in lost) + (f"; notes: {'; '.join(graded.result.notes)}" if graded.result.notes else "")
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(key)
        return ""

    # -- grade -------------------------------------------------------------------------------------
    def grade(self, student: str, assignment: str, folder: Path, regrade: bool = False) -> tuple[Graded, Path | None]:
        """One submission folder: (what was decided, the autograded notebook). A kept result
        whose key holds is taken as it is, unless ``regrade``."""
        found = None if regrade else self.kept(student, assignment, folder)  # (kept() prepares)
        if found is not None:
            return found
        if regrade:
            self.prepare(assignment)
        key = cache.result_key(folder, self.expected[assignment], self.limits, self.missing)
        before = cache.previous(self.results, assignment, student)
        graded, notebook = self.run(student, assignment, folder)
        graded.key = key
        if not graded.error:
            parts = cache.key_parts(folder, self.expected[assignment], self.limits, self.missing)
            if before is not None:
                graded.differences = score_differences(student, assignment, *before, graded.result, parts)
            cache.save(self.results, assignment, student, key, graded.result, graded.seconds, notebook, parts)
            notebook = cache.kept_paths(self.results, assignment, student)[1]
        return graded, notebook

    def kept(self, student: str, assignment: str, folder: Path) -> tuple[Graded, Path] | None:
        """(the kept result, its autograded notebook) of this submission when its key still
        holds; None otherwise."""
        self.prepare(assignment)
        key = cache.result_key(folder, self.expected[assignment], self.limits, self.missing)
        found = cache.load(self.results, assignment, student, key)
        if found is None:
            return None
        result, seconds = found
        return (Graded(student, assignment, folder, result, seconds, resumed=True, key=key),
                cache.kept_paths(self.results, assignment, student)[1])

    def run(self, student: str, assignment: str, folder: Path) -> tuple[Graded, Path | None]:
        """A grading process for one submission, in the sandbox."""
        from .submission import pick_notebook

        start = time.perf_counter()
        work = self.work / f"{assignment}--{secrets.token_hex(4)}"
        notebook, why = pick_notebook(folder, assignment)
        job = {"source": str(self.course / "source" / assignment / f"{assignment}.ipynb"),
               "release": str(self.course / "release" / assignment / f"{assignment}.ipynb"),
               "expected": str(self.expected[assignment]), "notebook": str(notebook) if notebook else None,
               "why_no_notebook": why, "out": str(work / "out"), "work": str(work), "limits": self.limits,
               "network_namespace": self.netns, "hidden_images": str(self.images[assignment]),
               "sandbox": self.sandbox_settings(assignment, work)}
        (work / "root").mkdir(parents=True)
        os.chmod(work, 0o700)
        for attempt in range(2):
            code, log = run_runner("grade", job, work, timeout=self.limits["task_seconds"])
            # a grading process that failed (not the student's code, whose errors are verdicts:
            # a kernel that could not start, a port taken by another process without a network
            # namespace) is tried once more; one killed at task_seconds is not
            if code in (0, -1) or (work / "out" / "result.json").exists():
                break
            shutil.rmtree(work / "out", ignore_errors=True)
        graded = Graded(student, assignment, folder)
        out = work / "out"
        kept = self.work / f"{work.name}.ipynb"
        if code == 0 and (out / "result.json").exists():
            graded.result = Result.from_json(json.loads((out / "result.json").read_text()))
            shutil.copy2(out / "autograded.ipynb", kept)
        else:
            graded.error = f"the grading process failed (exit {code}):\n{log[-3000:]}"
            kept = None
        shutil.rmtree(work, ignore_errors=True)
        graded.seconds = time.perf_counter() - start
        return graded, kept

    def sandbox_settings(self, assignment: str, work: Path) -> dict:
        """What the kernel's launcher (sandbox.kernel_main) builds the kernel's world from."""
        binds = [[d, d] for d in SYSTEM_DIRS + sorted({sys.base_prefix, sys.prefix,
                                                          str(Path(os.path.realpath(sys.executable)).parent)})
                 if not any(d.startswith(s + "/") for s in SYSTEM_DIRS)]
        # what the notebooks read: MNIST and the trained LeNet that sprint 3 starts from
        data = [str(SPRINTLIB.parent / "data" / name) for name in ("mnist", "weights")]
        binds += [[str(self.overlays[assignment]), str(SPRINTLIB)]] + [[d, d] for d in data]
        images = str(self.images[assignment])  # the hidden images, without their labels
        binds.append([images, images])
        homes = self.work / "homes"
        if not self.isolate_files:
            homes.mkdir(exist_ok=True)
            os.chmod(homes, 0o711)
        return {"uid": UID_BASE + secrets.randbelow(UID_RANGE) if self.throwaway_uid else None,
                "isolate_files": self.isolate_files, "root": str(work / "root"), "binds": binds,
                # without a private root the kernel's home is a real folder: outside the job
                # folder (closed to the kernel: its results are written there)
                "home": str(work / "home") if self.isolate_files else str(homes / work.name),
                "mpl_cache": str(self.mpl_cache),
                # without a private root, the answer-less sprintlib goes first on sys.path
                "pythonpath": None if self.isolate_files else str(self.overlays[assignment].parent),
                **{k: self.limits[k] for k in ("memory_bytes", "cpu_seconds", "file_bytes", "tmp_bytes",
                                               "processes", "open_files")},
                "keep_env": sorted(KERNEL_ENV)}

    # -- record ------------------------------------------------------------------------------------
    def record(self, graded: Graded, notebook: Path, write_notebook: bool = True) -> None:
        """The scores into nbgrader's gradebook; the autograded notebook into autograded/."""
        write_gradebook(self.db_url, self.course_id, graded)
        if write_notebook:
            dst = self.course / "autograded" / graded.student / graded.assignment
            shutil.rmtree(dst, ignore_errors=True)
            dst.mkdir(parents=True)
            shutil.copy2(notebook, dst / f"{graded.assignment}.ipynb")


def write_gradebook(db_url: str, course_id: str, graded: Graded) -> None:
    """One submission's scores into nbgrader's gradebook (its Gradebook API, as its
    SaveAutoGrades would): auto_score of each test cell, None (to grade by hand) for the rest."""
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    # nbgrader's add_submission trips SQLAlchemy's autoflush warnings; the rows are written all the same
    warnings.filterwarnings("ignore", category=SAWarning)
    scores = graded.result.scores
    with Gradebook(db_url, course_id) as gb:
        gb.update_or_create_student(graded.student)
        gb.update_or_create_submission(graded.assignment, graded.student)
        nb = gb.find_submission_notebook(graded.assignment, graded.assignment, graded.student)
        for g in nb.grades:
            g.auto_score = scores.get(g.name)
            g.needs_manual_grade = g.manual_score is not None or g.auto_score is None
        gb.db.commit()


# -- prepare's parts ------------------------------------------------------------------------------
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


def expected_records(course: Path, assignment: str, limits: dict, results: Path, netns: bool, work: Path) -> Path:
    """The trusted run's records (expected.json), and beside them the hidden images it drew
    (hidden-images/, one .npy a test). Kept until the source notebook, the code, the grading
    seed, the time limits or the images' key change."""
    source = course / "source" / assignment / f"{assignment}.ipynb"
    images_key = hidden_images_key(results)
    key = cache.digest(source, cache.code_digest(), grading_seed(),
                       {k: limits[k] for k in ("cell_seconds", "notebook_seconds")}, images_key)
    out = results / assignment / "expected.json"
    stamp = results / assignment / "expected.key"
    if out.exists() and stamp.exists() and stamp.read_text() == key:
        return out
    images = results / assignment / "hidden-images"
    shutil.rmtree(images, ignore_errors=True)
    images.mkdir(parents=True)
    folder = work / f"expected-{assignment}"
    code, log = run_runner("expected", {"source": str(source), "out": str(out), "work": str(folder),
                                        "limits": limits, "network_namespace": netns,
                                        "hidden_images": {"key": images_key, "folder": str(images)}},
                           folder, timeout=10 * limits["task_seconds"])
    shutil.rmtree(folder, ignore_errors=True)
    if code != 0:
        raise GradingError(f"the expected records of {assignment} could not be made:\n{log[-4000:]}")
    stamp.write_text(key)
    return out


def grading_sprintlib(expected: Path, dst: Path) -> Path:
    """A copy of sprintlib in which every model answer the trusted run ran (the expected
    records' answer_code, as far as it is an answer of engine/answers.py) raises instead: what
    a student's kernel imports. The rest of what the references ran (the activations, the fast
    path's thread pool) stays: every student's copy has it, and right answers use it."""
    shutil.rmtree(dst, ignore_errors=True)
    sandbox.copy_tree(SPRINTLIB, dst)
    by_file = {}
    for rel, qualname, line in json.loads(expected.read_text())["answer_code"]:
        if answers.is_answer(rel, qualname):
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
    os.chmod(folder, 0o755)
    return folder
