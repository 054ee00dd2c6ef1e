"""`make student-repo`: the students' repository holds the course and none of the answers.

Built here into a temporary folder (autograder/student_repo.py) with the released sprints of
course.toml, and again with sprint 1 released. Every file of it, and every object of its
git history, is scanned for what only the instructor holds: the solution lines of the source
notebooks, their hidden tests, the bodies of the model answers it withholds, the right
answers of the tests' students, the grading seed. A fresh clone of it sets up with its own
one command (make setup) and imports the students' sprintlib, whose withheld layers say
which sprint they belong to.
"""
import ast
import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
import student_repo  # noqa: E402
from engine.course import ASSIGNMENTS, DEFAULT_SEED  # noqa: E402

pytestmark = pytest.mark.xdist_group("student-repo")


def _solution_and_hidden_lines():
    """(solution lines, hidden test lines) of the source notebooks that no release shows."""
    released = set()
    for a in ASSIGNMENTS:
        for cell in json.loads((ROOT / "autograder" / "release" / a / f"{a}.ipynb").read_text())["cells"]:
            released |= {line.strip() for line in "".join(cell["source"]).split("\n")}
    solution, hidden = set(), set()
    for a in ASSIGNMENTS:
        for cell in json.loads((ROOT / "autograder" / "source" / a / f"{a}.ipynb").read_text())["cells"]:
            text = "".join(cell["source"])
            meta = cell.get("metadata", {}).get("nbgrader", {})
            blocks = re.findall(r"### BEGIN SOLUTION(.*?)### END SOLUTION", text, re.S)
            if cell["cell_type"] == "markdown" and meta.get("solution"):
                blocks.append(text)  # a written answer's rubric and model answer
            solution |= {line.strip() for b in blocks for line in b.split("\n")}
            hidden |= {line.strip() for b in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", text, re.S)
                       for line in b.split("\n")}
    keep = lambda lines, n: {line for line in lines if len(line) >= n and line not in released}  # noqa: E731
    return keep(solution, 25), keep(hidden, 15)


def _sprintlib_lines(released):
    """(lines of the model answers a build with ``released`` withholds, every other line of the
    instructor's sprintlib): a withheld line that sprintlib also holds elsewhere is no secret."""
    secret, rest = set(), set()
    withheld = student_repo.withheld_names(released)
    for path in (ROOT / "sprintlib").rglob("*.py"):
        source = path.read_text()
        names = withheld.get(str(path.relative_to(ROOT / "sprintlib")), {})
        inside = set()
        for node in ast.parse(source).body:
            if isinstance(node, ast.ClassDef) and node.name in names:
                funcs = [f for f in node.body if isinstance(f, ast.FunctionDef) and f.name in student_repo.COMPUTING]
            elif isinstance(node, ast.FunctionDef) and (node.name in names or "*" in names):
                funcs = [node]
            else:
                funcs = []
            for f in funcs:
                doc = isinstance(f.body[0], ast.Expr) and isinstance(getattr(f.body[0], "value", None), ast.Constant)
                start = f.body[1].lineno if doc and len(f.body) > 1 else f.body[0].lineno
                inside |= set(range(start - 1, f.end_lineno))
        for i, line in enumerate(source.split("\n")):
            (secret if i in inside else rest).add(line.strip())
    return {line for line in secret - rest if len(line) >= 25 and not line.startswith("#")}, rest


def _history(repo: Path) -> dict[str, dict[str, str]]:
    """commit -> {path: text} of every commit of the repository (its history, not just HEAD)."""
    git = ["git", "-C", str(repo)]
    out = {}
    for commit in subprocess.run([*git, "rev-list", "--all"], capture_output=True, text=True, check=True).stdout.split():
        files = {}
        for line in subprocess.run([*git, "ls-tree", "-r", commit], capture_output=True, text=True,
                                   check=True).stdout.splitlines():
            meta, path = line.split("\t", 1)
            blob = subprocess.run([*git, "cat-file", "-p", meta.split()[2]], capture_output=True, check=True).stdout
            files[path] = blob.decode("utf-8", "replace")
        out[commit] = files
    return out


