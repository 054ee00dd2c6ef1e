"""What the speed work changed, checked to give the same answers: a model's layers keep their
input uncopied inside model_chain() (both paths), and the fast path's tricks (sprintlib.fast):
SimpleRNN's backward stops carrying a vanished gradient, the layers' maths on a thread pool,
and a model trains a batch in two halves, side by side, with the plain path's numbers for
the whole batch."""
import copy
import warnings

import numpy as np
import pytest

import sprintlib
from sprintlib import FC, SimpleRNN, XavierInitializer
from sprintlib.layers.base import model_chain


@pytest.mark.usefixtures("both_paths")
def test_inside_a_model_chain_a_layer_keeps_its_input_uncopied():
    X = np.random.default_rng(0).standard_normal((4, 3))
    outside, inside = FC(3, 2, "xavier"), FC(3, 2, "xavier")
    outside.forward(X)
    with model_chain():
        inside.forward(X)
    assert not np.shares_memory(outside.X, X)  # a caller may edit its X: the layer keeps a copy
    assert inside.X is X  # the model never edits it: no copy


@pytest.mark.usefixtures("both_paths")
def test_the_chain_ends_with_the_block_even_on_an_error():
    X = np.ones((2, 3))
    try:
        with model_chain():
            raise KeyError
    except KeyError:
        pass
    layer = FC(3, 2, "xavier")
    layer.forward(X)
    assert not np.shares_memory(layer.X, X)


@pytest.mark.usefixtures("both_paths")
def test_a_model_step_gives_the_same_gradients_inside_and_outside_the_chain():
    X = np.random.default_rng(1).standard_normal((8, 1, 28, 28))
    y = np.arange(8) % 10
    grads = []
    for chained in (False, True):
        model = sprintlib.LeNet("same", optimizer="sgd", random_state=0, verbose=False).build((1, 28, 28), 10)
        A = X
        if chained:
            model._forward(X)
        else:
            for layer in model.layers:
                A = layer.forward(A)
            model.output.forward(A)
        model._backward(model.output.backward(y))
        grads.append([g.copy() for layer in model.layers for g in layer.grads().values()])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


def rnn_with_saturated_units(dtype):
    """A SimpleRNN whose tanh units saturate (inputs 8x stronger): its gradient shrinks about
    1000x a time step, below 1e-38 in 30 steps."""
    rnn = SimpleRNN(28, 128, initializer=XavierInitializer(random_state=0, dtype=dtype), dtype=dtype)
    rnn.W_x *= 8
    X = np.random.default_rng(0).random((16, 60, 28)).astype(dtype)
    return rnn, X


def test_a_vanished_gradient_is_zero_and_never_subnormal():
    rnn, X = rnn_with_saturated_units(np.float32)
    rnn.forward(X)
    dh = np.random.default_rng(1).standard_normal((16, 128)).astype(np.float32)
    dX = rnn.backward(dh)
    tiny = np.finfo(np.float32).tiny
    for g in (dX, rnn.dW_x, rnn.dW_h, rnn.dh0):
        assert not ((g != 0) & (np.abs(g) < tiny)).any()  # no subnormal number anywhere
    assert (dX[:, 0] == 0).all()  # 60 steps back, the gradient has vanished: exactly zero


def test_flushing_a_vanished_gradient_changes_nothing_float64_can_see():
    # float64's range carries the gradient 60 steps back without subnormals: the exact BPTT
    rnn, X = rnn_with_saturated_units(np.float64)
    rnn.forward(X)
    dh = np.random.default_rng(1).standard_normal((16, 128))
    rnn.backward(dh)
    exact = (rnn.dW_x.copy(), rnn.dW_h.copy())
    # the same in float32, which flushes: equal to float32 precision
    rnn32, X32 = rnn_with_saturated_units(np.float32)
    rnn32.W_x, rnn32.W_h, rnn32.B = (p.astype(np.float32) for p in (rnn.W_x, rnn.W_h, rnn.B))
    rnn32.forward(X32)
    rnn32.backward(dh.astype(np.float32))
    for flushed, full in zip((rnn32.dW_x, rnn32.dW_h), exact):
        np.testing.assert_allclose(flushed, full, rtol=1e-4, atol=1e-5 * np.abs(full).max())


