# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Sprint 3 — LeNet in NumPy (lenet構成のCNN)
#
# LeNet-5 stacks the layers of sprint 2 into a network that reads handwritten digits:
#
# ```
# Conv(6 filters, 5x5) -> ReLU -> MaxPool(2x2, stride 2)
# -> Conv(16 filters, 5x5) -> ReLU -> MaxPool(2x2, stride 2) -> Flatten
# -> FC(120) -> ReLU -> FC(84) -> ReLU -> FC(10) -> softmax with cross-entropy
# ```
#
# | problem | points |
# | --- | --- |
# | 1. LeNet: build it, forward, backward (lenet構成のCNN) | 6 |
# | 2. Its summary: output shape and parameter count of every layer (パラメータ数) | 2 |
# | 3. Train it on MNIST (学習) | 2 |
# | Written question: 'same' or 'valid' padding | 2 (graded by hand) |
# | Optional, not graded: the same network in Keras (Kerasのmnist) | 0 |
#
# **The course document** behind this sprint is a student's notebook, "lenet構成のCNN" (LeNet
# in NumPy, with a comparison in Keras), which builds on the layer code of the book "Deep
# Learning from Scratch" (『ゼロから作るDeep Learning』). You do not need it: where it gives a
# value, this notebook quotes it, and where it is wrong, it says so and gives the correct value.
#
# The layers come from `sprintlib`, the model answers of the earlier sprints: `Conv2d`,
# `MaxPool2D`, `Flatten`, `FC`, `ReLU`, `Softmax`, the optimizers and the initializers. This
# sprint is about putting them together. `Conv2d`, `MaxPool2D` and `Flatten` are sprint 2's
# model answers: this sprint opens once they are released, and come with your copy of the
# course (`git pull`); the cell below prints whose each one is. If it says "not released yet",
# your copy is older than the release: the tests compare your LeNet with sprintlib's, which
# needs them. Each problem has a visible test that prints what it
# checks; when you hand the notebook in, hidden tests repeat the checks on random weights,
# paddings and batch sizes, against sprintlib's `LeNet`.
#
# **Your own sprint 2 classes instead?** Paste them at the top of Problem 1's answer cell, above
# `ScratchLeNet` (they then replace sprintlib's from there on). Put them there, not in a cell of
# your own: when the notebook is graded, only the answer cells are taken from it, and a cell you
# added does not run (`ScratchLeNet` then fails with a NameError). Your classes need not take
# `dtype`: pass it only to sprintlib's layers. Your own layers written with loops fit the graded
# cells' time: the times are before the training run, below.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

import sprintlib
from sprintlib import FC, Adam, Conv2d, Flatten, HeInitializer, MaxPool2D, ReLU, Softmax
from sprintlib.data import load_mnist
from sprintlib.grading import autograding

print(sprintlib.where_from(Conv2d, MaxPool2D, Flatten))  # sprint 2's layers: sprintlib's, or yours
np.set_printoptions(precision=6, suppress=True)
#: a LeNet ('same') trained on MNIST for 6 epochs, 99.07% on the test set (data/weights/README.md)
WEIGHTS = Path(sprintlib.__file__).resolve().parents[1] / "data" / "weights" / "lenet_same.npz"

# (60000, 1, 28, 28), pixels in [0, 1]; float32 halves the memory (the float64 layers convert what they get)
(X_train, y_train), (X_test, y_test) = load_mnist(flatten=False, dtype=np.float32)


def side_by_side(name, got, expected, part=None):
    """Print the expected values above yours (the check after it says whether they agree).
    ``part``: what to show of both (``lambda a: a[0]``...); when it cannot be taken of yours
    (a forward that returned None...), the line says so and the check after it says why."""
    expected = np.asarray(expected) if part is None else part(np.asarray(expected))
    try:
        yours = np.array2string(np.asarray(got if part is None else part(np.asarray(got))), prefix="  yours:    ")
    except Exception as exc:  # noqa: BLE001 (the student's value: anything can go wrong)
        yours = f"(nothing to show: {type(exc).__name__}: {exc})"
    print(f"{name}\n  expected: {np.array2string(expected, prefix='  expected: ')}\n  yours:    {yours}")


