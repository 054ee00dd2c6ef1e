"""Grade one submission, or make an assignment's expected records: the process grade.py starts.

    python runner.py expected TASK.json   the trusted run of the source notebook (model answers)
    python runner.py grade TASK.json      one student's submission, in the sandbox

A graded notebook is rebuilt, never taken as handed in: a fresh copy of the source notebook
(cells, ids, metadata, points, visible and hidden tests) in which each answer cell (a
solution cell of the source, by grade_id) gets the source text of the submission's first
cell with that grade_id and the same cell type; an answer missing from the submission is
the release's stub. Nothing else of the submission is read: not its metadata, outputs, test
cells, extra cells, kernel or format.

Each test cell runs as two parts (the visible tests, then the hidden ones), each ending with
an end record. In the kernel (``SPRINTLIB_GRADING_RECORD=got``) sprintlib.grading's checks
emit what the student's code gave, as records (display data: a name and an .npy array); in
the trusted run (``=expected``) they emit what the reference gives. A test cell earns its
points when, for each of its parts, the student's run emitted the same records in the same
order, each within the check's tolerance of the expected one, and the end record: decided in
this process, which the student's code cannot reach. What the kernel printed is not used:
the feedback shows this process's verdict lines, and no value of a hidden test.
"""
from __future__ import annotations

import base64
import builtins
import copy
import io
import json
import os
import sys
import time
from pathlib import Path

# jsonschema (under nbformat) imports rfc3987_syntax, if installed, for a format no notebook
# uses; it compiles a grammar on import: 1.4 s of every grading process (benchmarks/README.md)
sys.modules.setdefault("rfc3987_syntax", None)
import nbformat  # noqa: E402
import numpy as np
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import sandbox  # noqa: E402

from sprintlib import grading  # noqa: E402  (the trusted copy: this process's, not the kernel's)

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
END_RECORD = "__end__"
ANSWER_CODE = "__answer_code__"
END_LINE = f'\n__import__("sprintlib.grading").grading._emit("{END_RECORD}", None)'
KERNEL_NAME = "sprintlib-sandbox"


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    nbg = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return nbg if isinstance(nbg, dict) else {}


