"""Differential test: random programs must give the same values and gradients here and in PyTorch.

Hypothesis draws small programs -- chains of operations over 1 to 3 inputs of mutually broadcastable
shapes (0-d, size-0 and size-1 axes included), in float32, float64 and integers, with tied, large, tiny
and edge values (0, -0, +-inf) -- and runs every line in both engines as it is drawn: a program is a
list of source lines, one in our public API and one in PyTorch's, evaluated with `eval`, so the repro
printed on a failure is exactly what ran. After each line the two results must agree: both refuse (ours
with a clean error that names the operation) or both give the same shape, dtype, requires_grad and values
(NaN positions, infinities and signs exact; finite values within a tolerance for the dtype), and ours
emits no warning (PyTorch emits none). At the end, vector-Jacobian products of the program's unused
results with random upstream gradients must agree, through `autograd.grad` without and with
`create_graph`, and so must a VJP of those first gradients (second order).

Tolerances: 1e-4 relative for float32, 1e-7 for float64. The same program also runs in PyTorch with
every float in float64 (the "shadow"); its distance to PyTorch's result measures how much float32 steps
and ill-conditioning (cancellation in var, exp of large numbers) blur that value, and 10 times that
distance is allowed on top; where float32 overflows and float64 does not, the element is not compared.
Second derivatives at a singularity (a program with an infinite or NaN value or first gradient) are
compared where both engines give finite numbers: whether inf or NaN comes out there depends on how a
backward formula is written.

Deliberate differences. Where our semantics differ from PyTorch on purpose, the difference is a row of
DIFFERENCES below (the same table is in docs/api.md, "Differences from PyTorch"). The PyTorch side of
a program expresses our semantics through the adapters listed with it (`to_float`, `refuse`,
`logsumexp_ours`, or a `.to(dtype)` cast), or the row says what is not compared; the repro names the
rules it used. Nothing else is excused.

Each family of operations (elementwise, reductions, shapes and indexing, linear algebra, dtypes,
everything mixed) draws PROGRAMS_PER_EXAMPLE_BUDGET times the hypothesis profile's example count
(60 programs each in the dev and ci profiles, 1000 with --hypothesis-profile=thorough);
`test_pinned_program` runs hand-written programs for the semantics that issue 11 names.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import autograd as ag

torch = pytest.importorskip("torch")
F = torch.nn.functional

inf, nan = math.inf, math.nan
SEED = 20240611  # the upstream gradients' generator: fixed, so a program always gets the same ones
PROGRAMS_PER_EXAMPLE_BUDGET = 1  # each family draws this many times the profile's max_examples programs
MAX_STEPS = 5  # operations per program (inputs not counted)
MAX_SIZE = 48  # elements per tensor; an operation that would make a bigger one draws a smaller variant

# ---------------------------------------------------------------------------------------------------
# The deliberate differences from PyTorch: one row each, the only place the comparison is told to
# expect anything but PyTorch's behaviour. docs/api.md has the same table (test_docs_list_every_difference).


@dataclass(frozen=True)
class Difference:
    what: str
    ours: str
    pytorch: str
    why: str
    not_compared: str = ""  # "gradients" or "second order": what a program using the rule does not compare


DIFFERENCES: dict[str, Difference] = {
    "zero-dim-promotion": Difference(
        what="a 0-d tensor of a wider dtype of the same kind meets a tensor with dimensions "
             "(`float32 tensor * float64 0-d tensor`, `int32 tensor + int64 0-d tensor`)",
        ours="the wider dtype (float64, int64): dtypes decide, not dimensions (NumPy's rule)",
        pytorch="the dtype of the tensor with dimensions (float32, int32)",
        why="one rule that needs no shapes to state; a 0-d float64 parameter is not silently rounded to float32",
    ),
    "mixed-dtype-matmul": Difference(
        what="`matmul` / `linear` of two tensors of different dtypes (float32 @ float64, int64 @ float32)",
        ours="the operands are promoted by the dtype rule, like in every other binary operation",
        pytorch="an error (expected m1 and m2 to have the same dtype)",
        why="one promotion rule for every binary operation",
    ),
    "float-op-on-integers": Difference(
        what="`mean`, `var`, `softmax`, `log_softmax`, `leaky_relu` of an integer or bool tensor",
        ours="a result of the default float dtype (float32), like `exp`, `sigmoid` or `/` of integers",
        pytorch="an error (these five refuse integer inputs)",
        why="one rule for every float-valued operation on integers",
    ),
    "logsumexp-all-neg-inf": Difference(
        what="the gradient of `logsumexp` over a slice whose elements are all -inf",
        ours="0 (the value is -inf, as in PyTorch)",
        pytorch="NaN",
        why="no element contributes to the sum, so none gets a gradient; a fully masked row (attention, "
            "log-likelihood of an impossible event) must not turn every gradient of the step into NaN",
    ),
    "reduce-over-too-few": Difference(
        what="`mean` over zero elements; `var` with `ddof` (PyTorch's `correction`) not below the count",
        ours="a ShapeError naming the shape and axis",
        pytorch="NaN (and a warning for `var`)",
        why="an average of nothing is a bug in the caller, better reported where it happens than as a NaN "
            "found many steps later",
    ),
    "squeeze-non-unit-axis": Difference(
        what="`squeeze(axis)` of an axis whose size is not 1",
        ours="a ShapeError (NumPy's rule)",
        pytorch="the tensor unchanged",
        why="asking to remove an axis that cannot be removed is a shape bug; NumPy raises too",
    ),
    "integer-negative-power": Difference(
        what="an integer tensor raised to a negative integer power (`2 ** int_tensor`, `int_tensor ** int_tensor`)",
        ours="a ValueError (NumPy's rule), as PyTorch does for `int_tensor ** -1`",
        pytorch="a truncated integer (`2 ** -1 == 0`) when the exponent is a tensor",
        why="one answer whatever the exponent's type; a truncated power is almost never what was meant",
    ),
    "nan-at-a-kink": Difference(
        what="the gradient of `relu`, `leaky_relu`, `abs`, `clip`, `maximum`, `minimum`, `max`, `min` at a NaN input",
        ours="unspecified (not compared)",
        pytorch="whatever its masks give: 1 for `relu`, 0 for `abs` and `clip`, 1 to both sides of `maximum`",
        why="a NaN has no derivative and these choices are accidents of how each mask is written; the NaN "
            "itself propagates the same in both",
        not_compared="gradients",
    ),
    "pow-second-order-at-zero": Difference(
        what="second derivatives of `x ** y` (y a tensor) where x == 0 or y == 0",
        ours="not compared; where they exist they are exact (d/dy d/dx `x ** y` = x ** (y - 1) at y == 0)",
        pytorch="0 or NaN from the masks of its first derivatives (d/dy d/dx `x ** y` is 0 at y == 0, "
                "while d/dx d/dy is x ** -1: the mixed derivatives differ)",
        why="at x == 0 the second derivatives do not exist; at y == 0 PyTorch's value is wrong, and copying its "
            "mask would make ours wrong too",
        not_compared="second order",
    ),
    "clip-empty-interval": Difference(
        what="`clip(lo, hi)` with `lo > hi`",
        ours="a ValueError naming both bounds",
        pytorch="every element becomes `hi`",
        why="an empty interval is a bug in the caller; the result PyTorch picks is arbitrary",
    ),
}


class Refused(Exception):
    """Raised on the PyTorch side where our engine refuses a call on purpose (see DIFFERENCES)."""


# Adapters: the PyTorch side of a program calls these where a rule of DIFFERENCES applies. The repro
# includes the source of those it uses.
def refuse(rule: str) -> Any:
    """Stands for a call our engine refuses on purpose and PyTorch accepts (rule: DIFFERENCES[rule])."""
    raise Refused(rule)


def to_float(t: Any) -> Any:
    """Rule float-op-on-integers: an integer or bool tensor becomes the default float dtype first."""
    return t if t.is_floating_point() else t.to(torch.get_default_dtype())


def logsumexp_ours(x: Any, dim: Any, keepdim: bool = False) -> Any:
    """Rule logsumexp-all-neg-inf: PyTorch's logsumexp, but a slice of all -inf gets gradient 0, not NaN."""
    dims = dim if isinstance(dim, tuple) else (dim,)
    if x.ndim == 0:
        dims = ()
    hopeless = torch.isneginf(x).all(dim=dims, keepdim=True) if dims else torch.isneginf(x)
    result = torch.logsumexp(torch.where(hopeless, 0.0, x), dim=dims if dims else 0, keepdim=True)
    result = torch.where(hopeless, -inf, result)
    return result if keepdim or x.ndim == 0 else result.squeeze(dims)


ADAPTERS = {"refuse": refuse, "to_float": to_float, "logsumexp_ours": logsumexp_ours, "Refused": Refused}

# ---------------------------------------------------------------------------------------------------
# dtypes and tolerances

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
INTEGERS = (np.dtype(np.int32), np.dtype(np.int64))
TORCH_DTYPE = {
    np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
    np.dtype(np.int32): torch.int32, np.dtype(np.int64): torch.int64, np.dtype(np.bool_): torch.bool,
}
NUMPY_DTYPE = {t: n for n, t in TORCH_DTYPE.items()}
TOLERANCE = {np.dtype(np.float32): (1e-4, 1e-5), np.dtype(np.float64): (1e-7, 1e-10)}  # (rtol, atol)
SHADOW_SLACK = 10.0  # times |float32 result - float64 result| allowed on top of the tolerance
# Exceptions a refused call may raise in our engine (ShapeError, DtypeError and GraphError are among them).
CLEAN_ERRORS = (ValueError, TypeError, IndexError, RuntimeError)


