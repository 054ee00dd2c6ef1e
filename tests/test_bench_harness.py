"""The benchmark harness (benchmarks/_timing.py) without the benchmarks: every figure in
both conditions, medians of interleaved rounds, a busy core that starts and stops; and the
grading benchmark's harness (benchmarks/bench_grading.py) without the grading: the
submissions it makes, how it reads grade.py's times and checks the grades."""
import os
import sys
import time

import nbformat

from conftest import ROOT

sys.path.insert(0, str(ROOT))
from benchmarks import _timing, bench_grading  # noqa: E402


def test_measure_gives_a_median_per_case_quiet_and_busy():
    calls = []
    t = _timing.measure({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                        rounds=5, warmup=1, pause=0)
    assert set(t) == {"quiet", "busy"} and all(set(v) == {"a", "b"} for v in t.values())
    assert calls[:2] == ["a", "b"]  # the warm-up
    assert calls[2:] == ["a", "b"] * 10  # then a and b take turns: 5 rounds, each quiet and busy
    assert all(len(ts) == 5 for per in t.rounds.values() for ts in per.values())
    assert t["quiet"]["a"] == sorted(t.rounds["quiet"]["a"])[2]  # the median of the rounds


def test_a_ratio_is_also_taken_round_by_round():
    t = _timing.Timings({"quiet": {"a": 2.0, "b": 1.0}},
                        {"quiet": {"a": [2.0, 3.0, 1.0], "b": [1.0, 1.0, 2.0]}})
    assert _timing.round_ratios(t, ("quiet", "a"), ("quiet", "b")) == [2.0, 3.0, 0.5]
    row = _timing.target_row("x", "quiet", 2.0, 1.0, "ratio", [2.0, 3.0, 0.5])
    assert (row["met"], row["rounds"], row["met in rounds"]) == ("NO", "0.5-3", "1 of 3")


def test_the_busy_core_spins_in_its_own_session_and_stops():
    with _timing.busy_core() as pid:
        time.sleep(0.1)
        assert os.getsid(pid) == pid  # its own session, as another user's program
        with open(f"/proc/{pid}/stat") as f:
            assert f.read().split()[2] in "RS"  # running
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] in "ZX"


def test_target_rows_say_whether_the_target_is_met():
    assert _timing.target_row("x", "quiet", 0.9, 1.0, "ratio")["met"] == "yes"
    assert _timing.target_row("x", "busy", 1.1, 1.0, "ratio")["met"] == "NO"


def test_the_spinner_stops_by_itself_when_the_benchmark_is_killed():
    import subprocess
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from benchmarks._timing import busy_core\n"
            "with busy_core() as pid:\n    print(pid, flush=True)\n    import time; time.sleep(60)")
    bench = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    pid = int(bench.stdout.readline())
    bench.kill()  # no cleanup runs in a killed process
    bench.wait()
    for _ in range(50):
        time.sleep(0.1)
        if not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] in "ZX":
            break
    else:
        raise AssertionError("the spinner outlived the benchmark")



def test_the_course_copy_holds_n_submissions_in_nbgraders_layout(tmp_path):
    course = bench_grading.make_course(tmp_path, 7)
    assert course == tmp_path / "repo" / "autograder" and (course / "source" / bench_grading.A).is_dir()
    assert [p.name for p in (course / "percent").iterdir()] == [f"{bench_grading.A}.py"]
    students = sorted(p.name for p in (course / "submitted").iterdir())
    assert students == sorted(f"{s}-{i:03d}" for i, s in zip(range(7), ["correct", "blank", "seeds"] * 3))
    for student in students:
        nb = course / "submitted" / student / bench_grading.A / f"{bench_grading.A}.ipynb"
        sample = ROOT / "autograder" / "submitted" / student.split("-")[0] / bench_grading.A / nb.name
        assert nb.read_bytes() == sample.read_bytes()
        nbformat.read(str(nb), as_version=4)
    assert not (ROOT / "autograder" / "submitted" / "correct-000").exists()  # never in the repository


def test_phases_are_read_from_grade_pys_last_line():
    out = "table\ntime: sandbox probe 0.3 s, build 12.0 s, expected records 9.5 s, grading 140.2 s, feedback 20 s\n"
    assert bench_grading.phases(out) == {"sandbox probe": 0.3, "build": 12.0, "expected records": 9.5,
                                         "grading": 140.2, "feedback": 20.0}
    assert bench_grading.phases("no times") == {}


def test_wrong_grades_are_named():
    scores = {"correct-000": 17.0, "blank-001": 0.0, "seeds-002": 1.0, "correct-003": 15.0}
    assert bench_grading.wrong_grades(scores, 5) == ["correct-003", "blank-004"]
