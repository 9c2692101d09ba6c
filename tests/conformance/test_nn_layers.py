"""Layers against PyTorch: torch's weights copied in, outputs and every gradient compared."""
import numpy as np
import pytest

import ember
from tests.conformance.conftest import torch

# (layer, args, kwargs, input shape); float input unless the shape is given as ("index", ...)
SPECS = [
    ("Conv1d", (3, 4, 3), {}, (2, 3, 9)),
    ("Conv1d", (4, 6, 3), dict(stride=2, padding=2, dilation=2, groups=2), (2, 4, 11)),
    ("Conv1d", (3, 4, 4), dict(padding="same", padding_mode="circular"), (2, 3, 9)),
    ("Conv1d", (3, 4, 3), dict(padding=1), (3, 9)),
    ("Conv2d", (1, 32, 3), {}, (4, 1, 12, 12)),
    ("Conv2d", (3, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 2), bias=False), (2, 3, 8, 7)),
    ("Conv2d", (4, 4, 3), dict(groups=4, padding="same"), (2, 4, 6, 6)),
    ("Conv2d", (4, 8, 3), dict(groups=2, dilation=2, padding=2, padding_mode="reflect"),
     (2, 4, 7, 7)),
    ("Conv2d", (3, 5, 3), dict(padding=1, padding_mode="replicate"), (3, 6, 6)),
    ("Conv2d", (3, 5, 2), dict(padding="valid", stride=3), (2, 3, 8, 8)),
    ("Conv3d", (2, 3, 2), dict(stride=(1, 2, 1), padding=1), (2, 2, 4, 5, 4)),
    ("ConvTranspose1d", (4, 3, 3), dict(stride=2, output_padding=1), (2, 4, 5)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, groups=2), (2, 4, 4, 5)),
    ("ConvTranspose2d", (3, 2, (2, 3)), dict(dilation=2, padding=(0, 1), bias=False),
     (2, 3, 5, 4)),
    ("ConvTranspose2d", (3, 2, 3), dict(stride=(1, 2), output_padding=(0, 1)), (3, 4, 4)),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2), (1, 2, 3, 3, 2)),
    ("MaxPool1d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 10)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, dilation=2, return_indices=True),
     (2, 3, 9, 9)),
    ("MaxPool2d", ((2, 3),), dict(stride=1, ceil_mode=True), (3, 5, 6)),
    ("MaxPool3d", (2,), dict(stride=1, padding=1), (1, 2, 3, 4, 3)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 10)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 8, 9)),
    ("AvgPool2d", (2,), dict(divisor_override=3), (2, 3, 6, 6)),
    ("AvgPool3d", (2,), dict(ceil_mode=True), (1, 2, 5, 4, 3)),
    ("LPPool2d", (2, 2), dict(stride=1), (2, 3, 5, 5)),
    ("LPPool1d", (1, 3), {}, (2, 3, 9)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((3, 4),), {}, (2, 3, 7, 9)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 7, 9)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}, (1, 2, 5, 4, 7)),
    ("AdaptiveMaxPool1d", (4,), dict(return_indices=True), (2, 3, 9)),
    ("AdaptiveMaxPool2d", ((3, 4),), {}, (2, 3, 7, 9)),
    ("AdaptiveMaxPool3d", (2,), {}, (1, 2, 5, 4, 7)),
    ("BatchNorm1d", (3,), {}, (8, 3)),
    ("BatchNorm1d", (3,), dict(momentum=None, affine=False), (4, 3, 5)),
    ("BatchNorm2d", (3,), dict(eps=1e-3, momentum=0.3), (4, 3, 5, 5)),
    ("BatchNorm2d", (3,), dict(track_running_stats=False, bias=False), (4, 3, 5, 5)),
    ("BatchNorm3d", (2,), {}, (2, 2, 3, 3, 3)),
    ("InstanceNorm1d", (3,), dict(affine=True), (2, 3, 7)),
    ("InstanceNorm2d", (3,), dict(track_running_stats=True), (2, 3, 5, 5)),
    ("InstanceNorm2d", (3,), dict(affine=True), (3, 5, 5)),
    ("InstanceNorm3d", (2,), {}, (2, 2, 3, 3, 3)),
    ("LayerNorm", ((5,),), {}, (3, 4, 5)),
    ("LayerNorm", ((4, 5),), dict(eps=1e-3, bias=False), (3, 4, 5)),
    ("LayerNorm", (5,), dict(elementwise_affine=False), (3, 5)),
    ("GroupNorm", (2, 6), {}, (3, 6, 4)),
    ("GroupNorm", (3, 6), dict(affine=False), (3, 6, 2, 2)),
    ("RMSNorm", ((4,),), {}, (3, 4)),
    ("RMSNorm", ((3, 4),), dict(eps=1e-3), (2, 3, 4)),
    ("LocalResponseNorm", (3,), {}, (2, 5, 4, 4)),
    ("LocalResponseNorm", (2,), dict(alpha=0.1, beta=0.5, k=2.0), (2, 5, 6)),
    ("Embedding", (10, 4), {}, ("index", 3, 5)),
    ("Embedding", (10, 4), dict(padding_idx=3, scale_grad_by_freq=True), ("index", 3, 5)),
    ("Embedding", (10, 4), dict(max_norm=1.0), ("index", 6)),
    ("EmbeddingBag", (10, 4), dict(mode="sum"), ("index", 3, 5)),
    ("EmbeddingBag", (10, 4), dict(mode="max"), ("index", 3, 5)),
    ("EmbeddingBag", (10, 4), dict(mode="mean", padding_idx=2), ("index", 3, 5)),
    ("Upsample", (), dict(scale_factor=2), (2, 3, 4, 5)),
    ("Upsample", (), dict(size=(7, 3), mode="bilinear"), (2, 3, 4, 5)),
    ("Upsample", (), dict(scale_factor=1.5, mode="bicubic", align_corners=True), (2, 3, 4, 5)),
    ("Upsample", (), dict(scale_factor=2, mode="linear"), (2, 3, 5)),
    ("Upsample", (), dict(scale_factor=(2, 1, 3), mode="trilinear"), (1, 2, 3, 2, 3)),
    ("Upsample", (), dict(size=5, mode="nearest-exact"), (2, 3, 3)),
    ("UpsamplingNearest2d", (), dict(scale_factor=3), (2, 3, 2, 3)),
    ("UpsamplingBilinear2d", (), dict(size=(5, 6)), (2, 3, 2, 3)),
    ("PixelShuffle", (2,), {}, (2, 8, 3, 4)),
    ("PixelUnshuffle", (2,), {}, (2, 2, 4, 6)),
    ("ChannelShuffle", (3,), {}, (2, 6, 2, 2)),
    ("Unfold", ((2, 3),), dict(padding=1, stride=2, dilation=(1, 2)), (2, 3, 6, 7)),
    ("Fold", ((5, 6), 2), dict(stride=1), (2, 12, 20)),
    ("ZeroPad2d", ((1, 2, 0, 3),), {}, (2, 3, 4, 4)),
    ("ConstantPad1d", (2, 3.5), {}, (2, 3, 4)),
    ("ConstantPad3d", ((1, 0, 2, 1, 0, 1), -1.0), {}, (1, 2, 3, 3, 3)),
    ("ReflectionPad1d", ((2, 1),), {}, (2, 3, 5)),
    ("ReflectionPad2d", (2,), {}, (2, 3, 4, 4)),
    ("ReplicationPad1d", (3,), {}, (3, 5)),
    ("ReplicationPad2d", ((1, 0, 2, 3),), {}, (2, 3, 4, 4)),
    ("ReplicationPad3d", (1,), {}, (1, 2, 3, 3, 3)),
    ("CircularPad1d", (2,), {}, (2, 3, 5)),
    ("CircularPad2d", ((1, 2, 2, 0),), {}, (2, 3, 4, 4)),
]


