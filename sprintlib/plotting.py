"""Plots a person would rather look at than read. Each function returns the figure."""
from __future__ import annotations

import matplotlib.pyplot as plt


def plot_learning_curve(history: dict, title: str | None = None):
    """Loss and accuracy per epoch, training and validation, side by side.

    ``history`` is a classifier's ``history``: lists under ``loss``, ``accuracy``
    and optionally ``val_loss``, ``val_accuracy``.
    """
    curves = _curves(history)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, key in zip(axes, ("loss", "accuracy")):
        train = curves.get(key, [])
        epochs = range(1, len(train) + 1)
        ax.plot(epochs, train, "o-", label=f"train {key}")
        val = curves.get("val_" + key, [])
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


#: the curves a history may hold (a classifier's ``history``)
CURVES = ("loss", "accuracy", "val_loss", "val_accuracy")


def _curves(history) -> dict:
    """{key: a 1-D float array} of the curves ``history`` holds, each checked: numbers (NaN
    allowed: a diverged epoch shows as a gap), one an epoch; a ValueError naming what was
    expected and what came when it holds none (an empty dict, the history before fit)."""
    import numpy as np

    from . import _checks

    expected = (f"plot_learning_curve expects a classifier's history, a dict of lists of numbers (one an "
                f"epoch) under {', '.join(repr(k) for k in CURVES)}")
    if not isinstance(history, dict):  # None: model.history before fit
        raise ValueError(f"{expected}, got {type(history).__name__} (fit the model first)")
    curves = {}
    for key in CURVES:
        value = history.get(key)
        if value is None:
            continue
        arr = _checks.to_array(value, "plot_learning_curve", f"history[{key!r}]")
        if arr.dtype.kind not in "biuf" or arr.ndim != 1:
            raise ValueError(f"{expected}, got history[{key!r}] of "
                             + (f"dtype {arr.dtype}" if arr.dtype.kind not in "biuf" else
                                f"shape {_checks.format_shape(arr.shape)}"))
        if arr.size:
            curves[key] = arr.astype(np.float64)
    if "loss" not in curves and "accuracy" not in curves:
        found = ", ".join(f"{k!r}: {len(v)} epochs" if isinstance(v, (list, tuple, np.ndarray)) else repr(k)
                          for k, v in history.items())
        raise ValueError(f"{expected}, at least one epoch under 'loss' or 'accuracy', got "
                         f"{'{' + found + '}' if found else 'an empty dict'} (fit the model first)")
    return curves


def _grid(n: int, max_cols: int = 8):
    cols = min(n, max_cols)
    return (n + cols - 1) // cols, cols


