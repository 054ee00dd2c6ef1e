"""The layer contract (sprintlib/layers/base.py), checked on every layer of tests/registry.py:
the checks on X, dA and hand-set weights, no aliasing between what a layer returns or keeps
and what its caller holds, dtypes, memory order, needs_input_grad, the optimizer update,
and numerical gradients. Layer-specific values are in each layer's own test file."""
import inspect
import re

import numpy as np
import pytest

import sprintlib
from sprintlib import SGD, Flatten, MaxPool2D
from sprintlib.functional import memory_order
from sprintlib.testing import check_numerical_gradients
from registry import CASES, LAYERS, targets

ids = [c.id for c in CASES]
layer_ids = [c.id for c in LAYERS]
with_params = [c for c in CASES if c.layer().param_names]


def run(case, X, layer=None, seed=1, edit=None):
    """forward then backward on a fresh layer; ``edit(A, X)`` may change A or X in between.
    Returns (A as forward returned it, dX, {name: gradient}), all copied."""
    layer = layer or case.layer()
    A = layer.forward(X)
    A_seen = A.copy()
    dA = targets(case, A, np.random.default_rng(seed))
    if edit is not None:
        edit(A, X)
    dX = layer.backward(dA)
    grads = {n: g.copy() for n, g in layer.grads().items()}
    return A_seen, None if dX is None else dX.copy(), grads


