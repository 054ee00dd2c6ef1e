"""The sprints' convolutional classifiers, built from sprintlib.layers.

- Scratch1dCNNClassifier (sprint 1, problem 8 of "Sprint 深層学習スクラッチ 畳み込みニューラルネットワーク1"):
  Conv1d over the flattened 784 pixels.
- Scratch2dCNNClassifier (sprint 2, problem 7 of the student's notebook "Sprint13"): Conv2d,
  ReLU, MaxPool2D, Flatten, FC.
- LeNet (sprint 3, the student's LeNet notebook "lenet構成のCNN", with its Keras comparison):
  LeNet-5 with 'same' (sprint 3's, 107,786 parameters) or 'valid'
  (the classic, 44,426 parameters) padding.

They only say which layers they are made of: training, prediction, summary() and
saving weights are ScratchClassifier's (models/base.py).
"""
from __future__ import annotations

import numpy as np

from ..layers.activations import get_activation
from ..layers.conv1d import Conv1d
from ..layers.conv2d import Conv2d
from ..layers.fc import FC
from ..layers.flatten import Flatten
from ..layers.max_pool2d import MaxPool2D
from ..layers.pool2d import _Pool2D
from ..layers.reshape import Reshape
from .. import _checks
from .base import ScratchClassifier, check_sizes


def _with_dense_head(model, features, input_shape, hidden, n_classes, initializer, optimizer):
    """``features`` (ending in Flatten), then FC -> ReLU for each hidden size, then FC to
    the class scores. The first FC's size is read off the features' output shapes, so a
    change of filter, padding or stride cannot leave it stale."""
    shape, dtype = (None,) + tuple(input_shape), model.dtype
    for layer in features:
        try:
            shape = layer.output_shape(shape)
        except ValueError as exc:
            # the layer's message is for a caller of the layer (it suggests allow_remainder,
            # which the model does not take): the model's caller gets the sizes it can pass
            raise ValueError(_size_error(model, features, input_shape) or str(exc)) from exc
    layers, sizes = list(features), [shape[1], *hidden]
    for n1, n2 in zip(sizes[:-1], sizes[1:]):
        layers += [FC(n1, n2, initializer, optimizer, dtype), get_activation("relu", dtype)]
    return layers + [FC(sizes[-1], n_classes, initializer, optimizer, dtype)]


# -- a model's size errors: which input sizes its layers' windows take ----------------------
# The models make their layers without allow_remainder: each one's windows must tile.
def _windows_of(layer) -> list | None:
    """(filter, stride, pad) of a layer that slides windows, one per spatial axis (Conv1d: L;
    Conv2d, the poolings: H, W); None for a layer that keeps the sizes (ReLU, Flatten...)."""
    if isinstance(layer, Conv1d):
        return [(layer.filter_size, layer.stride, layer.pad)]
    if isinstance(layer, Conv2d):
        return list(zip(layer.filter_size, layer.stride, layer.pad))
    if isinstance(layer, _Pool2D):
        return [(f, s, 0) for f, s in zip(layer.pool_size, layer.stride)]
    return None


def _through(n: int, steps) -> tuple:
    """Follow an input size n along one axis through steps [(layer index, F, S, P)]
    (output_size's rule): (None, None, None) if every window fits, else (the index of the
    layer that refuses, the size it gets, why)."""
    for i, F, S, P in steps:
        if n + 2 * P < F:
            return i, n, f"smaller than its window of {F}" + (f" with pad {P}" if P else "")
        if (n + 2 * P - F) % S:
            return i, n, f"which its windows of {F} at stride {S}{f' and pad {P}' if P else ''} do not tile"
        n = (n + 2 * P - F) // S + 1
    return None, None, None


