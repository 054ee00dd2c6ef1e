"""Timing helpers shared by the benchmarks: every figure measured quiet and with one core
held busy, as the median of interleaved rounds; tables; JSON.

Why this way: the course machine (and Binder, and a hub) shares its cores with other
processes, whose load moves a timing by 10-40% from one minute to the next. So

* every case is timed in the same rounds as the cases it is compared with (sprintlib and
  TensorFlow take turns), so that a busy spell slows both rather than one;
* each round runs every case twice, quiet and then with one core held busy by a spinning
  process that ``busy_core`` starts and stops itself: the two conditions see the same
  minutes of the machine;
* the figure is the median of the rounds (at least 5), not the best: the best hides how
  a library behaves when the machine is shared, which is what the busy figures are for.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT_DIR = Path(os.environ.get("BENCH_OUT", "output/bench"))
CONDITIONS = ("quiet", "busy")
#: rounds of every measurement (at least 5: the median of fewer is too easily moved)
ROUNDS = max(5, int(os.environ.get("BENCH_ROUNDS", "5")))

# spins, and stops by itself once the benchmark that started it is gone (killed, say)
_SPIN = """
import os
parent = os.getppid()
while os.getppid() == parent:
    for _ in range(1_000_000):
        pass
"""

#: The tracked figures' limits (issue 26): the most each may be. They are not targets: the
#: Keras ratios (sprintlib's time over Keras float32's, quiet and with one core busy) were
#: 1.17-1.20 (LeNet float32), 1.95-2.00 (float64) and 0.70-0.76 (SimpleRNN) when they were
#: set, and reaching 1.0 would need compiled kernels, which a readable model answer must not
#: need; a limit says when one got worse. Every sprint notebook, run whole with the model
#: answers on one core (Binder's share), peaks under 700 MB (Binder guarantees 1 GB).
LIMITS = {
    "lenet_float32": 1.3,   # bench_lenet.py: the step and the epoch of fit
    "lenet_float64": 2.2,   # bench_lenet.py: the step
    "simple_rnn": 0.8,      # bench_rnn.py: the float32 step
    "notebook_mb": 700,     # bench_memory.py: each sprint notebook's peak RSS
}
#: The machine the Keras limits were set on. The ratios depend on the CPU as much as on the
#: code: Keras (oneDNN) and NumPy's BLAS and elementwise loops gain differently from wider
#: vector units. On 2026-12-06 an AMD EPYC with AVX2 and no AVX-512 measured the code the
#: limits were set on (git 32a26c2) at 1.43 (LeNet float32, quiet) and 0.97 (SimpleRNN), the
#: same as main in the same hour (1.43, 0.98): there, the limits cannot tell code that got
#: worse from a machine that differs. Compare the code before and after on one machine then
#: (benchmarks/FIGURES.md, "Against the code before").
LIMITS_SET_ON = {"cpu": "Intel Xeon, 2 vCPUs", "vector_units": "AVX-512", "date": "2026-12-01"}


@contextlib.contextmanager
def busy_core():
    """One core held busy, inside the block, by a process that spins (started and ended here).

    In a session of its own, as another user's program would be: Linux shares the CPU
    between sessions first (autogroup), so a spinner in the benchmark's own session would
    take half of the benchmark's share instead of a core."""
    spinner = subprocess.Popen([sys.executable, "-c", _SPIN], start_new_session=True)
    try:
        time.sleep(0.2)  # until it runs
        yield spinner.pid
    finally:
        spinner.kill()
        spinner.wait()


def time_calls(fn, number: int = 1) -> float:
    """Seconds per call of fn(), over ``number`` calls."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


class Timings(dict):
    """{condition: {name: median seconds per call}}, and in ``rounds`` the same keys with
    every round's seconds, in order (for the spread of a ratio: ``round_ratios``)."""

    def __init__(self, medians: dict, rounds: dict):
        super().__init__(medians)
        self.rounds = rounds


def round_ratios(t: Timings, num: tuple, den: tuple) -> list[float]:
    """The ratio of two figures of ``t`` in each round: ``num`` and ``den`` are
    (condition, name) pairs. Taken in the same round, the two figures saw the same minutes
    of the machine: their spread over the rounds says how far the median ratio can be trusted."""
    return [a / b for a, b in zip(t.rounds[num[0]][num[1]], t.rounds[den[0]][den[1]])]


