"""nn.Module and containers: registration, names, scopes, modes, state dicts, repr."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor


class TwoLayerNet(nn.Module):
    """The textbook's two-layer net, written as a user would."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(nn.functional.sigmoid(self.fc1(x)))


class Head(nn.Module):
    pass


class Stack(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2, bias=False)])
        self.head = Head()
        self.head.fc1 = nn.Linear(2, 4)  # attached to a module that is already inside another one

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.head.fc1(x)


# ---------------------------------------------------------------------- registration
def test_parameters_are_registered_by_attribute_assignment_in_order():
    net = TwoLayerNet()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [p is q for p, q in zip(net.parameters(), [net.fc1.weight, net.fc1.bias, net.fc2.weight, net.fc2.bias],
                                   strict=True)] == [True] * 4
    assert list(net.children()) == [net.fc1, net.fc2]
    assert [m for m in net.modules()] == [net, net.fc1, net.fc2]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad and p.is_leaf for p in net.parameters())


def test_parameter_names_follow_the_outermost_module_and_are_re_prefixed_on_attach():
    inner = nn.Linear(2, 3)
    assert inner.weight.name == "weight" and inner.path == ""
    seq = nn.Sequential(inner, nn.ReLU())
    assert inner.weight.name == "0.weight" and inner.path == "0"

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = seq

    outer = Outer()
    assert inner.weight.name == "body.0.weight"
    assert inner.bias.name == "body.0.bias"
    assert seq.path == "body"
    assert dict(outer.named_parameters()).keys() == {"body.0.weight", "body.0.bias"}


def test_nested_module_lists_and_late_attachment_keep_names_right():
    model = Stack()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "head.fc1.weight", "head.fc1.bias"]
    for name, p in model.named_parameters():
        assert p.name == name
    model.layers.append(nn.Linear(2, 2))
    assert model.layers[2].weight.name == "layers.2.weight"
    assert model.layers[-1] is model.layers[2]


def test_shared_parameter_is_listed_once():
    a = nn.Linear(3, 3)
    b = nn.Linear(3, 3)
    b.weight = a.weight  # weight tying
    seq = nn.Sequential(a, b)
    assert len(list(seq.parameters())) == 3
    assert seq.num_parameters() == 9 + 3 + 3


def test_assigning_none_or_plain_values_and_deleting():
    layer = nn.Linear(2, 2)
    layer.bias = None
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="parameter 'weight'.*nn.Parameter or None"):
        layer.weight = Tensor(np.zeros((2, 2)))
    layer.scale = 3.0  # a plain attribute: not registered
    assert layer.scale == 3.0 and "scale" not in dict(layer.named_parameters())
    seq2 = nn.Sequential(nn.Linear(2, 2))
    seq2.extra = nn.Linear(2, 1)
    del seq2.extra
    assert [n for n, _ in seq2.named_parameters()] == ["0.weight", "0.bias"]


