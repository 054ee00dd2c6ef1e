"""Pure functions behind the layers: sizes, im2col/col2im, convolution, pooling, the RNN's loops.

The model answer, as the course documents teach it. Read them in this order: ``sizes``
(how many outputs), ``im2col`` (windows as matrix rows: the names and layout of the book
"Deep Learning from Scratch", 『ゼロから作るDeep Learning』), ``conv`` (a convolution is one
matrix product on those rows; col2im takes the gradient back), ``pool``, ``rnn`` (the loop
over time and the BPTT loop); ``naive`` holds the slow loops of the documents that the
vectorised versions are tested against. ``sprintlib.fast`` computes the same numbers
faster, and is where every speed trick lives. Import the module whole
(``from sprintlib import functional``).

Glossary: the letters of every docstring, message and variable in sprintlib
----------------------------------------------------------------------------
==========  ===================================================================
N           samples in a batch (the first axis of X, A, dA, dX)
C           channels; C_in, C_out: of a convolution's input and output
H, W        height and width of an image, in shapes only: (N, C, H, W) (as a
            name of an array, W is always weights)
OH, OW      height and width of an output (after a convolution or pooling)
L, L_out    length of a 1-D input and of the 1-D output
F           filter size of a 1-D convolution; FH, FW: of a 2-D filter or pool
S, P        stride and padding (SH, SW and PH, PW along height and width)
T           time steps of a sequence (the documents' n_sequences)
n_features  features of one time step (RNN); n_nodes: nodes of its state h_t
K           classes (the columns of the scores and of Softmax's output)
X, dX       a layer's input, and the loss's gradient with respect to it
A, dA       a layer's output, and the gradient backward receives for it
W, B        weights and biases; dW, dB their gradients (summed over the batch)
W_x, W_h    the RNN's input-to-state and state-to-state weights; dW_x, dW_h
h_t, h0     the RNN's state at step t, and the state before the first step
Z, Y        Softmax's probabilities, and the targets (one-hot rows or labels)
==========  ===================================================================

The activations follow the same names (``forward(X) -> A``); the sprints' documents write
the same pair as ``forward(A) -> Z``.
"""
from .conv import conv1d_backward, conv1d_forward, conv2d_backward, conv2d_forward
from .im2col import (col2im, col2im_1d, fold_windows, im2col, im2col_1d, in_memory_order, memory_order, pad2d,
                     sliding_windows, window_view)
from .naive import (conv2d_naive_backward, conv2d_naive_forward, max_pool2d_naive_backward,
                    max_pool2d_naive_forward)
from .rnn import rnn_backward, rnn_forward
from .pool import avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward
from .sizes import conv_param_count, output_size, output_size_2d

__all__ = [
    "output_size", "output_size_2d", "conv_param_count",
    "pad2d", "sliding_windows", "window_view", "fold_windows",
    "im2col", "col2im", "im2col_1d", "col2im_1d",
    "memory_order", "in_memory_order",
    "conv2d_forward", "conv2d_backward", "conv1d_forward", "conv1d_backward",
    "max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
    "conv2d_naive_forward", "conv2d_naive_backward",
    "max_pool2d_naive_forward", "max_pool2d_naive_backward",
    "rnn_forward", "rnn_backward",
]
