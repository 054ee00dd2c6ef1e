"""Timing helpers shared by the benchmarks: best-of-k wall time, tables, JSON."""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

OUT_DIR = Path(os.environ.get("BENCH_OUT", "output/bench"))


def best_time(fn, repeat: int = 7, number: int = 1, warmup: int = 2) -> float:
    """Best (least disturbed) seconds per call of fn() over ``repeat`` rounds."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


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


def write_json(name: str, rows: list[dict], extra: dict | None = None) -> Path:
    """output/bench/<name>.json with the rows and the machine they were measured on."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    payload = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "platform": platform.platform()},
               "rows": rows, **(extra or {})}
    path.write_text(json.dumps(payload, indent=2))
    print(f"-> {path}")
    return path


def match_tf_threads(tf) -> int | str:
    """Give TensorFlow the thread count NumPy has: OPENBLAS_NUM_THREADS=1 python -m benchmarks
    measures both single-threaded (steadier on a shared machine); unset, both use all cores.

    Returns the thread count, or "all", for the JSON record."""
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", "0"))
    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # TensorFlow already started by another benchmark
            pass
    return threads or "all"
