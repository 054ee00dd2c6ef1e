"""What the notebooks' test cells call: a student's arrays, functions and layers compared
with sprintlib's on the same inputs, one verdict a line, type then shape then values.

    from sprintlib import Conv2d
    from sprintlib.grading import check_layer
    check_layer(MyConv2d(1, 2, 3), Conv2d(1, 2, 3), X)   # X (N, 1, H, W)

prints::

    forward A: OK (relative error 6.8e-17)
    backward dX: OK (relative error 6.9e-17)
    backward dW: wrong values (relative error 5.0e-01, tolerance 1e-06): every value is 0.5
    times the expected one (a factor missing or extra?)
      largest difference at index (1, 0, 1, 2): expected 6.53679, got 3.2684
    backward dB: OK (relative error 0.0e+00)

and raises AssertionError naming the parts that are wrong, so that an nbgrader test cell
fails exactly when a check does. The checks return None: a number shown as the result of a
test cell's last line would be read by nbgrader as partial credit. Every part is checked
even after one fails: a student learns which part to fix.

Values are compared entry by entry (as ``np.allclose``): an entry passes when
``|got - expected| <= rtol * |expected| + atol``, with ``rtol`` set by the expected
array's dtype (a float32 answer carries float32 rounding) and ``atol`` a small fraction of
the array's largest value (an entry that should be 0 gets the rounding of its neighbours).
A wrong small entry next to a large one therefore fails, which a single norm over the
whole array would miss.

A wrong part that equals what a known mistake gives on the check's inputs (MISTAKES: a
flipped kernel, an uncropped padding, BPTT with the final state, a bias left out, dX assigned
where windows overlap...; two of them at once; SIZE_MISTAKES: an output size with the padding
on one side...) gets a hint naming it, and the verdict says what the values are where the
expected array gives them up to a factor, a sign, a constant (per index along an axis), an
order of its values or of its axes: a hint is given only when its hypothesis gives the
student's values within the tolerance, otherwise the verdict shows where the values differ
(comparison.py says how). The answer must be the student's own: a layer or function that runs
sprintlib's answer to the same problem fails (see _Answer). ``hidden_rng`` and
``random_case`` draw the inputs of hidden tests.

Grading runs without TensorFlow, and writes nothing to stderr (nbgrader marks a test cell
that does as failed): warnings, logging and ``print(..., file=sys.stderr)`` of the
student's code are caught and printed as notes on stdout. Errors raised by the student's
code are not caught: their traceback points into the student's code, which is what they
need.

The package, a module a job (this module re-exports what the notebooks, the tests and the
grading engine, autograder/, use):

- ``checks``: the checks above, what the test cells call;
- ``comparison``: an answer against the expected array (``compare``), the tolerances, the
  words of the verdicts and of their hints;
- ``mistakes``: the known mistakes (MISTAKES, SIZE_MISTAKES) and the hints they give;
- ``own_work``: the watch on the student's own work (``_Answer``);
- ``running``: the student's code run inside a check (notes, copies of its inputs);
- ``values``: what the student's code gave, read without calling any of its methods;
- ``history``: a training loop's history (``check_history``: the loss of an epoch is the mean of its
  batches' losses), on a network of sprintlib's layers that notes them (``LossRecorder``); or,
  for a classifier that builds its own network, against the history's own batch losses
  (``check_epoch_losses``);
- ``hidden``: the hidden tests' inputs (``hidden_rng``, ``random_case``, ``hidden_images``);
- ``records``: what a graded run emits instead of judging (autograder/grade.py);
- ``shipped``: the expected values the students' copy of sprintlib ships, by which its
  checks judge where a model answer is withheld (sprintlib/_withheld.py);
- ``mode``: the grading mode and its environment variables, read there and nowhere else.
"""
from .checks import (_report, check_accuracy, check_array, check_bounds, check_function, check_gradients, check_layer,
                     show_source)
from .comparison import (NUMERICAL, RTOL, TOLERANCES, Comparison, Tolerance, _accuracy_problem, _array_problem,
                         _bounds_problem, _matches, _ok, _output_shape_hint, _read_numbers, _tolerance, compare,
                         entry_errors)
from .hidden import hidden_images, hidden_rng, random_case
from .history import LossRecorder, check_epoch_losses, check_history
from .mistakes import MISTAKES, SIZE_MISTAKES, Mistake
from .mode import (DEFAULT_SEED, HIDDEN_DIR_VARIABLE, HIDDEN_KEY_VARIABLE, RECORD_VARIABLE, SEED_VARIABLE,
                   SHIP_VARIABLE, autograding)
from .records import RECORD_MIME, _emit

__all__ = [
    # what the notebooks' test cells call
    "check_array", "check_accuracy", "check_bounds", "check_function", "check_layer", "check_gradients",
    "show_source", "autograding", "hidden_rng", "hidden_images", "random_case", "check_history", "check_epoch_losses", "LossRecorder",
    # the comparison and its tolerances; the known mistakes
    "compare", "Comparison", "Tolerance", "TOLERANCES", "NUMERICAL", "RTOL", "entry_errors",
    "Mistake", "MISTAKES", "SIZE_MISTAKES",
    # graded runs: the environment's variables (read in mode.py) and the records' type
    "RECORD_VARIABLE", "SEED_VARIABLE", "DEFAULT_SEED", "HIDDEN_KEY_VARIABLE", "HIDDEN_DIR_VARIABLE", "RECORD_MIME",
    # the students' build: the file where the checks ship their expected values (shipped.py)
    "SHIP_VARIABLE",
    # what the grading process (autograder/engine/judge.py) calls to judge records outside the kernel
    "_array_problem", "_accuracy_problem", "_bounds_problem", "_ok", "_read_numbers", "_tolerance", "_matches",
    "_output_shape_hint",
    # what code in a graded kernel calls: a record (``__import__("sprintlib.grading").grading._emit``),
    # and the checks' report (tests/test_grading_battery.py replaces it there)
    "_emit", "_report",
]
