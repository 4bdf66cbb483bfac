"""The primitives: each a `Primitive` with its forward and backward side by side.

`SoftmaxCrossEntropy`, `Linear`, `LogSumExp`, `Sigmoid`, `Softmax` and `LogSoftmax` are fused primitives
(one node where a composition would do, for numerical stability or speed). Composite operations (mean,
var, stack, tile, ...) are built from primitives in `autograd.ops`.
"""

from autograd.functions.arithmetic import Add, Div, Mul, Neg, Pow, PowConstant, Sub
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
    "Abs", "Add", "ArgReduce", "BroadcastTo", "Cast", "Clip", "Compare", "Concatenate", "Div", "Dropout", "Exp",
    "GetItem", "IndexAdd", "LeakyReLU", "Linear", "Log", "LogSoftmax", "LogSumExp", "MatMul", "Max", "Maximum",
    "Min", "Minimum", "Mul", "Neg", "Pow", "PowConstant", "ReLU", "Repeat", "Reshape", "Sigmoid", "Softmax",
    "SoftmaxCrossEntropy", "Sqrt", "Sub", "Sum", "sum_to", "SumSegments", "Tanh", "Transpose", "Where",
]
