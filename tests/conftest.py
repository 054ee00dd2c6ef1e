"""Shared test set-up: one TensorFlow import per worker, single-threaded maths.

Each pytest-xdist worker runs on its own core, so NumPy and TensorFlow are held to
one thread each (two workers x two threads would fight over two cores).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def tf():
    """TensorFlow, imported once per worker, on one thread."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # already initialised in this process
        pass
    return tf


@pytest.fixture
def rng():
    return np.random.default_rng(0)


#: the test files that run the longest (a whole grading run, a clone set up, a hub), first: the
#: two workers take files in collection order (--dist loadfile --no-loadscope-reorder; xdist's
#: default orders them by their number of tests), so a long file collected last would run alone
#: at the end while the other worker waits. The two that make the sprints' expected
#: records first, one a worker: the course copies graded after them reuse those (tests/graded.py)
LONGEST_FIRST = ["test_course_grading.py", "test_grading_battery.py", "test_student_repo.py", "test_hub.py",
                 "test_class_report.py", "test_graded_later_sprints.py", "test_grading_fallback.py",
                 "test_training_cells.py", "test_nbgrader_grading.py", "test_browser.py", "test_course_notebooks.py",
                 "test_training_history.py", "test_course_fairness.py"]


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """``item.failed`` for fixtures that keep evidence of a failure (the browser tests'
    screenshots)."""
    outcome = yield
    if call.when == "call" and outcome.get_result().failed:
        item.failed = True


@pytest.fixture(params=["fast", "plain"])
def both_paths(request):
    """The test once on the fast path (sprintlib.fast, the default) and once on the plain
    model answer (``sprintlib.fast.use(False)``): both must give the same numbers. A module
    runs all its tests so with ``pytestmark = pytest.mark.usefixtures("both_paths")``."""
    from sprintlib import fast

    with fast.use(request.param == "fast"):
        yield request.param