def ours_dtype_of(values: Sequence[Any]) -> np.dtype | None:
    """Our dtype rule for the tensors (torch.Tensor) and Python numbers of one elementwise operation."""
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    dtypes = [NUMPY_DTYPE[t.dtype] for t in tensors]
    floats = [d for d in dtypes if d.kind == "f"]
    if floats:
        return np.result_type(*floats)
    if any(isinstance(v, float) for v in values):
        return np.dtype(np.float32)  # a Python float meets integers alone: the default float dtype
    ints = [d for d in dtypes if d.kind in "iu"]
    return np.result_type(*ints) if ints else (dtypes[0] if dtypes else None)


# ---------------------------------------------------------------------------------------------------
# Printing values as source


def array_source(a: np.ndarray, module: str = "np") -> str:
    dtype = f"{module}.{a.dtype.name}" if a.dtype != np.bool_ else f"{module}.bool" + ("_" if module == "np" else "")
    if a.size == 0:
        return f"{module}.zeros({a.shape}, dtype={dtype})"
    return f"{module}.{'array' if module == 'np' else 'tensor'}({a.tolist()!r}, dtype={dtype})"


def number_source(x: float | int) -> str:
    text = repr(x)
    return f"({text})" if text.startswith("-") else text


def summary(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=8, threshold=30, separator=", ")


# ---------------------------------------------------------------------------------------------------
# One value of a program, in both engines


@dataclass
class Value:
    name: str
    ours: Any  # an autograd.Tensor
    ref: Any  # the torch.Tensor PyTorch computed
    shadow: Any  # the same line run by PyTorch in float64 (None where it failed or changed shape)
    leaf: bool
    original: np.ndarray | None = None  # a leaf's data, to check nothing modified it
    used: bool = False

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.ref.shape)

    @property
    def ndim(self) -> int:
        return self.ref.ndim

    @property
    def dtype(self) -> np.dtype:
        return NUMPY_DTYPE[self.ref.dtype]

    @property
    def is_float(self) -> bool:
        return self.ref.dtype.is_floating_point


@dataclass
class Line:
    ours: str
    torch: str
    rules: tuple[str, ...] = ()


class Mismatch(AssertionError):
    def __init__(self, message: str, kind: str, op: str) -> None:
        super().__init__(message)
        self.kind, self.op = kind, op


