"""From a walk of the graph to DOT text, a `graphviz.Digraph`, or a file on disk.

`to_dot` writes the DOT language itself, so it needs neither the `graphviz` Python package nor the `dot`
program. `draw_graph` wraps the same text in a `graphviz.Digraph` (for Jupyter and `.render()`), and
`save_graph` runs the `dot` program directly.
"""

from __future__ import annotations

import functools
import html
import inspect
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd.tensor import Tensor
from autograd.viz import caption, style
from autograd.viz.structure import OpBox, Picture, TensorBox, collect

if TYPE_CHECKING:  # an optional dependency: imported only when draw_graph is called
    import graphviz

RANKDIRS = ("LR", "TB")
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot"}
DEFAULT_MAX_NODES = 500  # beyond a few hundred nodes a picture stops being readable, and dot gets slow
CLUSTER_FILLS = ("#f4f6fa", "#e9edf5", "#dfe5f0")  # nested module boxes get slightly darker
INSTALL_HINT = (
    "Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "or `conda install -c conda-forge graphviz`"
)


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz `dot` program (or the `graphviz` Python package) is needed but not installed.

    Raised by `save_graph` after it wrote the DOT text to `dot_path` (the path asked for, with the suffix
    .dot), so a program can carry on with that file; the message, one line, says how to install Graphviz.
    `dot_path` is None when the error comes from `draw_graph`, which writes no file.
    """

    def __init__(self, message: str, dot_path: Path | None = None) -> None:
        super().__init__(message)
        self.dot_path = dot_path


def to_dot(
    *roots: Tensor,
    show_data: bool = False,
    show_grad: bool = False,
    rankdir: str = "LR",
    max_nodes: int | None = DEFAULT_MAX_NODES,
    group_modules: bool = False,
    title: str | None = None,
    vanishing_ratio: float = 1e-3,
) -> str:
    """The graph that computed `roots`, as Graphviz DOT text (no Graphviz installation needed).

    Args:
        roots: the tensors to draw (outputs, a loss); their graphs share one picture.
        show_data: print values (tensors of up to 8 elements) or min/mean/max (larger ones). Values of
            intermediate results are known only if the forward pass ran inside `autograd.viz.record()`.
        show_grad: print gradients and colour tensors by gradient magnitude, with a legend; dead (all
            zero), NaN/Inf and vanishing gradients are marked. Leaves use `.grad`; intermediate results
            need `record()` (or `retain_grad()` on a tensor you pass as a root).
        rankdir: "LR" (inputs on the left, like the textbook) or "TB" (inputs on top).
        max_nodes: draw at most this many nodes, those nearest the roots, and a "... N more nodes"
            marker for the rest; None draws everything.
        group_modules: draw the ops recorded inside each `autograd.scope` (each `nn.Module` call) in a
            labelled box, nested like the modules.
        title: a caption above the picture.
        vanishing_ratio: a parameter (a leaf that requires grad) is marked vanishing when
            mean |grad| < vanishing_ratio * mean |value|: a gradient step would barely change it.

    Node ids follow the walk from the roots (n0, n1, ...), so the text is the same on every run.
    """
    return "".join(_dot_lines(roots, show_data=show_data, show_grad=show_grad, rankdir=rankdir,
                              max_nodes=max_nodes, group_modules=group_modules, title=title,
                              vanishing_ratio=vanishing_ratio, caller="to_dot"))


def draw_graph(*roots: Tensor, **options: Any) -> graphviz.Digraph:
    """The picture as a `graphviz.Digraph`: shown inline in Jupyter; `.render()`/`.pipe()` make files.

    Takes the same options as `to_dot`. Needs the `graphviz` Python package (`pip install graphviz`) and,
    to render, the Graphviz programs. Without the `dot` program, a notebook shows the DOT source and how to
    install Graphviz instead of the picture (`.render()` and `.pipe()` still raise graphviz's error).
    """
    try:
        digraph = _notebook_digraph()
    except ImportError:
        raise GraphvizNotFoundError(
            "draw_graph: needs the Python package `graphviz` (`pip install graphviz`, or "
            "`pip install scratchgrad[viz]`). Without it, to_dot() gives the DOT text and save_graph() "
            "writes .dot/.svg/.png/.pdf files."
        ) from None
    lines = _dot_lines(roots, caller="draw_graph", **_options("draw_graph", options))
    # The Digraph's own header and closing brace reproduce the first and last line exactly.
    return digraph(body=lines[1:-1])


def without_dot_bundle(source: str) -> dict[str, str]:
    """What a notebook shows instead of a picture when Graphviz's `dot` is missing: the DOT source and
    one line that says how to install Graphviz (rather than graphviz's raw ExecutableNotFound)."""
    line = f"No picture: the Graphviz program `dot` is not installed (not found on PATH). {INSTALL_HINT}."
    return {
        "text/plain": f"{line}\n{source}",
        "text/html": f"<p>{html.escape(line)}</p><pre>{html.escape(source)}</pre>",
    }


def _notebook_digraph() -> type[graphviz.Digraph]:
    """graphviz.Digraph, except that without `dot` a notebook shows `without_dot_bundle`.

    Raises ImportError without the graphviz package (checked on every call, the class is made once).
    """
    import graphviz

    return _digraph_class(graphviz)


@functools.cache
def _digraph_class(graphviz: Any) -> type[graphviz.Digraph]:
    """The Digraph subclass, made from the given graphviz module."""
    class Digraph(graphviz.Digraph):
        __doc__ = graphviz.Digraph.__doc__
        __module__ = __name__

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
            try:
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            except graphviz.ExecutableNotFound:
                return without_dot_bundle(self.source)

    return Digraph


def save_graph(*roots: Tensor, path: str | Path, dpi: int = 150, **options: Any) -> Path:
    """Write the picture to `path`, in the format its suffix names: .svg, .png, .pdf or .dot.

    Takes the same options as `to_dot`; `dpi` sets the resolution of a .png. Needs the Graphviz `dot`
    program for every format but .dot. If it is missing, the DOT text is still written next to `path`
    (with the suffix .dot) and GraphvizNotFoundError says how to install Graphviz. Returns the path.
    """
    text = "".join(_dot_lines(roots, caller="save_graph", **_options("save_graph", options)))
    return write_dot_file(text, Path(path), dpi, caller="save_graph")


def write_dot_file(text: str, path: Path, dpi: int = 150, caller: str = "save_graph") -> Path:
    """Write DOT `text` to `path` as the format its suffix names, running `dot`; without `dot`, write the .dot
    file next to it and raise GraphvizNotFoundError (the behaviour `save_graph` documents)."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{caller}: unsupported file type {path.suffix!r} in {str(path)!r}; "
                         f"use one of {', '.join(FORMATS)}")
    if suffix == ".dot":
        path.write_text(text, encoding="utf-8")
        return path
    dot = shutil.which("dot")
    if dot is None:
        fallback = path.with_suffix(".dot")
        fallback.write_text(text, encoding="utf-8")
        raise GraphvizNotFoundError(
            f"{caller}: the Graphviz program `dot` is not installed (not found on PATH), so {str(path)!r} "
            f"could not be drawn; the graph was written to {str(fallback)!r} instead. {INSTALL_HINT}; "
            f"then run `dot -T{FORMATS[suffix]} {fallback} -o {path}`.",
            dot_path=fallback,
        )
    command = [dot, f"-T{FORMATS[suffix]}", "-o", str(path)]
    if suffix == ".png":
        command.insert(1, f"-Gdpi={int(dpi)}")
    result = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{caller}: `dot` failed (exit code {result.returncode}) drawing {str(path)!r}: "
                           f"{result.stderr.decode('utf-8', 'replace').strip()}")
    return path


# ------------------------------------------------------------------------ DOT text
def _options(caller: str, options: dict[str, Any]) -> dict[str, Any]:
    """`options` completed with to_dot's defaults (its signature is the one list); unknown names are errors."""
    defaults = {name: parameter.default for name, parameter in inspect.signature(to_dot).parameters.items()
                if parameter.kind is parameter.KEYWORD_ONLY}
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise TypeError(f"{caller}: unknown option {unknown[0]!r}; the options are {', '.join(defaults)}")
    return {**defaults, **options}


def _dot_lines(roots: Sequence[Tensor], *, caller: str, show_data: bool, show_grad: bool, rankdir: str,
               max_nodes: int | None, group_modules: bool, title: str | None, vanishing_ratio: float) -> list[str]:
    """The DOT text, one line per element, each as graphviz.Digraph would write it in its body."""
    _check_arguments(caller, roots, rankdir, max_nodes, vanishing_ratio)
    picture = collect(roots, max_nodes)

    looks = {box.ident: _look(box, show_data, show_grad, vanishing_ratio) for box in picture.boxes}
    node_lines = {ident: f"{ident} [label=<{label}> {_attribute_list(attributes)}]\n"
                  for ident, (label, attributes) in looks.items()}

    lines = ["digraph {\n"]
    graph_attributes = {"rankdir": rankdir, "fontname": style.FONT, "bgcolor": "white", "pad": "0.2",
                        "nodesep": "0.2", "ranksep": "0.25"}
    table = caption.caption_table(picture, {ident: label for ident, (label, _) in looks.items()},
                                  rankdir=rankdir, title=title, show_legend=show_grad,
                                  vanishing_ratio=vanishing_ratio,
                                  show_note=(show_data or show_grad) and picture.unrecorded > 0)
    if table is not None:
        graph_attributes.update(label=f"<{table}>", labelloc="t")
    lines.append(f"\tgraph [{_attribute_list(graph_attributes)}]\n")
    lines.append(f'\tnode [fontname="{style.FONT}" fontsize=11 margin="0.08,0.03" height=0.3]\n')
    lines.append(f'\tedge [fontname="{style.FONT}" fontsize=9 color="#555555" fontcolor="#555555" '
                 'arrowsize=0.7]\n')

    if group_modules:
        lines.extend(_clustered(picture, node_lines))
    else:
        lines.extend("\t" + node_lines[box.ident] for box in picture.boxes)
    if picture.hidden:
        lines.append(f'\tmore [label="… {picture.hidden:,} more node{"s" if picture.hidden != 1 else ""}" '
                     'shape=note style=filled fillcolor="#eeeeee" color="#999999" fontcolor="#333333"]\n')

    for arrow in picture.arrows:
        label = f' [label="{arrow.label}"]' if arrow.label else ""
        lines.append(f"\t{arrow.source} -> {arrow.target}{label}\n")
    for target in picture.cut:
        lines.append(f'\tmore -> {target} [style=dashed color="#999999"]\n')
    lines.append("}\n")
    return lines


def _check_arguments(caller: str, roots: Sequence[Tensor], rankdir: str, max_nodes: int | None,
                     vanishing_ratio: float) -> None:
    if not roots:
        raise ValueError(f"{caller}: give at least one tensor to draw, e.g. {caller}(loss)")
    for i, root in enumerate(roots):
        if not isinstance(root, Tensor):
            raise TypeError(f"{caller}: root {i} must be a Tensor, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"{caller}: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1):
        raise ValueError(f"{caller}: max_nodes must be a positive integer or None, got {max_nodes!r}")
    if not vanishing_ratio >= 0:
        raise ValueError(f"{caller}: vanishing_ratio must be a number >= 0, got {vanishing_ratio!r}")


def _look(box: TensorBox | OpBox, show_data: bool, show_grad: bool,
          vanishing_ratio: float) -> tuple[str, dict[str, str]]:
    """A box's HTML label (without the enclosing < >) and its DOT attributes."""
    if isinstance(box, OpBox):
        return style.op_look(box)
    return style.tensor_look(box, show_data, show_grad, vanishing_ratio)


def _attribute_list(attributes: dict[str, str]) -> str:
    """`key="value"` pairs; labels (already `<...>` HTML) are written as they are."""
    parts = []
    for key, value in attributes.items():
        if value.startswith("<") and value.endswith(">"):
            parts.append(f"{key}={value}")
        else:
            quoted = value.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{key}="{quoted}"')
    return " ".join(parts)


def _clustered(picture: Picture, node_lines: dict[str, str]) -> list[str]:
    """Node lines inside nested `subgraph cluster_k` blocks, one per scope, in order of appearance."""
    # A tree of scopes: scope tuple -> its nodes and its child scopes, both in order of appearance.
    members: dict[tuple[str, ...], list[str]] = {(): []}
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {(): []}
    for box in picture.boxes:
        scope = box.scope
        for depth in range(1, len(scope) + 1):
            prefix = scope[:depth]
            if prefix not in members:
                members[prefix] = []
                children[prefix] = []
                children[prefix[:-1]].append(prefix)
        members[scope].append(box.ident)

    lines: list[str] = []
    counter = 0
    # Iterative depth-first emission: ("open", scope) / ("close", depth) entries on an explicit stack.
    stack: list[tuple[str, tuple[str, ...]]] = [("open", ())]
    while stack:
        action, scope = stack.pop()
        indent = "\t" * (len(scope) + 1)
        if action == "close":
            lines.append("\t" * len(scope) + "}\n")
            continue
        if scope:
            lines.append("\t" * len(scope) + f"subgraph cluster_{counter} {{\n")
            counter += 1
            lines.append(indent + f"graph [{_attribute_list(_cluster_attributes(scope))}]\n")
        lines.extend(indent + node_lines[ident] for ident in members[scope])
        if scope:
            stack.append(("close", scope))
        stack.extend(("open", child) for child in reversed(children[scope]))
    return lines


def _cluster_attributes(scope: tuple[str, ...]) -> dict[str, str]:
    label = scope[-1]
    path, sep, description = label.partition(": ")
    text = f"<B>{style.escape(path)}</B>: {style.escape(description)}" if sep else f"<B>{style.escape(label)}</B>"
    return {"label": f"<{text}>", "style": "rounded,filled", "fillcolor": CLUSTER_FILLS[(len(scope) - 1) % 3],
            "color": "#8a9bb0", "fontsize": "11", "labeljust": "l", "margin": "6"}