def test_forgetting_super_init_gives_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_register_parameter_and_add_module_check_their_arguments():
    m = nn.Module()
    with pytest.raises(TypeError, match="nn.Parameter or None"):
        m.register_parameter("w", Tensor(np.ones(2)))
    with pytest.raises(KeyError, match="without dots"):
        m.register_parameter("a.b", nn.Parameter(np.ones(2)))
    with pytest.raises(TypeError, match="nn.Module or None"):
        m.add_module("x", 3)
    with pytest.raises(ValueError, match="cannot contain itself"):
        m.add_module("me", m)
    with pytest.raises(NotImplementedError, match="has no forward"):
        m(1)
    with pytest.raises(TypeError, match="must be an nn.Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)
    with pytest.raises(NotImplementedError, match="iterate over it"):
        nn.ModuleList([nn.ReLU()])(1)
    with pytest.raises(IndexError, match="out of range for 1 modules"):
        nn.Sequential(nn.ReLU())[1]


def test_parameter_is_a_leaf_tensor_and_copies_its_data():
    data = np.ones((2, 2), dtype=np.float32)
    p = nn.Parameter(data)
    data[0, 0] = 5
    assert p.data[0, 0] == 1 and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(")
    frozen = nn.Parameter(data, requires_grad=False)
    assert not frozen.requires_grad
    with pytest.raises(autograd.DtypeError):
        nn.Parameter(np.ones(3, dtype=np.int64))


# ---------------------------------------------------------------------- calling and scopes
def test_call_runs_forward_inside_nested_scopes_named_after_the_modules():
    model = nn.MLP([4, 3, 2])
    y = model(autograd.randn(5, 4))
    assert y.grad_fn.scope == ("MLP(4 -> 3 -> 2)", "fc2: Linear(3 -> 2)")
    hidden = y.grad_fn.next_edges[0][0]  # the Add's input: matmul of fc2
    while "act1: ReLU" not in hidden.scope:
        hidden = hidden.next_edges[0][0]
    assert hidden.scope == ("MLP(4 -> 3 -> 2)", "act1: ReLU")
    assert autograd.mode.state.flags.scope == ()  # the scopes are left again


def test_scopes_of_user_modules_use_the_attribute_path():
    model = Stack()
    out = model(autograd.randn(1, 2))
    assert out.grad_fn.scope == ("Stack", "head.fc1: Linear(2 -> 4)")
    seq = nn.Sequential(nn.Linear(2, 2))
    assert seq(autograd.randn(1, 2)).grad_fn.scope == ("Sequential", "0: Linear(2 -> 2)")


def test_scope_label_is_refreshed_after_reattachment():
    layer = nn.Linear(2, 2)
    assert layer(autograd.randn(1, 2)).grad_fn.scope == ("Linear(2 -> 2)",)
    nn.Sequential(nn.ReLU(), layer)
    assert layer(autograd.randn(1, 2)).grad_fn.scope == ("1: Linear(2 -> 2)",)


def test_scope_is_restored_when_forward_raises():
    with pytest.raises(autograd.ShapeError):
        nn.Linear(3, 2)(autograd.randn(1, 4))
    assert autograd.mode.state.flags.scope == ()


# ---------------------------------------------------------------------- modes, gradients, dtype
def test_train_and_eval_reach_every_submodule():
    model = nn.MLP([3, 4, 2], dropout=0.5)
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_sets_none_or_zeros():
    model = TwoLayerNet()
    model(autograd.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_to_double_converts_parameters_in_place():
    model = TwoLayerNet()
    w = model.fc1.weight
    model.double()
    assert model.fc1.weight is w and all(p.dtype == np.float64 for p in model.parameters())
    assert model(np.ones((1, 4))).dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    with pytest.raises(TypeError, match="floating"):
        model.to(np.int32)


def test_apply_visits_every_module():
    model = nn.MLP([3, 5, 5, 2])
    model.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert all(not m.weight.data.any() for m in model.modules() if isinstance(m, nn.Linear))


# ---------------------------------------------------------------------- state dicts
def test_state_dict_round_trip_restores_outputs():
    autograd.manual_seed(1)
    a, b = TwoLayerNet(), TwoLayerNet()
    x = autograd.randn(3, 4)
    assert not np.allclose(a(x).data, b(x).data)
    state = a.state_dict()
    assert list(state) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    weight = b.fc1.weight
    result = b.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.fc1.weight is weight  # loaded in place: an optimizer holding it keeps working
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_state_dict_is_a_snapshot():
    model = nn.Linear(2, 2)
    state = model.state_dict()
    before = state["weight"].copy()
    with autograd.no_grad():
        model.weight += 1.0
    np.testing.assert_array_equal(state["weight"], before)


def test_load_state_dict_accepts_tensors_and_casts_to_the_parameter_dtype():
    model = nn.Linear(2, 2)
    state = {"weight": Tensor(np.full((2, 2), 0.5)), "bias": np.array([1, 2])}
    model.load_state_dict(state)
    assert model.weight.dtype == np.float32 and model.bias.dtype == np.float32
    np.testing.assert_array_equal(model.bias.data, [1.0, 2.0])


def test_strict_loading_names_missing_and_unexpected_keys_and_changes_nothing():
    model = TwoLayerNet()
    before = model.state_dict()
    state = model.state_dict()
    del state["fc2.bias"]
    state["fc3.weight"] = np.zeros((1, 1))
    state["fc1.weight"] = np.zeros((4, 3))
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "missing keys" in message and "'fc2.bias'" in message
    assert "unexpected keys" in message and "'fc3.weight'" in message
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_shape_mismatch_is_reported_even_when_not_strict():
    model = TwoLayerNet()
    state = model.state_dict()
    state["fc1.weight"] = np.zeros((3, 4))
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: the state has shape \(3, 4\), the model "
                                           r"has \(4, 3\)"):
        model.load_state_dict(state, strict=False)


def test_non_strict_loading_returns_the_skipped_keys():
    model = TwoLayerNet()
    partial = {"fc1.weight": np.zeros((4, 3)), "other": np.ones(2)}
    result = model.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["fc1.bias", "fc2.weight", "fc2.bias"]
    assert result.unexpected_keys == ["other"]
    assert not model.fc1.weight.data.any()


def test_load_state_dict_rejects_non_dicts_and_non_numeric_values():
    model = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="expected a dict"):
        model.load_state_dict([("weight", np.ones((1, 1)))])
    with pytest.raises(RuntimeError, match="numeric array"):
        model.load_state_dict({"weight": np.array([["a"]]), "bias": np.ones(1)})


# ---------------------------------------------------------------------- repr
def test_repr_is_nested_with_parameter_counts():
    model = nn.Sequential(nn.Flatten(), nn.MLP([4, 3, 2], activation="tanh"), nn.Dropout(0.25))
    assert repr(model) == "\n".join([
        "Sequential(",
        "  (0): Flatten(start_axis=1)",
        "  (1): MLP(",
        "    (fc1): Linear(in_features=4, out_features=3, bias=True)  # 15 parameters",
        "    (act1): Tanh()",
        "    (fc2): Linear(in_features=3, out_features=2, bias=True)  # 8 parameters",
        "  )  # 23 parameters",
        "  (2): Dropout(p=0.25)",
        ")  # 23 parameters",
    ])
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


# ---------------------------------------------------------------------- containers
def test_sequential_with_names_and_append():
    seq = nn.Sequential({"hidden": nn.Linear(2, 3), "act": nn.ReLU()})
    seq.append(nn.Linear(3, 1))
    assert [n for n, _ in seq.named_children()] == ["hidden", "act", "2"]
    assert len(seq) == 3 and list(seq)[1] is seq.act
    out = seq(np.ones((4, 2), dtype=np.float32))
    assert out.shape == (4, 1)
    relu_free = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    setattr(relu_free, "1", None)  # a removed layer is skipped
    assert (relu_free(-np.ones((1, 2))).data == relu_free[0](-np.ones((1, 2))).data).all()
    np.testing.assert_allclose(
        out.data,
        np.maximum(np.ones((4, 2)) @ seq.hidden.weight.data + seq.hidden.bias.data, 0) @ seq[2].weight.data
        + seq[2].bias.data,
        rtol=1e-6,
    )


def test_package_exports_and_lazy_submodules():
    for name in nn.__all__:
        assert getattr(nn, name) is not None
    assert nn.functional.cross_entropy is nn.functional.cross_entropy and nn.optim.SGD and nn.init.zeros_
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        nn.nothing  # noqa: B018
    # `import nn` does not import the data modules; touching nn.data does.
    code = "import sys, nn; assert 'nn.data' not in sys.modules; nn.data.DataLoader; assert 'nn.data' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert "data" in dir(nn) and "datasets" in dir(nn)


# ---------------------------------------------------------------------- buffers
class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(2))
        self.register_buffer("calls", np.zeros((), dtype=np.int64))
        self.register_buffer("mean", np.zeros(2))
        self.register_buffer("scratch", np.zeros(3), persistent=False)

    def forward(self, x):
        self.calls.data += 1
        return x * self.scale


