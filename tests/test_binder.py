"""The students' Binder image, checked without a network or a Docker engine.

Binder launches the students' repository (`make student-repo`, autograder/student_repo.py):
the tests work in a fresh clone of it (tests/student_build.py), without this repository beside it.

- repo2docker (`--no-build --no-run --debug`, what Binder runs, less the build) accepts the
  clone, and the Dockerfile it generates installs binder/environment.yml with conda and runs
  binder/postBuild, which installs the clone's sprintlib;
- the build context repo2docker would send to Docker (its own code, with a stand-in for the
  Docker client) holds what the clone's git commit holds, less the history: the student
  notebooks, the students' sprintlib and its shipped expected values, and none of the
  instructor's material: no source notebook, no solution, no hidden test;
- this repository's own image, had Binder launched it, would hold none of that material either:
  binder/.dockerignore keeps autograder/, tests/ and .git out of it;
- a Jupyter server configured by the clone's binder/student_config.py (what postBuild runs in
  the image) answers 404 on the formgrader and the course list, and keeps the students'
  assignment list.
"""
import contextlib
import functools
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tomllib
import urllib.error
import urllib.request

import nbformat
import pytest
import yaml

from servers import BIN, ROOT, Process, free_port, wait_for_http
from student_build import fresh_clone, student_config
from test_environment import _pins, pyproject_pins

sys.path.insert(0, str(ROOT / "autograder"))
from engine.course import COURSE_ID  # noqa: E402

pytestmark = pytest.mark.binder

#: what students get at the top of their repository (tests/test_student_repo.py checks it too)
STUDENTS_TOP = {".gitignore", "Makefile", "README.md", "pyproject.toml", "requirements.lock", "binder", "data",
                "notebooks", "sprintlib"}
#: the instructor's material, and a checkout's own files: never in an image
KEPT_OUT = ("autograder", "tests", ".git", "benchmarks", "hub", ".ci", ".venv", "output")


def _repository_files():
    """The files a clone of the repository has: tracked ones, and new ones not ignored."""
    run = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, check=True)
    return sorted(f for f in run.stdout.decode().split("\0") if f and (ROOT / f).is_file())


@pytest.fixture(scope="module")
def this_repository(tmp_path_factory):
    """A copy of this repository as Binder would clone it (its .git a stand-in: the history is in it)."""
    repo = tmp_path_factory.mktemp("binder-instructor") / "repo"
    for name in _repository_files():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, repo / name)
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return repo


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A fresh git clone of the students' repository, as Binder clones it."""
    return fresh_clone(tmp_path_factory, "binder")


def _repo2docker(repo):
    """What `repo2docker --no-build --debug` prints for ``repo``, as Binder's user (uid 1000)."""
    run = subprocess.run([str(BIN / "repo2docker"), "--no-build", "--no-run", "--debug",
                          "--user-id", "1000", "--user-name", "jovyan", str(repo)],
                         capture_output=True, text=True, timeout=300, cwd=repo.parent)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout + run.stderr


@pytest.fixture(scope="module")
def dockerfile(clone):
    return _repo2docker(clone)


class _DockerStandIn:
    """Receives what repo2docker hands a Docker client to build: the context as a tar."""

    string_output = True

    def build(self, fileobj, **kwargs):
        self.context = tarfile.open(fileobj=io.BytesIO(fileobj.read()))
        return iter(())


def _build_context(repo):
    """(buildpack, {path inside the image's repository folder: bytes}) of the build context
    repo2docker would send to Docker for ``repo``."""
    from repo2docker.app import Repo2Docker

    app = Repo2Docker()
    with contextlib.chdir(repo):
        pack = next(bp for bp in (BP(base_image=app.base_image) for BP in app.buildpacks) if bp.detect())
        pack.platform = "linux/amd64"
        client = _DockerStandIn()
        for _ in pack.build(client, "sprintlib-student", 0, {"NB_USER": "jovyan", "NB_UID": "1000"}, [], {}):
            pass
    files = {}
    for member in client.context.getmembers():
        if member.isfile() and member.name.startswith("src/"):
            files[member.name[len("src/"):]] = client.context.extractfile(member).read()
    return type(pack).__name__, files


