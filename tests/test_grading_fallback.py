"""`make grade` on a machine where the sandbox's privileged mechanisms are not available (not
root, a container without namespaces): forced here with SPRINTLIB_SANDBOX_OFF=all, which makes
sandbox.probe() report the network namespace, the private file system and the throwaway uid
as missing, as an unprivileged user's probe does.

- grading still works and every grade is right: the sample submissions of sprint 1 (correct,
  seeds) and hostile ones whose defence does not depend on the missing mechanisms (the
  verdicts outside the kernel, the dead kernel, the patched comparisons);
- the run says, on stderr at the start and after the grade table, which defences were missing
  and what that means;
- a process a kernel leaves behind (in a session of its own) is killed after its notebook,
  without a throwaway uid to kill it by (the grading process is a subreaper);
- a kept result is graded again once the sandbox's state changes (it is in the result's key).
"""
import os
import shutil
import subprocess
import sys
import time

import nbformat
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
from engine import cache, sandbox  # noqa: E402
from engine.course import COURSE_ID, POINTS, copy_course, load_limits  # noqa: E402
import test_grading_battery as battery  # noqa: E402
from graded import keep_prepared, reuse_prepared  # noqa: E402

pytestmark = pytest.mark.xdist_group("fallback")

A = battery.A
HOSTILE = ["os_exit", "eq_subclass__array_function_object", "patches_builtins__patches_grading"]
LEAVES_A_PROCESS = """
import os, subprocess, sys
_p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
open({pidfile!r}, "w").write(str(_p.pid))
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fallback")
    course = tmp / "repo" / "autograder"
    (course / "percent").mkdir(parents=True)
    (tmp / "repo" / "notebooks").mkdir()
    copy_course(course, extra=["source", "release"], without=["percent"])
    shutil.copy2(ROOT / "autograder" / "percent" / f"{A}.py", course / "percent")  # a course of sprint 1
    limits = course / "limits.toml"
    text = limits.read_text()
    for old, new in battery.LIMITS.items():
        text = text.replace(old, new)
    limits.write_text(text)
    subs = tmp / "submissions"
    expected = {}
    for student in ("correct", "seeds"):
        (subs / student / A).mkdir(parents=True)
        shutil.copy2(ROOT / "autograder" / "submitted" / student / A / f"{A}.ipynb", subs / student / A)
    expected["correct"], expected["seeds"] = POINTS[A][0], 1.0
    hostile = battery.submissions(tmp, 1)
    for student in HOSTILE:
        nb, zero = hostile[student]
        (subs / student / A).mkdir(parents=True)
        nbformat.write(nb, str(subs / student / A / f"{A}.ipynb"))
        expected[student] = sum(p for t, p in battery.TESTS.items() if t not in zero)
    pidfile = tmp / "left_behind.pid"
    nb = battery.prepended("p2_solution", LEAVES_A_PROCESS.format(pidfile=str(pidfile)))
    (subs / "leaves_a_process" / A).mkdir(parents=True)
    nbformat.write(nb, str(subs / "leaves_a_process" / A / f"{A}.ipynb"))
    expected["leaves_a_process"] = POINTS[A][0]
    os.chmod(tmp, 0o755)
    env = dict(os.environ, **{sandbox.OFF_VARIABLE: "all"})
    reuse_prepared(course, tmp_path_factory, A)
    run = subprocess.run([sys.executable, str(course / "grade.py"), "--submissions", str(subs), "--no-build",
                          "--output", str(tmp / "output")], env=env, capture_output=True, text=True, timeout=1500)
    keep_prepared(course, tmp_path_factory, A)
    scores = {}
    if (course / "gradebook.db").exists():
        from nbgrader.api import Gradebook
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
            scores = {s.student.id: float(s.code_score) for s in gb.assignment_submissions(A)}
    # the same submissions again, with the sandbox whole: nothing kept, all graded again
    kept_keys = {p.name: p.read_text() for p in (course / "results" / A / "graded").glob("*.json")}
    return dict(run=run, scores=scores, expected=expected, pidfile=pidfile, course=course, subs=subs, tmp=tmp,
                kept_keys=kept_keys)


def test_grading_works_without_the_privileged_defences(graded):
    run = graded["run"]
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert graded["scores"] == graded["expected"], run.stdout[-3000:]


def test_it_says_which_defences_were_missing_and_what_that_means(graded):
    run = graded["run"]
    for name in sandbox.MECHANISMS:
        line = f"WARNING: SANDBOX INCOMPLETE: {name}: switched off ({sandbox.OFF_VARIABLE})"
        assert line in run.stderr, run.stderr[-2000:]
        assert line in run.stdout  # after the grade table too, where the instructor reads the grades
    assert "can reach the network" in run.stdout and "points it did not earn" in run.stdout
    assert "Honest submissions get their right grades" in run.stdout


def test_a_process_left_by_a_kernel_is_killed(graded):
    pid = int(graded["pidfile"].read_text())
    for _ in range(50):
        if not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] in "ZX":
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        raise AssertionError("a process started by a kernel outlived its grading")


def test_a_result_graded_without_the_whole_sandbox_is_graded_again_with_it(graded):
    """The sandbox's state is part of a result's key."""
    sys.path.insert(0, str(graded["course"]))
    import json

    kept = json.loads(graded["kept_keys"]["correct.json"])["key"]
    expected_file = graded["course"] / "results" / A / "expected.json"
    limits = load_limits(graded["course"])
    # the key grade.py computed in this run, with the mechanisms it found missing
    same = cache.result_key(graded["subs"] / "correct" / A, expected_file, limits, sorted(sandbox.MECHANISMS))
    whole = cache.result_key(graded["subs"] / "correct" / A, expected_file, limits, [])
    assert kept == same != whole


def test_the_probe_reports_mechanisms_switched_off(monkeypatch):
    monkeypatch.setenv(sandbox.OFF_VARIABLE, "network,uid")
    problems = sandbox.probe()
    names = [p.split(":")[0] for p in problems]
    assert "network" in names and "uid" in names
    assert all(sandbox.MECHANISMS[n] in p for n, p in zip(names, problems))
    if os.geteuid() == 0 and sandbox.switched_off() == {"network", "uid"}:
        # root on this machine: the file system mechanism works, and is not reported
        assert "files" not in names or "no mount namespace" in problems[names.index("files")]


def test_kill_descendants_finds_daemonised_orphans():
    """A grandchild in a session of its own, whose parent has exited, is still found and killed."""
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'autograder')!r}); from engine import sandbox; import subprocess, time\n"
            "sandbox.become_subreaper()\n"
            "subprocess.run([sys.executable, '-c', 'import subprocess, sys; p = subprocess.Popen([sys.executable, "
            "\"-c\", \"import time; time.sleep(600)\"], start_new_session=True); print(p.pid)'])\n"
            "time.sleep(0.5)\n"
            "print('killed', sandbox.kill_descendants())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.split()
    orphan = int(out[0])
    assert out[1] == "killed" and int(out[2]) >= 1
    assert not os.path.exists(f"/proc/{orphan}")


def test_nbgrader_autograde_warns_as_make_grade_does(graded):
    """nbgrader's own door, on the same machine: the same warning on stderr, the same grade."""
    import build

    course = graded["course"]
    shutil.copytree(graded["subs"] / "seeds", course / "submitted" / "seeds")
    env = dict(os.environ, PATH=f"{build.BIN}{os.pathsep}{os.environ['PATH']}", **{sandbox.OFF_VARIABLE: "all"})
    run = subprocess.run([*build.NBGRADER, "autograde", A, "--student", "seeds", "--force"], cwd=course, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    for name in sandbox.MECHANISMS:
        assert f"WARNING: SANDBOX INCOMPLETE: {name}: switched off ({sandbox.OFF_VARIABLE})" in run.stderr
    assert "Honest submissions get their right grades" in run.stderr
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        assert gb.find_submission(A, "seeds").code_score == graded["expected"]["seeds"]


def test_a_course_copied_without_its_engine_grades_nothing(graded, tmp_path):
    """nbgrader skips a config file that raises and would grade with its own execution, the
    student's kernel judging itself: without engine/, the config refuses every submission."""
    import build

    course = tmp_path / "autograder"
    shutil.copytree(graded["course"], course, ignore=shutil.ignore_patterns(
        "engine", "results", "autograded", "feedback", "gradebook.db", "submitted"))
    shutil.copytree(graded["subs"] / "correct", course / "submitted" / "correct")
    env = dict(os.environ, PATH=f"{build.BIN}{os.pathsep}{os.environ['PATH']}")
    for args in (["generate_assignment", A, "--force"], ["autograde", A]):
        run = subprocess.run([*build.NBGRADER, *args], cwd=course, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    assert "grading engine could not be imported (ModuleNotFoundError" in run.stdout + run.stderr
    assert not list((course / "autograded").rglob("*.ipynb"))
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        assert gb.find_submission(A, "correct").code_score == 0  # no test's points given


def test_a_regrade_of_the_same_notebook_changes_nothing_and_says_so(graded, tmp_path):
    """--regrade of the "seeds" sample (the documents' code) as it was handed in: graded again,
    not kept, and no score changed (regrade.csv has no row). A submission handed in again,
    changed, gets its changed scores listed, test by test and why: tests/test_class_report.py."""
    import csv

    subs = tmp_path / "submissions"
    shutil.copytree(graded["subs"] / "seeds", subs / "seeds")
    env = dict(os.environ, **{sandbox.OFF_VARIABLE: "all"})
    out = tmp_path / "output"
    again = subprocess.run([sys.executable, str(graded["course"] / "grade.py"), "--submissions", str(subs), "--no-build",
                            "--output", str(out), "--regrade"], env=env, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "grading 1 submissions of 1 students" in again.stdout and "already graded" not in again.stdout
    with open(out / "regrade.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows == [] and "regraded:" not in again.stdout, again.stdout[-2000:]
