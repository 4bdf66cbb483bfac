"""autograd: a NumPy-backed tensor library that records operations and differentiates them.

    >>> from autograd import Tensor
    >>> price = Tensor(100.0, requires_grad=True)
    >>> total = price * 2 * 1.1          # two apples, 10% tax
    >>> total.backward()
    >>> round(price.grad.item(), 6)
    2.2

The pieces: `Tensor` (tensor.py) holds data and the node that made it; `Function` (function.py) is the
base of every differentiable op, whose primitives live in `autograd.functions`; `graph.py` runs the
backward pass in topological order; `mode.py` has `no_grad`. To test gradients: `gradcheck.py`
(`gradcheck`, `gradgradcheck`, `numerical_grad`), `func` (JAX-style `grad`, `jacobian`, `hessian`, ...)
and `autograd.testing` (hypothesis strategies and one-line property tests; see docs/testing.md).
"""

from autograd import func  # JAX-style transforms: autograd.func.grad, jacobian, hessian, vjp, hvp
from autograd.creation import (
    arange,
    as_tensor,
    eye,
    full,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from autograd.dtypes import get_default_dtype, set_default_dtype
from autograd.errors import DtypeError, GraphError, ShapeError
from autograd.function import Function
from autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from autograd.graph import grad, topological_order
from autograd.mode import (
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    scope,
    set_grad_enabled,
)
from autograd.ops import (
    abs,
    broadcast_to,
    clip,
    concatenate,
    exp,
    expand_dims,
    flatten,
    leaky_relu,
    linear,
    log,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    mean,
    minimum,
    relu,
    repeat,
    reshape,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    sqrt,
    squeeze,
    stack,
    sum,
    tanh,
    transpose,
    where,
)
from autograd.tensor import Tensor  # noqa: I001  (must come before the modules that use it)

__version__ = "0.1.0"

__all__ = [
    "DtypeError", "Function", "GraphError", "ShapeError", "Tensor", "abs", "arange", "as_tensor",
    "broadcast_to", "clip", "concatenate", "detect_anomaly", "enable_grad", "exp", "expand_dims", "eye",
    "flatten", "full", "func", "get_default_dtype", "grad", "GradcheckError", "gradcheck", "gradgradcheck",
    "is_anomaly_enabled", "is_grad_enabled", "leaky_relu", "linear", "log", "log_softmax", "logsumexp", "manual_seed",
    "matmul", "maximum", "mean", "minimum", "no_grad", "numerical_grad",
    "ones", "ones_like", "rand", "randn", "relu", "repeat", "reshape", "scope", "set_default_dtype",
    "set_grad_enabled", "sigmoid", "softmax", "softmax_cross_entropy", "sqrt", "squeeze", "stack", "sum", "tanh",
    "tensor", "topological_order", "transpose", "where", "zeros", "zeros_like",
]
