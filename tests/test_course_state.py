"""Each test cell runs on its own, in any order, after the answer cells and the notebook's setup
cells (issue 24, item 9): no test cell reads what another test cell left, or changes what
another one reads, and no global of the notebook makes a wrong answer look right.

- every source notebook runs its non-test cells in order, then its test cells in reversed
  order, each one twice, in a kernel as nbgrader runs it: every test passes, hidden parts
  included;
- no test cell binds a global name that a setup or answer cell binds (a test that rebinds
  ``x`` changes what an earlier problem's test reads when it is run again);
- no cell of the source binds a global that the documents' own code (samples/buggy) reads where it should read
  its layer's attribute (sprint 4's seed reads the bias from a global ``b``: a notebook that
  defines ``b`` equal to the layer's B hides that bug).
"""
from __future__ import annotations

import ast
import sys

import nbformat
import pytest

from conftest import ROOT
from course_cells import ASSIGNMENTS, bound_names, cells, method_globals

sys.path.insert(0, str(ROOT / "autograder"))
import build  # noqa: E402
from engine.course import SEED_VARIABLE, grading_seed  # noqa: E402


def _reordered(assignment):
    """The source notebook as: its setup and answer cells in order, then its test cells in
    reversed order, each twice."""
    nb = build.render(ROOT / "autograder" / "percent" / f"{assignment}.py")
    code = [c for c in nb.cells if c.cell_type == "code"]
    tests = [c for c in code if c.metadata.get("nbgrader", {}).get("grade")]
    rest = [c for c in code if not c.metadata.get("nbgrader", {}).get("grade")]
    order = rest + [c for t in reversed(tests) for c in (t, t)]
    copies = []
    for i, c in enumerate(order):
        c = nbformat.from_dict(dict(c))
        c.id = f"cell-{i}"
        copies.append(c)
    nb.cells = copies
    return nb, len(tests)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_test_cells_pass_in_reversed_order_each_twice(assignment, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv(SEED_VARIABLE, grading_seed())  # as every door of the engine grades
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb, n_tests = _reordered(assignment)
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    problems, ran = [], 0
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id") or cell.source.split("\n")[0]
        graded = cell.metadata.get("nbgrader", {}).get("grade")
        ran += bool(graded)
        for out in cell.outputs:
            if out.output_type == "error":
                problems.append(f"{grade_id}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr" and graded:
                problems.append(f"{grade_id} wrote to stderr: {out.text[:200]}")
    assert ran == 2 * n_tests
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_test_cell_rebinds_a_name_of_the_notebook(assignment):
    """What a setup or answer cell binds (x, a, model, history...) is the notebook's: a test
    cell that rebinds it changes what another test, or a later cell run again, reads."""
    all_cells = cells(assignment)
    notebooks = set().union(*(bound_names(c.source) for c in all_cells if c.kind != "test"))
    clashes = {c.grade_id: sorted(bound_names(c.source) & notebooks) for c in all_cells if c.kind == "test"}
    clashes = {k: v for k, v in clashes.items() if v}
    assert not clashes, f"test cells that rebind the notebook's names: {clashes}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_global_of_the_notebook_stands_in_for_a_seeds_attribute(assignment):
    """The documents' code (samples/buggy) reads some globals inside its methods; none of them may
    be a value the notebook's own cells define (imports of sprintlib's parts and the answers'
    classes and functions aside): such a global makes the documents' bug pass."""
    buggy = build.read_buggy(ROOT / "autograder" / "samples" / "buggy" / f"{assignment}.py")
    read = set().union(*(method_globals(code) for code in buggy.values()))
    seeds_own = set().union(*(bound_names(code, imports=True) for code in buggy.values()))
    values = set()
    for c in cells(assignment):
        if c.kind == "answer":
            continue  # the answers' classes and functions are what the documents' code calls
        values |= bound_names(c.source) - _defined_functions(c.source)
    hiding = sorted((read - seeds_own) & values)
    assert not hiding, f"globals of the notebook that the documents' methods read: {hiding}"


def _defined_functions(source):
    return {n.name for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def test_the_seeds_global_b_is_seen():
    """The check above finds sprint 4's seed reading ``b`` in its forward."""
    buggy = build.read_buggy(ROOT / "autograder" / "samples" / "buggy" / "sprint4_rnn.py")
    assert "b" in method_globals(buggy["rnn_solution"])
    assert "b" in bound_names("x = 1\nb = np.ones(4)\nfor i in range(2):\n    pass\n")
