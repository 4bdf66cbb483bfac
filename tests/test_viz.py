"""Tests for autograd.viz: the DOT text (golden), counts, every option, escaping, size limits, rendering."""

from __future__ import annotations

import gc
import html
import re
import shutil
import threading
import weakref
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Function, Tensor, viz
from autograd.viz import render, style
from autograd.viz.recording import lookup

NODE = re.compile(r"^\s*(n\d+) \[label=<(.*)> (.*)\]$", re.M)
ARROW = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$", re.M)
HAS_DOT = shutil.which("dot") is not None
NEEDS_DOT = pytest.mark.skipif(not HAS_DOT, reason="the Graphviz `dot` program is not installed "
                                                   "(apt-get install graphviz); rendering cannot be tested")


def nodes(dot: str) -> dict[str, tuple[str, str]]:
    """id -> (label, attributes) of every drawn node."""
    return {m.group(1): (m.group(2), m.group(3)) for m in NODE.finditer(dot)}


def arrows(dot: str) -> list[tuple[str, str, str]]:
    return [(m.group(1), m.group(2), m.group(3) or "") for m in ARROW.finditer(dot)]


def clusters_of(dot: str) -> dict[str, tuple[str, ...]]:
    """id -> labels of the clusters around it, outermost first."""
    where: dict[str, tuple[str, ...]] = {}
    stack: list[str] = []
    for line in dot.splitlines():
        text = line.strip()
        if text.startswith("subgraph cluster_"):
            stack.append("")
        elif text.startswith("graph [label=") and stack:
            label = text[len("graph [label=<"):text.index("> style=")]
            stack[-1] = html.unescape(re.sub(r"<[^>]*>", "", label))
        elif text == "}" and stack:
            stack.pop()
        elif (m := NODE.match(line)) is not None:
            where[m.group(1)] = tuple(stack)
    return where


def label_of(dot: str, text: str, exact: bool = False) -> str:
    """The id of the one node whose label contains `text` (or is `text`, if exact)."""
    found = [ident for ident, (label, _) in nodes(dot).items() if (label == text if exact else text in label)]
    assert len(found) == 1, (text, found)
    return found[0]


def apple_graph(float_dtype=None):
    price = Tensor(100.0, requires_grad=True, name="price", dtype=float_dtype)
    count = Tensor(2.0, requires_grad=True, name="count", dtype=float_dtype)
    tax = Tensor(1.1, requires_grad=True, name="tax", dtype=float_dtype)
    with viz.record():
        subtotal = price * count
        total = subtotal * tax
    subtotal.name, total.name = "subtotal", "total"
    total.backward()
    return total, subtotal, (price, count, tax)


# ------------------------------------------------------------------------------------------ golden
APPLE_GOLDEN = """\
digraph {
	graph [rankdir="LR" fontname="Helvetica,Arial,sans-serif" bgcolor="white" pad="0.2" nodesep="0.2" ranksep="0.25" label=<<TABLE BORDER="0" CELLSPACING="4"><TR><TD><FONT POINT-SIZE="16"><B>Buying 2 apples at 100 with 10% tax</B></FONT></TD></TR></TABLE>> labelloc="t"]
	node [fontname="Helvetica,Arial,sans-serif" fontsize=11 margin="0.08,0.03" height=0.3]
	edge [fontname="Helvetica,Arial,sans-serif" fontsize=9 color="#555555" fontcolor="#555555" arrowsize=0.7]
	n0 [label=<<B>total</B><BR/>220> shape="box" style="rounded,filled,bold" fillcolor="#d9ead3" color="#38761d" penwidth="1.4" peripheries="2"]
	n1 [label=<<B>Mul</B>> shape="ellipse" style="filled" fillcolor="#fce5cd" color="#b45f06" penwidth="1.0" fontsize="10"]
	n2 [label=<<B>subtotal</B><BR/>200> shape="box" style="rounded,filled" fillcolor="#ffffff" color="#808080" penwidth="1.0"]
	n3 [label=<<B>Mul</B>> shape="ellipse" style="filled" fillcolor="#fce5cd" color="#b45f06" penwidth="1.0" fontsize="10"]
	n4 [label=<<B>tax</B><BR/>1.1> shape="box" style="filled" fillcolor="#cfe2f3" color="#3d6fa5" penwidth="1.4"]
	n5 [label=<<B>price</B><BR/>100> shape="box" style="filled" fillcolor="#cfe2f3" color="#3d6fa5" penwidth="1.4"]
	n6 [label=<<B>count</B><BR/>2> shape="box" style="filled" fillcolor="#cfe2f3" color="#3d6fa5" penwidth="1.4"]
	n1 -> n0
	n3 -> n2
	n2 -> n1
	n4 -> n1
	n5 -> n3
	n6 -> n3
}
"""  # noqa: E501


