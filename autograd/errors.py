"""Exceptions with the conventions of both worlds our users come from.

NumPy code catches ValueError and TypeError; PyTorch code catches RuntimeError. Each of our errors is
both, so `except ValueError` and `except RuntimeError` work alike, and the message names the operation,
the shapes or dtypes involved, and what was expected.
"""


class ShapeError(ValueError, RuntimeError):
    """Operand shapes do not fit the operation, e.g. `matmul: shapes (3, 4) and (5, 2) are not aligned`."""


class DtypeError(TypeError, RuntimeError):
    """A dtype cannot do what was asked, e.g. an integer tensor asked to require grad."""


class GraphError(RuntimeError):
    """The graph cannot be differentiated as asked: freed graph, in-place change, non-scalar output."""
