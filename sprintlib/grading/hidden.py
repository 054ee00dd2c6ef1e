"""The hidden tests' inputs: ``hidden_rng(name)`` draws them, the same for one course (its
seed, mode.seed) and one test name, other draws for another; ``random_case(layer, rng)`` is
a random valid configuration of a sprint's layer; ``hidden_images`` the images a hidden
accuracy test predicts on, drawn in the trusted run by a secret that a student's kernel never
has (mode.hidden_key) and read there from the folder the trusted run leaves them in
(mode.hidden_folder).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .._checks import check_int, check_real, format_shape, to_array
from . import mode


def hidden_rng(name: str) -> np.random.Generator:
    """A random generator for the hidden test ``name``: the same draws every time for one
    course (``SPRINTLIB_GRADING_SEED``, default fixed), other draws for another test name
    or another course seed. The seed and the name are mixed by SHA-256, so that no draw
    depends on Python's hash randomisation."""
    return _rng_of(f"{mode.seed()}\0{name}")


def _rng_of(text: str) -> np.random.Generator:
    """A generator seeded by SHA-256 of ``text``: the same draws in every process."""
    return np.random.default_rng(int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "little"))


def hidden_images(name: str, X, y, n: int = 500, noise: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """(X_hidden, y_hidden): ``n`` images of ``X`` drawn at random, each pixel moved by uniform
    noise in [-noise, noise] and clipped to [0, 1], and their labels.

    What a hidden accuracy test predicts on. The shipped test images are readable in a
    student's kernel, labels included, so a ``predict`` that looks labels up (by index, by an
    image's bytes, or by its pixels rounded to 1/255) passes on them without a model; on
    these images it finds nothing, while a trained network's accuracy does not move (a
    shift of 5/255 at most). X: (N, ...) pixels in [0, 1]; y: (N,) labels.

    Which images: drawn by ``hidden_rng(name)`` when a person runs the notebook; while
    autograder/grade.py grades, by a secret only the trusted run has, which leaves the images
    in a file. A student's kernel reads them from there and gets no labels (-1): the grader
    holds the labels, and the kernel cannot find them again (nor echo them as its answer).
    """
    X, y, n, noise = _image_arguments(X, y, n, noise)
    recording = mode.recording()
    if recording == "got":
        return _graded_images(name, X, n), np.full(n, -1)
    rng = _keyed_rng(name) if recording == "expected" else hidden_rng(name)
    idx = rng.choice(len(X), size=n, replace=False)
    chosen = X[idx]
    moved = chosen + rng.uniform(-noise, noise, size=chosen.shape)
    X_hidden = np.clip(moved, 0, 1).astype(X.dtype if X.dtype.kind == "f" else np.float64)
    if recording == "expected":
        np.save(_images_file(name), X_hidden, allow_pickle=False)
    return X_hidden, y[idx]


def _image_arguments(X, y, n, noise):
    """hidden_images' arguments checked: pixels of floats or ints in [0, 1] (an image on the
    0..255 scale would be clipped to white), finite, labels of shape (N,), 1 <= n <= N, and
    0 <= noise <= 1; a ValueError naming what was expected and what came otherwise."""
    X, y = to_array(X, "hidden_images", "X"), to_array(y, "hidden_images", "y")
    if X.dtype.kind not in "biuf" or X.ndim < 1:
        raise ValueError(f"hidden_images expects X as images (N, ...) of numbers, got "
                         f"{'dtype ' + str(X.dtype) if X.dtype.kind not in 'biuf' else 'a single number'}")
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        raise ValueError(f"hidden_images expects finite pixels in X, got {int(np.isnan(X).sum())} NaN and "
                         f"{int(np.isinf(X).sum())} inf")
    if X.size and (X.min() < 0 or X.max() > 1):
        scale = " (on the 0..255 scale? divide by 255 first)" if X.max() > 1 and X.max() <= 255 and X.min() >= 0 else ""
        raise ValueError(f"hidden_images expects pixels in [0, 1], got values from {X.min():g} to {X.max():g}{scale}")
    if y.ndim != 1:
        raise ValueError(f"hidden_images expects y as labels of shape (N,), got shape {format_shape(y.shape)}")
    n = check_int(n, "hidden_images", "n")
    noise = check_real(noise, "hidden_images", "noise", 0, 1)
    if len(X) != len(y) or n > len(X):
        raise ValueError(f"hidden_images expects X and y with the same number of rows, at least n = {n}, "
                         f"got {len(X)} and {len(y)}")
    return X, y, n, noise


def _keyed_rng(name: str) -> np.random.Generator:
    key = mode.hidden_key()
    if not key:
        raise RuntimeError(f"hidden_images: the trusted run needs {mode.HIDDEN_KEY_VARIABLE} "
                           f"(set by autograder/grade.py)")
    return _rng_of(f"{key}\0images\0{name}")


def _images_file(name: str) -> Path:
    folder = mode.hidden_folder()
    if not folder:
        raise RuntimeError(f"hidden_images: a graded run needs {mode.HIDDEN_DIR_VARIABLE} "
                           f"(set by autograder/grade.py)")
    return Path(folder) / (hashlib.sha256(name.encode()).hexdigest()[:24] + ".npy")


def _graded_images(name: str, X: np.ndarray, n: int) -> np.ndarray:
    """The images the trusted run drew for ``name``, checked against what the test asks for."""
    try:
        images = np.load(_images_file(name), allow_pickle=False)
    except OSError:
        raise RuntimeError(f"hidden_images: the grader's images for {name!r} are missing") from None
    if images.shape != (n, *X.shape[1:]) or images.dtype.kind != "f":
        raise RuntimeError(f"hidden_images: the grader's images for {name!r} are of shape "
                           f"{format_shape(images.shape)}, the test asks for {format_shape((n, *X.shape[1:]))}")
    return images


def random_case(layer: str, rng: np.random.Generator) -> dict:
    """A random valid configuration of a sprint's layer: sprintlib's constructor arguments
    and ``input_shape``, small enough for a test cell. ``layer``: "fc", "simple_conv1d",
    "conv1d", "conv2d", "pool2d" (MaxPool2D and AveragePool2D) or "rnn".

        case = random_case("conv2d", hidden_rng("conv2d"))
        X = rng.standard_normal(case.pop("input_shape"))
        check_layer(MyConv2d(**case), Conv2d(**case), X)

    Sizes are drawn as output sizes first, then the input size that they need, so that the
    windows tile the padded input exactly (sprintlib's layers refuse a remainder).
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"random_case expects rng to be a numpy Generator (hidden_rng(name) or "
                         f"np.random.default_rng(seed)), got {type(rng).__name__}")
    r = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731 - inclusive, as the sprints write sizes
    n = r(1, 3)
    if layer == "fc":
        n1 = r(1, 6)
        return dict(n_nodes1=n1, n_nodes2=r(1, 6), input_shape=(n, n1))
    if layer == "simple_conv1d":
        f = r(1, 4)
        return dict(filter_size=f, input_shape=(f - 1 + r(1, 6),))
    if layer == "rnn":
        features, nodes = r(1, 4), r(1, 5)
        return dict(n_features=features, n_nodes=nodes, input_shape=(n, r(1, 5), features))
    if layer in ("conv1d", "conv2d"):
        axes = 1 if layer == "conv1d" else 2
        f, s = [r(1, 4) for _ in range(axes)], [r(1, 3) for _ in range(axes)]
        p = [r(0, ff - 1) for ff in f]  # pad < filter: each window sees some input
        size = [max((r(1, 4) - 1) * ss + ff - 2 * pp, 1) for ff, ss, pp in zip(f, s, p)]
        size = [_tiling(x, ff, ss, pp) for x, ff, ss, pp in zip(size, f, s, p)]
        one = (lambda v: v[0]) if axes == 1 else tuple
        c_in = r(1, 3)
        return dict(in_channels=c_in, out_channels=r(1, 3), filter_size=one(f), stride=one(s), pad=one(p),
                    input_shape=(n, c_in, *size))
    if layer == "pool2d":
        pool = (r(1, 3), r(1, 3))
        stride = pool if rng.random() < 0.5 else (r(1, 3), r(1, 3))
        size = [(r(1, 4) - 1) * ss + pp for pp, ss in zip(pool, stride)]
        return dict(pool_size=pool, stride=stride, input_shape=(n, r(1, 3), *size))
    raise ValueError(f"random_case expects one of fc, simple_conv1d, conv1d, conv2d, pool2d, rnn; got {layer!r}")


def _tiling(size, f, s, p) -> int:
    """The smallest input size >= size whose padded windows tile exactly."""
    while (size + 2 * p - f) % s or size + 2 * p < f:
        size += 1
    return size
