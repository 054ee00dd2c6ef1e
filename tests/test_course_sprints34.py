"""The sprint 3 (LeNet) and sprint 4 (RNN) source notebooks run end to end with every test
passing: each percent script (autograder/percent/) is converted to a notebook and executed as
nbgrader's autograde run would execute it (NBGRADER_EXECUTION=autograde: token training),
model answers and hidden tests included. About 20 s for the two.

The whole file stays on one xdist worker (two kernels at once would fight over the cores).
To be folded into the course pipeline's own notebook tests.
"""
import os

import pytest

from conftest import ROOT

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")

pytestmark = pytest.mark.xdist_group("course_notebooks")

PERCENT = ROOT / "autograder" / "percent"
SPRINTS = ["sprint3_lenet", "sprint4_rnn"]


def build_notebook(name):
    """The notebook of autograder/percent/<name>.py (the conversion the course build makes)."""
    return jupytext.read(PERCENT / f"{name}.py")


def run_notebook(nb, cwd, autograde=True, timeout=120):
    """Execute ``nb`` in place in a fresh python3 kernel, errors kept in the outputs."""
    env = {"NBGRADER_EXECUTION": "autograde"} if autograde else {}
    saved = {k: os.environ.get(k) for k in ("NBGRADER_EXECUTION", "MPLBACKEND")}
    os.environ.update(MPLBACKEND="Agg", **env)
    if not autograde:
        os.environ.pop("NBGRADER_EXECUTION", None)
    try:
        nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def errors(nb):
    """{cell label: 'ename: evalue'} for every code cell that raised."""
    found = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                label = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {i}")
                found[label] = f"{out.ename}: {out.evalue[:300]}"
    return found


@pytest.mark.parametrize("name", SPRINTS)
def test_source_notebook_runs_and_every_test_passes(name, tmp_path):
    nb = build_notebook(name)
    graded = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    assert len(graded) >= 5 and len(set(graded)) == len(graded)
    run_notebook(nb, tmp_path)
    assert errors(nb) == {}
    stderr = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "stream" and o.name == "stderr"
              and c.metadata.get("nbgrader", {}).get("grade")]
    assert stderr == []  # nbgrader fails a test cell that writes to stderr


@pytest.mark.parametrize("name", SPRINTS)
def test_buggy_sample_cells_name_solution_cells(name):
    ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in build_notebook(name).cells
           if c.metadata.get("nbgrader", {}).get("solution")}
    text = (ROOT / "autograder" / "samples" / "buggy" / f"{name}.py").read_text()
    named = [line.split()[2] for line in text.splitlines() if line.startswith("# %% ")]
    assert named and set(named) <= ids
