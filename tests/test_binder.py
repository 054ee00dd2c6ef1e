"""The students' Binder image, checked without a network or a Docker engine.

- repo2docker (`--no-build --no-run --debug`, what Binder runs, less the build) accepts a copy
  of the repository as a Binder clone has it, and the Dockerfile it generates installs
  binder/environment.yml with conda and runs binder/postBuild, which installs sprintlib;
- the build context repo2docker would send to Docker (its own code, with a stand-in for the
  Docker client) holds the student notebooks and sprintlib but none of the instructor's
  material: no source notebook, no solution, no hidden test, no git history;
- a Jupyter server configured by binder/student_config.py (what postBuild runs in the image)
  answers 404 on the formgrader and the course list, and keeps the students' assignment list.
"""
import contextlib
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request

import nbformat
import pytest
import yaml

from servers import BIN, ROOT, Process, free_port, wait_for_http
from test_environment import _pins, pyproject_pins

sys.path.insert(0, str(ROOT / "binder"))
import student_config  # noqa: E402

pytestmark = pytest.mark.binder


def _repository_files():
    """The files a clone of the repository has: tracked ones, and new ones not ignored."""
    run = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, check=True)
    return sorted(f for f in run.stdout.decode().split("\0") if f and (ROOT / f).is_file())


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A copy of the repository as Binder clones it (its .git a stand-in: the history is in it)."""
    repo = tmp_path_factory.mktemp("binder") / "repo"
    for name in _repository_files():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, repo / name)
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return repo


@pytest.fixture(scope="module")
def dockerfile(clone):
    """What `repo2docker --no-build --debug` prints for the clone, as Binder's user (uid 1000)."""
    run = subprocess.run([str(BIN / "repo2docker"), "--no-build", "--no-run", "--debug",
                          "--user-id", "1000", "--user-name", "jovyan", str(clone)],
                         capture_output=True, text=True, timeout=300, cwd=clone.parent)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout + run.stderr


class _DockerStandIn:
    """Receives what repo2docker hands a Docker client to build: the context as a tar."""

    string_output = True

    def build(self, fileobj, **kwargs):
        self.context = tarfile.open(fileobj=io.BytesIO(fileobj.read()))
        return iter(())


@pytest.fixture(scope="module")
def context(clone):
    """{path inside the image's repository folder: bytes} of repo2docker's build context."""
    from repo2docker.app import Repo2Docker

    app = Repo2Docker()
    with contextlib.chdir(clone):
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


def test_repo2docker_builds_the_image_from_binder(dockerfile):
    assert "Building conda environment for python=3.11" in dockerfile
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile
    # binder/ wins: the maintainers' environment.yml at the top level is not the image's
    assert '--file "environment.yml"' not in dockerfile


def test_postbuild_installs_sprintlib_and_turns_the_instructor_pages_off():
    lines = [line.strip() for line in (ROOT / "binder" / "postBuild").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert "python -m pip install --no-deps --no-cache-dir -e ." in lines
    assert "python binder/student_config.py --sys-prefix" in lines
    assert os.access(ROOT / "binder" / "postBuild", os.X_OK)


def test_the_image_environment_is_the_students():
    """binder/environment.yml: Python 3.11 and exactly pyproject.toml's `dependencies`."""
    import tomllib

    env = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    student = _pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    assert _pins(pip) == student
    assert set(student) < set(pyproject_pins())  # the maintainers' tools stay out
    for tool in ("tensorflow-cpu", "pytest", "playwright"):
        assert tool not in _pins(pip)


def test_the_context_holds_the_course_for_students(context):
    pack, files = context
    assert pack == "CondaBuildPack"
    for needed in ["notebooks/sprint1_conv1d.ipynb", "notebooks/sprint2_conv2d.ipynb", "sprintlib/__init__.py",
                   "sprintlib/grading/__init__.py", "pyproject.toml", "binder/postBuild", "binder/student_config.py",
                   "binder/environment.yml", "data/mnist/SHA256SUMS", "README.md"]:
        assert needed in files, needed


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


def test_the_context_holds_no_solution_and_no_hidden_test(context, clone):
    _, files = context
    kept_out = [name for name in files if name.split("/")[0] in
                ("autograder", "tests", ".git", "benchmarks", ".ci", ".venv", "output")]
    assert not kept_out, f"in the students' image: {kept_out[:10]}"

    # every solution and every hidden test of the source notebooks, as text to look for
    secrets_ = []
    for source in sorted((clone / "autograder" / "source").glob("*/*.ipynb")):
        text = _text(source.name, source.read_bytes())
        secrets_ += _regions(text, "### BEGIN SOLUTION", "### END SOLUTION")
        secrets_ += _regions(text, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
    secrets_ = [s for s in secrets_ if len(s.strip()) > 40]
    assert len(secrets_) > 10
    # the check has teeth: the repository itself holds them (the sample 'correct' submission too)
    correct = _text("x.ipynb", (clone / "autograder/submitted/correct/sprint1_conv1d/sprint1_conv1d.ipynb").read_bytes())
    assert any(s in correct for s in secrets_)

    leaks = []
    for name, data in files.items():
        text = _text(name, data)
        if text is None:
            continue
        if "BEGIN SOLUTION" in text or "BEGIN HIDDEN TESTS" in text:
            leaks.append(f"{name}: nbgrader's markers")
        leaks += [f"{name}: {s.strip().splitlines()[0]!r}..." for s in secrets_ if s in text]
    assert not leaks, "\n".join(leaks)


@pytest.fixture(scope="module")
def student_server(tmp_path_factory):
    """A Jupyter server as the image starts one: nbgrader's extensions enabled for the
    environment (its own nbgrader.json, copied into the same folder), then student_config."""
    home = tmp_path_factory.mktemp("student")
    config = home / "config"
    enabling = next((ROOT / ".venv" / "etc" / "jupyter" / "jupyter_server_config.d").glob("nbgrader*.json"))
    (config / "jupyter_server_config.d").mkdir(parents=True)
    shutil.copy2(enabling, config / "jupyter_server_config.d" / enabling.name)
    subprocess.run([sys.executable, str(ROOT / "binder" / "student_config.py"), str(config)], check=True)
    port, token = free_port(), secrets.token_hex(16)
    (home / "notebooks").mkdir()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home / 'notebooks'}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    server = Process(cmd, home / "jupyter.log", env=env)
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
    status, body = _get(f"{base}/assignments?course_id=sprintlib-cnn-rnn", token)
    assert status == 200 and "success" in json.loads(body)
    log = server.log.read_text()
    assert "Loading the formgrader nbgrader serverextension" not in log
    assert "Loading the assignment_list nbgrader serverextension" in log


def test_a_students_jupyterlab_has_no_instructor_plugins(student_server):
    base, token, _ = student_server
    status, page = _get(f"{base}/lab", token)
    assert status == 200
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, flags=re.S).group(1))
    for plugin in student_config.LAB_PLUGINS:
        assert plugin in config["disabledExtensions"], plugin
    assert "@jupyter/nbgrader:assignment-list" not in config["disabledExtensions"]