# -- the layers' maths on several threads (fast/parallel.py) ------------------------------
import threading  # noqa: E402
import time  # noqa: E402

from sprintlib.fast import parallel  # noqa: E402
from sprintlib.fast import threads as _threads  # noqa: E402


@pytest.fixture
def two_workers(monkeypatch):
    """The policy of a process that may use 2 CPUs (the tests run as xdist workers: 1)."""
    monkeypatch.setattr(_threads, "POLICY", _threads.Policy(2, 1, "test: 2 usable CPUs"))
    monkeypatch.setattr(parallel, "MIN_SIZE", 0)  # every operation split, however small
    monkeypatch.setattr(parallel, "MIN_PRODUCT", 0)
    monkeypatch.setattr(parallel, "idle_cpu", lambda: True)  # as if the other core were free


def test_workers_follow_the_policy():
    assert _threads.Policy(2, 1, "2 usable CPUs").workers == 2
    assert _threads.Policy(1, 1, "a graded run").workers == 1
    assert _threads.Policy(2, 2, "SPRINTLIB_NUM_THREADS=2").workers == 1  # the BLAS's threads instead


def test_for_slices_covers_the_range_once_on_the_pool(two_workers):
    seen, names = [], set()

    def fn(a, b):
        seen.extend(range(a, b))
        names.add(threading.current_thread().name)

    for _ in range(50):  # the pool's thread takes some slices, the caller the others
        parallel.for_slices(17, fn, size=10**9)
    assert sorted(seen) == sorted(list(range(17)) * 50)
    assert "MainThread" in names


def test_slices_run_with_the_callers_numpy_error_state(two_workers):
    """np.errstate is a context variable: the pool's threads take the caller's (fit silences
    overflow warnings, the two halves of a batch run on two threads)."""
    states, names = [], set()

    def fn(a, b):
        time.sleep(0.002)  # long enough for the pool's thread to take a slice
        states.append(np.geterr()["over"])
        names.add(threading.current_thread().name)

    with np.errstate(over="raise"):
        for _ in range(20):
            parallel.for_slices(8, fn, size=10**9)
    assert set(states) == {"raise"} and len(names) == 2
    parallel.for_slices(8, fn, size=10**9)
    assert states[-1] == "warn"


def test_without_an_idle_cpu_every_slice_runs_on_the_caller(two_workers, monkeypatch):
    monkeypatch.setattr(parallel, "idle_cpu", lambda: False)
    names = set()
    for _ in range(20):
        parallel.for_slices(8, lambda a, b: names.add(threading.current_thread().name), size=10**9)
    assert names == {"MainThread"}


def test_idle_cpu_reads_the_running_threads():
    assert parallel.idle_cpu() in (True, False)  # this thread runs: at least 1 of os.cpu_count()


def test_an_error_in_a_slice_reaches_the_caller(two_workers):
    def fn(a, b):
        if a > 0:
            raise KeyError(a)

    with pytest.raises(KeyError):
        parallel.for_slices(8, fn, size=10**9)
    parallel.for_slices(8, lambda a, b: None, size=10**9)  # the pool still works


class _InterruptedOnce(threading.Event):
    """An Event whose first wait() is cut short by Ctrl-C, as a notebook's stop button does."""

    interrupted = False

    def wait(self, timeout=None):
        if not _InterruptedOnce.interrupted:
            _InterruptedOnce.interrupted = True
            raise KeyboardInterrupt
        return super().wait(timeout)


def test_an_interrupt_waits_for_the_slices_under_way(two_workers, monkeypatch):
    """Ctrl-C stops fit in the calling thread while the pool's thread still runs its slice:
    the call must not return before that slice ends, or the next step would share its arrays."""
    ended, started = [], threading.Event()

    def fn(a, b):
        if threading.current_thread().name.startswith("sprintlib-"):
            started.set()
            time.sleep(0.2)
            ended.append(a)
        else:
            started.wait(5)  # the caller's slice ends at once; it then waits for the other one

    monkeypatch.setattr(threading, "Event", _InterruptedOnce)  # the job's "finished" event
    with pytest.raises(KeyboardInterrupt):
        parallel.for_each([(0, 1), (1, 2)], fn)
    assert _InterruptedOnce.interrupted and len(ended) == 1  # the other slice had ended
    seen = []
    parallel.for_each([(0, 1), (1, 2), (2, 3)], lambda a, b: seen.append(a))
    assert sorted(seen) == [0, 1, 2]  # and the pool still works


