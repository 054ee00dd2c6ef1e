"""ScratchClassifier: what every classifier of the sprints shares.

A subclass only says which layers it is made of (``_build``); training (``fit``
with mini-batches, a progress bar and a history), prediction, ``summary()`` and
saving weights live here once. The output is always softmax with cross-entropy.
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .. import _checks
from ..initializers import get_initializer
from ..losses import Softmax, cross_entropy, one_hot
from ..minibatch import GetMiniBatch
from ..optimizers import get_optimizer


class ScratchClassifier:
    """Base classifier.

    Parameters
    ----------
    epochs : int
    batch_size : int
    optimizer : str or Optimizer  ("adam", "sgd", "momentum", "adagrad", "rmsprop")
    lr : float, learning rate (ignored when ``optimizer`` is an instance)
    lr_decay : float in (0, 1], default 1 — the learning rate is multiplied by it after
        every epoch (epoch e trains with lr * lr_decay**e): large steps first, then small
        ones that settle the weights instead of jumping around the minimum
    initializer : str or Initializer  ("he", "xavier", "simple")
    random_state : int or None — fixes the initial weights and the batch order
    verbose : bool — a tqdm progress bar per epoch
    dtype : float64 (exact, for checking) or float32 (about twice as fast)
    """

    def __init__(self, epochs=10, batch_size=100, optimizer="adam", lr=0.001, initializer="he",
                 random_state=0, verbose=True, dtype=np.float64, lr_decay=1.0):
        self.epochs = _checks.check_int(epochs, self.name, "epochs")
        self.batch_size = _checks.check_int(batch_size, self.name, "batch_size")
        self.optimizer, self.lr, self.initializer = optimizer, lr, initializer
        self.lr_decay = _checks.check_positive(lr_decay, self.name, "lr_decay")
        if self.lr_decay > 1:
            raise ValueError(f"{self.name} expects lr_decay to be a number in (0, 1], got {lr_decay!r}")
        self.random_state, self.verbose, self.dtype = random_state, verbose, np.dtype(dtype)
        self.layers = None
        self.history = None

    @property
    def name(self) -> str:
        return type(self).__name__

    # -- what a subclass provides ------------------------------------------------------
    def _build(self, input_shape: tuple, n_classes: int, initializer, optimizer) -> list:
        """The layers, from the input (without the batch axis) to the n_classes scores."""
        raise NotImplementedError  # pragma: no cover

    def _input_spec(self) -> tuple:
        return ("N",) + tuple(self.input_shape_)

    # -- training ------------------------------------------------------------------
    def _check_X(self, X, name="X"):
        if self.layers is None:
            raise RuntimeError(f"{self.name} is not fitted yet: call fit(X, y) first")
        return _checks.check_array(X, self.name, name, self._input_spec(), self.dtype)

    def build(self, input_shape, n_classes: int):
        """Create the layers for inputs of ``input_shape`` (no batch axis); fit calls this."""
        self._rng = np.random.default_rng(self.random_state)
        initializer = get_initializer(self.initializer, random_state=self._rng, dtype=self.dtype)
        optimizer = self.optimizer_ = get_optimizer(self.optimizer, self.lr)
        self.input_shape_ = tuple(int(s) for s in input_shape)
        self.n_classes_ = int(n_classes)
        self.layers = self._build(self.input_shape_, self.n_classes_, initializer, optimizer)
        # Nothing uses the gradient with respect to the data: the first layer with
        # parameters skips it (for a first convolution, col2im and a matrix product)
        first = next((layer for layer in self.layers if layer.param_names), None)
        if first is not None:
            first.needs_input_grad = False
        self.output = Softmax(self.dtype)
        return self

    def fit(self, X, y, X_val=None, y_val=None):
        """Train on X (N, ...) with integer labels y (N,); records ``history`` per epoch:
        ``loss``, ``accuracy`` (on the training batches), ``val_loss``, ``val_accuracy``."""
        X = np.asarray(X)
        if X.ndim < 2:
            raise ValueError(f"{self.name} expects X with a batch axis first, got shape {X.shape}")
        y = _checks.check_labels(y, self.name, n_samples=X.shape[0])
        self.build(X.shape[1:], max(int(y.max()) + 1, 2))
        X = self._check_X(X)
        if X_val is not None:
            X_val = self._check_X(X_val, "X_val")
            y_val = _checks.check_labels(y_val, self.name, self.n_classes_, X_val.shape[0], "y_val")
        self.history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
        lr = self.optimizer_.lr
        try:
            for epoch in range(self.epochs):
                self.optimizer_.lr = lr * self.lr_decay**epoch
                self._fit_epoch(X, y, X_val, y_val, epoch)
        finally:
            self.optimizer_.lr = lr  # an Optimizer passed in gets its learning rate back
        return self

    def _fit_epoch(self, X, y, X_val, y_val, epoch):
        """One pass over the shuffled mini-batches; appends to ``history``."""
        batches = GetMiniBatch(X, y, self.batch_size, seed=self._rng)
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{self.epochs}", disable=not self.verbose,
                   leave=True, unit="batch")
        total_loss = n_correct = n_seen = 0
        for Xb, yb in bar:
            Z = self._forward(Xb)
            loss = self.output.loss(yb)
            self._backward(self.output.backward(yb))
            total_loss += loss * len(yb)
            n_correct += int((Z.argmax(axis=1) == yb).sum())
            n_seen += len(yb)
            bar.set_postfix(loss=f"{total_loss / n_seen:.4f}", acc=f"{n_correct / n_seen:.4f}", refresh=False)
        self.history["loss"].append(total_loss / n_seen)
        self.history["accuracy"].append(n_correct / n_seen)
        if X_val is not None:
            val_loss, val_acc = self.evaluate(X_val, y_val)
            self.history["val_loss"].append(val_loss)
            self.history["val_accuracy"].append(val_acc)
            bar.set_postfix(loss=f"{total_loss / n_seen:.4f}", acc=f"{n_correct / n_seen:.4f}",
                            val_loss=f"{val_loss:.4f}", val_acc=f"{val_acc:.4f}")
        bar.close()

    def _forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return self.output.forward(X)

    def _backward(self, dA):
        for layer in reversed(self.layers):
            dA = layer.backward(dA)
            if dA is None:  # the first layer with parameters: no layer before it needs dA
                break
        return dA

    # -- prediction ------------------------------------------------------------------
    def predict_proba(self, X, batch_size: int = 500) -> np.ndarray:
        """Class probabilities (N, n_classes), computed in chunks to bound memory."""
        X = self._check_X(X)
        return np.concatenate([self._forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])

    def predict(self, X) -> np.ndarray:
        """Predicted labels (N,)."""
        return self.predict_proba(X).argmax(axis=1)

    def evaluate(self, X, y) -> tuple[float, float]:
        """(mean cross-entropy, accuracy) on X, y."""
        Z = self.predict_proba(X)
        y = _checks.check_labels(y, self.name, self.n_classes_, len(Z))
        return cross_entropy(Z, one_hot(y, self.n_classes_, Z.dtype)), float((Z.argmax(axis=1) == y).mean())

    def score(self, X, y) -> float:
        """Accuracy on X, y."""
        return self.evaluate(X, y)[1]

    # -- inspection and persistence --------------------------------------------------
    def summary(self, print_fn=print) -> int:
        """Print each layer's output shape and parameter count (as Keras does); returns the total."""
        if self.layers is None:
            raise RuntimeError(f"{self.name}.summary needs the layers: call fit or build(input_shape, n_classes) first")
        rows, shape = [], (None,) + self.input_shape_
        for i, layer in enumerate(self.layers):
            shape = layer.output_shape(shape)
            rows.append((f"{layer.name.lower()}_{i}", f"({', '.join('None' if s is None else str(s) for s in shape)})", layer.n_params))
        total = sum(r[2] for r in rows)
        line = "-" * 64
        print_fn(f'Model: "{self.name}"')
        print_fn(line)
        print_fn(f"{'Layer':<24}{'Output Shape':<26}{'Param #':>12}")
        print_fn("=" * 64)
        for r in rows:
            print_fn(f"{r[0]:<24}{r[1]:<26}{r[2]:>12,}")
        print_fn("=" * 64)
        print_fn(f"Total params: {total:,}")
        return total

    @property
    def n_params(self) -> int:
        return sum(layer.n_params for layer in self.layers)

    def save_weights(self, path) -> None:
        """Every parameter into one .npz (keys ``<layer index>.<name>``)."""
        if self.layers is None:
            raise RuntimeError(f"{self.name} has no weights yet: call fit first")
        arrays = {f"{i}.{n}": p for i, layer in enumerate(self.layers) for n, p in layer.params().items()}
        np.savez(path, __input_shape__=np.array(self.input_shape_), __n_classes__=self.n_classes_, **arrays)

    def load_weights(self, path):
        """Build the layers from the saved shapes and copy the saved weights in; returns self."""
        with np.load(path) as f:
            self.build(tuple(f["__input_shape__"]), int(f["__n_classes__"]))
            for i, layer in enumerate(self.layers):
                for n, p in layer.params().items():
                    saved = f[f"{i}.{n}"]
                    if saved.shape != p.shape:
                        raise ValueError(f"{self.name} expects {i}.{n} of shape {p.shape} in {path}, got {saved.shape}")
                    p[...] = saved
        return self
