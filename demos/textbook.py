"""The pictures of the learning path (docs/learn/), each reproducing a figure of "Deep Learning from Scratch".

    python -m demos.textbook                     # every picture, into runs/textbook/
    python -m demos.textbook --docs              # into docs/images/learn/, the pictures the pages show
    python -m demos.textbook --only optimizers   # one page's pictures (repeat --only for more)
    python -m demos.textbook --list              # the names, with the page each belongs to
    python -m demos.textbook --tiny              # small sizes and few iterations: a check in seconds

Next to the pictures, numbers.json holds what was measured for each page (the pages quote it beside the
book's numbers); running some pictures with --only updates only their entries. Graph pictures are drawn by
autograd.viz (they need the Graphviz `dot` program), plots by matplotlib, animations by Pillow. The pages
that train on MNIST find it through nn.datasets (cache, download, or --data-root).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import autograd
import nn
import nn.functional as F
from autograd import Tensor, viz
from demos import common, graph_tour, mnist

DOCS_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images" / "learn"
DPI = 100


@dataclass
class Context:
    """Where the pictures go, how large the experiments are, and the MNIST arrays (loaded once)."""

    out: Path
    tiny: bool = False
    data_root: str | None = None
    verify: bool = True
    _mnist: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def mnist(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x_train, t_train, x_test, t_test as float32 rows and int labels (a small part of them with --tiny)."""
        if self._mnist is None:
            (x, t), (x_test, t_test) = nn.datasets.load_mnist(root=self.data_root, verify=self.verify)
            if self.tiny:
                x, t, x_test, t_test = x[:300], t[:300], x_test[:100], t_test[:100]
            self._mnist = (x.astype(np.float32, copy=False), t, x_test.astype(np.float32, copy=False), t_test)
        return self._mnist

    def size(self, full: int, tiny: int) -> int:
        return tiny if self.tiny else full

    def save(self, fig: Any, name: str) -> Path:
        path = self.out / name
        fig.savefig(path, dpi=DPI)
        common.pyplot().close(fig)
        return path


@dataclass(frozen=True)
class Figure:
    name: str
    page: str  # the page of docs/learn/ that shows it
    draw: Callable[[Context], dict[str, Any]]  # writes its pictures into ctx.out, returns the measured numbers
    requires: tuple[str, ...] = ()  # dotted names of the API it needs, e.g. "nn.BatchNorm1d"

    def missing(self) -> list[str]:
        """The required names this checkout does not have (a feature of a branch not merged yet)."""
        return [name for name in self.requires if not has_api(name)]


FIGURES: dict[str, Figure] = {}
Draw = Callable[[Context], dict[str, Any]]


def figure(name: str, page: str, requires: tuple[str, ...] = ()) -> Callable[[Draw], Draw]:
    """Register a function that draws one page's pictures under `name` (the --only choice)."""

    def register(draw: Draw) -> Draw:
        FIGURES[name] = Figure(name, page, draw, requires)
        return draw

    return register


def has_api(dotted: str) -> bool:
    """Whether "package.Name.attribute" exists: `nn.BatchNorm1d` is False before the cnn branch is merged."""
    module, _, path = dotted.partition(".")
    try:
        operator.attrgetter(path)(importlib.import_module(module))
    except AttributeError:
        return False
    return True


def plt() -> Any:
    pyplot = common.pyplot()
    if pyplot is None:
        raise common.DemoError("the plots need matplotlib: pip install -e '.[demos]'")
    return pyplot


# --------------------------------------------------------------------------------- 1. add and multiply
@figure("add_mul", "01-add-and-multiply.md")
def add_and_multiply(ctx: Context) -> dict[str, Any]:
    """Fig. 5-17 (apples and oranges, values and gradients) and Fig. 5-7 (the chain rule on (x + y)**2)."""
    for name in ("apple_orange", "square_of_sum"):
        graph_tour.render(name, ctx.out, ".png")
    picture = graph_tour.apple_orange()
    (total,) = picture.roots
    leaves = {t.name: t for t in _leaves(total)}
    return {"total": round(total.item(), 4),
            "grads": {name: round(t.grad.item(), 4) for name, t in sorted(leaves.items())}}


def _leaves(root: Tensor) -> list[Tensor]:
    found: dict[int, Tensor] = {}
    for node in autograd.topological_order([root.grad_fn]):
        for edge in node.next_edges:
            if edge is not None and isinstance(edge[0], Tensor):
                found[id(edge[0])] = edge[0]
    return list(found.values())


