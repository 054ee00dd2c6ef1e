"""Conv2d, MaxPool2D and Conv1d, forward + backward: sprintlib against TensorFlow-CPU
(tf.function, NHWC, inputs already tensors) at N=128 in float32 and float64, and against
the documents' one-loop-per-output version (sprintlib.functional.naive) at N=2. Every
figure is the median of interleaved rounds, quiet and with one core busy
(benchmarks/_timing.py).

    python -m benchmarks conv      # -> output/bench/conv.json

Targets: within 2x of TensorFlow float32; at least 200x faster than the loops.
TensorFlow keeps its defaults (thread pools sized to the machine), sprintlib its thread
policy (sprintlib/fast/threads.py).
"""
from __future__ import annotations

import numpy as np

from sprintlib import Conv1d, Conv2d, MaxPool2D
from sprintlib import functional as F
from sprintlib.testing import rel_error

from ._timing import CONDITIONS, measure, print_table, write_json

# name, layer factory, input shape (NCHW or NCL)
CASES = [
    ("Conv2d 1->6 5x5 same", lambda dt: Conv2d(1, 6, 5, pad=2, dtype=dt), (128, 1, 28, 28)),
    ("Conv2d 1->6 5x5 valid", lambda dt: Conv2d(1, 6, 5, dtype=dt), (128, 1, 28, 28)),
    ("Conv2d 6->16 5x5 same", lambda dt: Conv2d(6, 16, 5, pad=2, dtype=dt), (128, 6, 14, 14)),
    ("MaxPool2D 2x2", lambda dt: MaxPool2D(2, dtype=dt), (128, 6, 28, 28)),
    ("Conv1d 1->6 F=5 L=784 same", lambda dt: Conv1d(1, 6, 5, pad=2, dtype=dt), (128, 1, 784)),
]


def sprintlib_step(layer, X, dA):
    def step():
        layer.forward(X)
        return layer.backward(dA)
    return step


def tf_step(tf, layer, X, dA, dtype):
    """The same forward + backward in TensorFlow, channels last, compiled by tf.function."""
    last = [0] + list(range(2, X.ndim)) + [1]  # NCHW -> NHWC, NCL -> NLC
    x = tf.constant(X.transpose(last), dtype=dtype)
    dy = tf.constant(dA.transpose(last), dtype=dtype)
    if isinstance(layer, MaxPool2D):
        op, params = (lambda x: tf.nn.max_pool2d(x, layer.pool_size, layer.stride, "VALID")), []
    else:
        w = tf.constant(np.moveaxis(layer.W, (0, 1), (-1, -2)), dtype=dtype)  # (..., C_in, C_out)
        b = tf.constant(layer.B, dtype=dtype)
        params = [w, b]
        if isinstance(layer, Conv2d):
            pad = [[0, 0], [layer.pad[0]] * 2, [layer.pad[1]] * 2, [0, 0]]
            op = lambda x: tf.nn.conv2d(x, w, layer.stride, pad) + b  # noqa: E731
        else:
            op = lambda x: tf.nn.conv1d(tf.pad(x, [[0, 0], [layer.pad] * 2, [0, 0]]), w,  # noqa: E731
                                        layer.stride, "VALID") + b

    @tf.function
    def step(x, dy):
        with tf.GradientTape() as tape:
            tape.watch([x] + params)
            y = op(x)
        return [y] + tape.gradient(y, [x] + params, output_gradients=dy)

    return lambda: step(x, dy)


