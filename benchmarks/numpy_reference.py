"""Hand-written NumPy references: what the benchmarks compare our engine against.

Two flavours of the same maths:

* the textbook layers (`Affine`, `Relu`, `Sigmoid`, `SoftmaxWithLoss`, `MeanSquaredError`), each with a
  `forward` and a `backward` written by hand, the way a first course builds a network without autograd;
* `CarefulMLP`, the same MLP step written for speed: buffers allocated once, every elementwise step in
  place, the optimizer update without temporaries. It is the bar an autograd engine cannot beat by
  much, since it does exactly the necessary work and nothing else.

Everything is float32 (the data and parameters are float32, and every Python scalar is 'weak' under
NumPy 2's promotion rules, so nothing silently becomes float64).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


# ---------------------------------------------------------------------- textbook layers
class Affine:
    """y = x @ W + b.  dx = dy @ W^T, dW = x^T @ dy, db = sum of dy over the batch."""

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W, self.b = W, b
        self.x: np.ndarray | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T if need_dx else None


class Relu:
    """y = max(x, 0).  dx = dy where x > 0, else 0."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout[self.mask] = 0
        return dout


class Dropout:
    """Inverted dropout: y = x * mask / (1 - p), mask ~ Bernoulli(1 - p).  dx = dy * mask / (1 - p)."""

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        self.p, self.rng = p, rng

    def forward(self, x: np.ndarray) -> np.ndarray:
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.p
        self.mask = keep * np.float32(1.0 / (1.0 - self.p))
        return x * self.mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.mask


class Sigmoid:
    """y = 1 / (1 + e**-x).  dx = dy * y * (1 - y)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1.0 - self.out) * self.out


class Tanh:
    """y = tanh(x).  dx = dy * (1 - y**2)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1.0 - self.out * self.out)


class SoftmaxWithLoss:
    """loss = mean over the batch of -log softmax(z)[label].  dz = (softmax(z) - onehot(label)) / n."""

    def forward(self, z: np.ndarray, labels: np.ndarray) -> float:
        shifted = z - z.max(axis=1, keepdims=True)  # exp never overflows
        e = np.exp(shifted)
        self.y = e / e.sum(axis=1, keepdims=True)
        self.labels = labels
        n = z.shape[0]
        return float(-np.log(self.y[np.arange(n), labels] + 1e-7).mean())

    def backward(self) -> np.ndarray:
        n = self.y.shape[0]
        dz = self.y.copy()
        dz[np.arange(n), self.labels] -= 1
        return dz / n


class MeanSquaredError:
    """loss = mean((y - t)**2) over all elements.  dy = 2 (y - t) / size."""

    def forward(self, y: np.ndarray, t: np.ndarray) -> float:
        self.diff = y - t
        return float((self.diff * self.diff).mean())

    def backward(self) -> np.ndarray:
        return self.diff * (2.0 / self.diff.size)


