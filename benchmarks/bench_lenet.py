"""LeNet ('same', 107,786 parameters) training: sprintlib against Keras on TensorFlow-CPU,
quiet and with one core busy, and against the documents' loops.

* one training step (forward, backward, Adam update) on a batch of 128 MNIST images,
  (128, 1, 28, 28), in float32 and float64;
* one epoch of ``fit`` on 6,400 MNIST images (50 batches of 128), the model built anew;
* the same step written with the documents' loops (sprintlib.functional.naive) on 2 images.

Keras gets the same architecture (channels last, logits + from_logits cross-entropy),
the same weights (copied, and the outputs compared before anything is timed) and its
fastest path: both a tf.function step (GradientTape + Adam.apply_gradients) and the
compiled model's train_on_batch are timed, and the faster is the reference. The epoch is
``model.fit(..., verbose=0)`` after a warm-up fit that traces it. float64 Keras models get
``dtype="float64"`` on every layer (no global keras.config change). Every figure is the
median of interleaved rounds, quiet and busy (benchmarks/_timing.py).

    python -m benchmarks lenet      # -> output/bench/lenet.json

Limits (_timing.LIMITS; tracked figures that must not get worse, not targets): the float32
step and the float32 epoch at most 1.3x Keras float32's time, the float64 step at most 2.2x,
quiet and busy alike. TensorFlow keeps its defaults
(its thread pools sized to the machine, oneDNN on, as make bench sets it), sprintlib its
thread policy (sprintlib/fast/threads.py). TF_ENABLE_ONEDNN_OPTS=0, which the tests set for
deterministic results, makes Keras's convolutions several times slower, so the JSON says
which setting was in effect.
"""
from __future__ import annotations

import os

import numpy as np

from sprintlib import functional as F
from sprintlib.data import load_mnist
from sprintlib import LeNet
from sprintlib.testing import rel_error

from ._timing import CONDITIONS, LIMITS, limit_row, measure, print_table, round_ratios, write_json

BATCH, LR, SEED = 128, 1e-3, 0
N_EPOCH = 6400  # images of the timed epoch: 50 batches
DTYPES = (np.float32, np.float64)


# -- sprintlib -----------------------------------------------------------------------------
def sprintlib_model(dtype) -> LeNet:
    return LeNet("same", lr=LR, batch_size=BATCH, dtype=dtype, random_state=SEED,
                 verbose=False).build((1, 28, 28), 10)


def sprintlib_step(model: LeNet, X, y):
    """What fit does for one batch (``_train_batch``): forward, loss, backward with the Adam
    update, on the batch's two halves, side by side when a core is free."""
    return lambda: model._train_batch(X, y)


# -- Keras ---------------------------------------------------------------------------------
def keras_model(keras, dtype):
    """LeNet in Keras, channels last, every layer of ``dtype`` (logits out)."""
    dt = np.dtype(dtype).name
    L = keras.layers
    return keras.Sequential([
        keras.Input((28, 28, 1), dtype=dt),
        L.Conv2D(6, 5, padding="same", activation="relu", dtype=dt), L.MaxPooling2D(2, dtype=dt),
        L.Conv2D(16, 5, padding="same", activation="relu", dtype=dt), L.MaxPooling2D(2, dtype=dt),
        L.Flatten(dtype=dt),
        L.Dense(120, activation="relu", dtype=dt), L.Dense(84, activation="relu", dtype=dt),
        L.Dense(10, dtype=dt),
    ])


def copy_weights(ours: LeNet, model) -> None:
    """sprintlib's NCHW weights into the NHWC Keras model (as tests/test_models_cnn.py does)."""
    convs = [layer for layer in ours.layers if type(layer).__name__ == "Conv2d"]
    fcs = [layer for layer in ours.layers if type(layer).__name__ == "FC"]
    k_convs = [layer for layer in model.layers if "conv" in layer.name]
    k_dense = [layer for layer in model.layers if "dense" in layer.name]
    for c, k in zip(convs, k_convs):
        k.set_weights([c.W.transpose(2, 3, 1, 0), c.B])
    # our Flatten orders features (C, H, W), Keras's (H, W, C): permute the first FC's rows
    W1 = fcs[0].W.reshape(16, 7, 7, -1).transpose(1, 2, 0, 3).reshape(784, -1)
    k_dense[0].set_weights([W1, fcs[0].B])
    for f, k in zip(fcs[1:], k_dense[1:]):
        k.set_weights([f.W, f.B])