# %% [markdown]
# ## Problem 1 — LeNet (lenet構成のCNN)
#
# Write `ScratchLeNet`. Its `__init__` builds `self.layers`, a list of the **12 layers in this
# order** (the tests walk through it and give the layers with weights the reference's weights):
#
# | # | layer | output, `padding="same"` | output, `padding="valid"` | parameters ('same' / 'valid') |
# | --- | --- | --- | --- | --- |
# | 0 | `Conv2d(1, 6, 5, stride=1, pad=2 or 0)` | (6, 28, 28) | (6, 24, 24) | 156 |
# | 1 | `ReLU()` | (6, 28, 28) | (6, 24, 24) | 0 |
# | 2 | `MaxPool2D(2)` | (6, 14, 14) | (6, 12, 12) | 0 |
# | 3 | `Conv2d(6, 16, 5, stride=1, pad=2 or 0)` | (16, 14, 14) | (16, 8, 8) | 2,416 |
# | 4 | `ReLU()` | (16, 14, 14) | (16, 8, 8) | 0 |
# | 5 | `MaxPool2D(2)` | (16, 7, 7) | (16, 4, 4) | 0 |
# | 6 | `Flatten()` | (784,) | (256,) | 0 |
# | 7 | `FC(784 or 256, 120)` | (120,) | (120,) | 94,200 / 30,840 |
# | 8 | `ReLU()` | (120,) | (120,) | 0 |
# | 9 | `FC(120, 84)` | (84,) | (84,) | 10,164 |
# | 10 | `ReLU()` | (84,) | (84,) | 0 |
# | 11 | `FC(84, 10)` | (10,) | (10,) | 850 |
#
# (every shape after the batch axis N; totals 107,786 for 'same', 44,426 for 'valid'.
# "lenet構成のCNN" builds the 'same' one: it counts 107,786 parameters, and so does its Keras
# summary.) Pass `initializer`, `optimizer` and `dtype` on to every layer with weights
# (`Conv2d(..., initializer, optimizer, dtype)`, `FC(n1, n2, initializer, optimizer, dtype)`;
# the others take `dtype=dtype`).
#
# Then:
#
# - `forward(X)`: `X (N, 1, 28, 28)` through every layer → class scores `(N, 10)` (before the softmax);
# - `loss(X, y)`: the mean cross-entropy of the softmax of `forward(X)` against labels `y (N,)`
#   (use sprintlib's `Softmax`: `forward(A)`, then `loss(y)`);
# - `backward(y)`, called after `loss(X, y)`: the softmax's gradient back through the layers
#   in reverse order; returns `dX (N, 1, 28, 28)`. Each layer with weights fills its `dW`, `dB`
#   and, when it has an optimizer, updates its weights;
# - `predict(X)`: labels `(N,)`.
#
# **What the tests use.** Your LeNet with both paddings, on batches of 1 to 5 images; its
# forward and backward against sprintlib's `LeNet` with the shipped trained weights and with
# random ones (copied into your layers by `give_weights`, below); the loss, `dX`, and `dW`,
# `dB` of every layer with weights. The visible tests show each kind; the hidden ones draw
# more. Name your classes as you like (the `Convolution` of "lenet構成のCNN" is as good as `Conv2d`):
# the tests read only what this problem fixes, `self.layers` in the order of the table, each
# layer's `forward` and `backward`, and `W`, `B`, `dW`, `dB` (or `dw`, `db`) of the layers with
# weights.
#
# > **If you write your own convolution instead**, as "lenet構成のCNN" did: its `Convolution`
# > computes `col @ W` with `col` from im2col, a matrix whose rows run over (n, out_h, out_w), and
# > then reshapes the product straight to `(N, C, out_h, out_w)`. That mixes the channels and
# > the pixels up: reshape to `(N, out_h, out_w, C)` and transpose to `(N, C, out_h, out_w)`.
# > Its weights are `(filter_h * filter_w * C_in, C_out)`; sprintlib's are `(C_out, C_in, FH, FW)`,
# > the layout the tests give your layers. Its `gradient()` method also reads
# > `self.lastLayer` and `self.layers.values()`, attributes of the book's network that its
# > LeNet does not have, so its gradient check never ran.

# %% nbgrader={"grade": false, "grade_id": "p1_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class ScratchLeNet:
    """LeNet-5 on X (N, 1, 28, 28), built from sprintlib's layers.

    Parameters
    ----------
    padding : "same" (pad 2: each 5x5 convolution keeps the image size) or "valid" (no padding)
    initializer : given to every layer with weights (e.g. HeInitializer(random_state=0));
        None: each layer's default (He)
    optimizer : given to every layer with weights (e.g. Adam(lr=2e-3)); None: backward only
        computes the gradients
    dtype : np.float64 (exact, for the checks) or np.float32 (about twice as fast, for training)
    """

    def __init__(self, padding="same", initializer=None, optimizer=None, dtype=np.float64):
        ### BEGIN SOLUTION
        pad = {"same": 2, "valid": 0}[padding]
        side = 28
        for _ in range(2):  # a 5x5 convolution at stride 1, then a 2x2 pooling at stride 2
            side = (side + 2 * pad - 5) + 1
            side = side // 2
        n_flat = 16 * side * side  # 16 * 7 * 7 = 784 ('same') or 16 * 4 * 4 = 256 ('valid')
        init, opt = initializer, optimizer
        self.layers = [
            Conv2d(1, 6, 5, 1, pad, init, opt, dtype), ReLU(dtype=dtype), MaxPool2D(2, dtype=dtype),
            Conv2d(6, 16, 5, 1, pad, init, opt, dtype), ReLU(dtype=dtype), MaxPool2D(2, dtype=dtype),
            Flatten(dtype=dtype),
            FC(n_flat, 120, init, opt, dtype), ReLU(dtype=dtype),
            FC(120, 84, init, opt, dtype), ReLU(dtype=dtype),
            FC(84, 10, init, opt, dtype),
        ]
        self.softmax = Softmax(dtype)
        ### END SOLUTION

    def forward(self, X):
        """X (N, 1, 28, 28) -> class scores (N, 10)."""
        ### BEGIN SOLUTION
        for layer in self.layers:
            X = layer.forward(X)
        return X
        ### END SOLUTION

    def loss(self, X, y):
        """Mean cross-entropy of softmax(forward(X)) against the labels y (N,)."""
        ### BEGIN SOLUTION
        self.softmax.forward(self.forward(X))
        return self.softmax.loss(y)
        ### END SOLUTION

    def backward(self, y):
        """After loss(X, y): back through every layer (which updates its weights if it has an
        optimizer); returns dX (N, 1, 28, 28)."""
        ### BEGIN SOLUTION
        dA = self.softmax.backward(y)  # (Z - Y) / N, the gradient of the mean loss
        for layer in reversed(self.layers):
            dA = layer.backward(dA)
        return dA
        ### END SOLUTION

    def predict(self, X, batch_size=500):
        """Predicted labels (N,), computed batch by batch."""
        ### BEGIN SOLUTION
        return np.concatenate([self.forward(X[i:i + batch_size]).argmax(axis=1)
                               for i in range(0, len(X), batch_size)])
        ### END SOLUTION


# %% [markdown]
# What the tests use: sprintlib's `LeNet` as the reference, a helper that copies its
# weights into the layers of yours that have weights (the two `Conv2d` and the three `FC`, in
# order), one that checks the loss and every gradient of yours against the reference's, and
# the output shapes the table above gives. The training part below uses the same
# helper to start your network from the shipped trained weights.