def _ident(spec) -> str:
    name, args, kwargs, shape = spec
    return f"{name}{args}{kwargs}{shape}".replace(" ", "")


def _inputs(shape, rng):
    if shape[0] == "index":
        data = rng.integers(0, 10, size=shape[1:])
        return ember.tensor(data), torch.tensor(data)
    data = rng.standard_normal(shape).astype(np.float32)
    if shape[-1] == 9 and len(shape) == 3:
        data = np.abs(data) + 0.1  # LPPool1d with p=1 and friends want positive sums
    return ember.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("spec", SPECS, ids=_ident)
def test_layer_matches_torch(spec):
    name, args, kwargs, shape = spec
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    ours = getattr(ember.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    their_state = theirs.state_dict()
    assert list(ours.state_dict()) == list(their_state)
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in their_state.items()})
    x, tx = _inputs(shape, rng)
    out, their_out = ours(x), theirs(tx)
    if isinstance(their_out, tuple):
        np.testing.assert_array_equal(out[1].numpy(), their_out[1].numpy())
    out, their_out = _first(out), _first(their_out)
    assert tuple(out.shape) == tuple(their_out.shape)
    np.testing.assert_allclose(out.detach().numpy(), their_out.detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    grad = rng.standard_normal(tuple(their_out.shape)).astype(np.float32)
    out.backward(ember.tensor(grad))
    their_out.backward(torch.tensor(grad))
    if x.requires_grad:
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    their_params = dict(theirs.named_parameters())
    for key, param in ours.named_parameters():
        expected = their_params[key].grad
        assert (param.grad is None) == (expected is None), key
        if expected is not None:
            np.testing.assert_allclose(param.grad.numpy(), expected.numpy(), rtol=1e-4,
                                       atol=1e-4, err_msg=key)
    their_buffers = dict(theirs.named_buffers())
    for key, buf in ours.named_buffers():
        np.testing.assert_allclose(buf.numpy(), their_buffers[key].numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=key)


def test_conv_transpose2d_output_size_matches_torch():
    torch.manual_seed(0)
    theirs = torch.nn.ConvTranspose2d(3, 2, 3, stride=2)
    ours = ember.nn.ConvTranspose2d(3, 2, 3, stride=2)
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    data = np.random.default_rng(0).standard_normal((1, 3, 4, 4)).astype(np.float32)
    out = ours(ember.tensor(data), output_size=(10, 10))
    expected = theirs(torch.tensor(data), output_size=(10, 10))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-4,
                               atol=1e-5)


