"""autograd.viz.frames: the backward pass watched step by step, its frames, and the files it writes."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn
from autograd import Tensor, viz
from autograd.viz import frames as frames_module

HAS_DOT = shutil.which("dot") is not None
NEEDS_DOT = pytest.mark.skipif(not HAS_DOT, reason="the Graphviz `dot` program is not installed")
NODE = re.compile(r"^\s*(n\d+) \[label=<(.*)> (.*)\]$", re.M)


def apple():
    """The textbook's apple graph: 2 apples at 100 with 10% tax."""
    price = Tensor(100.0, requires_grad=True, name="price")
    count = Tensor(2.0, requires_grad=True, name="count")
    tax = Tensor(1.1, requires_grad=True, name="tax")
    with viz.record():
        total = price * count * tax
    total.name = "total"
    return total, (price, count, tax)


def apple_orange():
    leaves = [Tensor(v, requires_grad=True, name=n) for v, n in
              ((100.0, "apple price"), (2.0, "apples"), (150.0, "orange price"), (3.0, "oranges"), (1.1, "tax"))]
    apple_price, apples, orange_price, oranges, tax = leaves
    with viz.record():
        total = (apple_price * apples + orange_price * oranges) * tax
    return total, leaves


def film_hooks(node):
    """The hooks watch_backward left on `node` (record() keeps its own, which stay)."""
    hooks = [hook for slot in (node._hooks or {}).values() for hook in slot]
    return [hook for hook in hooks if getattr(hook, "func", None) is frames_module._seen]


def op_count(root):
    return len(ag.topological_order([root.grad_fn]))


def test_apple_graph_one_frame_per_node_plus_the_start():
    total, (price, count, tax) = apple()
    steps = viz.watch_backward(total)
    assert len(steps) == op_count(total) + 1 == 3
    assert steps.order == ["Mul #2", "Mul #1"]  # the engine runs the latest-recorded node first
    start, first, second = steps.frames
    assert start.running is None and list(start.arrived.values()) == [1]  # only the seed
    assert "total with respect to itself, 1, is seeded" in start.caption
    assert "Mul #2 runs" in first.caption and "tax (complete: 200)" in first.caption
    assert "price (complete: 2.2)" in second.caption and "count (complete: 110)" in second.caption
    assert second.done == frozenset({first.running})
    assert "Done" in second.caption
    # watching is a real backward pass: the leaves got their gradients
    assert (price.grad.item(), count.grad.item(), tax.grad.item()) == pytest.approx((2.2, 110.0, 200.0))


def test_frames_follow_the_engines_order_on_apples_and_oranges():
    total, _ = apple_orange()
    nodes = ag.topological_order([total.grad_fn])
    engine_order = sorted(nodes, key=lambda node: -node.sequence_number)
    steps = viz.watch_backward(total)
    assert len(steps) == len(nodes) + 1 == 5
    assert [name.split(" #")[0] for name in steps.order] == [node.name for node in engine_order]
    assert steps.order == ["Mul #4", "Add #3", "Mul #2", "Mul #1"]
    assert "Waiting with a gradient: Mul #2, Mul #1." in steps[2].caption  # the next to run is named first


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "mul", "tanh", "sum2"]), st.integers(0, 50), st.integers(0, 50)),
                min_size=1, max_size=12))
def test_the_order_is_the_engines_on_random_graphs(program):
    """Random graphs reusing earlier values (branches, joins): frames = nodes + 1, in the engine's order."""
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True, name="x")
    y = Tensor(np.array([2.0, 0.3]), requires_grad=True, name="y")
    values = [x, y]
    ops = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "tanh": lambda a, b: a.tanh(),
           "sum2": lambda a, b: a + a}
    for op, i, j in program:
        values.append(ops[op](values[i % len(values)], values[j % len(values)]))
    root = values[-1].sum()
    nodes = ag.topological_order([root.grad_fn])
    expected = [node.name for node in sorted(nodes, key=lambda node: -node.sequence_number)]
    steps = viz.watch_backward(root)
    assert len(steps) == len(nodes) + 1
    assert [name.split(" #")[0] for name in steps.order] == expected
    # every tensor that expects gradients has all of them by the last frame, and none before its users ran
    last = steps[-1]
    for tensor_id, count in steps._graph.expected.items():
        assert last.arrived[tensor_id] == count
    assert all(value <= steps._graph.expected.get(key, 1) for f in steps.frames for key, value in f.arrived.items())


