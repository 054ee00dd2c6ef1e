"""`make bench`: run every benchmarks/bench_*.py (each has main()), or the ones named, then
print the targets they checked, quiet and with one core busy.

    python -m benchmarks            # all but bench_grading.py (about 10 minutes on 2 cores)
    python -m benchmarks grading    # make bench-grading: 100 submissions graded twice (10-20 minutes)
    python -m benchmarks lenet rnn  # bench_lenet.py and bench_rnn.py
"""
import importlib
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ._timing import print_table, write_json  # noqa: E402

#: run only when named: too long for make bench (make bench-grading)
SEPARATE = {"grading"}
names = sys.argv[1:] or sorted(p.stem[len("bench_"):] for p in Path(__file__).parent.glob("bench_*.py")
                               if p.stem[len("bench_"):] not in SEPARATE)
targets = []
for name in names:
    print(f"\n# benchmarks/bench_{name}.py", flush=True)
    targets += importlib.import_module(f"benchmarks.bench_{name}").main() or []
if targets:
    print_table("Targets (value: the median; rounds: the same ratio in each round)", targets,
                ["case", "condition", "what", "value", "target", "met", "rounds", "met in rounds"])
    write_json("targets", targets)