def test_buffers_are_saved_and_loaded_but_not_trained():
    model = nn.Sequential(Counter(), nn.Linear(2, 1))
    assert [n for n, _ in model.named_parameters()] == ["0.scale", "1.weight", "1.bias"]
    assert [n for n, _ in model.named_buffers()] == ["0.calls", "0.mean", "0.scratch"]
    assert list(model.state_dict()) == ["0.scale", "0.calls", "0.mean", "1.weight", "1.bias"]  # persistent only
    assert model[0].mean.name == "0.mean" and not model[0].mean.requires_grad
    model(np.ones((1, 2)))
    state = model.state_dict()
    assert state["0.calls"] == 1
    other = nn.Sequential(Counter(), nn.Linear(2, 1))
    other.load_state_dict(state)
    assert int(other[0].calls.data) == 1
    with pytest.raises(RuntimeError, match="missing keys.*0.mean"):
        other.load_state_dict({k: v for k, v in state.items() if k != "0.mean"})


def test_assigning_a_tensor_to_a_buffer_name_replaces_the_buffer():
    counter = Counter()
    counter.mean = autograd.tensor([1.0, 2.0])
    assert counter.state_dict()["mean"].tolist() == [1.0, 2.0]
    counter.scratch = None
    assert "scratch" not in dict(counter.named_buffers())
    with pytest.raises(TypeError, match="cannot assign ndarray to buffer 'mean'"):
        counter.mean = np.zeros(2)
    with pytest.raises(KeyError, match="attribute 'scale' already exists"):
        counter.register_buffer("scale", np.zeros(2))
    with pytest.raises(TypeError, match="parameters go through register_parameter"):
        counter.register_buffer("other", nn.Parameter(np.zeros(2)))