def test_apple_graph_golden_dot():
    total, subtotal, leaves = apple_graph()
    assert viz.to_dot(total, show_data=True, title="Buying 2 apples at 100 with 10% tax") == APPLE_GOLDEN


def test_apple_graph_reads_like_the_textbook_with_gradients():
    total, _, (price, count, tax) = apple_graph()
    dot = viz.to_dot(total, show_data=True, show_grad=True)
    labels = {label.split("<BR/>")[0]: label for label, _ in nodes(dot).values()}
    assert "220" in labels["<B>total</B>"] and "grad 1<" in labels["<B>total</B>"]
    assert "200" in labels["<B>subtotal</B>"] and "grad 1.1<" in labels["<B>subtotal</B>"]
    assert "grad 2.2<" in labels["<B>price</B>"]
    assert "grad 110<" in labels["<B>count</B>"]
    assert "grad 200<" in labels["<B>tax</B>"]
    assert "gradient, mean |grad|" in dot  # the legend


def test_apple_graph_without_record_shows_structure_constants_and_how_to_record():
    """The README's example drawn after the fact: what the graph knows, and the line that shows the rest."""
    price = Tensor(100.0, requires_grad=True, name="price")
    total = price * 2 * 1.1
    total.backward()
    dot = viz.to_dot(total, show_data=True, show_grad=True)
    assert len(nodes(dot)) == 7  # price, Mul, intermediate, Mul, total, and the constants 2 and 1.1
    assert "grad 2.2<" in nodes(dot)[label_of(dot, "price")][0]
    assert nodes(dot)["n0"][0] == "220"  # its gradient is not kept (no retain_grad), so none is claimed
    intermediate = nodes(dot)["n2"][0]
    assert "value not recorded" in intermediate and "grad" not in intermediate  # unknown, so not claimed
    constants = [ident for ident, (label, _) in nodes(dot).items() if label.startswith(
        '<FONT POINT-SIZE="9" COLOR="#555555">constant</FONT>')]
    assert len(constants) == 2 and all("dashed" in nodes(dot)[c][1] for c in constants)
    assert {target for source, target, _ in arrows(dot) if source in constants} == {"n1", "n3"}  # both Muls
    caption = html.unescape(dot).replace("<BR/>", " ")
    assert "run the forward pass inside `with viz.record():` to show them" in caption
    assert "not recorded" not in viz.to_dot(total)  # values not asked for: nothing to excuse
    again = price * 3
    again.retain_grad()
    again.backward()
    assert "grad 1<" in viz.to_dot(again, show_grad=True)


def test_recorded_graphs_need_no_note_and_show_numbers_plainly():
    price = Tensor(100.0, requires_grad=True, name="price")
    with viz.record():
        total = price * 2 * 1.1
    total.backward()
    dot = viz.to_dot(total, show_data=True, show_grad=True)
    assert "not recorded" not in dot and "constant" not in dot
    assert {nodes(dot)["n1"][0], nodes(dot)["n3"][0]} == {"<B>Mul</B><BR/>× 1.1", "<B>Mul</B><BR/>× 2"}


def test_a_model_drawn_after_the_fact_has_an_input_node_and_no_settings_as_constants():
    import nn

    ag.manual_seed(0)
    model = nn.MLP([4, 3, 2])
    loss = nn.CrossEntropyLoss()(model(Tensor(np.ones((5, 4), dtype=np.float32))), np.zeros(5, dtype=np.int64))
    dot = viz.to_dot(loss, group_modules=True)
    constants = {ident for ident, (label, _) in nodes(dot).items() if ">constant<" in label}
    first_layer = [target for source, target, _ in arrows(dot) if source in constants
                   and "Linear" in nodes(dot)[target][0]]
    assert len(first_layer) == 1  # the input batch, into fc1
    assert len(constants) == 2  # the input and the loss's labels; no boxes for reduction=, axis=, a missing bias
    clusters = clusters_of(dot)
    input_box = next(source for source, target, _ in arrows(dot) if target == first_layer[0] and source in constants)
    assert clusters.get(input_box, ()) == ()  # the input stays outside the modules


