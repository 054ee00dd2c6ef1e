"""MNIST loading: shapes, dtypes, the documents' sanity facts, checksums, corrupted copies."""
import shutil

import numpy as np
import pytest

from sprintlib import data
from sprintlib.data import load_mnist


def test_shapes_and_ranges():
    (X_train, y_train), (X_test, y_test) = load_mnist()
    assert X_train.shape == (60000, 784) and y_train.shape == (60000,)
    assert X_test.shape == (10000, 784) and y_test.shape == (10000,)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert np.array_equal(np.unique(y_train), np.arange(10))


def test_the_documents_sanity_facts():
    # data/mnist/README.md: first training label 5; test labels begin 7, 2, 1 and end 4, 5, 6;
    # row 14 of the first image has 81, 240, 253, 253, 119, 25 at columns 13..18
    (X_train, y_train), (_, y_test) = load_mnist(normalize=False, flatten=False)
    assert y_train[0] == 5
    assert list(y_test[:3]) == [7, 2, 1] and list(y_test[-3:]) == [4, 5, 6]
    assert list(X_train[0, 0, 14, 13:19]) == [81, 240, 253, 253, 119, 25]
    (Xn, _), _ = load_mnist()
    np.testing.assert_allclose(Xn[0].reshape(28, 28)[14, 13:19],
                               [0.31764706, 0.94117647, 0.99215686, 0.99215686, 0.46666667, 0.09803922], atol=1e-8)


def test_options():
    (X, y), _ = load_mnist(flatten=False, one_hot=True, dtype=np.float32)
    assert X.shape == (60000, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (60000, 10) and np.array_equal(y.sum(axis=1), np.ones(60000))
    assert y[0].argmax() == 5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("flatten", [True, False])
def test_normalised_pixels_are_the_cast_pixels_divided_by_255(dtype, flatten):
    """load_mnist converts and divides in one pass: bit for bit what X.astype(dtype) / 255 gives."""
    (raw, _), (raw_test, _) = load_mnist(normalize=False, flatten=flatten, dtype=np.uint8)
    (X, _), (X_test, _) = load_mnist(flatten=flatten, dtype=dtype)
    for got, pixels in ((X, raw), (X_test, raw_test)):
        want = pixels.astype(dtype) / 255
        assert got.dtype == want.dtype and got.shape == want.shape and got.flags.c_contiguous
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8))


@pytest.fixture
def mnist_copy(tmp_path):
    dest = tmp_path / "mnist"
    shutil.copytree(data.DEFAULT_DIR, dest)
    return dest


def test_a_corrupted_file_is_refused(mnist_copy):
    path = mnist_copy / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"MNIST file .*t10k-labels-idx1-ubyte.gz is corrupted.*git checkout -- data/mnist"):
        load_mnist(data_dir=mnist_copy)


def test_a_missing_file_is_named(mnist_copy):
    (mnist_copy / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"MNIST file .*train-images-idx3-ubyte.gz is missing"):
        load_mnist(data_dir=mnist_copy)
    with pytest.raises(FileNotFoundError, match="SHA256SUMS is missing"):
        load_mnist(data_dir=mnist_copy.parent)


def _rewrite(folder, name, raw: bytes, compress=True):
    """Replace one file of the copy and write SHA256SUMS for it: what the checksums cannot catch."""
    import gzip
    import hashlib

    data = gzip.compress(raw) if compress else raw
    (folder / name).write_bytes(data)
    sums = folder / "SHA256SUMS"
    lines = [line for line in sums.read_text().splitlines() if not line.endswith(name)]
    sums.write_text("\n".join(lines + [f"{hashlib.sha256(data).hexdigest()}  {name}"]) + "\n")


def _raw(folder, name):
    import gzip

    return gzip.decompress((folder / name).read_bytes())


