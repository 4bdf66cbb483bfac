"""Every operation, property-tested with our own public tools (`autograd.testing`).

Each `backprop_test` line is a hypothesis test: shapes from 0-d to 3-d with size-1 axes and broadcast
pairs, float64 values; the forward must equal NumPy's, the gradients central differences (for a random
upstream gradient), with the right shape and dtype; inputs and upstream gradients must stay unmodified,
gradients unaliased, and the graph released. `second_order=True` adds gradgradcheck on every example.
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd.testing import backprop_test
from autograd.testing import strategies as ags

SECOND_ORDER_EXAMPLES = 20  # gradgradcheck runs a backward per numerical evaluation: fewer examples


def pairs(a_options=None, b_options=None, shapes=None):
    """Two tensors with broadcastable shapes, each with its own element options."""
    shapes = shapes if shapes is not None else ags.broadcastable_shapes(2)
    return shapes.flatmap(
        lambda s: st.tuples(ags.tensors(s[0], **(a_options or {})), ags.tensors(s[1], **(b_options or {})))
    )


NONZERO = {"avoid": (0.0,), "margin": 0.5}  # divisors: |b| >= 0.5 keeps a / b and its derivatives tame
POSITIVE = {"min_value": 0.2, "max_value": 3.0}


# ---------------------------------------------------------------------- arithmetic (broadcasting)
test_add = backprop_test(lambda a, b: a + b, np.add, second_order=True, max_examples=SECOND_ORDER_EXAMPLES)
test_add_functional = backprop_test(ag.ops.add, np.add)
test_sub = backprop_test(lambda a, b: a - b, np.subtract)
test_mul = backprop_test(lambda a, b: a * b, np.multiply, second_order=True, max_examples=SECOND_ORDER_EXAMPLES)
test_div = backprop_test(lambda a, b: a / b, np.divide, inputs=pairs(b_options=NONZERO), second_order=True,
                         max_examples=SECOND_ORDER_EXAMPLES)
test_neg = backprop_test(lambda a: -a, np.negative)
test_pow_tensor_exponent = backprop_test(
    lambda a, b: a**b, np.power, inputs=pairs(POSITIVE, {"min_value": -2.0, "max_value": 2.0}),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_pow_constant_exponent = backprop_test(
    lambda x, c: x**c, np.power,
    inputs=st.tuples(ags.tensors(**POSITIVE), st.sampled_from([0, 1, 2, 3, 0.5, -1, -2.5])),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_pow_of_negative_base_by_integer = backprop_test(
    lambda x, c: x**c, np.power, inputs=st.tuples(ags.tensors(**NONZERO), st.sampled_from([2, 3, -1]))
)
test_number_to_tensor_power = backprop_test(lambda x: 2.0**x, lambda x: np.power(2.0, x))

# Reflected operators: a Python number or NumPy array on the left.
test_reflected_sub = backprop_test(lambda x: 3.0 - x, lambda x: 3.0 - x)
test_reflected_div = backprop_test(lambda x: 2.0 / x, lambda x: 2.0 / x, **NONZERO)
test_array_on_the_left = backprop_test(
    lambda c, x: c * x + c, lambda c, x: c * x + c,
    inputs=ags.broadcastable_shapes(2).flatmap(
        lambda s: st.tuples(ags.arrays(s[0]), ags.tensors(s[1]))
    ),
)

# ---------------------------------------------------------------------- matmul (NumPy's rules)
test_matmul = backprop_test(ag.matmul, np.matmul, inputs=ags.matmul_tensors(), second_order=True,
                            max_examples=SECOND_ORDER_EXAMPLES)
test_matmul_operator = backprop_test(lambda a, b: a @ b, np.matmul, inputs=ags.matmul_tensors())
test_matmul_with_constant_matrix = backprop_test(
    lambda a, b: a @ b, np.matmul,
    inputs=ags.matmul_shapes().flatmap(lambda s: st.tuples(ags.tensors(s[0]), ags.tensors(s[1], requires_grad=False))),
)

# ---------------------------------------------------------------------- elementwise
test_exp = backprop_test(ag.exp, np.exp, second_order=True, max_examples=SECOND_ORDER_EXAMPLES)
test_log = backprop_test(ag.log, np.log, **POSITIVE, second_order=True, max_examples=SECOND_ORDER_EXAMPLES)
test_sqrt = backprop_test(ag.sqrt, np.sqrt, **POSITIVE, second_order=True, max_examples=SECOND_ORDER_EXAMPLES)
test_abs = backprop_test(ag.abs, np.abs, avoid=(0.0,))
test_tanh = backprop_test(ag.tanh, np.tanh, second_order=True, max_examples=SECOND_ORDER_EXAMPLES)


def sigmoid_reference(x):
    return 1.0 / (1.0 + np.exp(-x))


test_sigmoid = backprop_test(ag.sigmoid, sigmoid_reference, second_order=True, max_examples=SECOND_ORDER_EXAMPLES)
test_sigmoid_wide_range = backprop_test(ag.sigmoid, sigmoid_reference, min_value=-30.0, max_value=30.0)
test_softplus = backprop_test(lambda x: x.softplus(), lambda x: np.log1p(np.exp(x)), second_order=True,
                              max_examples=SECOND_ORDER_EXAMPLES)
test_relu = backprop_test(ag.relu, lambda x: np.maximum(x, 0.0), avoid=(0.0,))
test_leaky_relu = backprop_test(
    lambda x, slope: ag.leaky_relu(x, slope), lambda x, slope: np.where(x > 0, x, slope * x),
    inputs=st.tuples(ags.tensors(avoid=(0.0,)), st.sampled_from([0.01, 0.2])),
)
test_clip = backprop_test(
    lambda x, lo, hi: x.clip(lo, hi), np.clip,
    inputs=st.tuples(ags.tensors(avoid=(-1.0, 0.5)), st.sampled_from([-1.0, None]), st.sampled_from([0.5, None]))
    .filter(lambda args: args[1] is not None or args[2] is not None),
)

# maximum / minimum: a on odd multiples of 1/128, b on even ones, so they never tie (ties split the gradient).
_odd = ags.elements(grid=1 / 64).map(lambda v: v + 1 / 128)
_even = ags.elements(grid=1 / 64)
untied_pairs = ags.broadcastable_shapes(2).flatmap(
    lambda s: st.tuples(ags.tensors(s[0], elements=_odd), ags.tensors(s[1], elements=_even))
)
test_maximum = backprop_test(ag.maximum, np.maximum, inputs=untied_pairs)
test_minimum = backprop_test(ag.minimum, np.minimum, inputs=untied_pairs)

test_where = backprop_test(
    ag.where, np.where,
    inputs=ags.broadcastable_shapes(3).flatmap(
        lambda s: st.tuples(ags.arrays(s[0], dtype=bool), ags.tensors(s[1]), ags.tensors(s[2]))
    ),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_where_with_scalar_branch = backprop_test(
    lambda cond, x: ag.where(cond, x, 0.5), lambda cond, x: np.where(cond, x, 0.5),
    inputs=ags.broadcastable_shapes(2).flatmap(lambda s: st.tuples(ags.arrays(s[0], dtype=bool), ags.tensors(s[1]))),
)
# Casting through float32 rounds the values (1e-7 relative): a larger step keeps central differences exact
# enough, and the function is linear, so the step costs no truncation error.
test_cast_roundtrip = backprop_test(
    lambda x: x.astype(np.float32).astype(np.float64) * 2.0,
    lambda x: x.astype(np.float32).astype(np.float64) * 2.0,
    eps=1e-2, atol=1e-4,
)

# ---------------------------------------------------------------------- reductions
def reductions(**tensor_options):
    """(x, axis, keepdims) for a reduction: axis None, an int or a tuple; keepdims True or False."""
    return st.tuples(ags.tensors_and_axes(**tensor_options), st.booleans()).map(lambda t: (*t[0], t[1]))


test_sum = backprop_test(
    lambda x, axis, keep: x.sum(axis, keep), lambda x, axis, keep: np.sum(x, axis, keepdims=keep),
    inputs=reductions(),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_mean = backprop_test(
    lambda x, axis, keep: x.mean(axis, keep), lambda x, axis, keep: np.mean(x, axis, keepdims=keep),
    inputs=reductions(),
)
test_var = backprop_test(
    lambda x, axis, keep: x.var(axis, keep), lambda x, axis, keep: np.var(x, axis, keepdims=keep),
    inputs=reductions(),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
# max / min: distinct elements at least 1/64 apart, so no two tie within the finite-difference step.
test_max = backprop_test(
    lambda x, axis, keep: x.max(axis, keep), lambda x, axis, keep: np.max(x, axis, keepdims=keep),
    inputs=reductions(min_gap=1 / 64),
)
test_min = backprop_test(
    lambda x, axis, keep: ag.ops.min(x, axis, keep), lambda x, axis, keep: np.min(x, axis, keepdims=keep),
    inputs=reductions(min_gap=1 / 64),
)


def logsumexp_reference(x, axis, keep):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keep))


test_logsumexp = backprop_test(
    lambda x, axis, keep: ag.logsumexp(x, axis, keep), logsumexp_reference,
    inputs=reductions(),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)


def softmax_reference(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


test_softmax = backprop_test(ag.softmax, softmax_reference, inputs=ags.tensors_and_axes(single=True),
                             second_order=True, max_examples=SECOND_ORDER_EXAMPLES)
test_log_softmax = backprop_test(
    ag.log_softmax, lambda x, axis: np.log(softmax_reference(x, axis)), inputs=ags.tensors_and_axes(single=True),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_log_softmax_of_large_logits = backprop_test(
    ag.log_softmax, lambda x, axis: x - np.log(np.sum(np.exp(x - x.max(axis, keepdims=True)), axis, keepdims=True))
    - x.max(axis, keepdims=True),
    inputs=ags.tensors_and_axes(single=True, min_value=-500.0, max_value=500.0),
    forward_rtol=1e-9, forward_atol=1e-9,
)

# ---------------------------------------------------------------------- shapes
test_reshape = backprop_test(
    lambda x, shape: x.reshape(shape), np.reshape,
    inputs=ags.shapes().flatmap(
        lambda s: st.tuples(ags.tensors(s), st.sampled_from([(-1,), s[::-1], (1, *s), (*s, 1)]))
    ),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_transpose = backprop_test(
    lambda x, axes: x.transpose(*axes), lambda x, axes: np.transpose(x, axes),
    inputs=ags.shapes().flatmap(lambda s: st.tuples(ags.tensors(s), st.permutations(range(len(s))).map(tuple))),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_T = backprop_test(lambda x: x.T, lambda x: x.T)
test_swapaxes = backprop_test(
    lambda x, a, b: x.swapaxes(a, b), np.swapaxes,
    inputs=ags.shapes(min_dims=1).flatmap(
        lambda s: st.tuples(ags.tensors(s), ags.axes(len(s), single=True), ags.axes(len(s), single=True))
    ),
)
test_squeeze = backprop_test(lambda x: x.squeeze(), np.squeeze, shapes=ags.shapes(max_side=2))
test_expand_dims = backprop_test(
    lambda x, axis: x.unsqueeze(axis), np.expand_dims,
    inputs=ags.shapes().flatmap(lambda s: st.tuples(ags.tensors(s), st.integers(-len(s) - 1, len(s)))),
)
test_flatten = backprop_test(
    lambda x, start: x.flatten(start), lambda x, start: x.reshape(x.shape[:start] + (-1,)),
    inputs=ags.shapes(min_dims=1).flatmap(lambda s: st.tuples(ags.tensors(s), st.integers(0, len(s) - 1))),
)
test_broadcast_to = backprop_test(
    lambda x, shape: x.broadcast_to(shape), np.broadcast_to,
    inputs=ags.broadcastable_shapes(2).flatmap(
        lambda s: st.tuples(ags.tensors(s[0]), st.just(np.broadcast_shapes(*s)))
    ),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_repeat_constant_count = backprop_test(
    lambda x, reps, axis: x.repeat(reps, axis=axis), np.repeat,
    inputs=ags.shapes().flatmap(
        lambda s: st.tuples(ags.tensors(s), st.integers(0, 3), st.none() | ags.axes(len(s), single=True)
                            if s else st.none())
    ),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_repeat_counts_per_element = backprop_test(
    lambda x, reps, axis: x.repeat(reps, axis=axis), np.repeat,
    inputs=ags.shapes(min_dims=1).flatmap(
        lambda s: st.integers(0, len(s) - 1).flatmap(
            lambda axis: st.tuples(ags.tensors(s), hnp.arrays(np.int64, s[axis], elements=st.integers(0, 3)),
                                   st.just(axis))
        )
    ),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_getitem_basic_index = backprop_test(
    lambda x, index: x[index], lambda x, index: x[index],
    inputs=ags.shapes(min_dims=1).flatmap(lambda s: st.tuples(ags.tensors(s), hnp.basic_indices(s))),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_getitem_integer_arrays_with_repeats = backprop_test(
    lambda x, index: x[index], lambda x, index: x[index],
    inputs=ags.shapes(min_dims=1).flatmap(
        lambda s: st.tuples(ags.tensors(s), hnp.integer_array_indices(s, result_shape=ags.shapes(max_dims=2)))
    ),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_getitem_boolean_mask = backprop_test(
    lambda x, mask: x[mask], lambda x, mask: x[mask],
    inputs=ags.shapes(min_dims=1).flatmap(lambda s: st.tuples(ags.tensors(s), ags.arrays(s, dtype=bool))),
)


@st.composite
def concatenable(draw, stack=False):
    """(axis, *tensors): 1 to 3 tensors that agree on every axis but the joined one (on all, to stack)."""
    count = draw(st.integers(1, 3))
    if stack:
        shape = draw(ags.shapes())
        axis = draw(st.integers(-len(shape) - 1, len(shape)))
        return (axis, *(draw(ags.tensors(shape)) for _ in range(count)))
    shape = draw(ags.shapes(min_dims=1))
    axis = draw(ags.axes(len(shape), single=True))
    pieces = []
    for _ in range(count):
        piece_shape = list(shape)
        piece_shape[axis] = draw(st.integers(1, 3))
        pieces.append(draw(ags.tensors(tuple(piece_shape))))
    return (axis, *pieces)


test_concatenate = backprop_test(
    lambda axis, *xs: ag.concatenate(xs, axis), lambda axis, *xs: np.concatenate(xs, axis),
    inputs=concatenable(), second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_stack = backprop_test(
    lambda axis, *xs: ag.stack(xs, axis), lambda axis, *xs: np.stack(xs, axis), inputs=concatenable(stack=True),
)

# ---------------------------------------------------------------------- dtypes and empty tensors
# float32 stays float32 (forward and gradients); the analytic side has float32 precision, so the
# gradient tolerance is looser (the numerical side still runs in float64).
FLOAT32 = {"dtype": np.float32, "atol": 1e-3, "rtol": 1e-2, "forward_rtol": 1e-6, "forward_atol": 1e-6}
test_mul_float32 = backprop_test(lambda a, b: a * b, np.multiply, **FLOAT32)
test_tanh_float32 = backprop_test(ag.tanh, np.tanh, **FLOAT32)
test_matmul_float32 = backprop_test(
    ag.matmul, np.matmul, inputs=ags.matmul_tensors(dtype=np.float32),
    **{k: v for k, v in FLOAT32.items() if k != "dtype"},
)
test_softmax_float32 = backprop_test(
    ag.softmax, softmax_reference, inputs=ags.tensors_and_axes(single=True, dtype=np.float32),
    **{k: v for k, v in FLOAT32.items() if k != "dtype"},
)
test_sum_float32 = backprop_test(
    lambda x: x.sum(axis=0, keepdims=True), lambda x: np.sum(x, axis=0, keepdims=True),
    shapes=ags.shapes(min_dims=1), **FLOAT32,
)
test_mixed_precision_mul = backprop_test(
    lambda a, b: a * b, np.multiply,
    inputs=pairs({"dtype": np.float32}, {"dtype": np.float64}), atol=1e-3, rtol=1e-2,
)
test_add_empty = backprop_test(lambda a, b: a + b, np.add, shapes=ags.broadcastable_shapes(2, min_side=0))
test_sum_empty = backprop_test(lambda x: x.sum(axis=0), lambda x: np.sum(x, axis=0),
                               shapes=ags.shapes(min_dims=1, min_side=0))


# ---------------------------------------------------------------------- composites
def mlp_loss(x, w1, w2):
    return ((x @ w1).tanh() @ w2).sigmoid().mean()


def mlp_loss_reference(x, w1, w2):
    return np.mean(sigmoid_reference(np.tanh(x @ w1) @ w2))


test_small_mlp_loss = backprop_test(
    mlp_loss, mlp_loss_reference,
    inputs=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)).flatmap(
        lambda n: st.tuples(ags.tensors((n[0], 2)), ags.tensors((2, n[1])), ags.tensors((n[1], n[2])))
    ),
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_value_reused_in_many_places = backprop_test(
    lambda x: x * x.exp() + (x * x).sum() - x.tanh() * x, lambda x: x * np.exp(x) + (x * x).sum() - np.tanh(x) * x,
    second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)
test_standardize = backprop_test(
    lambda x: (x - x.mean(axis=-1, keepdims=True)) / (x.var(axis=-1, keepdims=True) + 1.0).sqrt(),
    lambda x: (x - x.mean(axis=-1, keepdims=True)) / np.sqrt(x.var(axis=-1, keepdims=True) + 1.0),
    shapes=ags.shapes(min_dims=1),
)


# ---------------------------------------------------------------------- fused primitives
def _linear_inputs():
    sizes = st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4))
    return sizes.flatmap(
        lambda n: st.tuples(ags.tensors((n[0], n[1])), ags.tensors((n[1], n[2])), ags.tensors((n[2],)))
    )


def _cross_entropy_inputs():
    sizes = st.tuples(st.integers(1, 5), st.integers(2, 5))
    return sizes.flatmap(
        lambda nc: st.tuples(
            ags.tensors(nc), hnp.arrays(np.int64, (nc[0],), elements=st.integers(0, nc[1] - 1))
        )
    )


def _cross_entropy_reference(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probabilities[np.arange(len(labels)), labels].mean()


test_linear = backprop_test(ag.linear, lambda x, w, b: x @ w + b, inputs=_linear_inputs(), second_order=True,
                            max_examples=SECOND_ORDER_EXAMPLES)
test_softmax_cross_entropy = backprop_test(ag.softmax_cross_entropy, _cross_entropy_reference,
                                           inputs=_cross_entropy_inputs())
