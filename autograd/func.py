"""Functional transforms, JAX style: functions that take a function and return its derivative.

    >>> import numpy as np
    >>> from autograd import func
    >>> cube = lambda x: (x ** 3).sum()
    >>> float(func.grad(cube)(np.array(2.0)))
    12.0
    >>> float(func.grad(func.grad(cube))(np.array(2.0)))
    12.0

All of them are a few lines on top of `autograd.grad`. Arguments may be Tensors, NumPy arrays or numbers
(converted to tensors; Python floats get the default dtype, so pass float64 arrays for precise work).

How they compose: a transform records the backward pass as a graph (`create_graph=True`) exactly when
something outside the call may differentiate its result: one of its arguments already requires grad
(an outer transform, or the user, is differentiating through it), or f uses a tensor that requires
grad from its closure (model weights in a gradient penalty). So `grad(grad(f))`, `jacobian(grad(f))`
(that is `hessian`) and a gradient inside a loss all work, while a plain call returns constants and
frees its graph.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import dtypes, graph, mode
from autograd.errors import DtypeError, ShapeError
from autograd.tensor import Tensor

__all__ = ["grad", "hessian", "hvp", "jacobian", "value_and_grad", "vjp"]

ArgNums = int | Sequence[int]


# ---------------------------------------------------------------------- shared plumbing
def _argnums(argnums: ArgNums, nargs: int, op: str) -> tuple[int, ...]:
    items = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not items:
        raise ValueError(f"{op}: argnums must name at least one argument")
    result = []
    for a in items:
        if not isinstance(a, int) or not -nargs <= a < nargs:
            raise IndexError(f"{op}: argnums {a!r} is out of range for a call with {nargs} positional arguments")
        result.append(a % nargs)
    return tuple(result)


def _differentiable(value: Any, position: int, op: str) -> Tensor:
    """A tensor that requires grad for argument `position`: the argument itself if it already does."""
    if isinstance(value, Tensor):
        if value.requires_grad:
            return value  # keep the connection to whoever is differentiating through it
        array = value.data
    else:
        try:
            array = dtypes.to_array(value)
        except TypeError as error:
            raise TypeError(f"{op}: argument {position} cannot be differentiated: {error}") from None
    if array.dtype.kind != "f":
        raise DtypeError(
            f"{op}: argument {position} has dtype {array.dtype} (shape {array.shape}); only floating "
            "arguments can be differentiated (write 3.0, not 3, or convert with .astype(np.float64))"
        )
    return Tensor._make(array).requires_grad_(True)


def _prepare(args: tuple[Any, ...], positions: Sequence[int], op: str) -> tuple[list[Any], bool]:
    """Make the differentiated arguments require grad; say whether one already did (an outer transform)."""
    outer = any(isinstance(a, Tensor) and a.requires_grad for a in args)
    new_args = list(args)
    for i in positions:
        new_args[i] = _differentiable(args[i], i, op)
    return new_args, outer


def _record_backward(outer: bool, outputs: Sequence[Any], own: Sequence[Tensor]) -> bool:
    """Record the backward pass (create_graph) if anything outside this call may differentiate it.

    That is when grad mode is on and either an argument already required grad, or the outputs depend
    on a leaf that requires grad other than the ones this call created: a tensor captured by f's closure
    (model weights in a gradient penalty, say).
    """
    if not mode.is_grad_enabled():
        return False
    if outer:
        return True
    own_ids = {id(t) for t in own}
    roots = []
    for out in outputs:
        if isinstance(out, Tensor) and out.requires_grad:
            if out.grad_fn is None:
                if id(out) not in own_ids:
                    return True
            else:
                roots.append(out.grad_fn)
    for node in graph.topological_order(roots):
        for edge in node.next_edges:
            if edge is not None and isinstance(edge[0], Tensor) and id(edge[0]) not in own_ids:
                return True
    return False


def _as_tensor_output(value: Any, op: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    try:
        return Tensor._make(dtypes.to_array(value))
    except TypeError:
        raise TypeError(f"{op}: the function must return a Tensor, got {type(value).__name__}") from None


def _zeros_for_unused(grads: Sequence[Tensor | None], wrt: Sequence[Tensor]) -> tuple[Tensor, ...]:
    """An output that does not depend on an input has a zero gradient (autograd.grad says None)."""
    return tuple(Tensor._make(np.zeros(w.shape, dtype=w.dtype)) if g is None else g
                 for g, w in zip(grads, wrt, strict=True))


def _grads(outputs: Sequence[Tensor], wrt: Sequence[Tensor], grad_outputs: Sequence[Any] | None,
           create_graph: bool, retain_graph: bool | None = None) -> tuple[Tensor, ...]:
    pairs = [(o, None if grad_outputs is None else grad_outputs[k]) for k, o in enumerate(outputs)
             if o.requires_grad]
    if not pairs:  # nothing depends on the inputs
        return _zeros_for_unused([None] * len(wrt), wrt)
    gouts = None if grad_outputs is None else [g for _, g in pairs]
    grads = graph.grad([o for o, _ in pairs], list(wrt), grad_outputs=gouts, retain_graph=retain_graph,
                       create_graph=create_graph, allow_unused=True)
    return _zeros_for_unused(grads, wrt)


def _shaped_like(value: Any, like: Tensor, what: str, like_name: str) -> Tensor:
    """`value` as a tensor of `like`'s dtype, which must have `like`'s shape (a cotangent or a vector)."""
    tensor = value if isinstance(value, Tensor) else Tensor._make(np.asarray(value, dtype=like.dtype))
    if tensor.shape != like.shape:
        raise ShapeError(f"{what} has shape {tensor.shape}, but {like_name} has shape {like.shape}")
    return tensor


def _value(out: Tensor, nested: bool) -> Tensor:
    """The function's value, still in the graph only when someone is differentiating through it."""
    return out if nested else out.detach()


