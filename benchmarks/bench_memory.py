"""Peak resident memory (RSS) of each model's training (the runs of make train and make demo),
and of each sprint notebook run whole, as a student runs it, with its run time.

Binder gives a notebook about 2 GB; the limit here is 1.5 GB for any training run. Each
model trains in a fresh Python process (peak RSS only grows, so one process per model),
which imports sprintlib (not TensorFlow, as a student's notebook), loads all of MNIST as
the training runs do, and fits one epoch with make train's settings on the first 6,400
training images, validating on the last 5,000, then scores the 10,000 test images. What a
training holds does not grow with its epochs or its number of images (fit takes batches
from X without copying it, and predicts in chunks), so the peak is that of the full run;
make train's own peak is measured by running it under /usr/bin/time (benchmarks/README.md).

Each sprint notebook is the instructor version (the student's notebook with every answer
filled in), rendered from its percent script and run from the first cell to the last in a
fresh kernel in notebooks/ (where Binder opens them), not in grading mode: its full
trainings, its plots and its TensorFlow comparisons. The kernel runs on one core, Binder's
share (its CPU affinity, as ``taskset -c``), and must peak under NOTEBOOK_LIMIT_MB: Binder
guarantees 1 GB. A cell added after each of the notebook's code cells reads the kernel's
peak RSS since the one before (VmHWM, reset through /proc/self/clear_refs), so the table
also names the cell where the peak came from. Beside it, the most anonymous memory the
kernel held (sampled: ``sample_anonymous_memory``), the part of it the system cannot drop.

    python -m benchmarks memory      # -> output/bench/memory.json
    python -m benchmarks.bench_memory notebooks [sprint1_conv1d ...]   # the notebooks alone
"""
from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

from ._timing import LIMITS, limit_row, print_table, write_json

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MB = 1500
NOTEBOOK_LIMIT_MB = LIMITS["notebook_mb"]
N_FIT, N_VAL = 6400, 5000
MODELS = ["ScratchDeepNeuralNetworkClassifier", "Scratch1dCNNClassifier", "Scratch2dCNNClassifier", "LeNet",
          "ScratchSimpleRNNClassifier"]


