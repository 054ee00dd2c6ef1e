"""Pure functions behind the layers: sizes, im2col/col2im, convolution and pooling.

Read them in this order: ``sizes`` (how many outputs), ``im2col`` (windows as matrix
rows, and the two-step version the convolutions use), ``conv`` (a convolution is a matrix
product on those rows), ``pool``; ``naive`` holds the slow loop versions the fast ones
are tested against.
"""
from .conv import conv1d_backward, conv1d_forward, conv2d_backward, conv2d_forward
from .im2col import (col2im, col2im_1d, fold_width, fold_windows, height_windows, im2col,
                     im2col_1d, in_memory_order, memory_order, pad2d, sliding_windows, to_hcwn, width_windows,
                     window_view)
from .naive import (conv2d_naive_backward, conv2d_naive_forward, max_pool2d_naive_backward,
                    max_pool2d_naive_forward)
from .pool import avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward
from .sizes import conv_param_count, output_size, output_size_2d

__all__ = [
    "output_size", "output_size_2d", "conv_param_count",
    "pad2d", "sliding_windows", "window_view", "fold_windows",
    "im2col", "col2im", "im2col_1d", "col2im_1d",
    "to_hcwn", "width_windows", "height_windows", "fold_width", "memory_order", "in_memory_order",
    "conv2d_forward", "conv2d_backward", "conv1d_forward", "conv1d_backward",
    "max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
    "conv2d_naive_forward", "conv2d_naive_backward",
    "max_pool2d_naive_forward", "max_pool2d_naive_backward",
]
