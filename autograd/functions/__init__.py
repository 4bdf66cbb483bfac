"""The primitives: each a `Function` with its forward and backward side by side.

Composite operations (mean, softmax cross-entropy, stack, ...) are built from these in `autograd.ops`.
"""

from autograd.functions.arithmetic import Add, Div, Mul, Neg, Pow, PowConstant, Sub
from autograd.functions.elementwise import (
    Abs,
    Cast,
    Clip,
    Exp,
    LeakyReLU,
    Log,
    Maximum,
    Minimum,
    ReLU,
    Sigmoid,
    Sqrt,
    Tanh,
    Where,
)
from autograd.functions.linalg import Linear, MatMul
from autograd.functions.reduction import LogSumExp, Max, Min, Sum
from autograd.functions.shape import (
    BroadcastTo,
    Concatenate,
    GetItem,
    IndexAdd,
    Repeat,
    Reshape,
    SumSegments,
    Transpose,
    sum_to,
)
from autograd.functions.softmax import LogSoftmax, Softmax, SoftmaxCrossEntropy

__all__ = [
    "Abs", "Add", "BroadcastTo", "Cast", "Clip", "Concatenate", "Div", "Exp", "GetItem", "IndexAdd",
    "LeakyReLU", "Linear", "Log", "LogSoftmax", "LogSumExp", "MatMul", "Max", "Maximum", "Min", "Minimum",
    "Mul", "Neg", "Pow", "PowConstant", "ReLU", "Repeat", "Reshape", "Sigmoid", "Softmax", "SoftmaxCrossEntropy",
    "Sqrt", "Sub", "Sum", "SumSegments", "Tanh", "Transpose", "Where", "sum_to",
]

# Images and normalization (convolution, pooling, batch/layer norm): the primitives behind nn's CNN layers.
from autograd.functions.conv import AvgPool2d, Col2Im, Conv2d, Im2Col, MaxPool2d  # noqa: E402
from autograd.functions.normalization import Normalize  # noqa: E402

__all__ += ["AvgPool2d", "Col2Im", "Conv2d", "Im2Col", "MaxPool2d", "Normalize"]