@pytest.fixture(scope="module")
def context(clone):
    return _build_context(clone)


@pytest.fixture(scope="module")
def this_context(this_repository):
    return _build_context(this_repository)


def test_repo2docker_builds_the_image_from_binder(dockerfile):
    assert "Building conda environment for python=3.11" in dockerfile
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile


def test_binder_wins_over_this_repositorys_environment_yml(this_repository):
    """This repository's top-level environment.yml (the maintainers') would not be the image's
    either, were it launched: binder/ wins."""
    assert (this_repository / "environment.yml").is_file()
    dockerfile = _repo2docker(this_repository)
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"' in dockerfile
    assert '--file "environment.yml"' not in dockerfile


def test_postbuild_installs_sprintlib_and_turns_the_instructor_pages_off(clone):
    lines = [line.strip() for line in (clone / "binder" / "postBuild").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert "python -m pip install --no-deps --no-cache-dir -e ." in lines
    assert "python binder/student_config.py --sys-prefix" in lines
    assert os.access(clone / "binder" / "postBuild", os.X_OK)  # as git checked it out


def test_the_image_environment_is_the_students(clone):
    """binder/environment.yml: Python 3.11 and exactly the students' pyproject.toml's `dependencies`."""
    env = yaml.safe_load((clone / "binder" / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    project = tomllib.loads((clone / "pyproject.toml").read_text())["project"]
    student = _pins(project["dependencies"])
    assert _pins(pip) == student
    assert "optional-dependencies" not in project
    assert set(student) < set(pyproject_pins())  # the maintainers' tools stay out
    for tool in ("tensorflow-cpu", "pytest", "playwright"):
        assert tool not in _pins(pip)


def test_the_context_holds_the_course_for_students(context, clone):
    pack, files = context
    assert pack == "CondaBuildPack"
    for needed in ["notebooks/sprint1_conv1d.ipynb", "notebooks/sprint2_conv2d.ipynb", "notebooks/sprint3_lenet.ipynb",
                   "notebooks/sprint4_rnn.ipynb", "sprintlib/__init__.py", "sprintlib/grading/__init__.py",
                   "sprintlib/_withheld.py", "pyproject.toml", "binder/postBuild", "binder/student_config.py",
                   "binder/environment.yml", "data/mnist/SHA256SUMS", "data/keras/keras_lenet.json", "README.md",
                   "Makefile"]:
        assert needed in files, needed
    assert [name for name in files if name.startswith("sprintlib/grading/shipped/") and name.endswith(".jsonl")]
    # what the students' repository commits, less its history: nothing more, nothing less
    committed = subprocess.run(["git", "ls-files", "-z"], cwd=clone, capture_output=True, check=True)
    assert set(files) == set(committed.stdout.decode().split("\0")) - {""}
    assert {name.split("/")[0] for name in files} == STUDENTS_TOP
    for name in ("sprintlib/_withheld.py", "notebooks/sprint1_conv1d.ipynb"):
        assert files[name] == (clone / name).read_bytes(), name


def _regions(text, begin, end):
    return [m.group(1).strip("\n") for m in re.finditer(rf"{begin}[^\n]*\n(.*?)\n[^\n]*{end}", text, flags=re.S)]


def _text(name, data):
    """What a file says: a notebook's cell sources, or the file's text (None for binary data)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if name.endswith(".ipynb"):
        return "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
    return text


@functools.cache
def _instructors_secrets():
    """Every solution and every hidden test of this repository's source notebooks, as text to look for."""
    secrets_ = []
    for source in sorted((ROOT / "autograder" / "source").glob("*/*.ipynb")):
        text = _text(source.name, source.read_bytes())
        secrets_ += _regions(text, "### BEGIN SOLUTION", "### END SOLUTION")
        secrets_ += _regions(text, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
    secrets_ = [s for s in secrets_ if len(s.strip()) > 40]
    assert len(secrets_) > 10
    # the check has teeth: this repository holds them (the sample 'correct' submission too)
    correct = _text("x.ipynb", (ROOT / "autograder/submitted/correct/sprint1_conv1d/sprint1_conv1d.ipynb").read_bytes())
    assert any(s in correct for s in secrets_)
    return secrets_


def _assert_no_instructors_material(files):
    """No folder of the instructor's, no solution and no hidden test in the build context ``files``."""
    kept_out = [name for name in files if name.split("/")[0] in KEPT_OUT]
    assert not kept_out, f"in the students' image: {kept_out[:10]}"
    leaks = []
    for name, data in files.items():
        text = _text(name, data)
        if text is None:
            continue
        if "BEGIN SOLUTION" in text or "BEGIN HIDDEN TESTS" in text:
            leaks.append(f"{name}: nbgrader's markers")
        leaks += [f"{name}: {s.strip().splitlines()[0]!r}..." for s in _instructors_secrets() if s in text]
    assert not leaks, "\n".join(leaks)


def test_the_context_holds_no_solution_and_no_hidden_test(context):
    _assert_no_instructors_material(context[1])


def test_this_repositorys_image_would_hold_no_solution_and_no_hidden_test(this_repository, this_context):
    """binder/.dockerignore: had Binder launched this repository, its autograder/ (the source
    notebooks, the sample submissions), tests/ and history would stay out of the image."""
    assert (this_repository / "autograder" / "source").is_dir() and (this_repository / "tests").is_dir()
    pack, files = this_context
    assert pack == "CondaBuildPack" and "notebooks/sprint1_conv1d.ipynb" in files
    _assert_no_instructors_material(files)


@pytest.fixture(scope="module")
def student_server(tmp_path_factory, clone):
    """A Jupyter server as the image starts one, in the clone: nbgrader's extensions enabled for
    the environment (its own nbgrader.json, copied into the same folder), then the clone's
    binder/student_config.py."""
    home = tmp_path_factory.mktemp("student")
    config = home / "config"
    enabling = next((ROOT / ".venv" / "etc" / "jupyter" / "jupyter_server_config.d").glob("nbgrader*.json"))
    (config / "jupyter_server_config.d").mkdir(parents=True)
    shutil.copy2(enabling, config / "jupyter_server_config.d" / enabling.name)
    subprocess.run([sys.executable, str(clone / "binder" / "student_config.py"), str(config)], check=True)
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={clone}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    server = Process(cmd, home / "jupyter.log", env=env, cwd=clone)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/status?token={token}", server)
        yield f"http://127.0.0.1:{port}", token, server
    finally:
        server.stop()


def _get(url, token):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"token {token}"}),
                                    timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def test_a_students_server_has_no_instructor_pages(student_server):
    base, token, server = student_server
    for path in ["formgrader", "formgrader/gradebook", "formgrader/api/assignments", "formgraders"]:
        assert _get(f"{base}/{path}", token)[0] == 404, path
    # nbgrader is there for students: the assignment list answers
    status, body = _get(f"{base}/assignments?course_id={COURSE_ID}", token)
    assert status == 200 and "success" in json.loads(body)
    log = server.log.read_text()
    assert "Loading the formgrader nbgrader serverextension" not in log
    assert "Loading the assignment_list nbgrader serverextension" in log


def test_a_students_jupyterlab_has_no_instructor_plugins(student_server, clone):
    base, token, _ = student_server
    status, page = _get(f"{base}/lab", token)
    assert status == 200
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, flags=re.S).group(1))
    plugins = student_config(clone).LAB_PLUGINS
    assert "@jupyter/nbgrader:formgrader" in plugins
    for plugin in plugins:
        assert plugin in config["disabledExtensions"], plugin
    assert "@jupyter/nbgrader:assignment-list" not in config["disabledExtensions"]