def test_files_that_match_rewritten_checksums_are_still_checked(mnist_copy, tmp_path):
    """A missing folder, files cut short, not gzip, or labels of the other set: each named."""
    with pytest.raises(FileNotFoundError, match=r"MNIST folder .*nowhere is missing"):
        load_mnist(data_dir=mnist_copy / "nowhere")
    cases = [
        ("t10k-images-idx3-ubyte.gz", lambda raw: raw[:5000], True,
         r"t10k-images-idx3-ubyte.gz: its header announces 10000 items \(7840000 bytes\), the file holds 4984 bytes"),
        ("t10k-images-idx3-ubyte.gz", lambda raw: raw[:10], True, r"holds 10 bytes, fewer than its 16-byte header"),
        ("t10k-labels-idx1-ubyte.gz", lambda raw: raw, False, r"t10k-labels-idx1-ubyte.gz is not a whole gzip file"),
        ("t10k-labels-idx1-ubyte.gz", lambda raw: _raw(mnist_copy, "train-labels-idx1-ubyte.gz"), True,
         r"MNIST test set in .*: expected one label 0..9 an image, got 10000 images and 60000 labels"),
    ]
    for k, (name, change, compress, message) in enumerate(cases):
        folder = tmp_path / str(k)
        shutil.copytree(mnist_copy, folder)
        raw = _raw(folder, name) if compress else (folder / name).read_bytes()[:-100]
        _rewrite(folder, name, change(raw), compress)
        with pytest.raises(ValueError, match=message):
            load_mnist(data_dir=folder)


def test_checksums_file_in_sha256sum_s_own_forms(mnist_copy):
    """Comments, upper-case digests and sha256sum's binary-mode '*' are read; a line of
    another form is named."""
    sums = mnist_copy / "SHA256SUMS"
    lines = [line.split() for line in sums.read_text().splitlines()]
    sums.write_text("# MNIST, as shipped\n" + "".join(f"{d.upper()} *{name}\n" for d, name in lines))
    (X, _), _ = load_mnist(data_dir=mnist_copy)
    assert X.shape == (60000, 784)
    sums.write_text(sums.read_text() + "just one field\n")
    with pytest.raises(ValueError, match=r"line 6: expected '<sha256> <file name>', got 'just one field'"):
        data.read_checksums(mnist_copy)


def test_the_intact_copy_loads(mnist_copy):
    (X, y), _ = load_mnist(data_dir=mnist_copy)
    assert X.shape == (60000, 784) and y[0] == 5


def test_nothing_downloads():
    # the loader has no network code at all: no URL, no urllib/requests/socket import
    source = open(data.__file__).read()
    for needle in ("http", "urllib", "requests", "socket"):
        assert needle not in source


@pytest.mark.parametrize("dtype, normalize, message", [
    (np.int8, False, r"a dtype that holds the pixels 0..255, got int8 \(at most 127\)"),  # would wrap 128..255 to < 0
    (bool, False, "dtype to be a real number type"),  # would turn every pixel into 0 or 1
    (np.uint8, True, r"a floating dtype with normalize=True .*got uint8"),  # was float64 in silence
    (complex, True, "dtype to be a real number type"),
    ("fast", True, r"dtype to be a real number type .*got 'fast'"),
])
def test_a_dtype_that_cannot_hold_the_pixels_is_refused(dtype, normalize, message):
    with pytest.raises(ValueError, match="load_mnist expects " + message):
        load_mnist(normalize=normalize, dtype=dtype)


@pytest.mark.parametrize("flag", ["normalize", "flatten", "one_hot"])
def test_a_flag_that_is_not_a_bool_is_refused(flag):
    # bool('no') is True: normalize='no' gave pixels in [0, 1]
    with pytest.raises(ValueError, match=f"^load_mnist expects {flag} to be True or False, got 'no'$"):
        load_mnist(**{flag: "no"})


def test_integer_dtypes_that_hold_the_pixels_keep_them():
    (X, _), _ = load_mnist(normalize=False, dtype=np.int16)
    (raw, _), _ = load_mnist(normalize=False, dtype=np.uint8)
    assert X.dtype == np.int16 and X.max() == 255 and np.array_equal(X, raw)
