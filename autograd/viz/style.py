"""How each box looks: labels, colours, and the gradient-health scale with its legend.

Looks by role (when gradients are not shown, or a tensor has none):

* leaf that requires grad (a parameter or an input you differentiate by): blue box, square corners;
* constant (needs no gradient: input data, the 2 in `x * 2`): grey box, dashed border, grey text;
* intermediate result: white box, rounded corners;
* output (a tensor you asked to draw): green box, rounded, double border;
* op: an orange ellipse with the op's name (the class name, for your own Functions too).

With `show_grad`, a tensor's fill instead encodes the size of its gradient, mean |grad|, on a fixed
log scale (one colour per decade, warm for large, cold for small), so two pictures can be compared
side by side. Special cases are marked so they cannot be missed: an all-zero gradient (a dead ReLU,
grey), NaN or Inf (magenta, thick red border), and a *vanishing* gradient: a parameter (a leaf that
requires grad) whose gradient is much smaller than the parameter itself (mean |grad| < vanishing_ratio *
mean |value|; thick dark-blue border), so that a gradient step would barely move it. Only leaves are
judged this way: an intermediate result of a batch gets gradients scaled down by the batch mean in the
loss, so its ratio says nothing about learning.

Labels are Graphviz HTML-like labels built only from escaped text, so a name full of quotes, braces,
`<`, `>` or newlines cannot break the DOT file or inject markup into an SVG.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np

from autograd import dtypes
from autograd.viz.structure import CONSTANT, INTERMEDIATE, LEAF, OUTPUT, OpBox, TensorBox, shape_text

FONT = "Helvetica,Arial,sans-serif"
SMALL = 9  # point size of the secondary lines (shape, values, gradient)
MAX_LISTED = 8  # tensors with at most this many elements show their values; larger ones a summary
GRAD_TEXT = "#a61c00"  # gradients in dark red, like the backward arrows of the textbook
NOT_RECORDED = "value not recorded"  # a value the picture cannot know without record()

# Role -> (shape, style, fill, border colour, border width, font colour, peripheries)
ROLE_LOOKS: dict[str, tuple[str, str, str, str, str, str, int]] = {
    LEAF: ("box", "filled", "#cfe2f3", "#3d6fa5", "1.4", "#000000", 1),
    CONSTANT: ("box", "filled,dashed", "#f3f3f3", "#999999", "1.0", "#555555", 1),
    INTERMEDIATE: ("box", "rounded,filled", "#ffffff", "#808080", "1.0", "#000000", 1),
    OUTPUT: ("box", "rounded,filled,bold", "#d9ead3", "#38761d", "1.4", "#000000", 2),
}
OP_LOOK = {"shape": "ellipse", "style": "filled", "fillcolor": "#fce5cd", "color": "#b45f06",
           "penwidth": "1.0", "fontsize": "10"}

# The gradient-health scale: (smallest mean |grad| of the band, fill, legend text), largest first.
GRAD_SCALE: tuple[tuple[float, str, str], ...] = (
    (1e1, "#ef8a80", "≥ 10"),
    (1e0, "#f6a96b", "≥ 1"),
    (1e-1, "#f8d26c", "≥ 0.1"),
    (1e-2, "#e1e872", "≥ 0.01"),
    (1e-3, "#a9db8f", "≥ 1e-3"),
    (1e-4, "#86cfc6", "≥ 1e-4"),
    (1e-5, "#94bde6", "≥ 1e-5"),
    (1e-6, "#aeaaea", "≥ 1e-6"),
    (0.0, "#cdbbe6", "< 1e-6"),
)
DEAD_FILL = "#bdbdbd"
NONFINITE_FILL = "#ff66d9"
NONFINITE_BORDER = "#cc0000"
VANISHING_BORDER = "#08306b"


@dataclass(frozen=True, slots=True)
class GradHealth:
    """A diagnosis of one gradient, for its colour and its label."""

    magnitude: float  # mean |grad| (NaN if the gradient has NaN or Inf)
    fill: str
    dead: bool  # every element is exactly zero
    nonfinite: bool  # some element is NaN or Inf
    vanishing: bool  # mean |grad| < vanishing_ratio * mean |value|
    zero_fraction: float


def grad_health(grad: np.ndarray, data: np.ndarray | None, vanishing_ratio: float) -> GradHealth:
    """Diagnose `grad`, the gradient of a tensor whose value is `data` (None if unknown)."""
    magnitudes = np.abs(grad.astype(np.float64, copy=False))
    if not np.all(np.isfinite(magnitudes)):
        return GradHealth(math.nan, NONFINITE_FILL, False, True, False, 0.0)
    size = max(grad.size, 1)
    zero_fraction = float(np.count_nonzero(magnitudes == 0)) / size
    magnitude = float(magnitudes.mean()) if grad.size else 0.0
    if magnitude == 0.0:
        return GradHealth(0.0, DEAD_FILL, True, False, False, zero_fraction)
    fill = next(colour for lower, colour, _ in GRAD_SCALE if magnitude >= lower)
    vanishing = False
    if data is not None and data.size and data.dtype.kind in "fc":
        size_of_value = float(np.abs(data.astype(np.float64, copy=False)).mean())
        vanishing = math.isfinite(size_of_value) and magnitude < vanishing_ratio * size_of_value
    return GradHealth(magnitude, fill, False, False, vanishing, zero_fraction)


# -------------------------------------------------------------------- text
def escape(text: object) -> str:
    """`text` made safe inside an HTML-like label: entities for & < > " ', <BR/> for line breaks."""
    lines = str(text).splitlines() or [""]
    return "<BR/>".join(html.escape(_printable(line), quote=True) for line in lines)