def x_for(case, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(case.x_shape).astype(dtype)


def assert_same(got, expected, rtol=1e-12):
    A, dX, grads = got
    A0, dX0, grads0 = expected
    np.testing.assert_allclose(A, A0, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(dX, dX0, rtol=rtol, atol=rtol)
    assert grads.keys() == grads0.keys()
    for n in grads:
        np.testing.assert_allclose(grads[n], grads0[n], rtol=rtol, atol=rtol, err_msg=n)


def test_the_registry_lists_every_public_layer():
    public = {name for name in sprintlib.__all__
              if inspect.isclass(getattr(sprintlib, name)) and issubclass(getattr(sprintlib, name), sprintlib.Layer)}
    registered = {type(c.layer()).__name__ for c in CASES}
    assert public - {"Layer"} == registered


# -- order and checks ---------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=ids)
def test_backward_before_forward_is_named(case):
    layer = case.layer()
    with pytest.raises(RuntimeError, match=f"{layer.name}.backward was called before forward"):
        layer.backward(np.zeros(case.x_shape))


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_a_gradient_of_another_shape_is_named(case):
    layer = case.layer()
    A = layer.forward(x_for(case))
    wrong = A.shape[:-1] + (A.shape[-1] + 1,)
    name = "Y" if case.is_loss else "dA"
    with pytest.raises(ValueError, match=rf"{layer.name} expects {name} of shape \(.*\), got \(.*{wrong[-1]},?\)"):
        layer.backward(np.zeros(wrong))


@pytest.mark.parametrize("case", LAYERS, ids=layer_ids)
def test_a_non_finite_gradient_is_named(case):
    layer = case.layer()
    A = layer.forward(x_for(case))
    dA = np.zeros(A.shape)
    dA.flat[0] = np.inf
    with pytest.raises(ValueError, match=f"{layer.name} expects finite values in dA, got 0 NaN and 1 inf"):
        layer.backward(dA)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_bad_inputs_are_named(case):
    layer, X = case.layer(), x_for(case)
    X_nan = X.copy()
    X_nan.flat[-1] = np.nan
    with pytest.raises(ValueError, match=f"{layer.name} expects finite values in X, got 1 NaN and 0 inf"):
        layer.forward(X_nan)
    with pytest.raises(ValueError, match=rf"{layer.name} expects X of shape \(.*\).*, got \(\)"):
        layer.forward(np.float64(1.0))
    with pytest.raises(ValueError, match=f"{layer.name} expects X to hold numbers"):
        layer.forward(np.full(case.x_shape, "a"))
    with pytest.raises(ValueError, match=rf"{layer.name} expects X of shape .*, got \(0,"):
        layer.forward(X[:0])  # an empty batch


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_a_masked_array_is_refused(case):
    # np.asarray reads a masked array's data, masked entries included: they would be computed
    layer, X = case.layer(), x_for(case)
    masked = np.ma.masked_array(X, mask=np.arange(X.size).reshape(X.shape) == 0)
    with pytest.raises(ValueError, match=rf"^{layer.name} expects X as a plain array, got a masked array "
                                         r"\(1 of its values masked\): masked arrays are not supported, "
                                         r"fill the masked values first, e\.g\. X\.filled\(0\)$"):
        layer.forward(masked)
    A = layer.forward(X)
    with pytest.raises(ValueError, match=f"{layer.name} expects {'Y' if case.is_loss else 'dA'} as a plain array"):
        layer.backward(np.ma.masked_array(targets(case, A, np.random.default_rng(1))))


# every flag of a layer's constructor: True or False, not any object bool() takes ("no" is true)
FLAGS = [(c, flag) for c in CASES for flag in ("allow_remainder", "return_sequences")
         if flag in inspect.signature(type(c.layer())).parameters]


@pytest.mark.parametrize("case, flag", FLAGS, ids=[f"{c.id}-{f}" for c, f in FLAGS])
def test_a_flag_that_is_not_a_bool_is_named(case, flag):
    cls = type(case.layer())
    params = inspect.signature(cls).parameters
    args = [2] * sum(p.default is inspect.Parameter.empty for p in params.values())
    for value in ("no", None, 2, [True]):
        with pytest.raises(ValueError, match="^" + re.escape(f"{cls.__name__} expects {flag} to be True or "
                                                             f"False, got {value!r}") + "$"):
            cls(*args, **{flag: value})
    for value, expected in ((np.True_, True), (0, False), (False, False)):
        assert getattr(cls(*args, **{flag: value}), flag) is expected


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_a_dtype_that_is_not_floating_is_named(case):
    with pytest.raises(ValueError, match="expects a floating dtype, got int64"):
        case.layer(dtype=np.int64)


@pytest.mark.parametrize("case", with_params, ids=[c.id for c in with_params])
def test_an_optimizer_without_update_is_named(case):
    with pytest.raises(ValueError, match=r"expects optimizer to be None or an object with update\(layer\), got 'adam'"):
        case.layer(optimizer="adam")


# -- values: dtypes, integers, memory layouts, gradients ---------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=ids)
def test_float32_and_float64(case, dtype):
    layer = case.layer(dtype=dtype)
    A, dX, grads = run(case, x_for(case, np.float64), layer)  # a float64 X is computed in the layer's dtype
    assert A.dtype == dtype and dX.dtype == dtype
    assert all(g.dtype == dtype for g in grads.values())
    assert all(p.dtype == dtype for p in layer.params().values())
    expected = run(case, x_for(case, np.float64))
    assert_same((A, dX, grads), expected, rtol=1e-4 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_integer_input_is_computed_in_floating_point(case):
    X = np.random.default_rng(0).integers(-3, 4, size=case.x_shape)
    assert_same(run(case, X), run(case, X.astype(np.float64)))


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_non_contiguous_input_and_its_memory_order(case):
    X = x_for(case)
    # the same values, laid out backwards in memory and with gaps
    big = np.zeros(tuple(2 * s for s in X.shape[::-1]))
    strided = big[(slice(None, None, 2),) * X.ndim].T
    strided[...] = X
    assert not strided.flags.c_contiguous
    layer = case.layer()
    got = run(case, strided, layer)
    assert_same(got, run(case, X))
    if got[1].ndim > 1 and not case.is_loss:
        assert memory_order(layer.backward(targets(case, got[0], np.random.default_rng(1)))) == memory_order(strided)


@pytest.mark.parametrize("case", LAYERS, ids=layer_ids)
def test_numerical_gradients(case):
    check_numerical_gradients(case.layer(), case.x_shape, seed=3)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_output_shape_is_what_forward_returns(case):
    layer = case.layer()
    assert layer.output_shape(case.x_shape) == layer.forward(x_for(case)).shape


# -- no aliasing ----------------------------------------------------------------------------
def _scale_output(A, X):
    A *= 0.5


def _overwrite_output(A, X):
    A[...] = 7.0


def _zero_input(A, X):
    X[...] = 0.0


@pytest.mark.parametrize("edit", [_scale_output, _overwrite_output, _zero_input])
@pytest.mark.parametrize("case", CASES, ids=ids)
def test_editing_the_output_or_the_input_in_place_changes_nothing_later(case, edit):
    expected = run(case, x_for(case))
    assert_same(run(case, x_for(case), edit=edit), expected)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_editing_the_returned_gradient_changes_nothing_later(case):
    layer = case.layer()
    X = x_for(case)
    A = layer.forward(X)
    dA = targets(case, A, np.random.default_rng(1))
    layer.backward(dA)[...] = 5.0
    dA_copy = dA.copy()
    dX = layer.backward(dA)
    np.testing.assert_array_equal(dA, dA_copy)  # backward does not write into dA either
    assert_same((A, dX, layer.grads()), run(case, x_for(case)))


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_outputs_share_no_memory_with_inputs_or_parameters(case):
    layer, X = case.layer(), x_for(case)
    A = layer.forward(X)
    dA = targets(case, A, np.random.default_rng(1))
    dX = layer.backward(dA)
    for out in (A, dX):
        for other in [X, dA, *layer.params().values()]:
            assert not np.shares_memory(out, other)


def test_pooling_then_flatten_then_scaling_the_output_keeps_the_gradient():
    X = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    pool, flatten = MaxPool2D(2), Flatten()
    F_ = flatten.forward(pool.forward(X))
    F_ *= 0.5
    dX = pool.backward(flatten.backward(np.ones(F_.shape)))
    assert dX.sum() == F_.size  # every window still sends its gradient to its maximum


# -- weights set by hand, needs_input_grad, the optimizer --------------------------------------
@pytest.mark.parametrize("case", with_params, ids=[c.id for c in with_params])
def test_weights_set_by_hand_are_checked(case):
    layer = case.layer()
    for name, value in layer.params().items():
        setattr(layer, name, value.tolist())  # as the documents do: plain lists are fine
        layer.forward(x_for(case))
        assert isinstance(getattr(layer, name), np.ndarray)
        setattr(layer, name, np.full(value.shape, np.nan))
        with pytest.raises(ValueError, match=f"{layer.name} expects finite values in {name}"):
            layer.forward(x_for(case))
        setattr(layer, name, np.zeros(value.shape + (2,)))
        with pytest.raises(ValueError, match=rf"{layer.name} expects {name} of shape \(.*\), got"):
            layer.forward(x_for(case))
        setattr(layer, name, value)


@pytest.mark.parametrize("case", with_params, ids=[c.id for c in with_params])
def test_needs_input_grad_false_returns_none_with_the_same_weight_gradients(case):
    layer = case.layer()
    layer.needs_input_grad = False
    A, dX, grads = run(case, x_for(case), layer)
    assert dX is None
    expected = run(case, x_for(case))
    for n in grads:
        np.testing.assert_allclose(grads[n], expected[2][n], rtol=1e-12)


@pytest.mark.parametrize("case", with_params, ids=[c.id for c in with_params])
def test_the_optimizer_updates_after_dX_is_computed(case):
    layer = case.layer(optimizer=SGD(lr=0.1))
    before = {n: p.copy() for n, p in layer.params().items()}
    got = run(case, x_for(case), layer)
    assert_same(got, run(case, x_for(case)))  # dX with the weights forward used
    for n, p in layer.params().items():
        np.testing.assert_allclose(p, before[n] - 0.1 * got[2][n], rtol=1e-12)
