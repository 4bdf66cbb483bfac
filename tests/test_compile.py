"""autograd.compile: a traced and replayed step gives exactly what eager mode gives, and refuses clearly
what a replay could not reproduce."""

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import CompileError, Tensor
from nn import functional as F

rng = np.random.default_rng(0)


def training_run(make_model, make_optimizer, batches, compiled, loss_fn=F.cross_entropy, scheduler_every=None,
                 make_scheduler=None, seed=0):
    """Losses and final weights of a run over `batches`, eager or compiled, from the same initial state."""
    ag.manual_seed(seed)
    model = make_model()
    optimizer = make_optimizer(model)
    scheduler = make_scheduler(optimizer) if make_scheduler else None

    def step(x, t):
        optimizer.zero_grad()
        loss = loss_fn(model(x), t)
        loss.backward()
        optimizer.step()
        return loss

    run = ag.compile(step) if compiled else step
    losses, modes = [], []
    for i, (x, t) in enumerate(batches):
        ag.manual_seed(1000 + i)  # the same dropout masks in both runs
        losses.append(run(ag.as_tensor(x), ag.as_tensor(t)).item())
        modes.append(run.last_mode if compiled else "eager")
        if scheduler is not None and (i + 1) % scheduler_every == 0:
            scheduler.step()
    return np.array(losses), [p.data.copy() for p in model.parameters()], modes


def batches_like_mnist(n, batch=32):
    return [(rng.random((batch, 784), dtype=np.float32), rng.integers(0, 10, batch)) for _ in range(n)]


def assert_same_run(eager, compiled):
    (losses_e, weights_e, _), (losses_c, weights_c, modes) = eager, compiled
    np.testing.assert_allclose(losses_c, losses_e, rtol=1e-5, atol=1e-6)
    for a, b in zip(weights_c, weights_e, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert modes[:2] == ["traced", "traced"] and set(modes[2:]) == {"replayed"}


def mnist_mlp():
    return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def test_mnist_mlp_with_adam_and_a_scheduler_matches_eager_step_after_step():
    data = batches_like_mnist(12)
    args = (mnist_mlp, lambda m: nn.optim.Adam(m.parameters(), lr=1e-3), data)
    kwargs = {"scheduler_every": 4, "make_scheduler": lambda o: nn.optim.StepLR(o, step_size=1, gamma=0.5)}
    assert_same_run(training_run(*args, compiled=False, **kwargs), training_run(*args, compiled=True, **kwargs))


def test_dropout_draws_fresh_masks_at_every_replay_and_matches_eager():
    data = batches_like_mnist(8)

    def model():
        return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10))

    args = (model, lambda m: nn.optim.SGD(m.parameters(), lr=0.1, momentum=0.9), data)
    eager, compiled = training_run(*args, compiled=False), training_run(*args, compiled=True)
    assert_same_run(eager, compiled)
    assert len(set(np.round(compiled[0], 6))) == len(data)  # fresh randomness: no two steps alike


def test_textbook_moons_step_with_sigmoid_and_mse_matches_eager():
    x = rng.standard_normal((40, 1, 2)).astype(np.float32)
    t = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 40)][:, None, :]
    data = list(zip(x, t, strict=True))

    def model():
        return nn.MLP([2, 25, 50, 25, 2], activation="sigmoid", output_activation="sigmoid")

    args = (model, lambda m: nn.optim.SGD(m.parameters(), lr=0.5), data)
    eager = training_run(*args, compiled=False, loss_fn=F.mse_loss)
    compiled = training_run(*args, compiled=True, loss_fn=F.mse_loss)
    assert_same_run(eager, compiled)


def test_a_hand_written_sgd_step_with_grad_reset_is_replayed():
    w = Tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    w_eager = Tensor(w.data.copy(), requires_grad=True)

    def make_step(weight):
        def step(x):
            loss = ((x @ weight) ** 2).mean()
            loss.backward()
            with ag.no_grad():
                weight.sub_(0.1 * weight.grad)
            weight.grad = None
            return loss
        return step

    compiled, eager = ag.compile(make_step(w)), make_step(w_eager)
    for _ in range(6):
        x = Tensor(rng.standard_normal((4, 3)).astype(np.float32))
        assert compiled(x).item() == pytest.approx(eager(x).item(), rel=1e-6)
    np.testing.assert_allclose(w.data, w_eager.data, rtol=1e-6)
    assert compiled.last_mode == "replayed" and w.grad is None


def test_new_shapes_are_traced_again_and_each_signature_keeps_its_plan():
    model = nn.Linear(4, 2)
    step = ag.compile(lambda x: model(x).sum())
    modes = []
    for batch in (3, 3, 3, 5, 5, 5, 3):
        step(Tensor(np.ones((batch, 4), dtype=np.float32)))
        modes.append(step.last_mode)
    assert modes == ["traced", "traced", "replayed", "traced", "traced", "replayed", "replayed"]
    assert len(step.plans) == 2


def test_eval_mode_selects_another_plan_instead_of_replaying_dropout():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    step = ag.compile(lambda x: model(x))
    x = Tensor(np.ones((2, 4), dtype=np.float32))
    for _ in range(3):
        step(x)
    model.eval()
    outputs = [step(x).data for _ in range(3)]
    assert step.last_mode == "replayed"
    np.testing.assert_array_equal(outputs[0], outputs[2])  # no dropout in eval mode
    np.testing.assert_allclose(outputs[2], model(x).data, rtol=1e-6)


def test_a_compiled_step_returns_tensors_outside_the_graph_and_takes_arrays():
    model = nn.Linear(3, 1)
    step = ag.compile(lambda x: (model(x).sum(), {"mean": model(x).mean()}))
    for _ in range(3):
        total, extra = step(np.ones((2, 3), dtype=np.float32))
    assert step.last_mode == "replayed"
    assert isinstance(total, Tensor) and total.grad_fn is None and isinstance(extra["mean"], Tensor)


