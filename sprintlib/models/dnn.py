"""ScratchDeepNeuralNetworkClassifier: the fully connected network of the earlier sprint
(FC layers as in the book "Deep Learning from Scratch", 『ゼロから作るDeep Learning』)."""
from __future__ import annotations

from ..layers.activations import get_activation
from ..layers.fc import FC
from .base import ScratchClassifier, check_activation, check_sizes


class ScratchDeepNeuralNetworkClassifier(ScratchClassifier):
    """FC -> activation -> ... -> FC -> softmax, on X of shape (N, n_features).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, nodes of each hidden layer, e.g. (400, 200)
    activation : "relu", "sigmoid" or "tanh"
    Other parameters: see ScratchClassifier (epochs, batch_size, optimizer, lr, ...).
    """

    layer_settings = ("hidden_layer_sizes", "activation")

    def __init__(self, hidden_layer_sizes=(400, 200), activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.hidden_layer_sizes = check_sizes(hidden_layer_sizes, self.name, "hidden_layer_sizes")
        self.activation = check_activation(activation, self.name)

    def _build(self, input_shape, n_classes, initializer, optimizer):
        sizes = [input_shape[0], *self.hidden_layer_sizes]
        layers = []
        for n1, n2 in zip(sizes[:-1], sizes[1:]):
            layers += [FC(n1, n2, initializer, optimizer, self.dtype), get_activation(self.activation, self.dtype)]
        layers.append(FC(sizes[-1], n_classes, initializer, optimizer, self.dtype))
        return layers
