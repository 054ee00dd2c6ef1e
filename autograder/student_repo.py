"""`make student-repo [DEST=dir]`: the students' repository, built from this one.

What students receive, and nothing the instructor holds:

    notebooks/          the four sprints as released (autograder/release/), no solution, no hidden test
    sprintlib/          the students' build: the model answers of the released sprints
                        (course.toml) and everything no sprint asks students to write; each
                        layer and function of another sprint keeps its signature and __init__,
                        its computation raises "Conv2d is sprint 2's problem: its model answer is
                        released after sprint 2" (sprintlib/_withheld.py); and, in
                        sprintlib/grading/shipped/, the expected values of the notebooks'
                        visible checks, made here by running the model answers' visible tests
    data/               MNIST and the trained LeNet the notebooks read
    binder/             the Binder image (environment.yml, postBuild, student_config.py)
    README.md, Makefile, pyproject.toml, requirements.lock, .gitignore
                        the students' page (the Binder badge reads course.toml's repository),
                        and `make lab`, their one command

DEST (default: output/student-repo) becomes a git repository of its own: its history holds
only what students receive. Built again into the same DEST (a clone of the published student
repository), the new build is one more commit on that history; push it.

    python autograder/student_repo.py [--dest DIR] [--skip-shipped]
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from engine.answers import ANSWERS, COMPUTING  # noqa: E402,F401 (COMPUTING: tests read it here)
from engine.course import ASSIGNMENTS, SEED_VARIABLE  # noqa: E402
from engine.submission import runnable  # noqa: E402

#: what students get of data/
DATA = ["README.md", "mnist", "weights", "keras"]


def settings(root: Path = ROOT) -> dict:
    """course.toml's [students]: the repository's name and the released sprints."""
    with open(root / "course.toml", "rb") as f:
        students = tomllib.load(f)["students"]
    unknown = [s for s in students["released"] if s not in ASSIGNMENTS]
    if unknown:
        raise SystemExit(f"course.toml: released names {unknown}, expected some of {ASSIGNMENTS}")
    return students


def withheld_names(released: list[str]) -> dict[str, dict[str, list[str]]]:
    """file -> names withheld, for the sprints not released."""
    out = {}
    for sprint in ASSIGNMENTS:
        if sprint not in released:
            for rel, names in ANSWERS[sprint].items():
                out.setdefault(rel, {}).update({n: sprint for n in names})
    return out


def withhold(source: str, names: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The module's source with the computations of ``names`` (name -> sprint; "*": every
    function) replaced by a raise, docstrings, comments and everything else kept as written;
    and {public name: sprint} for the registry."""
    tree = ast.parse(source)
    registry, targets = {}, []  # targets: (function node, the name the error gives, sprint)
    whole = names.get("*")
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in names:
            registry[node.name] = names[node.name]
            targets += [(item, node.name, names[node.name]) for item in node.body
                        if isinstance(item, ast.FunctionDef) and item.name in COMPUTING]
        elif isinstance(node, ast.FunctionDef) and (node.name in names or whole):
            sprint = names.get(node.name, whole)
            targets.append((node, node.name, sprint))
            if not node.name.startswith("_"):
                registry[node.name] = sprint
    lines = source.split("\n")
    for node, name, sprint in sorted(targets, key=lambda t: -t[0].lineno):  # bottom up: line numbers hold
        body = node.body
        has_doc = isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str)
        first = body[1] if has_doc and len(body) > 1 else (None if has_doc else body[0])
        start = (first.lineno if first is not None else body[0].end_lineno + 1) - 1
        indent = " " * body[0].col_offset
        lines[start:node.end_lineno] = [f'{indent}raise __import__("sprintlib._withheld", fromlist=["_"])'
                                        f'.ModelAnswerWithheld({name!r}, {sprint!r})']
    return "\n".join(lines), registry


