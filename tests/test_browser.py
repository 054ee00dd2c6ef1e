"""A student in a real browser, in the students' repository: JupyterLab on loopback serving the
notebooks/ of a fresh clone of it (`make student-repo`, tests/student_build.py), its kernels
importing the clone's sprintlib (the students' build: sprint 1's model answers withheld unless
course.toml releases them, its checks judged by the shipped expected values), headless
Chromium (Debian's, driven by Playwright) opens the sprint 1 notebook, types an answer into
problem 1's solution cell, runs every cell from the Run menu and reads the test cells'
verdicts as a student reads them: the forward test passes, the backward test fails with
the hint for its mistake (dW a mean over the positions where it is their sum). JupyterLab is
configured as the Binder image configures it (the clone's binder/student_config.py: no
instructor pages). Screenshots go to output/screenshots/ (`make screenshots` copies sprint1.png
to docs/screenshots/ for the README).

One JupyterLab and one Chromium serve the whole file (module fixtures); both stop however
the tests end.
"""
import json
import os
import secrets
import time
import urllib.request

import nbformat
import pytest

from servers import BIN, Process, chromium, free_port, screenshot, wait_for_http
from student_build import fresh_clone, student_config, student_repo

pytestmark = pytest.mark.browser

NOTEBOOK = "sprint1_conv1d.ipynb"

#: what the student types into problem 1's solution cell: right forward, and a backward
#: whose dW is a mean over the output positions where it is their sum
ANSWER = '''\
class SimpleConv1d:
    """1-D convolution, one channel, no padding, stride 1, one sample."""

    param_names = ("W", "B")

    def __init__(self, filter_size, initializer=None, optimizer=None):
        initializer = HeInitializer() if initializer is None else initializer
        self.W = initializer.sample((filter_size,), fan_in=filter_size)
        self.B = initializer.B(1)
        self.optimizer = optimizer

    def forward(self, X):
        self.X = np.asarray(X, dtype=float)
        F = len(self.W)
        windows = np.arange(len(X) - F + 1)[:, None] + np.arange(F)
        return self.X[windows] @ self.W + self.B[0]

    def backward(self, dA):
        F = len(self.W)
        windows = np.arange(len(dA))[:, None] + np.arange(F)
        self.dW = dA @ self.X[windows] / len(dA)
        self.dB = np.array([dA.sum()])
        dX = np.zeros_like(self.X)
        np.add.at(dX, windows, dA[:, None] * self.W)
        if self.optimizer is not None:
            self.optimizer.update(self)
        return dX
'''


