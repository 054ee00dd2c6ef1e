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
from benchmarks import _timing, bench_grading, bench_memory  # noqa: E402


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
    row = _timing.limit_row("x", "quiet", 2.0, 1.0, "ratio", [2.0, 3.0, 0.5])
    assert (row["within"], row["rounds"], row["within in rounds"]) == (_timing.WORSE, "0.5-3", "1 of 3")


def test_a_cells_peak_memory_is_read_then_reset():
    import mmap

    bench_memory.cell_peak_mb()
    # 50 MB of fresh pages (not memory malloc kept), touched, given back
    pages = mmap.mmap(-1, 50 * 2 ** 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    pages.write(b"\1" * len(pages))
    pages.close()
    assert bench_memory.cell_peak_mb() >= bench_memory.peak_rss_mb() + 45  # the peak held the array
    assert bench_memory.cell_peak_mb() < bench_memory.peak_rss_mb() + 5  # and was reset after being read


def test_the_most_anonymous_memory_is_sampled():
    import mmap

    most, stop = bench_memory.sample_anonymous_memory(every=0.001)
    try:
        time.sleep(0.05)
        before = most[0]
        # 50 MB of anonymous pages, touched, held a moment
        pages = mmap.mmap(-1, 50 * 2 ** 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        pages.write(b"\1" * len(pages))
        time.sleep(0.05)
        pages.close()
        assert before > 0 and most[0] >= before + 45
    finally:
        stop.set()


def test_the_busy_core_spins_in_its_own_session_and_stops():
    with _timing.busy_core() as pid:
        time.sleep(0.1)
        assert os.getsid(pid) == pid  # its own session, as another user's program
        with open(f"/proc/{pid}/stat") as f:
            assert f.read().split()[2] in "RS"  # running
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] in "ZX"


def test_limit_rows_say_whether_the_figure_is_within_its_limit():
    assert _timing.limit_row("x", "quiet", 0.9, 1.0, "ratio")["within"] == "yes"
    assert _timing.limit_row("x", "quiet", 1.0, 1.0, "ratio")["within"] == "yes"  # the limit itself is within
    assert _timing.limit_row("x", "busy", 1.1, 1.0, "ratio")["within"] == _timing.WORSE


def test_the_limits_are_issue_26s_tracked_figures():
    assert _timing.LIMITS == {"lenet_float32": 1.3, "lenet_float64": 2.2, "simple_rnn": 0.8, "notebook_mb": 700}


def test_the_summary_names_each_figure_worse_than_its_limit(capsys):
    L = _timing.LIMITS
    rows = [_timing.limit_row("LeNet step float32", "quiet", 1.2, L["lenet_float32"], "sprintlib / Keras float32"),
            _timing.limit_row("LeNet step float32", "busy", 1.42, L["lenet_float32"], "sprintlib / Keras float32"),
            _timing.limit_row("LeNet step float64", "busy", 2.1, L["lenet_float64"], "sprintlib / Keras float32"),
            _timing.limit_row("SimpleRNN(128) step", "quiet", 0.81, L["simple_rnn"], "sprintlib / Keras float32"),
            _timing.limit_row("sprint2_conv2d notebook", "one core", 530.0, L["notebook_mb"], "MB"),
            _timing.limit_row("sprint3_lenet notebook", "one core", 984.0, L["notebook_mb"], "MB")]
    assert _timing.over_limit(rows) == [
        "LeNet step float32 (busy): 1.42 sprintlib / Keras float32, limit <= 1.3",
        "SimpleRNN(128) step (quiet): 0.81 sprintlib / Keras float32, limit <= 0.8",
        "sprint3_lenet notebook (one core): 984 MB, limit <= 700"]
    assert _timing.print_summary(rows) is False
    out = capsys.readouterr().out
    assert "!! 3 of 6 figures got worse than their limits:" in out
    assert "!!   sprint3_lenet notebook (one core): 984 MB, limit <= 700" in out
    assert _timing.print_summary(rows[:1] + rows[2:3] + rows[4:5]) is True
    assert "All 3 figures are within their limits." in capsys.readouterr().out


def test_the_summary_says_which_cpu_measured_and_whether_the_limits_were_set_on_one_like_it(monkeypatch, capsys):
    row = _timing.limit_row("SimpleRNN(128) step", "quiet", 0.7, _timing.LIMITS["simple_rnn"], "sprintlib / Keras float32")
    monkeypatch.setattr(_timing, "cpu_model", lambda: "AMD EPYC")
    monkeypatch.setattr(_timing, "vector_units", lambda: "AVX2")
    _timing.print_summary([row])
    out = capsys.readouterr().out
    assert "Measured on AMD EPYC (AVX2); the Keras limits were set on Intel Xeon, 2 vCPUs (AVX-512)" in out
    assert "The vector units differ" in out
    monkeypatch.setattr(_timing, "vector_units", lambda: "AVX-512")
    _timing.print_summary([row])
    assert "differ" not in capsys.readouterr().out


def test_the_machine_record_names_the_cpu_and_its_vector_units():
    record = _timing.machine()
    assert record["cpu"] == _timing.cpu_model() and record["cpu"]  # this machine has /proc/cpuinfo
    assert record["vector_units"] in ("AVX-512", "AVX2", "")


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