def is_test(cell) -> bool:
    m = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def is_answer(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


# -- the submission: only the answers' text is taken ----------------------------------------
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
    answers = {}
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        grade_id = nbgrader_meta(cell).get("grade_id")
        if not isinstance(grade_id, str):
            grade_id = cell.get("id") if isinstance(cell.get("id"), str) else None
        if grade_id is None or grade_id in answers:
            if grade_id in answers:
                notes.append(f"cell {grade_id[:40]!r} appears more than once: the first one is graded")
            continue
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
    the submission has none)."""
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


# -- what runs: code cells, each test cell in two parts -----------------------------------------
def split_hidden(source: str) -> tuple[str, str]:
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


# -- execution ------------------------------------------------------------------------------
class LimitedClient(NotebookClient):
    """nbclient with a cap on what a cell may output: past it, outputs are dropped (one note
    says so). Records (sprintlib's MIME type) have their own caps: count and size."""

    def __init__(self, nb, limits: dict, **kw):
        super().__init__(nb, store_widget_state=False, **kw)
        self.limits = limits
        self.sizes = {}

    def handle_comm_msg(self, outs, msg, cell_index):
        """Comm messages are dropped: nbclient would keep every widget's state (no cap: a kernel
        opening comms without end fills this process's memory) and let an output widget take
        a cell's outputs. No test uses a widget."""
        return None

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        data = content.get("data") or {}
        used = self.sizes.setdefault(cell_index, {"bytes": 0, "records": 0, "noted": False})
        if grading.RECORD_MIME in data:
            size = len(json.dumps(data[grading.RECORD_MIME]))
            used["records"] += 1
            if size > self.limits["record_bytes"] or used["records"] > self.limits["records_per_cell"]:
                return None
            return super().output(outs, {**msg, "content": {**content, "data": {grading.RECORD_MIME: data[grading.RECORD_MIME]}}},
                                  None, cell_index)
        size = len(content.get("text", "")) + len(json.dumps(data)) + len(json.dumps(content.get("traceback", [])))
        used["bytes"] += size
        if used["bytes"] > self.limits["output_bytes_per_cell"]:
            if not used["noted"]:
                used["noted"] = True
                outs.append(nbformat.v4.new_output("stream", name="stdout",
                                                   text=f"\n[output cut: more than {self.limits['output_bytes_per_cell']} bytes]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)


def execute(run_nb, limits: dict, kernel_name: str, env: dict, cwd: Path) -> dict:
    """Run every cell in order within the per-cell and per-notebook time limits. Returns
    {"status": per cell "ok" | "error" | "timeout" | "not run", "notes": [...]}."""
    os.environ.update(env)
    # on a timeout nbclient interrupts the kernel (SIGINT) and reports an error at once; the
    # kernel's late output is dropped (it waits iopub_timeout for it, then stops listening)
    client = LimitedClient(run_nb, limits, timeout=limits["cell_seconds"], kernel_name=kernel_name,
                           allow_errors=True, interrupt_on_timeout=True, startup_timeout=limits["startup_seconds"],
                           error_on_timeout={"ename": "CellTimeout", "evalue": "the cell ran past its time limit",
                                             "traceback": []}, iopub_timeout=4,
                           record_timing=False, resources={"metadata": {"path": str(cwd)}},
                           shutdown_kernel="immediate")  # killed: no atexit of the student's runs
    status = ["not run"] * len(run_nb.cells)
    notes = []
    deadline = time.monotonic() + limits["notebook_seconds"]
    with client.setup_kernel():
        for i, cell in enumerate(run_nb.cells):
            left = deadline - time.monotonic()
            if left <= 1:
                notes.append(f"the notebook ran out of its {limits['notebook_seconds']} s: the cells after this point did not run")
                break
            client.timeout = int(min(limits["cell_seconds"], left))
            began = time.monotonic()
            try:
                client.execute_cell(cell, i)
                status[i] = "error" if any(o.get("output_type") == "error" for o in cell.outputs) else "ok"
                if time.monotonic() - began >= client.timeout:
                    status[i] = "timeout"
                    notes.append(f"a cell ran longer than {client.timeout} s and was interrupted")
                if status[i] != "ok" and not _forget_error(client):
                    notes.append("the kernel did not answer after the interrupt: the cells after this point did not run")
                    break
            except CellTimeoutError:  # waiting for the kernel's output after the reply
                status[i] = "timeout"
                notes.append("the kernel stopped answering: the cells after this point did not run")
                break
            except DeadKernelError:
                status[i] = "dead"
                notes.append("the kernel died (the process exited or crashed): the cells after this point did not run")
                break
    return {"status": status, "notes": notes}


#: run after a cell that failed: the traceback IPython keeps (sys.last_traceback) holds the
#: failed call's frames and whatever they allocated (a memory bomb's gigabytes)
FORGET = "import sys as _s\n_s.last_type = _s.last_value = _s.last_traceback = _s.last_exc = None\ndel _s\nprint('alive')"


def _forget_error(client) -> bool:
    """Make the kernel forget the last error; False when it does not answer within 10 s."""
    probe = nbformat.v4.new_code_cell(FORGET)
    try:
        client.timeout = 10
        client.execute_cell(probe, 0, store_history=False)
    except Exception:
        return False
    return any("alive" in o.get("text", "") for o in probe.outputs)


# -- records and verdicts ------------------------------------------------------------------
def records(cell) -> list[dict]:
    found = []
    for out in cell.get("outputs", []):
        rec = out.get("data", {}).get(grading.RECORD_MIME) if out.get("output_type") == "display_data" else None
        if isinstance(rec, dict) and isinstance(rec.get("name"), str):
            found.append(rec)
    return found


def decode(rec: dict):
    npy = rec.get("npy")
    if not isinstance(npy, str):
        return None
    try:
        arr = np.load(io.BytesIO(base64.b64decode(npy, validate=True)), allow_pickle=False)
    except Exception:
        return None
    return arr if isinstance(arr, np.ndarray) and arr.dtype.kind in "biuf" else None


def part_summary(cell, status: str) -> dict:
    """What one executed part left: its records (without the end record), whether it ended."""
    recs = records(cell)
    ended = any(r["name"] == END_RECORD for r in recs)
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    ename = errors[0].get("ename", "") if errors else ""
    return {"records": [r for r in recs if r["name"] not in (END_RECORD, ANSWER_CODE)],
            "answer_code": [c for r in recs if r["name"] == ANSWER_CODE for c in r.get("code", [])],
            "ended": ended and status == "ok", "status": status,
            "ename": ename if isinstance(ename, str) and isinstance(getattr(builtins, ename, None), type) else ""}


def judge(expected: dict, got: dict, hidden: bool) -> tuple[bool, list[str]]:
    """(passed, verdict lines) of one part: this process's comparison, never the kernel's."""
    lines, ok = [], True
    exp_recs, got_recs = expected["records"], got["records"]
    for k, e in enumerate(exp_recs):
        g = got_recs[k] if k < len(got_recs) else None
        name = e["name"]
        if g is None or g["name"] != name:
            ok = False
            lines.append(f"{name}: not checked (the test stopped before this check, or ran other checks)")
            continue
        expected_arr, got_arr = decode(e), decode(g)
        if got_arr is None:
            ok = False
            lines.append(not_numbers(name, g.get("what")))
            continue
        if e.get("kind") in ("accuracy", "bounds"):
            problem, verdict = other_check(e, got_arr, expected_arr)
            ok &= problem is None
            lines.append(problem or verdict)
            continue
        tol = tolerance(e, expected_arr)
        problem, err = grading._array_problem(name, got_arr, expected_arr, tol=tol)
        if problem:
            ok = False
            hint = mistake_hint(e, got_arr, tol, hidden)
            wording = hidden_wording(name, problem, got_arr.shape, expected_arr.shape) if hidden else problem
            lines.append(wording + (f"\n  hint: {hint}" if hint else ""))
        else:
            lines.append(grading._ok(name, err))
    if len(got_recs) > len(exp_recs):
        ok = False
        lines.append(f"{len(got_recs) - len(exp_recs)} more check(s) than the test makes: something else ran them")
    if not got["ended"]:
        ok = False
        what = {"timeout": "it ran past the time limit", "dead": "the kernel died",
                "not run": "it did not run (an earlier cell stopped the notebook)"}.get(got["status"])
        if what is None:
            what = "an exception was raised" + (f" ({got['ename']})" if got["ename"] else "")
            if hidden:
                what += " (its message is not shown: it came from the hidden test inputs)"
        lines.append(f"the test did not finish: {what}")
    return ok, lines


def other_check(e: dict, got: np.ndarray, expected: np.ndarray) -> tuple[str | None, str]:
    """(problem or None, verdict) of check_accuracy (labels against the trusted run's true
    labels) and check_bounds (the student's numbers against the trusted run's bounds)."""
    name = e["name"]
    if e["kind"] == "accuracy":
        at_least = e.get("at_least")
        return grading._accuracy_problem(name, got, expected, float(at_least) if isinstance(at_least, (int, float)) else 1.0)
    below = e.get("below")
    problem = grading._bounds_problem(name, got, float(below) if isinstance(below, (int, float)) else None,
                                      e.get("decreasing") is True)
    return problem, f"{name}: OK"


def tolerance(expected_rec: dict, expected: np.ndarray) -> grading.Tolerance:
    """The check's tolerance, as the trusted run recorded it (the dtype's by default)."""
    tol = expected_rec.get("tol")
    if isinstance(tol, list) and len(tol) == 2 and all(isinstance(t, (int, float)) for t in tol):
        return grading.Tolerance(*map(float, tol))
    return grading._tolerance(expected)


def mistake_hint(expected_rec: dict, got: np.ndarray, tol: grading.Tolerance, hidden: bool) -> str:
    """The hint of the first known mistake (sprintlib.grading.MISTAKES, SIZE_MISTAKES) whose value, computed
    in the trusted run and carried by the expected record, the student's value equals."""
    if got.dtype.kind not in "biuf" or not np.isfinite(got).all():
        return ""
    hints = expected_rec.get("hints")
    for h in hints if isinstance(hints, list) else []:
        candidate = decode(h)
        if candidate is not None and candidate.shape == got.shape and \
                grading._matches(got.astype(np.float64), candidate.astype(np.float64), tol):
            return h["hidden_hint"] if hidden else h["hint"]
    return ""


def not_numbers(name: str, what) -> str:
    """The verdict on a record that is not numbers, in this process's words (the kernel's
    description of what it got is not shown)."""
    if what == "None":
        return grading._read_numbers(name, None)[1]
    if what == "absent" and name.startswith("backward d"):
        attr = name.split()[-1]
        return f"{name}: your layer has no attribute {attr} after backward: backward should set self.{attr}"
    return f"{name}: expected a numpy array of numbers, got something else"


def hidden_wording(name: str, problem: str, got_shape: tuple, expected_shape: tuple) -> str:
    """What is wrong with a hidden check, without a value or a shape of it: the kind of
    mistake, the relative error and a hint that quotes no number of the hidden inputs."""
    first = problem.split("\n")[0]
    if "wrong values (relative error" in first and "expected [" not in first:
        return first
    if "expected shape" in first:
        return f"{name}: wrong shape" + grading._output_shape_hint(got_shape, expected_shape)
    if "expected finite values" in first:
        return f"{name}: not finite (NaN or inf)"
    if "expected integers" in first:
        return f"{name}: expected integers (a size is a whole number: use // or int())"
    for word in ("more", "less"):  # _off_by_one's hint: the formula, no number of the inputs
        if f": 1 {word} than expected (" in first:
            return f"{name}: wrong values" + first[first.index(f": 1 {word} than expected ("):]
    return f"{name}: wrong values"


# -- the two tasks --------------------------------------------------------------------------------
def kernelspec(folder: Path, python: str, env: dict) -> Path:
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [python, str(HERE / "sandbox.py"), "kernel", "-f", "{connection_file}"],
        "display_name": "sprintlib grading sandbox", "language": "python", "env": env}))
    return folder