def against_tensorflow(tf):
    fns, cases = {}, []
    for dt in (np.float32, np.float64):
        for name, make, shape in CASES:
            rng = np.random.default_rng(0)
            layer = make(dt)
            X = rng.standard_normal(shape).astype(dt)
            dA = rng.standard_normal(layer.output_shape(shape)).astype(dt)
            sp, tf_fn = sprintlib_step(layer, X, dA), tf_step(tf, layer, X, dA, tf.as_dtype(dt))
            _check_same(name, layer, X, sp(), tf_fn(), dt)
            key = (name, np.dtype(dt).name, shape[0])
            fns[("sprintlib",) + key], fns[("tf",) + key] = sp, tf_fn
            cases.append(key)
    t = measure(fns, number=5, warmup=2)
    return [{"case": name, "condition": c, "dtype": dt, "N": n,
             "sprintlib_ms": 1e3 * t[c][("sprintlib", name, dt, n)], "tf_ms": 1e3 * t[c][("tf", name, dt, n)],
             "sprintlib/tf": t[c][("sprintlib", name, dt, n)] / t[c][("tf", name, dt, n)]}
            for c in CONDITIONS for name, dt, n in cases]


def _check_same(name, layer, X, dX, tf_out, dt):
    """Time only what computes the same thing: forward output and dX against TensorFlow's."""
    first = [0, X.ndim - 1] + list(range(1, X.ndim - 1))  # NHWC -> NCHW, NLC -> NCL
    tol = 1e-4 if dt == np.float32 else 1e-10
    for what, ours, theirs in [("A", layer.forward(X), tf_out[0]), ("dX", dX, tf_out[1])]:
        err = rel_error(ours, theirs.numpy().transpose(first))
        if not err < tol:
            raise AssertionError(f"{name} {np.dtype(dt).name}: {what} differs from TensorFlow's ({err:.1e})")


def naive_step(X, layer, dA):
    """The documents' loops for the same layer and weights."""
    if isinstance(layer, MaxPool2D):
        p = layer.pool_size[0]
        return lambda: (F.max_pool2d_naive_forward(X, p), F.max_pool2d_naive_backward(dA, X, p))
    X, W, dA, stride, pad = X, layer.W, dA, layer.stride, layer.pad
    if isinstance(layer, Conv1d):  # a 1-D convolution is a 2-D one of height 1
        X, W, dA, stride, pad = X[:, :, None], W[:, :, None], dA[:, :, None], (1, stride), (0, pad)
    return lambda: (F.conv2d_naive_forward(X, W, layer.B, stride, pad),
                    F.conv2d_naive_backward(dA, X, W, stride, pad))


def against_loops(n=2):
    """The loops at N=n. A loop's time grows as N, so its time per sample at N=n is its time
    per sample at any N; sprintlib's is lower at N=128, where a training step runs."""
    fns, sizes = {}, {}
    for name, make, shape in CASES:
        layer = make(np.float64)
        for N in (n, shape[0]):
            rng = np.random.default_rng(0)
            X = rng.standard_normal((N,) + shape[1:])
            dA = rng.standard_normal(layer.output_shape(X.shape))
            fns[(name, N)] = sprintlib_step(layer, X, dA)
        fns[(name, "loop")] = naive_step(X[:n], layer, dA[:n])
        sizes[name] = shape[0]
    t = measure(fns, warmup=1)
    rows = []
    for c in CONDITIONS:
        for name, N in sizes.items():
            loop, small, batch = t[c][(name, "loop")], t[c][(name, n)], t[c][(name, N)]
            rows.append({"case": name, "condition": c, "dtype": "float64", "N": n, "loop_ms": 1e3 * loop,
                         "sprintlib_ms": 1e3 * small, "loop/sprintlib": loop / small,
                         "per sample, sprintlib at N=128": (loop / n) / (batch / N)})
    return rows


def main():
    loop_rows = against_loops()
    import tensorflow as tf

    tf_rows = against_tensorflow(tf)
    print_table("forward + backward: sprintlib / TensorFlow-CPU (target <= 2 in float32)", tf_rows,
                ["case", "condition", "dtype", "N", "sprintlib_ms", "tf_ms", "sprintlib/tf"])
    print_table("forward + backward: documents' loops / sprintlib (target >= 200)", loop_rows,
                ["case", "condition", "dtype", "N", "loop_ms", "sprintlib_ms", "loop/sprintlib",
                 "per sample, sprintlib at N=128"])
    write_json("conv", tf_rows + loop_rows, {"tensorflow": tf.__version__, "numpy": np.__version__})
    return []


if __name__ == "__main__":
    main()
