"""`make demo`'s training, quiet and with one core busy: how much a shared machine slows it.

The demo (sprintlib/demo.py) trains a 784-400-200-10 ReLU network (Adam 1e-3, batch 200,
float32) for 10 epochs on 50,000 images, validating on 10,000 after each. Timed here: one
epoch of the same model on 10,000 images, validating on 2,000 (the same batches and the
same share of validation, a fifth of the demo's epoch), the model built anew each time;
Keras's same network (``model.fit``, one epoch, the same validation) for reference. The
median of interleaved rounds, quiet and busy (benchmarks/_timing.py).

    python -m benchmarks demo      # -> output/bench/demo.json

Target: sprintlib's training at most 1.3x slower with one core busy than quiet.
"""
from __future__ import annotations

import numpy as np

from sprintlib import ScratchDeepNeuralNetworkClassifier
from sprintlib.data import load_mnist

from ._timing import CONDITIONS, limit_row, measure, print_table, round_ratios, write_json

N_TRAIN, N_VAL, BATCH = 10_000, 2_000, 200


def sprintlib_epoch(X, y, X_val, y_val):
    def run():
        ScratchDeepNeuralNetworkClassifier(
            hidden_layer_sizes=(400, 200), activation="relu", initializer="he", optimizer="adam", lr=1e-3,
            epochs=1, batch_size=BATCH, random_state=0, verbose=False, dtype=np.float32,
        ).fit(X, y, X_val, y_val)
    return run


def keras_epoch(X, y, X_val, y_val):
    import keras

    L = keras.layers
    model = keras.Sequential([keras.Input((784,)), L.Dense(400, activation="relu"),
                              L.Dense(200, activation="relu"), L.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(X[:2 * BATCH], y[:2 * BATCH], batch_size=BATCH, epochs=1, verbose=0,
              validation_data=(X_val[:BATCH], y_val[:BATCH]))  # trace
    return lambda: model.fit(X, y, batch_size=BATCH, epochs=1, verbose=0, validation_data=(X_val, y_val))


def main():
    (X, y), _ = load_mnist(dtype=np.float32)
    data = (X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:N_TRAIN + N_VAL], y[N_TRAIN:N_TRAIN + N_VAL])
    t = measure({"sprintlib": sprintlib_epoch(*data), "keras": keras_epoch(*data)})
    rows = [{"case": f"DNN 784-400-200-10 epoch (s), {N_TRAIN:,} + {N_VAL:,} images", "condition": c,
             "sprintlib": t[c]["sprintlib"], "keras": t[c]["keras"],
             "sprintlib/keras": t[c]["sprintlib"] / t[c]["keras"],
             "busy/quiet": t[c]["sprintlib"] / t["quiet"]["sprintlib"],
             "keras busy/quiet": t[c]["keras"] / t["quiet"]["keras"]} for c in CONDITIONS]
    print_table("make demo's training: one epoch, quiet and with one core busy (target: busy/quiet <= 1.3)",
                rows, ["case", "condition", "sprintlib", "keras", "sprintlib/keras", "busy/quiet", "keras busy/quiet"])
    write_json("demo", rows, {"target_busy_over_quiet": 1.3})
    return [limit_row("make demo's training", "busy / quiet", rows[1]["busy/quiet"], 1.3,
                       "sprintlib busy / sprintlib quiet", round_ratios(t, ("busy", "sprintlib"), ("quiet", "sprintlib")))]


if __name__ == "__main__":
    main()