# ------------------------------------------------------------------------------------------ counts
def test_node_and_edge_counts_of_known_graphs():
    total, subtotal, leaves = apple_graph()
    dot = viz.to_dot(total)
    assert (len(nodes(dot)), len(arrows(dot))) == (7, 6)

    x = Tensor(3.0, requires_grad=True)
    y = Tensor(4.0, requires_grad=True)
    z = (x + y) ** 2
    dot = viz.to_dot(z)
    assert (len(nodes(dot)), len(arrows(dot))) == (7, 6)  # the exponent, not recorded, is a constant box
    assert "PowConstant" in dot and "Add" in dot

    # a branch: x feeds two Muls, each input arrow drawn once; the 3 and the 5 are constant boxes
    x = Tensor(2.0, requires_grad=True)
    z = x * 3 + x * 5
    dot = viz.to_dot(z)
    assert (len(nodes(dot)), len(arrows(dot))) == (9, 9)
    with viz.record():  # recorded: a number argument shows in its op, a constant tensor gets a box
        z = x**3 + x * Tensor(5.0, name="five")
    dot = viz.to_dot(z, show_data=True)
    assert (len(nodes(dot)), len(arrows(dot))) == (8, 8)
    assert nodes(dot)[label_of(dot, "PowConstant")][0] == "<B>PowConstant</B><BR/>** 3"
    assert nodes(dot)[label_of(dot, "five")][0] == "<B>five</B><BR/>5"


def test_a_reused_tensor_is_drawn_once_not_exponentially():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(16):
        y = y + y
    dot = viz.to_dot(y)
    assert len(nodes(dot)) == 33  # x, 16 Adds, 16 results
    assert len(arrows(dot)) == 16 * 3


def test_several_roots_share_one_picture():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    a = x * 2
    b = (x * 3).sum()
    dot = viz.to_dot(a, b, a)  # a root given twice is drawn once
    assert len(nodes(dot)) == 1 + 3 + 5  # x; a, its Mul, the 2; b, Sum, the second Mul, the 3, its result
    assert dot.count('peripheries="2"') == 2  # both roots look like outputs
    assert sum(1 for _, (label, _) in nodes(dot).items() if "<B>x</B>" in label) == 1


def test_leaf_and_constant_roots_alone():
    dot = viz.to_dot(Tensor([1.0], requires_grad=True, name="w"))
    assert len(nodes(dot)) == 1 and not arrows(dot) and 'fillcolor="#cfe2f3"' in dot
    dot = viz.to_dot(Tensor([1.0, 2.0], name="data"), show_data=True)
    assert len(nodes(dot)) == 1 and "dashed" in dot and "[1, 2]" in dot


@given(st.lists(st.tuples(st.sampled_from(["add", "mul", "tanh", "sum"]), st.integers(0, 50), st.integers(0, 50)),
                min_size=1, max_size=25))
def test_every_tensor_appears_once_and_every_input_is_an_arrow(program):
    leaves = [Tensor(np.full(3, float(i + 1)), requires_grad=True) for i in range(3)]
    tensors = list(leaves)
    inputs = 0
    for op, i, j in program:
        a, b = tensors[i % len(tensors)], tensors[j % len(tensors)]
        if op == "add":
            result, inputs = a + b, inputs + 2
        elif op == "mul":
            result, inputs = a * b, inputs + 2
        elif op == "tanh":
            result, inputs = a.tanh(), inputs + 1
        else:
            result, inputs = a.sum(axis=0, keepdims=False) * np.ones(3), inputs + 2
        tensors.append(result)
    ops = sum(2 if op == "sum" else 1 for op, _, _ in program)
    constants = sum(op == "sum" for op, _, _ in program)  # np.ones(3), not recorded: one box per use
    dot = viz.to_dot(*tensors, max_nodes=None)
    assert len(nodes(dot)) == len(leaves) + 2 * ops + constants
    assert len(arrows(dot)) == inputs + ops + constants  # one arrow per input of each op, one to each result
    assert viz.to_dot(*tensors, max_nodes=None) == dot