# %% nbgrader={"grade": false, "grade_id": "helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
def reference_lenet(padding="same", random_state=0, weights=None):
    """sprintlib's LeNet (float64), set up for checking: no optimizer, every gradient computed.

    weights: a file of trained weights, or None: He-initialised weights and small random
    biases (not zeros, so that no unit sits exactly at ReLU's kink), drawn with random_state.
    """
    from sprintlib import LeNet

    reference = LeNet(padding, random_state=random_state)
    if weights is None:
        reference.build((1, 28, 28), 10)
        rng = np.random.default_rng(random_state)
        for layer in reference.layers:
            if layer.param_names:
                layer.B[...] = 0.1 * rng.standard_normal(layer.B.shape)
    else:
        reference.load_weights(weights)
    for layer in reference.layers:
        layer.optimizer = None
        layer.needs_input_grad = True
    return reference


def give_weights(model, reference):
    """Copy W and B of reference's layers with weights into model's, in order, in model's dtype."""
    mine = [layer for layer in getattr(model, "layers", []) if hasattr(layer, "W")]
    theirs = [layer for layer in reference.layers if layer.param_names]
    if len(mine) != len(theirs):
        raise AssertionError(f"model.layers: expected {len(theirs)} layers with weights W and B "
                             f"(2 Conv2d, then 3 FC), got {len(mine)}")
    for i, (m, r) in enumerate(zip(mine, theirs)):
        for name in ("W", "B"):
            expected, got = getattr(r, name), np.shape(getattr(m, name, None))
            if got != expected.shape:
                raise AssertionError(f"layer with weights number {i} ({type(m).__name__}): expected {name} "
                                     f"of shape {expected.shape} (like {r!r}), got {got}")
            dtype = getattr(m, name).dtype if isinstance(getattr(m, name), np.ndarray) else np.float64
            setattr(m, name, expected.astype(dtype))
    return model


def grad_of(layer, name):
    """The layer's gradient d<name> (dW, dB; the book names the bias gradient db), or None."""
    return getattr(layer, "d" + name, getattr(layer, "d" + name.lower(), None))


def reference_scores(reference, X):
    for layer in reference.layers:
        X = layer.forward(X)
    return X


def reference_gradients(reference, X, y):
    """(loss, dX, [(dW, dB) of each layer with weights]) of the reference on X, y."""
    output = Softmax()
    output.forward(reference_scores(reference, X))
    loss, dA = output.loss(y), output.backward(y)
    for layer in reversed(reference.layers):
        dA = layer.backward(dA)
    return loss, dA, [(layer.dW, layer.dB) for layer in reference.layers if layer.param_names]


#: the layers with weights, by their place in the table above (what the checks are named after)
WITH_WEIGHTS = ["layer 0, Conv2d", "layer 3, Conv2d", "layer 7, FC", "layer 9, FC", "layer 11, FC"]


def loss_rtol(reference, X, y, eps=1e-7):
    """The relative tolerance of the loss: the documents' cross-entropy, -log(Z + 1e-7), is
    right too, and its 1e-7 moves each sample's loss by up to 1e-7 / Z (its class's probability
    Z): allowed, twice over, beside the float64 tolerance (1e-6)."""
    Z = Softmax()
    Z.forward(reference_scores(reference, X))
    loss = Z.loss(y)
    return max(1e-6, 2 * float(np.mean(eps / Z.Z[np.arange(len(y)), y])) / loss)


def check_backward(model, reference, X, y):
    """Check model.loss(X, y), then model.backward(y)'s dX and every dW, dB, against the reference's."""
    from sprintlib.grading import check_array

    loss_expected, dX_expected, grads = reference_gradients(reference, X, y)
    check_array("loss", np.array(model.loss(X, y)), np.array(loss_expected), rtol=loss_rtol(reference, X, y))
    check_array("dX", model.backward(y), dX_expected)
    for i, (layer, (dW, dB)) in enumerate(zip([la for la in model.layers if hasattr(la, "W")], grads)):
        check_array(f"layer with weights {i} ({WITH_WEIGHTS[i]}) dW", grad_of(layer, "W"), dW)
        check_array(f"layer with weights {i} ({WITH_WEIGHTS[i]}) dB", grad_of(layer, "B"), dB)

#: the output shape after every layer, for both paddings
EXPECTED_SHAPES = {
    "same": [(6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 14, 14), (16, 14, 14), (16, 7, 7),
             (784,), (120,), (120,), (84,), (84,), (10,)],
    "valid": [(6, 24, 24), (6, 24, 24), (6, 12, 12), (16, 8, 8), (16, 8, 8), (16, 4, 4),
              (256,), (120,), (120,), (84,), (84,), (10,)],
}


def shape_table(shapes):
    """Output shapes (one tuple a layer) as one array, a row a layer, padded with zeros."""
    width = max([3] + [len(s) for s in shapes])
    return np.array([list(s) + [0] * (width - len(s)) for s in shapes], dtype=np.int64).reshape(-1, width)


# %% nbgrader={"grade": true, "grade_id": "p1_test_shapes", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Problem 1: the output shape after every layer, for both paddings (EXPECTED_SHAPES, above)
from sprintlib.grading import check_array

found = {}
for padding, expected in EXPECTED_SHAPES.items():
    net = ScratchLeNet(padding)
    A, got = X_train[:2], []
    for layer in net.layers:
        A = layer.forward(A)
        got.append(tuple(int(n) for n in np.shape(A)[1:]))
    print(f"padding={padding!r}: layer, expected output shape, yours")
    for i in range(max(len(expected), len(got))):
        e = expected[i] if i < len(expected) else "-"
        g = got[i] if i < len(got) else "-"
        name = type(net.layers[i]).__name__ if i < len(net.layers) else ""
        print(f"  {i:2d} {name:<12} {str(e):<14} {str(g):<14} {'OK' if e == g else '<- differs'}")
    found[padding] = got