def base_env() -> dict:
    return {"NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
            grading.SEED_VARIABLE: os.environ.get(grading.SEED_VARIABLE, "20261130")}


def make_expected(task: dict) -> None:
    """The trusted run of the source notebook: every part must end, with its records."""
    source = nbformat.read(task["source"], as_version=4)
    run_nb, where = runnable(source)
    work = Path(task["work"])
    work.mkdir(parents=True, exist_ok=True)
    images = task["hidden_images"]  # the secret that draws them: this run's alone
    env = {**base_env(), grading.RECORD_VARIABLE: "expected",
           grading.HIDDEN_KEY_VARIABLE: images["key"], grading.HIDDEN_DIR_VARIABLE: images["folder"]}
    result = execute(run_nb, {**task["limits"], "notebook_seconds": 10 * task["limits"]["notebook_seconds"]},
                     "python3", env, work)
    parts, answer_code, broken = {}, set(), []
    for cell, (i, part), status in zip(run_nb.cells, where, result["status"]):
        if part is None:
            if status != "ok":
                broken.append(f"cell {i}: {status}")
            continue
        summary = part_summary(cell, status)
        answer_code.update(map(tuple, summary.pop("answer_code")))
        grade_id = nbgrader_meta(source.cells[i])["grade_id"]
        if not summary["ended"]:
            broken.append(f"{grade_id} ({part}): {status}")
        parts[f"{grade_id}:{part}"] = summary
    if broken:
        texts = [o.get("text", "") + o.get("evalue", "") for c in run_nb.cells for o in c.outputs if o.get("output_type") != "display_data"]
        raise SystemExit(f"the source notebook {task['source']} does not run cleanly in grading mode: "
                         f"{'; '.join(broken)}\n" + "\n".join(t for t in texts if t)[-3000:])
    Path(task["out"]).parent.mkdir(parents=True, exist_ok=True)
    Path(task["out"]).write_text(json.dumps({"parts": parts, "answer_code": sorted(answer_code)}))


