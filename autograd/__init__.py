"""autograd: a NumPy-backed tensor library that records operations and differentiates them.

    >>> from autograd import Tensor
    >>> price = Tensor(100.0, requires_grad=True)
    >>> total = price * 2 * 1.1          # two apples, 10% tax
    >>> total.backward()
    >>> round(price.grad.item(), 6)
    2.2

The pieces, each building only on the ones before it:

* `tensor.py`: `Tensor`, the data and the graph fields (`versions.py` is the clock and the in-place record);
* `function.py`: `Function` and `Primitive`, an operation and the node it records; the primitives are in
  `autograd.functions`, each forward beside its backward;
* `ops.py`, `shape_ops.py`: every operation as a function (argument checks, the dtype rule);
  `methods.py` binds them to Tensor as operators and methods, in one table;
* `graph.py`: the backward pass, `backward()` and `grad()`; `mode.py`: `no_grad` and friends;
* tools on top: `gradcheck` (numerical gradient checks), `func` (JAX-style `grad`, `jacobian`, ...),
  `autograd.testing` (hypothesis strategies, property tests) and `autograd.viz` (pictures of graphs).
"""

from autograd.tensor import Tensor  # noqa: I001 - the layers in order: tensor, nodes, operations, methods
from autograd.function import Function, Primitive
from autograd.ops import (
    abs, add, argmax, argmin, cast, clip, div, exp, leaky_relu, linear, log, log_softmax, logsumexp,
    matmul, max, maximum, mean, min, minimum, mul, neg, pow, relu, sigmoid, softmax, softmax_cross_entropy,
    sqrt, sub, sum, tanh, var, where,
)
from autograd.shape_ops import (
    broadcast_to, concatenate, expand, expand_dims, flatten, permute, repeat, reshape, squeeze, stack,
    swapaxes, tile, transpose,
)
from autograd import methods  # noqa: F401 - binds the operators and methods to Tensor
from autograd.graph import backward, grad, topological_order
from autograd.creation import (
    arange, as_tensor, default_generator, eye, full, manual_seed, ones, ones_like, rand, randn, tensor,
    zeros, zeros_like,
)
from autograd.dtypes import get_default_dtype, set_default_dtype
from autograd.errors import DtypeError, GraphError, ShapeError
from autograd.mode import (
    detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad, scope, set_grad_enabled,
)
from autograd.gradcheck import GradcheckError, compare_with_numerical, gradcheck, gradgradcheck, numerical_grad
from autograd.compiler import CompileError, Compiled, compile, opaque
from autograd import func  # JAX-style transforms: autograd.func.grad, jacobian, hessian, vjp, hvp

__version__ = "0.1.0"

cat = concatenate  # PyTorch's name
unsqueeze = expand_dims  # PyTorch's name

__all__ = [
    "abs", "add", "arange", "argmax", "argmin", "as_tensor", "backward", "broadcast_to", "cast", "cat", "clip",
    "compare_with_numerical", "compile", "Compiled", "CompileError", "concatenate", "default_generator",
    "detect_anomaly", "div", "DtypeError", "enable_grad", "exp", "expand", "expand_dims", "eye", "flatten", "full",
    "func", "Function", "get_default_dtype", "grad", "gradcheck", "GradcheckError", "gradgradcheck", "GraphError",
    "is_anomaly_enabled", "is_grad_enabled", "leaky_relu", "linear", "log", "log_softmax", "logsumexp",
    "manual_seed", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "no_grad", "numerical_grad",
    "ones", "ones_like", "opaque", "permute", "pow", "Primitive", "rand", "randn", "relu", "repeat", "reshape",
    "scope", "set_default_dtype", "set_grad_enabled", "ShapeError", "sigmoid", "softmax", "softmax_cross_entropy",
    "sqrt", "squeeze", "stack", "sub", "sum", "swapaxes", "tanh", "Tensor", "tensor", "tile", "topological_order",
    "transpose", "unsqueeze", "var", "where", "zeros", "zeros_like",
]
