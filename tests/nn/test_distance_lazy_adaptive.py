"""Distance layers and pdist, lazy modules, AdaptiveLogSoftmaxWithLoss and antialiased
interpolation: gradients, behaviour and errors."""
import copy
import math
import pickle

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.modules.lazy import LazyModuleMixin
from ember.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from tests.conftest import check_grad


# -- distances -------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, math.inf])
def test_pdist_gradcheck(p):
    check_grad(lambda x: F.pdist(x, p), (5, 3), gradgrad=p != math.inf)


def test_pdist_is_the_upper_triangle_of_cdist_row_by_row():
    x = ember.randn(6, 4, dtype=ember.float64)
    rows, cols = np.triu_indices(6, 1)
    np.testing.assert_allclose(F.pdist(x, 1.5).numpy(),
                               ember.cdist(x, x, p=1.5).numpy()[rows, cols], rtol=1e-12)


def test_pdist_is_exported_as_torch_and_functional():
    assert ember.pdist is F.pdist


def test_pdist_gradient_at_zero_distance_is_zero():
    x = ember.tensor([[1.0, 2.0], [1.0, 2.0]], requires_grad=True)
    F.pdist(x).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_pdist_inf_gives_every_tied_element_the_full_gradient():
    x = ember.tensor([[1.0, 2.0], [0.0, 1.0]], requires_grad=True)
    out = F.pdist(x, math.inf)
    out.backward()
    assert out.tolist() == [1.0]
    assert x.grad.tolist() == [[1.0, 1.0], [-1.0, -1.0]]


@pytest.mark.parametrize("n", [0, 1])
def test_pdist_fewer_than_two_rows_is_empty(n):
    assert F.pdist(ember.zeros(n, 3)).shape == (0,)


@pytest.mark.parametrize("args,exc,match", [
    ((ember.zeros(3),), RuntimeError, "pdist only supports 2D tensors, got: 1D"),
    ((ember.zeros(2, 3, 4),), RuntimeError, "pdist only supports 2D tensors, got: 3D"),
    ((ember.zeros(3, 2, dtype=ember.int64),), RuntimeError, "only supports floating-point"),
    ((ember.zeros(3, 2), -1.0), RuntimeError, "pdist only supports non-negative p values"),
    ((ember.zeros(3, 2), math.nan), RuntimeError, "non-negative p values"),
    ((ember.zeros(3, 2, dtype=ember.float16),), NotImplementedError, "not implemented for 'Half'"),
    ((ember.zeros(3, 2), "a"), TypeError, "argument 'p' must be float, not str"),
    (([[1.0, 2.0]],), TypeError, "must be Tensor, not list"),
])
def test_pdist_errors(args, exc, match):
    with pytest.raises(exc, match=match):
        F.pdist(*args)


@pytest.mark.parametrize("p,keepdim", [(2.0, False), (1.0, True), (-1.5, False)])
def test_pairwise_distance_module_gradcheck(p, keepdim):
    layer = nn.PairwiseDistance(p=p, eps=1e-6, keepdim=keepdim)
    check_grad(layer, (4, 5), (4, 5), gradgrad=False)


def test_pairwise_distance_module_unbatched_and_broadcast():
    layer = nn.PairwiseDistance(keepdim=True)
    assert layer(ember.randn(5), ember.randn(5)).shape == (1,)
    assert layer(ember.randn(3, 5), ember.randn(5)).shape == (3, 1)


def test_pairwise_distance_module_stores_p_as_norm():
    layer = nn.PairwiseDistance(p=3.0, eps=0.1)
    assert (layer.norm, layer.eps, layer.keepdim) == (3.0, 0.1, False)


@pytest.mark.parametrize("dim", [1, 0, -1])
def test_cosine_similarity_module_gradcheck(dim):
    check_grad(nn.CosineSimilarity(dim=dim), (3, 4), (3, 4), gradgrad=False)


def test_cosine_similarity_module_broadcasts_and_unbatched():
    layer = nn.CosineSimilarity(dim=0)
    assert layer(ember.randn(5), ember.randn(5)).shape == ()
    assert nn.CosineSimilarity(dim=-1)(ember.randn(3, 5), ember.randn(5)).shape == (3,)


def test_cosine_similarity_module_bad_dim_raises_index_error():
    with pytest.raises(IndexError, match="Dimension out of range"):
        nn.CosineSimilarity()(ember.randn(5), ember.randn(5))


