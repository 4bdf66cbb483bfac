"""The caption above a picture: the title, the gradient legend, and what the picture could not know.

Graphviz lays the caption out as one HTML table above the graph, and a caption wider than the graph makes
the whole picture wider, leaving the graph small in a wide empty canvas. So the caption is fitted to the
graph: `estimated_width` guesses the graph's width from its labels before Graphviz has laid it out (it
needs no Graphviz), the legend's cells are wrapped onto as many lines as that width needs, and the note
is wrapped to it too. The guess errs on the narrow side, so the legend is no wider than the graph; only
a graph narrower than the legend's longest word (one column of nodes drawn top to bottom) gets a legend
one word wide, its entries stacked.

The note appears when values or gradients were asked for (`show_data`, `show_grad`) but some ops ran
outside `autograd.viz.record()`: it says so, and gives the one line that fixes it.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from collections import defaultdict, deque
from collections.abc import Sequence

from autograd.viz import style
from autograd.viz.structure import OpBox, Picture

NO_BREAK = "\u00a0"  # a space where wrapping may not break a line (written out as a plain space)
NOT_RECORDED_NOTE = ("The values, gradients and constants of ops run outside viz.record() were not kept: "
                     f"run the forward pass inside `with{NO_BREAK}viz.record():` to show them.")

# Graphviz's geometry, in points (1 inch = 72 points), as set in render.py's graph attributes.
MIN_NODE_WIDTH = 54.0  # Graphviz's default node width, 0.75 in: no node is narrower
NODE_MARGIN = 2 * 0.08 * 72  # margin="0.08,..." on each side of a label
RANKSEP = 0.25 * 72
NODESEP = 0.2 * 72
ELLIPSE_STRETCH = 1.3  # an ellipse around a label is wider than the label
# Average width of a character as a fraction of the font size. Graph labels are measured a little narrow
# and legend cells a little wide, so that the estimate keeps the legend inside the graph.
GRAPH_CHAR_WIDTH = 0.5
CAPTION_CHAR_WIDTH = 0.62
SAFETY = 0.9  # of the estimated graph width, given to the caption
CELL_PADDING = 3  # inside a legend swatch, around its text
LINE_HEIGHT = 1.25  # of a line of text, as a multiple of the font size
CELL_SPACING = 2 * 3  # between legend swatches (the line's CELLSPACING, on both sides)
CELL_EXTRA = 2 * 2 + CELL_SPACING  # a text cell's default padding, and the spacing

_TAG = re.compile(r"<[^>]*>")
_POINT_SIZE = re.compile(r'POINT-SIZE="(\d+(?:\.\d+)?)"')


# ------------------------------------------------------------------------ the caption
def caption_table(picture: Picture, node_labels: dict[str, str], *, rankdir: str, title: str | None,
                  show_legend: bool, vanishing_ratio: float, show_note: bool) -> str | None:
    """The caption as an HTML-like label (without the enclosing < >), or None when there is nothing to say."""
    width = SAFETY * estimated_width(picture, node_labels, rankdir)
    rows = []
    if title is not None:
        rows.append(f'<TR><TD><FONT POINT-SIZE="16"><B>{style.escape(title)}</B></FONT></TD></TR>')
    if show_legend:
        heading, heading_width = _wrapped(style.LEGEND_HEADING, style.SMALL + 1, width - CELL_EXTRA)
        cells = [(f'<TD><FONT POINT-SIZE="{style.SMALL + 1}"><B>{heading}</B></FONT></TD>',
                  heading_width + CELL_EXTRA)]
        cells.extend(_legend_cell(entry, width) for entry in style.legend_entries(vanishing_ratio))
        lines = "".join(f'<TR><TD CELLPADDING="0"><TABLE BORDER="0" CELLSPACING="3"><TR>{"".join(line)}</TR>'
                        '</TABLE></TD></TR>' for line in _fill_lines(cells, width))
        rows.append(f'<TR><TD CELLPADDING="0"><TABLE BORDER="0" CELLSPACING="0">{lines}</TABLE></TD></TR>')
    if show_note:
        text, _ = _wrapped(NOT_RECORDED_NOTE, style.SMALL + 1, width)
        rows.append(f'<TR><TD><FONT POINT-SIZE="{style.SMALL + 1}" COLOR="#7f6000">{text}</FONT></TD></TR>')
    if not rows:
        return None
    return '<TABLE BORDER="0" CELLSPACING="4">' + "".join(rows) + "</TABLE>"


def _legend_cell(entry: style.LegendEntry, width: float) -> tuple[str, float]:
    """A legend swatch as a table cell of fixed size (its text wrapped to `width`), and its width in points.

    Graphviz spreads a short line of the legend out to the width of the longest line; a cell of fixed
    size keeps its shape there (the spare width goes between the cells) instead of being stretched.
    """
    frame = 2 * (CELL_PADDING + entry.border_width)
    text, text_width = _wrapped(entry.text, style.SMALL, width - frame - CELL_SPACING)
    cell_width = math.ceil(text_width) + frame
    height = math.ceil(LINE_HEIGHT * style.SMALL * (text.count("<BR/>") + 1)) + frame
    cell = (f'<TD BGCOLOR="{entry.fill}" BORDER="{entry.border_width}" COLOR="{entry.border}" '
            f'CELLPADDING="{CELL_PADDING}" FIXEDSIZE="TRUE" WIDTH="{cell_width}" HEIGHT="{height}">'
            f'<FONT POINT-SIZE="{style.SMALL}">{text}</FONT></TD>')
    return cell, cell_width + CELL_SPACING


def _wrapped(text: str, font_size: float, width: float) -> tuple[str, float]:
    """`text` escaped and broken into lines (joined by <BR/>) of at most `width` points, and its width.

    Words are never broken, so a line is at least one word wide, however narrow `width` is.
    """
    characters = max(1, int(width / (CAPTION_CHAR_WIDTH * font_size)))
    lines = textwrap.wrap(text, characters, break_long_words=False, break_on_hyphens=False) or [text]
    widest = max(len(line) for line in lines) * CAPTION_CHAR_WIDTH * font_size
    return "<BR/>".join(style.escape(line.replace(NO_BREAK, " ")) for line in lines), widest


def _fill_lines(cells: Sequence[tuple[str, float]], width: float) -> list[list[str]]:
    """The cells (markup, width) in order, on lines no wider than `width` (and at least one cell a line).

    Filling each line as full as it goes would leave the last one short; instead, for the fewest lines
    that fit, each line takes about its share of the total width, so the lines come out alike.
    """
    total = sum(cell_width for _, cell_width in cells)
    for count in range(max(1, math.ceil(total / width)), len(cells) + 1):
        share = total / count
        lines: list[list[str]] = [[]]
        before = line = 0.0  # the width of the cells on the lines before, and on this one
        for cell, cell_width in cells:
            overflows = line + cell_width > width
            past_share = before + line + cell_width / 2 > share * len(lines)
            if lines[-1] and (overflows or past_share):
                lines.append([])
                before, line = before + line, 0.0
            lines[-1].append(cell)
            line += cell_width
        if len(lines) <= count:
            return lines
    return [[cell] for cell, _ in cells]


# ------------------------------------------------------------------------ widths
def label_width(label: str, char_width: float, font_size: float = 11.0) -> float:
    """The width in points of an HTML-like label's widest line: characters times their average width."""
    widest = 0.0
    for line in re.split(r"<BR/>|</TR>", label):
        sizes = [float(size) for size in _POINT_SIZE.findall(line)]
        text = html.unescape(_TAG.sub("", line))
        widest = max(widest, len(text) * char_width * (min(sizes) if sizes else font_size))
    return widest


