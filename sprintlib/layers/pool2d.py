"""What the two pooling layers of sprint 2 share (max_pool2d.py, average_pool2d.py):
window and stride, the input checks, output_shape. Not a layer on its own."""
from __future__ import annotations

import numpy as np

from .. import _checks
from .. import functional
from .base import Layer


class _Pool2D(Layer):
    """What both poolings share: sizes, checks, output_shape. No parameters, no padding.

    Parameters
    ----------
    pool_size : int or (PH, PW)
    stride : int, (SH, SW) or None (the default: pool_size, windows side by side)
    allow_remainder : bool, default False: raise unless the windows tile the input
        (see ``functional.output_size``); True drops the last incomplete windows.
    dtype : np.float64 or np.float32
    """

    def __init__(self, pool_size, stride=None, allow_remainder=False, dtype=np.float64):
        super().__init__(None, dtype)
        self.pool_size = _checks.check_pair(pool_size, self.name, "pool_size")
        self.stride = self.pool_size if stride is None else _checks.check_pair(stride, self.name, "stride")
        self.allow_remainder = _checks.check_bool(allow_remainder, self.name, "allow_remainder")

    def _input_spec(self, shape):
        return ("N", "C", "H", "W")

    def output_shape(self, input_shape):
        """(N, C, H, W) -> (N, C, OH, OW); N may be None."""
        if len(input_shape) != 4:
            raise ValueError(f"{self.name} expects input_shape (N, C, H, W), "
                             f"got {_checks.format_shape(input_shape)}")
        OH, OW = functional.output_size_2d(input_shape[2:], self.pool_size, self.stride, 0,
                                  allow_remainder=self.allow_remainder, owner=self.name)
        return tuple(input_shape[:2]) + (OH, OW)

    def __repr__(self):
        return f"{self.name}({self.pool_size}, stride={self.stride})"