# -------------------------------------------------------------------------------------- 2. activations
@figure("activations", "02-activations.md")
def activations(ctx: Context) -> dict[str, Any]:
    """Figs. 3-7 and 3-9 (sigmoid and ReLU) with their derivatives, backprop against central differences;
    Fig. 5-19 (the sigmoid's graph of exp, + and /) drawn by autograd.viz."""
    pyplot = plt()
    x_values = np.linspace(-6.0, 6.0, ctx.size(240, 24))  # an even count: no point exactly at relu's kink
    numbers: dict[str, Any] = {}
    fig, axes = pyplot.subplots(1, 2, figsize=(10, 3.8))
    for ax, (name, function) in zip(axes, (("ReLU", autograd.relu), ("Sigmoid", autograd.sigmoid)), strict=True):
        x = Tensor(x_values, requires_grad=True)
        y = function(x)
        y.sum().backward()
        (numerical,) = autograd.numerical_grad(lambda t, f=function: f(t).sum(), x)
        numbers[f"{name.lower()}_max_difference"] = float(np.abs(x.grad.data - numerical).max())
        ax.plot(x_values, y.data, color="#1f77b4", label=f"{name}(x)")
        ax.plot(x_values, x.grad.data, color="#d62728", label="dy/dx by backprop")
        ax.plot(x_values[::8], numerical[::8], "o", color="black", markersize=3.5, label="central differences")
        ax.set_title(name + (": dy/dx = 1 where x > 0, else 0" if name == "ReLU" else ": dy/dx = y (1 - y)"))
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left")
    fig.tight_layout()
    ctx.save(fig, "activations.png")

    x = Tensor(1.0, requires_grad=True, name="x", dtype=np.float64)
    with viz.record():
        y = 1.0 / (1.0 + (-x).exp())
    y.name = "y"
    y.backward()
    numbers["sigmoid_graph_grad_at_1"] = round(x.grad.item(), 6)
    viz.save_graph(y, path=ctx.out / "sigmoid_graph.png", show_data=True, show_grad=True, dpi=DPI,
                   title="y = 1 / (1 + exp(-x)) at x = 1: dy/dx = y (1 - y)")
    return numbers


# ------------------------------------------------------------------------------------------- 3. affine
@figure("affine", "03-affine.md")
def affine(ctx: Context) -> dict[str, Any]:
    """Fig. 5-27, the batched Affine layer: shapes on every arrow, dB summed over the batch."""
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="X", dtype=np.float64)
    w = Tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], requires_grad=True, name="W", dtype=np.float64)
    b = Tensor([1.0, 2.0, 3.0], requires_grad=True, name="B", dtype=np.float64)
    with viz.record():
        xw = x @ w
        y = xw + b
    xw.name, y.name = "X · W", "Y"
    y.backward(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))  # the book's dY
    viz.save_graph(y, path=ctx.out / "affine.png", show_data=True, show_grad=True, dpi=DPI,
                   title="The Affine layer on a batch of N = 2: dX = dY · Wᵀ, dW = Xᵀ · dY, dB = sum of dY over N")
    return {"dB": b.grad.tolist(), "dW": w.grad.tolist(), "dX": x.grad.tolist()}


# -------------------------------------------------------------------------------- 4. softmax with loss
@figure("softmax_loss", "04-softmax-with-loss.md")
def softmax_with_loss(ctx: Context) -> dict[str, Any]:
    """Fig. 5-29/5-30: the Softmax-with-Loss graph; the gradient reaching the scores is y - t."""
    scores = Tensor(np.log([[0.3, 0.2, 0.5]]), requires_grad=True, name="scores a", dtype=np.float64)
    t = Tensor([[0.0, 1.0, 0.0]], name="t (one-hot)", dtype=np.float64)
    with viz.record():
        y = scores.softmax(axis=1)
        loss = -(t * y.log()).sum()
    y.name, loss.name = "y = softmax(a)", "L (cross-entropy)"
    loss.backward()
    viz.save_graph(loss, path=ctx.out / "softmax_with_loss.png", show_data=True, show_grad=True, dpi=DPI,
                   title="Softmax-with-Loss: the scores receive y - t = (0.3, -0.8, 0.5)")
    return {"grad": np.round(scores.grad.data, 6).tolist()}


# ----------------------------------------------------------------------------------- 5. gradient check
BOOK_GRADCHECK = {"W1": 2.2232446644e-13, "b1": 9.70418809871e-13, "W2": 8.41139039497e-13, "b2": 1.1945999745e-10}