def grade(task: dict) -> None:
    start = time.perf_counter()
    limits, out = task["limits"], Path(task["out"])
    out.mkdir(parents=True, exist_ok=True)
    source = nbformat.read(task["source"], as_version=4)
    release = nbformat.read(task["release"], as_version=4)
    expected = json.loads(Path(task["expected"]).read_text())
    notes = []
    path = Path(task["notebook"]) if task.get("notebook") else None
    if path is None:
        answers = {}
        notes.append(task.get("why_no_notebook", "no notebook in the submission"))
    else:
        answers, read_notes = read_answers(path, limits)
        notes += read_notes
    nb, missing = rebuild(source, release, answers)
    graded_answers = [nbgrader_meta(c)["grade_id"] for c in source.cells if is_answer(c)]
    if answers and len(missing) == len(graded_answers):
        notes.append("none of the answer cells of this assignment is in the file (another assignment's notebook?)")
    run_nb, where = runnable(nb)

    work = Path(task["work"])
    env = {**base_env(), grading.RECORD_VARIABLE: "got", grading.HIDDEN_DIR_VARIABLE: task["hidden_images"],
           sandbox.CONFIG_VARIABLE: json.dumps(task["sandbox"])}
    os.environ["JUPYTER_PATH"] = str(kernelspec(work, sys.executable, env))
    try:
        result = execute(run_nb, limits, KERNEL_NAME, {}, work)
    finally:
        if task["sandbox"].get("uid") is not None:
            sandbox.kill_user(task["sandbox"]["uid"])
        else:  # no throwaway uid: what the kernel left is found below this process (a subreaper)
            sandbox.kill_descendants()
    notes += result["notes"]

    # verdicts, test cell by test cell
    summaries = {}
    for cell, (i, part), status in zip(run_nb.cells, where, result["status"]):
        if part is not None:
            summaries[(i, part)] = part_summary(cell, status)
    scores, points, lines_of = {}, {}, {}
    for i, cell in enumerate(nb.cells):
        if not is_test(cell):
            continue
        meta = nbgrader_meta(cell)
        points[meta["grade_id"]] = float(meta["points"])
        passed, lines = True, []
        for part in ("visible", "hidden"):
            exp = expected["parts"].get(f"{meta['grade_id']}:{part}")
            if exp is None:
                continue
            got = summaries.get((i, part), {"records": [], "ended": False, "status": "not run", "ename": ""})
            ok, part_lines = judge(exp, got, hidden=part == "hidden")
            passed &= ok
            lines += [("hidden test: " if part == "hidden" else "") + line for line in part_lines]
        scores[meta["grade_id"]] = float(meta["points"]) if passed else 0.0
        lines_of[meta["grade_id"]] = lines
        # the autograded notebook: the test cell's source as in the source notebook, and the verdict
        text = "\n".join(lines) + f"\n{'PASSED' if passed else 'FAILED'}: {scores[meta['grade_id']]:g} of {meta['points']:g} points\n"
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    nbformat.write(nb, str(out / "autograded.ipynb"))
    (out / "result.json").write_text(json.dumps({
        "scores": scores, "points": points, "lines": lines_of, "notes": notes, "missing_answers": missing,
        "seconds": round(time.perf_counter() - start, 2)}, indent=1))


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    what, task = argv[0], json.loads(Path(argv[1]).read_text())
    sandbox.become_subreaper()
    if task.get("network_namespace"):
        problem = sandbox.enter_network_namespace()
        if problem:
            print(f"WARNING: {problem}", file=sys.stderr)
    {"expected": make_expected, "grade": grade}[what](task)


if __name__ == "__main__":
    main()
