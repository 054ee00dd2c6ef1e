"""Plots a person would rather look at than read. Each function returns the figure."""
from __future__ import annotations

import matplotlib.pyplot as plt


def plot_learning_curve(history: dict, title: str | None = None):
    """Loss and accuracy per epoch, training and validation, side by side.

    ``history`` is a classifier's ``history``: lists under ``loss``, ``accuracy``
    and optionally ``val_loss``, ``val_accuracy``.
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, key in zip(axes, ("loss", "accuracy")):
        train = history.get(key, [])
        epochs = range(1, len(train) + 1)
        ax.plot(epochs, train, "o-", label=f"train {key}")
        val = history.get("val_" + key) or []
        if len(val):
            ax.plot(range(1, len(val) + 1), val, "s--", label=f"validation {key}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_title("cross-entropy loss")
    axes[1].set_title("accuracy")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