# ------------------------------------------------------------------------------------------ ops
class Split(Function):
    """A user-defined op with two outputs: (x[:1], x[1:])."""

    def forward(self, x):
        return x[:1].copy(), x[1:].copy()

    def backward(self, g_first, g_rest):
        return ag.concatenate([g_first, g_rest])


class Cube(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x**3

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * 3 * x * x


def test_user_defined_functions_show_their_class_name_and_multiple_outputs():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    first, rest = Split.apply(Cube.apply(x))
    dot = viz.to_dot(first.sum() + rest.sum())
    assert "<B>Cube</B>" in dot and "<B>Split</B>" in dot
    labels = sorted(label for _, _, label in arrows(dot) if "[" in label)
    assert labels == ['label="[0]"', 'label="[1]"']

    with viz.record():
        first, _ = Split.apply(x)  # the second output is unused but recorded, so it is drawn
    dot = viz.to_dot(first, show_data=True)
    assert len(nodes(dot)) == 4 and "[2, 3]" in dot


def test_edges_carry_shapes_and_recorded_ops_show_their_arguments():
    w = Tensor(np.ones((3, 4)), requires_grad=True, name="W")
    with viz.record():
        h = (Tensor(np.ones((2, 3))) @ w).sum(axis=0)
        r = Tensor([[1.0, 2.0]], requires_grad=True).repeat(4, axis=0)
    dot = viz.to_dot(h, r)
    edge_labels = {label for _, _, label in arrows(dot)}
    assert {'label="(3, 4)"', 'label="(2, 3)"', 'label="(2, 4)"', 'label="(1, 2)"'} <= edge_labels
    assert "axes=(0,), keepdims=False" in dot and "repeats=4, axis=0" in dot
    assert "float64" in nodes(dot)[label_of(dot, "<B>W</B>")][0]  # dtype shown when not the default


def test_arithmetic_with_a_number_is_labelled_the_textbook_way():
    from autograd.viz.structure import OpBox

    assert style.op_look(OpBox("n0", "Mul", (("b", "2"),), ()))[0] == "<B>Mul</B><BR/>× 2"
    assert style.op_look(OpBox("n0", "Sub", (("a", "3"),), ()))[0] == "<B>Sub</B><BR/>3 −"
    assert style.op_look(OpBox("n0", "Div", (("b", "4"),), ()))[0] == "<B>Div</B><BR/>÷ 4"
    assert "axis=1" in style.op_look(OpBox("n0", "Softmax", (("axis", "1"),), ()))[0]


# ------------------------------------------------------------------------------------------ options
def test_show_data_lists_small_tensors_and_summarises_large_ones():
    small = Tensor([1.5, -2.0], requires_grad=True, name="small")
    large = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True, name="large")
    dot = viz.to_dot(small.sum() + large.sum(), show_data=True)
    assert "[1.5, -2]" in nodes(dot)[label_of(dot, "small")][0]
    assert "min 0  mean 5.5  max 11" in nodes(dot)[label_of(dot, "large")][0]
    assert "mean" not in viz.to_dot(small.sum() + large.sum(), show_data=False)


