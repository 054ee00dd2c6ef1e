"""A model's training batch in two halves, on two replicas of its layers, side by side.

``ScratchClassifier._train_batch`` (models/base.py) does forward, loss, backward and the
update on the whole batch; with the fast path on it calls ``train_batch`` here instead.
A batch of 64 samples or more is cut in two halves (``parallel.batch_halves``), which two
replicas of the layers (``replica``: the same weights, their own forward state) run side
by side on two cores when the process may use them (``parallel.for_each``). Each half
starts backward from its share of the batch's mean loss, so the batch's gradients are the
sum of the halves', which each layer then applies once. The halves depend on N alone, so
the numbers do not depend on the threads (tests/test_fast_paths.py).
"""
from __future__ import annotations

import copy

import numpy as np

from . import parallel


def replica(layer):
    """A copy of ``layer`` for a slice of the batch: the same parameter arrays (``sync_params``
    hands it new ones), its own forward state and gradients, which its backward leaves as
    computed (no ``apply_gradients``: the model sums the replicas' and applies them)."""
    twin = copy.copy(layer)
    twin._is_replica = True
    twin.optimizer = None
    return twin


def sync_params(twin, layer) -> None:
    """Give ``twin`` the parameter arrays of ``layer`` (not copies): before each step."""
    for name in layer.param_names:
        setattr(twin, name, getattr(layer, name))


def train_batch(model, X, y) -> tuple[float, int]:
    """``model._train_batch(X, y)`` in halves: (mean loss, number of right predictions)."""
    halves = parallel.batch_halves(len(y))
    if len(halves) == 1:
        return model._train_whole(X, y)
    replicas = _replicas(model, len(halves))
    results = [None] * len(halves)

    def run(first, last):
        k = halves.index((first, last))
        Z = replicas[k]._forward(X[first:last])
        loss = replicas[k].output.loss(y[first:last])
        # the gradient of this half's share of the batch's mean loss: (Z - Y) / N, not / its size
        dA = replicas[k].output.backward(y[first:last])
        dA *= dA.dtype.type((last - first) / len(y))
        replicas[k]._backward(dA)
        results[k] = (loss, int((Z.argmax(axis=1) == y[first:last]).sum()))

    parallel.for_each(halves, run, size=model.n_params * len(y))  # about a step's multiply-adds

    def apply(first, last):  # the layers first..last-1: each one's gradients, then its update
        for i in range(first, last):
            layer = model.layers[i]
            for name in layer.param_names:
                setattr(layer, "d" + name, np.add(*(getattr(r.layers[i], "d" + name) for r in replicas)))
            layer.apply_gradients()

    parallel.for_each(_update_groups(model), apply, size=model.n_params)
    weights = [(last - first) / len(y) for first, last in halves]
    return sum(w * r[0] for w, r in zip(weights, results)), sum(r[1] for r in results)


def _update_groups(model) -> list[tuple[int, int]]:
    """The layers in two runs, (0, k) and (k, len), with about as many parameters each:
    the two threads that update them after a step of halves (each layer's update is its
    own, so the numbers are the same however the layers are shared)."""
    sizes = np.cumsum([layer.n_params for layer in model.layers])
    k = int(np.searchsorted(sizes, sizes[-1] / 2)) + 1
    return [(0, k), (k, len(model.layers))] if k < len(model.layers) else [(0, len(model.layers))]


def _replicas(model, n: int) -> list:
    """``n`` shallow copies of the model whose layers are replicas of its own, each with its
    current parameter arrays (made once for the layers of a build, then only re-pointed)."""
    made = model.__dict__.get("_replica_models", ())
    if len(made) != n or made[0]._master_layers is not model.layers:
        made = []
        for _ in range(n):
            twin = copy.copy(model)
            twin.layers = [replica(layer) for layer in model.layers]
            twin.output = replica(model.output)
            twin._master_layers = model.layers
            twin._replica_models = ()
            made.append(twin)
        model._replica_models = made
    for twin in made:
        for layer, mine in zip(twin.layers, model.layers):
            sync_params(layer, mine)
    return made