class Program:
    """A program drawn line by line; each line runs in both engines (and the shadow) and is compared."""

    def __init__(self, draw: Callable[[st.SearchStrategy], Any] | None = None) -> None:
        self.draw = draw
        self.lines: list[Line] = []
        self.values: list[Value] = []
        self.ours_ns: dict[str, Any] = {"np": np, "ag": ag, "inf": inf, "nan": nan}
        self.torch_ns: dict[str, Any] = {"np": np, "torch": torch, "F": F, "inf": inf, "nan": nan,
                                         "f32": torch.float32, "f64": torch.float64, **ADAPTERS}
        self.shadow_ns: dict[str, Any] = {**self.torch_ns, "f32": torch.float64}

    # ------------------------------------------------------------------ drawing helpers
    def pick(self, where: Callable[[Value], bool] = lambda v: True) -> Value | None:
        """An existing value (the most recent ones first, so programs shrink to chains)."""
        candidates = [v for v in reversed(self.values) if where(v)]
        if not candidates:
            return None
        return candidates[self.draw(st.integers(0, len(candidates) - 1))]

    def new_name(self, prefix: str = "v") -> str:
        return f"{prefix}{len(self.values)}"

    # ------------------------------------------------------------------ running lines
    def leaf(self, array: np.ndarray, requires_grad: bool, name: str | None = None) -> Value:
        name = name or self.new_name("x")
        flag = ", requires_grad=True" if requires_grad else ""
        line = Line(f"ag.tensor({array_source(array)}{flag})", f"torch.tensor({array_source(array)}{flag})")
        self.lines.append(Line(f"{name} = {line.ours}", f"{name} = {line.torch}"))
        ours = eval(line.ours, self.ours_ns)
        ref = eval(line.torch, self.torch_ns)
        shadow = ref.detach().to(torch.float64) if ref.is_floating_point() else ref.detach()
        shadow.requires_grad_(ref.requires_grad)
        value = Value(name, ours, ref, shadow, leaf=True, original=array.copy())
        self._bind(value)
        return value

    def _bind(self, value: Value) -> None:
        self.values.append(value)
        self.ours_ns[value.name] = value.ours
        self.torch_ns[value.name] = value.ref
        self.shadow_ns[value.name] = value.shadow

    def apply(self, op: str, ours: str, torch_src: str, operands: Sequence[Value], *rules: str | None
              ) -> Value | None:
        """Run `name = <expression>` in both engines and compare; None when both refuse it.

        `rules`: the keys of DIFFERENCES that the PyTorch source applies (None entries are ignored)."""
        applied = tuple(r for r in rules if r is not None)
        assert all(r in DIFFERENCES for r in applied), applied
        name = self.new_name()
        self.lines.append(Line(f"{name} = {ours}", f"{name} = {torch_src}", applied))
        try:
            ref, ref_error = eval(torch_src, self.torch_ns), None
        except Exception as error:  # noqa: BLE001 - any refusal by PyTorch is a result to compare
            ref, ref_error = None, error
        ours_value, ours_error, leaked = self._run_ours(lambda: eval(ours, self.ours_ns))
        if ref_error is not None or ours_error is not None:
            self._compare_refusals(op, ref_error, ours_error, ours_value, ref)
            self.lines.pop()  # both refuse: the line is not part of the program
            return None
        self._no_warnings(op, leaked)
        shadow = self._shadow(lambda: eval(torch_src, self.shadow_ns), ref)
        for v in operands:
            v.used = True
        value = Value(name, ours_value, ref, shadow, leaf=False)
        self._bind(value)
        self.compare_tensor(op, f"value of {name}", ours_value, ref, shadow, check_requires_grad=True)
        return value

    def _run_ours(self, thunk: Callable[[], Any]) -> tuple[Any, Exception | None, list[str]]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result, error = thunk(), None
            except Exception as e:  # noqa: BLE001
                result, error = None, e
        leaked = [f"{w.category.__name__}: {w.message}" for w in caught]
        return result, error, leaked

    def _shadow(self, thunk: Callable[[], Any], ref: Any) -> Any:
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                shadow = thunk()
        except Exception:  # noqa: BLE001 - the shadow only widens tolerances; without it they stay tight
            return None
        finally:
            torch.set_default_dtype(previous)
        if isinstance(shadow, torch.Tensor) and isinstance(ref, torch.Tensor) and shadow.shape != ref.shape:
            return None
        return shadow

    def _compare_refusals(self, op: str, ref_error: Exception | None, ours_error: Exception | None,
                          ours_value: Any, ref: Any) -> None:
        if ours_error is None:
            if isinstance(ref_error, Refused):
                self.fail(op, "accepts what it should refuse", f"rule {ref_error}: ours should raise, like "
                          f"{DIFFERENCES[str(ref_error)].ours!r}\nours returns {ours_value!r}")
            self.fail(op, "accepts what PyTorch refuses",
                      f"PyTorch raises {type(ref_error).__name__}: {ref_error}\nours returns {ours_value!r}")
        if ref_error is None:
            self.fail(op, "raises", f"ours raises {type(ours_error).__name__}: {ours_error}\n"
                      f"PyTorch returns {ref!r}")
        if not isinstance(ours_error, CLEAN_ERRORS) or ours_error.__class__.__module__ not in (
                "builtins", "autograd.errors"):
            self.fail(op, "raises an internal error",
                      f"ours raises {type(ours_error).__module__}.{type(ours_error).__name__}: {ours_error}\n"
                      f"(PyTorch raises {type(ref_error).__name__}: {ref_error})")
        if op.isidentifier() and op not in str(ours_error):
            self.fail(op, "error does not name the op",
                      f"ours raises {type(ours_error).__name__}: {ours_error}\n"
                      f"(PyTorch raises {type(ref_error).__name__}: {ref_error})")

    def _no_warnings(self, op: str, leaked: list[str]) -> None:
        if leaked:
            self.fail(op, "warns", "ours emits warnings PyTorch does not: " + "; ".join(leaked))

    # ------------------------------------------------------------------ comparing
    def compare_tensor(self, op: str, what: str, ours: Any, ref: Any, shadow: Any,
                       check_requires_grad: bool = False, finite_only: bool = False) -> None:
        if not isinstance(ours, ag.Tensor):
            self.fail(op, "returns a non-Tensor", f"{what}: ours is {type(ours).__name__} {ours!r}")
        if type(ours.data) is not np.ndarray:
            self.fail(op, "data is not an ndarray", f"{what}: ours .data is {type(ours.data).__name__}")
        ref_array = ref.detach().numpy(force=True)  # force: PyTorch may return a ZeroTensor
        if ours.shape != ref_array.shape:
            self.fail(op, "shape", f"{what}: shape {ours.shape} (ours) != {ref_array.shape} (PyTorch)")
        if ours.dtype != ref_array.dtype:
            self.fail(op, "dtype", f"{what}: dtype {ours.dtype} (ours) != {ref_array.dtype} (PyTorch)")
        if check_requires_grad and ours.requires_grad != ref.requires_grad:
            self.fail(op, "requires_grad",
                      f"{what}: requires_grad {ours.requires_grad} (ours) != {ref.requires_grad} (PyTorch)")
        problem = values_differ(ours.data, ref_array, None if shadow is None else shadow.detach().numpy(force=True),
                                finite_only)
        if problem:
            self.fail(op, problem[0], f"{what}: {problem[1]}\n  ours:    {summary(ours.data)}\n"
                      f"  PyTorch: {summary(ref_array)}")

    def fail(self, op: str, kind: str, message: str) -> None:
        raise Mismatch(f"{op}: {kind}\n{message}\n\n{self.render()}", kind, op)

    def render(self) -> str:
        rules = sorted({r for line in self.lines for r in line.rules})
        helpers = [name for name in ("to_float", "logsumexp_ours", "refuse")
                   if any(name + "(" in line.torch for line in self.lines)]
        ours = ["import numpy as np", "import autograd as ag", "inf, nan = float('inf'), float('nan')"]
        theirs = ["import numpy as np", "import torch", "F = torch.nn.functional",
                  "inf, nan = float('inf'), float('nan')", "f32, f64 = torch.float32, torch.float64"]
        if "refuse" in helpers:
            theirs.append(inspect.getsource(Refused).strip())
        theirs += [inspect.getsource(ADAPTERS[h]).strip() for h in helpers]
        for line in self.lines:
            ours.append(line.ours)
            theirs.append(line.torch + (f"  # rule {', '.join(line.rules)}" if line.rules else ""))
        text = "Program in our API:\n" + _indent(ours) + "\nThe same program in PyTorch:\n" + _indent(theirs)
        if rules:
            text += "\nDeliberate differences applied (DIFFERENCES in this module, docs/api.md):\n"
            text += "".join(f"    {r}: {DIFFERENCES[r].what} -> ours: {DIFFERENCES[r].ours}\n" for r in rules)
        return text

    # ------------------------------------------------------------------ gradients
    def check_gradients(self) -> None:
        """VJPs of the unused results (first order, without and with create_graph), then second order."""
        wrt = [v for v in self.values if v.leaf and v.ref.requires_grad]
        outs = [v for v in self.values if not v.leaf and not v.used and v.ref.requires_grad][-3:]
        skipped = {DIFFERENCES[r].not_compared for line in self.lines for r in line.rules}
        if not wrt or not outs or "gradients" in skipped:
            return
        rng = np.random.default_rng(SEED)
        out_names = ", ".join(v.name for v in outs)
        wrt_names = ", ".join(v.name for v in wrt)
        seeds = [np.round(np.asarray(rng.standard_normal(v.shape)), 1) for v in outs]
        ours_seeds = ", ".join(_literal(s, f"{v.name}.dtype", "np") for s, v in zip(seeds, outs, strict=True))
        torch_seeds = ", ".join(_literal(s, f"{v.name}.dtype", "torch") for s, v in zip(seeds, outs, strict=True))
        self.run_statement(
            "grad",
            f"grads = ag.grad([{out_names}], [{wrt_names}], [{ours_seeds}], retain_graph=True, allow_unused=True)\n"
            f"grads2 = ag.grad([{out_names}], [{wrt_names}], [{ours_seeds}], create_graph=True, allow_unused=True)",
            f"grads = grads2 = torch.autograd.grad([{out_names}], [{wrt_names}], [{torch_seeds}], "
            "create_graph=True, allow_unused=True)",
        )
        for i, v in enumerate(wrt):
            for label in ("grads", "grads2"):
                self.compare_grad("grad", f"{label}[{i}] (d/d{v.name}, create_graph={label == 'grads2'})",
                                  self.ours_ns[label][i], self.torch_ns["grads"][i], self.shadow_ns.get("grads"), i, v)
        self.check_leaves_unchanged()
        if "second order" in skipped:
            return
        # second order: a VJP of the first gradients (those that depend on the inputs) with random vectors
        vectors = [np.round(np.asarray(rng.standard_normal(v.shape)), 1) for v in wrt]
        ours_vs = ", ".join(_literal(s, f"{v.name}.dtype", "np") for s, v in zip(vectors, wrt, strict=True))
        torch_vs = ", ".join(_literal(s, f"{v.name}.dtype", "torch") for s, v in zip(vectors, wrt, strict=True))
        pick = "[(g, v) for g, v in zip({grads}, [{vs}]) if g is not None and g.requires_grad]"
        second = ("hvps = {api}([g for g, _ in pairs], [{wrt}], [v for _, v in pairs], allow_unused=True) "
                  "if pairs else [None] * {n}")
        self.run_statement(
            "second-order grad",
            f"pairs = {pick.format(grads='grads2', vs=ours_vs)}\n"
            + second.format(api="ag.grad", wrt=wrt_names, n=len(wrt)),
            f"pairs = {pick.format(grads='grads', vs=torch_vs)}\n"
            + second.format(api="torch.autograd.grad", wrt=wrt_names, n=len(wrt)),
        )
        # At a singularity (an infinite or NaN value or first gradient), whether a second derivative comes
        # out inf or NaN depends on how each backward formula is written: there only finite ones are compared.
        singular = not all(bool(torch.isfinite(t).all()) for t in self._torch_results() if t.is_floating_point())
        for i, v in enumerate(wrt):
            self.compare_grad("second-order grad", f"hvps[{i}] (d/d{v.name} of the first gradients)",
                              self.ours_ns["hvps"][i], self.torch_ns["hvps"][i], self.shadow_ns.get("hvps"), i, v,
                              finite_only=singular)

    def _torch_results(self) -> list[Any]:
        grads = [g for g in self.torch_ns["grads"] if g is not None]
        return [v.ref.detach() for v in self.values] + [g.detach() for g in grads]

    def run_statement(self, op: str, ours: str, torch_src: str) -> None:
        self.lines.append(Line(ours, torch_src))
        _, ours_error, leaked = self._run_ours(lambda: exec(ours, self.ours_ns))
        exec(torch_src, self.torch_ns)  # PyTorch accepts every program that got this far
        if ours_error is not None:
            self.fail(op, "raises", f"ours raises {type(ours_error).__name__}: {ours_error}")
        self._no_warnings(op, leaked)
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(torch_src, self.shadow_ns)
        except Exception:  # noqa: BLE001 - without a shadow the tolerances stay tight
            self.shadow_ns.pop("grads", None)
            self.shadow_ns.pop("hvps", None)
        finally:
            torch.set_default_dtype(previous)

    def compare_grad(self, op: str, what: str, ours: Any, ref: Any, shadows: Any, i: int, wrt: Value,
                     finite_only: bool = False) -> None:
        """None (an input the outputs do not use) counts as zeros, in both engines."""
        if ref is None:
            ref = torch.zeros_like(wrt.ref)
        shadow = None
        if shadows is not None and wrt.shadow is not None:
            shadow = shadows[i] if shadows[i] is not None else torch.zeros_like(wrt.shadow)
        if ours is None:
            ours = ag.zeros(wrt.shape, dtype=wrt.dtype)
        self.compare_tensor(op, what, ours, ref, shadow, finite_only=finite_only)

    def check_leaves_unchanged(self) -> None:
        for v in self.values:
            if v.leaf and not np.array_equal(v.ours.data, v.original, equal_nan=True):
                self.fail("grad", "modifies an input", f"{v.name} changed: {summary(v.ours.data)}")


def _indent(lines: list[str]) -> str:
    return "".join("    " + part + "\n" for line in lines for part in line.splitlines())


def _literal(values: np.ndarray, dtype_source: str, module: str) -> str:
    if values.size == 0:
        return f"{module}.zeros({values.shape}, dtype={dtype_source})"
    return f"{module}.{'array' if module == 'np' else 'tensor'}({values.tolist()!r}, dtype={dtype_source})"


def values_differ(ours: np.ndarray, ref: np.ndarray, shadow: np.ndarray | None, finite_only: bool = False
                  ) -> tuple[str, str] | None:
    """(kind, explanation) when the values disagree beyond the dtype's tolerance, else None.

    With `finite_only`, elements where either engine is not finite are not compared."""
    if ref.dtype.kind in "biu":
        if not np.array_equal(ours, ref):
            return "value", "integer values differ"
        return None
    rtol, atol = TOLERANCE[ref.dtype]
    o, r = ours.astype(np.float64), ref.astype(np.float64)
    unchecked = ~(np.isfinite(o) & np.isfinite(r)) if finite_only else np.zeros(r.shape, dtype=bool)
    slack = np.zeros(r.shape)
    if shadow is not None and shadow.shape == r.shape:  # (a float64 result may come through float32 steps)
        s = shadow.astype(np.float64)
        # where float32 overflows (or makes a NaN) and float64 does not, float32 results are arbitrary
        unchecked |= (np.isfinite(r) != np.isfinite(s)) | (np.isnan(r) != np.isnan(s))
        both = np.isfinite(r) & np.isfinite(s)
        slack = np.where(both, np.abs(r - np.where(both, s, 0)), 0.0)
    nan_differs = (np.isnan(o) != np.isnan(r)) & ~unchecked
    if nan_differs.any():
        index = tuple(int(i) for i in np.argwhere(nan_differs)[0])
        return "NaN", f"NaN positions differ, first at {index}: ours {o[index]}, PyTorch {r[index]}"
    infinite = (np.isinf(o) | np.isinf(r)) & ~unchecked
    inf_differs = infinite & (o != r)
    if inf_differs.any():
        index = tuple(int(i) for i in np.argwhere(inf_differs)[0])
        return "inf", f"infinities differ, first at {index}: ours {o[index]}, PyTorch {r[index]}"
    finite = np.isfinite(o) & np.isfinite(r) & ~unchecked
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.where(finite, np.abs(o - r), 0.0)
        allowed = atol + rtol * np.abs(np.where(finite, r, 0.0)) + SHADOW_SLACK * slack
    if (error > allowed).any():
        index = tuple(int(i) for i in np.unravel_index(np.argmax(error - allowed), r.shape))
        return "value", (f"values differ, worst at {index}: ours {float(o[index])!r}, PyTorch {float(r[index])!r} "
                         f"(allowed error {allowed[index]:.3g} for {ref.dtype})")
    return None


