"""Pictures of computational graphs, drawn with Graphviz.

    >>> from autograd import Tensor, viz
    >>> price = Tensor(100.0, requires_grad=True, name="price")
    >>> with viz.record():                    # keep intermediate values and gradients for the picture
    ...     total = price * 2 * 1.1
    >>> total.backward()
    >>> dot_text = viz.to_dot(total, show_data=True, show_grad=True)
    >>> "price" in dot_text and "grad 2.2" in dot_text
    True

* `to_dot(*roots, **options)`: DOT text; needs nothing installed.
* `draw_graph(*roots, **options)`: a `graphviz.Digraph` (shown inline in Jupyter; `.render()`, `.pipe()`).
  Without Graphviz's `dot` program, the notebook shows the DOT source and how to install Graphviz.
* `save_graph(*roots, path=..., **options)`: a .svg, .png, .pdf or .dot file. Without `dot` it writes the
  .dot file and raises GraphvizNotFoundError, whose one-line message says how to install Graphviz.
* `plan_to_dot(compiled)`, `save_plan(compiled, path=...)`: the static graph of an `autograd.compile`d step,
  ordered before it runs (forward ops, the backward schedule, the update), next to the dynamic one.
* `record()`: run the forward pass inside it to show values and gradients of intermediate results too.
  A picture of a graph built outside it says which values it could not know, and how to record them.

Options: `show_data`, `show_grad` (with a gradient-health legend), `rankdir` ("LR" or "TB"), `max_nodes`,
`group_modules` (a box per `nn.Module` call), `title`, `vanishing_ratio`. See docs/visualization.md.

The files: `structure.py` walks the graph (which boxes and arrows), `style.py` decides how each looks,
`caption.py` fits the title, legend and notes above the graph to its width, `render.py` writes DOT and runs
Graphviz, `recording.py` keeps intermediate values during `record()`.
"""

from autograd.viz.frames import BackwardSteps, watch_backward
from autograd.viz.plan import plan_to_dot, save_plan
from autograd.viz.recording import record
from autograd.viz.render import INSTALL_HINT, GraphvizNotFoundError, draw_graph, save_graph, to_dot

__all__ = ["INSTALL_HINT", "BackwardSteps", "GraphvizNotFoundError", "draw_graph", "plan_to_dot", "record",
           "save_graph", "save_plan", "to_dot", "watch_backward"]
