"""The fixed-weight 3-layer tanh network, computed with Tensor operations.

Each hidden unit sums tanh(input * weight) over its inputs; the output unit sums input * weight:

    input            [3, 5]
    hidden layer 1   unit weights [2, 4] and [4, -5]
    hidden layer 2   unit weights [-1, 1] and [2, 2]
    output           weights [-3, 7]

tanh is computed the textbook's way, (e^x - e^-x) / (e^x + e^-x), composed from `exp`: autograd
differentiates the composite through its Exp, Neg, Sub, Add and Div nodes, no tanh rule needed. In float64
this gives exactly the textbook's output, 9.887385002294863 (NumPy's `np.tanh`, which `Tensor.tanh` uses,
differs from the formula by one ulp here, and its output would be 9.887385002294865).

Run `python -m demos.tanh_network` to print the output, backpropagate to the weights, and draw the graph
into runs/tanh_network/graph.svg (without Graphviz's `dot` program: graph.dot, and how to install it).
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

import numpy as np

from autograd import Tensor, viz

TEXTBOOK_OUTPUT = 9.887385002294863


def tanh(x: Tensor) -> Tensor:
    """The textbook's tanh, (e^x - e^-x) / (e^x + e^-x), built from exp so that autograd differentiates it."""
    e_plus, e_minus = x.exp(), (-x).exp()
    return (e_plus - e_minus) / (e_plus + e_minus)


def build(requires_grad: bool = True) -> tuple[Tensor, dict[str, Tensor]]:
    """Return the network's output and its named weights (float64, so the printed value is exact)."""
    x = Tensor(np.array([3.0, 5.0]), name="input")
    weights = {
        "W1": Tensor(np.array([[2.0, 4.0], [4.0, -5.0]]), requires_grad=requires_grad, name="W1"),
        "W2": Tensor(np.array([[-1.0, 1.0], [2.0, 2.0]]), requires_grad=requires_grad, name="W2"),
        "w3": Tensor(np.array([-3.0, 7.0]), requires_grad=requires_grad, name="w3"),
    }
    h1 = tanh(x * weights["W1"]).sum(axis=1)  # unit j: sum_i tanh(x_i * W1[j, i])
    h2 = tanh(h1 * weights["W2"]).sum(axis=1)
    y = (h2 * weights["w3"]).sum()
    y.name = "output"
    return y, weights


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(prog="python -m demos.tanh_network", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/tanh_network", help="folder for the graph picture")
    parser.add_argument("--no-graph", action="store_true", help="do not draw the graph")
    args = parser.parse_args(argv)

    # Recording keeps every intermediate value and gradient for the picture.
    with viz.record() if not args.no_graph else contextlib.nullcontext():
        y, weights = build()
    print(repr(y.item()))
    y.backward()
    for name, w in weights.items():
        print(f"d output / d {name} =\n{np.array2string(w.grad.data, precision=6)}")
    if not args.no_graph:
        draw(y, Path(args.out))
    return y.item()


def draw(y: Tensor, out: Path) -> Path:
    """Draw the graph into out/graph.svg, or, without Graphviz's `dot`, out/graph.dot; return the file."""
    out.mkdir(parents=True, exist_ok=True)
    try:
        path = viz.save_graph(y, path=out / "graph.svg", show_data=True, show_grad=True,
                              title="3-layer tanh network")
    except viz.GraphvizNotFoundError as missing:  # graph.dot is written; the message says how to draw it
        print(missing)
        return missing.dot_path
    print(f"graph written to {path}")
    return path


if __name__ == "__main__":
    main()