def _fitting_sizes(steps) -> tuple[int, int]:
    """(start, step): the input sizes that fit are start, start + step, start + 2*step, ...
    From the last layer back: its outputs 1, 2, 3... come from the inputs (o - 1)*S + F - 2P,
    so a progression of outputs comes from a progression of inputs, S times as sparse
    (computed, not searched: a stride of 10**9 would make a search endless)."""
    start, step = 1, 1
    for _, F, S, P in reversed(steps):
        start, step = (start - 1) * S + F - 2 * P, step * S
        if start < 1:  # a pad wider than the window: the first sizes of the progression are <= 0
            start += -(-(1 - start) // step) * step
    return start, step


def _size_error(model, features, input_shape) -> str | None:
    """The message for an input whose sizes the model's layers do not take (None if they do):
    it names the model, the layer (its index in model.layers and its name in summary()),
    the size that came and the sizes that fit, in the model's own settings."""
    windows = [(i, w) for i, layer in enumerate(features) if (w := _windows_of(layer))]
    n_axes = len(windows[0][1]) if windows else 0
    axes = list(model.X_form[-n_axes:]) if n_axes else []
    sizes = list(input_shape[-n_axes:]) if n_axes else []
    steps = [[(i, *w[a]) for i, w in windows] for a in range(n_axes)]
    failures = [(_through(n, s), a) for a, (n, s) in enumerate(zip(sizes, steps))]
    failures = [(f, a) for f, a in failures if f[0] is not None]
    if not failures:
        return None  # not a matter of sizes (cannot happen for the models here)
    (i, got, why), a = min(failures, key=lambda f: f[0][0])
    # every axis that fails alike (a square image): "H and W"
    same = [axes[b] for b in range(n_axes) if sizes[b] == sizes[a] and steps[b] == steps[a]]
    start, step = _fitting_sizes(steps[a])
    fits = [start + k * step for k in range(4)]
    after = start + max(0, -(-(sizes[a] + 1 - start) // step)) * step  # the first one above the size
    below, above = (after - step if after - step >= start else None), after
    layer = features[i]
    where = f"layers[{i}] ({layer.name.lower()}_{i} in summary(), {layer!r})"
    named = " = ".join(same)  # "H = W = 27": a square image whose sides fail alike
    arrives = (f"{where} gets {named} = {got}" if got == sizes[a]
               else f"{named} = {sizes[a]} reaches {where} as {got}")  # after the layers before it
    nearest = " or ".join(str(v) for v in (below, above) if v is not None)
    settings = ", ".join(f"{k}={getattr(model, k)!r}" for k in model.size_settings)
    return (f"{model.name} expects X of shape {_checks.format_shape(model.X_form)} with {' and '.join(same)} "
            f"in {', '.join(map(str, fits))}, ..., got {_checks.format_shape(('N',) + tuple(input_shape))}: "
            f"{arrives}, {why}; {named} = {nearest} would fit (the sizes follow from {settings})")


def _int_or_pair(value, owner, name, minimum=1):
    """A size that Conv2d and MaxPool2D take as an int or a pair (height, width), checked
    now rather than at fit, and kept in the form given (plain ints, for save_weights)."""
    pair = _checks.check_pair(value, owner, name, minimum)
    return pair[0] if np.ndim(value) == 0 else pair  # an int stays an int; a list or array, a tuple


#: defaults of the CNN classifiers: on MNIST in float32 they reach 97.8% (Scratch1dCNN,
#: 3 epochs), 98.7% (Scratch2dCNN, 4 epochs) and 99.1% (LeNet, 6 epochs) test accuracy;
#: the search that found them is described in tests/test_training.py
TRAINING_DEFAULTS = dict(batch_size=64, optimizer="adam", lr=2e-3, lr_decay=0.6)


def _with_defaults(kwargs, epochs):
    return {**TRAINING_DEFAULTS, "epochs": epochs, **kwargs}


class Scratch1dCNNClassifier(ScratchClassifier):
    """Conv1d -> ReLU -> Flatten -> FC -> ReLU -> FC on X (N, n_features) (flattened images).

    Parameters
    ----------
    n_filters : int, output channels of the convolution
    filter_size, stride, pad : of the convolution (along the 784 pixels)
    hidden : tuple of int, nodes of the FC layers after it
    Other parameters: ScratchClassifier; the defaults here are epochs=3, batch_size=64,
    lr=2e-3, lr_decay=0.6 (``TRAINING_DEFAULTS``).
    """

    layer_settings = ("n_filters", "filter_size", "stride", "pad", "hidden")
    #: the settings that decide which input sizes fit (named by a size error)
    size_settings = ("filter_size", "stride", "pad")

    def __init__(self, n_filters=8, filter_size=5, stride=1, pad=2, hidden=(100,), **kwargs):
        super().__init__(**_with_defaults(kwargs, epochs=3))
        self.n_filters = _checks.check_int(n_filters, self.name, "n_filters")
        self.filter_size = _checks.check_int(filter_size, self.name, "filter_size")
        self.stride = _checks.check_int(stride, self.name, "stride")
        self.pad = _checks.check_int(pad, self.name, "pad", minimum=0)
        self.hidden = check_sizes(hidden, self.name, "hidden")

    def _build(self, input_shape, n_classes, initializer, optimizer):
        n_features = input_shape[0]
        dt = self.dtype
        features = [
            Reshape((n_features,), (1, n_features), dt),  # one input channel
            Conv1d(1, self.n_filters, self.filter_size, self.stride, self.pad, initializer, optimizer, dt),
            get_activation("relu", dt),
            Flatten(dtype=dt),
        ]
        return _with_dense_head(self, features, input_shape, self.hidden, n_classes, initializer, optimizer)


class Scratch2dCNNClassifier(ScratchClassifier):
    """Conv2d -> ReLU -> MaxPool2D -> Flatten -> FC -> ReLU -> FC on X (N, C, H, W).

    Parameters
    ----------
    n_filters, filter_size, pad : of the convolution (stride 1)
    pool_size : of the max pooling (stride = pool_size)
    hidden : tuple of int, nodes of the FC layers after it
    Other parameters: ScratchClassifier; the defaults here are epochs=4, batch_size=64,
    lr=2e-3, lr_decay=0.6 (``TRAINING_DEFAULTS``).
    """

    layer_settings = ("n_filters", "filter_size", "pad", "pool_size", "hidden")
    size_settings = ("filter_size", "pad", "pool_size")
    X_form = ("N", "C", "H", "W")

    def __init__(self, n_filters=16, filter_size=3, pad=1, pool_size=2, hidden=(100,), **kwargs):
        super().__init__(**_with_defaults(kwargs, epochs=4))
        self.n_filters = _checks.check_int(n_filters, self.name, "n_filters")
        self.filter_size = _int_or_pair(filter_size, self.name, "filter_size")
        self.pad = _int_or_pair(pad, self.name, "pad", minimum=0)
        self.pool_size = _int_or_pair(pool_size, self.name, "pool_size")
        self.hidden = check_sizes(hidden, self.name, "hidden")

    def _build(self, input_shape, n_classes, initializer, optimizer):
        C = input_shape[0]
        dt = self.dtype
        features = [Conv2d(C, self.n_filters, self.filter_size, 1, self.pad, initializer, optimizer, dt),
                    get_activation("relu", dt), MaxPool2D(self.pool_size, dtype=dt), Flatten(dtype=dt)]
        return _with_dense_head(self, features, input_shape, self.hidden, n_classes, initializer, optimizer)


class LeNet(ScratchClassifier):
    """LeNet-5 on X (N, 1, 28, 28):

    conv 5x5x6 -> ReLU -> maxpool 2 -> conv 5x5x16 -> ReLU -> maxpool 2 -> flatten
    -> FC 120 -> ReLU -> FC 84 -> ReLU -> FC 10 -> softmax

    Parameters
    ----------
    padding : "same" (pad 2: 28x28x6 ... 7x7x16, 107,786 parameters, as in sprint 3)
              or "valid" (no padding: 24x24x6 ... 4x4x16, 44,426 parameters)
    Other parameters: ScratchClassifier; the defaults here are epochs=6, batch_size=64,
    lr=2e-3, lr_decay=0.6 (``TRAINING_DEFAULTS``). data/weights/lenet_same.npz holds
    weights trained so (``python -m sprintlib.train_lenet``); load them with
    ``LeNet(dtype=np.float32).load_weights(path)``.
    """

    layer_settings = ("padding",)
    size_settings = ("padding",)
    X_form = ("N", "C", "H", "W")

    def __init__(self, padding="same", **kwargs):
        super().__init__(**_with_defaults(kwargs, epochs=6))
        if not isinstance(padding, str) or padding not in ("same", "valid"):
            raise ValueError(f"LeNet expects padding 'same' or 'valid', got {padding!r}")
        self.padding = padding

    def _build(self, input_shape, n_classes, initializer, optimizer):
        C = input_shape[0]
        pad = 2 if self.padding == "same" else 0  # 'same' for a 5x5 filter at stride 1
        dt = self.dtype
        features = [
            Conv2d(C, 6, 5, 1, pad, initializer, optimizer, dt), get_activation("relu", dt), MaxPool2D(2, dtype=dt),
            Conv2d(6, 16, 5, 1, pad, initializer, optimizer, dt), get_activation("relu", dt), MaxPool2D(2, dtype=dt),
            Flatten(dtype=dt),
        ]
        return _with_dense_head(self, features, input_shape, (120, 84), n_classes, initializer, optimizer)
