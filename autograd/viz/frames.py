"""The backward pass, step by step: one picture per node the engine runs.

    with viz.record():                          # optional: also show intermediate values
        total = price * count * tax
    steps = viz.watch_backward(total)           # runs total.backward() and watches every step
    steps.save_gif("apple.gif")                 # or save_html("apple.html"), save_frames("frames/")

Frame 0 is the start: the output's gradient is seeded (1 for a single value) and every other gradient is
still on its way. Then there is one frame per node, in the order the engine ran them, which is the order
of `autograd/graph.py`: among the nodes that hold a gradient, the one recorded latest runs next. Each frame
shows which node runs, which tensors have their complete gradient (with its value), which have received
some of their gradients ("1 of 2 in": a branch waits for all of its uses), and which are still waiting.

What is watched, and how: only public graph information. The walk follows the nodes' `next_edges`; the
order comes from output hooks (`node.register_output_hook`), which the engine calls as each node starts,
with the complete gradient of its outputs; leaves' gradients come from tensor hooks (`register_hook`).
All hooks are removed when the pass ends.

Every frame of a film is laid out identically: every label holds the same text in every frame (a gradient
that has not arrived yet is written in the colour of its box), and only colours change. So the pictures
can be flipped through without anything moving. Pictures need the Graphviz `dot` program; the GIF and
the captions of PNG frames need Pillow.
"""

from __future__ import annotations

import functools
import html
import io
import shutil
import subprocess
import textwrap
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograd.function import Function
from autograd.tensor import Tensor
from autograd.viz import recording, style
from autograd.viz.render import INSTALL_HINT, RANKDIRS, GraphvizNotFoundError
from autograd.viz.structure import CONSTANT, INTERMEDIATE, LEAF, OUTPUT, OpBox, TensorBox, shape_text

MAX_OPS = 200  # a film of more frames than this teaches nothing; draw a smaller graph

# Colours of the three gradient states of a tensor, and of the three states of an op.
WAITING_FILL, PARTIAL_FILL, COMPLETE_FILL = "#ffffff", "#fff2cc", "#f4cccc"
OP_WAITING_FILL, OP_RUNNING_FILL, OP_DONE_FILL = "#fce5cd", "#ffd966", "#e6e6e6"
RUNNING_BORDER = "#cc0000"
IDLE_ARROW, GRAD_ARROW = "#b7b7b7", style.GRAD_TEXT


@dataclass(frozen=True, slots=True)
class Frame:
    """The state of the backward pass before anything ran (index 0) or while one node runs (index k)."""

    index: int
    running: str | None  # id of the op box that runs in this frame (None in frame 0)
    done: frozenset[str]  # ids of the op boxes that ran in earlier frames
    arrived: dict[str, int]  # tensor box id -> how many gradients it has received so far
    caption: str


@dataclass
class _Graph:
    """The picture's boxes and arrows, plus what the film needs to know about them."""

    boxes: list[TensorBox | OpBox] = field(default_factory=list)
    arrows: list[tuple[str, str, str]] = field(default_factory=list)  # (source, target, label)
    ids: dict[Hashable, str] = field(default_factory=dict)  # node / tensor key -> box id
    nodes: dict[str, Function] = field(default_factory=dict)  # op box id -> the node
    inputs: dict[str, list[str]] = field(default_factory=dict)  # op box id -> tensor ids it sends gradients to
    outputs: dict[str, list[str]] = field(default_factory=dict)  # op box id -> its output tensor ids
    expected: dict[str, int] = field(default_factory=dict)  # tensor id -> gradients it will receive
    leaves: dict[str, Tensor] = field(default_factory=dict)  # tensor id -> leaf tensor
    titles: dict[str, str] = field(default_factory=dict)  # op box id -> "Mul #2" (2nd node recorded)


