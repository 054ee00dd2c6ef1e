"""The benchmark harness (benchmarks/_timing.py) without the benchmarks: every figure in
both conditions, medians of interleaved rounds, a busy core that starts and stops."""
import os
import sys
import time

from conftest import ROOT

sys.path.insert(0, str(ROOT))
from benchmarks import _timing  # noqa: E402


def test_measure_gives_a_median_per_case_quiet_and_busy():
    calls = []
    t = _timing.measure({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                        rounds=5, warmup=1, pause=0)
    assert set(t) == {"quiet", "busy"} and all(set(v) == {"a", "b"} for v in t.values())
    assert calls[:2] == ["a", "b"]  # the warm-up
    assert calls[2:] == ["a", "b"] * 10  # then a and b take turns: 5 rounds, each quiet and busy


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
