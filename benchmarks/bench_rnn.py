"""SimpleRNN: one training step of sprintlib's layer against keras.layers.SimpleRNN.

One step is forward, backward (BPTT) and an SGD update of a SimpleRNN(128) on a batch
of 128 MNIST-shaped sequences (128, 28, 28), the loss ``sum(h_T * dh)`` for a fixed
random dh. TensorFlow runs the same step as a tf.function (GradientTape, then
``SGD.apply``), and differentiates with respect to the weights only, as a training step
of a first layer does; sprintlib's backward also returns dX. The ratio is
sprintlib's time over TensorFlow's (below 1: sprintlib is faster). Target: <= 0.8 in
float32.

    python -m benchmarks rnn
"""
from __future__ import annotations

import os

import numpy as np

from benchmarks._timing import best_time, print_table, write_json
from sprintlib import SGD, SimpleRNN, XavierInitializer

N, T, F, H = 128, 28, 28, 128
LR = 0.01


def scratch_step(dtype, X, dh):
    rnn = SimpleRNN(F, H, initializer=XavierInitializer(random_state=0, dtype=dtype), optimizer=SGD(LR),
                    dtype=dtype)
    X, dh = X.astype(dtype), dh.astype(dtype)

    def step():
        rnn.forward(X)
        rnn.backward(dh)

    return step


def keras_step(dtype, X, dh):
    import keras
    import tensorflow as tf

    layer = keras.layers.SimpleRNN(H, dtype=np.dtype(dtype).name)
    layer.build((None, T, F))
    opt = keras.optimizers.SGD(learning_rate=LR)
    X_t, dh_t = tf.constant(X, dtype=dtype), tf.constant(dh, dtype=dtype)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(X_t) * dh_t)
        grads = tape.gradient(loss, layer.trainable_variables)
        opt.apply(grads, layer.trainable_variables)
        return loss

    return lambda: step().numpy()  # .numpy() waits for the step to finish


def main(repeat: int = 20):
    rng = np.random.default_rng(0)
    X, dh = rng.random((N, T, F)), rng.standard_normal((N, H))
    rows = []
    for dtype in (np.float32, np.float64):
        ours = best_time(scratch_step(dtype, X, dh), repeat=repeat, warmup=3)
        theirs = best_time(keras_step(dtype, X, dh), repeat=repeat, warmup=3)
        rows.append({"dtype": np.dtype(dtype).name, "sprintlib_ms": 1e3 * ours, "keras_ms": 1e3 * theirs,
                     "ratio": ours / theirs})
    print_table(f"SimpleRNN({H}) training step on ({N}, {T}, {F}): forward + BPTT + SGD", rows,
                ["dtype", "sprintlib_ms", "keras_ms", "ratio"])
    # TensorFlow's speed depends on oneDNN (the Makefile turns it off for deterministic maths)
    env = {k: os.environ.get(k) for k in ("TF_ENABLE_ONEDNN_OPTS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    # multi-threaded OpenBLAS on small matrices slows down by orders of magnitude when another
    # process holds a core: a load average near the core count makes these numbers meaningless
    env["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(f"environment: {env}")
    write_json("rnn", rows, {"shape": [N, T, F], "n_nodes": H, "target_ratio_float32": 0.8, "environment": env})
    return rows


if __name__ == "__main__":
    main()
