"""Each instructor notebook, rendered from its percent script, runs end to end (nbclient) with
every test passing, hidden ones included, as nbgrader would run it (NBGRADER_EXECUTION set:
the training cells do a token amount of work). And the percent scripts keep the convention
the build relies on."""
import re
import sys

import jupytext
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
import build  # noqa: E402
from engine.course import SEED_VARIABLE, grading_seed  # noqa: E402

ASSIGNMENTS = build.assignments(ROOT)


def test_there_are_assignments():
    assert "sprint1_conv1d" in ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_percent_script_round_trips_through_jupytext(assignment):
    """Text -> notebook -> text gives the same text: the nbgrader metadata in the cell headers
    survives exactly (the convention shared by every sprint's source)."""
    text = (ROOT / "autograder" / "percent" / f"{assignment}.py").read_text()
    nb = jupytext.reads(text, fmt="py:percent")
    assert jupytext.writes(nb, fmt="py:percent") == text
    graded = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
    assert graded and all(m["schema_version"] == 3 for m in graded)
    for m in graded:
        assert m["grade"] == ("points" in m), m["grade_id"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_problem_states_its_japanese_title(assignment):
    text = (ROOT / "autograder" / "percent" / f"{assignment}.py").read_text()
    problems = re.findall(r"^# ## Problem \d+.*$", text, flags=re.M)
    # the document's title in parentheses, in Japanese (kana or kanji)
    assert problems and all(re.search(r"\([^)]*[\u3040-\u30ff\u4e00-\u9fff]", p) for p in problems), problems


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_tests_draw_from_hidden_rng_with_their_grade_id(assignment):
    nb = build.render(ROOT / "autograder" / "percent" / f"{assignment}.py")
    for cell in nb.cells:
        hidden = re.search(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, flags=re.S)
        if hidden and "hidden_rng(" in hidden.group(1):
            assert f'hidden_rng("{cell.metadata.nbgrader["grade_id"]}")' in hidden.group(1)
        # TensorFlow's import writes to stderr: never in a graded cell, and elsewhere only in a
        # cell that skips it while nbgrader grades
        if cell.cell_type == "code" and re.search(r"^\s*(import|from)\s+tensorflow", cell.source, re.M):
            assert not cell.metadata.get("nbgrader", {}).get("grade") and "autograding()" in cell.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_runs_with_every_test_passing(assignment, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv(SEED_VARIABLE, grading_seed())  # as every door of the engine grades
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = build.render(ROOT / "autograder" / "percent" / f"{assignment}.py")
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        name = cell.metadata.get("nbgrader", {}).get("grade_id") or cell.source.split("\n")[0]
        for out in cell.outputs:
            if out.output_type == "error":
                problems.append(f"{name}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr" and cell.metadata.get("nbgrader", {}).get("grade"):
                problems.append(f"{name} wrote to stderr (nbgrader fails such a test): {out.text[:200]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_buggy_sample_cells_name_solution_cells(assignment):
    buggy = ROOT / "autograder" / "samples" / "buggy" / f"{assignment}.py"
    ids = {c.metadata.get("nbgrader", {}).get("grade_id")
           for c in build.render(ROOT / "autograder" / "percent" / f"{assignment}.py").cells
           if c.metadata.get("nbgrader", {}).get("solution")}
    named = [line.split()[2] for line in buggy.read_text().splitlines() if line.startswith("# %% ")]
    assert named and set(named) <= ids
