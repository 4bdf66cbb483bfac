"""Optimizers and schedulers: update formulas, PyTorch agreement over 20 steps, groups, state dicts, dtypes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
from autograd import GraphError, Tensor
from nn import optim

SHAPES = [(3, 4), (4,), (2, 2)]

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.8, "centered": True, "weight_decay": 0.05}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
]


def config_id(config):
    name, kwargs = config
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def make_params(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [nn.Parameter(rng.standard_normal(shape).astype(dtype)) for shape in SHAPES]


def gradient_sequence(steps, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(shape) for shape in SHAPES] for _ in range(steps)]


def run_ours(name, kwargs, params, grads, optimizer=None):
    optimizer = optimizer or getattr(optim, name)(params, **kwargs)
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = Tensor(g.astype(p.dtype))
        optimizer.step()
    return optimizer


# ---------------------------------------------------------------------- PyTorch agreement
@pytest.mark.parametrize("config", CONFIGS, ids=[config_id(c) for c in CONFIGS])
def test_twenty_steps_match_pytorch(config):
    torch = pytest.importorskip("torch")
    name, kwargs = config
    params = make_params()
    torch_params = [torch.nn.Parameter(torch.tensor(p.data.copy())) for p in params]
    grads = gradient_sequence(20)
    ours = getattr(optim, name)(params, **kwargs)
    theirs = getattr(torch.optim, name)(torch_params, **kwargs)
    for step_grads in grads:
        for p, tp, g in zip(params, torch_params, step_grads, strict=True):
            p.grad = Tensor(g)
            tp.grad = torch.tensor(g)
        ours.step()
        theirs.step()
        for p, tp in zip(params, torch_params, strict=True):
            np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-5, atol=1e-12)


def test_param_groups_with_their_own_learning_rates_match_pytorch():
    torch = pytest.importorskip("torch")
    params = make_params()
    torch_params = [torch.nn.Parameter(torch.tensor(p.data.copy())) for p in params]
    ours = optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.1, "betas": (0.5, 0.9)}], lr=0.01)
    theirs = torch.optim.Adam([{"params": torch_params[:2]}, {"params": torch_params[2:], "lr": 0.1,
                                                              "betas": (0.5, 0.9)}], lr=0.01)
    for step_grads in gradient_sequence(20):
        for p, tp, g in zip(params, torch_params, step_grads, strict=True):
            p.grad, tp.grad = Tensor(g), torch.tensor(g)
        ours.step()
        theirs.step()
    for p, tp in zip(params, torch_params, strict=True):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize("scheduler", ["StepLR", "CosineAnnealingLR"])
def test_schedulers_match_pytorch(scheduler):
    torch = pytest.importorskip("torch")
    kwargs = {"step_size": 3, "gamma": 0.5} if scheduler == "StepLR" else {"T_max": 7, "eta_min": 0.001}
    ours_opt = optim.SGD(make_params(), lr=0.1)
    theirs_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    ours = getattr(optim, scheduler)(ours_opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, scheduler)(theirs_opt, **kwargs)
    for _ in range(20):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-9)
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()


# ---------------------------------------------------------------------- the formulas, by hand
def test_sgd_step_is_p_minus_lr_times_grad():
    p = nn.Parameter(np.array([1.0, 2.0]))
    p.grad = Tensor(np.array([0.5, -1.0]))
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, 2.1])


def test_sgd_momentum_by_hand():
    p = nn.Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    for _ in range(3):
        p.grad = Tensor(np.array([1.0]))
        opt.step()
    # buffers 1, 1.9, 2.71: p = 1 - 0.1 * (1 + 1.9 + 2.71)
    np.testing.assert_allclose(p.data, [1 - 0.561])


def test_adam_first_step_moves_each_coordinate_by_about_lr():
    p = nn.Parameter(np.array([1.0, 1.0, 1.0]))
    p.grad = Tensor(np.array([1e-3, 5.0, -200.0]))
    optim.Adam([p], lr=0.01).step()
    # bias-corrected m / sqrt(v) = g / |g| at step 1: a step of lr in the sign of the gradient
    np.testing.assert_allclose(p.data, [0.99, 0.99, 1.01], rtol=1e-6)


def test_adamw_decays_weights_independently_of_the_gradient():
    p = nn.Parameter(np.array([2.0]))
    p.grad = Tensor(np.array([0.0]))
    optim.AdamW([p], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(p.data, [2.0 * (1 - 0.1 * 0.5)])  # zero gradient: only the decay acts


def test_rmsprop_and_adagrad_by_hand():
    p = nn.Parameter(np.array([1.0]))
    p.grad = Tensor(np.array([2.0]))
    optim.RMSprop([p], lr=0.01, alpha=0.9, eps=0.0).step()
    np.testing.assert_allclose(p.data, [1 - 0.01 * 2.0 / math.sqrt(0.1 * 4.0)])
    q = nn.Parameter(np.array([1.0]))
    opt = optim.Adagrad([q], lr=0.5, eps=0.0)
    for g in (3.0, 4.0):
        q.grad = Tensor(np.array([g]))
        opt.step()
    np.testing.assert_allclose(q.data, [1 - 0.5 * 3 / 3 - 0.5 * 4 / 5])


# ---------------------------------------------------------------------- how steps happen
@pytest.mark.parametrize("config", CONFIGS, ids=[config_id(c) for c in CONFIGS])
def test_float32_parameters_stay_float32_and_are_updated_in_place(config):
    name, kwargs = config
    params = make_params(dtype=np.float32)
    arrays = [p.data for p in params]
    opt = run_ours(name, kwargs, params, gradient_sequence(3))
    for p, array in zip(params, arrays, strict=True):
        assert p.data is array and p.dtype == np.float32
        assert p.is_leaf and p.requires_grad
    for state in opt.state.values():
        for value in state.values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32


def test_a_float64_learning_rate_does_not_upcast():
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    p.grad = Tensor(np.ones(3, dtype=np.float32))
    optim.SGD([p], lr=np.float64(0.1), momentum=np.float64(0.5)).step()
    assert p.dtype == np.float32


def test_step_records_no_graph_and_bumps_the_version():
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = Tensor(np.ones((1, 3), dtype=np.float32), requires_grad=True)  # dL/dx needs the weight: it is saved
    loss = model(x).sum()
    loss.backward(retain_graph=True)
    with autograd.enable_grad():
        opt.step()
    assert all(p.grad_fn is None and p.is_leaf for p in model.parameters())
    # The retained graph saved the old weight: backward through it again must refuse, not give wrong grads.
    with pytest.raises(GraphError, match="modified by an in-place operation"):
        loss.backward()


def test_parameters_without_gradient_are_skipped_and_zero_grad_sets_none():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = Tensor(np.ones(2))
    opt.step()
    np.testing.assert_array_equal(b.data, [1.0, 1.0])
    assert b not in opt.state
    opt.zero_grad()
    assert a.grad is None
    a.grad = Tensor(np.ones(2))
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.data, [0.0, 0.0])


def test_closure_is_evaluated_with_grad_enabled():
    p = nn.Parameter(np.array([3.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with autograd.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.data, [3.0 - 0.25 * 6.0])


def test_training_a_model_reduces_the_loss():
    autograd.manual_seed(0)
    x = autograd.randn(64, 3)
    t = (x.data @ np.array([1.0, -2.0, 0.5], dtype=np.float32))[:, None]
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(150):
        opt.zero_grad()
        loss = nn.MSELoss()(model(x), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-3 * losses[0]


# ---------------------------------------------------------------------- param groups and validation
def test_param_groups_fill_in_defaults_and_reject_duplicates():
    a, b, c = make_params()
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["params"] == [b]
    opt.add_param_group({"params": [c], "lr": 0.01})
    assert len(opt.param_groups) == 3
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([a, a], lr=0.1)
    assert "Parameter Group 1" in repr(opt) and "lr: 0.5" in repr(opt)


def test_bad_optimizer_arguments_are_reported():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="got a single Parameter"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="lr must be >= 0"):
        optim.Adam([p], lr=-1.0)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="not a leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="expected a Tensor"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="alpha"):
        optim.RMSprop([p], alpha=1.5)
    with pytest.raises(ValueError, match="lr_decay"):
        optim.Adagrad([p], lr_decay=-1.0)


# ---------------------------------------------------------------------- state dicts
@pytest.mark.parametrize("config", CONFIGS, ids=[config_id(c) for c in CONFIGS])
def test_resuming_from_a_state_dict_continues_exactly(config, tmp_path):
    name, kwargs = config
    grads = gradient_sequence(10)
    straight = make_params()
    run_ours(name, kwargs, straight, grads)

    first = make_params()
    opt = run_ours(name, kwargs, first, grads[:5])
    nn.save({"params": [p.data for p in first], "optimizer": opt.state_dict()}, tmp_path / "ckpt.npz")
    checkpoint = nn.load(tmp_path / "ckpt.npz")
    resumed = [nn.Parameter(a) for a in checkpoint["params"]]
    opt2 = getattr(optim, name)(resumed, **{**kwargs, "lr": 123.0})  # lr comes back from the state
    opt2.load_state_dict(checkpoint["optimizer"])
    assert opt2.param_groups[0]["lr"] == kwargs["lr"]
    run_ours(name, kwargs, resumed, grads[5:], optimizer=opt2)
    for p, q in zip(straight, resumed, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_dict_format_and_snapshot():
    params = make_params()
    opt = run_ours("Adam", {"lr": 0.01}, params, gradient_sequence(2))
    state = opt.state_dict()
    assert sorted(state) == ["param_groups", "state", "type"] and state["type"] == "Adam"
    assert state["param_groups"][0]["params"] == [0, 1, 2]
    assert state["param_groups"][0]["betas"] == (0.9, 0.999)
    assert state["state"][1]["step"] == 2 and state["state"][1]["exp_avg"].shape == (4,)
    before = state["state"][0]["exp_avg"].copy()
    run_ours("Adam", {"lr": 0.01}, params, gradient_sequence(1), optimizer=opt)
    np.testing.assert_array_equal(state["state"][0]["exp_avg"], before)


def test_loading_a_mismatched_state_dict_is_reported():
    params = make_params()
    state = run_ours("SGD", {"lr": 0.1, "momentum": 0.9}, params, gradient_sequence(1)).state_dict()
    with pytest.raises(ValueError, match="1 parameters in the state and 3 in this optimizer"):
        bad = {"state": {}, "param_groups": [{**state["param_groups"][0], "params": [0]}]}
        optim.SGD(make_params(), lr=0.1).load_state_dict(bad)
    with pytest.raises(ValueError, match="2 parameter groups"):
        optim.SGD(make_params(), lr=0.1).load_state_dict({"state": {}, "param_groups": state["param_groups"] * 2})
    swapped = [nn.Parameter(np.zeros(s)) for s in reversed(SHAPES)]
    with pytest.raises(ValueError, match=r"'momentum_buffer' has shape \(3, 4\) but its parameter"):
        optim.SGD(swapped, lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        optim.SGD(make_params(), lr=0.1).load_state_dict({"lr": 1})


# ---------------------------------------------------------------------- schedulers
def test_step_lr_values():
    opt = optim.SGD(make_params(), lr=1.0)
    scheduler = optim.StepLR(opt, step_size=2, gamma=0.1)
    seen = []
    for _ in range(6):
        seen.append(opt.param_groups[0]["lr"])
        scheduler.step()
    np.testing.assert_allclose(seen, [1.0, 1.0, 0.1, 0.1, 0.01, 0.01])


def test_cosine_annealing_values_per_group():
    a, b, c = make_params()
    opt = optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=1.0)
    scheduler = optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    lrs = []
    for _ in range(5):
        lrs.append(scheduler.get_last_lr())
        scheduler.step()
    expected = [[eta + (base - eta) * (1 + math.cos(math.pi * e / 4)) / 2 for base, eta in ((1.0, 0.1), (0.5, 0.1))]
                for e in range(5)]
    np.testing.assert_allclose(lrs, expected)
    assert lrs[-1] == [0.1, 0.1]


def test_scheduler_state_dict_resumes(tmp_path):
    opt = optim.SGD(make_params(), lr=1.0)
    scheduler = optim.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(5):
        scheduler.step()
    nn.save({"optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()}, tmp_path / "s.npz")
    checkpoint = nn.load(tmp_path / "s.npz")
    opt2 = optim.SGD(make_params(), lr=1.0)
    scheduler2 = optim.StepLR(opt2, step_size=2, gamma=0.5)
    scheduler2.load_state_dict(checkpoint["scheduler"])  # before the optimizer's: the order does not matter
    opt2.load_state_dict(checkpoint["optimizer"])
    assert scheduler2.last_epoch == 5 and opt2.param_groups[0]["lr"] == 0.25
    scheduler.step()
    scheduler2.step()
    assert scheduler2.get_last_lr() == scheduler.get_last_lr() == [0.125]


def test_scheduler_arguments_are_checked():
    opt = optim.SGD(make_params(), lr=1.0)
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        optim.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        optim.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(TypeError, match="expected an Optimizer"):
        optim.StepLR(object(), step_size=1)
    with pytest.raises(KeyError, match="initial_lr"):
        optim.StepLR(optim.SGD(make_params(), lr=1.0), step_size=1, last_epoch=3)
    with pytest.raises(KeyError, match="unexpected keys"):
        optim.StepLR(opt, step_size=1).load_state_dict({"T_max": 3})


# ---------------------------------------------------------------------- refusing another optimizer's state
def trained(name, kwargs, steps=2):
    return run_ours(name, kwargs, make_params(), gradient_sequence(steps))


def test_another_optimizers_state_is_refused_by_type():
    adam_state = trained("Adam", {"lr": 0.01}).state_dict()
    sgd = optim.SGD(make_params(), lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="SGD.load_state_dict: this state was saved by Adam, not SGD"):
        sgd.load_state_dict(adam_state)
    assert sgd.param_groups[0]["lr"] == 0.1 and not sgd.state  # refused: nothing changed
    with pytest.raises(ValueError, match="saved by AdamW, not Adam"):
        optim.Adam(make_params()).load_state_dict(trained("AdamW", {"lr": 0.01}).state_dict())
    with pytest.raises(ValueError, match="saved by RMSprop, not Adagrad"):
        optim.Adagrad(make_params()).load_state_dict(trained("RMSprop", {"lr": 0.01}).state_dict())


def test_an_untagged_state_is_refused_unless_its_names_are_this_optimizers():
    untagged_adam = {k: v for k, v in trained("Adam", {"lr": 0.01}).state_dict().items() if k != "type"}
    with pytest.raises(ValueError, match=r"not SGD's state \(it carries no 'type'\).*'amsgrad', 'betas'.*"
                                         r"'exp_avg'.*SGD has hyperparameters.*'momentum'.*'momentum_buffer'"):
        optim.SGD(make_params(), lr=0.1).load_state_dict(untagged_adam)
    untagged_sgd = {k: v for k, v in trained("SGD", {"lr": 0.1}).state_dict().items() if k != "type"}
    with pytest.raises(ValueError, match="not Adagrad's state"):  # no per-parameter state, but SGD's hyperparameters
        optim.Adagrad(make_params()).load_state_dict(untagged_sgd)


def test_an_untagged_state_of_the_same_optimizer_resumes_exactly():
    """Checkpoints written before the "type" tag (and PyTorch-shaped dicts) keep loading."""
    grads = gradient_sequence(6)
    straight = make_params()
    run_ours("Adam", {"lr": 0.01, "amsgrad": True}, straight, grads)
    first = make_params()
    state = run_ours("Adam", {"lr": 0.01, "amsgrad": True}, first, grads[:3]).state_dict()
    del state["type"]
    resumed = [nn.Parameter(p.data.copy()) for p in first]
    opt = optim.Adam(resumed, lr=0.01, amsgrad=True)
    opt.load_state_dict(state)
    run_ours("Adam", {}, resumed, grads[3:], optimizer=opt)
    for p, q in zip(straight, resumed, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_values_are_checked_before_anything_changes():
    state = trained("SGD", {"lr": 0.1, "momentum": 0.9}).state_dict()
    opt = optim.SGD(make_params(), lr=0.5, momentum=0.9)
    bad_key = {**state, "state": {0: {"exp_avg": np.zeros((3, 4))}}}
    with pytest.raises(ValueError, match=r"unknown per-parameter state 'exp_avg'; SGD keeps \['momentum_buffer'\]"):
        opt.load_state_dict(bad_key)
    scalar_buffer = {**state, "state": {0: {"momentum_buffer": 0.0}}}
    with pytest.raises(ValueError, match=r"'momentum_buffer' must be an array of its parameter's shape \(3, 4\)"):
        opt.load_state_dict(scalar_buffer)
    negative_lr = {**state, "param_groups": [{**state["param_groups"][0], "lr": -0.1}]}
    with pytest.raises(ValueError, match="lr must be >= 0, got -0.1"):
        opt.load_state_dict(negative_lr)
    missing = {**state, "param_groups": [{k: v for k, v in state["param_groups"][0].items() if k != "momentum"}]}
    with pytest.raises(ValueError, match=r"lacks the hyperparameters \['momentum'\]"):
        opt.load_state_dict(missing)
    with pytest.raises(ValueError, match=r"unexpected keys \['extra'\]"):
        opt.load_state_dict({**state, "extra": 1})
    with pytest.raises(ValueError, match="'param_groups' must be a list and 'state' a dict, got int and list"):
        opt.load_state_dict({"state": [], "param_groups": 5})
    step_text = trained("Adam", {"lr": 0.01}).state_dict()
    step_text["state"][0]["step"] = "two"
    with pytest.raises(ValueError, match="'step' must be a number"):
        optim.Adam(make_params()).load_state_dict(step_text)
    assert opt.param_groups[0]["lr"] == 0.5 and not opt.state


def test_a_zero_dimensional_parameter_keeps_its_momentum_buffer_as_an_array():
    """A 0-d buffer used to come back as a Python float, so the resumed run stopped accumulating momentum."""
    grads = [np.array(g) for g in (1.0, -2.0, 0.5, 3.0)]

    def run(param, optimizer, steps):
        for g in steps:
            param.grad = Tensor(g)
            optimizer.step()

    straight = nn.Parameter(np.array(1.0))
    run(straight, optim.SGD([straight], lr=0.1, momentum=0.9), grads)
    first = nn.Parameter(np.array(1.0))
    opt = optim.SGD([first], lr=0.1, momentum=0.9)
    run(first, opt, grads[:2])
    resumed = nn.Parameter(first.data.copy())
    opt2 = optim.SGD([resumed], lr=0.1, momentum=0.9)
    opt2.load_state_dict(opt.state_dict())
    run(resumed, opt2, grads[2:])
    assert resumed.item() == straight.item()


# ---------------------------------------------------------------------- scheduler arguments
@pytest.mark.parametrize("make, match", [
    (lambda o: optim.StepLR(o, step_size=1, gamma=-0.5), "StepLR: gamma must be a finite number > 0, got -0.5"),
    (lambda o: optim.StepLR(o, step_size=1, gamma=0.0), "gamma must be a finite number > 0"),
    (lambda o: optim.StepLR(o, step_size=1, gamma=float("nan")), "gamma must be a finite number"),
    (lambda o: optim.StepLR(o, step_size=1, gamma=float("inf")), "gamma must be a finite number"),
    (lambda o: optim.StepLR(o, step_size=1, gamma="0.1"), "gamma must be a finite number"),
    (lambda o: optim.StepLR(o, step_size=True), "step_size must be a positive integer, got True"),
    (lambda o: optim.StepLR(o, step_size=2.0), "step_size must be a positive integer, got 2.0"),
    (lambda o: optim.StepLR(o, step_size=1, last_epoch=-2), "last_epoch must be an integer >= -1"),
    (lambda o: optim.CosineAnnealingLR(o, T_max=2.5), "T_max must be a positive integer"),
    (lambda o: optim.CosineAnnealingLR(o, T_max=10, eta_min=-0.1), "eta_min must be a finite number >= 0"),
    (lambda o: optim.CosineAnnealingLR(o, T_max=10, eta_min=float("nan")), "eta_min must be a finite number"),
])
def test_impossible_scheduler_settings_are_refused(make, match):
    opt = optim.SGD(make_params(), lr=1.0)
    with pytest.raises(ValueError, match=match):
        make(opt)
    assert opt.param_groups[0]["lr"] == 1.0


def test_a_scheduler_state_with_impossible_settings_is_refused_and_changes_nothing():
    opt = optim.SGD(make_params(), lr=1.0)
    scheduler = optim.StepLR(opt, step_size=2, gamma=0.5)
    state = scheduler.state_dict()
    with pytest.raises(ValueError, match="gamma must be a finite number > 0, got -2.0"):
        scheduler.load_state_dict({**state, "gamma": -2.0, "last_epoch": 7})
    assert scheduler.gamma == 0.5 and scheduler.last_epoch == 0
    with pytest.raises(KeyError, match="unexpected keys"):
        scheduler.load_state_dict({"optimizer": None})
    assert scheduler.optimizer is opt
