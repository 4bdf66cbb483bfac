"""Comparisons: `< <= > >= == !=` elementwise, with broadcasting and the dtype rule; boolean results.

They are recorded like any op (the `Compare` primitive, which passes no gradient) so that
`autograd.compile` traces them: a mask computed from a traced value stays traced.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.functions import Compare
from autograd.ops import operands
from autograd.tensor import Tensor

__all__ = ["eq", "ge", "gt", "le", "lt", "ne"]


def _compare(ufunc: np.ufunc, a: Any, b: Any) -> Tensor:
    x, y = operands(a, b, ufunc.__name__)
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = Tensor._make(np.asarray(x))
    return Compare.apply(x, y, ufunc)


def lt(a: Any, b: Any) -> Tensor:
    return _compare(np.less, a, b)


def le(a: Any, b: Any) -> Tensor:
    return _compare(np.less_equal, a, b)


def gt(a: Any, b: Any) -> Tensor:
    return _compare(np.greater, a, b)


def ge(a: Any, b: Any) -> Tensor:
    return _compare(np.greater_equal, a, b)


def eq(a: Any, b: Any) -> Tensor:
    return _compare(np.equal, a, b)


def ne(a: Any, b: Any) -> Tensor:
    return _compare(np.not_equal, a, b)
