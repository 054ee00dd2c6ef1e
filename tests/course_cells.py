"""A sprint's source notebook, cell by cell, in this process: what tests/test_course_fairness.py
and tests/test_course_state.py read of the four sprints.

- ``cells(assignment)``: the rendered source notebook's code cells, each with its kind
  (``test``: a graded test cell; ``answer``: a solution cell; ``setup``: every other code
  cell) and, for a test cell, its visible part and its hidden part;
- ``Recorder``: sprintlib.grading's checks replaced by ones that note what they were asked
  to check (a layer's configuration, a function's arguments, a check's name) and check
  nothing; ``run_notebook`` runs the setup and answer cells (the training cells train their
  token amount: NBGRADER_EXECUTION is set), and ``run_part`` one part of a test cell with a
  course seed of its own (``SPRINTLIB_GRADING_SEED``), noting its checks.
"""
from __future__ import annotations

import ast
import builtins
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
import build  # noqa: E402

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
ASSIGNMENTS = build.assignments(ROOT)


@dataclass
class Cell:
    kind: str  # "test", "answer" or "setup"
    source: str
    grade_id: str | None = None

    @property
    def visible(self) -> str:
        return self.source.split("### BEGIN HIDDEN TESTS")[0]

    @property
    def hidden(self) -> str:
        m = HIDDEN.search(self.source)
        return m.group(1) if m else ""


def cells(assignment: str) -> list[Cell]:
    nb = build.render(ROOT / "autograder" / "percent" / f"{assignment}.py")
    found = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        meta = c.metadata.get("nbgrader", {})
        kind = "test" if meta.get("grade") else "answer" if meta.get("solution") else "setup"
        found.append(Cell(kind, c.source, meta.get("grade_id")))
    return found


# -- what the checks were asked ----------------------------------------------------------
@dataclass
class Call:
    """One check: ``check`` is layer, function, array, accuracy, bounds, history or epoch losses; ``name`` the
    check's name (a layer's: the reference's class); ``config`` what it ran on."""
    check: str
    name: str
    config: dict = field(default_factory=dict)


def _layer_config(reference, X, dA, backward) -> dict:
    X = np.asarray(X)
    config = {"input_shape": tuple(X.shape), "backward": bool(backward), "dA_given": dA is not None}
    for attr in ("stride", "pad", "pool_size", "filter_size", "return_sequences"):
        if hasattr(reference, attr):
            config[attr] = getattr(reference, attr)
    if hasattr(reference, "W"):
        config["W_shape"] = tuple(np.shape(reference.W))
    if hasattr(reference, "W_x"):
        config["W_x_shape"] = tuple(np.shape(reference.W_x))
    return config


class Recorder:
    """sprintlib.grading's checks, noting instead of checking (``calls``)."""

    def __init__(self):
        self.calls: list[Call] = []

    def check_layer(self, student, reference, X, dA=None, rtol=None, seed=0, backward=True, own_code=True):
        self.calls.append(Call("layer", type(reference).__name__, _layer_config(reference, X, dA, backward)))

    def check_function(self, student_fn, reference_fn, *args, rtol=None, name=None, own_code=True, **kwargs):
        name = name or getattr(reference_fn, "__name__", "result")
        self.calls.append(Call("function", name, {"args": args, "kwargs": kwargs}))

    def check_array(self, name, got, expected, rtol=None):
        self.calls.append(Call("array", name))

    def check_accuracy(self, name, y_pred, y_true, at_least):
        self.calls.append(Call("accuracy", name))

    def check_bounds(self, name, values, below=None, decreasing=False):
        self.calls.append(Call("bounds", name))

    def check_history(self, name, losses, recorder, epochs):
        self.calls.append(Call("history", name, {"epochs": epochs, "batches": len(recorder.batch_losses)}))

    def check_epoch_losses(self, name, history, n_images, batch_size, epochs):
        self.calls.append(Call("epoch losses", name, {"n_images": n_images, "batch_size": batch_size,
                                                      "epochs": epochs}))

    @contextmanager
    def installed(self, monkeypatch):
        """sprintlib.grading's checks replaced (a cell's ``from sprintlib.grading import
        check_layer`` then gets the recorder's)."""
        import sprintlib.grading

        for name in ("check_layer", "check_function", "check_array", "check_accuracy", "check_bounds", "check_history",
                     "check_epoch_losses"):
            monkeypatch.setattr(sprintlib.grading, name, getattr(self, name))
        yield self


def run_notebook(assignment: str, namespace: dict, after_cell=None) -> list[Cell]:
    """Run the setup and answer cells of the sprint in ``namespace``, in order;
    ``after_cell(cell, namespace)`` after each. Returns every code cell."""
    import matplotlib.pyplot as plt

    all_cells = cells(assignment)
    for cell in all_cells:
        if cell.kind != "test":
            exec(compile(cell.source, f"<{assignment} {cell.grade_id or 'setup'}>", "exec"), namespace)
            plt.close("all")
            if after_cell is not None:
                after_cell(cell, namespace)
    return all_cells


def run_part(source: str, namespace: dict, recorder: Recorder, monkeypatch, seed: str | None = None,
             label: str = "part") -> list[Call]:
    """The checks one part of a test cell asks for, with course seed ``seed``."""
    import matplotlib.pyplot as plt

    from sprintlib.grading import SEED_VARIABLE

    if seed is not None:
        monkeypatch.setenv(SEED_VARIABLE, seed)
    recorder.calls = []
    exec(compile(source, f"<{label}>", "exec"), namespace)
    plt.close("all")
    return list(recorder.calls)


@contextmanager
def graded_environment(monkeypatch):
    """As a graded notebook runs: the training cells do a token amount of work."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    old = os.getcwd()
    os.chdir(ROOT / "notebooks")
    try:
        yield
    finally:
        os.chdir(old)


# -- the names a cell binds and reads ------------------------------------------------------
def bound_names(source: str, imports: bool = False) -> set[str]:
    """The global names a cell binds at its top level (assignments, for loops, with, def,
    class...; imports only with ``imports``); names bound inside functions are theirs."""
    tree = ast.parse(source)
    names = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return  # its body's names are its own
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return  # comprehension variables are the comprehension's
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if imports:
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def method_globals(source: str) -> set[str]:
    """The global names the functions and methods of a cell read (a name neither a parameter
    nor bound in the function, nor a builtin)."""
    tree = ast.parse(source)
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        args = node.args
        local = {a.arg for a in args.args + args.posonlyargs + args.kwonlyargs}
        local |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                local.add(sub.id)
            elif isinstance(sub, (ast.FunctionDef, ast.ClassDef)) and sub is not node:
                local.add(sub.name)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                local |= {(a.asname or a.name).split(".")[0] for a in sub.names}
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id not in local \
                    and not hasattr(builtins, sub.id):
                found.add(sub.id)
    return found
