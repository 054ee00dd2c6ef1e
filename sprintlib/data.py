"""MNIST from the repository's data/mnist, checksum-verified. Nothing downloads, ever."""
from __future__ import annotations

import functools
import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

from . import _checks

#: data/mnist of the repository (sprintlib is installed in editable mode); SPRINTLIB_DATA overrides
DEFAULT_DIR = Path(os.environ.get("SPRINTLIB_DATA", Path(__file__).resolve().parents[1] / "data" / "mnist"))

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
_RESTORE = "restore it from the repository (git checkout -- data/mnist) or from ../shared/data/mnist"


def read_checksums(data_dir: Path) -> dict[str, str]:
    """SHA256SUMS as {file name: hex digest} (sha256sum's format; # starts a comment)."""
    sums = Path(data_dir) / "SHA256SUMS"
    if not Path(data_dir).is_dir():
        raise FileNotFoundError(f"MNIST folder {data_dir} is missing: {_RESTORE}")
    if not sums.is_file():
        raise FileNotFoundError(f"MNIST checksum file {sums} is missing: {_RESTORE}")
    out = {}
    for number, line in enumerate(sums.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 2:
            raise ValueError(f"MNIST checksum file {sums}, line {number}: expected '<sha256> <file name>', "
                             f"got {line!r}; {_RESTORE}")
        out[fields[1].lstrip("*")] = fields[0].lower()
    return out


def verify(data_dir=None) -> None:
    """Raise unless every MNIST file is present and matches SHA256SUMS."""
    data_dir = Path(data_dir or DEFAULT_DIR)
    expected = read_checksums(data_dir)
    for name in FILES.values():
        path = data_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"MNIST file {path} is missing: {_RESTORE}")
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != expected.get(name):
            raise ValueError(
                f"MNIST file {path} is corrupted: its SHA256 is {actual[:16]}..., "
                f"SHA256SUMS expects {str(expected.get(name))[:16]}...; {_RESTORE}"
            )


def _read_idx(path: Path, magic: int, shape_tail: tuple) -> np.ndarray:
    """Read one gzipped IDX file (big-endian header: magic, count, then dimensions).

    The checksums catch a damaged copy of the shipped files; these checks catch files whose
    SHA256SUMS was written for them (another copy of MNIST, a truncated download)."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:  # not gzip, or cut short
        raise ValueError(f"MNIST file {path} is not a whole gzip file ({exc}); {_RESTORE}") from None
    n_header = 4 * (2 + len(shape_tail))
    if len(raw) < n_header:
        raise ValueError(f"MNIST file {path} holds {len(raw)} bytes, fewer than its {n_header}-byte header; {_RESTORE}")
    header = np.frombuffer(raw, dtype=">i4", count=2 + len(shape_tail))
    if header[0] != magic or tuple(header[2:]) != shape_tail:
        raise ValueError(f"MNIST file {path} has header {tuple(header)}, expected magic {magic} and {shape_tail}; {_RESTORE}")
    shape = (int(header[1]),) + shape_tail
    if len(raw) - n_header != int(np.prod(shape)):
        raise ValueError(f"MNIST file {path}: its header announces {shape[0]} items ({int(np.prod(shape))} bytes), "
                         f"the file holds {len(raw) - n_header} bytes after the header; {_RESTORE}")
    return np.frombuffer(raw, dtype=np.uint8, offset=n_header).reshape(shape)


def _pair(images: np.ndarray, labels: np.ndarray, which: str, data_dir: Path) -> tuple:
    """A set's images and labels, checked against each other (one label an image, 0..9)."""
    if len(images) != len(labels) or (labels.size and labels.max() > 9):
        raise ValueError(f"MNIST {which} set in {data_dir}: expected one label 0..9 an image, got {len(images)} "
                         f"images and {len(labels)} labels (largest {labels.max() if labels.size else None}); "
                         f"{_RESTORE}")
    return images, labels


@functools.lru_cache(maxsize=4)
def _load_raw(data_dir: str):
    # verified and parsed once per process; callers get converted copies
    verify(data_dir)
    d = Path(data_dir)
    return (
        *_pair(_read_idx(d / FILES["train_images"], 2051, (28, 28)),
               _read_idx(d / FILES["train_labels"], 2049, ()), "training", d),
        *_pair(_read_idx(d / FILES["test_images"], 2051, (28, 28)),
               _read_idx(d / FILES["test_labels"], 2049, ()), "test", d),
    )


def _check_dtype(dtype, normalize) -> np.dtype:
    """``dtype`` as a NumPy dtype that holds what load_mnist returns: fractions in [0, 1]
    (normalize, a float) or the pixels 0..255 (an integer type that reaches 255, or a float).
    Otherwise the cast would go wrong in silence: int8 wraps 128..255 to negative numbers,
    bool turns every pixel into 0 or 1."""
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        dt = None
    if dt is None or dt.kind not in "iuf":
        raise ValueError(f"load_mnist expects dtype to be a real number type (np.float32, np.float64, "
                         f"np.uint8...), got {dtype!r}")
    if normalize and dt.kind != "f":
        raise ValueError(f"load_mnist expects a floating dtype with normalize=True (pixels in [0, 1]), "
                         f"got {dt}: pass normalize=False for the pixels 0..255 as {dt}")
    if dt.kind in "iu" and np.iinfo(dt).max < 255:
        raise ValueError(f"load_mnist expects a dtype that holds the pixels 0..255, got {dt} "
                         f"(at most {np.iinfo(dt).max}): use np.uint8 or a wider type")
    return dt


def load_mnist(normalize: bool = True, flatten: bool = True, one_hot: bool = False,
               dtype=np.float64, data_dir=None):
    """Load MNIST as ``(X_train, y_train), (X_test, y_test)``.

    Returns
    -------
    X_train : ndarray of shape (60000, 784), or (60000, 1, 28, 28) when ``flatten=False``
        Pixels in [0, 1] when ``normalize`` (else 0..255), of ``dtype``.
    y_train : ndarray of shape (60000,) int64 labels, or (60000, 10) when ``one_hot``
    X_test, y_test : the same for the 10,000 test images.

    Raises FileNotFoundError / ValueError naming the file when one is missing or
    its checksum does not match, and ValueError for a ``dtype`` that cannot hold the pixels.
    """
    normalize, flatten, one_hot = (_checks.check_bool(v, "load_mnist", name) for v, name in
                                   ((normalize, "normalize"), (flatten, "flatten"), (one_hot, "one_hot")))
    dtype = _check_dtype(dtype, normalize)
    Xtr, ytr, Xte, yte = _load_raw(str(Path(data_dir or DEFAULT_DIR)))

    def images(X):
        X = X.reshape(len(X), 784) if flatten else X.reshape(len(X), 1, 28, 28)
        if normalize:
            # one pass, one array: the same numbers as X.astype(dtype) / 255 (each pixel cast
            # to ``dtype``, then divided in ``dtype``), without a second 376 MB temporary
            return np.divide(X, 255, dtype=dtype)
        return X.astype(dtype)

    def labels(y):
        y = y.astype(np.int64)
        return np.eye(10, dtype=dtype)[y] if one_hot else y

    return (images(Xtr), labels(ytr)), (images(Xte), labels(yte))