class Lab:
    """JupyterLab serving the notebooks/ of the students' repository ``clone`` on 127.0.0.1
    with a token, configured as a student's; its kernels import the clone's sprintlib."""

    def __init__(self, clone, home):
        self.clone, self.root, self.port, self.token = clone, clone / "notebooks", free_port(), secrets.token_hex(16)
        self.runtime = home / "runtime"
        config = home / "config"
        (config / "labconfig").mkdir(parents=True)
        # no "would you like news?" pop-up (it would also try the network)
        (config / "labconfig" / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
        student_config(clone).write(config)  # as in the Binder image
        # every cell in the page (JupyterLab renders only the visible ones by default)
        settings = home / "settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True)
        (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # plots inline, as students see them
        env.update(JUPYTER_CONFIG_DIR=str(config), JUPYTER_DATA_DIR=str(home / "data"),
                   JUPYTER_RUNTIME_DIR=str(self.runtime), IPYTHONDIR=str(home / "ipython"),
                   PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                   # the clone's sprintlib before the one installed in .venv (this repository's,
                   # editable): the kernels inherit the server's environment
                   PYTHONPATH=str(clone))
        cmd = [str(BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
               f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self.process = Process(cmd, home / "jupyterlab.log", env=env, cwd=clone)
        wait_for_http(self.url("api/status"), self.process)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    clone = fresh_clone(tmp_path_factory, "browser")  # the student's copy: the test writes into it
    home = tmp_path_factory.mktemp("jupyterlab")
    start = time.perf_counter()
    server = Lab(clone, home)
    server.started_in = time.perf_counter() - start
    try:
        yield server
    finally:
        server.process.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    page = context.new_page()
    try:
        yield page
    finally:
        if getattr(request.node, "failed", False):
            screenshot(page, f"failed-{request.node.name}")
        context.close()


def _cell_index(lab, grade_id: str) -> int:
    nb = nbformat.read(str(lab.root / NOTEBOOK), as_version=4)
    return next(i for i, c in enumerate(nb.cells) if c.get("id") == grade_id)


#: run in the notebook's kernel after Run All: whose sprintlib it imported, and how it judged
WHOSE_SPRINTLIB = """
import json, sprintlib, sprintlib._withheld, sprintlib.grading.shipped
print(json.dumps({"file": sprintlib.__file__, "withheld": sprintlib._withheld.withheld("SimpleConv1d"),
                  "shipped_read": sprintlib.grading.shipped._entries.cache_info().currsize}))
"""


def _in_the_kernel(lab, code: str) -> str:
    """What ``code`` prints, run in the kernel of the notebook open in the page (a second
    client on its connection file: the page shows none of it)."""
    from jupyter_client import BlockingKernelClient

    with urllib.request.urlopen(lab.url("api/sessions"), timeout=30) as r:
        kernel = next(s["kernel"]["id"] for s in json.load(r) if s["path"] == NOTEBOOK)
    client = BlockingKernelClient(connection_file=str(lab.runtime / f"kernel-{kernel}.json"))
    client.load_connection_file()
    client.start_channels()
    out = []
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(code, timeout=60, output_hook=lambda msg: out.append(
            msg["content"]["text"] if msg["msg_type"] == "stream" else ""))
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out)


def test_lab_serves_the_student_notebooks(lab):
    wait_for_http(lab.url(f"api/contents/{NOTEBOOK}"))
    assert lab.process.alive()


def test_a_student_types_an_answer_runs_all_and_reads_the_verdicts(lab, page):
    page.goto(lab.url(f"lab/tree/{NOTEBOOK}"))
    cells = page.locator(".jp-Notebook .jp-Cell")
    cells.first.wait_for(timeout=90_000)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=90_000)

    # a student's menu: the assignment list, not the instructor's formgrader
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").first.click()
    items = page.locator(".lm-Menu-content .lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    assert "Assignment List" in items and "Formgrader" not in items, items

    # type the answer over the release's cell (its `raise NotImplementedError()` included)
    solution = cells.nth(_cell_index(lab, "p1_solution"))
    solution.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(ANSWER)
    solution.locator(".cm-content", has_text="windows = np.arange(len(dA))").wait_for(timeout=10_000)
    assert "NotImplementedError" not in solution.locator(".cm-content").inner_text()
    page.keyboard.press("Escape")

    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

    forward = cells.nth(_cell_index(lab, "p1_test_forward"))
    backward = cells.nth(_cell_index(lab, "p1_test_backward"))
    backward.locator(".jp-OutputArea-output", has_text="AssertionError").first.wait_for(timeout=120_000)
    forward_text = forward.locator(".jp-OutputArea").inner_text()
    backward_text = backward.locator(".jp-OutputArea").inner_text()

    assert "forward A: OK" in forward_text and "Error" not in forward_text
    assert "backward dX: OK" in backward_text and "backward dB: OK" in backward_text
    assert "backward dW: wrong values" in backward_text
    assert "hint: your dW is the expected one divided by 6: a mean over" in backward_text
    assert "AssertionError: wrong: backward dW" in backward_text

    # the kernel ran the students' sprintlib, from the clone: sprint 1's model answers withheld
    # (unless course.toml releases them), the checks judged by the expected values it ships
    whose = json.loads(_in_the_kernel(lab, WHOSE_SPRINTLIB))
    assert whose["file"] == str(lab.clone / "sprintlib" / "__init__.py"), whose
    if "sprint1_conv1d" in student_repo.settings()["released"]:
        assert whose["withheld"] is None, whose
    else:
        assert whose["withheld"] == "sprint1_conv1d" and whose["shipped_read"] == 1, whose

    # the picture for the README: the answer's end, the passing test, the failing one with its hint
    page.keyboard.press("Control+B")  # the file browser out of the way
    forward.evaluate("cell => cell.scrollIntoView({block: 'start'})")
    page.locator(".jp-WindowedPanel-outer").first.evaluate("panel => panel.scrollBy(0, -240)")
    shot = screenshot(page, "sprint1")
    assert shot.stat().st_size > 20_000

    # saved as the student would hand it in: the typed answer, the outputs
    page.keyboard.press("Control+S")
    path = lab.root / NOTEBOOK
    deadline, cell = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        try:
            saved = nbformat.read(str(path), as_version=4)
        except nbformat.reader.NotJSONError:  # read while JupyterLab writes it: empty for a moment
            time.sleep(0.5)
            continue
        cell = next(c for c in saved.cells if c.get("id") == "p1_solution")
        if cell.source.strip() == ANSWER.strip():
            break
        time.sleep(0.5)
    assert cell is not None and cell.source.strip() == ANSWER.strip(), f"{path} not saved with the answer in 30 s"
    tested = next(c for c in saved.cells if c.get("id") == "p1_test_backward")
    assert any(o.output_type == "error" and o.ename == "AssertionError" for o in tested.outputs)
