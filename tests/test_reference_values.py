"""Every small-array case of the four sprints (data/reference/*.json, the correct values,
where the course documents print some wrong ones) computed by sprintlib.

A layer case gives the layer, its weights set by hand (as the notebooks do), X and dA,
and the expected A, dX and parameter gradients (whole arrays, single ``entries``, or
``shapes``); ``decimals`` is how many the values are given to. A function case gives the
function of ``sprintlib.functional``, its arguments and the result (and, where the
document prints another one, that ``printed`` value, which must differ).
"""
import sys
from pathlib import Path

import numpy as np
import pytest

import sprintlib
from sprintlib import functional
from reference import SPRINTS, value

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "autograder"))
from engine.course import ASSIGNMENTS  # noqa: E402


def cases(kind):
    return [pytest.param(case, id=f"{sprint}: {case['id']}")
            for sprint, data in SPRINTS.items() for case in data.get(kind, [])]


def assert_values(got, expected, decimals, name):
    if decimals is None:  # whole numbers, exactly
        np.testing.assert_array_equal(got, expected, err_msg=name)
    else:  # within half a unit of the last decimal given
        np.testing.assert_allclose(got, expected, rtol=0, atol=0.5 * 10.0**-decimals, err_msg=name)


def test_every_sprint_has_its_reference_file():
    assert list(SPRINTS) == ASSIGNMENTS


@pytest.mark.parametrize("case", cases("layers"))
def test_layer_cases(case):
    layer = getattr(sprintlib, case["layer"])(*case["args"], **case.get("kwargs", {}))
    for name, param in case.get("params", {}).items():
        setattr(layer, name, value(param))
    got = {"A": layer.forward(value(case["X"]))}
    if "dA" in case:
        got["dX"] = layer.backward(value(case["dA"], got["A"]))
        got.update({"d" + n: g for n, g in layer.grads().items()})
        got["dh0"] = getattr(layer, "dh0", None)
    checked = 0
    for name, expected in case.get("expected", {}).items():
        assert_values(got[name], expected, case.get("decimals"), name)
        checked += 1
    for name, pairs in case.get("entries", {}).items():
        for index, expected in pairs:
            assert_values(got[name][tuple(index)], expected, case.get("decimals"), f"{name}{index}")
            checked += 1
    for name, shape in case.get("shapes", {}).items():
        assert got[name].shape == tuple(shape)
        checked += 1
    assert checked


@pytest.mark.parametrize("case", cases("functions"))
def test_function_cases(case):
    args = [value(a) if isinstance(a, str) else tuple(a) if isinstance(a, list) else a for a in case["args"]]
    result = getattr(functional, case["function"])(*args, **case.get("kwargs", {}))
    if "shape" in case:
        assert np.shape(result) == tuple(case["shape"])
    else:
        assert np.array_equal(result, case["expected"])
        if "printed" in case:  # the document's value is wrong
            assert not np.array_equal(result, case["printed"])


@pytest.mark.parametrize("case", cases("models"))
def test_model_cases(case):
    model = getattr(sprintlib, case["model"])(*case["args"], dtype=np.float32, verbose=False)
    model.build(tuple(case["input_shape"]), case["n_classes"])
    counts = [layer.n_params for layer in model.layers if layer.param_names]
    assert counts == case["params_per_layer"] and model.n_params == case["total"]
    shape, shapes = (None, *case["input_shape"]), []
    for layer in model.layers:
        shape = layer.output_shape(shape)
        if not shapes or shapes[-1] != list(shape[1:]):
            shapes.append(list(shape[1:]))
    assert shapes == case["shapes"]
