"""viz.plan_to_dot / save_plan: the static graph of a compiled step."""

import re

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import viz


def compiled_step():
    ag.manual_seed(0)
    model = nn.MLP([4, 8, 3])
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)

    @ag.compile
    def step(x, t):
        loss = nn.functional.cross_entropy(model(x), t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step, np.ones((5, 4), dtype=np.float32), np.array([0, 2, 1, 1, 0])


def test_the_plan_lists_forward_ops_the_backward_schedule_and_the_update_in_order():
    step, x, t = compiled_step()
    step(x, t)
    step(x, t)
    text = viz.plan_to_dot(step)
    labels = re.findall(r'label="([^"]+)"', text)
    assert labels.index("1. Linear") < labels.index("2. ReLU") < labels.index("4. SoftmaxCrossEntropy")
    backward = [label for label in labels if label.startswith("6.") and "backward" in label]
    assert backward == ["6.1 SoftmaxCrossEntropy backward", "6.2 Linear backward", "6.3 ReLU backward",
                        "6.4 Linear backward"]
    assert {"fc1.weight.grad", "fc2.bias.grad", "5. SGD.zero_grad()", "7. SGD.step()"} <= set(labels)
    assert viz.plan_to_dot(step) == text  # the same text on every call


def test_a_function_without_a_plan_is_refused_clearly(tmp_path):
    step, x, t = compiled_step()
    with pytest.raises(ValueError, match="no plan yet.*call it twice"):
        viz.plan_to_dot(step)
    with pytest.raises(TypeError, match="expected a compiled function"):
        viz.plan_to_dot(lambda: None)
    step(x, t)
    step(x, t)
    path = viz.save_plan(step, tmp_path / "plan.dot")
    assert path.read_text().startswith("digraph")