def test_show_grad_marks_dead_nan_and_vanishing_gradients():
    dead = Tensor([-1.0, -2.0, -3.0], requires_grad=True, name="dead")
    broken = Tensor([1.0, 2.0], requires_grad=True, name="broken")
    fading = Tensor([20.0], requires_grad=True, name="fading", dtype=np.float64)
    healthy = Tensor([0.5], requires_grad=True, name="healthy")
    loss = dead.relu().sum() + (broken * float("nan")).sum() + fading.sigmoid().sum() + (healthy * 2).sum()
    loss.backward()
    dot = viz.to_dot(loss, show_grad=True)
    dead_label, dead_attributes = nodes(dot)[label_of(dot, "<B>dead</B>")]
    assert "all zero (dead)" in dead_label and f'fillcolor="{style.DEAD_FILL}"' in dead_attributes
    broken_label, broken_attributes = nodes(dot)[label_of(dot, "<B>broken</B>")]
    assert "grad has NaN!" in broken_label and f'fillcolor="{style.NONFINITE_FILL}"' in broken_attributes
    fading_label, fading_attributes = nodes(dot)[label_of(dot, "<B>fading</B>")]
    assert "vanishing" in fading_label and f'color="{style.VANISHING_BORDER}"' in fading_attributes
    healthy_label, healthy_attributes = nodes(dot)[label_of(dot, "<B>healthy</B>")]
    assert "grad [2]<" in healthy_label and 'fillcolor="#f6a96b"' in healthy_attributes  # the 1..10 band
    assert "vanishing" not in healthy_label and "dead" not in healthy_label


def test_only_parameters_are_judged_vanishing():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    with viz.record():
        big = w * 1e6  # an intermediate result with a small gradient relative to its value
        loss = (big * 1e-6).sum()
    loss.backward()
    dot = viz.to_dot(loss, show_grad=True, show_data=True)
    assert "vanishing" not in nodes(dot)[label_of(dot, "[1e+06, 2e+06]")][0]
    assert "vanishing" not in nodes(dot)[label_of(dot, "<B>w</B>")][0]  # grad 1 vs value 1.5
    assert "vanishing" in viz.to_dot(loss, show_grad=True, vanishing_ratio=2.0)  # now w is, by that bar


def test_show_grad_says_when_a_parameter_got_no_gradient():
    used = Tensor([1.0], requires_grad=True, name="used")
    unused = Tensor([1.0], requires_grad=True, name="unused")
    out = used * 2 + unused * 0  # `unused` gets a (zero) gradient; a third leaf is never reached
    out.sum().backward()
    before = Tensor([1.0], requires_grad=True, name="before")
    dot = viz.to_dot(out, before * 1, show_grad=True)
    assert "no grad" in nodes(dot)[label_of(dot, "<B>before</B>")][0]
    assert "all zero" in nodes(dot)[label_of(dot, "<B>unused</B>")][0]


def test_gradient_scale_bands_and_health():
    for magnitude, expected in [(50.0, "#ef8a80"), (5.0, "#f6a96b"), (0.5, "#f8d26c"), (0.05, "#e1e872"),
                                (5e-3, "#a9db8f"), (5e-4, "#86cfc6"), (5e-5, "#94bde6"), (5e-6, "#aeaaea"),
                                (5e-9, "#cdbbe6")]:
        assert style.grad_health(np.array([magnitude, -magnitude]), None, 1e-3).fill == expected
    health = style.grad_health(np.array([0.0, 0.0, 1.0, 0.0]), np.array([1.0, 1, 1, 1]), 1e-3)
    assert health.zero_fraction == 0.75 and not health.dead and not health.vanishing
    assert style.grad_health(np.array([1e-6]), np.array([1.0]), 1e-3).vanishing
    assert not style.grad_health(np.array([1e-6]), np.array([0.0]), 1e-3).vanishing  # no size to compare with
    assert style.grad_health(np.array([np.inf, 1.0]), None, 1e-3).nonfinite


def test_vanishing_gradient_of_a_deep_sigmoid_net_next_to_a_relu_net():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((32, 16)))

    def deep_net(activation, std):
        weights = [Tensor(rng.standard_normal((16, 16)) * std, requires_grad=True, name=f"W{i + 1}")
                   for i in range(10)]
        with ag.scope(activation.__name__):
            h = x
            for w in weights:
                h = activation(h @ w)
            return h.sum()

    sigmoid_loss = deep_net(ag.sigmoid, np.sqrt(1 / 16))  # Xavier initialisation
    relu_loss = deep_net(ag.relu, np.sqrt(2 / 16))  # He initialisation
    sigmoid_loss.backward()
    relu_loss.backward()
    dot = viz.to_dot(sigmoid_loss, relu_loss, show_grad=True, group_modules=True)
    where = clusters_of(dot)
    weights = {(where[ident][0], label.split("</B>")[0][3:]): label
               for ident, (label, _) in nodes(dot).items() if label.startswith("<B>W")}
    assert "vanishing" in weights["sigmoid", "W1"] and "vanishing" not in weights["relu", "W1"]
    assert not any("vanishing" in weights[net, "W10"] for net in ("sigmoid", "relu"))
    assert not any("vanishing" in label for (net, _), label in weights.items() if net == "relu")


