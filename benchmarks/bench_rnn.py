"""SimpleRNN: one training step of sprintlib's layer against keras.layers.SimpleRNN.

One step is forward, backward (BPTT) and an SGD update of a SimpleRNN(128) on a batch
of 128 MNIST-shaped sequences (128, 28, 28), the loss ``sum(h_T * dh)`` for a fixed
random dh. TensorFlow runs the same step as a tf.function (GradientTape, then
``SGD.apply``), and differentiates with respect to the weights only, as a training step
of a first layer does; sprintlib's layer is set up as a model sets its first layer
(``needs_input_grad = False``: no dX, as in ScratchSimpleRNNClassifier). The ratio is
sprintlib's time over TensorFlow's in the same dtype (below 1: sprintlib is faster), the
median of interleaved rounds, quiet and with one core busy (benchmarks/_timing.py).
Limit (_timing.LIMITS; a tracked figure that must not get worse): <= 0.8 in float32, quiet
and busy alike.

    python -m benchmarks rnn
"""
from __future__ import annotations

import numpy as np

from benchmarks._timing import CONDITIONS, LIMITS, limit_row, measure, print_table, round_ratios, write_json
from sprintlib import SGD, SimpleRNN, XavierInitializer

N, T, F, H = 128, 28, 28, 128
LR = 0.01


def scratch_step(dtype, X, dh):
    rnn = SimpleRNN(F, H, initializer=XavierInitializer(random_state=0, dtype=dtype), optimizer=SGD(LR),
                    dtype=dtype)
    rnn.needs_input_grad = False  # a first layer, as Keras's step: the weights' gradients only
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


def main():
    rng = np.random.default_rng(0)
    X, dh = rng.random((N, T, F)), rng.standard_normal((N, H))
    fns = {}
    for dtype in (np.float32, np.float64):
        name = np.dtype(dtype).name
        fns[f"sprintlib {name}"] = scratch_step(dtype, X, dh)
        fns[f"keras {name}"] = keras_step(dtype, X, dh)
    t = measure(fns, number=10, warmup=3)
    rows = [{"condition": c, "dtype": name, "sprintlib_ms": 1e3 * t[c][f"sprintlib {name}"],
             "keras_ms": 1e3 * t[c][f"keras {name}"], "ratio": t[c][f"sprintlib {name}"] / t[c][f"keras {name}"]}
            for c in CONDITIONS for name in ("float32", "float64")]
    print_table(f"SimpleRNN({H}) training step on ({N}, {T}, {F}): forward + BPTT + SGD", rows,
                ["condition", "dtype", "sprintlib_ms", "keras_ms", "ratio"])
    write_json("rnn", rows, {"shape": [N, T, F], "n_nodes": H, "limit_ratio_float32": LIMITS["simple_rnn"]})
    return [limit_row(f"SimpleRNN({H}) step, ({N}, {T}, {F})", r["condition"], r["ratio"], LIMITS["simple_rnn"],
                      "sprintlib / Keras float32",
                      round_ratios(t, (r["condition"], "sprintlib float32"), (r["condition"], "keras float32")))
            for r in rows if r["dtype"] == "float32"]


if __name__ == "__main__":
    main()
