"""sprintlib: the reference NumPy implementations of the deep-learning-from-scratch sprints.

Import what a sprint uses from here::

    from sprintlib import FC, ReLU, Softmax, HeInitializer, Adam, GetMiniBatch
    from sprintlib.data import load_mnist

TensorFlow is never imported by sprintlib itself (only by sprintlib.testing.check_against_tf).
"""
from .initializers import FixedInitializer, HeInitializer, SimpleInitializer, XavierInitializer
from .layers import FC, Layer, ReLU, Sigmoid, Softmax, Tanh
from .minibatch import GetMiniBatch
from .models import ScratchDeepNeuralNetworkClassifier
from .optimizers import SGD, AdaGrad, Adam, Momentum, RMSProp
from .layers.rnn import SimpleRNN
from .layers import AveragePool2D, Conv1d, Conv2d, Flatten, MaxPool2D, SimpleConv1d
from .models.rnn import ScratchSimpleRNNClassifier

__version__ = "0.1.0"

__all__ = [
    "FC", "Layer", "ReLU", "Sigmoid", "Tanh", "Softmax",
    "SimpleInitializer", "XavierInitializer", "HeInitializer", "FixedInitializer",
    "SGD", "Momentum", "AdaGrad", "RMSProp", "Adam",
    "GetMiniBatch", "ScratchDeepNeuralNetworkClassifier",
]
__all__ += ["SimpleRNN", "ScratchSimpleRNNClassifier"]
__all__ += ["SimpleConv1d", "Conv1d", "Conv2d", "MaxPool2D", "AveragePool2D", "Flatten"]