def test_to_converts_floating_buffers_and_accepts_the_cpu():
    counter = Counter()
    assert counter.to("cpu") is counter and counter.to(device="cpu") is counter
    counter.to("cpu", np.float32)
    assert counter.scale.dtype == counter.mean.dtype == np.float32 and counter.calls.dtype == np.int64
    counter.double()
    assert counter.mean.dtype == np.float64
    counter.to(dtype="float32")
    assert counter.scale.dtype == np.float32
    for device in ("cuda", "cuda:0", "mps"):
        with pytest.raises(ValueError, match=f"device '{device}' is not available.*'cpu' is the only device"):
            counter.to(device)
    with pytest.raises(TypeError, match="parameters must stay floating"):
        counter.to(np.int32)


def test_to_accepts_torch_dtypes_and_devices():
    torch = pytest.importorskip("torch")
    counter = Counter()
    counter.to(torch.device("cpu"), torch.float64)
    assert counter.scale.dtype == np.float64
    with pytest.raises(ValueError, match="not available"):
        counter.to(torch.device("meta"))


# ---------------------------------------------------------------------- hooks
def test_forward_hooks_see_inputs_and_outputs_and_can_be_removed():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    seen = []
    handle = model[1].register_forward_hook(lambda module, args, output: seen.append((module, output.shape)))
    pre = model[0].register_forward_pre_hook(lambda module, args: seen.append(("pre", args[0].shape)))
    model(np.ones((5, 3), dtype=np.float32))
    assert seen == [("pre", (5, 3)), (model[1], (5, 4))]
    handle.remove()
    handle.remove()  # twice is fine
    pre.remove()
    model(np.ones((5, 3), dtype=np.float32))
    assert len(seen) == 2


def test_hooks_can_replace_inputs_and_outputs():
    layer = nn.Identity()
    with layer.register_forward_pre_hook(lambda module, args: args[0] * 2):
        with layer.register_forward_hook(lambda module, args, output: output + 1):
            assert layer(autograd.tensor(3.0)).item() == 7.0
    assert layer(autograd.tensor(3.0)).item() == 3.0  # the context managers removed both


def test_activation_statistics_with_hooks():
    """The use case: record each layer's activations during one forward pass, for histograms."""
    autograd.manual_seed(0)
    model = nn.MLP([8, 16, 16, 2])
    activations = {}
    handles = [module.register_forward_hook(
        lambda module, args, output, name=name: activations.__setitem__(name, output.data.copy()))
        for name, module in model.named_children() if name.startswith("act")]
    model(np.random.default_rng(0).standard_normal((32, 8)))
    for handle in handles:
        handle.remove()
    assert sorted(activations) == ["act1", "act2"] and all((a >= 0).all() for a in activations.values())


# ---------------------------------------------------------------------- PyTorch state dicts
def test_a_transposed_linear_weight_gets_a_hint_how_to_convert():
    model = nn.MLP([4, 3])
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: the state has shape \(3, 4\), the model "
                                           r"has \(4, 3\) \(the transpose\)\. nn.Linear stores its weight as "
                                           r"\(in_features, out_features\).*nn.utils.from_torch_state_dict"):
        model.load_state_dict({"fc1.weight": np.zeros((3, 4)), "fc1.bias": np.zeros(3)})


def test_a_pytorch_state_dict_loads_after_conversion():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.Linear(8, 3)).double()
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 3)).double()
    ours.load_state_dict(nn.utils.from_torch_state_dict(ours, theirs.state_dict()))
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
