"""The layer classes the sprints teach; each has forward, backward, and W/B/dW/dB."""
from .activations import ReLU, Sigmoid, Tanh, get_activation
from .base import Layer
from .fc import FC
from .simple_conv1d import SimpleConv1d
from .conv1d import Conv1d
from .conv2d import Conv2d
from .max_pool2d import MaxPool2D
from .average_pool2d import AveragePool2D
from .flatten import Flatten
from .rnn import SimpleRNN
from ..losses import Softmax

__all__ = ["Layer", "FC", "ReLU", "Sigmoid", "Tanh", "Softmax", "get_activation"]
__all__ += ["SimpleRNN"]
__all__ += ["SimpleConv1d", "Conv1d", "Conv2d", "MaxPool2D", "AveragePool2D", "Flatten"]