for padding, expected in EXPECTED_SHAPES.items():  # a row a layer: see the tables above
    check_array(f"padding={padding!r}: output shapes", shape_table(found[padding]), shape_table(expected))
    for N in (1, 3):  # forward on a whole batch, of one image and of several
        check_array(f"padding={padding!r}, a batch of {N}: forward(X) shape",
                    np.array(np.shape(ScratchLeNet(padding).forward(X_train[:N]))), np.array([N, 10]))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p1_test_shapes")
for padding in ("same", "valid"):
    N = int(rng.integers(1, 6))
    check_array(f"padding={padding!r}, a small batch: forward(X) shape", np.array(np.shape(ScratchLeNet(padding).forward(
        rng.random((N, 1, 28, 28))))), np.array([N, 10]))
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "p1_test_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Problem 1: forward with the shipped trained weights, against sprintlib's LeNet with the same weights
from sprintlib.grading import check_array

reference = reference_lenet("same", weights=WEIGHTS)
net = give_weights(ScratchLeNet("same"), reference)
X = X_test[:5]
scores, expected = net.forward(X), reference_scores(reference, X)
side_by_side("predicted labels of the first 5 test images", scores, expected, part=lambda a: a.argmax(axis=1))
side_by_side("scores of the first test image (a 7)", scores, expected, part=lambda a: a[0])
check_array("forward scores, 5 test images, trained weights", scores, expected)
for padding, N in (("valid", 1), ("same", 2)):  # as the hidden tests: random weights, both paddings, small batches
    reference = reference_lenet(padding, random_state=1)
    net = give_weights(ScratchLeNet(padding), reference)
    X = np.random.default_rng(1).random((N, 1, 28, 28))
    print(f"padding={padding!r}, N={N}, random weights:")
    check_array("forward scores", net.forward(X), reference_scores(reference, X))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p1_test_forward")
for _ in range(2):
    padding, N = str(rng.choice(["same", "valid"])), int(rng.integers(1, 6))
    reference = reference_lenet(padding, random_state=int(rng.integers(2**31)))
    net = give_weights(ScratchLeNet(padding), reference)
    X = rng.random((N, 1, 28, 28))
    print(f"padding={padding!r}, N={N}, random weights:")
    check_array("forward scores", net.forward(X), reference_scores(reference, X))
### END HIDDEN TESTS

# %% [markdown]
# ### Checking the whole network's gradients (勾配確認)
#
# The next test does what the "勾配確認" section of "lenet構成のCNN" set out to do: for a few entries of
# every weight array it moves the weight by ±h, recomputes the loss, and compares the slope
# $(L(w + h) - L(w - h)) / 2h$ with the gradient your `backward` found. The slopes are taken on
# sprintlib's LeNet with the same weights as yours: your own network's slopes would agree with a
# backward that is right for a wrong forward (and they are the same numbers in the notebook and
# when the notebook is graded). Then it compares the
# loss, every gradient and `dX` with sprintlib's LeNet on the same batch and weights ('valid',
# 3 training images), and again for 'same' on one random image with other random weights.

# %% nbgrader={"grade": true, "grade_id": "p1_test_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Problem 1: backward, by numerical gradients and against sprintlib's LeNet
from sprintlib.grading import check_array

reference = reference_lenet("valid", random_state=0)
net = give_weights(ScratchLeNet("valid"), reference)
X, y = X_train[:3], y_train[:3]
_, _, grads = reference_gradients(reference, X, y)
net.loss(X, y)
net.backward(y)
pick = np.random.default_rng(0)
analytic, numerical, h = [], [], 1e-5
print("layer  weight  index            backward     numerical")
# the slopes are the reference's (the same numbers in the notebook and in the graded run, whatever
# your forward computes); your backward's gradients must match them
with_weights = [layer for layer in net.layers if hasattr(layer, "W")]
theirs = [layer for layer in reference.layers if layer.param_names]
for layer, ref_layer, expected_grads in zip(with_weights, theirs, grads):
    i = net.layers.index(layer)
    for name, expected_grad in zip(("W", "B"), expected_grads):
        param, grad = getattr(ref_layer, name), grad_of(layer, name)
        # two entries whose gradient is not 0 (a unit that ReLU switched off teaches nothing)
        nonzero = np.flatnonzero(expected_grad) if np.any(expected_grad) else np.arange(expected_grad.size)
        for flat in pick.choice(nonzero, 2, replace=False):
            index = tuple(int(k) for k in np.unravel_index(flat, param.shape))
            old = param[index]
            param[index] = old + h
            loss_plus = reference_gradients(reference, X, y)[0]
            param[index] = old - h
            loss_minus = reference_gradients(reference, X, y)[0]
            param[index] = old
            if np.shape(grad) != param.shape:
                raise AssertionError(f"layer {i}: after backward, d{name} should be an array of shape "
                                     f"{param.shape}, got {'none' if grad is None else np.shape(grad)}")
            analytic.append(np.asarray(grad)[index])
            numerical.append((loss_plus - loss_minus) / (2 * h))
            print(f"{i:5d}  d{name:<5} {str(index):<16} {analytic[-1]: .6e} {numerical[-1]: .6e}")
check_array("backward against numerical gradients (20 weights)", np.array(analytic), np.array(numerical), rtol=1e-5)
check_backward(net, reference, X, y)  # the loss, dX, and each dW, dB, named by the table's places (not your classes)
print("padding='same', N=1, random weights:")  # as the hidden tests: both paddings, small batches
reference = reference_lenet("same", random_state=1)
check_backward(give_weights(ScratchLeNet("same"), reference), reference,
               np.random.default_rng(1).random((1, 1, 28, 28)), np.array([3]))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p1_test_backward")