def measure(fns: dict, rounds: int = ROUNDS, number: int = 1, warmup: int = 1, pause: float = 0.05) -> Timings:
    """{condition: {name: median seconds per call}} for every fn of ``fns`` (name -> callable),
    every round's figures in ``.rounds`` (a ``Timings``).

    Each round: quiet, every fn in turn; then, one core busy, every fn in turn. A pause
    before each turn lets the previous library's idle threads go to sleep."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {c: {name: [] for name in fns} for c in CONDITIONS}
    for _ in range(rounds):
        for condition in CONDITIONS:
            with busy_core() if condition == "busy" else contextlib.nullcontext():
                for name, fn in fns.items():
                    time.sleep(pause)
                    times[condition][name].append(time_calls(fn, number))
    return Timings({c: {name: statistics.median(ts) for name, ts in per.items()} for c, per in times.items()}, times)


def limit_row(case: str, condition: str, value: float, limit: float, what: str, rounds=None) -> dict:
    """A line of the summary: ``value`` (a ratio, seconds, MB) against ``limit``, the most it
    may be: a tracked figure that must not get worse than that, not a target to reach.
    ``rounds``: the ratio in each round (``round_ratios``), shown as "lowest-highest" and
    "within in k of n" beside the median."""
    row = {"case": case, "condition": condition, "what": what, "value": value,
           "limit": f"<= {limit}", "within": "yes" if value <= limit else WORSE}
    if rounds:
        row["rounds"] = f"{min(rounds):.3g}-{max(rounds):.3g}"
        row["within in rounds"] = f"{sum(r <= limit for r in rounds)} of {len(rounds)}"
    return row


#: what a summary row says of a figure above its limit
WORSE = "NO: worse than its limit"
#: the summary's columns
LIMIT_COLUMNS = ["case", "condition", "what", "value", "limit", "within", "rounds", "within in rounds"]


def over_limit(rows: list[dict]) -> list[str]:
    """One line for each row of ``limit_row`` whose value got worse than its limit."""
    return [f"{r['case']} ({r['condition']}): {_fmt(r['value'])} {r['what']}, limit {r['limit']}"
            for r in rows if r["within"] != "yes"]


def print_summary(rows: list[dict]) -> bool:
    """The summary table of ``limit_row`` rows, then either the figures that got worse than
    their limits, each on a line of its own, or that none did. True when none did."""
    print_table("Tracked figures and their limits (value: the median; rounds: the same figure in each round)",
                rows, LIMIT_COLUMNS)
    worse = over_limit(rows)
    if worse:
        print(f"\n!! {len(worse)} of {len(rows)} figures got worse than their limits:")
        for line in worse:
            print(f"!!   {line}")
    else:
        print(f"\nAll {len(rows)} figures are within their limits.")
    print(machine_note())
    return not worse


def machine_note() -> str:
    """Which CPU measured the figures, and whether the Keras limits were set on one like it."""
    here, there = f"{cpu_model() or 'unknown'} ({vector_units() or 'no AVX2'})", LIMITS_SET_ON
    note = (f"Measured on {here}; the Keras limits were set on {there['cpu']} ({there['vector_units']}), "
            f"{there['date']}.")
    if vector_units() != there["vector_units"]:
        note += (" The vector units differ: a Keras ratio over its limit here may be the machine's, not the "
                 "code's. Time the code before the change on this machine too.")
    return note


def print_table(title: str, rows: list[dict], columns: list[str]) -> None:
    """rows of dicts -> an aligned text table on stdout."""
    print(f"\n## {title}")
    widths = [max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).ljust(w) for c, w in zip(columns, widths)))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def cpu_model() -> str:
    """The CPU's model name, as /proc/cpuinfo gives it ("" where there is none)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor()
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")


def vector_units() -> str:
    """The widest x86 vector unit NumPy found on this CPU: "AVX-512", "AVX2" or "" (another kind)."""
    from numpy._core._multiarray_umath import __cpu_features__ as found
    return "AVX-512" if found.get("AVX512F") else "AVX2" if found.get("AVX2") else ""


def machine() -> dict:
    """What the figures were measured on and with: the CPU, load, the thread policy."""
    import sprintlib
    return {"cpu": cpu_model(), "vector_units": vector_units(),
            "cpus": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
            "python": platform.python_version(), "platform": platform.platform(),
            "load_average": os.getloadavg(), "sprintlib_fast": sprintlib.fast.enabled(),
            "sprintlib_thread_policy": sprintlib.fast.thread_policy()._asdict(),
            "sprintlib_workers": sprintlib.fast.thread_policy().workers,
            "rounds": ROUNDS}


def write_json(name: str, rows: list[dict], extra: dict | None = None) -> Path:
    """output/bench/<name>.json with the rows and the machine they were measured on."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    payload = {"machine": machine(), "rows": rows, **(extra or {})}
    path.write_text(json.dumps(payload, indent=2))
    print(f"-> {path}")
    return path
