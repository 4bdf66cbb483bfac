"""Pictures of compiled plans: the static graph that `autograd.compile` replays.

The dynamic graph (`to_dot(loss)`) is what one eager call recorded: tensors and the ops between them, in
no order but their dependencies; the backward pass finds its order while it runs. A plan is that graph
*ordered before running*: a numbered program of forward ops, then the backward schedule (each node's
backward in a fixed order, gradients flowing along fixed arrows into the parameters' `.grad`), then the
optimizer's update. `plan_to_dot(compiled)` draws it; `save_plan(compiled, path=...)` writes the file.

    >>> import numpy as np, autograd as ag
    >>> w = ag.tensor(np.ones(3, dtype=np.float32), requires_grad=True, name="w")
    >>> step = ag.compile(lambda x: (x * w).sum())
    >>> for _ in range(2): _ = step(np.ones(3, dtype=np.float32))
    >>> text = plan_to_dot(step)
    >>> "1. Mul" in text and "backward" in text
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograd.plan import Plan
from autograd.trace import BackwardStep, CallStep, GradStep, InplaceStep, OpStep, Ref, SetItemStep
from autograd.viz import style
from autograd.viz.render import write_dot_file

INPUT_FILL, PARAMETER_FILL, FORWARD_FILL, BACKWARD_FILL, CALL_FILL = (
    "#ffe08a", "#b7e4c7", "#dbe9f6", "#f8d7da", "#e2d9f3")


def plan_to_dot(compiled: Any, index: int = -1, title: str | None = None, rankdir: str = "TB") -> str:
    """DOT text of a compiled function's plan (`index` picks one of `compiled.plans`; the latest by default)."""
    plan = _plan_of(compiled, index)
    lines = ["digraph {\n", f'\tgraph [rankdir={rankdir} fontname="{style.FONT}" bgcolor=white pad=0.2 '
             f'nodesep=0.25 ranksep=0.3 labelloc=t label="{_escape(title or _default_title(plan))}"]\n',
             f'\tnode [fontname="{style.FONT}" fontsize=11 shape=box style="rounded,filled" margin="0.08,0.03" '
             'height=0.3]\n', f'\tedge [fontname="{style.FONT}" fontsize=9 color="#555555" arrowsize=0.7]\n']
    drawn: dict[Any, Any] = {}
    grads: list[str] = []  # the .grad nodes the backward schedule fills (an optimizer step reads them)
    forward = ['\tsubgraph cluster_forward {\n\t\tlabel="forward" style="rounded,dashed" color="#7a9cc6"\n']
    for k, step in enumerate(plan.trace.steps):
        if isinstance(step, BackwardStep):
            lines += _backward_lines(k, step, plan, drawn, grads)
            continue
        label, fill = _step_label(k, step)
        node_line = f'\ts{k} [label="{_escape(label)}" fillcolor="{fill}"]\n'
        (forward if isinstance(step, OpStep) else lines).append(node_line)
        for ref in _inputs(step):
            source = _source(ref, plan, lines, drawn)
            if source is not None:
                lines.append(f"\t{source} -> s{k}\n")
        if isinstance(step, CallStep) and step.function.__name__ == "step":
            lines += [f'\t{grad} -> s{k} [style=dotted]\n' for grad in grads]
    lines[4:4] = [*forward, "\t}\n"]
    lines.append("}\n")
    return "".join(lines)


def save_plan(compiled: Any, path: str | Path, index: int = -1, title: str | None = None,
              rankdir: str = "TB", dpi: int = 150) -> Path:
    """Write the plan's picture to `path` (.svg, .png, .pdf or .dot), like `save_graph` (same fallbacks)."""
    return write_dot_file(plan_to_dot(compiled, index, title, rankdir), Path(path), dpi, caller="save_plan")


# ---------------------------------------------------------------------- pieces
def _plan_of(compiled: Any, index: int) -> Plan:
    if isinstance(compiled, Plan):
        return compiled
    plans = getattr(compiled, "plans", None)
    if plans is None:
        raise TypeError(f"plan_to_dot: expected a compiled function (autograd.compile) or a Plan, got "
                        f"{type(compiled).__name__}")
    if not plans:
        raise ValueError("plan_to_dot: this compiled function has no plan yet: a plan is made on the second call "
                         "with arguments of the same shapes (call it twice first)")
    return plans[index]


def _default_title(plan: Plan) -> str:
    return (f"the static graph: a plan of {plan.op_count} forward ops, a backward schedule and the update, "
            "ordered once (the numbers) and replayed at every call")