for _ in range(2):
    padding, N = str(rng.choice(["same", "valid"])), int(rng.integers(1, 5))
    reference = reference_lenet(padding, random_state=int(rng.integers(2**31)))
    net = give_weights(ScratchLeNet(padding), reference)
    X, y = rng.random((N, 1, 28, 28)), rng.integers(0, 10, N)
    print(f"padding={padding!r}, N={N}, random weights:")
    check_backward(net, reference, X, y)
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 2 — the summary: output shapes and parameter counts (パラメータ数)
#
# Write `layer_summary(layers, input_shape)` for any list of layers (with `forward`; the
# layers with weights have `W` and `B`) and the shape of one input without the batch axis
# (`(1, 28, 28)` for MNIST). It returns two lists with one entry per layer:
#
# - `shapes`: the output shape of the layer, without the batch axis, as a tuple (`(6, 28, 28)`);
# - `counts`: its number of parameters, the entries of `W` plus those of `B` (0 for layers without weights).
#
# For LeNet ('same'), `counts` is `[156, 0, 0, 2416, 0, 0, 0, 94200, 0, 10164, 0, 850]`, in all
# 107,786; for 'valid' the first FC has 256 * 120 + 120 = 30,840 and the total is 44,426.
# ("lenet構成のCNN" counted 107,786 by summing `param.size` over its parameter list: right, and the
# same as the Keras summary it printed.)
#
# Hint: push one input of zeros, `np.zeros((1,) + input_shape)`, through the layers and look at
# the shapes.
#
# The test runs it on sprintlib's LeNet (both paddings) and on other stacks of sprintlib's
# layers: inputs of 1 to 3 channels from 10x10 to 24x24, a 3x3 or 5x5 convolution with a
# padding of 0 to 2, pooling, flattening and two fully connected layers of other sizes.

# %% nbgrader={"grade": false, "grade_id": "p2_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def layer_summary(layers, input_shape):
    """Output shape (without the batch axis) and parameter count of every layer.

    layers : list of layers; input_shape : one input's shape, e.g. (1, 28, 28)
    Returns (shapes, counts): a list of tuples and a list of ints, one entry per layer.
    """
    ### BEGIN SOLUTION
    A = np.zeros((1,) + tuple(input_shape))
    shapes, counts = [], []
    for layer in layers:
        A = layer.forward(A)
        shapes.append(tuple(A.shape[1:]))
        counts.append(sum(int(np.size(getattr(layer, name))) for name in ("W", "B") if hasattr(layer, name)))
    return shapes, counts
    ### END SOLUTION


# %% [markdown]
# `print_summary` prints what `layer_summary` finds as Keras's `model.summary()` does (used
# below, after the test).

# %%
def print_summary(layers, input_shape, title="model"):
    """A table in the style of Keras's model.summary(), from layer_summary."""
    shapes, counts = layer_summary(layers, input_shape)
    print(f'Model: "{title}"\n{"Layer":<24}{"Output Shape":<24}{"Param #":>10}\n' + "=" * 58)
    for i, (layer, shape, count) in enumerate(zip(layers, shapes, counts)):
        print(f"{type(layer).__name__.lower() + '_' + str(i):<24}{str((None,) + shape):<24}{count:>10,}")
    print("=" * 58 + f"\nTotal params: {sum(counts):,}")


# %% nbgrader={"grade": true, "grade_id": "p2_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Problem 2 on sprintlib's LeNet, both paddings
from sprintlib.grading import check_array, check_function


def summary_counts(layers, input_shape):
    """Your layer_summary's counts, as an array: check_function gives them the layers, to name
    a known mistake when its counts are yours (W counted without B...)."""
    return np.array(layer_summary(layers, input_shape)[1])


def expected_counts(counts):
    """The expected counts, as a function of the same arguments as summary_counts."""
    return lambda layers, input_shape: np.array(counts)


EXPECTED_COUNTS = {"same": [156, 0, 0, 2416, 0, 0, 0, 94200, 0, 10164, 0, 850],
                   "valid": [156, 0, 0, 2416, 0, 0, 0, 30840, 0, 10164, 0, 850]}
EXPECTED_TOTAL = {"same": 107786, "valid": 44426}
for padding in ("same", "valid"):
    layers = reference_lenet(padding).layers
    shapes, counts = layer_summary(layers, (1, 28, 28))
    side_by_side(f"parameters per layer, {padding!r}", counts, EXPECTED_COUNTS[padding])
    check_function(summary_counts, expected_counts(EXPECTED_COUNTS[padding]), layers, (1, 28, 28),
                   name=f"{padding!r}: parameters per layer")
    check_array(f"{padding!r}: total", np.array(sum(counts)), np.array(EXPECTED_TOTAL[padding]))
    for i, shape in enumerate(EXPECTED_SHAPES[padding]):
        check_array(f"{padding!r}: output shape of layer {i}", np.array(shapes[i]), np.array(shape))
# another stack of layers: 3 channels of 16x16, 7 layers (as the hidden tests draw)
stack = [sprintlib.Conv2d(3, 4, 3, 1, 1), sprintlib.ReLU(), sprintlib.MaxPool2D(2), sprintlib.Flatten(),
         sprintlib.FC(4 * 8 * 8, 20), sprintlib.ReLU(), sprintlib.FC(20, 10)]
shapes, counts = layer_summary(stack, (3, 16, 16))
side_by_side("parameters per layer, Conv2d(3, 4, 3, pad=1) on 3x16x16, then FC(256, 20), FC(20, 10)", counts,
             [112, 0, 0, 0, 5140, 0, 210])
check_function(summary_counts, expected_counts([112, 0, 0, 0, 5140, 0, 210]), stack, (3, 16, 16),
               name="parameters per layer")
for i, shape in enumerate([(4, 16, 16), (4, 16, 16), (4, 8, 8), (256,), (20,), (20,), (10,)]):
    check_array(f"output shape of layer {i}", np.array(shapes[i]), np.array(shape))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p2_test")