def test_max_unpool2d_matches_torch():
    data = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    out, idx = ember.nn.MaxPool2d(2, return_indices=True)(ember.tensor(data))
    tout, tidx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(data))
    ours = ember.nn.MaxUnpool2d(2)(out, idx, output_size=(7, 7))
    theirs = torch.nn.MaxUnpool2d(2)(tout, tidx, output_size=(7, 7))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_embedding_bag_offsets_per_sample_weights_match_torch():
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    theirs = torch.nn.EmbeddingBag(10, 3, mode="sum", include_last_offset=True)
    ours = ember.nn.EmbeddingBag(10, 3, mode="sum", include_last_offset=True)
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    idx, offsets = rng.integers(0, 10, 7), np.array([0, 3, 3, 7])
    psw = rng.standard_normal(7).astype(np.float32)
    out = ours(ember.tensor(idx), ember.tensor(offsets), ember.tensor(psw))
    expected = theirs(torch.tensor(idx), torch.tensor(offsets), torch.tensor(psw))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_batch_norm_eval_after_training_matches_torch():
    rng = np.random.default_rng(0)
    theirs, ours = torch.nn.BatchNorm2d(3), ember.nn.BatchNorm2d(3)
    for _ in range(3):
        data = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
        ours(ember.tensor(data))
        theirs(torch.tensor(data))
    theirs.eval()
    ours.eval()
    data = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(ours(ember.tensor(data)).detach().numpy(),
                               theirs(torch.tensor(data)).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_and_grid_sample_match_torch(mode, padding_mode, align_corners):
    rng = np.random.default_rng(0)
    theta = rng.standard_normal((2, 2, 3)).astype(np.float32)
    data = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    x, tx = ember.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    t, tt = ember.tensor(theta, requires_grad=True), torch.tensor(theta, requires_grad=True)
    out = ember.nn.functional.grid_sample(
        x, ember.nn.functional.affine_grid(t, (2, 3, 4, 7), align_corners), mode, padding_mode,
        align_corners)
    expected = torch.nn.functional.grid_sample(
        tx, torch.nn.functional.affine_grid(tt, (2, 3, 4, 7), align_corners), mode,
        padding_mode, align_corners)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    grad = rng.standard_normal(tuple(expected.shape)).astype(np.float32)
    out.backward(ember.tensor(grad))
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    if mode == "bilinear":
        np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-3, atol=1e-3)
