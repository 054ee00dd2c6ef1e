"""How a layer is checked: relative error, numerical gradients, and TensorFlow.

The checks are generic: any object with ``forward(X)``, ``backward(dA)``,
``param_names`` and ``d<name>`` gradients can be checked, a student's layer as well
as sprintlib's. TensorFlow is imported only inside ``check_against_tf``, so the rest
of this module (used by the graded notebooks) never loads it.
"""
from __future__ import annotations

import contextlib

import numpy as np


def rel_error(x, y) -> float:
    """Relative error ``||x - y|| / (||x|| + ||y||)`` (0 when both are 0).

    A norm rather than an element-wise maximum, so that an entry which is zero up to
    rounding (1e-17 against -1e-17) does not count as a 100% error.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error expects arrays of the same shape, got {x.shape} and {y.shape}")
    denom = np.linalg.norm(x) + np.linalg.norm(y)
    return 0.0 if denom == 0 else float(np.linalg.norm(x - y) / denom)


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every entry of x.

    ``f`` takes no argument and reads ``x``, which is perturbed in place and restored.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: writing flat writes x
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f()
        flat[i] = old - h
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * h)
    return grad


class _KeepWeights:
    """An optimizer that changes nothing (like the students' optimizers in the sprints, update returns the layer)."""

    def update(self, layer):
        return layer


@contextlib.contextmanager
def keep_weights(layer, names=None):
    """While a layer is checked, backward computes gradients but the weights stay put.

    Its optimizer is swapped for one that changes nothing (a student's backward may call
    ``self.optimizer.update(self)`` whatever the optimizer), and the parameters ``names``
    (default: ``layer.param_names``) are restored at the end, in case backward changed
    them itself.
    """
    names = getattr(layer, "param_names", ()) if names is None else names
    # a copy of each array (backward may change it in place), anything else as it is
    saved_params = {n: _copy_of(v) for n, v in _present(layer, names).items()}
    had_optimizer, saved = hasattr(layer, "optimizer"), getattr(layer, "optimizer", None)
    layer.optimizer = _KeepWeights()
    try:
        yield
    finally:
        if had_optimizer:
            layer.optimizer = saved
        else:
            del layer.optimizer
        for n, value in saved_params.items():
            setattr(layer, n, value)


def _present(layer, names) -> dict:
    """{name: value} of the attributes ``names`` that the layer has (reading one may fail)."""
    found = {}
    for n in names:
        try:
            found[n] = getattr(layer, n)
        except Exception:  # missing, or a property that raises: nothing to restore
            pass
    return found


def _copy_of(value):
    return np.array(value, copy=True, subok=True) if isinstance(value, np.ndarray) else value


def random_input(x, seed: int = 0) -> np.ndarray:
    """``x`` as a float64 array, or a random normal one when ``x`` is a shape tuple."""
    if isinstance(x, tuple):
        return np.random.default_rng(seed).standard_normal(x)
    return np.array(x, dtype=np.float64)


def _compare(results: dict, tol: float, what: str) -> dict:
    errors = {k: rel_error(a, b) for k, (a, b) in results.items()}
    bad = {k: e for k, e in errors.items() if not e < tol}
    if bad:
        detail = ", ".join(f"{k}: {e:.2e}" for k, e in errors.items())
        raise AssertionError(f"{what}: relative error above {tol:g} in {sorted(bad)} ({detail})")
    return errors


def layer_gradients(layer, X, dA=None, seed: int = 0):
    """Run forward and backward once; returns (A, dA, {"X": dX, "W": dW, ...})."""
    with keep_weights(layer):
        A = layer.forward(X)
        if dA is None:
            dA = np.random.default_rng(seed + 1).standard_normal(A.shape)
        dX = layer.backward(dA)
    grads = {"X": dX}
    grads.update({n: getattr(layer, "d" + n) for n in layer.param_names})
    return A, dA, grads


def check_numerical_gradients(layer, x, dA=None, tol: float = 1e-7, h: float = 1e-5, seed: int = 0) -> dict:
    """Compare ``backward`` with central differences of ``sum(forward(X) * dA)``.

    ``x`` is an input array or a shape (then a random normal input is made).
    Checks dX and the gradient of every parameter; returns {name: relative error}.
    """
    X = random_input(x, seed)
    _, dA, grads = layer_gradients(layer, X, dA, seed)
    numerical = layer_numerical_gradients(layer, X, dA, layer.param_names, h)
    results = {name: (grads[name], numerical[name]) for name in numerical}
    return _compare(results, tol, f"{layer!r} against numerical gradients")


def layer_numerical_gradients(layer, X, dA, names, h: float = 1e-5) -> dict:
    """Central differences of ``sum(forward(X) * dA)`` with respect to X and to each
    parameter in ``names``: {"X": ..., "W": ..., ...}. X and the parameters are perturbed
    in place and restored."""
    def loss():  # a copy of X each time: a forward that writes into its input changes only that
        return float(np.sum(layer.forward(X.copy()) * dA))

    gradients = {"X": numerical_gradient(loss, X, h)}
    gradients.update({n: numerical_gradient(loss, getattr(layer, n), h) for n in names})
    return gradients


def check_against_tf(layer, tf_fn, x, dA=None, tol: float = 1e-7, seed: int = 0, tf_params=None) -> dict:
    """Check a layer's forward and backward against a TensorFlow function.

    Parameters
    ----------
    layer : object with forward, backward, param_names (float64)
    tf_fn : callable ``tf_fn(X, **params) -> output``
        Takes TensorFlow tensors in *the layer's* layouts (NCHW, ``W`` of shape
        ``(C_out, C_in, FH, FW)``...) and transposes inside as TensorFlow needs, so that
        GradientTape returns gradients in the layer's layouts.
    x : ndarray or shape tuple
        The input, or its shape (a random normal input is made).
    dA : upstream gradient, random normal by default.
    tf_params : dict {name: variable} or None
        The TensorFlow variables that ``tf_fn`` reads for each parameter, when it owns
        them (a Keras layer's weights: ``{"W_x": rnn.cell.kernel, ...}``). The layer's
        values are assigned to them before the tape starts, and the gradients are taken
        with respect to them. ``None`` (default): new ``tf.Variable`` s are made.

    The loss is ``sum(output * dA)``, whose gradient with respect to the output is dA.
    Raises AssertionError naming each quantity whose relative error is >= tol;
    returns {"forward": e, "X": e, "W": e, ...}.
    """
    import tensorflow as tf

    X = random_input(x, seed)
    A, dA, grads = layer_gradients(layer, X, dA, seed)
    X_t = tf.Variable(X, dtype=tf.float64)
    if tf_params is None:
        params_t = {n: tf.Variable(np.asarray(getattr(layer, n), dtype=np.float64)) for n in layer.param_names}
    else:
        params_t = {n: tf_params[n] for n in layer.param_names}
        for n, v in params_t.items():
            v.assign(np.asarray(getattr(layer, n), dtype=np.float64))  # before the tape: not differentiated
    with tf.GradientTape() as tape:
        A_t = tf_fn(X_t, **params_t)
        loss = tf.reduce_sum(A_t * tf.constant(dA, dtype=tf.float64))
    tf_grads = tape.gradient(loss, [X_t] + list(params_t.values()))
    results = {"forward": (A, A_t.numpy())}
    for name, g in zip(["X"] + list(params_t), tf_grads):
        results[name] = (grads[name], np.zeros_like(grads[name]) if g is None else tf.convert_to_tensor(g).numpy())
    return _compare(results, tol, f"{layer!r} against TensorFlow")