for _ in range(3):
    C, K, F = int(rng.integers(1, 4)), int(rng.integers(2, 9)), int(rng.choice([3, 5]))
    pad = int(rng.integers(0, 3))
    side = int(rng.integers(10, 24))
    side += (side + 2 * pad - F + 1) % 2  # even, so that the 2x2 pooling tiles it
    m = int(rng.integers(5, 40))
    n = K * ((side + 2 * pad - F + 1) // 2) ** 2
    # sprintlib's layers, not the notebook's (which may be your own sprint-2 classes)
    layers = [sprintlib.Conv2d(C, K, F, 1, pad), sprintlib.ReLU(), sprintlib.MaxPool2D(2), sprintlib.Flatten(),
              sprintlib.FC(n, m), sprintlib.ReLU(), sprintlib.FC(m, 10)]
    shape, expected_shapes = (None, C, side, side), []
    for layer in layers:
        shape = layer.output_shape(shape)
        expected_shapes.append(tuple(shape[1:]))
    print(f"Conv2d({C}, {K}, {F}, pad={pad}) on {C}x{side}x{side}, then FC({n}, {m}), FC({m}, 10):")
    shapes, counts = layer_summary(layers, (C, side, side))
    check_function(summary_counts, expected_counts([layer.n_params for layer in layers]), layers, (C, side, side),
                   name="parameters per layer")
    for i, expected in enumerate(expected_shapes):
        check_array(f"output shape of layer {i}", np.array(shapes[i]), np.array(expected))
### END HIDDEN TESTS

# %%
print_summary(ScratchLeNet("same").layers, (1, 28, 28), "your LeNet, 'same'")
print()
print_summary(ScratchLeNet("valid").layers, (1, 28, 28), "your LeNet, 'valid'")

# %% [markdown]
# ## Problem 3 — training on MNIST (学習)
#
# Write `train(model, X, y, epochs, batch_size, X_val, y_val, seed)`: for each epoch, shuffle
# the training set, then for each mini-batch call `model.loss` and `model.backward` (the
# layers' optimizer updates the weights), with a `tqdm` progress bar over the batches. It
# returns `history`, a dict of lists with one entry per epoch:
#
# - `"loss"`: the mean of the batch losses of the epoch (all its batches, not the last one's);
# - `"accuracy"`: the accuracy on (at most) the first 1,000 training images at the end of the epoch;
# - `"val_loss"`, `"val_accuracy"`: on `X_val, y_val` at the end of the epoch (empty lists when
#   no validation set is given).
#
# `sprintlib.plotting.plot_learning_curve(history)` draws it.
#
# The test first gives your `train` a small network of sprintlib's layers (`LossRecorder`: one
# fully connected layer and softmax) that notes the loss of every batch it is trained on (a
# `model.loss` followed by a `model.backward`), on copies of one training image, so that every
# batch gives the same loss whichever images it holds, however `train` shuffles: `history["loss"]`
# must be the mean of each epoch's batch losses, as in the trusted run (3 epochs of 3 batches of 40,
# then 2 epochs of 4 batches of 25; the hidden test draws other sizes, every batch full). Then it
# trains a 'valid' LeNet from random weights for 2 epochs on 160 images (batches of 5, Adam at
# 2e-3, 20 validation images): the mean loss must fall from the first epoch to the second and end
# below ln 10 - 0.5 = 1.80. Then it predicts on 200 test images, then on the same images with every
# pixel moved by up to 0.02; the hidden test predicts on 200 other test images, moved the same
# way. Each asks for 45%: such a run reaches 59-70% (the course measured it over 20 shuffles and
# draws of 200 images), one cut off after a quarter of an epoch 13-34%, an untrained network
# 8-14%. The test is the same when you run it and when the notebook is graded; it is that small
# so that sprint-2 layers of your own written with loops finish it within the 30 s a graded
# cell has (the times are below, before the training run).
#
# > **Why the LeNet of "lenet構成のCNN" never learned.** Its training printed `train loss : 2.3026` epoch after
# > epoch, with 13% accuracy. 2.3026 is ln 10: the loss of a network that gives every class the
# > probability 1/10, i.e. one that has not learned anything. Its weights were drawn uniformly from
# > ±√(1/512) ≈ ±0.044 in *every* layer, whatever its size: each layer shrinks the signal (the first
# > convolution sums 25 inputs, so its outputs are about 0.1 of the pixels'), the scores arrive at
# > the softmax as almost 0, and their gradients are as tiny. Plain SGD with lr 0.01 and 4 batches per
# > epoch then moves the weights by almost nothing. He initialisation (std √(2/fan_in),
# > `HeInitializer`) keeps the signal's size through ReLU layers, and Adam scales each step
# > to the gradient's size: the loss leaves ln 10 within the first batches.

# %% nbgrader={"grade": false, "grade_id": "p3_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train(model, X, y, epochs=1, batch_size=64, X_val=None, y_val=None, seed=0):
    """Mini-batch training of a ScratchLeNet (its layers carry the optimizer); returns history."""
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    for epoch in range(epochs):
        order = rng.permutation(len(X))
        bar = tqdm(range(0, len(X), batch_size), desc=f"epoch {epoch + 1}/{epochs}", unit="batch")
        losses = []
        for start in bar:
            batch = order[start:start + batch_size]
            losses.append(model.loss(X[batch], y[batch]))
            model.backward(y[batch])  # computes the gradients and updates the weights
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}", refresh=False)
        history["loss"].append(float(np.mean(losses)))
        history["accuracy"].append(float(np.mean(model.predict(X[:1000]) == y[:1000])))
        if X_val is not None:
            history["val_loss"].append(float(np.mean([model.loss(X_val[i:i + 500], y_val[i:i + 500])
                                                      for i in range(0, len(X_val), 500)])))
            history["val_accuracy"].append(float(np.mean(model.predict(X_val) == y_val)))
    return history
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "p3_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Problem 3: history["loss"], the mean of each epoch's batch losses (not the last batch's). train
# trains a LossRecorder (sprintlib's FC and softmax, which notes every batch's loss) on copies of
# one image: every batch gives the same loss whichever images it holds, so any right train gives
# the trusted run's values
from sprintlib.grading import LossRecorder, check_accuracy, check_array, check_bounds, check_history

