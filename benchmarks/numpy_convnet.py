"""The textbook's convolutional layers, hand-written in NumPy: what the conv-net benchmark compares against.

`im2col`, `col2im`, `Convolution` and `Pooling` follow the textbook's chapter 7 (common/util.py and
common/layers.py) line for line, with two changes that keep the comparison fair: arrays are allocated in
the input's dtype (the book's `np.zeros` would silently compute in float64), and the first layer can skip
its input gradient (`need_dx=False`), which no training step needs and our engine does not compute
either. `SimpleConvNet` is the book's network: conv (30 filters 5x5, stride 1, pad 0) - ReLU - 2x2 max
pool - Affine 100 - ReLU - Affine 10 - softmax with loss.
"""

from __future__ import annotations

import numpy as np

from benchmarks.numpy_reference import Adam, Affine, Relu, SoftmaxWithLoss


def im2col(input_data: np.ndarray, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Images (N, C, H, W) -> one row per output pixel: (N * out_h * out_w, C * filter_h * filter_w)."""
    n, c, h, w = input_data.shape
    out_h = (h + 2 * pad - filter_h) // stride + 1
    out_w = (w + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((n, c, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * out_h * out_w, -1)


def col2im(col: np.ndarray, input_shape: tuple[int, ...], filter_h: int, filter_w: int, stride: int = 1,
           pad: int = 0) -> np.ndarray:
    """The inverse bookkeeping of im2col: add every row entry back onto its pixel."""
    n, c, h, w = input_shape
    out_h = (h + 2 * pad - filter_h) // stride + 1
    out_w = (w + 2 * pad - filter_w) // stride + 1
    col = col.reshape(n, out_h, out_w, c, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:h + pad, pad:w + pad]


class Convolution:
    """out = im2col(x) @ W.reshape(FN, -1).T + b.  dW = col^T @ dout, dx = col2im(dout @ col_W^T)."""

    def __init__(self, W: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> None:
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x: np.ndarray) -> np.ndarray:
        fn, c, fh, fw = self.W.shape
        n, c, h, w = x.shape
        out_h = 1 + (h + 2 * self.pad - fh) // self.stride
        out_w = 1 + (w + 2 * self.pad - fw) // self.stride
        col = im2col(x, fh, fw, self.stride, self.pad)
        col_W = self.W.reshape(fn, -1).T
        out = np.dot(col, col_W) + self.b
        out = out.reshape(n, out_h, out_w, -1).transpose(0, 3, 1, 2)
        self.x, self.col, self.col_W = x, col, col_W
        return out

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        fn, c, fh, fw = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, fn)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout).transpose(1, 0).reshape(fn, c, fh, fw)
        if not need_dx:
            return None
        dcol = np.dot(dout, self.col_W.T)
        return col2im(dcol, self.x.shape, fh, fw, self.stride, self.pad)


class Pooling:
    """Max pooling through im2col: the max of each row; backward puts dout where the argmax was."""

    def __init__(self, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0) -> None:
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x: np.ndarray) -> np.ndarray:
        n, c, h, w = x.shape
        out_h = 1 + (h - self.pool_h) // self.stride
        out_w = 1 + (w - self.pool_w) // self.stride
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad).reshape(-1, self.pool_h * self.pool_w)
        self.arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1).reshape(n, out_h, out_w, c).transpose(0, 3, 1, 2)
        self.x = x
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))
        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class Flatten4d:
    """The reshape the textbook's Affine layer does on 4-d input, as its own step: (N, C, H, W) <-> (N, -1)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self.shape)


class SimpleConvNet:
    """The textbook's SimpleConvNet on parameters [W1 (30, 1, 5, 5), b1, W2 (4320, 100), b2, W3 (100, 10), b3],
    trained with Adam (the book's recipe: lr 0.001)."""

    def __init__(self, params: list[np.ndarray], lr: float = 1e-3) -> None:
        self.params = params
        w1, b1, w2, b2, w3, b3 = params
        self.layers = [Convolution(w1, b1), Relu(), Pooling(2, 2, stride=2), Flatten4d(), Affine(w2, b2), Relu(),
                       Affine(w3, b3)]
        self.loss_layer = SoftmaxWithLoss()
        self.optimizer = Adam(params, lr=lr)

    def step(self, x: np.ndarray, labels: np.ndarray) -> float:
        h = x
        for layer in self.layers:
            h = layer.forward(h)
        loss = self.loss_layer.forward(h, labels)
        grad = self.loss_layer.backward()
        for layer in reversed(self.layers[1:]):
            grad = layer.backward(grad)
        self.layers[0].backward(grad, need_dx=False)
        conv, fc1, fc2 = self.layers[0], self.layers[4], self.layers[6]
        self.optimizer.step([conv.dW, conv.db, fc1.dW, fc1.db, fc2.dW, fc2.db])
        return loss