def keras_steps(tf, keras, dtype, ours: LeNet, X, y):
    """(tf.function step, train_on_batch step, compiled model) for the weights of ``ours``."""
    X_nhwc = tf.constant(X.transpose(0, 2, 3, 1))
    y_t = tf.constant(y)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    model = keras_model(keras, dtype)
    copy_weights(ours, model)
    probs = tf.nn.softmax(model(X_nhwc[:8])).numpy()
    err = rel_error(ours.predict_proba(X[:8]), probs)
    if not err < (1e-4 if dtype == np.float32 else 1e-10):
        raise AssertionError(f"Keras's LeNet differs from sprintlib's ({err:.1e}): not the same model")
    opt = keras.optimizers.Adam(LR)

    @tf.function
    def train_step(x, labels):
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    compiled = keras_model(keras, dtype)
    copy_weights(ours, compiled)
    compiled.compile(optimizer=keras.optimizers.Adam(LR), loss=loss_fn)
    return (lambda: train_step(X_nhwc, y_t).numpy()), (lambda: compiled.train_on_batch(X_nhwc, y_t)), compiled


# -- the documents' loops ------------------------------------------------------------------
def loop_step(ours: LeNet, X, y):
    """The same training step (without the update) with one loop per output, as the course
    documents write convolution and pooling (functional/naive.py); the FC layers and the
    softmax are the documents' matrix products. Returns (step, the gradients it computes)."""
    conv1, conv2 = ours.layers[0], ours.layers[3]
    fcs = [layer for layer in ours.layers if type(layer).__name__ == "FC"]

    def step():
        A1 = F.conv2d_naive_forward(X, conv1.W, conv1.B, 1, 2)
        Z1 = np.maximum(A1, 0)
        P1 = F.max_pool2d_naive_forward(Z1, 2)
        A2 = F.conv2d_naive_forward(P1, conv2.W, conv2.B, 1, 2)
        Z2 = np.maximum(A2, 0)
        P2 = F.max_pool2d_naive_forward(Z2, 2)
        h = [P2.reshape(len(X), -1)]
        for fc in fcs[:-1]:
            h.append(np.maximum(h[-1] @ fc.W + fc.B, 0))
        scores = h[-1] @ fcs[-1].W + fcs[-1].B
        E = np.exp(scores - scores.max(axis=1, keepdims=True))
        d = E / E.sum(axis=1, keepdims=True)
        d[np.arange(len(y)), y] -= 1
        d /= len(y)
        grads = []
        for k in range(len(fcs) - 1, -1, -1):  # FC backward, then ReLU's mask
            grads.append(h[k].T @ d)
            d = d @ fcs[k].W.T
            if k > 0:
                d = d * (h[k] > 0)
        d = F.max_pool2d_naive_backward(d.reshape(P2.shape), Z2, 2) * (A2 > 0)
        d, dW2, _ = F.conv2d_naive_backward(d, P1, conv2.W, 1, 2)
        d = F.max_pool2d_naive_backward(d, Z1, 2) * (A1 > 0)
        _, dW1, _ = F.conv2d_naive_backward(d, X, conv1.W, 1, 2)
        return grads[::-1] + [dW2, dW1]

    return step


def against_loops(X, y, n=2):
    """The loops at N=n against sprintlib's step (float64, no update) at N=n and N=128."""
    ours = LeNet("same", optimizer="sgd", dtype=np.float64, random_state=SEED,
                 verbose=False).build((1, 28, 28), 10)
    for layer in ours.layers:  # gradients only: the weights stay those the loops use
        layer.optimizer = None
    loops = loop_step(ours, X[:n], y[:n])
    # the same gradients, or the timing compares different work
    ours._forward(X[:n])
    ours.output.loss(y[:n])
    ours._backward(ours.output.backward(y[:n]))
    fcs = [layer for layer in ours.layers if type(layer).__name__ == "FC"]
    for g, layer in zip(loops(), fcs + [ours.layers[3], ours.layers[0]]):
        if not rel_error(g, layer.dW) < 1e-10:
            raise AssertionError(f"the loop version's dW of {layer!r} differs from sprintlib's")
    t = measure({"loops": loops, "small": sprintlib_step(ours, X[:n], y[:n]),
                 "batch": sprintlib_step(ours, X[:BATCH], y[:BATCH])})
    return [{"case": "training step (ms), documents' loops", "condition": c, "dtype": "float64", "N": n,
             "loops": 1e3 * t[c]["loops"], "sprintlib": 1e3 * t[c]["small"],
             "loops/sprintlib": t[c]["loops"] / t[c]["small"],
             "per image, sprintlib at N=128": (t[c]["loops"] / n) / (t[c]["batch"] / BATCH)} for c in CONDITIONS]