net = None  # the LeNet this test trains (the hidden part predicts with it): none until it is trained
for n_epochs, batch_size, n_images in [(3, 40, 120), (2, 25, 100)]:
    recorder = LossRecorder(seed=0)
    same = train(recorder, X_train[:1].repeat(n_images, axis=0), y_train[:1].repeat(n_images), epochs=n_epochs,
                 batch_size=batch_size)
    check_history(f'history["loss"] ({n_epochs} epochs of {n_images // batch_size} batches)', same["loss"], recorder,
                  n_epochs)

# a short run from random weights ('valid' LeNet, float32): 160 images, 2 epochs of 32 batches of 5
# (small, so that loop-style sprint-2 layers finish it in time: the times are before the training run)
net = ScratchLeNet("valid", HeInitializer(random_state=0, dtype=np.float32), Adam(lr=2e-3), dtype=np.float32)
run = train(net, X_train[:160], y_train[:160], epochs=2, batch_size=5, X_val=X_test[:20], y_val=y_test[:20])
print({key: np.round(values, 4).tolist() for key, values in run.items()})
for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
    check_array(f'len(history["{key}"])', np.array(len(run.get(key, []))), np.array(2))
# the loss falls from epoch to epoch and ends well below ln 10 = 2.3026 (chance; the first epoch's
# mean, its first batches included, may still be near it): if not, does every batch call
# model.loss, then model.backward?
check_bounds('history["loss"]', run["loss"], decreasing=True)
check_bounds('history["loss"] of the last epoch', run["loss"][-1], below=np.log(10) - 0.5)
# after 2 epochs on 160 images a LeNet classifies 59-70% of new images; untrained, about 10%
check_accuracy("predict on 200 test images", net.predict(X_test[:200]), y_test[:200], at_least=0.45)
# as the hidden test's images are: every pixel moved by up to 0.02 (a network that learned the digits does not care)
X_moved = np.clip(X_test[:200] + np.random.default_rng(8).uniform(-0.02, 0.02, (200, 1, 28, 28)), 0, 1).astype(np.float32)
check_accuracy("predict on the same images, each pixel moved by up to 0.02", net.predict(X_moved), y_test[:200],
               at_least=0.45)
### BEGIN HIDDEN TESTS
# history["loss"] with sizes drawn for the course, every batch full
from sprintlib.grading import hidden_rng
rng = hidden_rng("p3_test")
n_epochs, batch_size, n_batches = int(rng.integers(2, 5)), int(rng.integers(10, 50)), int(rng.integers(2, 6))
image = int(rng.integers(len(X_train)))
recorder = LossRecorder(seed=int(rng.integers(1000)))
same = train(recorder, X_train[image:image + 1].repeat(batch_size * n_batches, axis=0),
             y_train[image:image + 1].repeat(batch_size * n_batches), epochs=n_epochs, batch_size=batch_size)
check_history('history["loss"] (hidden sizes)', same["loss"], recorder, n_epochs)
# 200 other test images, each pixel moved by up to 0.02: a predict that looks the labels
# up (by index or by the image) finds none and scores about 10%; a trained network's
# accuracy does not move (59-70% over 20 draws), and the same 45% leaves it a wide margin
from sprintlib.grading import hidden_images
X_hidden, y_hidden = hidden_images("p3_test", X_test[:5000], y_test[:5000], n=200)  # from the half the visible check uses
if net is None:
    raise AssertionError("no trained LeNet to predict with: the visible part stopped before it trained one")
check_accuracy("predict on 200 other test images", net.predict(X_hidden), y_hidden, at_least=0.45)
### END HIDDEN TESTS

# %% [markdown]
# ### Training run: from scratch for a moment, then from the trained weights
#
# Training LeNet fully (6 epochs on 55,000 images) takes over a minute on one core. So the
# notebook trains your network from random weights on 6,000 images for 3 epochs (about
# 15 s), enough to see the learning curve leave ln 10, and then loads the weights of a LeNet
# trained fully (`data/weights/lenet_same.npz`, 99.07% on the test set) into your network
# and trains it one more epoch on 10,000 images with a small learning rate. When the
# notebook is graded, each part trains on 100 images for one epoch and predicts on 50 to 100.
#
# **How long the graded cells take**, measured on one core of the course's 2-core machine
# (seconds of CPU; each graded cell has 30 s):
#
# | cell | sprintlib's vectorised sprint-2 layers | your own, written with loops |
# | --- | --- | --- |
# | Problem 3's test (2 epochs on 160 images, 600 test images predicted) | 0.4 | 10.9 |
# | training from random weights (100 images, 50 validation images) | 0.2 | 4.5 |
# | from the trained weights (100 images, 100 test images predicted twice) | 0.1 | 6.0 |
#
# "With loops": a `Conv2d` and a `MaxPool2D` that loop over the samples and the output positions
# and leave the channels to NumPy, as the course documents write them (an image through the
# 'valid' LeNet then costs about 6 ms forward and 17 ms forward and backward, against 0.05 and
# 0.16 ms vectorised). With the machine's other core busy a cell takes as long on the clock
# (Problem 3's test: 11 s); with more work than cores (5 processes on the 2) about 1.5 times as
# long (16 s), still within the limit. A loop over every sample, filter
# and position, one `np.sum` per output value, is some five times slower again and does not fit:
# keep the channels in NumPy, or vectorise (im2col, or a loop over the filter's offsets only).
# Without grading, the full runs above take about 9 minutes each with loop-style layers: lower
# `n_train` and `n_tune` to try them.