def build_sprintlib(dst: Path, released: list[str]) -> dict[str, str]:
    """The students' sprintlib in dst/sprintlib; returns what it withholds."""
    src = ROOT / "sprintlib"
    shutil.copytree(src, dst / "sprintlib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "shipped"))
    registry = {}
    for rel, names in withheld_names(released).items():
        path = dst / "sprintlib" / rel
        text, found = withhold(path.read_text(), names)
        missing = set(names) - {"*"} - set(found) - {n for n in names if n.startswith("_")}
        if missing:
            raise SystemExit(f"student build: {sorted(missing)} not found in sprintlib/{rel} (ANSWERS is stale)")
        path.write_text(text)
        registry.update(found)
    reg = dst / "sprintlib" / "_withheld.py"
    text = reg.read_text()
    marker = "WITHHELD: dict[str, str] = {}"
    assert marker in text, "sprintlib/_withheld.py lost its WITHHELD line"
    reg.write_text(text.replace(marker, f"WITHHELD: dict[str, str] = {json.dumps(dict(sorted(registry.items())))}"))
    return registry


@contextlib.contextmanager
def environ(**values):
    """os.environ with ``values`` set (None: unset) while the block runs, as it was after it:
    what the kernels that nbclient starts inherit."""
    old = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        yield
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def ship_expected_values(dst: Path) -> None:
    """The visible checks' expected values, from the model answers (the source notebooks with
    their hidden tests cut out), into dst/sprintlib/grading/shipped/<assignment>.jsonl."""
    import nbformat
    from nbclient import NotebookClient

    from engine import cache

    folder = dst / "sprintlib" / "grading" / "shipped"
    folder.mkdir(parents=True, exist_ok=True)
    # what each file was made from, kept in the repository's .git (never in what students
    # receive): a rebuild for the next release runs only the notebooks whose source or code changed
    keys = dst / ".git" / "shipped-keys"
    keys.mkdir(parents=True, exist_ok=True)
    for a in ASSIGNMENTS:
        source_path = HERE / "source" / a / f"{a}.ipynb"
        out, stamp = folder / f"{a}.jsonl", keys / f"{a}.key"
        key = cache.digest(source_path, cache.code_digest())
        kept = keys / f"{a}.jsonl"
        if stamp.exists() and stamp.read_text() == key and kept.exists():
            shutil.copy2(kept, out)
            print(f"shipped the expected values of {a}'s visible checks: {out.stat().st_size} bytes (kept: "
                  f"the source notebook and the code are unchanged)")
            continue
        stamp.unlink(missing_ok=True)
        source = nbformat.read(str(source_path), as_version=4)
        run_nb, where = runnable(source)
        run_nb.cells = [c for c, (_, part) in zip(run_nb.cells, where) if part != "hidden"]
        out.unlink(missing_ok=True)
        # the checks' weights are drawn as a student's notebook draws them: with sprintlib's own
        # seed, never the term's grading secret (which the students' keys could not match)
        with environ(SPRINTLIB_GRADING_SHIP=str(out), NBGRADER_EXECUTION="autograde", MPLBACKEND="Agg",
                     OPENBLAS_NUM_THREADS="1", **{SEED_VARIABLE: None}):
            NotebookClient(run_nb, timeout=300, kernel_name="python3", allow_errors=False,
                           resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
        if out.exists():
            shutil.copy2(out, kept)
            stamp.write_text(key)
        print(f"shipped the expected values of {a}'s visible checks: {out.stat().st_size if out.exists() else 0} bytes")


def copy_course(dst: Path, students: dict) -> None:
    """Everything but sprintlib: notebooks, data, binder, the students' README and tools."""
    (dst / "notebooks").mkdir()
    for a in ASSIGNMENTS:
        release = HERE / "release" / a / f"{a}.ipynb"
        nb = json.loads(release.read_text())
        for cell in nb["cells"]:  # a release keeps no hidden test: checked again here, not assumed
            assert "BEGIN HIDDEN TESTS" not in "".join(cell.get("source", "")), f"{release} holds a hidden test"
        shutil.copy2(release, dst / "notebooks" / f"{a}.ipynb")
    (dst / "data").mkdir()
    for name in DATA:
        src = ROOT / "data" / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst / "data" / name)
    shutil.copytree(ROOT / "binder", dst / "binder", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "requirements.lock"):
        shutil.copy2(ROOT / name, dst / name)
    template = HERE / "student"
    for name in ("Makefile", "gitignore"):
        shutil.copy2(template / name, dst / (".gitignore" if name == "gitignore" else name))
    released = students["released"]
    (dst / "README.md").write_text((template / "README.md").read_text().format(
        repository=students["repository"],
        released=", ".join(s.split("_")[0].replace("sprint", "sprint ") for s in released) or "none yet"))


def student_pyproject(dst: Path) -> None:
    """pyproject.toml without the maintainers' extras (the students install sprintlib alone)."""
    text = (dst / "pyproject.toml").read_text()
    start, end = text.index("[project.optional-dependencies]"), text.index("[tool.setuptools.packages.find]")
    tail = text[end:]
    tail = tail[:tail.index("[tool.pytest.ini_options]")] if "[tool.pytest.ini_options]" in tail else tail
    (dst / "pyproject.toml").write_text(text[:start] + tail.rstrip() + "\n\n[tool.setuptools.package-data]\n"
                                        "\"sprintlib.grading\" = [\"shipped/*.jsonl\"]\n")


def commit(dst: Path, message: str) -> None:
    git = ["git", "-C", str(dst), "-c", "user.name=sprintlib course", "-c", "user.email=course@localhost"]
    subprocess.run([*git, "add", "-A"], check=True)
    if subprocess.run([*git, "diff", "--cached", "--quiet"]).returncode != 0:
        subprocess.run([*git, "commit", "-q", "-m", message], check=True)


def build(dst: Path, ship: bool = True, released: list[str] | None = None) -> dict[str, str]:
    """The students' repository in ``dst``; ``released`` overrides course.toml's (tests).
    Returns what the students' sprintlib withholds (name -> sprint)."""
    students = settings()
    if released is not None:
        students = {**students, "released": released}
    dst.mkdir(parents=True, exist_ok=True)
    if not (dst / ".git").exists():  # before shipping: the shipped values' keys are kept in it
        subprocess.run(["git", "init", "-q", "-b", "main", str(dst)], check=True)
    for entry in dst.iterdir():  # a clone of the published repository keeps its history (.git)
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    copy_course(dst, students)
    student_pyproject(dst)
    registry = build_sprintlib(dst, students["released"])
    if ship:
        ship_expected_values(dst)
    released = ", ".join(students["released"]) or "none"
    commit(dst, f"The course for students; model answers released: {released}")
    return registry


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=ROOT / "output" / "student-repo")
    parser.add_argument("--skip-shipped", action="store_true", help="without the visible checks' expected values (tests)")
    args = parser.parse_args(argv)
    registry = build(args.dest.resolve(), ship=not args.skip_shipped)
    print(f"students' repository: {args.dest} ({len(registry)} model answers withheld: "
          f"{', '.join(sorted(registry)) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