def _head(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The students' repository as course.toml releases it (kept as ``first``), then, in a copy
    of it, with sprints 1 and 2 released too: a second commit on its history, as a term goes
    on (sprint 3, built from sprint 2's layers, opens once sprint 2's answers are out)."""
    import shutil

    first = tmp_path_factory.mktemp("student") / "first"
    released = student_repo.settings()["released"]
    later = sorted(set(released) | {"sprint1_conv1d", "sprint2_conv2d"})
    withheld = student_repo.build(first, ship=True, released=released)
    commits = {_head(first): released}
    dst = first.parent / "repo"
    shutil.copytree(first, dst)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        withheld_after = student_repo.build(dst, ship=True, released=later)
    commits[_head(dst)] = later
    return dict(first=first, dst=dst, released=released, withheld=withheld, withheld_after=withheld_after,
                commits=commits, history=_history(dst), second_build=printed.getvalue())


def test_a_rebuild_keeps_the_shipped_values_of_unchanged_notebooks(built):
    """The second build (the next release) runs no notebook: each source notebook and the code are
    as they were, by the keys kept in .git (never in what students receive); the files are the
    first build's, byte for byte."""
    from engine import cache

    assert built["second_build"].count("(kept: the source notebook and the code are unchanged)") == len(ASSIGNMENTS), \
        built["second_build"]
    for a in ASSIGNMENTS:
        shipped = Path("sprintlib") / "grading" / "shipped" / f"{a}.jsonl"
        assert (built["dst"] / shipped).read_bytes() == (built["first"] / shipped).read_bytes(), a
        key = (built["dst"] / ".git" / "shipped-keys" / f"{a}.key").read_text()
        assert key == cache.digest(ROOT / "autograder" / "source" / a / f"{a}.ipynb", cache.code_digest()), a


def test_nothing_secret_in_any_file_of_its_history(built):
    """Each commit against what its build withholds: no solution line of a source notebook, no
    hidden test line, no line of a withheld model answer, no right answer of tests/students.py,
    no grading seed, in any file of any commit."""
    solution, hidden = _solution_and_hidden_lines()
    students = {line.strip() for line in (ROOT / "tests" / "students.py").read_text().split("\n")
                if len(line.strip()) >= 30}
    assert set(built["history"]) == set(built["commits"])
    found = []
    for commit, files in built["history"].items():
        withheld, given = _sprintlib_lines(built["commits"][commit])
        assert withheld or commit != list(built["commits"])[0]
        kinds = {"solution": solution - given, "hidden test": hidden - given, "withheld model answer": withheld,
                 "tests/students.py": students - given}
        for path, text in files.items():
            lines = {line.strip() for line in text.split("\n")}
            found += [f"{commit[:8]}:{path}: {kind}: {hit[:90]}" for kind, secret in kinds.items()
                      for hit in sorted(lines & secret)]
            if DEFAULT_SEED in text:
                found.append(f"{commit[:8]}:{path}: the default grading seed")
    assert not found, "\n".join(found[:30])


def test_the_scan_finds_what_it_looks_for(built):
    """The scan's own check: a model answer's line planted in a copy of a file is found."""
    withheld, _ = _sprintlib_lines(built["released"])
    solution, hidden = _solution_and_hidden_lines()
    assert len(withheld) > 50 and len(solution) > 50 and len(hidden) > 20
    conv2d = (ROOT / "sprintlib" / "layers" / "conv2d.py").read_text().split("\n")
    assert any(line.strip() in withheld for line in conv2d)


def test_only_what_students_receive(built):
    paths = {p for files in built["history"].values() for p in files}
    top = {p.split("/")[0] for p in paths}
    assert top == {".gitignore", "Makefile", "README.md", "pyproject.toml", "requirements.lock", "binder", "data",
                   "notebooks", "sprintlib"}, top
    assert {f"notebooks/{a}.ipynb" for a in ASSIGNMENTS} <= paths
    assert "data/keras/keras_lenet.json" in paths  # sprint 3's Keras comparison, shown without TensorFlow
    assert not [p for p in paths if p.endswith(".key") or "results" in p.split("/") or "reference" in p.split("/")]


def test_the_readme_launches_the_course_settings_repository(built):
    readme = (built["dst"] / "README.md").read_text()
    repository = student_repo.settings()["repository"]
    assert f"https://mybinder.org/v2/gh/{repository}/HEAD?urlpath=lab/tree/notebooks" in readme
    assert "OWNER" not in readme and "{" not in readme
    assert "make lab" in readme and all(f"notebooks/{a}.ipynb" in readme for a in ASSIGNMENTS)


def test_each_build_is_a_commit_of_its_own_history(built):
    log = subprocess.run(["git", "-C", str(built["dst"]), "log", "--format=%s"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(log) == 2 and "sprint1_conv1d, sprint2_conv2d" in log[0]
    status = subprocess.run(["git", "-C", str(built["dst"]), "status", "--porcelain"], capture_output=True,
                            text=True).stdout
    assert status == ""


def _run_in(repo: Path, python: str, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-c", code], cwd=repo, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(repo), "MPLBACKEND": "Agg"})


WITHHELD_CALL = """
import numpy as np, sprintlib
layer = sprintlib.Conv2d(3, 4, 3)
print("W", layer.W.shape)
try:
    layer.forward(np.zeros((1, 3, 5, 5)))
except NotImplementedError as e:
    print("raised:", e)
print("FC", sprintlib.FC(3, 2).forward(np.ones((1, 3))).shape)
conv = sprintlib.SimpleConv1d(3)
try:
    print("SimpleConv1d", conv.forward(np.arange(5.0)).shape)
except NotImplementedError as e:
    print("raised:", e)
"""


def test_a_withheld_layer_says_whose_problem_it_is(built):
    """As course.toml releases them (none by default): sprint 2's Conv2d is withheld and says
    so, the given FC computes; after the release of sprints 1 and 2, both compute, and only
    sprint 4's layers are withheld."""
    run = _run_in(built["first"], sys.executable, WITHHELD_CALL)
    assert run.returncode == 0, run.stderr
    assert "W (4, 3, 3, 3)" in run.stdout and "FC (1, 2)" in run.stdout
    if "sprint2_conv2d" not in built["released"]:
        assert "raised: Conv2d is sprint 2's problem: its model answer is released after sprint 2" in run.stdout
    later = _run_in(built["dst"], sys.executable, WITHHELD_CALL)
    assert "raised" not in later.stdout and "SimpleConv1d (3,)" in later.stdout, later.stdout + later.stderr
    assert set(built["withheld_after"].values()) <= {"sprint4_rnn"} and "SimpleRNN" in built["withheld_after"]


@pytest.fixture(scope="module")
def clone(built, tmp_path_factory):
    """A fresh clone of the students' repository, set up with its own command (make setup: its
    .venv, its pinned packages, its sprintlib), nothing of this repository on its path; and a
    kernelspec that runs that .venv's Python."""
    folder = tmp_path_factory.mktemp("student-clone")
    repo = folder / "repo"
    subprocess.run(["git", "clone", "-q", str(built["dst"]), str(repo)], check=True)
    run = subprocess.run(["make", "setup"], cwd=repo, capture_output=True, text=True, timeout=900)
    spec = folder / "jupyter" / "kernels" / "student-clone"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(repo / ".venv" / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "the students' clone", "language": "python"}))
    return dict(repo=repo, setup=run, jupyter_path=str(folder / "jupyter"))


def test_a_fresh_clone_sets_up_with_its_own_command(clone, tmp_path):
    run = clone["setup"]
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    python = str(clone["repo"] / ".venv" / "bin" / "python")
    check = subprocess.run([python, "-c", "import sprintlib; print(sprintlib.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and str(clone["repo"] / "sprintlib") in check.stdout, check.stderr
    assert "SimpleConv1d (3,)" in _run_in(tmp_path, python, WITHHELD_CALL).stdout  # released in this build


def _run_in_clone(clone, notebook: Path):
    """Every cell of ``notebook`` in the clone's own kernel (its .venv, its sprintlib), errors
    kept, as a student's Run All does (the training cells at the graded run's size)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(notebook), as_version=4)
    with student_repo.environ(JUPYTER_PATH=clone["jupyter_path"], NBGRADER_EXECUTION="autograde", MPLBACKEND="Agg",
                              PYTHONPATH=None):
        NotebookClient(nb, timeout=300, kernel_name="student-clone", allow_errors=True,
                       resources={"metadata": {"path": str(notebook.parent)}}).execute()
    return nb


def _tests_of(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata.get("nbgrader", {}).get("solution")]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_its_notebooks_run_whole_with_blank_answers(clone, assignment):
    """As handed out: every cell runs (the kernel never dies) and every test fails, saying why."""
    nb = _run_in_clone(clone, clone["repo"] / "notebooks" / f"{assignment}.ipynb")
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code"), "a cell did not run"
    unreadable = []
    for cell in _tests_of(nb):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        if not errors:
            unreadable.append(f"{cell.metadata.nbgrader['grade_id']}: passes on a blank answer")
        elif not (errors[0].evalue.strip() or printed.strip()):
            unreadable.append(f"{cell.metadata.nbgrader['grade_id']}: {errors[0].ename} without a message")
    assert not unreadable, unreadable


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_model_answers_pass_every_visible_test_there(clone, assignment, tmp_path):
    """The model answers pasted in (the correct sample): every cell runs without an error."""
    notebook = tmp_path / f"{assignment}.ipynb"
    notebook.write_bytes((ROOT / "autograder" / "submitted" / "correct" / assignment / f"{assignment}.ipynb")
                         .read_bytes())
    nb = _run_in_clone(clone, notebook)
    failed = [(c.metadata.get("nbgrader", {}).get("grade_id"), o.ename, o.evalue[:300])
              for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not failed, failed


def test_this_readmes_badge_launches_the_students_repository():
    """The maintainers' README sends Binder to the students' repository, never to this one."""
    repository = student_repo.settings()["repository"]
    assert f"https://mybinder.org/v2/gh/{repository}/HEAD" in (ROOT / "README.md").read_text()


def test_no_notebook_advises_a_layer_that_is_withheld_or_not_graded():
    """A notebook must not send students to sprintlib's copy of a layer that their sprint asks
    for ("use sprintlib.Conv1d here", "use sprintlib's in its place"): the students' sprintlib
    withholds it until the deadline, and a graded kernel's raises (0 points)."""
    advice = re.compile(r"use\s+`?sprintlib(?:\.|'s)\s*`?(\w*)")
    found = []
    for a in ASSIGNMENTS:
        own = {n for names in student_repo.ANSWERS[a].values() for n in names}
        for cell in json.loads((ROOT / "notebooks" / f"{a}.ipynb").read_text())["cells"]:
            text = " ".join("".join(cell["source"]).replace("#", " ").split())
            for m in advice.finditer(text):
                if m.group(1) in own or not m.group(1)[:1].isupper():
                    found.append(f"{a}: ...{text[max(0, m.start() - 40):m.end() + 40]}...")
    assert not found, found
def test_no_notebook_advises_code_outside_an_answer_cell():
    """A graded notebook keeps only its answer cells (engine/submission.py): advice to define
    classes "in a new cell" or "in a cell after the imports" loses that code when graded (sprint
    3's own sprint-2 layers then fail every test with a NameError). Nor may where_from advise it."""
    advice = re.compile(r"(?:define|write|put|paste)\b[^.]{0,80}?\b(?:in|into)\s+a\s+(?:new|separate|another)\s+cell"
                        r"|cell\s+(?:right\s+)?after\s+(?:it|the\s+imports)", re.I)
    found = []
    for a in ASSIGNMENTS:
        for cell in json.loads((ROOT / "notebooks" / f"{a}.ipynb").read_text())["cells"]:
            text = " ".join("".join(cell["source"]).replace("#", " ").split())
            found += [f"{a}: ...{text[max(0, m.start() - 40):m.end() + 40]}..." for m in advice.finditer(text)]
    from sprintlib import _withheld
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_withheld, "WITHHELD", {"Conv2d": "sprint2_conv2d"})
        line = _withheld.where_from(type("Conv2d", (), {"__module__": "sprintlib.layers.conv2d"}))
    found += [f"where_from: {line}"] if advice.search(line) else []
    assert "answer cell" in line, line
    assert not found, found


#: sample submissions whose test cells run in the students' repository and in this one: right
#: answers where the students' sprintlib withholds Conv2d, wrong ones where it withholds SimpleRNN
SAME_VERDICTS = [("sprint2_conv2d", "correct"), ("sprint4_rnn", "seeds")]


def _test_outputs(notebook: Path, pythonpath: str | None) -> dict:
    """grade_id -> (what the test cell printed, its error's message) when the notebook runs
    with ``pythonpath`` first on the kernel's path (the students' sprintlib) or without it."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(notebook), as_version=4)
    with student_repo.environ(NBGRADER_EXECUTION="autograde", MPLBACKEND="Agg", PYTHONPATH=pythonpath):
        NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(notebook.parent)}}).execute()
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            errors = [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]
            out[meta["grade_id"]] = (text, errors)
    return out


def _without_fitted_hints(outputs: dict) -> dict:
    """The test cells' outputs without the hints of the mistakes fitted to the student's values
    (sprintlib.grading.mistakes.FITTED: an h_0 that is not zero, a bias that is one number). Their
    predictions run the model answer on the student's own values, which no shipped value holds:
    the students' copy cannot give them before the sprint is released (the graded feedback does)."""
    from sprintlib.grading import mistakes

    fitted = {f"  hint: {m.hint}" for ms in mistakes.FITTED.values() for m in ms}
    return {k: ("".join(l for l in text.splitlines(keepends=True) if l.rstrip("\n") not in fitted), errors)
            for k, (text, errors) in outputs.items()}


@pytest.mark.parametrize("assignment, student", SAME_VERDICTS)
def test_the_visible_checks_say_the_same_without_the_model_answers(built, assignment, student, tmp_path):
    """A sample submission's test cells, run with the students' sprintlib (every model answer
    withheld: the checks read the shipped expected values) and with this repository's: the
    same lines, the same numbers, the same failures."""
    notebook = tmp_path / f"{assignment}.ipynb"
    notebook.write_bytes((ROOT / "autograder" / "submitted" / student / assignment / f"{assignment}.ipynb").read_bytes())
    assert built["withheld"].get("Conv2d") == "sprint2_conv2d" and built["withheld"].get("SimpleRNN")
    theirs = _test_outputs(notebook, str(built["first"]))
    ours = _test_outputs(notebook, None)
    assert theirs == _without_fitted_hints(ours)
    if student == "correct":
        assert all(not errors for _, errors in ours.values()), ours