def train_one(name: str) -> dict:
    """Train ``name`` as make train (or make demo) does; its peak RSS in MB."""
    import numpy as np

    import sprintlib
    from sprintlib.data import load_mnist
    from sprintlib.train_lenet import SETTINGS

    recipe = dict(batch_size=64, optimizer="adam", lr=2e-3, lr_decay=0.6, dtype=np.float32, random_state=0)
    models = {  # the settings of tests/test_training.py, tests/test_rnn_training.py, sprintlib/demo.py
        "ScratchDeepNeuralNetworkClassifier": (True, dict(hidden_layer_sizes=(400, 200), batch_size=200,
                                                          lr=1e-3, dtype=np.float32)),
        "Scratch1dCNNClassifier": (True, dict(n_filters=8, hidden=(100,), **recipe)),
        "Scratch2dCNNClassifier": (False, dict(n_filters=16, hidden=(100,), **recipe)),
        "LeNet": (False, SETTINGS),
        "ScratchSimpleRNNClassifier": (False, dict(n_nodes=128, optimizer="adam", lr=1e-3, batch_size=128,
                                                   clip_norm=0.3, dtype=np.float32)),
    }
    flatten, settings = models[name]
    (X, y), (X_test, y_test) = load_mnist(flatten=flatten, dtype=np.float32)
    if name == "ScratchSimpleRNNClassifier":  # 28 time steps of 28 pixels
        X, X_test = X.reshape(-1, 28, 28), X_test.reshape(-1, 28, 28)
    model = getattr(sprintlib, name)(**{**settings, "epochs": 1, "verbose": False})
    model.fit(X[:N_FIT], y[:N_FIT], X[-N_VAL:], y[-N_VAL:])
    accuracy = model.score(X_test, y_test)
    return {"model": name, "peak_rss_mb": peak_rss_mb(), "test_accuracy_after_one_epoch": accuracy}


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB: VmHWM of /proc/self/status. Not getrusage's
    ru_maxrss, which after fork and exec still counts the parent's memory (1.5 GB once the
    benchmarks have imported TensorFlow)."""
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return kb / 1024


def cell_peak_mb() -> float:
    """This process's peak resident memory since the last call, in MB: VmHWM, then reset
    (writing 5 to /proc/self/clear_refs). Where the kernel cannot reset it, the peak since
    the process started."""
    peak = peak_rss_mb()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return peak


def _printed_number(cell) -> float:
    """The number a probe cell printed: the last word of its standard output (what an earlier
    cell's threads print late may come with it, in outputs of their own)."""
    text = "".join(out.get("text", "") for out in cell.outputs
                   if out.get("output_type") == "stream" and out.get("name") == "stdout")
    return float(text.split()[-1])


def sample_anonymous_memory(every: float = 0.005):
    """Start a thread that notes, every ``every`` seconds, the most anonymous resident memory
    (RssAnon, MB) this process has had. Returns the one-item list it keeps it in, and an
    Event that stops it.

    Why beside VmHWM: resident memory also counts the pages of shared libraries read from
    disk (TensorFlow's are some 350 MB), which the kernel can drop and read again when memory
    runs short; anonymous memory (arrays, Python objects) it cannot, so that is what fills
    a Binder session's 1 GB. A sample misses what lives less than ``every`` seconds."""
    import threading
    import time

    most, stop = [0.0], threading.Event()

    def sample():
        while not stop.is_set():
            with open("/proc/self/status") as f:
                kb = next(int(line.split()[1]) for line in f if line.startswith("RssAnon:"))
            most[0] = max(most[0], kb / 1024)
            time.sleep(every)

    threading.Thread(target=sample, daemon=True).start()
    return most, stop


def run_notebook(build, assignment: str, cpu: int) -> dict:
    """Run the sprint notebook ``assignment`` whole, as a student does (``build``: the
    module autograder/build.py, which renders it), its kernel on the core ``cpu`` alone.
    Its kernel's peak RSS in MB, the code cell where it came from (its first line), and
    its wall time. Raises if a cell fails."""
    import time

    import nbformat
    from nbclient import NotebookClient

    nb = build.render(ROOT / "autograder" / "percent" / f"{assignment}.py")
    code = [c for c in nb.cells if c.cell_type == "code"]
    # first the probe's functions, defined in the kernel; then each code cell and a probe after it
    nb.cells = [nbformat.v4.new_code_cell("\n".join(inspect.getsource(f) for f in
                                                    (peak_rss_mb, cell_peak_mb, sample_anonymous_memory))
                                          + "\ncell_peak_mb()\n_most_anonymous, _ = sample_anonymous_memory()")]
    for cell in code:
        nb.cells += [cell, nbformat.v4.new_code_cell("print(cell_peak_mb())")]
    nb.cells.append(nbformat.v4.new_code_cell("print(_most_anonymous[0])"))
    os.environ.pop("NBGRADER_EXECUTION", None)  # the student's run: full trainings, not a token amount
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    own = os.sched_getaffinity(0)
    start = time.perf_counter()
    try:
        os.sched_setaffinity(0, {cpu})  # the kernel started below inherits it
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    finally:
        os.sched_setaffinity(0, own)
    peaks = [_printed_number(nb.cells[i + 1]) for i in range(1, len(nb.cells) - 1, 2)]
    # the first cell that reached the peak (within 1 MB): the next ones read it again while
    # the memory stays at that level
    at = next(i for i, peak in enumerate(peaks) if peak >= max(peaks) - 1)
    first = next((line for line in code[at].source.splitlines() if line.strip() and not line.startswith("#")), "")
    return {"notebook": assignment, "peak_rss_mb": max(peaks), "run_s": time.perf_counter() - start,
            "peak_anonymous_mb": _printed_number(nb.cells[-1]),
            "peak in cell": f"{at + 1} of {len(code)}: {first[:60]}",
            "within": "yes" if max(peaks) <= NOTEBOOK_LIMIT_MB else "NO: over the limit"}


def trainings() -> list[dict]:
    """Each model's training in a process of its own; a row each."""
    rows = []
    for name in MODELS:
        out = subprocess.run([sys.executable, "-m", "benchmarks.bench_memory", name],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print_table(f"Peak resident memory of each model's training (limit {LIMIT_MB} MB)", rows,
                ["model", "peak_rss_mb", "test_accuracy_after_one_epoch"])
    return rows


def notebooks(names=None) -> list[dict]:
    """Each sprint notebook (or the ones named) run whole on one core; a row each."""
    sys.path.insert(0, str(ROOT / "autograder"))
    import build  # imported here: the trainings run in processes of their own, without it

    cpu = max(os.sched_getaffinity(0))
    rows = [run_notebook(build, a, cpu) for a in build.assignments(ROOT, names)]
    print_table(f"Peak resident memory of each sprint notebook's kernel, run whole on one core "
                f"(limit {NOTEBOOK_LIMIT_MB} MB)", rows,
                ["notebook", "peak_rss_mb", "within", "run_s", "peak_anonymous_mb", "peak in cell"])
    over = [r["notebook"] for r in rows if r["peak_rss_mb"] > NOTEBOOK_LIMIT_MB]
    if over:
        print(f"!! over the limit of {NOTEBOOK_LIMIT_MB} MB: {', '.join(over)}")
    return rows


def main():
    rows, nbs = trainings(), notebooks()
    write_json("memory", rows, {"limit_mb": LIMIT_MB, "notebook_limit_mb": NOTEBOOK_LIMIT_MB, "notebooks": nbs})
    return ([limit_row(f"{r['model']} training, peak RSS", "-", r["peak_rss_mb"], LIMIT_MB, "MB")
             for r in rows]
            + [limit_row(f"{r['notebook']} notebook run whole, peak RSS", "one core", r["peak_rss_mb"],
                         NOTEBOOK_LIMIT_MB, "MB") for r in nbs])


if __name__ == "__main__":
    if sys.argv[1:2] == ["notebooks"]:  # python -m benchmarks.bench_memory notebooks [sprint1_conv1d ...]
        notebooks(sys.argv[2:] or None)
    elif len(sys.argv) > 1:  # python -m benchmarks.bench_memory <model>: one training, a JSON line
        print(json.dumps(train_one(sys.argv[1])))
    else:
        main()
