"""The sprints' convolutional classifiers, built from sprintlib.layers.

- Scratch1dCNNClassifier (sprint 1, problem 8): Conv1d over the flattened 784 pixels.
- Scratch2dCNNClassifier (sprint 2, problem 7): Conv2d, ReLU, MaxPool2D, Flatten, FC.
- LeNet (sprint 3): LeNet-5 with 'same' (sprint 3's, 107,786 parameters) or 'valid'
  (the classic, 44,426 parameters) padding.

They only say which layers they are made of: training, prediction, summary() and
saving weights are ScratchClassifier's (models/base.py).
"""
from __future__ import annotations

from ..layers.activations import get_activation
from ..layers.conv1d import Conv1d
from ..layers.conv2d import Conv2d
from ..layers.fc import FC
from ..layers.flatten import Flatten
from ..layers.max_pool2d import MaxPool2D
from ..layers.reshape import Reshape
from .. import _checks
from .base import ScratchClassifier, check_sizes


def _with_dense_head(features, input_shape, hidden, n_classes, initializer, optimizer, dtype):
    """``features`` (ending in Flatten), then FC -> ReLU for each hidden size, then FC to
    the class scores. The first FC's size is read off the features' output shapes, so a
    change of filter, padding or stride cannot leave it stale."""
    shape = (None,) + tuple(input_shape)
    for layer in features:
        shape = layer.output_shape(shape)  # also raises, named after the layer, on bad sizes
    layers, sizes = list(features), [shape[1], *hidden]
    for n1, n2 in zip(sizes[:-1], sizes[1:]):
        layers += [FC(n1, n2, initializer, optimizer, dtype), get_activation("relu", dtype)]
    return layers + [FC(sizes[-1], n_classes, initializer, optimizer, dtype)]


def _int_or_pair(value, owner, name, minimum=1):
    """A size that Conv2d and MaxPool2D take as an int or a pair (height, width), checked
    now rather than at fit, and kept in the form given (plain ints, for save_weights)."""
    pair = _checks.check_pair(value, owner, name, minimum)
    return pair if isinstance(value, (tuple, list)) else pair[0]


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
        return _with_dense_head(features, input_shape, self.hidden, n_classes, initializer, optimizer, dt)


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
        return _with_dense_head(features, input_shape, self.hidden, n_classes, initializer, optimizer, dt)


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
        return _with_dense_head(features, input_shape, (120, 84), n_classes, initializer, optimizer, dt)
