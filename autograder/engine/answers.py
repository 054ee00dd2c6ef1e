"""What each sprint asks students to write, as sprintlib holds it: the model answers.

One list, read by both sides of the line between students and instructor:

* the students' repository (autograder/student_repo.py) withholds, for each sprint whose
  answers are not released, the computation of these classes and functions;
* a graded kernel's sprintlib (engine/session.py, ``grading_sprintlib``) has the model
  answers the trusted run ran removed, but only code listed here: what no sprint asks students
  to write (the activations, FC, the fast path's thread pool...) is in every student's copy
  anyway, and a right answer may use it (an RNN built on sprintlib's Tanh).
"""
from __future__ import annotations

#: what each sprint asks students to write, as sprintlib holds it: file -> names. A class keeps
#: its __init__, attributes and input checks; its computing methods (COMPUTING) are withheld.
#: A function is withheld whole ("*": every function of the file).
ANSWERS = {
    "sprint1_conv1d": {"layers/simple_conv1d.py": ["SimpleConv1d"], "layers/conv1d.py": ["Conv1d"],
                       "functional/conv.py": ["conv1d_forward", "conv1d_backward"],
                       "models/cnn.py": ["Scratch1dCNNClassifier"]},
    "sprint2_conv2d": {"layers/conv2d.py": ["Conv2d"], "layers/max_pool2d.py": ["MaxPool2D"],
                       "layers/average_pool2d.py": ["AveragePool2D"], "layers/flatten.py": ["Flatten"],
                       "functional/conv.py": ["conv2d_forward", "conv2d_backward"],
                       "functional/pool.py": ["*"], "fast/pool.py": ["*"], "functional/naive.py": ["*"],
                       "functional/im2col.py": ["sliding_windows", "_sliding_windows", "window_view", "fold_windows",
                                                "im2col", "col2im", "im2col_1d", "col2im_1d"],
                       # the fast path's copy of the same convolution (sprintlib.fast): the answer in
                       # another form
                       "fast/conv.py": ["conv2d_forward", "conv2d_backward", "to_hcwn", "width_windows",
                                        "height_windows", "fold_width"],
                       "functional/sizes.py": ["conv_param_count"],
                       "models/cnn.py": ["Scratch2dCNNClassifier"]},
    # sprint 3 builds LeNet from sprint 2's layers: sprintlib's LeNet (the problem's network)
    # stays, and runs once sprint 2's layers are released
    "sprint3_lenet": {},
    # (grading/mistakes.py's _bptt is backpropagation through time written out again, to
    # predict its known mistakes: the model answer of sprint 4's problem 3 in another form)
    "sprint4_rnn": {"layers/rnn.py": ["SimpleRNN"], "functional/rnn.py": ["*"], "fast/rnn.py": ["*"],
                    "models/rnn.py": ["ScratchSimpleRNNClassifier"], "grading/mistakes.py": ["_bptt"]},
}
#: a withheld class's methods that compute (the rest: __init__, output_shape, input checks, stay)
COMPUTING = {"forward", "backward", "_forward", "_backward", "_adjust_gradients", "_build"}


def is_answer(rel: str, qualname: str) -> bool:
    """Whether the function ``qualname`` of sprintlib's file ``rel`` (relative to sprintlib/,
    as "layers/rnn.py", "SimpleRNN._forward") is one of the answers above, of any sprint:
    a listed function, a method of a listed class (or what it defines inside), or any function
    of a file listed with "*"."""
    top = qualname.split(".")[0]
    return any(top in names or "*" in names for sprint in ANSWERS.values()
               for file, names in sprint.items() if file == rel)