def _printable(line: str) -> str:
    # Control characters (a stray NUL or ESC) would make Graphviz reject the label: show them as escapes.
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in line)


def format_number(value: float) -> str:
    """Four significant digits, without float noise: 220.00000000000003 -> 220, 2.2000000476 -> 2.2."""
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:.4g}"
    return "0" if text == "-0" else text


def value_lines(array: np.ndarray) -> list[str]:
    """The values of a small array, or a min/mean/max summary of a large one."""
    if array.dtype.kind not in "biuf":
        return [f"{array.dtype} values"]
    if array.size == 0:
        return ["(empty)"]
    if array.size <= MAX_LISTED:
        if array.ndim == 0:
            return [format_number(array.item()) if array.dtype.kind == "f" else str(array.item())]
        text = np.array2string(array, separator=", ", max_line_width=44,
                               formatter={"float_kind": format_number})
        return text.splitlines()
    numbers = array.astype(np.float64, copy=False)
    return [f"min {format_number(numbers.min())}  mean {format_number(numbers.mean())}  "
            f"max {format_number(numbers.max())}"]


def _small(text: str, colour: str | None = None, bold: bool = False) -> str:
    body = f"<B>{text}</B>" if bold else text
    colour_attr = f' COLOR="{colour}"' if colour else ""
    return f'<FONT POINT-SIZE="{SMALL}"{colour_attr}>{body}</FONT>'


# -------------------------------------------------------------------- tensor boxes
def tensor_look(box: TensorBox, show_data: bool, show_grad: bool,
                vanishing_ratio: float) -> tuple[str, dict[str, str]]:
    """The HTML label (without the enclosing < >) and the DOT attributes of a tensor box."""
    shape, style, fill, border, width, font_colour, peripheries = ROLE_LOOKS[box.role]
    attributes = {"shape": shape, "style": style, "fillcolor": fill, "color": border, "penwidth": width}
    if font_colour != "#000000":
        attributes["fontcolor"] = font_colour
    if peripheries != 1:
        attributes["peripheries"] = str(peripheries)

    lines: list[str] = []
    if box.name:
        lines.append(f"<B>{escape(box.name)}</B>")
    elif not box.recorded:
        lines.append(_small("constant", "#555555"))  # the graph kept only that it existed
    description = shape_text(box.shape)
    if box.dtype is not None and box.dtype != dtypes.get_default_dtype():
        description = f"{description} {box.dtype}".strip()
    content: list[str] = []
    if show_data and box.data is not None:
        content.extend(escape(line) for line in value_lines(box.data))
    elif show_data and (box.role == INTERMEDIATE or not box.recorded):
        content.append(_small(NOT_RECORDED, "#888888"))  # the caption says how to record it
    if show_grad:
        content.extend(_grad_lines(box, attributes, vanishing_ratio))
    # The arrow into the next op already carries an intermediate result's shape: say it again only
    # when the box would otherwise be empty, and always for leaves, constants and outputs.
    if description and (box.role != INTERMEDIATE or box.name or not content):
        lines.append(_small(escape(description), "#555555"))
    lines.extend(content)
    if not lines:
        lines.append(_small("scalar" if box.shape == () else "tensor", "#555555"))
    return "<BR/>".join(lines), attributes