# ---------------------------------------------------------------------------------------------------
# Drawing inputs

SIDES = st.sampled_from([2, 1, 3, 2, 3, 1, 2, 0, 3])  # about one axis in nine is empty
# Element values by profile. An array's elements come from NumPy's generator seeded by a number that
# hypothesis draws (one draw per array instead of one per element, which would cost most of the run).
# "plain": multiples of 1/64 in [-3, 3], exact in float32 and often tied; each other profile mixes its
# special values with plain ones. (Hypothesis's own floats, such as 1e-254, make intermediate results
# overflow in one engine's backward formula and not in the other's: a difference of formulas, not of
# semantics.)
SPECIAL_VALUES = {
    "plain": [],
    "ties": [1.0, 0.0, -1.0, 0.5, 2.0, 0.0, -0.0],  # exact ties, the kinks of relu and abs at 0
    "large": [1e4, -3e4, 1e10, -1e30, 1e30, 100.0, -88.5, 90.0],
    "tiny": [1e-6, -1e-8, 1e-30, -1e-30, 1e-40, 0.0, -0.0],
    "edge": [0.0, -0.0, inf, -inf, 1.0, -1.0],
}
FLOAT_PROFILES = tuple(SPECIAL_VALUES)


def draw_array(draw: Callable, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if dtype.kind in "iu":
        return rng.integers(-3, 5, size=shape).astype(dtype)
    values = rng.integers(-192, 193, size=shape) / 64
    special = SPECIAL_VALUES[draw(st.sampled_from(FLOAT_PROFILES))]
    if special and values.size:
        pick = rng.random(shape) < (1.0 if special is SPECIAL_VALUES["ties"] else 0.6)
        values = np.where(pick, rng.choice(special, size=shape), values)
    return np.asarray(values, dtype=dtype)


def draw_leaf(program: Program, shape: tuple[int, ...], dtype: np.dtype) -> Value:
    array = draw_array(program.draw, shape, dtype)
    requires_grad = dtype.kind == "f" and program.draw(st.sampled_from([True, True, True, True, False]))
    return program.leaf(array, requires_grad)


def broadcast_partner_shape(draw: Callable, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts with `shape`: fewer or more leading axes, some axes of size 1."""
    start = draw(st.integers(0, len(shape)))
    partner = [1 if draw(st.booleans()) and draw(st.booleans()) else s for s in shape[start:]]
    if len(shape) < 3 and draw(st.integers(0, 4)) == 0:
        partner = [draw(SIDES)] + partner
    return tuple(partner)


def fits(*shapes: tuple[int, ...]) -> bool:
    try:
        return math.prod(np.broadcast_shapes(*shapes)) <= MAX_SIZE
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------------
# The operations: each draws its operands and arguments from the program's values and runs one line.
# They return False when they do not apply to the program as it stands (the test then draws another).

ARITHMETIC = ("+", "-", "*", "/", "**")
NUMBERS = {
    "+": [2.0, -1, 0.5, 3, 0.0, 1e30, inf],
    "-": [2.0, -1, 0.5, 3, 0.0, inf],
    "*": [2.0, -1, 0.5, 3, 0.0, inf],
    "/": [2.0, -1, 0.5, 3, 0.0],
    "**": [2, 3, 0.5, -1, 0, 1, -2.5, 2.0, -2],  # exponents
    "r**": [2.0, 0.5, 0.0, 2, -2.0, 1.0],  # bases of number ** tensor
}


def partner(p: Program, a: Value, dtypes: Sequence[np.dtype] | None = None) -> Value | None:
    """Another operand for `a`: an existing value it broadcasts with, or a new input of a fitting shape."""
    if p.draw(st.booleans()):
        b = p.pick(lambda v: fits(v.shape, a.shape) and v.dtype != np.bool_)
        if b is not None:
            return b
    shape = broadcast_partner_shape(p.draw, a.shape)
    if not fits(shape, a.shape):
        shape = ()
    if dtypes is None:
        dtypes = [a.dtype] if a.dtype.kind == "f" else [np.dtype(np.float32), np.dtype(np.float64)]
    return draw_leaf(p, shape, p.draw(st.sampled_from(list(dtypes))))


def promoted(op: str, operands: Sequence[tuple[str, Any]], rule: str = "zero-dim-promotion"
             ) -> tuple[list[str], str | None]:
    """The PyTorch sources of an operation's operands: cast (rule) where our dtype rule differs."""
    values = [v for _, v in operands]
    ours = ours_dtype_of(values)
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    if rule == "mixed-dtype-matmul":
        differs = len({t.dtype for t in tensors}) > 1
    else:
        theirs = torch.result_type(*values)
        differs = theirs is not None and ours is not None and NUMPY_DTYPE[theirs] != ours
        if differs:
            assert any(t.ndim == 0 for t in tensors), f"{op}: unexplained dtype difference {values}"
    if not differs:
        return [s for s, _ in operands], None
    target = f"torch.{ours.name}"
    sources = [s if not isinstance(v, torch.Tensor) or NUMPY_DTYPE[v.dtype] == ours else f"{s}.to({target})"
               for s, v in operands]
    return sources, rule


def op_arithmetic(p: Program, dtypes: Sequence[np.dtype] | None = None) -> bool:
    a = p.pick()
    if a is None:
        return False
    # PyTorch refuses -, ** and unary - on bool tensors, NumPy only some of them: bools meet * / + only
    symbol = p.draw(st.sampled_from(ARITHMETIC if a.dtype != np.bool_ else ("*", "/", "+")))
    form = p.draw(st.sampled_from(["tensors", "number on the right", "number on the left"]))
    if form == "tensors":
        b = partner(p, a, dtypes)
        if b is None:
            return False
        lhs, rhs = (a, b) if p.draw(st.booleans()) else (b, a)
        (l_src, r_src), rule = promoted(symbol, [(lhs.name, lhs.ref), (rhs.name, rhs.ref)])
        ours, theirs = f"{lhs.name} {symbol} {rhs.name}", f"{l_src} {symbol} {r_src}"
        if symbol == "**":
            theirs, power_rule = power_rules(lhs.ref, rhs.ref, theirs)
            p.apply(symbol, ours, theirs, [a, b], rule, power_rule)
        else:
            p.apply(symbol, ours, theirs, [a, b], rule)
        return True
    number = p.draw(st.sampled_from(NUMBERS["r**" if symbol == "**" and form == "number on the left" else symbol]))
    if form == "number on the right":
        source = f"{a.name} {symbol} {number_source(number)}"
    else:
        source = f"{number_source(number)} {symbol} {a.name}"
    if symbol == "**" and form == "number on the left":
        theirs, power_rule = power_rules(number, a.ref, source)
        p.apply(symbol, source, theirs, [a], power_rule)
    else:
        p.apply(symbol, source, source, [a])
    return True


def power_rules(base: Any, exponent: Any, source: str) -> tuple[str, str | None]:
    """The PyTorch source of `base ** exponent` and the rule of DIFFERENCES it needs, if any."""
    def integral(v):
        return isinstance(v, int) if not isinstance(v, torch.Tensor) else not v.is_floating_point()

    if integral(base) and isinstance(exponent, torch.Tensor) and integral(exponent) and bool((exponent < 0).any()):
        return "refuse('integer-negative-power')", "integer-negative-power"
    if exponent.is_floating_point() and bool((exponent == 0).any() | (torch.as_tensor(base) == 0).any()):
        return source, "pow-second-order-at-zero"
    return source, None


def kink_rule(*values: Value) -> str | None:
    """Rule nan-at-a-kink, where an operand of a kinked op holds a NaN."""
    return "nan-at-a-kink" if any(v.is_float and bool(torch.isnan(v.ref).any()) for v in values) else None


UNARY = {  # our function -> PyTorch's
    "exp": "torch.exp", "log": "torch.log", "sqrt": "torch.sqrt", "abs": "torch.abs", "tanh": "torch.tanh",
    "sigmoid": "torch.sigmoid", "relu": "torch.relu",
}


def op_unary(p: Program) -> bool:
    a = p.pick()
    if a is None:
        return False
    names = ["neg", *UNARY] if a.dtype != np.bool_ else ["exp", "log", "sqrt", "tanh", "sigmoid"]
    name = p.draw(st.sampled_from(names))
    if name == "neg":
        p.apply("neg", f"-{a.name}", f"-{a.name}", [a])
        return True
    ours = p.draw(st.sampled_from([f"ag.{name}({a.name})", f"{a.name}.{name}()"]))
    p.apply(name, ours, f"{UNARY[name]}({a.name})", [a], kink_rule(a) if name in ("abs", "relu") else None)
    return True


def op_compare(p: Program) -> bool:
    """A bool tensor (a comparison), which the other operations then take as an operand."""
    a = p.pick(lambda v: v.dtype != np.bool_)
    if a is None:
        return False
    source = f"{a.name} > {p.draw(st.sampled_from([0, 0.5, -1]))}"
    p.apply("greater", source, source, [a])
    return True


def float_input(a: Value) -> tuple[str, str | None]:
    """The PyTorch source of the input of a float-valued op that PyTorch refuses on integers."""
    if a.is_float:
        return a.name, None
    return f"to_float({a.name})", "float-op-on-integers"


def op_leaky_relu(p: Program) -> bool:
    a = p.pick()
    if a is None:
        return False
    slope = p.draw(st.sampled_from([0.01, 0.2, 0.0, 1.5]))
    source, rule = float_input(a)
    p.apply("leaky_relu", f"ag.leaky_relu({a.name}, {slope})", f"F.leaky_relu({source}, {slope})", [a], rule,
            kink_rule(a))
    return True


def op_clip(p: Program) -> bool:
    a = p.pick(lambda v: v.dtype != np.bool_)
    if a is None:
        return False
    # bounds equal to elements, so that the gradient at the bounds is tested: only elements on which both
    # engines agree exactly (a computed value one ulp apart would be a tie in one engine only)
    values = a.ref.detach().numpy()
    usable = (values == a.ours.data) & (np.isfinite(values) if a.is_float else True)
    numbers = [float(x) if a.is_float else int(x) for x in values[usable][:6]] + [0.0, 1.0, -0.5, 2]

    def bound():
        return p.draw(st.one_of(st.none(), st.sampled_from(numbers)))

    lo, hi = bound(), bound()
    if lo is None and hi is None:
        lo = p.draw(st.sampled_from(numbers))
    args = f"{'None' if lo is None else number_source(lo)}, {'None' if hi is None else number_source(hi)}"
    ours = p.draw(st.sampled_from([f"ag.clip({a.name}, {args})", f"{a.name}.clip({args})",
                                   f"{a.name}.clamp({args})"]))
    if lo is not None and hi is not None and lo > hi:
        p.apply("clip", ours, "refuse('clip-empty-interval')", [a], "clip-empty-interval")
    else:
        p.apply("clip", ours, f"torch.clamp({a.name}, {args})", [a], kink_rule(a))
    return True


def op_maximum(p: Program, dtypes: Sequence[np.dtype] | None = None) -> bool:
    a = p.pick(lambda v: v.dtype != np.bool_)
    if a is None:
        return False
    b = partner(p, a, dtypes) if p.draw(st.integers(0, 3)) else a  # maximum(x, x): a tie everywhere
    name = p.draw(st.sampled_from(["maximum", "minimum"]))
    (a_src, b_src), rule = promoted(name, [(a.name, a.ref), (b.name, b.ref)])
    p.apply(name, f"ag.{name}({a.name}, {b.name})", f"torch.{name}({a_src}, {b_src})", [a, b], rule, kink_rule(a, b))
    return True


def op_where(p: Program, dtypes: Sequence[np.dtype] | None = None) -> bool:
    a = p.pick(lambda v: v.dtype != np.bool_)
    if a is None:
        return False
    if p.draw(st.integers(0, 3)):
        b = partner(p, a, dtypes)
        other_name, other_ref = b.name, b.ref
    else:
        b = None
        number = p.draw(st.sampled_from([0.0, 1, -2.5]))
        other_name, other_ref = number_source(number), number
    shape = np.broadcast_shapes(a.shape, b.shape if b is not None else ())
    c = p.pick(lambda v: fits(v.shape, shape) and v.dtype != np.bool_) or a
    threshold = p.draw(st.sampled_from([0, 0.5, -1]))
    condition = f"{c.name} > {threshold}"
    first, second = (a.name, other_name) if p.draw(st.booleans()) else (other_name, a.name)
    refs = [(a.name, a.ref), (other_name, other_ref)]
    if first != a.name:
        refs.reverse()
    (s1, s2), rule = promoted("where", refs)
    p.apply("where", f"ag.where({condition}, {first}, {second})", f"torch.where({condition}, {s1}, {s2})",
            [v for v in (a, b, c) if v is not None], rule)
    return True


def draw_axis(p: Program, ndim: int, invalid: bool = True) -> Any:
    """None, an int (negative too) or a tuple of distinct axes; rarely one that does not exist."""
    if ndim == 0:
        options: list[Any] = [None, 0, -1]
        if invalid:
            options.append(1)
        return p.draw(st.sampled_from(options))
    kind = p.draw(st.sampled_from(["none", "int", "int", "tuple", "invalid" if invalid else "int"]))
    if kind == "none":
        return None
    if kind == "int":
        return p.draw(st.integers(-ndim, ndim - 1))
    if kind == "invalid":
        return p.draw(st.sampled_from([ndim, -ndim - 1, (0, -ndim)]))
    axes = p.draw(st.permutations(range(ndim)))[: p.draw(st.integers(1, ndim))]
    return tuple(a - ndim if p.draw(st.booleans()) else a for a in axes)


def reduced_count(shape: tuple[int, ...], axis: Any) -> int | None:
    """How many elements each result of a reduction sums; None for an invalid axis."""
    ndim = len(shape)
    if axis is None:
        return math.prod(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    if ndim == 0:
        return 1 if all(a in (0, -1) for a in axes) else None
    if any(not -ndim <= a < ndim for a in axes) or len({a % ndim for a in axes}) != len(axes):
        return None
    return math.prod(shape[a % ndim] for a in axes)


REDUCTIONS = ("sum", "mean", "var", "max", "min", "logsumexp")


def op_reduce(p: Program) -> bool:
    a = p.pick()
    if a is None:
        return False
    name = p.draw(st.sampled_from(REDUCTIONS))
    axis = draw_axis(p, a.ndim)
    keep = p.draw(st.booleans())
    count = reduced_count(a.shape, axis)
    ddof = p.draw(st.sampled_from([0, 1])) if name == "var" else 0
    method_args = f"axis={axis!r}, keepdims={keep}" + (f", ddof={ddof}" if ddof else "")
    forms = [f"{a.name}.{name}({method_args})"]
    if name in ("sum", "mean", "logsumexp"):
        forms.append(f"ag.{name}({a.name}, {axis!r}, {keep})")
    if axis is None and not keep and not ddof:
        forms.append(f"{a.name}.{name}()")
    ours = p.draw(st.sampled_from(forms))
    rule = None
    source = a.name
    if name in ("mean", "var"):
        source, rule = float_input(a)
    if name in ("mean", "var") and count is not None and count - ddof <= 0:
        p.apply(name, ours, "refuse('reduce-over-too-few')", [a], "reduce-over-too-few")
        return True
    if name in ("sum", "mean"):
        theirs = f"torch.{name}({source}, dim={axis!r}, keepdim={keep})"
    elif name == "var":
        theirs = f"torch.var({source}, dim={axis!r}, correction={ddof}, keepdim={keep})"
    elif name in ("max", "min"):
        theirs = f"torch.a{name}({source}, dim={() if axis is None else axis!r}, keepdim={keep})"
    else:
        dim = (tuple(range(a.ndim)) or 0) if axis is None else axis
        theirs = f"torch.logsumexp({source}, dim={dim!r}, keepdim={keep})"
        if count and a.is_float and _has_hopeless_slice(a.ref, dim):
            theirs, rule = f"logsumexp_ours({source}, dim={dim!r}, keepdim={keep})", "logsumexp-all-neg-inf"
    p.apply(name, ours, theirs, [a], rule, kink_rule(a) if name in ("max", "min") else None)
    return True


def _has_hopeless_slice(x: Any, dim: Any) -> bool:
    try:
        dims = dim if isinstance(dim, tuple) else (dim,)
        mask = torch.isneginf(x.detach())
        return bool(mask.all(dim=dims).any()) if x.ndim else bool(mask)
    except (IndexError, RuntimeError):
        return False


def op_softmax(p: Program) -> bool:
    a = p.pick()
    if a is None:
        return False
    name = p.draw(st.sampled_from(["softmax", "log_softmax"]))
    axis = p.draw(st.sampled_from([-1, 0] + list(range(1, a.ndim)) + ([a.ndim] if p.draw(st.booleans()) else [])))
    ours = p.draw(st.sampled_from([f"ag.{name}({a.name}, {axis})", f"{a.name}.{name}({axis})"]
                                  + ([f"{a.name}.{name}()"] if axis == -1 else [])))
    source, rule = float_input(a)
    p.apply(name, ours, f"torch.{name}({source}, {axis})", [a], rule)
    return True


def reshape_target(p: Program, shape: tuple[int, ...]) -> tuple[int, ...]:
    size = math.prod(shape)
    if size == 0:
        others = [p.draw(st.integers(1, 3)) for _ in range(p.draw(st.integers(0, 2)))]
        target = others + [0]
        return tuple(p.draw(st.permutations(target)))
    factors = [f for f in _prime_factors(size)]
    target: list[int] = []
    for f in p.draw(st.permutations(factors)):
        if target and p.draw(st.booleans()):
            target[-1] *= f
        else:
            target.append(f)
    for _ in range(p.draw(st.integers(0, 1))):
        target.insert(p.draw(st.integers(0, len(target))), 1)
    if target and p.draw(st.integers(0, 2)) == 0:
        target[p.draw(st.integers(0, len(target) - 1))] = -1
    return tuple(target)


def _prime_factors(n: int) -> list[int]:
    factors, d = [], 2
    while n > 1:
        while n % d == 0:
            factors.append(d)
            n //= d
        d += 1
    return factors


def op_reshape(p: Program) -> bool:
    a = p.pick()
    if a is None:
        return False
    target = reshape_target(p, a.shape)
    ours = p.draw(st.sampled_from([f"{a.name}.reshape({target!r})", f"ag.reshape({a.name}, {target!r})"]
                                  + ([f"{a.name}.reshape({', '.join(map(str, target))})"] if len(target) > 1 else [])))
    p.apply("reshape", ours, f"{a.name}.reshape({target!r})", [a])
    return True


def op_transpose(p: Program) -> bool:
    a = p.pick()
    if a is None:
        return False
    n = a.ndim
    kind = p.draw(st.sampled_from(["axes", "axes", "reverse", "T", "invalid", "swapaxes"]))
    if kind == "swapaxes" and n >= 1:
        i, j = p.draw(st.integers(-n, n - 1)), p.draw(st.integers(-n, n - 1))
        p.apply("swapaxes", f"{a.name}.swapaxes({i}, {j})", f"{a.name}.swapaxes({i}, {j})", [a])
        return True
    reverse = tuple(range(n))[::-1]
    if kind in ("reverse", "T") or kind == "swapaxes":
        ours = f"{a.name}.T" if kind == "T" else p.draw(st.sampled_from([f"ag.transpose({a.name})",
                                                                        f"{a.name}.transpose()"]))
        p.apply("transpose", ours, f"{a.name}.permute({reverse!r})", [a])
        return True
    if kind == "invalid":  # an axis that does not exist, or a wrong number of axes: both must refuse
        axes = p.draw(st.sampled_from([tuple(range(n + 1)), tuple(range(n - 1)) + (n,), (0, 0)[:max(n, 1)]]))
    else:
        axes = tuple(ax - n if p.draw(st.booleans()) else ax for ax in p.draw(st.permutations(range(n))))
    forms = [f"ag.transpose({a.name}, {axes!r})", f"{a.name}.transpose({axes!r})"]
    if axes:
        forms.append(f"{a.name}.transpose({', '.join(map(str, axes))})")
    p.apply("transpose", p.draw(st.sampled_from(forms)), f"{a.name}.permute({axes!r})", [a])
    return True


def op_broadcast_to(p: Program) -> bool:
    a = p.pick()
    if a is None:
        return False
    target = [p.draw(st.sampled_from([2, 3])) if s == 1 and p.draw(st.booleans()) else s for s in a.shape]
    if len(target) < 3 and p.draw(st.booleans()):
        target.insert(0, p.draw(SIDES))
    target_t = tuple(target) if math.prod(target) <= MAX_SIZE else a.shape
    ours = p.draw(st.sampled_from([f"ag.broadcast_to({a.name}, {target_t!r})", f"{a.name}.broadcast_to({target_t!r})"]))
    p.apply("broadcast_to", ours, f"{a.name}.broadcast_to({target_t!r})", [a])
    return True


def op_squeeze(p: Program) -> bool:
    a = p.pick()
    if a is None:
        return False
    n = a.ndim
    units = [i for i, s in enumerate(a.shape) if s == 1]
    options: list[Any] = [None]
    if n == 0:
        options += [0, -1]
    options += units + [i - n for i in units]
    if units:
        options.append(tuple(units))
    if n and len(units) < n and p.draw(st.integers(0, 3)) == 0:
        options.append(next(i for i, s in enumerate(a.shape) if s != 1))  # rule squeeze-non-unit-axis
    axis = p.draw(st.sampled_from(options))
    if axis is None:
        ours = p.draw(st.sampled_from([f"{a.name}.squeeze()", f"ag.squeeze({a.name})"]))
        p.apply("squeeze", ours, f"{a.name}.squeeze()", [a])
        return True
    ours = p.draw(st.sampled_from([f"{a.name}.squeeze({axis!r})", f"ag.squeeze({a.name}, {axis!r})"]))
    axes = axis if isinstance(axis, tuple) else (axis,)
    if n and any(a.shape[i] != 1 for i in axes):
        p.apply("squeeze", ours, "refuse('squeeze-non-unit-axis')", [a], "squeeze-non-unit-axis")
    else:
        p.apply("squeeze", ours, f"{a.name}.squeeze({axis!r})", [a])
    return True


def op_expand_dims(p: Program) -> bool:
    a = p.pick(lambda v: v.ndim < 4)
    if a is None:
        return False
    axis = p.draw(st.integers(-a.ndim - 1, a.ndim))
    ours = p.draw(st.sampled_from([f"ag.expand_dims({a.name}, {axis})", f"{a.name}.unsqueeze({axis})",
                                   f"{a.name}.expand_dims({axis})"]))
    p.apply("expand_dims", ours, f"{a.name}.unsqueeze({axis})", [a])
    return True


def op_flatten(p: Program) -> bool:
    a = p.pick()
    if a is None:
        return False
    if a.ndim == 0:
        p.apply("flatten", f"{a.name}.flatten()", f"{a.name}.flatten()", [a])
        return True
    start = p.draw(st.integers(-a.ndim, a.ndim - 1))
    ours = p.draw(st.sampled_from([f"{a.name}.flatten({start})", f"ag.flatten({a.name}, {start})"]))
    p.apply("flatten", ours, f"{a.name}.flatten({start})", [a])
    return True


def index_list(p: Program, size: int) -> list[int]:
    """Integer indices along an axis of `size`: often with a repeat (whose gradients must add up), rarely none."""
    if size == 0 or p.draw(st.integers(0, 7)) == 0:
        return []
    items = p.draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=3))
    if p.draw(st.booleans()):
        items.insert(p.draw(st.integers(0, len(items))), items[0] - size if items[0] >= 0 else items[0])
    return items


def op_index(p: Program) -> bool:
    a = p.pick(lambda v: v.ndim >= 1)
    if a is None:
        return False
    shape, n = a.shape, a.ndim
    kind = p.draw(st.sampled_from(["basic", "list", "array", "tuple", "mask", "mask-array", "two-lists", "mixed"]))
    if kind == "basic":
        parts = []
        for size in shape:
            choice = p.draw(st.sampled_from(["slice", "int", "all", "step"])) if size else "slice"
            if choice == "int":
                parts.append(str(p.draw(st.integers(-size, size - 1))))
            elif choice == "all":
                parts.append(":")
            else:
                start = p.draw(st.integers(-size - 1, size + 1))
                stop = p.draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
                step = p.draw(st.sampled_from([1, 2])) if choice == "step" else None
                parts.append(f"{start}:{'' if stop is None else stop}" + (f":{step}" if step else ""))
        cut = p.draw(st.integers(0, n))
        parts = parts[:cut]
        if p.draw(st.integers(0, 3)) == 0:
            parts.insert(p.draw(st.integers(0, len(parts))), "None")
        if p.draw(st.integers(0, 4)) == 0:
            parts.append("...")
        index = ", ".join(parts) if parts else "..."
        ours = theirs = f"{a.name}[{index}]"
    elif kind in ("list", "array", "tuple"):
        items = index_list(p, shape[0])
        rest = ", :" * p.draw(st.integers(0, n - 1))
        if kind == "list" or (kind == "tuple" and not items):
            ours = theirs = f"{a.name}[{items!r}{rest}]"
        elif kind == "tuple":  # a tuple inside the index: NumPy and PyTorch treat it as an integer array
            if not rest:
                rest = ", ..."
            ours = theirs = f"{a.name}[{tuple(items)!r}{rest}]"
        else:
            array = np.array(items, dtype=np.int64)
            if p.draw(st.booleans()) and len(items) % 2 == 0 and items:
                array = array.reshape(2, -1)
            ours = f"{a.name}[{array_source(array)}{rest}]"
            theirs = f"{a.name}[{array_source(array, 'torch')}{rest}]"
    elif kind == "mask":
        threshold = p.draw(st.sampled_from([0, 0.5]))
        ours = theirs = f"{a.name}[{a.name} > {threshold}]"
    elif kind == "mask-array":
        mask = np.array(p.draw(st.lists(st.booleans(), min_size=shape[0], max_size=shape[0])), dtype=bool)
        ours, theirs = f"{a.name}[{array_source(mask)}]", f"{a.name}[{array_source(mask, 'torch')}]"
    elif kind == "two-lists" and n >= 2:
        length = p.draw(st.integers(0, 3))
        first = [p.draw(st.integers(0, shape[0] - 1)) for _ in range(length)] if shape[0] else []
        second = [p.draw(st.integers(0, shape[1] - 1)) for _ in range(length)] if shape[1] else []
        if len(first) != len(second):
            first = second = []
        ours = theirs = f"{a.name}[{first!r}, {second!r}]"
    else:  # a slice, then an integer list on the next axis
        if n < 2:
            return False
        items = index_list(p, shape[1])
        ours = theirs = f"{a.name}[:, {items!r}]"
    p.apply("getitem", ours, theirs, [a])
    return True


def op_join(p: Program, dtypes: Sequence[np.dtype] | None = None) -> bool:
    name = p.draw(st.sampled_from(["concatenate", "stack"]))
    a = p.pick(lambda v: v.ndim >= 1 if name == "concatenate" else v.ndim < 3)
    if a is None:
        return False
    n = a.ndim
    axis = p.draw(st.integers(-n, n - 1)) if name == "concatenate" else p.draw(st.integers(-n - 1, n))
    if name == "concatenate":
        def compatible(v):
            return v.ndim == n and all(v.shape[i] == a.shape[i] for i in range(n) if i != axis % n)
    else:
        def compatible(v):
            return v.shape == a.shape
    others = p.pick(lambda v: compatible(v) and v.dtype != np.bool_) if p.draw(st.booleans()) else None
    if others is None:
        shape = list(a.shape)
        if name == "concatenate":
            shape[axis % n] = p.draw(st.integers(0, 2))
        dtype = p.draw(st.sampled_from(list(dtypes or [a.dtype if a.is_float else np.dtype(np.float32)])))
        others = draw_leaf(p, tuple(shape), dtype)
    items = [a, others] + ([a] if p.draw(st.integers(0, 3)) == 0 else [])
    names = ", ".join(v.name for v in items)
    fn = "torch.cat" if name == "concatenate" else "torch.stack"
    p.apply(name, f"ag.{name}([{names}], axis={axis})", f"{fn}([{names}], dim={axis})", items)
    return True


def matmul_partner_shape(p: Program, shape: tuple[int, ...], left: bool) -> tuple[int, ...] | None:
    """A shape `b` such that a @ b (or b @ a when `left`) is valid, for `a` of `shape` (1-d to 3-d)."""
    n = len(shape)
    if n == 0 or n > 3:
        return None
    inner = shape[0 if n == 1 else -1] if not left else shape[0 if n == 1 else -2]
    m = p.draw(SIDES)
    kind = p.draw(st.sampled_from(["vector", "matrix", "batch"]))
    if kind == "vector":
        return (inner,)
    core = (inner, m) if not left else (m, inner)
    if kind == "matrix" or n == 3 and p.draw(st.booleans()):
        return core
    batch = shape[0] if n == 3 else p.draw(st.sampled_from([1, 2]))
    return (p.draw(st.sampled_from([batch, 1])),) + core


def op_matmul(p: Program, dtypes: Sequence[np.dtype] | None = None) -> bool:
    a = p.pick(lambda v: 1 <= v.ndim <= 3 and v.dtype != np.bool_)
    if a is None:
        return False
    left = p.draw(st.booleans())
    shape = matmul_partner_shape(p, a.shape, left)
    if shape is None or math.prod(shape) > MAX_SIZE:
        return False
    b = draw_leaf(p, shape, np.dtype(p.draw(st.sampled_from(list(dtypes or [a.dtype if a.is_float else np.float32])))))
    lhs, rhs = (b, a) if left else (a, b)
    (l_src, r_src), rule = promoted("matmul", [(lhs.name, lhs.ref), (rhs.name, rhs.ref)], "mixed-dtype-matmul")
    ours = p.draw(st.sampled_from([f"{lhs.name} @ {rhs.name}", f"ag.matmul({lhs.name}, {rhs.name})",
                                   f"{lhs.name}.matmul({rhs.name})"]))
    p.apply("matmul", ours, f"{l_src} @ {r_src}", [a, b], rule)
    return True


def op_linear(p: Program, dtypes: Sequence[np.dtype] | None = None) -> bool:
    x = p.pick(lambda v: 1 <= v.ndim <= 3 and v.is_float)
    if x is None:
        return False
    n_in, n_out = x.shape[-1], p.draw(SIDES)
    dtype = p.draw(st.sampled_from(list(dtypes or [x.dtype])))
    w = draw_leaf(p, (n_in, n_out), dtype)
    bias = draw_leaf(p, (n_out,), dtype) if p.draw(st.booleans()) else None
    operands = [(x.name, x.ref), (w.name, w.ref)] + ([(bias.name, bias.ref)] if bias else [])
    sources, rule = promoted("linear", operands, "mixed-dtype-matmul")
    torch_args = f"{sources[0]}, {sources[1]}.T" + (f", {sources[2]}" if bias else "")
    ours_args = f"{x.name}, {w.name}" + (f", {bias.name}" if bias else "")
    p.apply("linear", f"ag.linear({ours_args})", f"F.linear({torch_args})", [x, w] + ([bias] if bias else []), rule)
    return True


def op_cross_entropy(p: Program) -> bool:
    z = p.pick(lambda v: v.ndim in (1, 2) and v.shape[-1] >= 1 and v.is_float)
    if z is None:
        return False
    classes = z.shape[-1]
    reduction = p.draw(st.sampled_from(["mean", "sum", "none"]))
    if z.ndim == 1:
        label = p.draw(st.integers(0, classes - 1))
        ours_labels, torch_labels = f"np.array({label})", f"torch.tensor({label})"
    else:
        labels = np.array(p.draw(st.lists(st.integers(0, classes - 1), min_size=z.shape[0], max_size=z.shape[0])),
                          dtype=np.int64)
        ours_labels, torch_labels = array_source(labels), array_source(labels, "torch")
    ours = f"ag.softmax_cross_entropy({z.name}, {ours_labels}, reduction={reduction!r})"
    p.apply("softmax_cross_entropy", ours, f"F.cross_entropy({z.name}, {torch_labels}, reduction={reduction!r})", [z])
    return True


CASTS = {"np.float32": "f32", "np.float64": "torch.float64", "np.int64": "torch.int64", "np.int32": "torch.int32"}


def op_cast(p: Program) -> bool:
    a = p.pick()
    if a is None:
        return False
    target = p.draw(st.sampled_from(list(CASTS)))
    values = a.ref.detach().numpy()
    if "int" in target and a.is_float and not (np.isfinite(values).all() and (np.abs(values) < 2**31).all()):
        target = "np.float64"  # casting inf, NaN or huge numbers to integers is undefined in C
    p.apply("cast", f"{a.name}.astype({target})", f"{a.name}.to({CASTS[target]})", [a])
    return True


# ---------------------------------------------------------------------------------------------------
# Families of programs and the tests

ELEMENTWISE = (op_arithmetic, op_arithmetic, op_unary, op_unary, op_leaky_relu, op_clip, op_maximum, op_where)
REDUCING = (op_reduce, op_reduce, op_softmax)
SHAPES = (op_reshape, op_transpose, op_broadcast_to, op_squeeze, op_expand_dims, op_flatten, op_index, op_index,
          op_join)
LINALG = (op_matmul, op_matmul, op_linear, op_cross_entropy)

FAMILIES: dict[str, tuple[tuple[Callable, ...], tuple[np.dtype, ...]]] = {  # ops, input dtypes
    "elementwise": (ELEMENTWISE, FLOATS),
    "reductions": (REDUCING + ELEMENTWISE[:4], FLOATS),
    "shapes": (SHAPES + ELEMENTWISE[:3], FLOATS),
    "linalg": (LINALG + ELEMENTWISE[:3] + REDUCING[:1], FLOATS),
    "dtypes": (ELEMENTWISE + REDUCING + (op_cast, op_cast, op_compare, op_matmul, op_join), FLOATS + INTEGERS),
    "mixed": (ELEMENTWISE + REDUCING + SHAPES + LINALG + (op_cast, op_compare), FLOATS + INTEGERS[1:]),
}
MIXED_DTYPE_OPS = {op_arithmetic, op_maximum, op_where, op_join, op_matmul, op_linear}


def draw_inputs(p: Program, dtypes: Sequence[np.dtype]) -> None:
    """1 to 3 inputs of mutually broadcastable shapes; one dtype for all, or (rarely) one each."""
    base = tuple(p.draw(st.lists(SIDES, min_size=0, max_size=3)))
    count = p.draw(st.integers(1, 3))
    shared = p.draw(st.sampled_from(list(dtypes)))
    mixed = len(dtypes) > 2 or p.draw(st.integers(0, 4)) == 0
    for _ in range(count):
        dtype = p.draw(st.sampled_from(list(dtypes))) if mixed else shared
        shape = base[p.draw(st.integers(0, len(base))):]
        shape = tuple(1 if p.draw(st.integers(0, 3)) == 0 else s for s in shape)
        draw_leaf(p, shape, np.dtype(dtype))


def run_program(draw: Callable, family: str) -> Program:
    ops, dtypes = FAMILIES[family]
    p = Program(draw)
    draw_inputs(p, dtypes)
    mixed = len(dtypes) > 2
    for _ in range(p.draw(st.integers(1, MAX_STEPS))):
        for _attempt in range(3):  # an operation that does not apply to the values at hand: draw another
            op = p.draw(st.sampled_from(ops))
            if op(p, dtypes) if op in MIXED_DTYPE_OPS and mixed else op(p):
                break
    p.check_gradients()
    return p


# Every phase but "explain": it traces coverage (slow), and the repro says more than the lines it lists.
PHASES = [phase for phase in Phase if phase is not Phase.explain]


def _examples() -> int:
    return PROGRAMS_PER_EXAMPLE_BUDGET * settings.default.max_examples


@pytest.mark.parametrize("family", list(FAMILIES))
@settings(max_examples=_examples(), phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(data=st.data())
def test_programs_agree_with_pytorch(family, data):
    with reported_here():
        run_program(data.draw, family)


@contextlib.contextmanager
def reported_here() -> Iterator[None]:
    """Re-raise a Mismatch from the test itself: its message holds the repro, and a traceback through the
    harness would only make pytest parse this module once per frame, for every failing example."""
    try:
        yield
    except Mismatch as mismatch:
        raise AssertionError(str(mismatch)) from None


# ---------------------------------------------------------------------------------------------------
# Pinned programs: the semantics issue 11 names, each a program that must agree with PyTorch (or with
# the rule of DIFFERENCES it names).


@dataclass
class Pinned:
    inputs: dict[str, Any]  # name -> array (floating arrays require grad unless the name ends in "_c")
    lines: list[str | tuple[str, str]]  # one source for both engines, or (ours, PyTorch)
    rule: str | None = None
    id: str = ""


def f32(*values: Any) -> np.ndarray:
    return np.array(values if len(values) != 1 else values[0], dtype=np.float32)


def f64(*values: Any) -> np.ndarray:
    return np.array(values if len(values) != 1 else values[0], dtype=np.float64)


PINNED = [
    Pinned({"W": np.ones((3, 2))}, ["W[(0, 0, 1), :]"], id="tuple-inside-index-accumulates"),
    Pinned({"W": np.ones((3, 2))}, ["W[[0, 0, 1]]"], id="list-index-accumulates"),
    Pinned({"x": f32(0.0, 0.0, 2.0), "y": f32(0.0, -1.0, 0.0)}, ["x ** y"], rule="pow-second-order-at-zero",
           id="pow-at-zero"),
    Pinned({"b": f32(-1.0, 0.0, 2.0)}, ["0.0 ** b"], id="zero-to-the-power-b"),
    Pinned({"x": f32(0.0, 0.0)}, ["x ** 0", "x ** 2.0", "x ** 0.5"], id="pow-constant-at-zero"),
    Pinned({"x": f32([[-inf, -inf], [0.0, 1.0]])},
           [("ag.logsumexp(x, 1)", "logsumexp_ours(x, 1)")], rule="logsumexp-all-neg-inf",
           id="logsumexp-all-neg-inf"),
    Pinned({"x": np.zeros((2, 0), dtype=np.float32)}, [("ag.softmax(x, 1)", "torch.softmax(x, 1)")],
           id="softmax-zero-length-axis"),
    Pinned({"x": np.zeros((2, 0), dtype=np.float32)}, [("ag.log_softmax(x, 1)", "torch.log_softmax(x, 1)")],
           id="log-softmax-zero-length-axis"),
    Pinned({"x": f32(1.5)}, [("x.sum(axis=0)", "x.sum(dim=0)")], id="0d-sum-axis-0"),
    Pinned({"x": f32(1.5)}, [("x.sum(axis=-1)", "x.sum(dim=-1)")], id="0d-sum-axis-minus-1"),
    Pinned({"x": f32(1.5)}, [("x.max(axis=0)", "torch.amax(x, dim=0)")], id="0d-max-axis-0"),
    Pinned({"x": f32(1.5)}, [("x.mean(axis=-1)", "x.mean(dim=-1)")], id="0d-mean-axis-minus-1"),
    Pinned({"x": f32(1.5)}, [("ag.logsumexp(x, 0)", "torch.logsumexp(x, 0)")], id="0d-logsumexp-axis-0"),
    Pinned({"x": f32(1.5)}, [("x.squeeze(0)", "x.squeeze(0)")], id="0d-squeeze-0"),
    Pinned({"x": f32(1.5)}, [("ag.softmax(x, 0)", "torch.softmax(x, 0)")], id="0d-softmax"),
    Pinned({"x": np.zeros(3, dtype=np.float32)}, ["x[[]]"], id="empty-index-list"),
    Pinned({"x": f32([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])}, [("x.max(axis=1)", "torch.amax(x, dim=1)")],
           id="max-ties-split"),
    Pinned({"x": f32([[1.0, -3.0, -3.0], [2.0, 2.0, 2.0]])}, [("x.min()", "torch.amin(x)")], id="min-ties-split"),
    Pinned({"a": f32(1.0, 2.0, 3.0), "b": f32(1.0, 0.0, 3.0)}, [("ag.maximum(a, b)", "torch.maximum(a, b)")],
           id="maximum-ties-half"),
    Pinned({"a": f32(1.0, 2.0, 3.0), "b": f32(1.0, 0.0, 3.0)}, [("ag.minimum(a, b)", "torch.minimum(a, b)")],
           id="minimum-ties-half"),
    Pinned({"x": f32(-1.0, 0.0, -0.0, 2.0)}, [("x.relu()", "torch.relu(x)")], id="relu-kink"),
    Pinned({"x": f32(-1.0, 0.0, -0.0, 2.0)}, [("x.abs()", "torch.abs(x)")], id="abs-kink"),
    Pinned({"x": f32(-1.0, 0.0, 0.5, 1.0, 2.0)}, [("x.clip(0.0, 1.0)", "torch.clamp(x, 0.0, 1.0)")],
           id="clip-boundaries"),
    Pinned({"x": f32(-1.0, 0.0, 2.0)}, [("ag.leaky_relu(x, 0.2)", "F.leaky_relu(x, 0.2)")], id="leaky-relu-kink"),
    Pinned({"i_c": np.arange(3), "x": f32(0.5, 1.0, 2.0)}, ["i_c * x"], id="int-times-float32"),
    Pinned({"i_c": np.arange(3, dtype=np.int32)}, ["i_c + 2.5"], id="int-plus-python-float"),
    Pinned({"i_c": np.arange(3)}, [("ag.exp(i_c)", "torch.exp(i_c)")], id="exp-of-integers"),
    Pinned({"i_c": np.arange(3)}, ["i_c / i_c"], id="int-division"),
    Pinned({"i_c": np.arange(3, dtype=np.int32)}, [("ag.sigmoid(i_c)", "torch.sigmoid(i_c)")],
           id="sigmoid-of-integers"),
    Pinned({"b_c": np.array([True, False])}, [("ag.exp(b_c)", "torch.exp(b_c)")], id="exp-of-bool"),
    Pinned({"b_c": np.array([True, False])}, [("ag.sigmoid(b_c)", "torch.sigmoid(b_c)")], id="sigmoid-of-bool"),
    Pinned({"i_c": np.arange(3)}, [("i_c.mean()", "torch.mean(to_float(i_c))")], rule="float-op-on-integers",
           id="mean-of-integers"),
    Pinned({"x": f32(0.5, 1.0, 2.0), "s": f64(2.0)}, [("x * s", "x.to(torch.float64) * s")],
           rule="zero-dim-promotion", id="float32-times-0d-float64"),
    Pinned({"x": f32([[0.5, 1.0]]), "w": f64([[1.0], [2.0]])}, [("x @ w", "x.to(torch.float64) @ w")],
           rule="mixed-dtype-matmul", id="matmul-float32-float64"),
    Pinned({"x": np.zeros((2, 3), dtype=np.float32)}, [("x.transpose(1, 2)", "x.permute(1, 2)")],
           id="transpose-missing-axis"),
    Pinned({"x": np.zeros((2, 3), dtype=np.float32)}, [("x.transpose(0, 5)", "x.permute(0, 5)")],
           id="transpose-axis-5"),
    Pinned({"x": f32([[1.0, 2.0], [3.0, 4.0]])}, [("x.mean(axis=(0, 1))", "x.mean(dim=(0, 1))")],
           id="mean-tuple-axis"),
    Pinned({"x": np.zeros((0, 2), dtype=np.float32)}, [("ag.logsumexp(x, 0)", "torch.logsumexp(x, 0)")],
           id="logsumexp-over-empty-axis"),
    Pinned({"x": f32(-0.0, 0.0), "y": f32(-1.0, -0.5)}, ["x ** y"], id="pow-at-zero-negative-exponent"),
    Pinned({"x": f32(-1.0, 0.0, 2.0)}, [("ag.log(x.relu())", "torch.log(torch.relu(x))")],
           id="relu-masks-an-infinite-gradient"),
    Pinned({"a": f32(-1.0, 3.0), "b": f32(0.0, 0.0)}, [("ag.log(ag.maximum(a, b))", "torch.log(torch.maximum(a, b))")],
           id="maximum-masks-an-infinite-gradient"),
    Pinned({"x": f32(1.0, 0.0, -1.0)}, ["x / 0.0"], id="division-by-zero-is-silent"),
    Pinned({"x": f32(1.5)}, [("x.var(axis=0)", "torch.var(x, dim=0, correction=0)")], id="0d-var-axis-0"),
    Pinned({"x": f32([[0.5, -1.0]]), "w": np.zeros((2, 0), dtype=np.float32)},
           [("ag.linear(x, w)", "F.linear(x, w.T)")], id="linear-without-outputs"),
    Pinned({"z": np.zeros((0, 3), dtype=np.float32)},
           [("ag.softmax_cross_entropy(z, np.zeros(0, dtype=np.int64))",
             "F.cross_entropy(z, torch.zeros(0, dtype=torch.int64))")], id="cross-entropy-of-no-samples"),
    Pinned({"z": f32([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])},
           [("ag.softmax_cross_entropy(z, np.array([2, 0]))", "F.cross_entropy(z, torch.tensor([2, 0]))")],
           id="cross-entropy"),
]


@pytest.mark.parametrize("case", PINNED, ids=[case.id for case in PINNED])
def test_pinned_program(case):
    p = Program()
    for name, array in case.inputs.items():
        array = np.asarray(array)
        p.leaf(array, requires_grad=array.dtype.kind == "f" and not name.endswith("_c"), name=name)
    with reported_here():
        for line in case.lines:
            ours, theirs = (line, line) if isinstance(line, str) else line
            p.apply(case.id, ours, theirs, [], case.rule)
        p.check_gradients()


def test_docs_list_every_difference():
    """docs/api.md has one row per entry of DIFFERENCES, in the section "Differences from PyTorch"."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
    section = text.split("## Differences from PyTorch", 1)
    assert len(section) == 2, "docs/api.md has no section 'Differences from PyTorch'"
    table = [line for line in section[1].split("\n## ", 1)[0].splitlines() if line.startswith("| ")]
    rows = table[1:]  # after the header
    assert len(rows) == len(DIFFERENCES), "one row per deliberate difference"
    for key, difference in DIFFERENCES.items():
        assert any(_plain(difference.what) in _plain(row) for row in rows), f"docs/api.md lacks the row {key}"


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
