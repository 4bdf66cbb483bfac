"""Random graphs, built and differentiated step by step, against a deliberately simple reference engine.

Hypothesis drives a state machine: it creates leaves (some requiring grad, some constants), combines
nodes with random operations (reusing nodes, so values branch and diamonds form), calls backward from
random nodes with and without retain_graph, queries autograd.grad, and clears gradients. After every
step, every leaf's `.grad` must equal what the reference computes.

The reference is written to be obviously right rather than fast: each node keeps its NumPy value, its
parents and a function mapping the output gradient to the parents' gradients; backward visits nodes in
an order found by plain recursion. It also models graph freeing: after a backward without
retain_graph, the nodes it went through are released, and going through a released node that needs
its saved values must raise GraphError (nodes that saved nothing, like Add, may be traversed again,
as in PyTorch). This guards topological order, accumulation on leaves and freeing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

import autograd as ag
from autograd import GraphError, Tensor
from autograd.testing import strategies as ags

SHAPE = (2, 2)
MAX_VALUE = 100.0  # nodes whose values grow beyond this are not kept, so nothing overflows


def identity(x):
    return x


class RefNode:
    """A node of the reference engine.

    `vjp(g, f)` returns the gradient for each parent. `f` is applied to every factor: the identity gives
    the gradient, np.abs (with |g|) an upper bound on the magnitude of the terms summed, which sets how
    much rounding the comparison may allow.
    """

    def __init__(self, value, parents=(), vjp=None, saves=False, requires_grad=False):
        self.value = np.asarray(value, dtype=np.float64)
        self.parents = tuple(parents)
        self.vjp = vjp
        self.saves = saves  # does the engine's node read saved values in backward?
        self.requires_grad = requires_grad if not parents else any(p.requires_grad for p in parents)
        self.released = False
        self.grad = None  # leaves only
        self.grad_bound = None

    @property
    def is_leaf(self):
        return not self.parents


def ref_add(a, b):
    return RefNode(a.value + b.value, (a, b), lambda g, f: (g, g))


def ref_sub(a, b):
    return RefNode(a.value - b.value, (a, b), lambda g, f: (g, f(-1.0) * g))


def ref_mul_tanh(a, b):
    t = np.tanh(b.value)
    return RefNode(a.value * t, (a, b), lambda g, f: (g * f(t), g * f(a.value) * f(1 - t * t)), saves=True)


def ref_matmul_tanh(a, b):
    t = np.tanh(b.value)
    return RefNode(a.value @ t, (a, b), lambda g, f: (g @ f(t).T, (f(a.value).T @ g) * f(1 - t * t)), saves=True)


def ref_neg(a):
    return RefNode(-a.value, (a,), lambda g, f: (f(-1.0) * g,))


def ref_tanh(a):
    y = np.tanh(a.value)
    return RefNode(y, (a,), lambda g, f: (g * f(1 - y * y),), saves=True)


def ref_sigmoid(a):
    y = 1 / (1 + np.exp(-a.value))
    return RefNode(y, (a,), lambda g, f: (g * f(y * (1 - y)),), saves=True)


def ref_scale(a):
    return RefNode(a.value * 0.5, (a,), lambda g, f: (g * f(0.5),), saves=True)


def ref_column_sum(a):
    def vjp(g, f):
        return (np.broadcast_to(g.sum(axis=0, keepdims=True), SHAPE),)

    return RefNode(np.broadcast_to(a.value.sum(axis=0, keepdims=True), SHAPE), (a,), vjp)


def ref_swap_rows(a):
    return RefNode(a.value[[1, 0]], (a,), lambda g, f: (g[[1, 0]],), saves=True)


def ref_duplicate_row(a):
    def vjp(g, f):
        out = np.zeros(SHAPE)
        out[1] = g[0] + g[1]  # row 1 was copied twice: its gradient is the sum of both copies'
        return (out,)

    return RefNode(a.value[[1, 1]], (a,), vjp, saves=True)


# Each operation: (engine version, reference version). Which engine nodes read saved values is what
# `saves` records in the reference (Mul, Tanh, Sigmoid, MatMul and GetItem, which keeps its index, do;
# Add, Sub, Neg, Sum and BroadcastTo do not).
BINARY = {
    "add": (lambda a, b: a + b, ref_add),
    "sub": (lambda a, b: a - b, ref_sub),
    "mul_tanh": (lambda a, b: a * b.tanh(), ref_mul_tanh),
    "matmul_tanh": (lambda a, b: a @ b.tanh(), ref_matmul_tanh),
}
UNARY = {
    "neg": (lambda a: -a, ref_neg),
    "tanh": (lambda a: a.tanh(), ref_tanh),
    "sigmoid": (lambda a: a.sigmoid(), ref_sigmoid),
    "scale": (lambda a: a * 0.5, ref_scale),
    "column_sum": (lambda a: a.sum(axis=0, keepdims=True).broadcast_to(SHAPE), ref_column_sum),
    "swap_rows": (lambda a: a[[1, 0]], ref_swap_rows),
    "duplicate_row": (lambda a: a[[1, 1]], ref_duplicate_row),
}


def reachable(start):
    """Nodes reachable from `start` through parents that require grad, each once, producers first."""
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.parents:
            if parent.requires_grad:
                visit(parent)
        order.append(node)

    visit(start)
    return order


def reference_backward(start, upstream, needed=None):
    """Gradients (and bounds on their rounding) of every reachable node, from `upstream` at `start`."""
    order = reachable(start)
    grads = {id(start): upstream}
    bounds = {id(start): np.abs(upstream)}
    for node in reversed(order):  # consumers first: a node's gradient is complete when it is reached
        if node.is_leaf or id(node) not in grads or (needed is not None and id(node) not in needed):
            continue
        parent_grads = node.vjp(grads[id(node)], identity)
        parent_bounds = node.vjp(bounds[id(node)], np.abs)
        for parent, g, b in zip(node.parents, parent_grads, parent_bounds, strict=True):
            if parent.requires_grad:
                grads[id(parent)] = grads.get(id(parent), 0) + g
                bounds[id(parent)] = bounds.get(id(parent), 0) + b
    return order, grads, bounds


def assert_close(actual, expected, bound, what):
    # Rounding of a sum grows with the magnitude of its terms, not of the result (which may cancel).
    tolerance = 1e-9 * np.asarray(bound) + 1e-12
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert np.all(np.abs(actual - expected) <= tolerance), f"{what}:\n{actual}\n!=\n{expected}"


class GraphMachine(RuleBasedStateMachine):
    nodes = Bundle("nodes")

    def __init__(self):
        super().__init__()
        self.leaves = []  # (tensor, RefNode) of the leaves that require grad

    @initialize(target=nodes, value=ags.arrays(SHAPE, min_value=-1.0, max_value=1.0))
    def first_leaf(self, value):
        return self.leaf(value, requires_grad=True)

    @rule(target=nodes, value=ags.arrays(SHAPE, min_value=-1.0, max_value=1.0), requires_grad=st.booleans())
    def leaf(self, value, requires_grad):
        tensor = Tensor(value, requires_grad=requires_grad)
        ref = RefNode(value, requires_grad=requires_grad)
        if requires_grad:
            self.leaves.append((tensor, ref))
        return (tensor, ref)

    def _keep(self, tensor, ref, name):
        assert tensor.requires_grad == ref.requires_grad, f"{name}: requires_grad"
        np.testing.assert_allclose(tensor.data, ref.value, rtol=1e-12, atol=1e-12, err_msg=name)
        if np.max(np.abs(ref.value)) > MAX_VALUE:
            return multiple()
        return (tensor, ref)

    @rule(target=nodes, name=st.sampled_from(sorted(BINARY)), a=nodes, b=nodes)
    def binary(self, name, a, b):
        engine_op, ref_op = BINARY[name]
        return self._keep(engine_op(a[0], b[0]), ref_op(a[1], b[1]), name)

    @rule(target=nodes, name=st.sampled_from(sorted(UNARY)), a=nodes)
    def unary(self, name, a):
        engine_op, ref_op = UNARY[name]
        return self._keep(engine_op(a[0]), ref_op(a[1]), name)

    @rule(node=nodes, retain=st.booleans(), upstream=ags.arrays(SHAPE, min_value=-1.0, max_value=1.0))
    def backward(self, node, retain, upstream):
        tensor, ref = node
        if not ref.requires_grad:
            with pytest.raises(GraphError):
                tensor.backward(upstream)
            return
        order, grads, bounds = reference_backward(ref, upstream)
        if any(n.released and n.saves for n in order):
            # Going through a freed node must fail, and change nothing (retain_graph=True so the failed
            # pass does not free anything else either).
            with pytest.raises(GraphError, match="second time"):
                tensor.backward(upstream, retain_graph=True)
            return
        tensor.backward(upstream, retain_graph=retain)
        for n in order:
            if n.is_leaf:
                n.grad = grads[id(n)] if n.grad is None else n.grad + grads[id(n)]
                n.grad_bound = bounds[id(n)] if n.grad_bound is None else n.grad_bound + bounds[id(n)]
            elif not retain:
                n.released = True

    @precondition(lambda self: self.leaves)
    @rule(node=nodes, data=st.data(), upstream=ags.arrays(SHAPE, min_value=-1.0, max_value=1.0))
    def grad_query(self, node, data, upstream):
        tensor, ref = node
        picks = data.draw(st.lists(st.sampled_from(range(len(self.leaves))), min_size=1, max_size=3, unique=True))
        targets = [self.leaves[i] for i in picks]
        inputs = [t for t, _ in targets]
        if not ref.requires_grad:
            with pytest.raises(GraphError):
                ag.grad(tensor, inputs, upstream, retain_graph=True, allow_unused=True)
            return
        target_ids = {id(r) for _, r in targets}
        order = reachable(ref)
        leads = set()  # nodes with a path to a requested leaf: the only ones grad() runs
        for n in order:  # producers first
            if id(n) in target_ids or any(p.requires_grad and id(p) in leads for p in n.parents):
                leads.add(id(n))
        if any(n.released and n.saves and id(n) in leads for n in order):
            with pytest.raises(GraphError, match="second time"):
                ag.grad(tensor, inputs, upstream, retain_graph=True, allow_unused=True)
            return
        _, grads, bounds = reference_backward(ref, upstream, needed=leads)
        results = ag.grad(tensor, inputs, upstream, retain_graph=True, allow_unused=True)
        for (_, r), g in zip(targets, results, strict=True):
            if id(r) in grads:
                assert g is not None, "grad: a used input got None"
                assert_close(g.data, grads[id(r)], bounds[id(r)], "grad()")
            else:
                assert g is None, "grad: an input that the output does not depend on must get None"

    @precondition(lambda self: self.leaves)
    @rule(data=st.data())
    def zero_grad(self, data):
        tensor, ref = data.draw(st.sampled_from(self.leaves))
        tensor.grad = None
        ref.grad = ref.grad_bound = None

    @invariant()
    def leaf_gradients_match_the_reference(self):
        for tensor, ref in self.leaves:
            if ref.grad is None:
                assert tensor.grad is None, "a leaf that no backward reached has a gradient"
            else:
                assert tensor.grad is not None, "a leaf reached by backward has no gradient"
                assert tensor.grad.dtype == np.float64
                assert_close(tensor.grad.data, ref.grad, ref.grad_bound, "leaf .grad")


# Each example is a program of up to 30 steps, so this test runs 2/3 of the loaded profile's example count
# (40 in `dev` and `ci`), and many more under `--hypothesis-profile=thorough` (read when the module is
# collected, after the profile is loaded).
GraphMachine.TestCase.settings = settings(max_examples=max(1, settings.default.max_examples * 2 // 3),
                                          stateful_step_count=30)
TestGraphMachine = GraphMachine.TestCase


def test_the_example_count_follows_the_loaded_profile():
    """40 examples in `dev`/`ci`; `--hypothesis-profile=thorough` (1000 examples a test) makes it 666."""
    assert settings.default.max_examples != 60 or TestGraphMachine.settings.max_examples == 40
    code = ("import importlib.util, sys\n"
            "from autograd.testing import use_hypothesis_profiles\n"
            "use_hypothesis_profiles('thorough')\n"
            f"spec = importlib.util.spec_from_file_location('machine', {str(Path(__file__))!r})\n"
            "module = importlib.util.module_from_spec(spec)\n"
            "spec.loader.exec_module(module)\n"
            "print(module.TestGraphMachine.settings.max_examples)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.stdout.strip() == "666"
