"""`make demo`: train a 784-400-200-10 network on MNIST, print the test accuracy,
and write the learning curve to output/."""
from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen needed

import numpy as np  # noqa: E402

from sprintlib.data import load_mnist  # noqa: E402
from sprintlib import ScratchDeepNeuralNetworkClassifier  # noqa: E402
from sprintlib.plotting import plot_learning_curve  # noqa: E402


def main(out_dir: str = "output") -> float:
    (X_train, y_train), (X_test, y_test) = load_mnist(dtype=np.float32)
    # the last 10,000 training images are held out to watch for over-fitting
    X_tr, y_tr, X_val, y_val = X_train[:50000], y_train[:50000], X_train[50000:], y_train[50000:]
    model = ScratchDeepNeuralNetworkClassifier(
        hidden_layer_sizes=(400, 200), activation="relu", initializer="he",
        optimizer="adam", lr=1e-3, epochs=10, batch_size=200, random_state=0, dtype=np.float32,
    )
    print("Training a 784-400-200-10 ReLU network on MNIST (Adam, lr=1e-3, batch 200, float32)")
    start = time.perf_counter()
    model.fit(X_tr, y_tr, X_val, y_val)
    seconds = time.perf_counter() - start
    accuracy = model.score(X_test, y_test)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    fig = plot_learning_curve(model.history, title="784-400-200-10 on MNIST")
    path = Path(out_dir) / "learning_curve.png"
    fig.savefig(path, dpi=100)
    print(f"trained {model.epochs} epochs in {seconds:.1f} s")
    print(f"test accuracy: {accuracy:.2%}")
    print(f"learning curve written to {path}")
    return accuracy


if __name__ == "__main__":
    main()