def node_width(label: str, is_op: bool) -> float:
    """A box's width in points; an op's ellipse is wider than its text."""
    text = label_width(label, GRAPH_CHAR_WIDTH, font_size=10.0 if is_op else 11.0)
    return max(MIN_NODE_WIDTH, text * (ELLIPSE_STRETCH if is_op else 1.0) + NODE_MARGIN)


def estimated_width(picture: Picture, node_labels: dict[str, str], rankdir: str) -> float:
    """About how wide Graphviz will draw the graph, in points, from its nodes' labels and its arrows.

    Left to right ("LR"), the nodes along any path stand side by side, so the graph is at least as wide
    as its widest path. Top to bottom ("TB"), the nodes of each rank stand side by side; a node is put
    on the lowest rank it can take, just above its lowest consumer (a parameter sits beside its layer),
    as Graphviz tends to.
    """
    widths = {box.ident: node_width(node_labels[box.ident], isinstance(box, OpBox)) for box in picture.boxes}
    if not widths:
        return MIN_NODE_WIDTH
    successors: dict[str, list[str]] = defaultdict(list)
    predecessors: dict[str, list[str]] = defaultdict(list)
    for arrow in picture.arrows:
        successors[arrow.source].append(arrow.target)
        predecessors[arrow.target].append(arrow.source)
    order = _topological_order(widths, predecessors, successors)
    if rankdir == "LR":
        widest_path: dict[str, float] = {}
        for ident in order:
            before = max((widest_path[p] + RANKSEP for p in predecessors[ident]), default=0.0)
            widest_path[ident] = before + widths[ident]
        return max(widest_path.values())
    height: dict[str, int] = {}  # ranks below a node: 0 for the outputs
    for ident in reversed(order):
        height[ident] = max((height[s] + 1 for s in successors[ident] if s in height), default=0)
    ranks: dict[int, list[float]] = defaultdict(list)
    for ident, rank in height.items():
        ranks[rank].append(widths[ident])
    return max(sum(row) + NODESEP * (len(row) - 1) for row in ranks.values())


def _topological_order(nodes: dict[str, float], predecessors: dict[str, list[str]],
                       successors: dict[str, list[str]]) -> list[str]:
    """The nodes, each after all its predecessors (arrows to or from the "more" marker are ignored)."""
    waiting = {ident: sum(1 for p in predecessors[ident] if p in nodes) for ident in nodes}
    ready = deque(ident for ident, count in waiting.items() if count == 0)
    order = []
    while ready:
        ident = ready.popleft()
        order.append(ident)
        for target in successors[ident]:
            if target in waiting:
                waiting[target] -= 1
                if waiting[target] == 0:
                    ready.append(target)
    return order
