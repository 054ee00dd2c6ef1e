"""Classifiers built from sprintlib.layers; they share fit/predict in base.ScratchClassifier."""
from .base import ScratchClassifier
from .dnn import ScratchDeepNeuralNetworkClassifier

__all__ = ["ScratchClassifier", "ScratchDeepNeuralNetworkClassifier"]