@figure("gradcheck", "05-gradient-check.md")
def gradient_check(ctx: Context) -> dict[str, Any]:
    """Section 5.7.3: backprop against central differences (h = 1e-4) for all 39,760 parameters, float64."""
    x, t, _, _ = ctx.mnist()
    start = time.perf_counter()
    results = mnist.gradient_check({"x_train": x, "t_train": t}, samples=3)
    seconds = time.perf_counter() - start
    # in the order of named_parameters: the first layer's weight and bias, then the second's
    ours = dict(zip(BOOK_GRADCHECK, (diff for diff, _ in results.values()), strict=True))
    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(6.5, 3.6))
    names = list(BOOK_GRADCHECK)
    positions = np.arange(len(names))
    ax.bar(positions - 0.2, [BOOK_GRADCHECK[n] for n in names], 0.4, label="the book (its printout)", color="#9e9e9e")
    ax.bar(positions + 0.2, [ours[n] for n in names], 0.4, label="scratchgrad (measured)", color="#d62728")
    ax.set_xticks(positions, names)
    ax.set_yscale("log")
    ax.set_ylabel("mean |backprop - numerical|")
    ax.set_title("Gradient check of the 784-50-10 net, 3 MNIST images, float64")
    ax.grid(alpha=0.3, axis="y")
    ax.legend()
    fig.tight_layout()
    ctx.save(fig, "gradcheck.png")
    return {"mean_abs_difference": ours, "book": BOOK_GRADCHECK, "seconds": round(seconds, 1)}


# --------------------------------------------------------------------------------------- 6. optimizers
def bowl(p: Tensor) -> Tensor:
    """The book's f(x, y) = x**2 / 20 + y**2: steep in y, almost flat in x."""
    return p[0] ** 2 / 20.0 + p[1] ** 2


PATH_OPTIMIZERS: dict[str, Callable[[list[Tensor]], nn.optim.Optimizer]] = {
    # the book's four (Fig. 6-8), with its learning rates
    "SGD": lambda ps: nn.optim.SGD(ps, lr=0.95),
    "Momentum": lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9),
    "AdaGrad": lambda ps: nn.optim.Adagrad(ps, lr=1.5),
    "Adam": lambda ps: nn.optim.Adam(ps, lr=0.3),
    # three more, not in the book's figure
    "RMSprop": lambda ps: nn.optim.RMSprop(ps, lr=0.1),
    "Nesterov": lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "AdamW": lambda ps: nn.optim.AdamW(ps, lr=0.3, weight_decay=0.1),
}


