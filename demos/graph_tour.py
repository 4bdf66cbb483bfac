"""A tour of computational graphs, drawn by autograd.viz: the pictures in docs/visualization.md.

    python -m demos.graph_tour                      # writes runs/graph_tour/*.png
    python -m demos.graph_tour --out /tmp/g --format svg
    python -m demos.graph_tour --docs               # regenerates docs/images/*.png and their .dot sources

Each function below builds one graph, runs backward, and returns the picture's roots and options:

* apple             buying 2 apples at 100 with 10% tax: values forward, gradients backward
* apple_orange      apples and oranges: an Add node passes its gradient on unchanged
* square_of_sum     z = (x + y)**2: the chain rule through Pow and Add
* branch_repeat_sum a branch sums the gradients it gets; Repeat and Sum are each other's backward
* two_layer_net     the loss of a 784-50-10 sigmoid network, grouped by module (fc1, act1, fc2, loss)
* vanishing_gradients  10 sigmoid layers next to 10 ReLU layers: where the gradient fades away

`--docs` writes each picture of the documentation together with its DOT source (`docs/images/NAME.dot`);
tests/test_graph_tour.py checks that the committed sources are what the code draws today, so a change to
the pictures' code shows up as a failing test until the pictures are regenerated with `--docs`.

Without Graphviz's `dot` program the .dot files are still written, and one line says how to install it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import autograd as ag
import nn
from autograd import Tensor, viz


@dataclass
class Picture:
    """What to draw: the roots, the options for save_graph, and named intermediate results.

    A name given to an intermediate result (`subtotal.name = "subtotal"`) shows while that tensor is
    alive; `named` keeps those tensors alive until the picture is drawn.
    """

    roots: list[Tensor]
    options: dict[str, Any]
    named: list[Tensor] = field(default_factory=list)
    plan: Any = None  # an autograd.compile'd step: the picture is its plan (viz.save_plan), not a graph


def apple() -> Picture:
    """The textbook's first graph: 2 apples at 100, 10% tax. d total / d price = count * tax = 2.2."""
    price = Tensor(100.0, requires_grad=True, name="price")
    count = Tensor(2.0, requires_grad=True, name="count")
    tax = Tensor(1.1, requires_grad=True, name="tax")
    with viz.record():
        subtotal = price * count
        total = subtotal * tax
    subtotal.name, total.name = "subtotal", "total"
    total.backward()
    return Picture([total], {"title": "Buying 2 apples at 100 with 10% tax"}, named=[subtotal])


def apple_orange() -> Picture:
    """2 apples at 100 and 3 oranges at 150, 10% tax: 715. The Add node hands 1.1 to both branches."""
    apple_price = Tensor(100.0, requires_grad=True, name="apple price")
    apples = Tensor(2.0, requires_grad=True, name="apples")
    orange_price = Tensor(150.0, requires_grad=True, name="orange price")
    oranges = Tensor(3.0, requires_grad=True, name="oranges")
    tax = Tensor(1.1, requires_grad=True, name="tax")
    with viz.record():
        total = (apple_price * apples + orange_price * oranges) * tax
    total.name = "total"
    total.backward()
    return Picture([total], {"title": "Apples and oranges: 2 × 100 + 3 × 150, plus 10% tax"})


def square_of_sum() -> Picture:
    """z = (x + y)**2 at x = 3, y = 4: dz/dx = dz/dy = 2 (x + y) = 14."""
    x = Tensor(3.0, requires_grad=True, name="x")
    y = Tensor(4.0, requires_grad=True, name="y")
    with viz.record():
        t = x + y
        z = t**2
    t.name, z.name = "t = x + y", "z = t²"
    z.backward()
    return Picture([z], {"title": "z = (x + y)²: the chain rule, dz/dx = 2t · 1 = 14"}, named=[t])