def _grad_lines(box: TensorBox, attributes: dict[str, str], vanishing_ratio: float) -> list[str]:
    if box.grad is None:
        return [_small("no grad", "#888888")] if box.grad_expected else []
    health = grad_health(box.grad, box.data if box.role == LEAF else None, vanishing_ratio)
    attributes["fillcolor"] = health.fill
    if health.nonfinite:
        attributes["color"], attributes["penwidth"] = NONFINITE_BORDER, "3"
        kinds = [k for k, bad in (("NaN", np.isnan(box.grad).any()), ("Inf", np.isinf(box.grad).any())) if bad]
        return [_small(f"grad has {' and '.join(kinds)}!", NONFINITE_BORDER, bold=True)]
    if box.grad.size <= MAX_LISTED:
        values = value_lines(box.grad)
        lines = [_small(escape("grad " + values[0]), GRAD_TEXT)]
        lines.extend(_small(escape("     " + v), GRAD_TEXT) for v in values[1:])
    else:
        lines = [_small(escape(f"grad mean|g| {format_number(health.magnitude)}"), GRAD_TEXT)]
        if 0 < health.zero_fraction and not health.dead:
            lines.append(_small(f"{100 * health.zero_fraction:.0f}% zero", GRAD_TEXT))
    if health.dead:
        lines.append(_small("all zero (dead)", "#333333", bold=True))
    if health.vanishing:
        attributes["color"], attributes["penwidth"] = VANISHING_BORDER, "3"
        lines.append(_small("vanishing", VANISHING_BORDER, bold=True))
    return lines


# -------------------------------------------------------------------- op boxes and the legend
# Arithmetic with a number (`price * 2`) is labelled the textbook way, "× 2"; `a`/`b` are forward's names.
OPERATOR_SYMBOLS = {"Add": "+", "Sub": "−", "Mul": "×", "Div": "÷", "Pow": "**", "PowConstant": "**"}


def op_look(box: OpBox) -> tuple[str, dict[str, str]]:
    """The HTML label and DOT attributes of an op node: its name, and its arguments if recorded."""
    lines = [f"<B>{escape(box.name)}</B>"]
    symbol = OPERATOR_SYMBOLS.get(box.name)
    if symbol is not None and len(box.arguments) == 1:
        name, value = box.arguments[0]
        lines.append(escape(f"{value} {symbol}" if name == "a" else f"{symbol} {value}"))
    elif box.arguments:
        lines.append(_small(escape(", ".join(f"{name}={value}" for name, value in box.arguments))))
    return "<BR/>".join(lines), dict(OP_LOOK)


LEGEND_HEADING = "gradient, mean |grad|:"


@dataclass(frozen=True, slots=True)
class LegendEntry:
    """One swatch of the gradient legend: its fill, its border (colour, width) and its text."""

    fill: str
    border: str
    border_width: int
    text: str


def legend_entries(vanishing_ratio: float) -> list[LegendEntry]:
    """What the gradient colours mean, one entry per colour, shown with show_grad under LEGEND_HEADING.

    The caption (caption.py) lays them out, on as many lines as the picture's width needs.
    """
    entries = [LegendEntry(colour, "#666666", 1, label) for _, colour, label in GRAD_SCALE]
    entries.append(LegendEntry(DEAD_FILL, "#666666", 1, "all zero"))
    entries.append(LegendEntry(NONFINITE_FILL, NONFINITE_BORDER, 2, "NaN / Inf"))
    entries.append(LegendEntry("#ffffff", VANISHING_BORDER, 2,
                               f"vanishing: |grad| < {format_number(vanishing_ratio)} × |parameter|"))
    return entries
