"""sprintlib: the reference NumPy implementations of the deep-learning-from-scratch sprints.

Import what a sprint uses from here::

    from sprintlib import FC, ReLU, Softmax, HeInitializer, Adam, GetMiniBatch
    from sprintlib.data import load_mnist

TensorFlow is never imported by sprintlib itself (only by sprintlib.testing.check_against_tf).
The letters used for shapes and arrays everywhere are listed in ``sprintlib.functional``.
"""
# Importing sprintlib changes nothing in the process (no thread count, no malloc setting):
# what is there for speed alone lives in sprintlib.fast, applied inside its calls only
from . import fast
from ._withheld import ModelAnswerWithheld, where_from
from .initializers import FixedInitializer, HeInitializer, SimpleInitializer, XavierInitializer
from .layers.activations import ReLU, Sigmoid, Tanh
from .layers.average_pool2d import AveragePool2D
from .layers.base import Layer
from .layers.conv1d import Conv1d
from .layers.conv2d import Conv2d
from .layers.fc import FC
from .layers.flatten import Flatten
from .layers.max_pool2d import MaxPool2D
from .layers.reshape import Reshape
from .layers.rnn import SimpleRNN
from .layers.simple_conv1d import SimpleConv1d
from .losses import Softmax
from .minibatch import GetMiniBatch
from .models.base import ScratchClassifier
from .models.cnn import LeNet, Scratch1dCNNClassifier, Scratch2dCNNClassifier
from .models.dnn import ScratchDeepNeuralNetworkClassifier
from .models.rnn import ScratchSimpleRNNClassifier
from .optimizers import SGD, AdaGrad, Adam, Momentum, RMSProp

__version__ = "0.1.0"

__all__ = [
    # the speed tricks, fenced, and their switch (SPRINTLIB_FAST=0, fast.disable())
    "fast",
    # layers (sprintlib/layers/, one a file)
    "Layer", "FC", "ReLU", "Sigmoid", "Tanh", "Softmax",
    "SimpleConv1d", "Conv1d", "Conv2d", "MaxPool2D", "AveragePool2D", "Flatten", "Reshape",
    "SimpleRNN",
    # initializers and optimizers
    "SimpleInitializer", "XavierInitializer", "HeInitializer", "FixedInitializer",
    "SGD", "Momentum", "AdaGrad", "RMSProp", "Adam",
    # training
    "GetMiniBatch",
    # classifiers (sprintlib/models/)
    "ScratchClassifier", "ScratchDeepNeuralNetworkClassifier", "Scratch1dCNNClassifier",
    "Scratch2dCNNClassifier", "LeNet", "ScratchSimpleRNNClassifier",
    # the students' copy: which model answers it holds (sprintlib/_withheld.py)
    "ModelAnswerWithheld", "where_from",
]