def test_after_an_error_no_further_slice_starts(two_workers):
    ran = []

    def fn(a, b):
        ran.append(a)
        if a == 0:
            raise ValueError("first slice")

    with parallel.one_thread(), pytest.raises(ValueError):
        parallel._share_out(fn, [(k, k + 1) for k in range(6)])
    assert ran[0] == 0 and len(ran) <= 2  # at most the slice the other thread had taken


def one_lenet_step(dtype, seed=0):
    model = sprintlib.LeNet("same", optimizer="adam", dtype=dtype, random_state=seed,
                            verbose=False).build((1, 28, 28), 10)
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((16, 1, 28, 28)).astype(dtype), np.arange(16) % 10
    for _ in range(2):  # a second step runs on the weights the first one updated
        Z = model._forward(X)
        model._backward(model.output.backward(y))
    return [Z] + [p.copy() for layer in model.layers for p in layer.params().values()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_lenet_step_on_two_threads_is_the_same_to_the_bit(dtype, monkeypatch):
    one = one_lenet_step(dtype)
    monkeypatch.setattr(_threads, "POLICY", _threads.Policy(2, 1, "test"))
    monkeypatch.setattr(parallel, "MIN_SIZE", 0)
    monkeypatch.setattr(parallel, "MIN_PRODUCT", 0)
    monkeypatch.setattr(parallel, "idle_cpu", lambda: True)
    for a, b in zip(one, one_lenet_step(dtype)):
        assert a.dtype == np.dtype(dtype)  # no silent upcast anywhere
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_a_simple_rnn_step_on_two_threads_is_the_same_to_the_bit(return_sequences, monkeypatch):
    def step():
        rnn, X = rnn_with_saturated_units(np.float32)
        rnn.return_sequences = return_sequences
        A = rnn.forward(X)
        dA = np.random.default_rng(1).standard_normal(A.shape).astype(np.float32)
        dX = rnn.backward(dA)
        return [A, dX, rnn.dW_x, rnn.dW_h, rnn.dB, rnn.dh0]

    one = step()
    monkeypatch.setattr(_threads, "POLICY", _threads.Policy(2, 1, "test"))
    monkeypatch.setattr(parallel, "MIN_SIZE", 0)
    monkeypatch.setattr(parallel, "MIN_PRODUCT", 0)
    monkeypatch.setattr(parallel, "idle_cpu", lambda: True)
    shared = []
    monkeypatch.setattr(parallel, "_share_out", lambda fn, b, share=parallel._share_out: (shared.append(b), share(fn, b)))
    two = step()
    assert [(0, 1), (1, 2)] in shared  # backward's loop and products did go to the pool
    # forward: each sample's states alone; backward: one loop, its products' blocks summed in
    # one order whichever thread computed them
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


# -- a batch trained in two halves (ScratchClassifier._train_batch) ------------------------
def test_batch_halves_depend_on_the_batch_size_alone(two_workers):
    assert parallel.batch_halves(63) == [(0, 63)]
    assert parallel.batch_halves(64) == [(0, 32), (32, 64)]
    assert parallel.batch_halves(101) == [(0, 50), (50, 101)]


def whole_batch_step(model, X, y):
    """fit's step on the plain path: the whole batch through the model answer's layers."""
    with sprintlib.fast.use(False):
        return model._train_batch(X, y)


def models_and_batches():
    """(model, X, y) for each kind of classifier, with batches that are halved (N >= 64, odd N
    too) and float64, so that the two ways can be compared to 1e-12."""
    rng = np.random.default_rng(3)
    yield (sprintlib.LeNet("same", optimizer="adam", random_state=0, verbose=False).build((1, 28, 28), 10),
           rng.standard_normal((64, 1, 28, 28)), np.arange(64) % 10)
    yield (sprintlib.ScratchDeepNeuralNetworkClassifier(optimizer="momentum", random_state=0, verbose=False)
           .build((20,), 3), rng.standard_normal((101, 20)), np.arange(101) % 3)
    # clip_norm 0.01 clips every step: it must clip the batch's gradient, not each half's
    yield (sprintlib.ScratchSimpleRNNClassifier(16, clip_norm=0.01, optimizer="sgd", lr=0.1, random_state=0,
                                                verbose=False).build((7, 5), 4),
           rng.standard_normal((70, 7, 5)), np.arange(70) % 4)


@pytest.mark.parametrize("case", range(3))
def test_a_batch_in_halves_trains_as_the_whole_batch(case):
    halves, X, y = list(models_and_batches())[case]
    whole = copy.deepcopy(halves)
    for step in range(2):  # the second step on the weights the first one updated
        if step == 1:  # weights set by hand between steps reach the halves' replicas too
            for model in (halves, whole):
                model.layers[-1].W = model.layers[-1].W * 0.5 + 0.01  # a new array
        loss_h, right_h = halves._train_batch(X, y)
        loss_w, right_w = whole_batch_step(whole, X, y)
        assert loss_h == pytest.approx(loss_w, rel=1e-12) and right_h == right_w
        for a, b in zip(halves.layers, whole.layers):
            for name in a.param_names:
                np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-11, atol=1e-13)
                np.testing.assert_allclose(getattr(a, "d" + name), getattr(b, "d" + name), rtol=1e-9, atol=1e-13)
    if case == 2:
        rnn = halves.layers[0]
        assert rnn.grad_norm > 0.01 and rnn.grad_norm == pytest.approx(whole.layers[0].grad_norm, rel=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_halves_on_two_threads_give_the_same_numbers_to_the_bit(dtype, monkeypatch):
    def steps():
        model = sprintlib.LeNet("same", optimizer="adam", dtype=dtype, random_state=0,
                                verbose=False).build((1, 28, 28), 10)
        X = np.random.default_rng(0).standard_normal((64, 1, 28, 28)).astype(dtype)
        out = [model._train_batch(X, np.arange(64) % 10) for _ in range(2)]
        return out + [p.copy() for layer in model.layers for p in layer.params().values()]

    one = steps()
    calls = []
    monkeypatch.setattr(_threads, "POLICY", _threads.Policy(2, 1, "test"))
    monkeypatch.setattr(parallel, "idle_cpu", lambda: True)
    monkeypatch.setattr(parallel, "_share_out", lambda fn, b, share=parallel._share_out: (calls.append(b), share(fn, b)))
    two = steps()
    assert calls and calls[0] == [(0, 32), (32, 64)]  # the halves did go to the pool
    assert one[:2] == two[:2]
    for a, b in zip(one[2:], two[2:]):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a, b)


