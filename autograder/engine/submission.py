"""Phase "rebuild a submission": what is taken from a student's file, and the notebook that runs.

A graded notebook is rebuilt, never taken as handed in: a fresh copy of the source notebook
(cells, ids, metadata, points, visible and hidden tests) in which each answer cell (a
solution cell of the source, by grade_id) gets the source text of the submission's first
cell with that grade_id and the same cell type; an answer missing from the submission is
the release's stub. Nothing else of the submission is read: not its metadata, outputs, test
cells, extra cells, kernel or format.

Each test cell runs as two parts (the visible tests, then the hidden ones), each ending
with an end record (``END_LINE``), so that a part that stopped early is told from one
that finished.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
END_RECORD = "__end__"
ANSWER_CODE = "__answer_code__"
END_LINE = f'\n__import__("sprintlib.grading").grading._emit("{END_RECORD}", None)'


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata, {} when it has none or it is not a dict."""
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    nbg = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return nbg if isinstance(nbg, dict) else {}


def is_test(cell) -> bool:
    m = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def is_answer(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def pick_notebook(folder: Path, assignment: str) -> tuple[Path | None, str]:
    """The notebook of a submission folder: <assignment>.ipynb, else the folder's only .ipynb;
    (None, why) otherwise. Symbolic links are not followed (they could point anywhere)."""
    named = folder / f"{assignment}.ipynb"
    if named.is_file() and not named.is_symlink():
        return named, ""
    found = sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.is_symlink()) if folder.is_dir() else []
    if len(found) == 1:
        return found[0], ""
    return None, (f"no {assignment}.ipynb in the submission" +
                  (f" (and {len(found)} other notebooks: which one?)" if found else ""))


def read_answers(path: Path, limits: dict) -> tuple[dict, list[str]]:
    """{grade_id: (cell_type, source)} of the first cell of each grade_id; and notes on what
    was wrong with the file. Never raises: a broken file gives no answers and a note."""
    notes = []
    try:
        size = path.stat().st_size
        if size > limits["submission_bytes"]:
            return {}, [f"the notebook is {size} bytes, more than the {limits['submission_bytes']} allowed: not graded"]
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        return {}, [f"the file is not a notebook (not JSON: {type(e).__name__}): every answer counts as blank"]
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return {}, ["the file is not a notebook (no list of cells): every answer counts as blank"]
    answers, seen = {}, set()  # seen: a first cell that is blank (too long, no text) is still the first
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        grade_id = nbgrader_meta(cell).get("grade_id")
        if not isinstance(grade_id, str):
            grade_id = cell.get("id") if isinstance(cell.get("id"), str) else None
        if grade_id is None or grade_id in seen:
            if grade_id in seen:
                notes.append(f"cell {grade_id[:40]!r} appears more than once: the first one is graded")
            continue
        seen.add(grade_id)
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            continue
        if len(source) > limits["answer_chars"]:
            notes.append(f"answer {grade_id!r} is longer than {limits['answer_chars']} characters: counted as blank")
            continue
        answers[grade_id] = (cell.get("cell_type"), source)
    return answers, notes


def rebuild(source_nb, release_nb, answers: dict) -> tuple[nbformat.NotebookNode, list[str]]:
    """The source notebook with the submission's answer cells (and the release's stubs where
    the submission has none); and the grade_ids of the answers it did not give."""
    stubs = {nbgrader_meta(c).get("grade_id"): c.source for c in release_nb.cells if is_answer(c)}
    nb = copy.deepcopy(source_nb)
    missing = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if not is_answer(cell):
            continue
        grade_id = nbgrader_meta(cell)["grade_id"]
        found = answers.get(grade_id)
        if found is not None and found[0] == cell.cell_type:
            cell.source = found[1]
        else:
            cell.source = stubs.get(grade_id, "")
            missing.append(grade_id)
    return nb, missing


def split_hidden(source: str) -> tuple[str, str]:
    """(visible code, hidden code) of a test cell: the lines between the hidden-test markers
    (the markers themselves in neither)."""
    visible, hidden, inside = [], [], False
    for line in source.split("\n"):
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        else:
            (hidden if inside else visible).append(line)
    return "\n".join(visible), "\n".join(hidden)


def runnable(nb) -> tuple[nbformat.NotebookNode, list]:
    """The notebook that is executed, and for each of its cells (index in nb, part):
    part is None for a code cell, "visible" or "hidden" for a test cell's parts."""
    run = nbformat.v4.new_notebook(metadata=copy.deepcopy(nb.metadata))
    where = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if is_test(cell):
            visible, hidden = split_hidden(cell.source)
            parts = [("visible", visible)] + ([("hidden", hidden)] if hidden.strip() else [])
            for part, code in parts:
                run.cells.append(nbformat.v4.new_code_cell(code + END_LINE))
                where.append((i, part))
        else:
            run.cells.append(nbformat.v4.new_code_cell(cell.source))
            where.append((i, None))
    return run, where
