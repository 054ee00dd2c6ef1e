import numpy as np
import pytest

from sprintlib import GetMiniBatch


def test_covers_every_row_once_in_a_seeded_order():
    X = np.arange(50).reshape(25, 2)
    y = np.arange(25)
    batches = GetMiniBatch(X, y, batch_size=10, seed=0)
    assert len(batches) == 3
    sizes = [len(yb) for _, yb in batches]
    assert sizes == [10, 10, 5]
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen) == list(range(25)) and list(seen) != list(range(25))
    for Xb, yb in batches:
        np.testing.assert_array_equal(Xb[:, 0], 2 * yb)  # rows stay paired with labels
    again = np.concatenate([yb for _, yb in GetMiniBatch(X, y, batch_size=10, seed=0)])
    np.testing.assert_array_equal(seen, again)
    np.testing.assert_array_equal(batches[2][1], seen[20:])


def test_bad_arguments():
    with pytest.raises(ValueError, match="same number of rows, got 3 and 2"):
        GetMiniBatch(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="GetMiniBatch expects batch_size to be an integer >= 1, got 0"):
        GetMiniBatch(np.zeros((3, 1)), np.zeros(3), batch_size=0)