def test_a_branch_waits_for_both_uses():
    a = Tensor(3.0, requires_grad=True, name="a")
    with viz.record():
        b = a * a  # Mul #1: a is used twice by one op
        b.name = "b"
        c = b + a  # Add #2
        d = c * b  # Mul #3: b is used twice, by Add and by this Mul
    steps = viz.watch_backward(d)
    assert steps.order == ["Mul #3", "Add #2", "Mul #1"]
    b_id = next(box.ident for box in steps._graph.boxes if getattr(box, "name", None) == "b")
    assert [f.arrived.get(b_id, 0) for f in steps.frames] == [0, 1, 2, 2]
    assert "b (1 of 2 in)" in steps[1].caption
    assert "b (complete: 21)" in steps[2].caption  # d = c b with c = b + a: dd/db = c + b = 12 + 9
    dot = steps.to_dot(1)
    label = dict((m.group(1), m.group(2)) for m in NODE.finditer(dot))[b_id]
    assert "1 of 2 in" in label
    assert a.grad.item() == 135.0  # 4a^3 + 3a^2


def test_every_frame_has_the_same_text_only_colours_change():
    total, _ = apple_orange()
    steps = viz.watch_backward(total)

    def without_colours(dot):  # and without the counts "1 of 2 in", whose digits all have one width
        return re.sub(r' ?(COLOR|color|fillcolor|fontcolor|penwidth)="[^"]*"|\d of \d in', "", dot)

    texts = {without_colours(steps.to_dot(i)) for i in range(len(steps))}
    assert len(texts) == 1
    # a gradient not yet arrived is written in the colour of its box: invisible, yet taking its place
    first = steps.to_dot(0)
    assert re.search(r'COLOR="#ffffff">grad 2.2<', first)
    assert re.search(rf'COLOR="{frames_module.style.GRAD_TEXT}">grad 2.2<', steps.to_dot(len(steps) - 1))


def test_the_running_op_and_its_arrows_are_highlighted():
    total, _ = apple()
    steps = viz.watch_backward(total)
    dot = steps.to_dot(1)
    running = steps[1].running
    assert re.search(rf'{running} \[label=<[^\n]*fillcolor="{frames_module.OP_RUNNING_FILL}"', dot)
    assert re.search(rf'-> {running} \[color="{frames_module.GRAD_ARROW}" penwidth="2.5"', dot)
    assert f'color="{frames_module.IDLE_ARROW}"' in steps.to_dot(0)


def test_intermediate_values_need_record_but_the_film_does_not():
    price = Tensor(100.0, requires_grad=True, name="price")
    total = price * 2.0 * 1.1  # not recorded
    steps = viz.watch_backward(total)
    assert len(steps) == 3 and steps.order == ["Mul #2", "Mul #1"]
    assert "price (complete: 2.2)" in steps[2].caption


def test_non_scalar_root_with_grad_and_retain_graph():
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, name="w")
    with viz.record():
        y = (w * w).tanh()
    steps = viz.watch_backward(y, np.ones(3), retain_graph=True)
    assert steps.order == ["Tanh #2", "Mul #1"]
    y.backward(np.ones(3), retain_graph=True)  # the graph was retained, and no hook of the film is left on it
    again = viz.watch_backward(y, np.ones(3))
    assert again.order == steps.order
    assert not w._hooks and not film_hooks(y.grad_fn)


def test_hooks_are_removed_even_when_backward_fails():
    x = Tensor(2.0, requires_grad=True)
    y = x * 3.0
    y.backward(retain_graph=False)
    with pytest.raises(ag.GraphError):
        viz.watch_backward(y)  # the graph was freed by the first backward
    assert not film_hooks(y.grad_fn) and not x._hooks


