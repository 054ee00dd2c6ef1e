"""Classifiers built from sprintlib.layers; they share fit/predict in base.ScratchClassifier."""
from .base import ScratchClassifier
from .cnn import LeNet, Scratch1dCNNClassifier, Scratch2dCNNClassifier
from .dnn import ScratchDeepNeuralNetworkClassifier
from .rnn import ScratchSimpleRNNClassifier

__all__ = ["ScratchClassifier", "ScratchDeepNeuralNetworkClassifier", "ScratchSimpleRNNClassifier",
           "Scratch1dCNNClassifier", "Scratch2dCNNClassifier", "LeNet"]