def _step_label(k: int, step: Any) -> tuple[str, str]:
    if isinstance(step, OpStep):
        return f"{k + 1}. {step.node.name}", FORWARD_FILL
    if isinstance(step, CallStep):
        name = getattr(step.function, "__qualname__", repr(step.function))
        owner = type(step.args[0]).__name__ if step.args else ""
        return f"{k + 1}. {owner + '.' if owner else ''}{name.rsplit('.', 1)[-1]}()", CALL_FILL
    if isinstance(step, InplaceStep):
        return f"{k + 1}. in place: {step.ufunc.__name__}", CALL_FILL
    if isinstance(step, SetItemStep):
        return f"{k + 1}. x[...] = v", CALL_FILL
    assert isinstance(step, GradStep)
    return f"{k + 1}. .grad = None" if step.value == ("const", None) else f"{k + 1}. .grad = ...", CALL_FILL


def _inputs(step: Any) -> list[Ref]:
    if isinstance(step, OpStep):
        return [*step.inputs, *step.kwargs.values()]
    if isinstance(step, (InplaceStep, SetItemStep)):
        return [step.target, step.value]
    return []


def _source(ref: Ref, plan: Plan, lines: list[str], drawn: dict[Any, Any]) -> str | None:
    """The node an input comes from, drawn the first time it is needed (None for plain constants).

    `drawn` holds the ids of the nodes drawn so far, and a number for each tensor met.
    """
    kind = ref[0]
    if kind == "out":
        return f"s{ref[1]}"
    if kind == "arg":
        ident = f"arg{ref[1]}"
        if ident not in drawn:
            drawn[ident] = True
            lines.append(f'\t{ident} [label="argument {ref[1]}" shape=box style=filled fillcolor="{INPUT_FILL}"]\n')
        return ident
    if kind in ("live", "grad"):
        tensor = ref[1] if kind == "live" else ref[1][1]
        # Node ids count tensors in the order they are met, so the text is the same on every run.
        number = drawn.setdefault(id(tensor), len(drawn))
        base = f"p{number}" if kind == "live" or ref[1][0] == "live" else f"arg{ref[1][1]}"
        ident = base if kind == "live" else base + "_grad"
        if ident not in drawn:
            drawn[ident] = True
            name = getattr(tensor, "name", None) or f"tensor {tuple(getattr(tensor, 'shape', ()))}"
            label = name if kind == "live" else f"{name}.grad"
            lines.append(f'\t{ident} [label="{_escape(label)}" shape=box style=filled '
                         f'fillcolor="{PARAMETER_FILL}"]\n')
        return ident
    return None


def _backward_lines(k: int, step: BackwardStep, plan: Plan, drawn: dict[Any, Any], grads: list[str]) -> list[str]:
    """The backward schedule as a cluster: one node per backward call, numbered in the fixed order."""
    lines = [f"\tsubgraph cluster_backward{k} {{\n", '\t\tlabel="backward: the schedule, fixed at trace time" '
             'style="rounded,dashed" color="#cc8888" fontcolor="#a61c00"\n',
             f'\t\ts{k}_seed [label="{k + 1}. seed: d loss / d loss = 1" fillcolor="{BACKWARD_FILL}"]\n']
    names = {}
    for order, node_step in enumerate(step.order, start=1):
        ident = f"b{k}_{node_step}"
        names[node_step] = ident
        node = plan.trace.steps[node_step].node  # type: ignore[union-attr]
        lines.append(f'\t\t{ident} [label="{k + 1}.{order} {node.name} backward" fillcolor="{BACKWARD_FILL}"]\n')
    lines.append("\t}\n")
    for root in step.roots:
        if root is not None and root[0] == "node":
            lines.append(f'\ts{root[1]} -> s{k}_seed [style=dotted]\n')  # the loss the pass starts from
            lines.append(f'\ts{k}_seed -> {names[root[1]]} [color="#a61c00"]\n')
    for node_step, edges in step.edges.items():
        for edge in edges:
            if edge is None:
                continue
            if edge[0] == "node":
                lines.append(f'\t{names[node_step]} -> {names[edge[1]]} [color="#a61c00"]\n')
            else:
                leaf = step.leaves[edge[1]]
                source = _source(("grad", leaf), plan, lines, drawn)
                lines.append(f'\t{names[node_step]} -> {source} [color="#a61c00"]\n')
                if source not in grads:
                    grads.append(source)
    return lines


def _escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')