class BackwardSteps:
    """The frames of one backward pass (see the module docstring); made by `watch_backward`.

    `len(steps)` is the number of frames (nodes run + 1); `steps[i]` is a `Frame`; `steps.order` names the
    nodes in the order they ran ("Mul #2": the second node recorded in this graph).
    """

    def __init__(self, graph: _Graph, frames: list[Frame], grads: dict[str, np.ndarray], *, show_data: bool,
                 rankdir: str, title: str | None) -> None:
        self._graph = graph
        self.frames = frames
        self._grads = grads  # tensor id -> the complete gradient it ends up with
        self.show_data = show_data
        self.rankdir = rankdir
        self.title = title

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, index: int) -> Frame:
        return self.frames[index]

    @property
    def order(self) -> list[str]:
        """The op names in the order the engine ran them, e.g. ['Mul #2', 'Mul #1']."""
        return [self._graph.titles[frame.running] for frame in self.frames[1:] if frame.running]

    # ------------------------------------------------------------------------------------------ DOT text
    def to_dot(self, index: int) -> str:
        """Frame `index` as Graphviz DOT text (needs nothing installed). The caption is not part of it."""
        frame = self.frames[index]
        lines = ["digraph {\n",
                 f'\tgraph [rankdir="{self.rankdir}" fontname="{style.FONT}" bgcolor="white" pad="0.2" '
                 'nodesep="0.25" ranksep="0.3"]\n',
                 f'\tnode [fontname="{style.FONT}" fontsize=11 margin="0.08,0.03" height=0.3]\n',
                 f'\tedge [fontname="{style.FONT}" fontsize=9 fontcolor="#555555" arrowsize=0.7]\n']
        for box in self._graph.boxes:
            if isinstance(box, OpBox):
                label, attributes = self._op_look(box, frame)
            else:
                label, attributes = self._tensor_look(box, frame)
            attributes = " ".join(f'{key}="{value}"' for key, value in attributes.items())
            lines.append(f"\t{box.ident} [label=<{label}> {attributes}]\n")
        for source, target, label in self._graph.arrows:
            lines.append(f"\t{source} -> {target} [{self._arrow_look(source, target, label, frame)}]\n")
        lines.append("}\n")
        return "".join(lines)

    def _op_look(self, box: OpBox, frame: Frame) -> tuple[str, dict[str, str]]:
        label, attributes = style.op_look(box)
        title = self._graph.titles[box.ident]
        label = label.replace(f"<B>{style.escape(box.name)}</B>", f"<B>{style.escape(title)}</B>", 1)
        if box.ident == frame.running:
            attributes.update(fillcolor=OP_RUNNING_FILL, color=RUNNING_BORDER, penwidth="3")
        elif box.ident in frame.done:
            attributes.update(fillcolor=OP_DONE_FILL, color="#999999", fontcolor="#666666")
        else:
            attributes.update(fillcolor=OP_WAITING_FILL)
        return label, attributes

    def _tensor_look(self, box: TensorBox, frame: Frame) -> tuple[str, dict[str, str]]:
        shape, styles, fill, border, width, font_colour, peripheries = style.ROLE_LOOKS[box.role]
        attributes = {"shape": shape, "style": styles, "color": border, "penwidth": width}
        if peripheries != 1:
            attributes["peripheries"] = str(peripheries)
        lines = []
        if box.name:
            lines.append(f"<B>{style.escape(box.name)}</B>")
        values = style.value_lines(box.data) if self.show_data and box.data is not None else []
        # As in viz.to_dot: the arrow into the next op carries an intermediate result's shape already.
        if box.shape and (box.role != INTERMEDIATE or box.name or not values):
            lines.append(_small(shape_text(box.shape), "#555555"))
        lines.extend(style.escape(line) for line in values)
        expected = self._graph.expected.get(box.ident, 0)
        if box.role == CONSTANT or (expected == 0 and box.role != OUTPUT):
            attributes.update(fillcolor=fill, fontcolor=font_colour)
            lines.append(_small("no gradient", "#888888"))
            return "<BR/>".join(lines), attributes
        arrived = frame.arrived.get(box.ident, 0)
        fill = COMPLETE_FILL if arrived >= expected else PARTIAL_FILL if arrived else WAITING_FILL
        attributes["fillcolor"] = fill
        # The gradient's text is always there, so that every frame has the same layout; until the gradient
        # is complete it is written in the colour of the box.
        grad = self._grads.get(box.ident)
        colour = style.GRAD_TEXT if arrived >= expected else fill
        lines.extend(_small(style.escape(text), colour) for text in _grad_text(grad))
        status = "seed" if box.role == OUTPUT else f"{min(arrived, expected)} of {expected} in"
        lines.append(_small(status, "#444444" if arrived else "#999999"))  # digits: all of one width
        return "<BR/>".join(lines), attributes

    def _arrow_look(self, source: str, target: str, label: str, frame: Frame) -> str:
        # Gradients flow against the arrows: along an op's input and output arrows once that op has run.
        op = target if target in self._graph.nodes else source
        if op == frame.running:
            colour, width = GRAD_ARROW, "2.5"
        elif op in frame.done:
            colour, width = GRAD_ARROW, "1.2"
        else:
            colour, width = IDLE_ARROW, "1.0"
        text = f' label="{label}"' if label else ""
        return f'color="{colour}" penwidth="{width}"{text}'

    # ------------------------------------------------------------------------------------------ files
    def save_frames(self, folder: str | Path, format: str = "png", dpi: int = 110) -> list[Path]:  # noqa: A002
        """Write every frame to folder/frame_000.png (or .svg), PNGs with their caption; return the paths."""
        if format not in ("png", "svg"):
            raise ValueError(f"save_frames: format must be 'png' or 'svg', got {format!r}")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        if format == "png":
            for i, image in enumerate(self._captioned_images(dpi)):
                paths.append(folder / f"frame_{i:03d}.png")
                image.save(paths[-1], optimize=True)
        else:
            for i in range(len(self)):
                paths.append(folder / f"frame_{i:03d}.svg")
                paths[-1].write_bytes(_run_dot(self.to_dot(i), "svg"))
        return paths

    def save_gif(self, path: str | Path, seconds_per_frame: float = 1.6, dpi: int = 90) -> Path:
        """An animated GIF of the frames with their captions (the last frame is shown twice as long)."""
        path = Path(path)
        images = [image.convert("P", palette=_adaptive_palette(), colors=64) for image in self._captioned_images(dpi)]
        durations = [int(1000 * seconds_per_frame)] * len(images)
        durations[-1] *= 2
        images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0, optimize=True)
        return path

    def save_html(self, path: str | Path) -> Path:
        """One self-contained page: the frames as inline SVG, a slider, buttons and the captions."""
        path = Path(path)
        path.write_text(self.to_html(), encoding="utf-8")
        return path

    def to_html(self) -> str:
        """The page `save_html` writes: no scripts, fonts or images are fetched from anywhere."""
        frames = []
        for i, frame in enumerate(self.frames):
            svg = _run_dot(self.to_dot(i), "svg").decode("utf-8")
            svg = svg[svg.index("<svg"):]  # drop the XML prolog and DOCTYPE: inline SVG needs neither
            hidden = "" if i == 0 else " hidden"
            frames.append(f'<figure class="frame" id="frame{i}"{hidden}>{svg}'
                          f"<figcaption>{html.escape(frame.caption)}</figcaption></figure>")
        title = html.escape(self.title or "The backward pass, step by step")
        return _HTML_PAGE.format(title=title, count=len(self.frames) - 1, frames="\n".join(frames))

    def _captioned_images(self, dpi: int) -> list[Any]:
        """Each frame as a Pillow image: the caption above the graph, all frames the same size."""
        image_module, draw_module, font_module = _pillow()
        graphs = [image_module.open(io.BytesIO(_run_dot(self.to_dot(i), "png", dpi=dpi))).convert("RGB")
                  for i in range(len(self))]
        width = max(max(g.width for g in graphs), 480)
        height = max(g.height for g in graphs)
        font = font_module.load_default(size=max(11, round(14 * dpi / 96)))
        line_height = int(font.size * 1.35) if hasattr(font, "size") else 16
        texts = [_wrap(frame.caption, font, width - 24) for frame in self.frames]
        if self.title:
            texts = [[self.title, *lines] for lines in texts]
        band = 12 + line_height * max(len(lines) for lines in texts)
        images = []
        for graph, lines in zip(graphs, texts, strict=True):
            canvas = image_module.new("RGB", (width, band + height), "white")
            canvas.paste(graph, ((width - graph.width) // 2, band))
            draw = draw_module.Draw(canvas)
            for k, line in enumerate(lines):
                draw.text((12, 6 + k * line_height), line, font=font,
                          fill="#1f3b63" if k == 0 and self.title else "#000000")
            images.append(canvas)
        return images


def watch_backward(root: Tensor, grad: Any = None, *, retain_graph: bool = False, show_data: bool = True,
                   rankdir: str = "LR", title: str | None = None) -> BackwardSteps:
    """Run `root.backward(grad)` while watching it, and return its frames (`BackwardSteps`).

    Run the forward pass inside `autograd.viz.record()` to see the values of intermediate results too.
    `show_data`, `rankdir` ("LR" or "TB") and `title` are as for `viz.to_dot`; leaves' `.grad` accumulate
    as with any backward call.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"watch_backward: expected a Tensor, got {type(root).__name__}")
    if root.grad_fn is None:
        raise ValueError("watch_backward: this tensor was made by no operation, so its backward pass has no steps; "
                         "pass the result of a computation on tensors that require grad")
    if rankdir not in RANKDIRS:
        raise ValueError(f"watch_backward: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    graph = _walk(root)
    ran: list[Function] = []
    grads: dict[str, np.ndarray] = {}
    handles = []
    for ident, node in graph.nodes.items():
        for slot, tensor_id in enumerate(graph.outputs[ident]):
            handles.append(node.register_output_hook(slot, functools.partial(_seen, ran, grads, node, tensor_id)))
    for ident, leaf in graph.leaves.items():
        handles.append(leaf.register_hook(functools.partial(_leaf_seen, grads, ident)))
    try:
        root.backward(grad, retain_graph=retain_graph)
    finally:
        for handle in handles:
            handle.remove()
    root_id = graph.ids[(root.grad_fn, root._output_index)]
    grads.setdefault(root_id, np.ones(root.shape) if grad is None else np.asarray(getattr(grad, "data", grad)))
    boxes = {box.ident: box for box in graph.boxes}
    ident_of = {node: ident for ident, node in graph.nodes.items()}
    return BackwardSteps(graph, _frames(graph, [ident_of[node] for node in ran], root_id, grads, boxes),
                         grads, show_data=show_data, rankdir=rankdir, title=title)


# ------------------------------------------------------------------------------------------ watching
def _seen(ran: list[Function], grads: dict[str, np.ndarray], node: Function, tensor_id: str, grad: Any) -> None:
    """Output hook: `node` starts its backward, with the complete gradient of this output."""
    if not ran or ran[-1] is not node:
        ran.append(node)
    grads[tensor_id] = np.array(grad.data if isinstance(grad, Tensor) else grad, copy=True)


def _leaf_seen(grads: dict[str, np.ndarray], ident: str, grad: Any) -> None:
    grads[ident] = np.array(grad.data if isinstance(grad, Tensor) else grad, copy=True)


def _walk(root: Tensor) -> _Graph:
    """Breadth-first from the root through `next_edges`: every node once, every tensor once."""
    graph = _Graph()
    order = _recording_order(root)

    def add(key: Hashable, make: Any) -> tuple[str, bool]:
        if key in graph.ids:
            return graph.ids[key], False
        ident = f"n{len(graph.boxes)}"
        graph.ids[key] = ident
        graph.boxes.append(make(ident))
        return ident, True

    queue: deque[Function] = deque()

    def op(node: Function) -> str:
        kept = recording.lookup(node)
        ident, new = add(node, lambda i: OpBox(i, node.name, kept.arguments if kept else (), tuple(node.scope)))
        if new:
            graph.titles[ident] = f"{node.name} #{order[node]}"
            if len(graph.nodes) >= MAX_OPS:
                raise ValueError(f"watch_backward: the graph has more than {MAX_OPS} nodes; a film of it would "
                                 "teach nothing. Watch a smaller graph (a batch of a few samples, fewer layers)")
            graph.nodes[ident] = node
            graph.inputs[ident] = []
            graph.outputs[ident] = []
            queue.append(node)
        return ident

    def output(node: Function, index: int) -> str:
        kept = recording.lookup(node)
        tensor = root if (node, index) == (root.grad_fn, root._output_index) else (
            kept.output_refs[index]() if kept else None)

        def make(ident: str) -> TensorBox:
            data = tensor.data if tensor is not None else kept.outputs[index] if kept else None
            shape, dtype = node.output_specs[index]
            return TensorBox(ident, OUTPUT if tensor is root else INTERMEDIATE,
                             name=tensor.name if tensor is not None else None, shape=tuple(shape), dtype=dtype,
                             data=data, grad=None, grad_expected=True)

        ident, new = add((node, index), make)
        if new:
            producer = op(node)
            graph.outputs[producer].append(ident)
            graph.arrows.append((producer, ident, f"[{index}]" if node.num_outputs > 1 else ""))
        return ident

    def leaf_or_constant(tensor: Tensor) -> str:
        role = LEAF if tensor.requires_grad else CONSTANT
        ident, new = add(("tensor", id(tensor)), lambda i: TensorBox(
            i, role, name=tensor.name, shape=tuple(tensor.shape), dtype=tensor.dtype, data=tensor.data,
            grad=None, grad_expected=tensor.requires_grad))
        if new and tensor.requires_grad:
            graph.leaves[ident] = tensor
        return ident

    output(root.grad_fn, root._output_index)
    while queue:
        node = queue.popleft()
        me = graph.ids[node]
        kept = recording.lookup(node)
        for i, edge in enumerate(node.next_edges):
            if edge is None:
                constant = kept.constants[i] if kept is not None and i < len(kept.constants) else None
                if constant is not None:
                    graph.arrows.append((leaf_or_constant(constant), me, shape_text(constant.shape)))
                continue
            source, index = edge
            tensor_id = output(source, index) if isinstance(source, Function) else leaf_or_constant(source)
            graph.arrows.append((tensor_id, me, shape_text(node.input_shapes[i])))
            graph.inputs[me].append(tensor_id)
            graph.expected[tensor_id] = graph.expected.get(tensor_id, 0) + 1
    return graph


def _recording_order(root: Tensor) -> dict[Function, int]:
    """Each node's rank by sequence number within this graph: 1 for the node recorded first."""
    seen: set[Function] = set()
    stack = [root.grad_fn]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edge[0] for edge in node.next_edges if edge is not None and isinstance(edge[0], Function))
    ranked = sorted(seen, key=lambda node: node.sequence_number)
    return {node: rank for rank, node in enumerate(ranked, 1)}


# ------------------------------------------------------------------------------------------ the frames
def _frames(graph: _Graph, ran: list[str], root_id: str, grads: dict[str, np.ndarray],
            boxes: dict[str, TensorBox | OpBox]) -> list[Frame]:
    arrived = {root_id: 1}
    done: set[str] = set()
    frames = [Frame(0, None, frozenset(), dict(arrived), _start_caption(boxes[root_id], grads.get(root_id)))]
    for step, ident in enumerate(ran, 1):
        for tensor_id in graph.inputs[ident]:
            arrived[tensor_id] = arrived.get(tensor_id, 0) + 1
        ready = _holding_gradient(graph, arrived, done | {ident})
        caption = _step_caption(step, len(ran), boxes[ident], graph, arrived, grads, boxes, ready)
        frames.append(Frame(step, ident, frozenset(done), dict(arrived), caption))
        done.add(ident)
    return frames


def _holding_gradient(graph: _Graph, arrived: dict[str, int], ran: set[str]) -> list[str]:
    """The ops that have not run but have received a gradient for some output: the engine's waiting heap."""
    holding = [ident for ident in graph.nodes if ident not in ran
               and any(arrived.get(out, 0) for out in graph.outputs[ident])]
    return sorted(holding, key=lambda ident: -graph.nodes[ident].sequence_number)  # the next to run first


def _start_caption(root: TensorBox, grad: np.ndarray | None) -> str:
    seed = _grad_text(grad)[0].removeprefix("grad ") if grad is not None else "1"
    name = root.name or "the output"
    return (f"Start: the gradient of {name} with respect to itself, {seed}, is seeded. "
            "Every other gradient is still waiting.")


def _step_caption(step: int, steps: int, op: OpBox, graph: _Graph, arrived: dict[str, int],
                  grads: dict[str, np.ndarray], boxes: dict[str, TensorBox | OpBox], ready: list[str]) -> str:
    sent = []
    for tensor_id in dict.fromkeys(graph.inputs[op.ident]):  # a tensor used twice by this op is named once
        box = boxes[tensor_id]
        name = _tensor_title(box, boxes, graph)
        expected = graph.expected[tensor_id]
        if arrived[tensor_id] >= expected:
            value = _grad_text(grads.get(tensor_id))[0].removeprefix("grad ")
            sent.append(f"{name} (complete: {value})")
        else:
            sent.append(f"{name} ({arrived[tensor_id]} of {expected} in)")
    why = "the latest-recorded node holding a gradient" if step > 1 else "the node that made the output"
    text = f"Step {step} of {steps}: {graph.titles[op.ident]} runs ({why}); it sends gradients to {', '.join(sent)}."
    if ready:
        text += " Waiting with a gradient: " + ", ".join(graph.titles[i] for i in ready) + "."
    elif step == steps:
        text += " Done: every leaf has its gradient."
    return text


def _tensor_title(box: TensorBox, boxes: dict[str, TensorBox | OpBox], graph: _Graph) -> str:
    if box.name:
        return box.name
    for op_id, outputs in graph.outputs.items():
        if box.ident in outputs:
            return f"the output of {graph.titles[op_id]}"
    return "a leaf " + shape_text(box.shape)


def _grad_text(grad: np.ndarray | None) -> list[str]:
    """'grad 2.2', or a summary for a large gradient: the same lines style.py writes."""
    if grad is None:
        return ["grad ?"]
    if grad.size <= style.MAX_LISTED:
        values = style.value_lines(grad)
        return ["grad " + values[0], *("     " + v for v in values[1:])]
    return [f"grad mean|g| {style.format_number(float(np.abs(grad).mean()))}"]


def _small(text: str, colour: str) -> str:
    return f'<FONT POINT-SIZE="{style.SMALL}" COLOR="{colour}">{style.escape(text)}</FONT>'


# ------------------------------------------------------------------------------------------ rendering
def _run_dot(text: str, format: str, dpi: int | None = None) -> bytes:  # noqa: A002
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFoundError(f"watch_backward: drawing frames needs the Graphviz program `dot`. {INSTALL_HINT}")
    command = [dot, f"-T{format}"] + ([f"-Gdpi={int(dpi)}"] if dpi else [])
    result = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"watch_backward: `dot` failed (exit code {result.returncode}): "
                           f"{result.stderr.decode('utf-8', 'replace').strip()}")
    return result.stdout