# -- uninitialised parameters ----------------------------------------------------------------------
def test_uninitialized_parameter_shape_raises_and_repr():
    param = UninitializedParameter()
    assert is_lazy(param) and isinstance(param, nn.Parameter) and param.requires_grad
    assert repr(param) == "<UninitializedParameter>"
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        param.shape


def test_materialize_keeps_dtype_and_becomes_parameter():
    param = UninitializedParameter(dtype=ember.float64)
    param.materialize((2, 3))
    assert type(param) is nn.Parameter and param.shape == (2, 3)
    assert param.dtype == ember.float64 and param.requires_grad


def test_uninitialized_buffer_materializes_to_tensor():
    buf = UninitializedBuffer(persistent=False)
    assert isinstance(buf, nn.Buffer) and not buf.persistent
    buf.materialize(4, dtype=ember.float64)
    assert type(buf) is ember.Tensor and buf.shape == (4,) and buf.dtype == ember.float64


def test_uninitialized_parameter_deepcopy_and_pickle_stay_uninitialized():
    param = UninitializedParameter(requires_grad=False)
    for clone in (copy.deepcopy(param), pickle.loads(pickle.dumps(param))):
        assert type(clone) is UninitializedParameter and not clone.requires_grad


# -- lazy modules ----------------------------------------------------------------------------------
LAZY = [
    (lambda: nn.LazyLinear(3), (2, 5), nn.Linear, "in_features", 5),
    (lambda: nn.LazyLinear(3, bias=False), (4, 2, 5), nn.Linear, "in_features", 5),
    (lambda: nn.LazyConv1d(4, 3), (2, 3, 8), nn.Conv1d, "in_channels", 3),
    (lambda: nn.LazyConv2d(4, 3, padding=1, groups=2), (6, 5, 5), nn.Conv2d, "in_channels", 6),
    (lambda: nn.LazyConv3d(2, 2), (1, 2, 3, 3, 3), nn.Conv3d, "in_channels", 2),
    (lambda: nn.LazyConvTranspose1d(4, 3, stride=2), (2, 3, 5), nn.ConvTranspose1d,
     "in_channels", 3),
    (lambda: nn.LazyConvTranspose2d(4, 3, groups=2), (1, 4, 3, 3), nn.ConvTranspose2d,
     "in_channels", 4),
    (lambda: nn.LazyConvTranspose3d(2, 2), (2, 2, 2, 2), nn.ConvTranspose3d, "in_channels", 2),
    (lambda: nn.LazyBatchNorm1d(), (4, 3), nn.BatchNorm1d, "num_features", 3),
    (lambda: nn.LazyBatchNorm2d(affine=False), (4, 3, 2, 2), nn.BatchNorm2d, "num_features", 3),
    (lambda: nn.LazyBatchNorm3d(track_running_stats=False), (2, 3, 2, 2, 2), nn.BatchNorm3d,
     "num_features", 3),
    (lambda: nn.LazyInstanceNorm1d(), (2, 3, 5), nn.InstanceNorm1d, "num_features", 3),
    (lambda: nn.LazyInstanceNorm2d(), (3, 4, 4), nn.InstanceNorm2d, "num_features", 3),
    (lambda: nn.LazyInstanceNorm3d(affine=False), (2, 3, 2, 2, 2), nn.InstanceNorm3d,
     "num_features", 3),
]


@pytest.mark.parametrize("make,shape,cls,attr,size", LAZY,
                         ids=[f"{spec[2].__name__}{spec[1]}" for spec in LAZY])
def test_lazy_module_becomes_concrete_after_first_forward(make, shape, cls, attr, size):
    layer = make()
    assert isinstance(layer, LazyModuleMixin) and getattr(layer, attr) == 0
    layer(ember.randn(*shape))
    assert type(layer) is cls and getattr(layer, attr) == size
    assert not any(is_lazy(t) for t in list(layer.parameters()) + list(layer.buffers()))
    assert not layer._forward_pre_hooks


def test_lazy_linear_initialises_like_linear():
    layer = nn.LazyLinear(20)
    layer(ember.randn(2, 50))
    bound = 1 / math.sqrt(50)
    assert 0.9 * bound < layer.weight.abs().max().item() <= bound
    assert layer.bias.abs().max().item() <= bound


def test_lazy_linear_gradients_flow_after_initialisation():
    layer = nn.LazyLinear(2, dtype=ember.float64)
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    layer(x).sum().backward()
    assert layer.weight.grad.shape == (2, 4) and x.grad.shape == (3, 4)
    check_grad(layer, (3, 4))


