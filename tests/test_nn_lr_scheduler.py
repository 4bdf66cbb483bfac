"""The learning-rate schedules added with the CNN work: PyTorch agreement step by step, state dicts, checks.

(StepLR and CosineAnnealingLR are tested in test_nn_optim.py.)
"""

import math

import numpy as np
import pytest

import nn
from nn import optim


class Warmup:
    """A callable object (not a function): LambdaLR saves its attributes in the state dict."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


CASES = [
    ("LambdaLR", {"lr_lambda": lambda epoch: 0.9 ** epoch / (1 + epoch)}, "SGD", {}),
    ("MultiStepLR", {"milestones": [3, 7, 7, 20], "gamma": 0.5}, "SGD", {}),
    ("ExponentialLR", {"gamma": 0.93}, "SGD", {}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 30}, "SGD", {"momentum": 0.9}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 30, "three_phase": True, "anneal_strategy": "linear"}, "Adam", {}),
    ("OneCycleLR", {"max_lr": [0.5, 0.1], "epochs": 3, "steps_per_epoch": 10, "pct_start": 0.25,
                    "div_factor": 10.0, "final_div_factor": 100.0}, "SGD", {"momentum": 0.9}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 30, "cycle_momentum": False}, "SGD", {}),
    ("ReduceLROnPlateau", {"patience": 2, "cooldown": 1, "factor": 0.5}, "SGD", {}),
    ("ReduceLROnPlateau", {"mode": "max", "patience": 1, "threshold_mode": "abs", "threshold": 0.1,
                           "min_lr": 0.02}, "SGD", {}),
]


def metric(step):
    """A loss that improves, stalls, dips by less than the threshold, then improves again."""
    return [5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 2.9999, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1][step]


def make_pair(name, options, optimizer, optimizer_options):
    torch = pytest.importorskip("torch")
    ours = [nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(1))]
    theirs = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(1))]
    groups = lambda params: [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}]  # noqa: E731
    our_opt = getattr(optim, optimizer)(groups(ours), lr=0.1, **optimizer_options)
    their_opt = getattr(torch.optim, optimizer)(groups(theirs), lr=0.1, **optimizer_options)
    return (getattr(optim, name)(our_opt, **options), getattr(torch.optim.lr_scheduler, name)(their_opt, **options),
            our_opt, their_opt)


def hyperparameters(optimizer):
    values = []
    for group in optimizer.param_groups:
        values.append(float(group["lr"]))
        if "momentum" in group:
            values.append(float(group["momentum"]))
        if "betas" in group:
            values.append(float(group["betas"][0]))
    return values


@pytest.mark.parametrize("name, options, optimizer, optimizer_options", CASES, ids=lambda v: str(v)[:40])
def test_schedules_match_pytorch_step_by_step(name, options, optimizer, optimizer_options):
    ours, theirs, our_opt, their_opt = make_pair(name, options, optimizer, optimizer_options)
    np.testing.assert_allclose(hyperparameters(our_opt), hyperparameters(their_opt), rtol=1e-12)
    for step in range(30):
        their_opt.step()  # (PyTorch warns when a scheduler steps before the optimizer)
        if name == "ReduceLROnPlateau":
            value = metric(step) if options.get("mode") != "max" else math.sin(step)
            ours.step(value)
            theirs.step(value)
        else:
            ours.step()
            theirs.step()
        np.testing.assert_allclose(hyperparameters(our_opt), hyperparameters(their_opt), rtol=1e-12,
                                   err_msg=f"step {step}")
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)


@pytest.mark.parametrize("name, options, optimizer, optimizer_options",
                         [c for c in CASES if c[0] != "LambdaLR"], ids=lambda v: str(v)[:40])
def test_state_dict_resumes_the_schedule(name, options, optimizer, optimizer_options, tmp_path):
    ours, _, our_opt, _ = make_pair(name, options, optimizer, optimizer_options)

    def advance(scheduler, steps, start):
        for step in range(start, start + steps):
            scheduler.step(metric(step)) if name == "ReduceLROnPlateau" else scheduler.step()

    advance(ours, 12, 0)
    nn.save({"scheduler": ours.state_dict(), "optimizer": our_opt.state_dict()}, tmp_path / "s.npz")
    advance(ours, 8, 12)
    resumed, _, resumed_opt, _ = make_pair(name, options, optimizer, optimizer_options)
    checkpoint = nn.load(tmp_path / "s.npz")
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    advance(resumed, 8, 12)
    np.testing.assert_allclose(hyperparameters(resumed_opt), hyperparameters(our_opt), rtol=1e-12)


def test_lambda_lr_saves_callable_objects_but_not_functions():
    params = [nn.Parameter(np.zeros(1)), nn.Parameter(np.zeros(1))]
    opt = optim.SGD([{"params": [params[0]]}, {"params": [params[1]]}], lr=1.0)
    scheduler = optim.LambdaLR(opt, [Warmup(4), lambda epoch: 0.5])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"steps": 4}, None]
    scheduler.lr_lambdas[0].steps = 100
    scheduler.load_state_dict(state)
    assert scheduler.lr_lambdas[0].steps == 4 and opt.param_groups[0]["lr"] == 0.25


def test_one_cycle_refuses_to_step_past_the_end():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = optim.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match="tried to step 4 times; the schedule has total_steps=3"):
        scheduler.step()


@pytest.mark.parametrize("make, message", [
    (lambda o: optim.LambdaLR(o, 0.5), "lr_lambda must be a function"),
    (lambda o: optim.LambdaLR(o, [lambda e: 1, lambda e: 1]), "expected 1 values of lr_lambda"),
    (lambda o: optim.MultiStepLR(o, [2, -1]), "milestones must be a list of non-negative integer"),
    (lambda o: optim.MultiStepLR(o, 5), "milestones must be a list"),
    (lambda o: optim.MultiStepLR(o, [2], gamma=0), "gamma must be a number > 0"),
    (lambda o: optim.ExponentialLR(o, gamma=-0.5), "gamma must be a number > 0"),
    (lambda o: optim.OneCycleLR(o, 0.1), "give total_steps, or both epochs and steps_per_epoch"),
    (lambda o: optim.OneCycleLR(o, 0.1, total_steps=0), "total_steps must be a positive integer"),
    (lambda o: optim.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=1.5), "steps_per_epoch must be a positive integer"),
    (lambda o: optim.OneCycleLR(o, 0.1, 10, pct_start=1.5), "pct_start must be a number in"),
    (lambda o: optim.OneCycleLR(o, 0.1, 10, anneal_strategy="cosine"), "anneal_strategy must be 'cos' or 'linear'"),
    (lambda o: optim.OneCycleLR(o, -0.1, 10), "max_lr must be a number > 0"),
    (lambda o: optim.OneCycleLR(optim.Adagrad(o.param_groups[0]["params"]), 0.1, 10), "needs an optimizer with"),
    (lambda o: optim.ReduceLROnPlateau(o, mode="lowest"), "mode must be 'min' or 'max'"),
    (lambda o: optim.ReduceLROnPlateau(o, factor=1.0), r"factor must be a number > 0 and < 1.0"),
    (lambda o: optim.ReduceLROnPlateau(o, patience=-1), "patience must be a non-negative integer"),
    (lambda o: optim.ReduceLROnPlateau(o, threshold_mode="relative"), "threshold_mode must be 'rel' or 'abs'"),
    (lambda o: optim.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), "expected 1 values of min_lr"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_arguments_are_refused_naming_the_scheduler(make, message):
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises((ValueError, TypeError), match=message):
        make(opt)
