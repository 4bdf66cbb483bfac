"""The fixed-weight 3-layer tanh network, computed with Tensor operations.

Each hidden unit sums tanh(input * weight) over its inputs; the output unit sums input * weight:

    input            [3, 5]
    hidden layer 1   unit weights [2, 4] and [4, -5]
    hidden layer 2   unit weights [-1, 1] and [2, 2]
    output           weights [-3, 7]

The output is 9.887385002294863. Run `python -m demos.tanh_network` to print it, backpropagate to the
weights, and (with the `viz` extra) draw the graph into runs/tanh_network/graph.svg.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from autograd import Tensor


def build(requires_grad: bool = True) -> tuple[Tensor, dict[str, Tensor]]:
    """Return the network's output and its named weights (float64, so the printed value is exact)."""
    x = Tensor(np.array([3.0, 5.0]), name="input")
    weights = {
        "W1": Tensor(np.array([[2.0, 4.0], [4.0, -5.0]]), requires_grad=requires_grad, name="W1"),
        "W2": Tensor(np.array([[-1.0, 1.0], [2.0, 2.0]]), requires_grad=requires_grad, name="W2"),
        "w3": Tensor(np.array([-3.0, 7.0]), requires_grad=requires_grad, name="w3"),
    }
    h1 = (x * weights["W1"]).tanh().sum(axis=1)  # unit j: sum_i tanh(x_i * W1[j, i])
    h2 = (h1 * weights["W2"]).tanh().sum(axis=1)
    y = (h2 * weights["w3"]).sum()
    y.name = "output"
    return y, weights


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/tanh_network", help="folder for the graph picture")
    parser.add_argument("--no-graph", action="store_true", help="do not draw the graph")
    args = parser.parse_args(argv)

    y, weights = build()
    print(repr(y.item()))
    y.backward()
    for name, w in weights.items():
        print(f"d output / d {name} =\n{np.array2string(w.grad.data, precision=6)}")
    if not args.no_graph:
        draw(y, Path(args.out))
    return y.item()


def draw(y: Tensor, out: Path) -> None:
    try:
        from autograd import viz
    except ImportError:
        print("autograd.viz is not available: skipping the graph picture")
        return
    out.mkdir(parents=True, exist_ok=True)
    path = out / "graph.svg"
    written = viz.save_graph(y, path=path, show_data=True, show_grad=True, title="3-layer tanh network")
    print(f"graph written to {written if written is not None else path}")


if __name__ == "__main__":
    main()