# -- timing ----------------------------------------------------------------------------------
def steps(tf, keras, X, y):
    """The training step of both libraries in both dtypes, all in the same rounds."""
    fns, models = {}, {}
    for dt in DTYPES:
        name = np.dtype(dt).name
        ours = sprintlib_model(dt)
        Xd = X[:BATCH].astype(dt)
        fns[f"sprintlib {name}"] = sprintlib_step(ours, Xd, y[:BATCH])
        fns[f"keras tf.function {name}"], fns[f"keras train_on_batch {name}"], models[name] = \
            keras_steps(tf, keras, dt, ours, Xd, y[:BATCH])
    t = measure(fns, number=10, warmup=3)
    rows, limits = [], []
    for c in CONDITIONS:
        keras_best = {}
        for dt in DTYPES:
            name = np.dtype(dt).name
            tf_fn, tob = t[c][f"keras tf.function {name}"], t[c][f"keras train_on_batch {name}"]
            keras_best[name] = (min(tf_fn, tob), "tf.function" if tf_fn <= tob else "train_on_batch")
        keras_f32 = (c, f"keras {keras_best['float32'][1]} float32")  # what each ratio divides by
        for dt, limit in zip(DTYPES, (LIMITS["lenet_float32"], LIMITS["lenet_float64"])):
            name = np.dtype(dt).name
            k, path = keras_best[name]
            ratio = t[c][f"sprintlib {name}"] / keras_best["float32"][0]
            rows.append({"case": "training step (ms)", "condition": c, "dtype": name, "N": BATCH,
                         "sprintlib": 1e3 * t[c][f"sprintlib {name}"], "keras": 1e3 * k, "keras path": path,
                         "keras f32": 1e3 * keras_best["float32"][0], "sprintlib/keras f32": ratio,
                         "limit": f"<= {limit}"})
            limits.append(limit_row(f"LeNet step {name}, batch {BATCH}", c, ratio, limit, "sprintlib / Keras float32",
                                    round_ratios(t, (c, f"sprintlib {name}"), keras_f32)))
    return rows, limits, models


def epochs(X, y, keras_models):
    """One epoch of fit on N_EPOCH images, float32, sprintlib and Keras taking turns."""
    Xd, yd = X[:N_EPOCH], y[:N_EPOCH]
    X_nhwc = Xd.transpose(0, 2, 3, 1).copy()
    model = keras_models["float32"]
    model.fit(X_nhwc[:2 * BATCH + 8], yd[:2 * BATCH + 8], batch_size=BATCH, epochs=1, verbose=0)  # trace
    fns = {"sprintlib": lambda: LeNet("same", epochs=1, batch_size=BATCH, lr=LR, dtype=np.float32,
                                      random_state=SEED, verbose=False).fit(Xd, yd),
           "keras": lambda: model.fit(X_nhwc, yd, batch_size=BATCH, epochs=1, verbose=0)}
    t = measure(fns)
    rows = [{"case": f"epoch of fit (s), {N_EPOCH:,} images", "condition": c, "dtype": "float32", "N": BATCH,
             "sprintlib": t[c]["sprintlib"], "keras": t[c]["keras"], "keras path": "fit",
             "sprintlib/keras f32": t[c]["sprintlib"] / t[c]["keras"], "limit": f"<= {LIMITS['lenet_float32']}"}
            for c in CONDITIONS]
    limits = [limit_row(f"LeNet epoch of fit, {N_EPOCH:,} images", r["condition"], r["sprintlib/keras f32"],
                        LIMITS["lenet_float32"], "sprintlib / Keras float32",
                        round_ratios(t, (r["condition"], "sprintlib"), (r["condition"], "keras"))) for r in rows]
    return rows, limits


def main():
    import keras
    import tensorflow as tf

    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)")
    if onednn == "0":
        print("!! TF_ENABLE_ONEDNN_OPTS=0: Keras runs without oneDNN, several times slower than "
              "its default; unset it for a fair comparison")
    (X, y), _ = load_mnist(flatten=False, dtype=np.float32)

    step_rows, step_limits, keras_models = steps(tf, keras, X, y)
    columns = ["case", "condition", "dtype", "N", "sprintlib", "keras", "keras path", "sprintlib/keras f32", "limit"]
    print_table("LeNet training step, batch 128 (ms): sprintlib / Keras float32", step_rows, columns)
    epoch_rows, epoch_limits = epochs(X, y, keras_models)
    print_table("One epoch of fit (s)", epoch_rows, columns)
    loop_rows = against_loops(X.astype(np.float64), y)
    print_table("The documents' loops / sprintlib", loop_rows,
                ["case", "condition", "dtype", "N", "loops", "sprintlib", "loops/sprintlib",
                 "per image, sprintlib at N=128"])
    write_json("lenet", step_rows + epoch_rows + loop_rows,
               {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__,
                "TF_ENABLE_ONEDNN_OPTS": onednn, "load_average_after": os.getloadavg()})
    return step_limits + epoch_limits


if __name__ == "__main__":
    main()