# %%
from sprintlib.plotting import plot_learning_curve

graded = autograding()
n_train, n_val, epochs, images_per_batch = (100, 50, 1, 10) if graded else (6000, 1000, 3, 64)
model = ScratchLeNet("same", HeInitializer(random_state=0, dtype=np.float32), Adam(lr=2e-3), dtype=np.float32)
history = train(model, X_train[:n_train], y_train[:n_train], epochs=epochs, batch_size=images_per_batch,
                X_val=X_train[-n_val:], y_val=y_train[-n_val:])
plot_learning_curve(history, title=f"your LeNet from random weights, {n_train:,} images")
plt.show()

# %%
from sprintlib.plotting import plot_confusion_matrix, plot_feature_maps, plot_filters

model = ScratchLeNet("same", optimizer=Adam(lr=1e-4), dtype=np.float32)
give_weights(model, reference_lenet("same", weights=WEIGHTS))
n_tune, n_eval = (100, 100) if graded else (10000, 10000)
print(f"trained weights loaded: {np.mean(model.predict(X_test[:n_eval]) == y_test[:n_eval]):.2%} "
      f"of {n_eval:,} test images")
history = train(model, X_train[:n_tune], y_train[:n_tune], epochs=1, batch_size=64)
predicted = model.predict(X_test[:n_eval])
print(f"after one more epoch on {n_tune:,} images: {np.mean(predicted == y_test[:n_eval]):.2%}")
plot_confusion_matrix(y_test[:n_eval], predicted, 10, title="your LeNet, trained weights")
plt.show()

# %% [markdown]
# What the first convolution learned: each 5x5 filter as an image (red adds, blue subtracts;
# many are edge or stroke detectors), and what one test image becomes after the first layers.

# %%
plot_filters(model.layers[0].W, title="the 6 filters of the first convolution")
plt.show()
plot_feature_maps(model.layers, X_test[0], n_layers=6)
plt.show()

# %% [markdown]
# ## Written question: 'same' or 'valid' padding?
#
# "lenet構成のCNN" (and its Keras model) gives both convolutions 'same' padding (pad 2); the classic
# LeNet-5 uses none ('valid'). From your summaries above: how do the two versions differ in
# output shapes and in parameter count, and **where** do the extra parameters of 'same' sit?
# Why might one still pad the **first** convolution of an MNIST network? Give one reason for
# and one against.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q1_answer", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# **Rubric (2 points).** 1 point: the numbers: 'same' keeps 28x28 and 14x14 so the flattened
# vector has 16·7·7 = 784 entries against 16·4·4 = 256; the convolutions have the same
# parameters (156 and 2,416: a filter's size does not depend on the image's), so the whole
# difference, 107,786 - 44,426 = 63,360, is in the first FC layer (94,200 against 30,840 =
# (784 - 256)·120). 1 point: one sound reason for padding (the border pixels and strokes near
# the edge are seen by as many filter positions as the centre ones; the feature maps do not
# shrink, so deeper stacks stay possible; shapes are easier to follow) and one against (more
# parameters and computation in the first FC, more risk of overfitting; the zeros add an
# artificial edge; MNIST digits are centred with an empty border, so little is lost without it).
#
# **Model answer.** With 'same' padding the convolutions keep the size (28x28x6, then
# 14x14x16), with 'valid' they shrink it by 4 (24x24x6, then 8x8x16), so after the two poolings
# the network flattens 7x7x16 = 784 values instead of 4x4x16 = 256. The convolutions have 156
# and 2,416 parameters either way; the first FC layer has 784·120 + 120 = 94,200 instead of
# 30,840, which is all of the difference between 107,786 and 44,426. Padding the first
# convolution lets the filters centre on the border pixels too and keeps the maps aligned
# with the image, which helps when strokes touch the edge; against it, it costs 63,360
# parameters here, and MNIST's 4-pixel empty frame means 'valid' loses almost nothing.

# %% [markdown]
# ## Optional, not graded: the same LeNet in Keras (Kerasのmnist)
#
# "lenet構成のCNN" compared its network with the same LeNet in Keras ('same' padding, 107,786
# parameters, as `layer_summary` found). The course does not need TensorFlow (Binder has none),
# so the comparison was run once and its record ships with the notebook,
# `data/keras/keras_lenet.json`: the training loss and accuracy of every epoch and those on
# 2,000 test images, for momentum 1.0 (the document's) and 0.9, with the TensorFlow version,
# the date and the command. The cell below shows it as a table and a plot. Where TensorFlow is
# installed, `python -m sprintlib.keras_lenet --out my_run.json` (in a terminal, from the
# repository's folder; about 30 s on one core) trains both again and writes
# `data/keras/my_run.json`; `keras_lenet.show(keras_lenet.load("my_run.json"))` shows your run
# the same way.
#
# > **Errata in the document's Keras cell.** It compiled with `SGD(lr=0.01, decay=0.0, momentum=1.0)`.
# > With momentum 1.0 the velocity $v \leftarrow 1.0 \cdot v - \eta g$ never forgets a gradient:
# > it is the sum of every gradient so far, so the weights keep moving after the minimum is
# > reached (the velocity does not decay, it only reverses slowly) and oscillate around it
# > instead of settling: it does not converge. In the record, momentum 1.0 learns for a few
# > epochs, then its loss climbs back to about ln 10 = 2.30 (chance) while momentum 0.9 keeps
# > improving. Momentum must be below 1 (0.9 is the usual value). Today's Keras also calls the
# > argument `learning_rate` (`lr` and `decay` are gone). And with 500 training images for 20
# > epochs, the document's comparison was of two under-trained networks; the record trains on
# > 6,000.

# %%
from sprintlib import keras_lenet

if autograding():
    print("skipped while grading")
else:
    record = keras_lenet.load()  # data/keras/keras_lenet.json; nothing here imports TensorFlow
    keras_lenet.show(record)
    plt.show()
