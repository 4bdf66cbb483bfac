"""Mutants that cannot change behaviour, and why: left out of the score, and listed in its report.

An entry names a file, the line the mutant is on (its text, not its number, so entries survive edits
elsewhere) and the change (text that `describe()` of the mutant contains, e.g. "[keyword]" or
"[compare] g is None"). List a mutant here only once you are convinced no input can tell it from the
original; a mutant that is merely hard to test is a survivor, not an equivalent. The runner does not run
these (`--check-equivalents` does, and reports any that a test kills); an entry that matches no mutant
any more is reported too.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.mutation.mutants import Mutant

# Why, once for each kind of equivalence.
SAME_LENGTH = ("zip(..., strict=True) over sequences built with one entry per input (or per output) by "
               "construction: strict only guards against a bug elsewhere, and never fires")
STRICT_DEFAULT = "strict=False is zip's default: dropping it changes nothing"
COPY_FALSE = "astype(copy=False) only skips a copy when the dtype already matches: a copy holds the same values"
SLOW_PATH = ("only routes more nodes through _output_grads_seen_by_user, which changes nothing for a node without "
             "hooks, retained or requested outputs, and missing gradients (a node always has at least one)")
CONFORM_ANYWAY = ("only sends more gradients through _conform, which returns a gradient of the right kind, "
                  "shape and dtype as it is (and checks it under detect_anomaly just the same)")
LEAF_SLOT = "the slot of an edge to a leaf is never read: Waiting.send keys leaves by the tensor alone"
PAD_ONLY_WHEN_DIFFERENT = "_pad_grads is called only when len(grads) != len(edges), so > and >= agree there"
POPPED_LIST = "the list was just popped from Waiting.pending and nothing else refers to it: no need to copy it"
GRAD_NEVER_ACCUMULATES = ("`shared` keeps arrays out of in-place accumulation into .grad, which happens only in "
                          "backward(); requested outputs exist only in grad(), which accumulates nothing")
TENSOR_IFF_CREATE_GRAPH = ("a gradient reaching a leaf is a Tensor exactly when create_graph is on (_seed, "
                           "_conform and _run_hooks make it so), so the two tests agree")
UNIQUE_TICKS = "ticks are unique: the latest change never carries the node's own tick, so > and >= agree"
FAST_PATH_CHOICE = ("which path apply takes, fast or general: the fast paths build exactly the node the "
                    "general one builds (tests/test_engine_fast_paths.py)")
MATMUL_2D = "for a 2-D b, b.shape[0] is b.shape[-2]"
ENGINE_SUMS = ("the engine sums every gradient back to its input's shape (sum_to in _conform), which removes the "
               "same axes this line would")
ANY_FINITE = ("any finite value serves: exp(-inf - m) is 0 and exp(inf - m) is inf for every finite m, and m is "
              "added back (the result of a row of -inf is -inf and its gradient 0 either way)")
RESHAPED_AFTER = "the reshape that follows gives the same array whether the summed axes were kept or not"
ONE_REPEAT = ("`repeats` has one element on this branch; np.reshape gives that one element for the shape 1, -1 or "
              "-2 alike (NumPy takes any negative size as 'the rest')")
ADD_AT = ("is_basic_index only chooses between plain assignment and np.add.at in IndexAdd; np.add.at gives the "
          "same result wherever assignment is right, and a bool scalar index selects every position once")
NEGATIVE_SIZE = "NumPy takes any negative size in a reshape as 'the rest', -2 as well as -1 (on arrays only)"
NEEDS_PER_ARGUMENT = ("needs_input_grad has one entry per argument of apply (six for Conv2d, seven for Normalize), "
                      "so the length test is always true")
EXACT_DIVISION = "x.size is a multiple of the kept size, so / gives the same number as //"
FIRST_SLAB = ("on the first kernel offset the candidate is y itself: the putmask and maximum that follow change "
              "nothing")
WINNER_DTYPE = ("the winners are small integers (kernel offsets): stored or compared as uint8, int32 or float64 they "
                "are the same numbers, and a kernel of exactly 256 offsets (0 to 255) fits uint8")
READ_ONLY_GUARD = "the windows view is only read (copied by im2col, summed by nn's pooling divisor), never written"
ALWAYS_ARRAY = ("a Primitive gets its saved values that are neither inputs nor outputs back as arrays, create_graph "
                "or not: winner is always an ndarray here")
SAME_DIVISION = ("both divide by n in g's dtype: NumPy casts a Python float to an array's dtype, and the engine "
                 "casts a NumPy scalar to the Tensor's")
UNREACHABLE_BACKWARD = ("comparisons give booleans, which never require grad: no output of a Compare node is ever "
                        "differentiated, so its backward never runs")
IN_PLACE = ("in place or not, the same values: on arrays the in-place form only saves an allocation, and on "
            "Tensors `grad *= scale` is recorded like `grad = grad * scale`")


@dataclass(frozen=True)
class Equivalent:
    path: str
    line: str  # the text of the line the mutant is on, stripped
    change: str  # part of the mutant's description: "[operator] original -> mutated"
    reason: str
    after: str | None = None  # the text of the line before, where two lines read the same

    def matches(self, mutant: Mutant) -> bool:
        return (mutant.path == self.path and mutant.source_line == self.line
                and self.change in f"[{mutant.operator}] {mutant.original} -> {mutant.mutated}"
                and self.after in (None, mutant.previous_line))


GRAPH, FUNCTION, FUNCTIONS = "autograd/graph.py", "autograd/function.py", "autograd/functions/"
EQUIVALENT: list[Equivalent] = [
    # graph.py
    *[Equivalent(GRAPH, line, change, SAME_LENGTH)
      for line in ("seeds = [_seed(output, grad, create_graph) for output, grad in zip(outputs, grad_outputs, "
                   "strict=True)]", "for output, seed in zip(outputs, seeds, strict=True):")
      for change in ("[keyword]", "[constant] strict=True")],
    Equivalent(GRAPH, "kind = Tensor if create_graph else np.ndarray  # what gradients travel as", "[negate]",
               CONFORM_ANYWAY),
    Equivalent(GRAPH, "len(grads) > 1 and any(g is None for g in grads)):", "[boolop]", SLOW_PATH),
    Equivalent(GRAPH, "len(grads) > 1 and any(g is None for g in grads)):", "[compare] len(grads) > 1", SLOW_PATH),
    Equivalent(GRAPH, "len(grads) > 1 and any(g is None for g in grads)):", "[compare] g is None", SLOW_PATH),
    Equivalent(GRAPH, "for edge, g, shape, dtype in zip(node.next_edges, input_grads, node.input_shapes,",
               "[keyword]", SAME_LENGTH),
    Equivalent(GRAPH, "node.input_dtypes, strict=True):", "[constant]", SAME_LENGTH),
    Equivalent(GRAPH, "if type(g) is not kind or g.shape != shape or (g.dtype is not dtype and g.dtype != dtype):",
               "[boolop] g.dtype is not dtype and", CONFORM_ANYWAY),
    Equivalent(GRAPH, "return (node, tensor._output_index) if node is not None else (tensor, 0)",
               "[constant] 0 -> 1", LEAF_SLOT),
    Equivalent(GRAPH, "if len(grads) > len(edges) or any(e is not None for e in edges[len(grads):]):",
               "[compare] len(grads) > len(edges) ->", PAD_ONLY_WHEN_DIFFERENT),
    Equivalent(GRAPH, "grads = list(grads)", "[remove]", POPPED_LIST),
    Equivalent(GRAPH, "shared.add(id(grads[slot]))", "[remove]", GRAD_NEVER_ACCUMULATES,
               after="wanted.found[wanted.outputs[(node, slot)]] = _as_tensor(grads[slot])"),
    Equivalent(GRAPH, "if create_graph or isinstance(grad, Tensor):", "[boolop]", TENSOR_IFF_CREATE_GRAPH),
    Equivalent(GRAPH, "grad = _as_tensor(grad)", "[remove]", TENSOR_IFF_CREATE_GRAPH),
    # function.py
    Equivalent(FUNCTION, "if versions.last_change > self.sequence_number:  # something changed in place since: "
               "look closer", "[compare]", UNIQUE_TICKS),
    *[Equivalent(FUNCTION, "if not kwargs and 0 < len(args) <= 2:  # most ops: the same steps with less argument "
                 "handling", change, FAST_PATH_CHOICE) for change in ("-> 0 < len(args) < 2", "-> 1 < len(args) <= 2")],
    *[Equivalent(FUNCTION, f"node.{field} = tuple([{item} if need else None for {name}, need in zip({names}, needs, "
                 "strict=True)])", change, SAME_LENGTH)
      for field, item, name, names in [("next_edges", "_edge_to(arg)", "arg", "args"),
                                       ("input_shapes", "a.shape", "a", "arrays"),
                                       ("input_dtypes", "a.dtype", "a", "arrays")]
      for change in ("[keyword]", "[constant] strict=True")],
    # functions/
    Equivalent(FUNCTIONS + "elementwise.py", "return None, None", "[return]", UNREACHABLE_BACKWARD),
    *[Equivalent(FUNCTIONS + "elementwise.py", line, change, COPY_FALSE)
      for line in ("self.save_for_backward(np.where(positive, 1.0, slope).astype(x.dtype, copy=False))",
                   "return (wins + 0.5 * ties).astype(dtype, copy=False)")
      for change in ("[keyword]", "[constant] copy=False")],
    Equivalent(FUNCTIONS + "linalg.py", "k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]", "-> b.ndim > 2",
               MATMUL_2D),
    Equivalent(FUNCTIONS + "linalg.py", "ga = ga.reshape(ga.shape[:-2] + (ga.shape[-1],))", "[remove]", ENGINE_SUMS),
    *[Equivalent(FUNCTIONS + "linalg.py", "gb = sum_over(g, tuple(range(g.ndim - 1))) if g.ndim > 1 else g",
                 change, ENGINE_SUMS) for change in ("[compare]", "[constant]")],
    # reduction.sum_over's one caller is Linear.backward (above), whose result the engine sums to (out,)
    Equivalent(FUNCTIONS + "reduction.py", "def sum_over(x, axes: tuple[int, ...], keepdims: bool = False):",
               "[constant] False -> True", ENGINE_SUMS),
    *[Equivalent(FUNCTIONS + "reduction.py", "return np.add.reduce(x, axis=axes, keepdims=keepdims)", change,
                 ENGINE_SUMS)
      for change in ("-> np.add.reduce(x, keepdims=keepdims)", "-> np.add.reduce(x, axis=axes)")],
    Equivalent(FUNCTIONS + "reduction.py", "m = np.where(np.isfinite(m), m, 0)  # rows of all -inf (or inf) must "
               "not make inf - inf = nan", "[constant]", ANY_FINITE),
    Equivalent(FUNCTIONS + "reduction.py", "y_kept = where_of(empty, 0.0, y_kept)", "[constant]", ANY_FINITE),
    Equivalent(FUNCTIONS + "shape.py", "if lead < 0 or any(s != 1 and s != g for s, g in zip(shape, grad.shape[lead:], "
               "strict=True)):", "[keyword]", SAME_LENGTH),
    Equivalent(FUNCTIONS + "shape.py", "if lead < 0 or any(s != 1 and s != g for s, g in zip(shape, grad.shape[lead:], "
               "strict=True)):", "[constant] strict=True", SAME_LENGTH),
    *[Equivalent(FUNCTIONS + "shape.py", line, change, RESHAPED_AFTER)
      for line, change in [
          ("grad = np.add.reduce(grad, axis=axes, keepdims=True) if isinstance(grad, np.ndarray) else \\",
           "-> np.add.reduce(grad, axis=axes)"),
          ("grad = np.add.reduce(grad, axis=axes, keepdims=True) if isinstance(grad, np.ndarray) else \\",
           "[constant]"),
          ("grad.sum(axis=axes, keepdims=True)", "-> grad.sum(axis=axes)"),
          ("grad.sum(axis=axes, keepdims=True)", "[constant]")]],
    Equivalent(FUNCTIONS + "shape.py", "r = int(np.reshape(repeats, -1)[0])", "[unary]", ONE_REPEAT),
    Equivalent(FUNCTIONS + "shape.py", "r = int(np.reshape(repeats, -1)[0])", "[constant] -1 -> -2", ONE_REPEAT),
    Equivalent(FUNCTIONS + "shape.py", "return all(", "[return]", ADD_AT),
    Equivalent(FUNCTIONS + "shape.py", "item is None or item is Ellipsis or isinstance(item, (slice, int, "
               "np.integer)) and not isinstance(item, bool)", "[boolop] item is None or", ADD_AT),
    Equivalent(FUNCTIONS + "shape.py", "item is None or item is Ellipsis or isinstance(item, (slice, int, "
               "np.integer)) and not isinstance(item, bool)", "[unary]", ADD_AT),
    Equivalent(FUNCTIONS + "shape.py", "for size, needed in zip(self.sizes, self.needs_input_grad, strict=True):",
               "[keyword]", SAME_LENGTH),
    Equivalent(FUNCTIONS + "shape.py", "for size, needed in zip(self.sizes, self.needs_input_grad, strict=True):",
               "[constant]", SAME_LENGTH),
    Equivalent(FUNCTIONS + "softmax.py", "if isinstance(g, np.ndarray):", "[negate]", IN_PLACE,
               after="scale = g.reshape(n, 1)"),
    Equivalent(FUNCTIONS + "softmax.py", "scale = g / float(n) if not isinstance(g, np.ndarray) else g / "
               "p.dtype.type(n)", "[unary]", SAME_DIVISION),
    # conv.py
    Equivalent(FUNCTIONS + "conv.py", "pad_value: float = 0.0) -> np.ndarray:", "[constant] 0.0 -> 1.0",
               "windows' default pad value is used only with zero padding (nn.functional_layers counts the cells "
               "of each pooling window with it), where no padding is added; im2col passes its own value"),
    Equivalent(FUNCTIONS + "conv.py", "writeable=False)", "[constant]", READ_ONLY_GUARD),
    Equivalent(FUNCTIONS + "conv.py", "return as_strided(xp, (n, c, kh, kw, oh, ow), (s_n, s_c, s_h * dh, s_w * dw, "
               "s_h * sh, s_w * sw),", "[keyword]", READ_ONLY_GUARD),
    Equivalent(FUNCTIONS + "conv.py", "cols = cols.reshape(n, -1, oh * ow)", "[constant] -1 -> -2", NEGATIVE_SIZE),
    Equivalent(FUNCTIONS + "conv.py", "y = np.matmul(w.reshape(o, -1), cols)  # (N, O, OH*OW): already laid out as "
               "NCHW", "[constant] -1 -> -2", NEGATIVE_SIZE),
    *[Equivalent(FUNCTIONS + "conv.py", "if len(needs) > 2 and needs[2]:", change, NEEDS_PER_ARGUMENT)
      for change in ("[boolop]", "[compare]", "[constant] len(needs) > 2")],
    *[Equivalent(FUNCTIONS + "conv.py", "winner = np.zeros(y.shape, dtype=np.uint8 if kernel[0] * kernel[1] <= 256 "
                 "else np.int32)", change, WINNER_DTYPE) for change in ("[keyword]", "[compare]")],
    Equivalent(FUNCTIONS + "conv.py", "onehot = winner.reshape(n, c, 1, oh, ow) == np.arange(kh * kw, "
               "dtype=winner.dtype).reshape(kh * kw, 1, 1)", "[keyword]", WINNER_DTYPE),
    Equivalent(FUNCTIONS + "conv.py", "continue", "[remove]", FIRST_SLAB),
    Equivalent(FUNCTIONS + "conv.py", "winner = (winner if isinstance(winner, np.ndarray) else winner.data)",
               "[remove]", ALWAYS_ARRAY),
    Equivalent(FUNCTIONS + "conv.py", "y = slab.copy() if y is None else np.add(y, slab, out=y)", "[keyword]",
               IN_PLACE),
    # normalization.py
    *[Equivalent(FUNCTIONS + "normalization.py", line, "[binop] x.size //", EXACT_DIVISION)
      for line in ("scale = 1.0 / (x.size // _kept_size(x.shape, axes))", "count = x.size // mean.size",
                   "scale = 1.0 / (x.size // _kept_size(x.shape, self.axes))")],
    *[Equivalent(FUNCTIONS + "normalization.py", f"if len(needs) > {k} and needs[{k}]:", change, NEEDS_PER_ARGUMENT)
      for k in (1, 2) for change in ("[compare]", f"[constant] len(needs) > {k} ->")],
    *[Equivalent(FUNCTIONS + "normalization.py", f"{name} = {total}.sum(axis=self.param_axes, keepdims=True)"
                 f".reshape({shape})", change, RESHAPED_AFTER)
      for name, total, shape in [("gw", "(g * x_hat)", "weight.shape"), ("gb", "g", "self.bias_shape")]
      for change in (f"-> {total}.sum(axis=self.param_axes)", "[constant]")],
]


def equivalence_reason(mutant: Mutant) -> str | None:
    for entry in EQUIVALENT:
        if entry.matches(mutant):
            return entry.reason
    return None