def branch_repeat_sum() -> Picture:
    """Three small graphs, each in its own box: a branch, a Repeat node and a Sum node."""
    with viz.record():
        with ag.scope("branch: x is used twice, its gradient is the sum 3 + 5"):
            x = Tensor(2.0, requires_grad=True, name="x")
            branch = x * 3 + x * 5
        with ag.scope("Repeat: copies the row 3 times; backward sums the 3 copies' gradients"):
            row = Tensor([[1.0, 2.0]], requires_grad=True, name="row")
            copies = row.repeat(3, axis=0)
            repeated = (copies**2).sum()
        with ag.scope("Sum: adds up the rows; backward copies the gradient to every row"):
            table = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, name="table")
            column_sums = table.sum(axis=0)
            summed = (column_sums**2).sum()
    for root in (branch, repeated, summed):
        root.backward()
    # Graphviz stacks separate pieces of a left-to-right picture bottom-up: list them last to first.
    return Picture([summed, repeated, branch], {"title": "Branch, Repeat and Sum nodes", "group_modules": True})


def two_layer_net() -> Picture:
    """The loss of a 784-50-10 sigmoid network on a batch of 100 MNIST-sized inputs, one box per module."""
    ag.manual_seed(0)
    rng = np.random.default_rng(0)
    model = nn.MLP([784, 50, 10], activation=nn.Sigmoid)
    images = Tensor(rng.random((100, 784), dtype=np.float32), name="images")
    labels = rng.integers(0, 10, size=100)
    with viz.record():
        loss = nn.CrossEntropyLoss()(model(images), labels)
    loss.name = "loss"
    loss.backward()
    return Picture([loss], {"title": "Two-layer network: the loss graph, grouped by module",
                            "group_modules": True, "rankdir": "TB"})


def vanishing_gradients() -> Picture:
    """10 sigmoid layers (Xavier init) next to 10 ReLU layers (He init), same data: compare the colours."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((32, 16), dtype=np.float32), name="x")
    target = Tensor(rng.standard_normal((32, 1), dtype=np.float32), name="target")
    roots = []
    for label, activation, init in (
        ("10 sigmoid layers (Xavier init)", nn.Sigmoid, nn.init.xavier_normal_),
        ("10 ReLU layers (He init)", nn.ReLU, lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")),
    ):
        ag.manual_seed(1)
        model = nn.MLP([16] * 10 + [1], activation=activation, weight_init=init, bias=False)
        with viz.record(), ag.scope(label):
            loss = nn.MSELoss()(model(x), target)
        loss.name = "loss"
        loss.backward()
        roots.append(loss)
    return Picture(roots, {"title": "Vanishing gradients: 10 sigmoid layers vs 10 ReLU layers",
                           "group_modules": True, "rankdir": "TB", "show_data": False, "dpi": 96})


def _small_training_step(compiled: bool) -> tuple[Any, Any, Any, Any]:
    """A 4-8-3 MLP, its training step (cross-entropy, SGD) and a batch, for the static/dynamic pair."""
    ag.manual_seed(0)
    model = nn.MLP([4, 8, 3])
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)

    def step(x: Tensor, t: Tensor) -> Tensor:
        loss = nn.functional.cross_entropy(model(x), t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    rng = np.random.default_rng(0)
    x = Tensor(rng.random((5, 4), dtype=np.float32), name="x")
    return model, (ag.compile(step) if compiled else step), x, Tensor(np.array([0, 2, 1, 1, 0]))


def dynamic_graph() -> Picture:
    """The graph one eager training step records (define-by-run): drawn after its backward pass."""
    model, _, x, t = _small_training_step(compiled=False)
    with viz.record():
        loss = nn.functional.cross_entropy(model(x), t)
    loss.name = "loss"
    loss.backward()
    return Picture([loss], {"title": "Dynamic graph: recorded while one step runs", "rankdir": "TB",
                            "group_modules": True, "show_data": False})


def static_plan() -> Picture:
    """The plan autograd.compile replays for the same step (define-and-run): ordered before it runs."""
    _, step, x, t = _small_training_step(compiled=True)
    for _ in range(2):
        step(x, t)
    return Picture([], {"title": "Static graph: the compiled plan, ordered once and replayed"}, plan=step)


PICTURES: dict[str, Callable[[], Picture]] = {
    "apple": apple,
    "apple_orange": apple_orange,
    "square_of_sum": square_of_sum,
    "branch_repeat_sum": branch_repeat_sum,
    "two_layer_net": two_layer_net,
    "vanishing_gradients": vanishing_gradients,
    "dynamic_graph": dynamic_graph,
    "static_plan": static_plan,
}


DOCS_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


def picture_options(picture: Picture, suffix: str) -> dict[str, Any]:
    """The options for save_graph: values and gradients shown, plus the picture's own (dpi for .png)."""
    options = {"show_data": True, "show_grad": True, "dpi": 120, **picture.options}
    if suffix != ".png":
        options.pop("dpi", None)
    return options