def test_refuses_what_it_cannot_film():
    with pytest.raises(TypeError, match="expected a Tensor"):
        viz.watch_backward(3.0)
    with pytest.raises(ValueError, match="made by no operation"):
        viz.watch_backward(Tensor(1.0, requires_grad=True))
    with pytest.raises(ValueError, match="rankdir"):
        viz.watch_backward(Tensor(1.0, requires_grad=True) * 2, rankdir="RL")
    y = Tensor(1.0, requires_grad=True)
    for _ in range(frames_module.MAX_OPS + 1):
        y = y * 1.0
    with pytest.raises(ValueError, match="more than 200 nodes"):
        viz.watch_backward(y)


def two_layer_net():
    ag.manual_seed(0)
    model = nn.MLP([784, 50, 10])
    images = Tensor(np.random.default_rng(0).random((3, 784), dtype=np.float32), name="images")
    with viz.record():
        loss = nn.CrossEntropyLoss()(model(images), np.array([5, 0, 4]))
    loss.name = "loss"
    return loss, model


def test_two_layer_net_frames_and_gradients():
    loss, model = two_layer_net()
    steps = viz.watch_backward(loss, rankdir="TB")
    assert len(steps) == op_count(loss) + 1
    assert steps.order[0].startswith("SoftmaxCrossEntropy") and steps.order[-1].startswith("Linear #1")
    assert "fc1.weight (complete: mean|g|" in steps[-1].caption
    mean = frames_module.style.format_number(np.abs(model.fc1.weight.grad.data).mean())
    assert f"fc1.weight (complete: mean|g| {mean})" in steps[-1].caption
    assert "images" in steps.to_dot(0) and "no gradient" in steps.to_dot(0)  # the input data: a constant


# ---------------------------------------------------------------------------------------------- the files
@NEEDS_DOT
def test_every_frame_has_the_same_layout():
    total, _ = apple_orange()
    steps = viz.watch_backward(total)

    def positions(i):
        plain = subprocess.run(["dot", "-Tplain"], input=steps.to_dot(i).encode(), capture_output=True,
                               check=True).stdout.decode()
        return [line.split()[:6] for line in plain.splitlines() if line.startswith(("node", "graph"))]

    assert all(positions(i) == positions(0) for i in range(1, len(steps)))


@NEEDS_DOT
def test_html_is_one_self_contained_page(tmp_path):
    total, _ = apple()
    steps = viz.watch_backward(total, title="Buying 2 apples")
    path = steps.save_html(tmp_path / "apple.html")
    page = path.read_text(encoding="utf-8")
    assert page.count("<svg") == len(steps) == 3
    assert page.count('<figure class="frame"') == 3 and page.count(" hidden>") == 2
    assert 'type="range"' in page and 'max="2"' in page
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    # nothing is fetched: no external scripts, styles, images or fonts
    assert not re.search(r"<script[^>]+src=|<link|<img|@import|url\(|(?:src|href)=\"(?:https?:)?//", page)
    assert "Step 1 of 2: Mul #2 runs" in page


@NEEDS_DOT
def test_png_frames_and_gif(tmp_path):
    image = pytest.importorskip("PIL.Image")
    total, _ = apple_orange()
    steps = viz.watch_backward(total, title="Apples and oranges")
    paths = steps.save_frames(tmp_path / "frames")
    assert [p.name for p in paths] == [f"frame_{i:03d}.png" for i in range(5)]
    sizes = {image.open(p).size for p in paths}
    assert len(sizes) == 1  # every frame the same size: a film, not a slide show of jumping pictures
    gif = steps.save_gif(tmp_path / "apple.gif", dpi=110)  # the dpi of save_frames
    with image.open(gif) as animation:
        assert animation.n_frames == len(steps) and animation.size == sizes.pop()
    assert gif.stat().st_size < 1_000_000
    svgs = steps.save_frames(tmp_path / "svg", format="svg")
    assert len(svgs) == 5 and svgs[0].read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="'png' or 'svg'"):
        steps.save_frames(tmp_path, format="jpg")


def test_without_dot_the_error_says_how_to_install(monkeypatch, tmp_path):
    total, _ = apple()
    steps = viz.watch_backward(total)
    monkeypatch.setattr(frames_module.shutil, "which", lambda name: None)
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz"):
        steps.save_html(tmp_path / "x.html")
    assert "digraph" in steps.to_dot(0)  # the DOT text needs nothing installed
