"""The grading process of one task, started by the engine (session.run_runner) in a process group of
its own and, when the machine allows, a network namespace whose only interface is loopback:

    python engine/runner.py expected TASK.json   phase "expected records": the trusted run of
                                                 the source notebook (the model answers)
    python engine/runner.py grade TASK.json      one submission: rebuild, run sandboxed, judge

``grade`` writes out/result.json (a verdict.Result) and out/autograded.ipynb (the rebuilt
notebook, each test cell's output its verdict in words). TASK.json holds the paths and
settings; it is written by the engine, never by a student.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

# jsonschema (under nbformat) imports rfc3987_syntax, if installed, for a format no notebook
# uses; it compiles a grammar on import: 1.4 s of every grading process (benchmarks/README.md)
sys.modules.setdefault("rfc3987_syntax", None)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # autograder/: the engine package

import nbformat  # noqa: E402

from sprintlib import grading  # noqa: E402  (the trusted copy: this process's, not the kernel's)

from engine import sandbox  # noqa: E402
from engine.execute import KERNEL_NAME, base_env, execute, kernelspec  # noqa: E402
from engine.feedback import write_verdicts  # noqa: E402
from engine.judge import judge, part_summary  # noqa: E402
from engine.submission import is_answer, is_test, nbgrader_meta, read_answers, rebuild, runnable  # noqa: E402
from engine.verdict import Result, TestVerdict  # noqa: E402


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
    """One submission: its answers into the source notebook, run in the sandbox, judged here."""
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
    summaries = {(i, part): part_summary(cell, status)
                 for cell, (i, part), status in zip(run_nb.cells, where, result["status"]) if part is not None}
    tests = [judge_test(cell, i, expected, summaries) for i, cell in enumerate(nb.cells) if is_test(cell)]
    write_verdicts(nb, {t.grade_id: t for t in tests})
    nbformat.write(nb, str(out / "autograded.ipynb"))
    verdict = Result(tests, notes, missing, round(time.perf_counter() - start, 2))
    (out / "result.json").write_text(json.dumps(verdict.to_json(), indent=1))


def judge_test(cell, i: int, expected: dict, summaries: dict) -> TestVerdict:
    """A test cell's verdict: its points when each of its parts passed, else 0."""
    meta = nbgrader_meta(cell)
    parts = []
    for part in ("visible", "hidden"):
        exp = expected["parts"].get(f"{meta['grade_id']}:{part}")
        if exp is not None:
            got = summaries.get((i, part), {"records": [], "ended": False, "status": "not run", "ename": ""})
            parts.append(judge(exp, got, hidden=part == "hidden"))
    points = float(meta["points"])
    return TestVerdict(meta["grade_id"], points, points if all(p.passed for p in parts) else 0.0, parts)


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
