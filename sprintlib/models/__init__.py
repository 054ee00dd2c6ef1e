"""The classifiers, built from sprintlib's layers (dnn.py, cnn.py, rnn.py); ``base.ScratchClassifier``
holds fit, predict, summary and saving. Import them from ``sprintlib`` (``from sprintlib import LeNet``)."""
