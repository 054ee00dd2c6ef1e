"""The plain model answer against the fast path (sprintlib.fast), and both against Keras, in
the same rounds: what the fast path's tricks buy, and whether each pays.

* a LeNet ('same') training step on a batch of 128 MNIST images, float32 and float64
  (fit's ``_train_batch``; Keras: the faster of a tf.function step and train_on_batch);
* a SimpleRNN(128) training step on (128, 28, 28), float32 (bench_rnn.py's step);
* a Scratch1dCNNClassifier step (Conv1d 1 -> 4, filter 3, over 784 pixels, batch 100).

Every figure is the median of interleaved rounds, quiet and with one core busy
(benchmarks/_timing.py). Not part of ``make bench``:

    python -m benchmarks.paths          # -> output/bench/paths.json
    python -m benchmarks.paths tricks   # each trick alone, on its layer -> output/bench/tricks.json
"""
from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from sprintlib import Scratch1dCNNClassifier, fast  # noqa: E402

from . import bench_lenet, bench_rnn  # noqa: E402
from ._timing import CONDITIONS, measure, print_table, write_json  # noqa: E402


def on_path(fn, fast_path: bool):
    """fn, called with the fast path on or off."""
    def call():
        with fast.use(fast_path):
            return fn()
    return call


def conv1d_step(X, y):
    model = Scratch1dCNNClassifier(batch_size=100, verbose=False, random_state=0, dtype=np.float32)
    model.build(X.shape[1:], 10)
    return lambda: model._train_batch(X, y)


def main():
    import keras
    import tensorflow as tf

    from sprintlib.data import load_mnist

    (X, y), _ = load_mnist(flatten=False, dtype=np.float32)
    X, y = X[:bench_lenet.BATCH], y[:bench_lenet.BATCH]
    fns = {}
    for dt in bench_lenet.DTYPES:
        name = np.dtype(dt).name
        Xd = X.astype(dt)
        for path in ("plain", "fast"):  # a model each: Adam's state is the model's own
            ours = bench_lenet.sprintlib_model(dt)
            fns[f"LeNet {name} {path}"] = on_path(bench_lenet.sprintlib_step(ours, Xd, y), path == "fast")
        fns[f"LeNet {name} keras tf.function"], fns[f"LeNet {name} keras train_on_batch"], _ = \
            bench_lenet.keras_steps(tf, keras, dt, bench_lenet.sprintlib_model(dt), Xd, y)
    rng = np.random.default_rng(0)
    Xr, dh = rng.random((bench_rnn.N, bench_rnn.T, bench_rnn.F)), rng.standard_normal((bench_rnn.N, bench_rnn.H))
    for path in ("plain", "fast"):
        fns[f"SimpleRNN float32 {path}"] = on_path(bench_rnn.scratch_step(np.float32, Xr, dh), path == "fast")
    fns["SimpleRNN float32 keras"] = bench_rnn.keras_step(np.float32, Xr, dh)
    X1 = X[:100].reshape(100, 784)
    for path in ("plain", "fast"):
        fns[f"Conv1d model float32 {path}"] = on_path(conv1d_step(X1, y[:100]), path == "fast")
    t = measure(fns, number=5, warmup=2)
    rows = []
    for c in CONDITIONS:
        keras_lenet = min(t[c]["LeNet float32 keras tf.function"], t[c]["LeNet float32 keras train_on_batch"])
        for case, keras_time in (("LeNet float32", keras_lenet), ("LeNet float64", keras_lenet),
                                 ("SimpleRNN float32", t[c]["SimpleRNN float32 keras"]),
                                 ("Conv1d model float32", None)):
            plain, quick = t[c][f"{case} plain"], t[c][f"{case} fast"]
            rows.append({"case": case, "condition": c, "plain_ms": 1e3 * plain, "fast_ms": 1e3 * quick,
                         "plain/fast": plain / quick,
                         "keras_f32_ms": None if keras_time is None else 1e3 * keras_time,
                         "plain/keras": None if keras_time is None else plain / keras_time,
                         "fast/keras": None if keras_time is None else quick / keras_time})
    print_table("Plain model answer against the fast path (ms a step; ratios to Keras float32)", rows,
                ["case", "condition", "plain_ms", "fast_ms", "plain/fast", "keras_f32_ms", "plain/keras",
                 "fast/keras"])
    write_json("paths", rows)


def tricks():
    """Each trick of the fast path alone, against the model answer, on LeNet's and the RNN's
    shapes (float32, forward + backward): is it worth its code?"""
    from sprintlib import Conv2d, MaxPool2D, SimpleRNN, XavierInitializer
    from sprintlib.fast import parallel

    rng = np.random.default_rng(0)
    fns = {}

    def layer_step(layer, X, fast_path):
        dA = None

        def step():
            nonlocal dA
            with fast.use(fast_path):
                A = layer.forward(X)
                dA = np.ones_like(A) if dA is None or dA.shape != A.shape else dA
                layer.backward(dA)
        return step

    # the second convolution of LeNet, its input as the first one hands it over
    X = rng.standard_normal((128, 6, 14, 14)).astype(np.float32)
    for path in ("plain", "fast"):
        fns[f"Conv2d 6->16 5x5 pad 2 {path}"] = layer_step(Conv2d(6, 16, 5, pad=2, dtype=np.float32), X, path == "fast")
    X = rng.standard_normal((128, 6, 28, 28)).astype(np.float32)
    X_hcwn = np.ascontiguousarray(X.transpose(2, 1, 3, 0)).transpose(3, 1, 0, 2)  # a convolution's output
    for path in ("plain", "fast"):
        fns[f"MaxPool2D 2 (after a conv) {path}"] = layer_step(MaxPool2D(2, dtype=np.float32), X_hcwn, path == "fast")
        fns[f"MaxPool2D 2 (NCHW) {path}"] = layer_step(MaxPool2D(2, dtype=np.float32), X, path == "fast")
    Xr = rng.random((128, 28, 28)).astype(np.float32)
    for path in ("plain", "fast"):
        rnn = SimpleRNN(28, 128, initializer=XavierInitializer(random_state=0, dtype=np.float32), dtype=np.float32)
        fns[f"SimpleRNN(128) {path}"] = layer_step(rnn, Xr, path == "fast")
    # fit's batch in halves against the whole batch, the rest of the fast path alike
    (Xm, y), _ = __import__("sprintlib.data", fromlist=["_"]).load_mnist(flatten=False, dtype=np.float32)
    Xm, y = Xm[:128], y[:128]
    whole = bench_lenet.sprintlib_model(np.float32)
    halves = bench_lenet.sprintlib_model(np.float32)

    def whole_step():
        with fast.use(True):
            saved, parallel.batch_halves = parallel.batch_halves, lambda n: [(0, n)]
            try:
                whole._train_batch(Xm, y)
            finally:
                parallel.batch_halves = saved

    fns["LeNet step fast, whole batch"] = whole_step
    fns["LeNet step fast, halves"] = on_path(lambda: halves._train_batch(Xm, y), True)
    t = measure(fns, number=5, warmup=2)
    rows = [{"case": name, "condition": c, "ms": 1e3 * t[c][name]} for c in CONDITIONS for name in fns]
    print_table("Each trick alone (ms, forward + backward)", rows, ["case", "condition", "ms"])
    write_json("tricks", rows)


if __name__ == "__main__":
    import sys

    tricks() if sys.argv[1:] == ["tricks"] else main()
