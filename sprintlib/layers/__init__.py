"""The layer classes the sprints teach; each has forward, backward, and W/B/dW/dB."""
from .activations import ReLU, Sigmoid, Tanh, get_activation
from .base import Layer
from .fc import FC
from ..losses import Softmax

__all__ = ["Layer", "FC", "ReLU", "Sigmoid", "Tanh", "Softmax", "get_activation"]
