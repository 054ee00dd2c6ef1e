"""ScratchClassifier: what every classifier of the sprints shares.

A subclass only says which layers it is made of (``_build``); training (``fit``
with mini-batches, a progress bar and a history), prediction, ``summary()`` and
saving weights (with the architecture they belong to, which loading checks) live
here once. The output is always softmax with cross-entropy.
"""
from __future__ import annotations

import json

import numpy as np
from tqdm.auto import tqdm

from .. import _checks, fast
from ..initializers import check_float_dtype, check_random_state, get_initializer
from ..layers.activations import ACTIVATIONS
from ..layers.base import model_chain
from ..losses import Softmax
from ..minibatch import GetMiniBatch
from ..optimizers import check_hyperparameter, get_optimizer


class ScratchClassifier:
    """Base classifier.

    Parameters
    ----------
    epochs : int
    batch_size : int
    optimizer : str or Optimizer  ("adam", "sgd", "momentum", "adagrad", "rmsprop")
    lr : float > 0, learning rate (ignored when ``optimizer`` is an instance; None: the
        optimizer's default)
    lr_decay : float in (0, 1], default 1 — the learning rate is multiplied by it after
        every epoch (epoch e trains with lr * lr_decay**e): large steps first, then small
        ones that settle the weights instead of jumping around the minimum
    initializer : str or Initializer  ("he", "xavier", "simple")
    random_state : int >= 0, None or a numpy Generator — fixes the initial weights and
        the batch order
    verbose : bool — a tqdm progress bar per epoch
    dtype : float64 (exact, for checking) or float32 (about twice as fast)

    Every argument is checked here, and fit checks all its data before it builds the
    layers: an error (ValueError, naming what was expected and what came) never leaves
    a trained model half replaced.
    """

    #: the constructor settings that decide the layers (a subclass lists its own); save_weights
    #: stores them, and load_weights refuses a file saved with other values
    layer_settings: tuple[str, ...] = ()
    #: the form of X, for the messages (a subclass: ("N", "C", "H", "W"), ...)
    X_form: tuple[str, ...] = ("N", "n_features")

    def __init__(self, epochs=10, batch_size=100, optimizer="adam", lr=0.001, initializer="he",
                 random_state=0, verbose=True, dtype=np.float64, lr_decay=1.0):
        # checked here, not at fit: a typo fails at once, before any training time is spent
        self.epochs = _checks.check_int(epochs, self.name, "epochs")
        self.batch_size = _checks.check_int(batch_size, self.name, "batch_size")
        self.lr = None if lr is None else check_hyperparameter(lr, self.name, "lr")
        self.optimizer = optimizer
        get_optimizer(optimizer, self.lr, owner=self.name)  # only to check the name
        self.initializer = initializer
        get_initializer(initializer, owner=self.name)  # only to check the name
        self.lr_decay = _checks.check_positive(lr_decay, self.name, "lr_decay")
        if self.lr_decay > 1:
            raise ValueError(f"{self.name} expects lr_decay to be a number in (0, 1], got {lr_decay!r}")
        self.random_state = check_random_state(random_state, self.name)
        self.verbose = _checks.check_bool(verbose, self.name, "verbose")
        self.dtype = check_float_dtype(dtype, self.name)
        self.layers = None
        self.history = None
        self._replica_models = ()  # the fast path's (fast/halves.py), for the layers of the last build

    @property
    def name(self) -> str:
        return type(self).__name__

    # -- what a subclass provides ------------------------------------------------------
    def _build(self, input_shape: tuple, n_classes: int, initializer, optimizer) -> list:
        """The layers, from the input (without the batch axis) to the n_classes scores."""
        raise NotImplementedError  # pragma: no cover

    # -- checks ----------------------------------------------------------------------
    def _check_samples(self, X, name: str, spec) -> np.ndarray:
        """X as a finite array of the model's dtype, of shape ``spec``, with at least one
        sample (on none, the means of the loss and the accuracy would be 0 / 0)."""
        return _checks.as_array(X, self.name, name, spec, self.dtype)

    def _check_X(self, X, name="X"):
        """X for a fitted model: the input shape it was built for, (N, *input_shape_)."""
        if self.layers is None:
            raise RuntimeError(f"{self.name} is not fitted yet: call fit(X, y) first")
        return self._check_samples(X, name, ("N",) + self.input_shape_)

    def _check_input_shape(self, input_shape) -> tuple:
        """``input_shape`` (no batch axis) as a tuple of sizes >= 1, of the length X_form says."""
        shape = tuple(input_shape)
        if len(shape) != len(self.X_form) - 1:
            raise ValueError(f"{self.name} expects X of shape {_checks.format_shape(self.X_form)}, "
                             f"got {_checks.format_shape(('N',) + shape)}")
        return tuple(_checks.check_int(s, self.name, "every size of X after N") for s in shape)

    def _check_fit_data(self, X, y, X_val, y_val):
        """All of fit's data, checked before anything is built: a failed fit must leave a
        trained model as it was. Returns (X, y, X_val, y_val, n_classes)."""
        # any sizes after N here: _check_input_shape then says which the model needs
        X = self._check_samples(X, "X", ("N",) + _given_shape(X)[1:])
        self._check_input_shape(X.shape[1:])  # (N, T, n_features) expected, got (N, 784)
        y = _checks.check_labels(y, self.name, n_samples=len(X))
        n_classes = max(int(y.max()) + 1, 2)
        if (X_val is None) != (y_val is None):
            given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
            raise ValueError(f"{self.name} expects X_val and y_val together, got {given} without {missing}")
        if X_val is not None:
            # the validation set is scored by the layers built for X, on the classes seen in y
            X_val = self._check_samples(X_val, "X_val", ("N",) + X.shape[1:])
            y_val = _checks.check_labels(y_val, self.name, n_classes, len(X_val), "y_val")
        return X, y, X_val, y_val, n_classes

    # -- training ------------------------------------------------------------------
    def build(self, input_shape, n_classes: int):
        """Create the layers for inputs of ``input_shape`` (no batch axis); fit calls this."""
        vars(self).update(self._new_state(input_shape, n_classes))
        return self

    def _new_state(self, input_shape, n_classes: int) -> dict:
        """Everything build sets (layers, optimizer, shapes), made without touching the model,
        so that build, fit and load_weights change it only once nothing can fail."""
        input_shape = self._check_input_shape(input_shape)
        n_classes = _checks.check_int(n_classes, self.name, "n_classes", minimum=2)
        rng = np.random.default_rng(self.random_state)
        initializer = get_initializer(self.initializer, random_state=rng, dtype=self.dtype)
        optimizer = get_optimizer(self.optimizer, self.lr)
        layers = self._build(input_shape, n_classes, initializer, optimizer)
        # Nothing uses the gradient with respect to the data: the first layer with
        # parameters skips it (for a first convolution, col2im and a matrix product)
        first = next((layer for layer in layers if layer.param_names), None)
        if first is not None:
            first.needs_input_grad = False
        return {"_rng": rng, "optimizer_": optimizer, "input_shape_": input_shape, "n_classes_": n_classes,
                "layers": layers, "output": Softmax(self.dtype), "_replica_models": ()}

    def fit(self, X, y, X_val=None, y_val=None):
        """Train on X (N, ...) with integer labels y (N,); records ``history`` per epoch:
        ``loss``, ``accuracy`` (on the training batches), ``val_loss``, ``val_accuracy``."""
        X, y, X_val, y_val, n_classes = self._check_fit_data(X, y, X_val, y_val)
        self.build(X.shape[1:], n_classes)
        self.history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
        lr = self.optimizer_.lr
        # the fast path's thread setting once for the whole run, not twice per layer and batch;
        # numpy's overflow warnings silenced: a run that overflows ends in _diverged's message
        try:
            with fast.layer_threads(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
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
        for b, (Xb, yb) in enumerate(bar):
            # the data was checked: NaN or inf now comes from the training itself (a layer's
            # weights or outputs, which inside the model are checked only where cheap)
            try:
                loss, correct = self._train_batch(Xb, yb)
            except _checks.NotFiniteError as exc:
                raise self._diverged("the loss became NaN or inf", epoch, b) from exc
            if not np.isfinite(loss):
                raise self._diverged(f"the loss became {loss}", epoch, b)
            total_loss += loss * len(yb)
            n_correct += correct
            n_seen += len(yb)
            bar.set_postfix(loss=f"{total_loss / n_seen:.4f}", acc=f"{n_correct / n_seen:.4f}", refresh=False)
        # the last update of the epoch has no loss after it to show an overflow: look at the weights
        if not all(np.isfinite(p).all() for layer in self.layers for p in layer.params().values()):
            raise self._diverged("the weights became NaN or inf", epoch, b)
        self.history["loss"].append(total_loss / n_seen)
        self.history["accuracy"].append(n_correct / n_seen)
        if X_val is not None:
            val_loss, val_acc = self.evaluate(X_val, y_val)
            self.history["val_loss"].append(val_loss)
            self.history["val_accuracy"].append(val_acc)
            bar.set_postfix(loss=f"{total_loss / n_seen:.4f}", acc=f"{n_correct / n_seen:.4f}",
                            val_loss=f"{val_loss:.4f}", val_acc=f"{val_acc:.4f}")
        bar.close()

    def _diverged(self, what: str, epoch: int, batch: int) -> FloatingPointError:
        return FloatingPointError(
            f"{self.name}.fit: {what} at epoch {epoch + 1}, batch {batch + 1}: the training "
            f"diverged (a smaller lr, or inputs scaled to [0, 1], usually helps)")

    def _train_batch(self, X, y) -> tuple[float, int]:
        """One step of fit: forward, loss, backward and update on the batch X (N, ...), y (N,).
        Returns (mean loss, number of right predictions). With the fast path on, the batch
        goes in two halves on two cores (fast/halves.py), with the same numbers."""
        if fast.enabled():
            with fast.layer_threads():  # the same BLAS threads all through the step (see fit)
                return fast.train_batch(self, X, y)
        return self._train_whole(X, y)

    def _train_whole(self, X, y) -> tuple[float, int]:
        """_train_batch on the whole batch: forward, the loss, backward (each layer updates
        its parameters at the end of its backward)."""
        Z = self._forward(X)
        loss = self.output.loss(y)
        self._backward(self.output.backward(y))
        return loss, int((Z.argmax(axis=1) == y).sum())

    def _forward(self, X):
        # the batch and every layer's output are the model's own, kept by the layers uncopied
        # (in predict, X is a slice of the caller's array, but no backward follows)
        with model_chain():
            for layer in self.layers:
                X = layer.forward(X)
        return self.output.forward(X)

    def _backward(self, dA):
        with model_chain():  # dA comes from the model's own loss and layers
            for layer in reversed(self.layers):
                dA = layer.backward(dA)
                if dA is None:  # the first layer with parameters: no layer before it needs dA
                    break
        return dA

    # -- prediction ------------------------------------------------------------------
    def predict_proba(self, X, batch_size: int = 500) -> np.ndarray:
        """Class probabilities (N, n_classes), computed in chunks to bound memory."""
        X = self._check_X(X)
        batch_size = _checks.check_int(batch_size, self.name, "batch_size")
        with fast.layer_threads():
            return np.concatenate([self._forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])

    def predict(self, X) -> np.ndarray:
        """Predicted labels (N,)."""
        return self.predict_proba(X).argmax(axis=1)

    def evaluate(self, X, y, batch_size: int = 500) -> tuple[float, float]:
        """(mean cross-entropy, accuracy) on X, y; the loss from the scores (Softmax.loss),
        which probabilities would cap where they underflow to 0."""
        X = self._check_X(X)
        y = _checks.check_labels(y, self.name, self.n_classes_, len(X))
        batch_size = _checks.check_int(batch_size, self.name, "batch_size")
        total_loss = n_correct = 0.0
        with fast.layer_threads():
            for i in range(0, len(X), batch_size):
                Z = self._forward(X[i:i + batch_size])
                total_loss += self.output.loss(y[i:i + batch_size]) * len(Z)
                n_correct += int((Z.argmax(axis=1) == y[i:i + batch_size]).sum())
        return total_loss / len(X), n_correct / len(X)

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

    def architecture(self) -> dict:
        """What the weights of this model mean, as save_weights stores it (JSON): the
        class, the settings of ``layer_settings``, the input shape, the number of classes,
        and each layer (its type, repr and parameter shapes)."""
        if self.layers is None:
            raise RuntimeError(f"{self.name} has no layers yet: call fit or build(input_shape, n_classes) first")
        return self._architecture(self.layers, self.input_shape_, self.n_classes_)

    def _class_and_settings(self) -> dict:
        settings = {k: getattr(self, k) for k in self.layer_settings}
        return _as_json({"model": self.name, "settings": settings})

    def _architecture(self, layers, input_shape, n_classes) -> dict:
        return {**self._class_and_settings(), **_as_json({
            "input_shape": input_shape, "n_classes": n_classes,
            "layers": [{"type": layer.name, "repr": repr(layer),
                        "params": {n: p.shape for n, p in layer.params().items()}} for layer in layers]})}

    def save_weights(self, path) -> None:
        """Every parameter into one .npz (keys ``<layer index>.<name>``), with the
        architecture (``__architecture__``, a JSON string) that load_weights checks."""
        arch = self.architecture()
        arrays = {f"{i}.{n}": p for i, layer in enumerate(self.layers) for n, p in layer.params().items()}
        np.savez(path, __architecture__=np.array(json.dumps(arch)), **arrays)

    def load_weights(self, path):
        """Take the weights of a file written by save_weights; returns self.

        The file must come from the same architecture: same class, same ``layer_settings``
        (a relu network's weights mean nothing in a tanh one, even when the shapes fit).
        All or nothing: the arrays are checked and copied into new layers, which the model
        takes only when every array fitted; after any error it is as it was, fitted or not.
        """
        saved, arrays = _read_weights(path, self.name)
        if saved["model"] != self.name:  # another class's input shape may not even build here
            raise ValueError(self._other_architecture(saved, path))
        try:
            state = self._new_state(saved["input_shape"], saved["n_classes"])
        except (ValueError, TypeError) as exc:  # settings under which the saved input does not fit
            raise ValueError(self._other_architecture(saved, path)) from exc
        ours = self._architecture(state["layers"], state["input_shape_"], state["n_classes_"])
        # a shape that differs says most about what differs; the file's own settings say why
        why = f" (the file holds {_describe(saved)})" if _describe(saved) != _describe(ours) else ""
        params = {f"{i}.{n}": p for i, layer in enumerate(state["layers"]) for n, p in layer.params().items()}
        for key, param in params.items():
            got = arrays.get(key)
            if got is None or got.shape != param.shape:
                got_text = "no such array" if got is None else _checks.format_shape(got.shape)
                raise ValueError(f"{self.name} expects {key} of shape {_checks.format_shape(param.shape)} "
                                 f"in {path}, got {got_text}{why}")
            _checks.check_finite(got, self.name, f"{key} in {path}")
            param[...] = got
        if _comparable(saved) != _comparable(ours) or arrays.keys() != params.keys():
            raise ValueError(self._other_architecture(saved, path, ours))
        vars(self).update(state)
        return self

    def _other_architecture(self, saved: dict, path, ours: dict | None = None) -> str:
        """The error for a file saved from another architecture, naming the difference."""
        ours = ours or self._class_and_settings()
        if _describe(saved) != _describe(ours):
            return f"{self.name} expects weights saved from {_describe(ours)}, got weights saved from {_describe(saved)} in {path}"
        # the same class and settings, but other layers: the file predates a change of the code
        return (f"{self.name} expects weights saved from {_describe(ours)} with layers {_layer_list(ours)}, "
                f"got layers {_layer_list(saved)} in {path}: save the weights again with this version")


def _given_shape(X) -> tuple:
    try:
        return np.shape(X)
    except ValueError:  # a ragged list: as_array says so in the project's words
        return ("N",)


def check_sizes(values, owner: str, name: str) -> tuple[int, ...]:
    """Layer sizes such as hidden_layer_sizes: a tuple (or list) of integers >= 1, maybe empty."""
    if not isinstance(values, (tuple, list)):
        raise ValueError(f"{owner} expects {name} to be a tuple of integers >= 1, got {values!r}")
    return tuple(_checks.check_int(v, owner, f"every entry of {name}") for v in values)


def check_activation(name, owner: str) -> str:
    """One of the names get_activation knows ("relu", "sigmoid", "tanh")."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"{owner} expects activation to be one of {', '.join(map(repr, ACTIVATIONS))}, got {name!r}")
    return name


def _as_json(value):
    """``value`` as it comes back from a file: tuples as lists (so that they compare equal)."""
    return json.loads(json.dumps(value))


def _describe(arch: dict) -> str:
    """``LeNet(padding='same')``: the class and its layer settings, as one would write them."""
    def show(v):
        return repr(tuple(v) if isinstance(v, list) else v)
    return f"{arch['model']}({', '.join(f'{k}={show(v)}' for k, v in arch['settings'].items())})"


def _comparable(arch: dict) -> dict:
    """The architecture without the layers' reprs: they are for the reader, and a repr
    may gain detail without the weights changing their meaning."""
    return {**arch, "layers": [{"type": l["type"], "params": l["params"]} for l in arch["layers"]]}


def _layer_list(arch: dict) -> str:
    return "[" + ", ".join(l["type"] for l in arch["layers"]) + "]"


def _is_architecture(saved) -> bool:
    """Whether ``saved`` (parsed JSON) has the form that save_weights writes."""
    return (isinstance(saved, dict) and {"model", "settings", "input_shape", "n_classes", "layers"} <= saved.keys()
            and isinstance(saved["settings"], dict) and isinstance(saved["layers"], list)
            and all(isinstance(l, dict) and {"type", "params"} <= l.keys() for l in saved["layers"]))


def _read_weights(path, owner: str) -> tuple[dict, dict]:
    """(architecture, {key: array}) of a file written by save_weights; a FileNotFoundError
    or ValueError that names the file and the remedy for anything else."""
    remedy = "write it with save_weights(path) of a fitted model"
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"{owner} expects a weights file, got no file at {path}: {remedy}") from None
    except Exception as exc:  # whatever np.load makes of a file that is not an .npz (an .npy, text, ...)
        raise ValueError(f"{owner} expects a .npz file written by save_weights, got {path}, "
                         f"which is not one ({type(exc).__name__}): {remedy}") from exc
    text = arrays.pop("__architecture__", None)
    try:
        saved = json.loads(str(text)) if text is not None and text.dtype.kind == "U" else None
    except ValueError:
        saved = None
    if not _is_architecture(saved):
        raise ValueError(f"{owner} expects a file written by save_weights, got {path} without a valid "
                         f"__architecture__ (another program's, or an older sprintlib's): {remedy}")
    return saved, arrays
