"""Output sizes and parameter counts of convolutions and pooling (sprint 1 problem 2,
sprint 2 problem 3 and the exercises that follow it).

    N_out = (N_in + 2P - F) / S + 1

The division must be exact: when ``(N_in + 2P - F) % S != 0`` the windows stop short of
the end of the (padded) input, and its last entries never reach the output. The book's
``int()`` rounds such a configuration away in silence, which hides a wrong stride; here it
raises, naming the input sizes that would tile. ``allow_remainder=True`` asks for TensorFlow's 'VALID' convention instead
(the last, incomplete window is dropped: ``N_out = (N_in + 2P - F) // S + 1``), which is
what the exercise "20x20 input, 3x3 filter, stride 2" expects (9x9).

A stride larger than ``N_in + 2P - F`` leaves room for one window only: the formula
gives ``N_out = 1`` (with ``allow_remainder``, or when the window fills the padded input
exactly), and that stride is never applied, however large. A pad is refused only when
the padded input ``N_in + 2P`` is beyond what NumPy can index (``_checks.MAX_INDEX``).
"""
from __future__ import annotations

import math

import numpy as np

from .. import _checks


def output_size(n_in, filter_size, stride=1, pad=0, *, allow_remainder=False,
                owner="output_size", axis=None) -> int:
    """Number of window positions along one axis.

    Parameters
    ----------
    n_in : int, input size N_in along the axis (before padding)
    filter_size : int, window size F (a filter or a pooling window)
    stride : int >= 1, S
    pad : int >= 0, P (zeros added at each end)
    allow_remainder : bool
        False (default): raise unless the windows tile the padded input exactly.
        True: drop the incomplete last window, as TensorFlow's 'VALID' padding does.
    owner, axis : str, only for error messages ("Conv2d", "height").

    Returns
    -------
    int, N_out = (N_in + 2P - F) / S + 1

    Raises
    ------
    ValueError if a size is not a positive integer (pad: >= 0), if the padded input is
    larger than NumPy can index, if the window is larger than the padded input, or if the
    windows do not tile and allow_remainder is False.

    Examples
    --------
    >>> output_size(4, 3)                              # sprint 1, problem 2
    2
    >>> output_size(20, 3, stride=2, allow_remainder=True)  # (20 - 3) / 2 = 8.5 -> 9
    9
    """
    where = f" along the {axis}" if axis else ""
    n_in = _checks.check_int(n_in, owner, "n_in")
    filter_size = _checks.check_int(filter_size, owner, "filter_size")
    stride = _checks.check_int(stride, owner, "stride")
    pad = _checks.check_int(pad, owner, "pad", minimum=0)
    allow_remainder = _checks.check_bool(allow_remainder, owner, "allow_remainder")
    padded = n_in + 2 * pad
    if padded > _checks.MAX_INDEX:  # no array has such an axis: refused before NumPy overflows
        raise ValueError(
            f"{owner} expects a padded input{where} that NumPy can index (n_in + 2*pad <= "
            f"{_checks.MAX_INDEX}), got n_in + 2*pad = {n_in} + 2*{pad} = {padded}")
    if filter_size > padded:
        raise ValueError(
            f"{owner} expects a window no larger than the padded input{where} "
            f"(n_in + 2*pad = {n_in} + 2*{pad} = {padded}), got filter_size {filter_size}")
    rest = (padded - filter_size) % stride
    if rest and not allow_remainder:
        raise ValueError(
            f"{owner} expects windows that tile the padded input{where}, "
            f"(n_in + 2*pad - filter_size) % stride == 0, got ({n_in} + 2*{pad} - {filter_size}) "
            f"% {stride} = {rest}: {_tiling_sizes(n_in, filter_size, stride, pad, rest)} would tile "
            f"(or pass allow_remainder=True to leave out the last {rest} padded input "
            f"{'entry' if rest == 1 else 'entries'}, as TensorFlow's 'VALID' padding does)")
    return (padded - filter_size) // stride + 1


def _tiling_sizes(n_in, filter_size, stride, pad, rest) -> str:
    """The nearest input sizes below and above n_in whose windows tile."""
    below, above = n_in - rest, n_in + stride - rest
    sizes = [f"n_in = {n}" for n in (below, above) if n >= 1 and n + 2 * pad >= filter_size]
    return " or ".join(sizes)


def output_size_2d(in_size, filter_size, stride=1, pad=0, *, allow_remainder=False,
                   owner="output_size_2d") -> tuple[int, int]:
    """(OH, OW) for an input (H, W) and a filter (FH, FW); each argument an int or a pair.

    ``output_size`` along the height, then along the width; same rules and errors.
    """
    H, W = _checks.check_pair(in_size, owner, "in_size")
    FH, FW = _checks.check_pair(filter_size, owner, "filter_size")
    SH, SW = _checks.check_pair(stride, owner, "stride")
    PH, PW = _checks.check_pair(pad, owner, "pad", minimum=0)
    return (output_size(H, FH, SH, PH, allow_remainder=allow_remainder, owner=owner, axis="height"),
            output_size(W, FW, SW, PW, allow_remainder=allow_remainder, owner=owner, axis="width"))


def conv_param_count(in_channels, out_channels, filter_size) -> int:
    """Weights plus biases of a convolution: C_out * (C_in * prod(filter)) + C_out.

    ``filter_size`` is F for a 1-D filter, or (FH, FW) for a 2-D one:
    ``conv_param_count(3, 6, (3, 3)) == 168`` (6 filters of 3x3x3 weights, 6 biases).
    """
    c_in = _checks.check_int(in_channels, "conv_param_count", "in_channels")
    c_out = _checks.check_int(out_channels, "conv_param_count", "out_channels")
    # F or (FH, FW) (a tuple, a list or a 1-D array); F alone has F taps, not check_pair's F x F
    dims = filter_size.tolist() if isinstance(filter_size, np.ndarray) and filter_size.ndim == 1 else filter_size
    if not isinstance(dims, (tuple, list)):
        dims = [_checks.check_pair(filter_size, "conv_param_count", "filter_size")[0]]
    elif not dims:
        raise ValueError(f"conv_param_count expects filter_size to be an int or a pair (height, width), "
                         f"got {filter_size!r}")
    taps = math.prod(_checks.check_int(f, "conv_param_count", "filter_size") for f in dims)
    return c_out * c_in * taps + c_out
