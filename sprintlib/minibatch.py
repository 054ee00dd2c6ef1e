"""GetMiniBatch: the sprints' shuffling mini-batch iterator."""
from __future__ import annotations

import numpy as np

from . import _checks


class GetMiniBatch:
    """Iterate over (X, y) in shuffled mini-batches; the last batch may be smaller.

    Parameters
    ----------
    X : ndarray of shape (N, ...)
    y : ndarray of shape (N, ...)
    batch_size : int
    seed : int, Generator or None
        Fixes the shuffle. A Generator is used as it is, so a model that passes its
        own generator gets a new order every epoch and the same run every time.
    """

    def __init__(self, X, y, batch_size: int = 20, seed=0):
        self.batch_size = _checks.check_int(batch_size, "GetMiniBatch", "batch_size")
        if len(X) != len(y):
            raise ValueError(f"GetMiniBatch expects X and y with the same number of rows, got {len(X)} and {len(y)}")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self._order = rng.permutation(len(X))
        self._X, self._y = X, y
        self._stop = int(np.ceil(len(X) / self.batch_size))

    def __len__(self) -> int:
        return self._stop

    def __getitem__(self, item: int):
        idx = self._order[item * self.batch_size:(item + 1) * self.batch_size]
        return self._X[idx], self._y[idx]

    def __iter__(self):
        for i in range(self._stop):
            yield self[i]