# ---------------------------------------------------------------------- models built from the layers
class TextbookMLP:
    """An MLP of Affine layers with `activation` layers between them and a `loss` layer on top."""

    def __init__(self, params: list[np.ndarray], activation: type, loss: type,
                 activate_output: bool = False, dropout: float = 0.0, seed: int = 0) -> None:
        self.params = params  # [W1, b1, W2, b2, ...], updated in place by `sgd`
        self.layers: list[object] = []
        pairs = list(zip(params[0::2], params[1::2], strict=True))
        rng = np.random.default_rng(seed)
        for i, (W, b) in enumerate(pairs):
            self.layers.append(Affine(W, b))
            if i < len(pairs) - 1 or activate_output:
                self.layers.append(activation())
                if dropout and i < len(pairs) - 1:
                    self.layers.append(Dropout(dropout, rng))
        self.loss_layer = loss()

    def loss_and_grads(self, x: np.ndarray, target: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Forward and backward: the loss and the gradients [dW1, db1, dW2, db2, ...]."""
        h = x
        for layer in self.layers:
            h = layer.forward(h)
        loss = self.loss_layer.forward(h, target)
        grad = self.loss_layer.backward()
        affines = [layer for layer in self.layers if isinstance(layer, Affine)]
        for layer in reversed(self.layers):
            if isinstance(layer, Affine):
                grad = layer.backward(grad, need_dx=layer is not affines[0])
            else:
                grad = layer.backward(grad)
        return loss, [g for layer in affines for g in (layer.dW, layer.db)]

    def step(self, x: np.ndarray, target: np.ndarray, lr: float) -> float:
        """One SGD step (forward, backward, update); returns the loss."""
        loss, grads = self.loss_and_grads(x, target)
        for p, g in zip(self.params, grads, strict=True):
            p -= lr * g
        return loss


class Adam:
    """Adam, as PyTorch defines it: p -= lr/(1 - b1**t) * m / (sqrt(v)/sqrt(1 - b2**t) + eps).

    With `weight_decay`, the decoupled decay of AdamW first: p *= 1 - lr * weight_decay.
    """

    def __init__(self, params: list[np.ndarray], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.weight_decay = weight_decay
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.betas
        step_size = self.lr / (1 - b1**self.t)
        root_correction = np.sqrt(1 - b2**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            if self.weight_decay:
                p *= 1 - self.lr * self.weight_decay
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            denom = np.sqrt(v)
            denom /= root_correction
            denom += self.eps
            p -= step_size * m / denom


# ---------------------------------------------------------------------- the careful version
class CarefulMLP:
    """The ReLU MLP step with softmax cross-entropy and SGD, written for speed.

    All activations and gradients live in buffers allocated for the first batch size seen and reused:
    no step allocates a large array, so nothing is freed and page-faulted again every step.
    """

    def __init__(self, params: list[np.ndarray]) -> None:
        self.params = params
        self.shapes: tuple[int, ...] | None = None

    def _allocate(self, n: int) -> None:
        ws = self.params[0::2]
        self.h = [np.empty((n, w.shape[1]), dtype=w.dtype) for w in ws]  # pre-activations, in place relu
        self.dh = [np.empty((n, w.shape[0]), dtype=w.dtype) for w in ws[1:]]
        self.masks = [np.empty((n, w.shape[1]), dtype=bool) for w in ws[:-1]]
        self.grads = [np.empty_like(p) for p in self.params]
        self.rows = np.arange(n)
        self.row_max = np.empty((n, 1), dtype=ws[0].dtype)
        self.row_sum = np.empty((n, 1), dtype=ws[0].dtype)
        self.shapes = (n,)

    def step(self, x: np.ndarray, labels: np.ndarray, lr: float) -> float:
        n = x.shape[0]
        if self.shapes != (n,):
            self._allocate(n)
        ws, bs = self.params[0::2], self.params[1::2]
        last = len(ws) - 1
        inp = x
        for i, (W, b) in enumerate(zip(ws, bs, strict=True)):
            out = self.h[i]
            np.matmul(inp, W, out=out)
            out += b
            if i < last:
                np.greater(out, 0, out=self.masks[i])
                np.maximum(out, 0, out=out)
            inp = out
        z = self.h[last]  # logits -> probabilities in place
        np.max(z, axis=1, keepdims=True, out=self.row_max)
        z -= self.row_max
        np.exp(z, out=z)
        np.sum(z, axis=1, keepdims=True, out=self.row_sum)
        z /= self.row_sum
        loss = float(-np.log(z[self.rows, labels]).mean())
        z[self.rows, labels] -= 1  # dz = (p - onehot) / n, in place
        z *= 1.0 / n
        grad = z
        for i in range(last, -1, -1):
            gW, gb = self.grads[2 * i], self.grads[2 * i + 1]
            np.matmul((self.h[i - 1] if i else x).T, grad, out=gW)
            np.sum(grad, axis=0, out=gb)
            if i:
                below = self.dh[i - 1]
                np.matmul(grad, ws[i].T, out=below)
                below *= self.masks[i - 1]  # relu backward: keep the gradient where the input was > 0
                grad = below
        for p, g in zip(self.params, self.grads, strict=True):
            g *= lr
            p -= g
        return loss


def matmul_floor(params: list[np.ndarray], x: np.ndarray) -> Callable[[], None]:
    """The matrix products of one MLP step alone, at their exact shapes, into preallocated outputs.

    Forward: one per layer; backward: dW for every layer and dx for all but the first. This is the
    floor under any implementation of the step: the rest (elementwise work, Python) adds on top.
    """
    ws = params[0::2]
    n = x.shape[0]
    acts = [x] + [np.ones((n, w.shape[1]), dtype=w.dtype) for w in ws]
    gws = [np.empty_like(w) for w in ws]
    dhs = [np.empty((n, w.shape[0]), dtype=w.dtype) for w in ws]

    def run() -> None:
        for i, w in enumerate(ws):
            np.matmul(acts[i], w, out=acts[i + 1])
        for i in range(len(ws) - 1, -1, -1):
            np.matmul(acts[i].T, acts[i + 1], out=gws[i])
            if i:
                np.matmul(acts[i + 1], ws[i].T, out=dhs[i])

    return run


# ---------------------------------------------------------------------- the per-op chain
def chain_forward(x: np.ndarray, n_ops: int, factor: float) -> np.ndarray:
    """y = x * factor ** n_ops, one multiplication at a time (the tape a hand-written backward needs
    here is just the constant factor, so nothing is stored)."""
    y = x
    for _ in range(n_ops):
        y = y * factor
    return y


def chain_backward(grad: np.ndarray, n_ops: int, factor: float) -> np.ndarray:
    """d(sum y)/dx for the chain above: the upstream gradient times the factor, once per op."""
    g = grad
    for _ in range(n_ops):
        g = g * factor
    return g


def chain_with_tape(x: np.ndarray, n_ops: int, factor: float) -> tuple[np.ndarray, list[np.ndarray]]:
    """The chain as a generic reverse-mode engine would run it: every intermediate kept on a tape."""
    tape = []
    y = x
    for _ in range(n_ops):
        tape.append(y)
        y = y * factor
    return y, tape