def test_lazy_module_dtype_conversion_before_first_forward_is_kept():
    layer = nn.LazyConv1d(2, 3).double()
    layer(ember.randn(1, 4, 6, dtype=ember.float64))
    assert layer.weight.dtype == ember.float64 and layer.bias.dtype == ember.float64


def test_lazy_state_dict_holds_uninitialized_parameters():
    state = nn.LazyLinear(3).state_dict()
    assert list(state) == ["weight", "bias"]
    assert all(type(v) is UninitializedParameter for v in state.values())


def test_lazy_module_loads_an_initialised_checkpoint():
    trained = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyBatchNorm1d())
    trained(ember.randn(5, 3))
    fresh = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyBatchNorm1d())
    fresh.load_state_dict(trained.state_dict())
    assert not fresh[0].has_uninitialized_params() and not fresh[2].has_uninitialized_params()
    for key, value in trained.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key].numpy(), value.numpy())
    x = ember.randn(5, 3)
    trained.eval()
    fresh.eval()
    np.testing.assert_allclose(fresh(x).detach().numpy(), trained(x).detach().numpy())
    assert repr(fresh) == repr(trained)


def test_lazy_module_loads_an_uninitialised_checkpoint():
    layer = nn.LazyConv2d(3, 2)
    assert not layer.load_state_dict(nn.LazyConv2d(3, 2).state_dict()).missing_keys
    assert layer.has_uninitialized_params()


def test_failed_load_leaves_lazy_module_uninitialised():
    trained = nn.LazyLinear(4)
    trained(ember.randn(2, 3))
    layer = nn.LazyLinear(4, bias=False)
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "bias"'):
        layer.load_state_dict(trained.state_dict())
    assert layer.has_uninitialized_params()


def test_loading_uninitialised_state_into_initialised_module_raises():
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        nn.Linear(3, 4).load_state_dict(nn.LazyLinear(4).state_dict())


def test_lazy_linear_checks_loaded_weight_against_input():
    trained = nn.LazyLinear(4)
    trained(ember.randn(2, 3))
    layer = nn.LazyLinear(4)
    layer.load_state_dict(trained.state_dict())
    with pytest.raises(AssertionError, match="in_features inferred from input: 5"):
        layer(ember.randn(2, 5))


def test_lazy_module_deepcopy_initialises_independently():
    layer = nn.LazyLinear(2)
    clone = copy.deepcopy(layer)
    clone(ember.randn(1, 3))
    assert type(clone) is nn.Linear and type(layer) is nn.LazyLinear
    assert layer.has_uninitialized_params()


def test_lazy_conv_wrong_input_rank_raises():
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) "
                                           "input to LazyConv2d"):
        nn.LazyConv2d(2, 3)(ember.randn(2, 3))


def test_lazy_conv_channels_not_divisible_by_groups_raises():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(ember.randn(1, 3, 5, 5))


def test_lazy_mixin_without_initialize_parameters_raises():
    class Half(LazyModuleMixin, nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(NotImplementedError, match="initialize_parameters is not implemented "
                                                  "for Half"):
        Half()(ember.zeros(1))


def test_uninitialized_parameters_are_exported_from_nn():
    assert nn.UninitializedParameter is UninitializedParameter
    assert nn.UninitializedBuffer is UninitializedBuffer


# -- AdaptiveLogSoftmaxWithLoss --------------------------------------------------------------------
def _asm(**kwargs):
    return nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, dtype=ember.float64,
                                         **kwargs)


def test_adaptive_log_softmax_gradcheck():
    layer = _asm(head_bias=True)
    target = ember.tensor([0, 4, 9, 2, 7])
    check_grad(lambda x: layer(x, target).loss, (5, 8), gradgrad=False)
    check_grad(lambda x: layer(x, target).output, (5, 8), gradgrad=False)


def test_adaptive_log_softmax_log_prob_normalises_and_matches_output():
    layer = _asm()
    x = ember.randn(4, 8, dtype=ember.float64)
    target = ember.tensor([1, 5, 8, 9])
    log_prob = layer.log_prob(x).detach()
    np.testing.assert_allclose(log_prob.exp().sum(1).numpy(), np.ones(4), rtol=1e-12)
    out, loss = layer(x, target)
    np.testing.assert_allclose(out.detach().numpy(),
                               log_prob.numpy()[np.arange(4), target.numpy()])
    assert loss.item() == pytest.approx(-out.mean().item())


def test_adaptive_log_softmax_predict_is_argmax_of_log_prob():
    layer = _asm()
    with ember.no_grad():
        layer.head.weight[3:].mul_(8.0)  # push some rows into the tail clusters
    x = ember.randn(12, 8, dtype=ember.float64)
    assert layer.predict(x).tolist() == layer.log_prob(x).argmax(1).tolist()


