"""`make bench`: run every benchmarks/bench_*.py (each has main()), or the ones named.

    python -m benchmarks            # all
    python -m benchmarks conv rnn   # bench_conv.py and bench_rnn.py
"""
import importlib
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

names = sys.argv[1:] or sorted(p.stem[len("bench_"):] for p in Path(__file__).parent.glob("bench_*.py"))
for name in names:
    print(f"\n# benchmarks/bench_{name}.py")
    importlib.import_module(f"benchmarks.bench_{name}").main()
