"""Train LeNet('same') on MNIST and save its weights: how data/weights/lenet_same.npz was made.

    python -m sprintlib.train_lenet                      # -> data/weights/lenet_same.npz
    python -m sprintlib.train_lenet --out other.npz

The run is the one tests/test_training.py checks (``SETTINGS``, fixed seeds): the first
55,000 training images, the last 5,000 as validation, float32. The notebooks load the
file with ``LeNet(dtype=np.float32).load_weights(path)``; tests/test_models_cnn.py checks
its accuracy on the test images.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sprintlib.data import load_mnist
from sprintlib import LeNet

#: the hyper-parameters of the saved weights and of tests/test_training.py
SETTINGS = dict(padding="same", epochs=6, batch_size=64, optimizer="adam", lr=2e-3, lr_decay=0.6,
                initializer="he", random_state=0, dtype=np.float32)
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "weights" / "lenet_same.npz"
N_TRAIN = 55000  # the rest of the 60,000 training images is the validation set


def train(verbose: bool = True, **overrides) -> tuple[LeNet, float, float]:
    """(trained model, test accuracy, training seconds) with SETTINGS (and any overrides)."""
    (X, y), (X_test, y_test) = load_mnist(flatten=False, dtype=np.float32)
    model = LeNet(**{**SETTINGS, **overrides}, verbose=verbose)
    start = time.perf_counter()
    model.fit(X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:])
    seconds = time.perf_counter() - start
    return model, model.score(X_test, y_test), seconds


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    settings = ", ".join(f"{k}={getattr(v, '__name__', v)}" for k, v in SETTINGS.items())
    print(f"Training LeNet on MNIST ({settings})")
    model, accuracy, seconds = train(verbose=not args.quiet)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(args.out)
    print(f"validation accuracy per epoch: {', '.join(f'{a:.2%}' for a in model.history['val_accuracy'])}")
    print(f"trained {model.epochs} epochs in {seconds:.0f} s; test accuracy {accuracy:.2%}")
    print(f"weights written to {args.out}")
    return accuracy


if __name__ == "__main__":
    main()