def test_adaptive_log_softmax_unbatched():
    layer = _asm()
    x = ember.randn(8, dtype=ember.float64)
    out, loss = layer(x, ember.tensor(7))
    assert out.shape == () and loss.item() == pytest.approx(-out.item())


def test_adaptive_log_softmax_state_dict_keys():
    assert list(_asm(head_bias=True).state_dict()) == [
        "head.weight", "head.bias", "tail.0.0.weight", "tail.0.1.weight", "tail.1.0.weight",
        "tail.1.1.weight"]


@pytest.mark.parametrize("cutoffs", [[], [3, 3], [6, 3], [0, 4], [4, 10], [2.5]])
def test_adaptive_log_softmax_bad_cutoffs_raise(cutoffs):
    with pytest.raises(ValueError, match="cutoffs should be a sequence"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs)


@pytest.mark.parametrize("shape,target,match", [
    ((3, 8), [0, 1], "same size in the batch dimension"),
    ((2, 2, 8), [0, 1], "1D target tensor expects 2D input tensors"),
    ((2, 8), 1, "0D target tensor expects 1D input tensors"),
    ((2, 8), [[0, 1]], "0D or 1D target tensor expected, multi-target not supported"),
    ((2, 8), [0, 10], "Target values should be in \\[0, 9\\], but values in range \\[0, 10\\]"),
])
def test_adaptive_log_softmax_bad_input_raises(shape, target, match):
    with pytest.raises(RuntimeError, match=match):
        _asm()(ember.randn(*shape, dtype=ember.float64), ember.tensor(target))


# -- antialiased interpolation ---------------------------------------------------------------------
@pytest.mark.parametrize("mode,align_corners", [("bilinear", False), ("bilinear", True),
                                                ("bicubic", False), ("lanczos", None)])
def test_interpolate_antialias_gradcheck(mode, align_corners):
    check_grad(lambda x: F.interpolate(x, size=(3, 4), mode=mode, antialias=True,
                                       align_corners=align_corners), (1, 2, 7, 9))


def test_interpolate_antialias_preserves_constants_and_dtype():
    x = ember.full((1, 1, 9, 7), 2.5)
    out = F.interpolate(x, scale_factor=0.4, mode="bicubic", antialias=True)
    assert out.dtype == ember.float32 and out.shape == (1, 1, 3, 2)
    np.testing.assert_allclose(out.numpy(), 2.5, rtol=1e-6)


def test_interpolate_antialias_bilinear_halving_stretches_the_triangle_filter():
    # At scale 2 the triangle spans 4 pixels; output 0 (centre 1.0) sees pixels 0-2 with
    # weights 0.75, 0.75, 0.25 before normalising, output 1 (centre 3.0) pixels 1-3.
    x = ember.arange(4.0).reshape(1, 1, 1, 4)
    out = F.interpolate(x, size=(1, 2), mode="bilinear", antialias=True)
    np.testing.assert_allclose(out.numpy().ravel(), [5 / 7, 16 / 7], rtol=1e-6)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(mode="nearest", antialias=True), ValueError, "Anti-alias option is restricted"),
    (dict(mode="lanczos"), ValueError, "Lanczos mode requires antialias=True"),
    (dict(mode="lanczos", antialias=True, align_corners=True), ValueError,
     "Lanczos mode does not support align_corners=True"),
    (dict(mode="bilinear", recompute_scale_factor=True), ValueError,
     "recompute_scale_factor is not meaningful with an explicit size"),
])
def test_interpolate_antialias_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        F.interpolate(ember.zeros(1, 1, 4, 4), size=2, **kwargs)


def test_interpolate_antialias_needs_4d_input():
    with pytest.raises(ValueError, match="requires a 4-D tensor as input"):
        F.interpolate(ember.zeros(1, 1, 4), size=2, mode="bilinear", antialias=True)


def test_interpolate_antialias_rejects_integer_input():
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.interpolate(ember.zeros(1, 1, 4, 4, dtype=ember.int64), size=2, mode="bilinear",
                      antialias=True)


def test_interpolate_zero_output_size_raises():
    with pytest.raises(RuntimeError, match="Input and output sizes should be greater than 0, "
                                           "but got input \\(H: 4, W: 4\\) output \\(H: 0"):
        F.interpolate(ember.zeros(1, 1, 4, 4), size=0, mode="bilinear")