def plot_filters(W, title: str = "first-layer filters"):
    """Each filter of a Conv2d as a small image: W (C_out, C_in, FH, FW), channel 0 shown.

    A diverging colour map centred on 0, so that what a filter adds (red) and what it
    subtracts (blue) read at a glance."""
    import numpy as np

    from . import _checks

    W = _checks.to_array(W, "plot_filters", "W")
    if W.ndim != 4 or W.dtype.kind not in "biuf" or 0 in W.shape:
        raise ValueError(f"plot_filters expects W of shape (C_out, C_in, FH, FW) holding numbers, at least one "
                         f"along each axis, got shape {_checks.format_shape(W.shape)} of dtype {W.dtype}")
    W = W.astype(np.float64)
    rows, cols = _grid(W.shape[0])
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.4 * rows + 0.4), squeeze=False)
    # the colour scale of the finite weights: one NaN (a diverged training) blanks its own
    # filter's pixel, not every filter's scale
    finite = np.abs(W[:, 0][np.isfinite(W[:, 0])])
    lim = float(finite.max()) if finite.size else 0.0
    lim = lim or 1.0
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < W.shape[0]:
            ax.imshow(W[i, 0], cmap="RdBu_r", vmin=-lim, vmax=lim)
            bad = int((~np.isfinite(W[i, 0])).sum())
            ax.set_title(f"filter {i}" + (f" ({bad} not finite)" if bad else ""), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_feature_maps(layers, image, n_layers: int | None = None, max_maps: int = 8):
    """What one image becomes after each layer that keeps an image shape.

    Parameters
    ----------
    layers : a list of layers (``model.layers``): sprintlib's or a student's own, anything
        with ``forward(X)`` (nothing else is read of them)
    image : ndarray of shape (C, H, W), one image
    n_layers : how many layers to run (default: up to the first one that flattens)
    Each row is a layer's output (N=1, C, H, W); up to ``max_maps`` channels are shown,
    each titled with the layer's name (its repr if its class has one, else its class's name).
    """
    import numpy as np

    from . import _checks

    if not isinstance(layers, (list, tuple)) or not layers or not all(callable(getattr(la, "forward", None))
                                                                       for la in layers):
        raise ValueError(f"plot_feature_maps expects layers as a non-empty list of layers (model.layers), "
                         f"got {_checks._what(layers) if isinstance(layers, (list, tuple)) and layers else layers!r}")
    image = _checks.to_array(image, "plot_feature_maps", "image")
    if image.ndim != 3 or image.dtype.kind not in "biuf":
        one = " (one channel: image[None])" if image.ndim == 2 else ""
        raise ValueError(f"plot_feature_maps expects image of shape (C, H, W) holding numbers, got shape "
                         f"{_checks.format_shape(image.shape)} of dtype {image.dtype}{one}")
    if n_layers is not None:
        n_layers = _checks.check_int(n_layers, "plot_feature_maps", "n_layers")
    max_maps = _checks.check_int(max_maps, "plot_feature_maps", "max_maps")
    X = np.asarray(image, dtype=_input_dtype(layers))[None]
    outputs = []
    for layer in layers[:n_layers]:
        X = np.asarray(layer.forward(X))
        if X.ndim != 4:
            break
        outputs.append((_layer_name(layer), X[0]))
    if not outputs:
        raise ValueError("plot_feature_maps expects layers whose outputs have shape (N, C, H, W)")
    cols = min(max_maps, max(o.shape[0] for _, o in outputs)) + 1
    fig, axes = plt.subplots(len(outputs), cols, figsize=(1.4 * cols, 1.5 * len(outputs)), squeeze=False)
    for row, (name, maps) in zip(axes, outputs):
        row[0].imshow(np.asarray(image)[0], cmap="gray")
        row[0].set_title("input", fontsize=8)
        for c, ax in enumerate(row[1:]):
            if c < maps.shape[0]:
                ax.imshow(maps[c], cmap="viridis")
                ax.set_title(f"{name[:14]} ch{c}", fontsize=7)
        for ax in row:
            ax.axis("off")
    fig.tight_layout()
    return fig


def _input_dtype(layers):
    """The floating dtype the first layer computes in: sprintlib's layers say it (``dtype``),
    a student's may not; then its weights' (``W``), else float64."""
    import numpy as np

    for layer in layers[:1]:
        for value in (getattr(layer, "dtype", None), getattr(getattr(layer, "W", None), "dtype", None)):
            try:
                dtype = np.dtype(value) if value is not None else None
            except TypeError:
                dtype = None
            if dtype is not None and dtype.kind == "f":
                return dtype
    return np.float64


def _layer_name(layer) -> str:
    """sprintlib's repr (``Conv2d(1, 6, 5, ...)``); for a class without a repr of its own, its
    name rather than ``<__main__.Convolution object at 0x...>``."""
    if type(layer).__repr__ is object.__repr__:
        return type(layer).__name__
    try:
        return repr(layer)
    except Exception:  # a student's __repr__ that fails
        return type(layer).__name__


def confusion_matrix(y_true, y_pred, n_classes: int | None = None):
    """counts[i, j] = how many samples of class i were predicted as j.

    y_true, y_pred : integer labels of shape (N,), each in 0..n_classes-1
    n_classes : int or None (the largest label + 1)
    Returns counts of shape (n_classes, n_classes).
    """
    import numpy as np

    from . import _checks

    # labels checked as the models check theirs: a cast to int64 alone would truncate 1.7 to 1,
    # read one-hot rows as labels 0 and 1, and let np.add.at wrap a label -1 to the last class
    y_true = _checks.check_labels(y_true, "confusion_matrix", name="y_true")
    y_pred = _checks.check_labels(y_pred, "confusion_matrix", n_samples=len(y_true), name="y_pred")
    if n_classes is not None:
        n_classes = _checks.check_int(n_classes, "confusion_matrix", "n_classes")
        for name, y in (("y_true", y_true), ("y_pred", y_pred)):
            _checks.check_labels(y, "confusion_matrix", n_classes, name=name)
    if y_true.size == 0:
        raise ValueError("confusion_matrix expects y_true of shape (N,) with at least one label, got (0,)")
    k = n_classes or int(max(y_true.max(), y_pred.max())) + 1
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def plot_confusion_matrix(y_true, y_pred, n_classes: int | None = None, title: str = "confusion matrix"):
    """The confusion matrix as a heat map with the counts written in each cell."""
    counts = confusion_matrix(y_true, y_pred, n_classes)
    k = counts.shape[0]
    fig, ax = plt.subplots(figsize=(0.55 * k + 2, 0.55 * k + 1.5))
    ax.imshow(counts, cmap="Blues")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if counts[i, j] > counts.max() / 2 else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title} (accuracy {counts.trace() / counts.sum():.2%})")
    fig.tight_layout()
    return fig
