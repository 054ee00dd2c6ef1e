"""The LeNet notebook's Keras comparison, recorded: how data/keras/keras_lenet.json was made.

    python -m sprintlib.keras_lenet                   # -> data/keras/keras_lenet.json (needs TensorFlow)
    python -m sprintlib.keras_lenet --out mine.json   # a run of your own -> data/keras/mine.json

A student's LeNet notebook of the course documents ("lenet構成のCNN") compared its NumPy
network with the same LeNet in Keras, compiled with ``SGD(lr=0.01, decay=0.0, momentum=1.0)``.
With momentum 1.0 the velocity never forgets a gradient, and that network does not learn.
This module trains the documents' Keras LeNet ('same' padding, 107,786 parameters) with that
momentum and with 0.9, the usual value, on the same images, and records the loss and accuracy
of every epoch with the versions, the date and the command. Sprint 3's notebook shows the
record (``show``) where TensorFlow is missing, as on Binder; ``run`` needs TensorFlow and is
never called by a graded cell. tests/test_keras_lenet.py checks that the shipped record is
what ``run`` gives (its first epoch, rerun).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

#: the recorded run: the first n_train training images, the first n_test test images
SETTINGS = dict(n_train=6000, n_test=2000, epochs=6, batch_size=64, learning_rate=0.01, momenta=[0.9, 1.0], seed=0)
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "keras" / "keras_lenet.json"
COMMAND = "python -m sprintlib.keras_lenet"
#: what each epoch of a run records
CURVES = ("loss", "accuracy", "test_loss", "test_accuracy")


def keras_lenet(tf):
    """The documents' Keras LeNet: 'same' padding, ReLU, max pooling, softmax (107,786 parameters)."""
    return tf.keras.Sequential([
        tf.keras.Input((28, 28, 1)),
        tf.keras.layers.Conv2D(6, 5, padding="same", activation="relu"),
        tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Conv2D(16, 5, padding="same", activation="relu"),
        tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(120, activation="relu"),
        tf.keras.layers.Dense(84, activation="relu"),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])