def test_a_diverging_fit_names_the_batch_where_the_loss_overflowed():
    X = np.random.default_rng(0).standard_normal((200, 20)) * 1e3
    model = sprintlib.ScratchDeepNeuralNetworkClassifier(optimizer="sgd", lr=1e30, epochs=2, batch_size=50,
                                                        verbose=False)
    # numpy's overflow warnings are silenced inside fit: the student sees this message alone
    with pytest.raises(FloatingPointError, match=r"the loss became (nan|inf|NaN or inf) at epoch 1, batch \d: the training "
                                                 r"diverged \(a smaller lr"), warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, np.arange(200) % 3)
    assert np.geterr()["over"] == "warn"  # and numpy's settings are the caller's again


def test_a_fit_whose_last_update_overflows_says_so():
    """One batch, one epoch: the loss is computed before the update that overflows, so only
    the weights can show it."""
    X = (np.random.default_rng(0).standard_normal((40, 20)) * 1e3).astype(np.float32)
    model = sprintlib.ScratchDeepNeuralNetworkClassifier(optimizer="sgd", lr=1e38, epochs=1, batch_size=40,
                                                        dtype=np.float32, verbose=False)
    with pytest.raises(FloatingPointError, match=r"the weights became NaN or inf at epoch 1, batch 1: the training "
                                                 r"diverged"):
        model.fit(X, np.arange(40) % 3)