def test_rankdir_and_title():
    x = Tensor(1.0, requires_grad=True)
    assert 'rankdir="LR"' in viz.to_dot(x * 2)
    assert 'rankdir="TB"' in viz.to_dot(x * 2, rankdir="TB")
    assert "<B>my graph</B>" in viz.to_dot(x * 2, title="my graph")
    with pytest.raises(ValueError, match="rankdir must be 'LR' or 'TB', got 'BT'"):
        viz.to_dot(x * 2, rankdir="BT")


def test_bad_arguments_are_named():
    x = Tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match="to_dot: give at least one tensor"):
        viz.to_dot()
    with pytest.raises(TypeError, match="to_dot: root 1 must be a Tensor, got ndarray"):
        viz.to_dot(x, np.ones(2))
    with pytest.raises(ValueError, match="max_nodes must be a positive integer or None, got 0"):
        viz.to_dot(x, max_nodes=0)
    with pytest.raises(ValueError, match="vanishing_ratio"):
        viz.to_dot(x, vanishing_ratio=float("nan"))
    with pytest.raises(TypeError):
        viz.to_dot(x, show_colours=True)  # a misspelt option is not silently ignored
    with pytest.raises(TypeError, match="save_graph: unknown option 'show_colours'; the options are show_data"):
        viz.save_graph(x, path="never-written.dot", show_colours=True)


def test_max_nodes_cuts_a_100000_op_chain_with_a_marker():
    x = Tensor(np.ones(2), requires_grad=True, name="x")
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    dot = viz.to_dot(y, max_nodes=10)
    assert len(nodes(dot)) == 10
    assert "… 299,991 more nodes" in dot  # 100,000 Muls, their results, their constants and x, less the 10 drawn
    marker_arrows = [a for a in arrows(dot) if a[0] == "more"]
    assert len(marker_arrows) == 2  # into the last two drawn ops, whose inputs were cut
    assert "<B>x</B>" not in dot  # the leaf is far from the output
    # the default limit applies too
    assert len(nodes(viz.to_dot(y))) == render.DEFAULT_MAX_NODES


def test_max_nodes_larger_than_the_graph_draws_everything():
    x = Tensor(1.0, requires_grad=True)
    dot = viz.to_dot(x * 2, max_nodes=4)
    assert len(nodes(dot)) == 4 and "more" not in dot  # x, Mul, the result and the constant 2


# ------------------------------------------------------------------------------------------ modules
def test_group_modules_draws_nested_scopes_as_nested_clusters():
    w = Tensor(np.ones((2, 2)), requires_grad=True, name="w")
    x = Tensor(np.ones((3, 2)), name="x")
    with viz.record():
        with ag.scope("outer"):
            h = x @ w
            with ag.scope("inner"):
                h = h.tanh() * Tensor(2.0)
        out = h.sum()
    dot = viz.to_dot(out, group_modules=True, show_data=True)
    where = clusters_of(dot)
    assert where[label_of(dot, "MatMul")] == ("outer",)
    assert where[label_of(dot, "Tanh")] == ("outer", "inner")
    assert where[label_of(dot, "<B>w</B>")] == ("outer",)  # a parameter sits with the ops that use it
    assert where[label_of(dot, "<B>x</B>")] == ()  # input data stays outside
    assert where[label_of(dot, "2", exact=True)] == ("outer", "inner")  # a scalar constant sits with its op
    assert where[label_of(dot, "Sum")] == ()
    assert "subgraph" not in viz.to_dot(out, group_modules=False)