def _pillow() -> tuple[Any, Any, Any]:
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ImportError("watch_backward: PNG frames and GIFs need Pillow (`pip install pillow`; matplotlib "
                          "installs it too). save_html and save_frames(format='svg') need only Graphviz") from None
    return Image, ImageDraw, ImageFont


def _adaptive_palette() -> Any:
    return _pillow()[0].Palette.ADAPTIVE


def _wrap(text: str, font: Any, width: int) -> list[str]:
    """`text` in lines no wider than `width` pixels in `font`."""
    average = max(font.getlength("abcdefghijklmnopqrstuvwxyz") / 26, 1.0)
    lines = textwrap.wrap(text, width=max(int(width / average), 20))
    while any(font.getlength(line) > width for line in lines) and len(lines) < 20:
        lines = textwrap.wrap(text, width=max(len(max(lines, key=len)) - 3, 10))
    return lines


_HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }}
.controls {{ display: flex; gap: 0.6em; align-items: center; margin: 0.8em 0; }}
input[type=range] {{ width: 24em; }}
figure {{ margin: 0; }}
figcaption {{ font-size: 1.05em; max-width: 60em; margin-top: 0.6em; }}
svg {{ max-width: 100%; height: auto; }}
</style></head>
<body>
<h1>{title}</h1>
<div class="controls">
<button id="previous">&#9664;</button>
<input type="range" id="step" min="0" max="{count}" value="0" aria-label="step">
<button id="next">&#9654;</button>
<button id="play">play</button>
<span id="where">step 0 of {count}</span>
</div>
{frames}
<script>
(function () {{
  var slider = document.getElementById("step"), where = document.getElementById("where");
  var last = {count}, timer = null;
  function show(k) {{
    k = Math.max(0, Math.min(last, k));
    for (var i = 0; i <= last; i++) document.getElementById("frame" + i).hidden = (i !== k);
    slider.value = k; where.textContent = "step " + k + " of " + last;
  }}
  slider.addEventListener("input", function () {{ show(Number(slider.value)); }});
  document.getElementById("previous").onclick = function () {{ show(Number(slider.value) - 1); }};
  document.getElementById("next").onclick = function () {{ show(Number(slider.value) + 1); }};
  document.getElementById("play").onclick = function () {{
    if (timer) {{ clearInterval(timer); timer = null; this.textContent = "play"; return; }}
    if (Number(slider.value) === last) show(0);
    this.textContent = "pause"; var button = this;
    timer = setInterval(function () {{
      if (Number(slider.value) >= last) {{ clearInterval(timer); timer = null; button.textContent = "play"; return; }}
      show(Number(slider.value) + 1);
    }}, 1400);
  }};
  document.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowRight") show(Number(slider.value) + 1);
    if (e.key === "ArrowLeft") show(Number(slider.value) - 1);
  }});
}})();
</script>
</body></html>
"""