def dot_source(name: str) -> str:
    """The DOT text of picture `name`, as --docs commits it next to the picture."""
    picture = PICTURES[name]()
    if picture.plan is not None:
        return viz.plan_to_dot(picture.plan, title=picture.options["title"])
    options = picture_options(picture, ".dot")
    return viz.to_dot(*picture.roots, **options)


def render(name: str, out: Path, suffix: str, with_source: bool = False) -> list[Path]:
    """Build picture `name` and write it to out/name.suffix (and out/name.dot with `with_source`).

    Raises viz.GraphvizNotFoundError without the `dot` program, after writing out/name.dot.
    """
    picture = PICTURES[name]()
    written = []
    if picture.plan is not None:
        title = picture.options["title"]
        if with_source and suffix != ".dot":
            written.append(viz.save_plan(picture.plan, out / f"{name}.dot", title=title))
        written.append(viz.save_plan(picture.plan, out / f"{name}{suffix}", title=title, dpi=120))
        return written
    if with_source and suffix != ".dot":
        written.append(viz.save_graph(*picture.roots, path=out / f"{name}.dot", **picture_options(picture, ".dot")))
    written.append(viz.save_graph(*picture.roots, path=out / f"{name}{suffix}", **picture_options(picture, suffix)))
    return written


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(prog="python -m demos.graph_tour", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="folder for the pictures (default: runs/graph_tour)")
    parser.add_argument("--docs", action="store_true",
                        help=f"regenerate the documentation's pictures and their .dot sources in {DOCS_IMAGES}")
    parser.add_argument("--format", choices=["png", "svg", "pdf", "dot"], default="png")
    parser.add_argument("--only", choices=sorted(PICTURES), action="append", help="draw just these pictures")
    args = parser.parse_args(argv)
    if args.docs and args.out is not None:
        parser.error("--docs writes into docs/images; leave out --out (or leave out --docs to write elsewhere)")
    if args.docs and not DOCS_IMAGES.is_dir():
        parser.error(f"--docs needs a checkout of scratchgrad with its docs/images folder ({DOCS_IMAGES} is missing)")
    out = DOCS_IMAGES if args.docs else Path(args.out or "runs/graph_tour")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    missing_dot: viz.GraphvizNotFoundError | None = None
    for name in args.only or PICTURES:
        try:
            files = render(name, out, "." + args.format, with_source=args.docs)
        except viz.GraphvizNotFoundError as error:  # the .dot file is written; carry on with the others
            missing_dot = error
            files = [error.dot_path]
        for path in files:
            print(f"wrote {path}")
        written.extend(files)
    if missing_dot is not None:
        print(f"No .{args.format} pictures: the Graphviz program `dot` is not installed. {viz.INSTALL_HINT}; "
              f"then run this again, or turn one file into a picture with `dot -T{args.format} FILE.dot -o "
              f"FILE.{args.format}`.")
    return written


if __name__ == "__main__":
    main()