def run(n_train=6000, n_test=2000, epochs=6, batch_size=64, learning_rate=0.01, momenta=(0.9, 1.0), seed=0) -> dict:
    """Train the Keras LeNet once per momentum (plain SGD with that momentum) and return the
    record: the settings, each run's per-epoch curves (CURVES), the versions and the date.
    Needs TensorFlow; the same seed and settings give the same numbers on the same machine
    (TensorFlow's deterministic ops are switched on)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # without TensorFlow's start-up messages
    try:
        import tensorflow as tf
    except ImportError as error:
        raise ImportError("sprintlib.keras_lenet.run needs TensorFlow (pip install tensorflow-cpu); "
                          "without it, sprintlib.keras_lenet.show() shows the recorded run") from error
    from sprintlib.data import load_mnist

    (X, y), (X_test, y_test) = load_mnist(flatten=False, dtype=np.float32)
    X, y = X[:n_train].transpose(0, 2, 3, 1), y[:n_train]  # Keras wants (N, H, W, C)
    X_test, y_test = X_test[:n_test].transpose(0, 2, 3, 1), y_test[:n_test]
    tf.config.experimental.enable_op_determinism()
    runs, start = [], time.perf_counter()
    for momentum in momenta:
        tf.keras.utils.set_random_seed(seed)
        model = keras_lenet(tf)
        model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        fitted = model.fit(X, y, batch_size=batch_size, epochs=epochs, validation_data=(X_test, y_test), verbose=0)
        h = fitted.history
        runs.append({"momentum": float(momentum), "loss": h["loss"], "accuracy": h["accuracy"],
                     "test_loss": h["val_loss"], "test_accuracy": h["val_accuracy"]})
        params = int(model.count_params())
    for r in runs:
        for name in CURVES:
            r[name] = [round(float(v), 6) for v in r[name]]
    return {"settings": dict(n_train=n_train, n_test=n_test, epochs=epochs, batch_size=batch_size,
                             learning_rate=learning_rate, momenta=[float(m) for m in momenta], seed=seed),
            "parameters": params, "runs": runs,
            "seconds": round(time.perf_counter() - start, 1),
            "tensorflow": tf.__version__, "keras": tf.keras.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "date": datetime.date.today().isoformat(), "command": COMMAND}


def resolve(path) -> Path:
    """``path``, where a bare file name ("mine.json") means that file in data/keras/."""
    path = Path(path)
    return DEFAULT_OUT.parent / path if not path.is_absolute() and len(path.parts) == 1 else path


def load(path=DEFAULT_OUT) -> dict:
    """The record in ``path`` (default: the shipped one; a bare file name is one in data/keras/),
    its structure checked."""
    path = resolve(path)
    if not path.is_file():
        raise FileNotFoundError(f"the Keras record {path} is missing: restore it from the repository "
                                f"(git checkout -- data/keras) or make it again with `{COMMAND}` (needs TensorFlow)")
    record = json.loads(path.read_text())
    missing = [k for k in ("settings", "runs", "parameters", "tensorflow", "date", "command") if k not in record]
    if missing:
        raise ValueError(f"the Keras record {path}: expected the keys settings, runs, parameters, tensorflow, "
                         f"date, command; {missing} missing")
    epochs = record["settings"]["epochs"]
    for r in record["runs"]:
        wrong = {name: len(r.get(name, [])) for name in CURVES if len(r.get(name, [])) != epochs}
        if wrong:
            raise ValueError(f"the Keras record {path}, momentum {r.get('momentum')}: expected {epochs} values "
                             f"(one an epoch) of each of {', '.join(CURVES)}; got {wrong}")
    return record


def table(record: dict) -> str:
    """One line an epoch and run: training loss and accuracy, then on the test images."""
    s = record["settings"]
    lines = [f"Keras LeNet ({record['parameters']:,} parameters), SGD learning rate {s['learning_rate']}, "
             f"batch {s['batch_size']}, {s['n_train']:,} training images, {s['n_test']:,} test images",
             f"recorded {record['date']} with TensorFlow {record['tensorflow']} by `{record['command']}`",
             "",
             f"{'momentum':>8} {'epoch':>5} {'loss':>8} {'accuracy':>9} {'test loss':>10} {'test accuracy':>14}"]
    for r in record["runs"]:
        for e in range(s["epochs"]):
            lines.append(f"{float(r['momentum'])!s:>8} {e + 1:>5} {r['loss'][e]:>8.4f} {r['accuracy'][e]:>9.2%} "
                         f"{r['test_loss'][e]:>10.4f} {r['test_accuracy'][e]:>14.2%}")
    return "\n".join(lines)


def plot(record: dict, title: str = "LeNet in Keras: SGD with momentum 0.9 and 1.0"):
    """Loss and accuracy per epoch, one colour a momentum (solid: training, dashed: test images)."""
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = np.arange(1, record["settings"]["epochs"] + 1)
    for r, colour in zip(record["runs"], ("tab:blue", "tab:red", "tab:green", "tab:orange")):
        for ax, name in ((ax_loss, "loss"), (ax_acc, "accuracy")):
            ax.plot(epochs, r[name], "o-", color=colour, label=f"momentum {float(r['momentum'])}, training")
            ax.plot(epochs, r[f"test_{name}"], "s--", color=colour, label=f"momentum {float(r['momentum'])}, test")
    ax_loss.axhline(np.log(10), color="grey", lw=0.8, ls=":", label="ln 10 (chance)")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1))
    for ax in (ax_loss, ax_acc):
        ax.set_xticks(epochs)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.07, 1, 1))  # room below for one legend of both plots
    fig.legend(*ax_loss.get_legend_handles_labels(), loc="lower center", ncol=5, fontsize=8, frameon=False)
    return fig


def show(record: dict | None = None):
    """Print the table and draw the plot of ``record`` (default: the shipped one)."""
    record = load() if record is None else record
    print(table(record))
    return plot(record)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"default: {DEFAULT_OUT}; a bare file name is written to data/keras/")
    parser.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    args = parser.parse_args(argv)
    out = resolve(args.out)
    record = run(**{**SETTINGS, "epochs": args.epochs})
    if args.epochs != SETTINGS["epochs"]:
        record["command"] = f"{COMMAND} --epochs {args.epochs}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(table(record))
    print(f"{record['seconds']:.0f} s; written to {out}")
    return record


if __name__ == "__main__":
    main()
