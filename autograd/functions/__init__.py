"""The primitives: each a `Primitive` with its forward and backward side by side.

Convolution and pooling (`conv.py`) and batch and layer normalization (`normalization.py`) are the
primitives behind nn's CNN layers. `SoftmaxCrossEntropy`, `Linear`, `LogSumExp`, `Softmax`, `LogSoftmax`
and `Normalize` are fused primitives
(one node where a composition would do, for numerical stability or speed). Composite operations (mean,
var, stack, tile, ...) are built from primitives in `autograd.ops`.
"""

from autograd.functions.arithmetic import Add, Div, Mul, Neg, Pow, PowConstant, Sub
from autograd.functions.conv import AvgPool2d, Col2Im, Conv2d, Im2Col, MaxPool2d
from autograd.functions.elementwise import (
    Abs,
    Cast,
    Clip,
    Compare,
    Dropout,
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
from autograd.functions.normalization import Normalize
from autograd.functions.reduction import ArgReduce, LogSumExp, Max, Min, Sum
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
    "Abs", "Add", "ArgReduce", "AvgPool2d", "BroadcastTo", "Cast", "Clip", "Col2Im", "Compare", "Concatenate",
    "Conv2d", "Div", "Dropout", "Exp", "GetItem", "Im2Col", "IndexAdd", "LeakyReLU", "Linear", "Log", "LogSoftmax",
    "LogSumExp", "MatMul", "Max", "Maximum", "MaxPool2d", "Min", "Minimum", "Mul", "Neg", "Normalize", "Pow",
    "PowConstant", "ReLU", "Repeat", "Reshape", "Sigmoid", "Softmax", "SoftmaxCrossEntropy", "Sqrt", "Sub", "Sum",
    "sum_to", "SumSegments", "Tanh", "Transpose", "Where",
]