def optimizer_path(make: Callable[[list[Tensor]], nn.optim.Optimizer], steps: int = 30) -> np.ndarray:
    """The points an optimizer visits on the bowl, from the book's start (-7, 2)."""
    p = Tensor(np.array([-7.0, 2.0]), requires_grad=True)
    optimizer = make([p])
    path = [p.data.copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        bowl(p).backward()
        optimizer.step()
        path.append(p.data.copy())
    return np.array(path)


MNIST_OPTIMIZERS: dict[str, Callable[[list[Tensor]], nn.optim.Optimizer]] = {
    # the book's optimizer_compare_mnist.py: its default learning rates
    "SGD": lambda ps: nn.optim.SGD(ps, lr=0.01),
    "Momentum": lambda ps: nn.optim.SGD(ps, lr=0.01, momentum=0.9),
    "AdaGrad": lambda ps: nn.optim.Adagrad(ps, lr=0.01),
    "Adam": lambda ps: nn.optim.Adam(ps, lr=0.001),
    "RMSprop": lambda ps: nn.optim.RMSprop(ps, lr=0.001),
    "Nesterov": lambda ps: nn.optim.SGD(ps, lr=0.01, momentum=0.9, nesterov=True),
    "AdamW": lambda ps: nn.optim.AdamW(ps, lr=0.001, weight_decay=0.01),
}


def he_relu_net(hidden_layers: int, width: int = 100, seed: int = 0) -> nn.MLP:
    """The book's MultiLayerNet: 784 inputs, `hidden_layers` ReLU layers of `width`, He initialisation."""
    autograd.manual_seed(seed)
    return nn.MLP([784] + [width] * hidden_layers + [10],
                  weight_init=lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"))


@figure("optimizers", "06-optimizers.md")
def optimizers(ctx: Context) -> dict[str, Any]:
    """Fig. 6-8 (four paths on x**2/20 + y**2), three more optimizers, and Fig. 6-9 (MNIST loss curves)."""
    pyplot = plt()
    paths = {name: optimizer_path(make) for name, make in PATH_OPTIMIZERS.items()}
    xs, ys = np.meshgrid(np.linspace(-10, 10, 201), np.linspace(-5, 5, 101))
    heights = xs**2 / 20 + ys**2
    for file, names, columns in (("optimizer_paths.png", ["SGD", "Momentum", "AdaGrad", "Adam"], 2),
                                 ("optimizer_paths_more.png", ["RMSprop", "Nesterov", "AdamW"], 3)):
        rows = math.ceil(len(names) / columns)
        fig, axes = pyplot.subplots(rows, columns, figsize=(4.2 * columns, 3.4 * rows), squeeze=False)
        for ax, name in zip(axes.flat, names, strict=True):
            ax.contour(xs, ys, heights, levels=[0.5, 1, 2, 4, 7, 11, 16, 22], colors="#9e9e9e", linewidths=0.7)
            ax.plot(paths[name][:, 0], paths[name][:, 1], "o-", color="#d62728", markersize=3, linewidth=1)
            ax.plot(0, 0, "+", color="black", markersize=10)
            ax.set_xlim(-10, 10)
            ax.set_ylim(-5, 5)
            ax.set_title(name)
        fig.suptitle("30 steps on f(x, y) = x²/20 + y² from (-7, 2)")
        fig.tight_layout()
        ctx.save(fig, file)

    x, t, _, _ = ctx.mnist()
    iterations, batch = ctx.size(2000, 20), ctx.size(128, 32)
    rng = np.random.default_rng(0)
    batches = [rng.choice(len(x), batch) for _ in range(iterations)]  # the same batches for every optimizer
    losses: dict[str, list[float]] = {}
    for name, make in MNIST_OPTIMIZERS.items():
        model = he_relu_net(4)
        optimizer = make(list(model.parameters()))
        curve = []
        for indices in batches:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[indices]), t[indices])
            loss.backward()
            optimizer.step()
            curve.append(loss.item())
        losses[name] = curve
    fig, ax = pyplot.subplots(figsize=(7, 4.2))
    window = max(1, min(50, iterations // 10))
    for name, curve in losses.items():
        ax.plot(np.arange(window, len(curve) + 1), _moving_average(curve, window), label=name,
                linestyle="--" if name in ("RMSprop", "Nesterov", "AdamW") else "-")
    ax.set_xlabel("iterations")
    ax.set_ylabel(f"loss (mean of the last {window} batches)")
    ax.set_ylim(0, 1.0)
    ax.set_title(f"MNIST, 784-100-100-100-100-10 ReLU, batch {batch}")
    ax.grid(alpha=0.3)
    ax.legend(ncols=2)
    fig.tight_layout()
    ctx.save(fig, "optimizers_mnist.png")
    tail = max(1, iterations // 20)
    return {"paths_end": {name: [round(float(v), 4) for v in path[-1]] for name, path in paths.items()},
            "mnist_iterations": iterations,
            "mnist_final_loss": {name: round(float(np.mean(curve[-tail:])), 4) for name, curve in losses.items()}}


def _moving_average(values: list[float], window: int) -> np.ndarray:
    return np.convolve(values, np.ones(window) / window, mode="valid")


# ---------------------------------------------------------------------------- 7. weight initialisation
WEIGHT_INITS: dict[str, Callable[[Tensor], Any]] = {
    # the book's four, for 100 x 100 weights: std 1, std 0.01, Xavier std 1/sqrt(n), He std sqrt(2/n)
    "std 1": lambda w: nn.init.normal_(w, std=1.0),
    "std 0.01": lambda w: nn.init.normal_(w, std=0.01),
    "Xavier": nn.init.xavier_normal_,  # sqrt(2 / (n_in + n_out)) = 1 / sqrt(n) for a square weight
    "He": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
}


def layer_activations(activation: str, init: Callable[[Tensor], Any], layers: int = 5, width: int = 100,
                      samples: int = 1000, seed: int = 0) -> list[np.ndarray]:
    """The outputs of the activations of a `layers`-deep net on standard-normal inputs (the book's 6.2.2),
    collected by forward hooks: one array of (samples, width) per layer."""
    autograd.manual_seed(seed)
    model = nn.MLP([width] * (layers + 1), activation=activation, output_activation=activation,
                   weight_init=init, bias=False)
    outputs: list[np.ndarray] = []
    handles = [module.register_forward_hook(lambda module, inputs, output: outputs.append(output.data))
               for name, module in model.named_children() if not name.startswith("fc")]
    x = np.random.default_rng(seed).standard_normal((samples, width)).astype(np.float32)
    with autograd.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return outputs


@figure("weight_init", "07-weight-init.md", requires=("nn.Module.register_forward_hook",))
def weight_init(ctx: Context) -> dict[str, Any]:
    """Figs. 6-10, 6-11, 6-13 and 6-14: activation histograms of 5 layers of 100 units, for four initial
    weight scales, with sigmoid, tanh and ReLU."""
    pyplot = plt()
    samples = ctx.size(1000, 100)
    numbers: dict[str, Any] = {}
    for activation, value_range in (("sigmoid", (0, 1)), ("tanh", (-1, 1)), ("relu", (0, 1))):
        fig, axes = pyplot.subplots(len(WEIGHT_INITS), 5, figsize=(11, 8.2), sharex=True)
        for row, (init_name, init) in enumerate(WEIGHT_INITS.items()):
            outputs = layer_activations(activation, init, samples=samples)
            numbers[f"{activation}, {init_name}"] = entry = {"std": [round(float(o.std()), 4) for o in outputs]}
            if activation != "relu":  # saturated: within 2% of the range from its ends, where the slope is ~0
                entry["saturated"] = [round(float(np.mean(np.abs(o - np.mean(value_range)) > 0.48 *
                                                          (value_range[1] - value_range[0]))), 4) for o in outputs]
            for layer, (ax, output) in enumerate(zip(axes[row], outputs, strict=True), 1):
                ax.hist(output.ravel(), 30, range=value_range, color="#1f77b4")
                if activation == "relu":
                    ax.set_ylim(0, 0.07 * output.size)  # as the book: the spike at 0 would hide the rest
                ax.set_yticks([])
                if row == 0:
                    ax.set_title(f"layer {layer}")
            axes[row][0].set_ylabel(init_name)
        fig.suptitle(f"{activation}: activations of 5 layers of 100 units, {samples:,} inputs")
        fig.tight_layout()
        ctx.save(fig, f"weight_init_{activation}.png")
    return numbers


# ------------------------------------------------------------------------------ 8. vanishing gradients
def layer_gradient_norms(activation: str, depth: int, width: int = 100, batch: int = 100,
                         seed: int = 0) -> list[float]:
    """||dL/dW|| of each layer (first = nearest the input) of a fresh net on one batch of random data."""
    init = (nn.init.xavier_normal_ if activation == "sigmoid"
            else lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"))
    autograd.manual_seed(seed)
    model = nn.MLP([width] * depth + [10], activation=activation, weight_init=init)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width)).astype(np.float32)
    t = rng.integers(0, 10, batch)
    F.cross_entropy(model(x), t).backward()
    return [float(np.linalg.norm(layer.weight.grad.data)) for layer in model if isinstance(layer, nn.Linear)]


@figure("vanishing", "08-vanishing-gradients.md")
def vanishing(ctx: Context) -> dict[str, Any]:
    """Gradient norms per layer: sigmoid (Xavier) against ReLU (He), 5 and 20 layers deep; and the graph picture
    of 10 sigmoid layers next to 10 ReLU layers, coloured by gradient size (demos.graph_tour)."""
    graph_tour.render("vanishing_gradients", ctx.out, ".png")[-1].replace(ctx.out / "vanishing_graph.png")
    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(7, 4.2))
    numbers = {}
    for activation, colour in (("sigmoid", "#1f77b4"), ("relu", "#d62728")):
        for depth, style in ((5, "o--"), (ctx.size(20, 8), "o-")):
            norms = layer_gradient_norms(activation, depth)
            label = f"{activation}, {depth} layers"
            ax.semilogy(range(1, len(norms) + 1), norms, style, color=colour, markersize=3, label=label)
            numbers[label] = {"first": norms[0], "last": norms[-1], "first_over_last": norms[0] / norms[-1]}
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("||dL/dW|| of the layer")
    ax.set_title("Gradient per layer at the start of training")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    ctx.save(fig, "vanishing_gradients.png")
    return numbers


# ------------------------------------------------------------------------------ 9. batch normalization
def batchnorm_net(weight_std: float, batchnorm: bool, seed: int = 0) -> nn.Sequential:
    """The book's MultiLayerNetExtend: 5 hidden layers of 100 (Affine, [BatchNorm,] ReLU), N(0, std²) weights."""
    autograd.manual_seed(seed)
    layers: list[nn.Module] = []
    for fan_in in [784] + [100] * 4:
        layers.append(nn.Linear(fan_in, 100, weight_init=weight_std))
        if batchnorm:
            layers.append(nn.BatchNorm1d(100, eps=1e-6))  # the book's 10e-7 (PyTorch's default: 1e-5)
        layers.append(nn.ReLU())
    layers.append(nn.Linear(100, 10, weight_init=weight_std))
    return nn.Sequential(*layers)


def batchnorm_run(x: np.ndarray, t: np.ndarray, weight_std: float, batchnorm: bool, epochs: int,
                  seed: int = 0) -> list[float]:
    """Training accuracy after each epoch (the book's batch_norm_test.py: SGD 0.01, batch 100)."""
    model = batchnorm_net(weight_std, batchnorm, seed)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        for _ in range(max(1, len(x) // 100)):
            indices = rng.choice(len(x), 100)
            optimizer.zero_grad()
            F.cross_entropy(model(x[indices]), t[indices]).backward()
            optimizer.step()
        model.eval()  # as the book measures: batch norm with its running statistics
        with autograd.no_grad():
            history.append(float((model(x).data.argmax(1) == t).mean()))
        model.train()
    return history


@figure("batchnorm", "09-batch-norm.md", requires=("nn.BatchNorm1d",))
def batch_norm(ctx: Context) -> dict[str, Any]:
    """Figs. 6-18 and 6-19: training accuracy with and without batch norm, 1,000 images, 16 weight scales."""
    pyplot = plt()
    x, t, _, _ = ctx.mnist()
    x, t = x[:1000], t[:1000]
    scales = np.logspace(0, -4, num=ctx.size(16, 2))
    epochs = ctx.size(20, 2)
    fig, axes = pyplot.subplots(4 if len(scales) == 16 else 1, 4 if len(scales) == 16 else len(scales),
                                figsize=(12, 10) if len(scales) == 16 else (6, 3), sharex=True, sharey=True,
                                squeeze=False)
    numbers = {}
    for ax, scale in zip(axes.flat, scales, strict=True):
        with_bn = batchnorm_run(x, t, float(scale), True, epochs)
        without = batchnorm_run(x, t, float(scale), False, epochs)
        ax.plot(range(1, epochs + 1), with_bn, color="#d62728", label="batch norm")
        ax.plot(range(1, epochs + 1), without, "--", color="#1f77b4", label="without")
        ax.set_title(f"weight std {scale:.2g}", fontsize=10)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        numbers[f"{scale:.3g}"] = {"with": with_bn[-1], "without": without[-1]}
    axes.flat[0].legend(loc="lower right", fontsize=8)
    fig.supxlabel("epochs")
    fig.supylabel("training accuracy (1,000 images)")
    fig.tight_layout()
    ctx.save(fig, "batch_norm.png")
    return numbers


# ------------------------------------------------------------------------------------- 10. overfitting
def overfit_run(x: np.ndarray, t: np.ndarray, x_test: np.ndarray, t_test: np.ndarray, epochs: int,
                weight_decay: float = 0.0, dropout: float = 0.0, seed: int = 0) -> dict[str, list[float]]:
    """The book's overfitting experiment: 6 hidden ReLU layers of 100, SGD 0.01, batch 100, He init.

    Weight decay (lambda/2 * sum W**2, weights only, as the book) and dropout are optional.
    """
    autograd.manual_seed(seed)
    model = nn.MLP([784] + [100] * 6 + [10], dropout=dropout,
                   weight_init=lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"))
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    optimizer = nn.optim.SGD([{"params": weights, "weight_decay": weight_decay}, {"params": biases}], lr=0.01)
    rng = np.random.default_rng(seed)
    history: dict[str, list[float]] = {"train": [], "test": []}
    per_epoch = max(1, len(x) // 100)
    for _ in range(epochs):
        for _ in range(per_epoch):  # the book draws random batches, len(x) / batch of them per epoch
            indices = rng.choice(len(x), 100)
            optimizer.zero_grad()
            F.cross_entropy(model(x[indices]), t[indices]).backward()
            optimizer.step()
        model.eval()
        with autograd.no_grad():
            history["train"].append(float((model(x).data.argmax(1) == t).mean()))
            history["test"].append(float((model(x_test).data.argmax(1) == t_test).mean()))
        model.train()
    return history


@figure("overfitting", "10-overfitting.md")
def overfitting(ctx: Context) -> dict[str, Any]:
    """Figs. 6-20, 6-21 and 6-23: 300 training images, train against test accuracy, plain / weight decay / dropout."""
    pyplot = plt()
    x, t, x_test, t_test = ctx.mnist()
    x, t = x[:300], t[:300]
    runs = {"no regularisation": {"epochs": ctx.size(201, 4)},
            "weight decay λ = 0.1": {"epochs": ctx.size(201, 4), "weight_decay": 0.1},
            "dropout 0.2": {"epochs": ctx.size(301, 4), "dropout": 0.2}}
    fig, axes = pyplot.subplots(1, 3, figsize=(13, 3.8), sharey=True)
    numbers = {}
    for ax, (label, settings) in zip(axes, runs.items(), strict=True):
        history = overfit_run(x, t, x_test, t_test, **settings)
        ax.plot(history["train"], label="train (300 images)", color="#1f77b4")
        ax.plot(history["test"], label="test (10,000 images)", color="#d62728")
        ax.set_title(label)
        ax.set_xlabel("epochs")
        ax.grid(alpha=0.3)
        perfect = [epoch for epoch, accuracy in enumerate(history["train"], 1) if accuracy == 1.0]
        numbers[label] = {"epochs": settings["epochs"], "train": history["train"][-1], "test": history["test"][-1],
                          "best_test": max(history["test"]), "first_epoch_train_100": perfect[0] if perfect else None}
    axes[0].set_ylabel("accuracy")
    axes[0].legend(loc="lower right")
    fig.tight_layout()
    ctx.save(fig, "overfitting.png")
    return numbers


# ----------------------------------------------------------------------- 11. static and dynamic graphs
def training_step(model: nn.Module, optimizer: nn.optim.Optimizer, loss_function: Callable[..., Tensor]) -> Callable:
    """One step of training as a function of the batch: the unit that `autograd.compile` turns into a plan."""

    def step(x: Any, t: Any) -> Tensor:
        optimizer.zero_grad()
        loss = loss_function(model(x), t)
        loss.backward()
        optimizer.step()
        return loss

    return step


def time_per_step(steps: dict[str, Callable[..., Any]], x: np.ndarray, t: np.ndarray, repeats: int,
                  rounds: int = 15) -> dict[str, float]:
    """Microseconds per call of each step: the best of `rounds` timings of `repeats` calls, the steps taking
    turns round by round, so that a busy moment of a shared machine does not favour one of them."""
    for step in steps.values():  # warm up (a compiled step traces twice before it replays)
        for _ in range(3):
            step(x, t)
    best = dict.fromkeys(steps, math.inf)
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(repeats):
                step(x, t)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: 1e6 * seconds / repeats for name, seconds in best.items()}


@figure("graphs", "11-static-and-dynamic-graphs.md", requires=("autograd.compile",))
def static_and_dynamic(ctx: Context) -> dict[str, Any]:
    """Define-by-run (eager: the graph is rebuilt by every step) against define-and-run (`autograd.compile`:
    traced once, then replayed as a fixed program): both pictures, and the time per step of each."""
    autograd.manual_seed(0)
    model = nn.MLP([784, 50, 10])
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    x = rng.random((100, 784), dtype=np.float32)
    t = rng.integers(0, 10, 100)
    with viz.record():
        loss = F.cross_entropy(model(Tensor(x, name="x (the batch)")), t)
    loss.name = "loss"
    loss.backward()
    viz.save_graph(loss, path=ctx.out / "graph_dynamic.png", group_modules=True, rankdir="TB", dpi=DPI,
                   title="Define-by-run: the graph one eager step builds (and the next step builds again)")
    compiled = autograd.compile(training_step(model, optimizer, F.cross_entropy))
    for _ in range(3):
        compiled(x, t)
    viz.save_plan(compiled, path=ctx.out / "graph_static.png", dpi=DPI,
                  title="Define-and-run: the plan autograd.compile replays, in order")

    numbers: dict[str, Any] = {}
    repeats = ctx.size(100, 3)
    autograd.manual_seed(0)
    moons = nn.MLP([2, 25, 50, 25, 2], activation="sigmoid")
    moons_optimizer = nn.optim.SGD(moons.parameters(), lr=0.01)
    cases = {
        "784-50-10 ReLU, batch 100": (model, optimizer, F.cross_entropy, x, t),
        "2-25-50-25-2 sigmoid, one sample (the moons net)": (
            moons, moons_optimizer, F.mse_loss, rng.random((1, 2)).astype(np.float32),
            np.eye(2, dtype=np.float32)[[1]]),
    }
    for label, (net, opt, loss_function, inputs, targets) in cases.items():
        timings = time_per_step({"eager": training_step(net, opt, loss_function),
                                 "compiled": autograd.compile(training_step(net, opt, loss_function))},
                                inputs, targets, repeats)
        eager_us, compiled_us = timings["eager"], timings["compiled"]
        numbers[label] = {"eager_us": round(eager_us, 1), "compiled_us": round(compiled_us, 1),
                          "speedup": round(eager_us / compiled_us, 2)}
    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(8.5, 3))
    labels = list(numbers)
    positions = np.arange(len(labels))
    ax.barh(positions + 0.2, [numbers[k]["eager_us"] for k in labels], 0.4, label="eager (define-by-run)",
            color="#9e9e9e")
    ax.barh(positions - 0.2, [numbers[k]["compiled_us"] for k in labels], 0.4, label="compiled (define-and-run)",
            color="#d62728")
    ax.set_yticks(positions, labels)
    ax.set_xlabel("microseconds per training step (lower is better)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    ctx.save(fig, "graph_speed.png")
    return numbers


# -------------------------------------------------------------------------- 12. backward, step by step
@figure("backward_steps", "12-backward-step-by-step.md")
def backward_steps(ctx: Context) -> dict[str, Any]:
    """Fig. 5-17 as a film: the backward pass of the apples-and-oranges graph, then of a 784-50-10 net."""
    leaves = [Tensor(v, requires_grad=True, name=n) for v, n in
              ((100.0, "apple price"), (2.0, "apples"), (150.0, "orange price"), (3.0, "oranges"), (1.1, "tax"))]
    apple_price, apples, orange_price, oranges, tax = leaves
    with viz.record():
        total = (apple_price * apples + orange_price * oranges) * tax
    total.name = "total"
    apple = viz.watch_backward(total, title="Apples and oranges: the backward pass, one node at a time")
    apple.save_gif(ctx.out / "backward_apple.gif")
    apple.save_html(ctx.out / "backward_apple.html")

    autograd.manual_seed(0)
    model = nn.MLP([784, 50, 10])
    images = Tensor(np.random.default_rng(0).random((3, 784), dtype=np.float32), name="images (3 × 784)")
    with viz.record():
        loss = F.cross_entropy(model(images), np.array([5, 0, 4]))
    loss.name = "loss"
    net = viz.watch_backward(loss, rankdir="TB", title="A 784-50-10 ReLU net: the backward pass, one node at a time")
    net.save_gif(ctx.out / "backward_two_layer.gif", dpi=80)
    net.save_html(ctx.out / "backward_two_layer.html")
    return {"apple_order": apple.order, "two_layer_order": net.order}


# ----------------------------------------------------------------------------------------- the program
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m demos.textbook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--docs", action="store_true", help=f"write into {DOCS_IMAGES} (the pages' pictures)")
    where.add_argument("--out", help="output folder (default: runs/textbook)")
    parser.add_argument("--only", action="append", choices=sorted(FIGURES), metavar="NAME",
                        help="draw only this page's pictures (repeatable; --list shows the names)")
    parser.add_argument("--list", action="store_true", help="list the pictures and their pages, then stop")
    parser.add_argument("--tiny", action="store_true", help="small sizes and few iterations (a smoke test)")
    parser.add_argument("--data-root", help="folder with MNIST files (default: nn.datasets' search order)")
    parser.add_argument("--no-verify", action="store_true",
                        help="accept MNIST-format files that are not the genuine MNIST (checks shapes only)")
    return parser


def compress_png(path: Path, colors: int = 64) -> None:
    """Re-save a picture with an adaptive palette: a quarter of the bytes, no visible change for plots and graphs."""
    try:
        from PIL import Image
    except ImportError:  # the pictures stay as they were drawn
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """The command line; ends like the other demos (one-line errors with status 2, Ctrl-C with 130)."""
    with common.Program("python -m demos.textbook", argv) as program:
        return run(build_parser().parse_args(program.argv))


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Draw the chosen pictures and update numbers.json; return all the numbers."""
    if args.list:
        for item in FIGURES.values():
            note = f"  (needs {', '.join(item.missing())})" if item.missing() else ""
            print(f"{item.name:16s} docs/learn/{item.page}{note}")
        return {}
    out = common.output_folder(str(DOCS_IMAGES) if args.docs else args.out, "textbook")
    ctx = Context(out, tiny=args.tiny, data_root=args.data_root, verify=not args.no_verify)
    numbers_path = out / "numbers.json"
    numbers = json.loads(numbers_path.read_text()) if numbers_path.is_file() else {}
    for name in args.only or FIGURES:
        missing = FIGURES[name].missing()
        if missing:
            print(f"{name}: skipped, this checkout has no {', '.join(missing)} yet")
            continue
        start, started = time.perf_counter(), time.time()
        numbers[name] = FIGURES[name].draw(ctx)
        for path in out.glob("*.png"):
            if path.stat().st_mtime >= started - 1:
                compress_png(path)
        print(f"{name}: {time.perf_counter() - start:.1f} s, pictures in {out}")
        common.write_json(numbers_path, numbers)  # after each: a long run that stops keeps what it measured
    return numbers


if __name__ == "__main__":
    main()