# ---------------------------------------------------------------------- what a replay cannot reproduce
def test_reading_a_traced_value_in_python_is_refused():
    w = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)

    @ag.compile
    def step(x):
        loss = (x * w).sum()
        if loss.item() > 0:  # Python control flow on a value
            loss = loss * 2
        return loss

    with pytest.raises(CompileError, match=r"item\(\) of a tensor computed inside a compiled function"):
        step(Tensor(np.ones(3, dtype=np.float32)))


@pytest.mark.parametrize("leak", [lambda t: np.asarray(t), lambda t: bool(t.sum() > 0), lambda t: float(t.sum()),
                                  lambda t: t.tolist(), lambda t: t.numpy()],
                         ids=["asarray", "bool", "float", "tolist", "numpy"])
def test_every_conversion_to_python_data_is_refused_while_tracing(leak):
    @ag.compile
    def step(x):
        y = x * 2.0
        leak(y)
        return y

    with pytest.raises(CompileError, match="could not be replayed"):
        step(Tensor(np.ones(2, dtype=np.float32)))


def test_data_from_outside_that_changes_between_calls_is_refused():
    state = {"offset": np.zeros(3, dtype=np.float32)}
    w = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)

    @ag.compile
    def step(x):
        return (x * w + Tensor(state["offset"])).sum()  # not an argument, but changes

    step(Tensor(np.ones(3, dtype=np.float32)))
    state["offset"] = np.ones(3, dtype=np.float32)
    with pytest.raises(CompileError, match="changed between two calls.*Pass it as an argument"):
        step(Tensor(np.ones(3, dtype=np.float32)))


def test_random_numbers_drawn_inside_the_function_are_refused():
    @ag.compile
    def step(x):
        return (x + ag.randn(3)).sum()

    step(Tensor(np.ones(3, dtype=np.float32)))
    with pytest.raises(CompileError, match="random numbers drawn with randn inside the function"):
        step(Tensor(np.ones(3, dtype=np.float32)))


def test_different_operations_on_two_calls_are_refused():
    calls = {"n": 0}

    @ag.compile
    def step(x):
        calls["n"] += 1
        return x.exp().sum() if calls["n"] % 2 else x.tanh().sum()

    step(Tensor(np.ones(3, dtype=np.float32)))
    with pytest.raises(CompileError, match="did different things on two calls.*Exp.*Tanh"):
        step(Tensor(np.ones(3, dtype=np.float32)))


def test_hooks_and_higher_order_gradients_are_refused():
    w = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)

    @ag.compile
    def with_hook(x):
        y = x * w
        y.register_hook(lambda g: g * 2)
        y.sum().backward()
        return y

    with pytest.raises(CompileError, match="hooks"):
        with_hook(Tensor(np.ones(3, dtype=np.float32)))

    @ag.compile
    def second_order(x):
        (g,) = ag.grad((x * w).sum() ** 2, [w], create_graph=True)
        return g

    with pytest.raises(CompileError, match="autograd.grad inside a compiled function"):
        second_order(Tensor(np.ones(3, dtype=np.float32)))


def test_compile_checks_its_arguments():
    with pytest.raises(TypeError, match="expected a function"):
        ag.compile(3)
    with pytest.raises(ValueError, match="cache_size"):
        ag.compile(lambda x: x, cache_size=0)
    step = ag.compile(lambda x, options: x * 2.0)
    with pytest.raises(CompileError, match="hashable"):
        step(Tensor(np.ones(2)), {"lr": 0.1})


def test_a_replayed_step_holds_no_more_memory_than_an_eager_one():
    import tracemalloc

    def peak_of(compiled):
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
        optimizer = nn.optim.SGD(model.parameters(), lr=0.01)

        def step(x, t):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), t)
            loss.backward()
            optimizer.step()
            return loss

        run = ag.compile(step) if compiled else step
        x, t = rng.random((128, 256), dtype=np.float32), rng.integers(0, 10, 128)
        for _ in range(3):
            run(x, t)
        tracemalloc.start()
        for _ in range(3):
            run(x, t)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    assert peak_of(compiled=True) <= peak_of(compiled=False) * 1.05


def test_a_convnet_with_batch_norm_and_label_smoothing_matches_eager_running_statistics_included():
    def make():
        ag.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(36, 10))
        optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)

        def step(x, t):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), t, label_smoothing=0.1)
            loss.backward()
            optimizer.step()
            return loss

        return model, step

    data = [(rng.random((6, 1, 8, 8), dtype=np.float32), rng.integers(0, 10, 6)) for _ in range(6)]
    (eager_model, eager), (compiled_model, step) = make(), make()
    compiled = ag.compile(step)
    for x, t in data:
        assert compiled(x, t).item() == pytest.approx(eager(x, t).item(), rel=1e-5)
    assert compiled.last_mode == "replayed"
    bn_e, bn_c = eager_model[1], compiled_model[1]
    np.testing.assert_allclose(bn_c.running_mean.data, bn_e.running_mean.data, rtol=1e-5)
    np.testing.assert_allclose(bn_c.running_var.data, bn_e.running_var.data, rtol=1e-5)
    assert bn_c.num_batches_tracked.item() == bn_e.num_batches_tracked.item() == len(data)
    eager_model.eval()
    compiled_model.eval()
    evaluate = ag.compile(lambda x: compiled_model(x))
    for x, _ in data[:3]:
        out = evaluate(x)
    np.testing.assert_allclose(out.data, eager_model(ag.as_tensor(data[2][0])).data, rtol=1e-5)