def _pick(items: tuple[Any, ...], argnums: ArgNums) -> Any:
    return items[0] if isinstance(argnums, int) else items


# ---------------------------------------------------------------------- the transforms
def value_and_grad(f: Callable[..., Any], argnums: ArgNums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """Return a function computing `(f(*args), gradient of f w.r.t. args[argnums])` in one pass.

    f must return a single value (a tensor with one element). With `has_aux=True` f returns a pair
    `(value, aux)`, and the result is `((value, aux), grads)`: aux (metrics, predictions) rides along
    without being differentiated. With a tuple `argnums`, the gradients are a tuple in the same order.
    An argument that f does not use gets a zero gradient.
    """
    return _value_and_grad(f, argnums, has_aux, "value_and_grad")


def _value_and_grad(f: Callable[..., Any], argnums: ArgNums, has_aux: bool, op: str) -> Callable[..., Any]:
    @functools.wraps(f)
    def value_and_grad_f(*args: Any, **kwargs: Any) -> Any:
        positions = _argnums(argnums, len(args), op)
        new_args, outer = _prepare(args, positions, op)
        with mode.enable_grad():
            result = f(*new_args, **kwargs)
        if has_aux:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise TypeError(f"{op}: with has_aux=True the function must return a pair (value, aux), "
                                f"got {type(result).__name__}")
            result, aux = result
        out = _as_tensor_output(result, op)
        if out.size != 1:
            raise ShapeError(
                f"{op}: the function must return a single value (a tensor with one element) to be "
                f"differentiated, got shape {out.shape}; use jacobian() or vjp() for other outputs"
            )
        wrt = [new_args[i] for i in positions]
        nested = _record_backward(outer, [out], wrt)
        grads = _grads([out], wrt, None, create_graph=nested)
        value = _value(out, nested)
        return ((value, aux) if has_aux else value), _pick(grads, argnums)

    return value_and_grad_f


def grad(f: Callable[..., Any], argnums: ArgNums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """Return a function computing the gradient of f (a single-value function) w.r.t. args[argnums].

        >>> from autograd import func
        >>> import numpy as np
        >>> g = func.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))
        >>> [t.tolist() for t in g(np.array([1.0, 2.0]), np.array([3.0, 4.0]))]
        [[3.0, 4.0], [1.0, 2.0]]

    Composes: `grad(grad(f))` is the second derivative of a scalar function. With `has_aux=True`, f
    returns `(value, aux)` and the result is `(grads, aux)`.
    """
    inner = _value_and_grad(f, argnums, has_aux, "grad")

    @functools.wraps(f)
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        value, grads = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return grad_f


def jacobian(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """Return a function computing the Jacobian of f w.r.t. args[argnums], by reverse mode.

    For an output of shape S and an input of shape T the Jacobian has shape S + T:
    J[s + t] = d out[s] / d in[t]. It takes one backward pass per output element (with a one-hot
    upstream gradient), so it suits small outputs. A tuple `argnums` gives a tuple of Jacobians; a
    function returning a tuple of outputs gives a tuple (one entry per output) of those.
    """

    @functools.wraps(f)
    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        positions = _argnums(argnums, len(args), "jacobian")
        new_args, outer = _prepare(args, positions, "jacobian")
        wrt = [new_args[i] for i in positions]
        with mode.enable_grad():
            result = f(*new_args, **kwargs)
        outputs = [_as_tensor_output(r, "jacobian") for r in (result if isinstance(result, tuple) else (result,))]
        nested = _record_backward(outer, outputs, wrt)
        per_output = tuple(_pick(_jacobian_of(out, wrt, nested), argnums) for out in outputs)
        return per_output if isinstance(result, tuple) else per_output[0]

    return jacobian_f


def _jacobian_of(out: Tensor, wrt: list[Tensor], nested: bool) -> tuple[Tensor, ...]:
    rows: list[list[Tensor]] = [[] for _ in wrt]
    for k in range(out.size):
        one_hot = np.zeros(out.shape, dtype=out.dtype)
        one_hot.flat[k] = 1
        grads = _grads([out], wrt, [Tensor._make(one_hot)], create_graph=nested, retain_graph=True)
        for row, g in zip(rows, grads, strict=True):
            row.append(g)
    jacobians = []
    for row, w in zip(rows, wrt, strict=True):
        shape = out.shape + w.shape
        if not row:  # an empty output: an empty Jacobian
            jacobians.append(Tensor._make(np.zeros(shape, dtype=w.dtype)))
        elif nested:
            from autograd import shape_ops

            jacobians.append(shape_ops.stack(row).reshape(shape))
        else:
            jacobians.append(Tensor._make(np.stack([g.data for g in row]).reshape(shape)))
    return tuple(jacobians)


def hessian(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """Return a function computing the Hessian of a single-value f: the Jacobian of its gradient.

    For an input of shape T the Hessian has shape T + T. With a tuple `argnums` the result is a nested
    tuple: `hessian(f, (0, 1))(x, y)[i][j]` holds the second derivatives w.r.t. args i and j.
    """
    return jacobian(grad(f, argnums), argnums)


def vjp(f: Callable[..., Any], *inputs: Any) -> tuple[Any, Callable[..., tuple[Tensor, ...]]]:
    """Evaluate f at `inputs` and return `(output, vjp_fn)`.

    `vjp_fn(v)` returns v^T J, the vector-Jacobian product, as a tuple with one tensor per input; `v`
    has the output's shape (a tuple of them if f returns a tuple). vjp_fn may be called many times:
    the graph is kept for it. This is what backward computes, without touching `.grad`.
    """
    new_args, outer = _prepare(inputs, range(len(inputs)), "vjp")
    with mode.enable_grad():
        result = f(*new_args)
    several = isinstance(result, tuple)
    outputs = [_as_tensor_output(r, "vjp") for r in (result if several else (result,))]
    nested = _record_backward(outer, outputs, new_args)

    def vjp_fn(cotangent: Any) -> tuple[Tensor, ...]:
        items = list(cotangent) if several else [cotangent]
        if len(items) != len(outputs):
            raise ValueError(f"vjp: got {len(items)} cotangents for {len(outputs)} outputs")
        gouts = [_shaped_like(v, out, f"vjp: cotangent {k}", f"output {k}") for k, (v, out) in
                 enumerate(zip(items, outputs, strict=True))]
        return _grads(outputs, new_args, gouts, create_graph=nested, retain_graph=True)

    values = tuple(_value(out, nested) for out in outputs)
    return (values if several else values[0]), vjp_fn


def hvp(f: Callable[..., Any], inputs: Any, v: Any) -> tuple[Tensor, Any]:
    """Hessian-vector product of a single-value f at `inputs`, without forming the Hessian.

    Follows `torch.autograd.functional.hvp`: `inputs` and `v` are a tensor each, or tuples of the same
    length, and the result is `(f(*inputs), H v)` with H v shaped like `inputs`. It costs two backward
    passes: g = grad(f) with create_graph=True, then the gradient of <g, v>, which is H v because the
    Hessian is symmetric.
    """
    several = isinstance(inputs, (tuple, list))
    xs = tuple(inputs) if several else (inputs,)
    vs = list(v) if several and isinstance(v, (tuple, list)) else [v]
    if len(vs) != len(xs):
        raise ValueError(f"hvp: got {len(vs)} vectors for {len(xs)} inputs")
    new_args, outer = _prepare(xs, range(len(xs)), "hvp")
    with mode.enable_grad():
        out = _as_tensor_output(f(*new_args), "hvp")
        if out.size != 1:
            raise ShapeError(f"hvp: the function must return a single value, got shape {out.shape}")
        nested = _record_backward(outer, [out], new_args)
        first = _grads([out], new_args, None, create_graph=True)
    vectors = [_shaped_like(vec, x, f"hvp: v {k}", f"input {k}") for k, (vec, x) in
               enumerate(zip(vs, new_args, strict=True))]
    products = _grads(list(first), new_args, vectors, create_graph=nested)
    return _value(out, nested), (products if several else products[0])
