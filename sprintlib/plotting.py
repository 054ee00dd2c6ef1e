"""Plots a person would rather look at than read. Each function returns the figure."""
from __future__ import annotations

import matplotlib.pyplot as plt


def plot_learning_curve(history: dict, title: str | None = None, smooth: int | None = None):
    """Loss and accuracy, training and validation, side by side, against the epoch.

    ``history`` is a classifier's ``history``: lists under ``loss``, ``accuracy`` and
    optionally ``val_loss``, ``val_accuracy`` (one value an epoch, drawn at the epoch's end:
    1, 2, ...), and ``batch_loss`` (the loss of every batch, in order: drawn at its place in
    its epoch, faint, with the mean of each run of ``smooth`` batches over it; default: about
    a twentieth of an epoch). One epoch then draws a curve of many points, not a single one.
    """
    curves = _curves(history)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    batches = curves.get("batch_loss")
    if batches is not None:
        _batch_curve(axes[0], batches, len(curves.get("loss", [])) or 1, smooth)
    for ax, key in zip(axes, ("loss", "accuracy")):
        train = curves.get(key, [])
        if len(train):
            ax.plot(range(1, len(train) + 1), train, "o-", label=f"train {key} (epoch's mean)")
        val = curves.get("val_" + key, [])
        if len(val):
            ax.plot(range(1, len(val) + 1), val, "s--", label=f"validation {key}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    axes[0].set_title("cross-entropy loss")
    axes[1].set_title("accuracy")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _batch_curve(ax, batches, epochs: int, smooth: int | None) -> None:
    """Every batch's loss at its place (batch k of an epoch of n ends at epoch e + (k + 1) / n),
    faint, and the mean of each run of ``smooth`` batches."""
    import numpy as np

    from . import _checks

    per_epoch = len(batches) / epochs
    x = np.arange(1, len(batches) + 1) / per_epoch
    ax.plot(x, batches, color="tab:blue", alpha=0.25, linewidth=0.8, label="each batch")
    k = max(1, round(per_epoch / 20)) if smooth is None else _checks.check_int(smooth, "plot_learning_curve",
                                                                                "smooth")
    if 1 < k <= len(batches):
        means = np.convolve(batches, np.ones(k) / k, mode="valid")
        ax.plot(x[k - 1:], means, color="tab:blue", label=f"mean of {k} batches")


#: the curves a history may hold (a classifier's ``history``): one value an epoch, or a batch
CURVES = ("loss", "accuracy", "val_loss", "val_accuracy", "batch_loss")


def _curves(history) -> dict:
    """{key: a 1-D float array} of the curves ``history`` holds, each checked: numbers (NaN
    allowed: a diverged epoch shows as a gap), one an epoch; a ValueError naming what was
    expected and what came when it holds none (an empty dict, the history before fit)."""
    import numpy as np

    from . import _checks

    expected = (f"plot_learning_curve expects a classifier's history, a dict of lists of numbers (one an "
                f"epoch; under 'batch_loss', one a batch) under {', '.join(repr(k) for k in CURVES)}")
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
    if not {"loss", "accuracy", "batch_loss"} & set(curves):
        found = ", ".join(f"{k!r}: {len(v)} epochs" if isinstance(v, (list, tuple, np.ndarray)) else repr(k)
                          for k, v in history.items())
        raise ValueError(f"{expected}, at least one epoch under 'loss' or 'accuracy' (or a batch under 'batch_loss'), got "
                         f"{'{' + found + '}' if found else 'an empty dict'} (fit the model first)")
    return curves


def _grid(n: int, max_cols: int = 8):
    cols = min(n, max_cols)
    return (n + cols - 1) // cols, cols


def plot_filters(W, title: str = "first-layer filters"):
    """Each filter of a Conv2d as a small image: W (C_out, C_in, FH, FW), channel 0 shown;
    or of a Conv1d as bars, one a weight: W (C_out, C_in, F), channel 0 shown.

    A diverging colour map centred on 0, so that what a filter adds (red) and what it
    subtracts (blue) read at a glance."""
    import numpy as np

    from . import _checks

    W = _checks.to_array(W, "plot_filters", "W")
    if W.ndim not in (3, 4) or W.dtype.kind not in "biuf" or 0 in W.shape:
        raise ValueError(f"plot_filters expects W of shape (C_out, C_in, FH, FW) (a Conv2d's) or (C_out, C_in, F) "
                         f"(a Conv1d's) holding numbers, at least one along each axis, got shape "
                         f"{_checks.format_shape(W.shape)} of dtype {W.dtype}")
    W = W.astype(np.float64)
    if W.ndim == 3:
        return _plot_filters_1d(W, title)
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


def _plot_filters_1d(W, title: str):
    """Each filter of a Conv1d (W (C_out, C_in, F)), channel 0, as F bars: red adds, blue subtracts."""
    import numpy as np

    rows, cols = _grid(W.shape[0])
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.5 * rows + 0.4), squeeze=False)
    finite = np.abs(W[:, 0][np.isfinite(W[:, 0])])
    lim = (float(finite.max()) if finite.size else 0.0) or 1.0
    for i, ax in enumerate(axes.flat):
        if i >= W.shape[0]:
            ax.axis("off")
            continue
        w = W[i, 0]
        ax.bar(range(len(w)), np.nan_to_num(w), color=["tab:red" if v > 0 else "tab:blue" for v in w])
        ax.axhline(0, color="gray", linewidth=0.5)
        ax.set_ylim(-1.05 * lim, 1.05 * lim)
        ax.set_xticks(range(len(w)))
        ax.tick_params(labelsize=6)
        bad = int((~np.isfinite(w)).sum())
        ax.set_title(f"filter {i}" + (f" ({bad} not finite)" if bad else ""), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_feature_maps_1d(layers, images, image_shape=None, max_maps: int = 8):
    """What a few inputs become after a 1-D convolution (and what follows it, while the
    outputs keep the form (N, C, L)): a row an input, the input first, then each channel.

    Parameters
    ----------
    layers : a list of layers, sprintlib's or a student's own, anything with ``forward(X)``;
        the first takes X of shape (N, C, L)
    images : ndarray of shape (N, L) (one channel) or (N, C, L), a few inputs
    image_shape : (H, W) with H * W = L, or None: an input and a map of that length are shown
        as H x W images (an MNIST image flattened to 784 values, read back as 28 x 28), others
        as curves
    """
    import numpy as np

    from . import _checks

    if not isinstance(layers, (list, tuple)) or not layers or not all(callable(getattr(la, "forward", None))
                                                                       for la in layers):
        raise ValueError(f"plot_feature_maps_1d expects layers as a non-empty list of layers, got {layers!r}")
    X = _checks.to_array(images, "plot_feature_maps_1d", "images")
    if X.ndim == 2:
        X = X[:, None, :]
    if X.ndim != 3 or X.dtype.kind not in "biuf" or 0 in X.shape:
        raise ValueError(f"plot_feature_maps_1d expects images of shape (N, L) or (N, C, L) holding numbers, got "
                         f"shape {_checks.format_shape(np.shape(images))} of dtype {X.dtype}")
    if image_shape is not None:
        image_shape = tuple(_checks.check_int(n, "plot_feature_maps_1d", "image_shape") for n in image_shape)
    max_maps = _checks.check_int(max_maps, "plot_feature_maps_1d", "max_maps")
    inputs = np.asarray(X, dtype=_input_dtype(layers))
    A, name = inputs, "input"
    for layer in layers:
        out = np.asarray(layer.forward(A))
        if out.ndim != 3 or len(out) != len(X):
            break
        A, name = out, _layer_name(layer)
    if A is inputs:
        raise ValueError("plot_feature_maps_1d expects layers whose outputs have shape (N, C, L)")
    cols = min(max_maps, A.shape[1]) + 1
    fig, axes = plt.subplots(len(X), cols, figsize=(1.5 * cols, 1.6 * len(X) + 0.3), squeeze=False)

    def show(ax, values, cmap):
        if image_shape is not None and values.size == int(np.prod(image_shape)):
            ax.imshow(values.reshape(image_shape), cmap=cmap)
            ax.axis("off")
        else:
            ax.plot(values, linewidth=0.6)
            ax.tick_params(labelsize=6)

    for row, x, maps in zip(axes, inputs, A):
        show(row[0], x[0], "gray")
        row[0].set_title("input", fontsize=8)
        for c, ax in enumerate(row[1:]):
            show(ax, maps[c], "viridis")
            ax.set_title(f"channel {c}", fontsize=8)
    fig.suptitle(f"after {name[:40]}", fontsize=9)
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