def test_group_modules_with_nn_modules():
    import nn

    ag.manual_seed(0)
    model = nn.MLP([3, 4, 2])
    x = Tensor(np.ones((5, 3)), name="x")
    loss = nn.MSELoss()(model(x), np.zeros((5, 2)))
    dot = viz.to_dot(loss, group_modules=True)
    where = clusters_of(dot)
    mlp = "MLP(3 -> 4 -> 2)"
    assert where[label_of(dot, "<B>fc1.weight</B>")] == (mlp, "fc1: Linear(3 -> 4)")
    assert where[label_of(dot, "<B>fc2.bias</B>")] == (mlp, "fc2: Linear(4 -> 2)")
    assert where[label_of(dot, "ReLU")] == (mlp, "act1: ReLU")
    assert "MSELoss" in {c[0] for c in where.values() if c}
    assert "<B>fc1</B>: Linear(3 -&gt; 4)" in dot  # cluster labels are escaped HTML too


# ------------------------------------------------------------------------------------------ escaping, determinism
NASTY = 'evil "quote" {brace} <b>bold</b> & [x] \\ \'q\'\nsecond line\x00'


def test_labels_are_escaped():
    t = Tensor(1.0, requires_grad=True, name=NASTY)
    with ag.scope(NASTY):
        y = t * 2
    dot = viz.to_dot(y, title=NASTY, group_modules=True)
    assert "<b>" not in dot and "{brace}" in dot
    assert "&lt;b&gt;bold&lt;/b&gt;" in dot and "&quot;quote&quot;" in dot and "&amp;" in dot
    assert "\x00" not in dot and "\\x00" in dot
    assert "second line" in dot and "\nsecond" not in dot
    assert style.escape('a<b>&"\'\n{}') == "a&lt;b&gt;&amp;&quot;&#x27;<BR/>{}"


@NEEDS_DOT
def test_escaped_labels_render_to_svg_without_injecting_markup(tmp_path):
    t = Tensor(1.0, requires_grad=True, name=NASTY)
    with ag.scope(NASTY):
        y = t * 2
    path = viz.save_graph(y, path=tmp_path / "nasty.svg", title=NASTY, group_modules=True)
    root = ET.parse(path).getroot()  # well-formed XML
    assert not [e for e in root.iter() if e.tag.split("}")[-1] == "b"]  # no injected <b> element
    texts = " ".join(e.text or "" for e in root.iter())
    assert 'evil "quote" {brace} <b>bold</b> & [x]' in texts and "second line" in texts


def test_output_is_deterministic():
    def build():
        with viz.record():
            a = Tensor([1.0, 2.0], requires_grad=True, name="a")
            return ((a * 3).tanh() + a).sum()

    first, second = build(), build()
    assert viz.to_dot(first, show_data=True) == viz.to_dot(second, show_data=True)
    assert viz.to_dot(first, group_modules=True) == viz.to_dot(first, group_modules=True)
    assert "0x" not in viz.to_dot(first)  # no memory addresses


# ------------------------------------------------------------------------------------------ record()
def test_record_keeps_intermediate_values_and_gradients():
    x = Tensor([1.0, -2.0], requires_grad=True)
    with viz.record():
        h = x * 3
        y = h.relu().sum()
    h.retain_grad()
    y.backward()
    kept = lookup(h.grad_fn)
    np.testing.assert_array_equal(kept.outputs[0], h.data)
    np.testing.assert_array_equal(kept.grads[0], h.grad.data)
    assert lookup((x * 1).grad_fn) is None  # outside record()


def test_record_restores_the_previous_state_and_is_per_thread():
    from autograd import mode

    assert mode.state.flags.on_record is None
    with pytest.raises(KeyError):
        with viz.record():
            with viz.record():
                pass
            assert mode.state.flags.on_record is not None
            raise KeyError("boom")
    assert mode.state.flags.on_record is None

    x = Tensor(1.0, requires_grad=True)
    seen = []
    with viz.record():
        worker = threading.Thread(target=lambda: seen.append(lookup((x * 2).grad_fn)))
        worker.start()
        worker.join()
    assert seen == [None]


def test_record_and_pictures_keep_no_graph_alive():
    x = Tensor(np.ones(3), requires_grad=True)
    with viz.record():
        y = (x * 2).tanh().sum()
    y.backward()
    viz.to_dot(y, show_data=True, show_grad=True)
    node = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert node() is None


def test_record_under_no_grad_records_nothing():
    x = Tensor(1.0, requires_grad=True)
    with viz.record(), ag.no_grad():
        y = x * 2
    assert y.grad_fn is None
