"""Loss functions and modules: gradients in float64 (gradcheck + gradgradcheck) for every
reduction, error messages, and module options."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.conftest import check_grad

REDUCTIONS = ["mean", "sum", "none"]


def _t(array, dtype=ember.float64):
    return ember.tensor(np.asarray(array), dtype=dtype)


def _labels(*shape, high=4):
    return ember.tensor(np.random.default_rng(1).integers(0, high, shape))


def _probs(*shape):
    return _t(np.random.default_rng(2).uniform(0.1, 0.9, shape))


def _signs(*shape):
    return _t(np.sign(np.random.default_rng(3).standard_normal(shape)))


def _cases():
    w = _t([1.0, 2.0, 0.5, 3.0])
    return {
        "mse": (lambda a, b, r: F.mse_loss(a, b, reduction=r), [(3, 4), (3, 4)]),
        "l1": (lambda a, b, r: F.l1_loss(a, b, reduction=r), [(3, 4), (3, 4)]),
        "smooth_l1": (lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.5),
                      [(3, 4), (3, 4)]),
        "huber": (lambda a, b, r: F.huber_loss(a, b, reduction=r, delta=0.5), [(3, 4), (3, 4)]),
        "cross_entropy": (lambda a, r: F.cross_entropy(a, _labels(5), reduction=r), [(5, 4)]),
        "cross_entropy_options": (
            lambda a, r: F.cross_entropy(a, _labels(5), w, ignore_index=2, reduction=r,
                                         label_smoothing=0.1), [(5, 4)]),
        "cross_entropy_kdim": (lambda a, r: F.cross_entropy(a, _labels(2, 3, 2), reduction=r),
                               [(2, 4, 3, 2)]),
        "cross_entropy_probs": (
            lambda a, r: F.cross_entropy(a, F.softmax(_t(np.ones((5, 4))), 1), reduction=r),
            [(5, 4)]),
        "nll": (lambda a, r: F.nll_loss(a, _labels(5), w, reduction=r), [(5, 4)]),
        "bce": (lambda a, r: F.binary_cross_entropy(ember.sigmoid(a), _probs(3, 4),
                                                    reduction=r), [(3, 4)]),
        "bce_logits": (lambda a, r: F.binary_cross_entropy_with_logits(
            a, _probs(3, 4), _t([1.0, 2, 3, 4]), reduction=r, pos_weight=_t([2.0, 1, 1, 3])),
            [(3, 4)]),
        "kl_div": (lambda a, b, r: F.kl_div(a, ember.softmax(b, 1), reduction=r), [(3, 4),
                                                                                   (3, 4)]),
        "poisson": (lambda a, r: F.poisson_nll_loss(a, _probs(3, 4) * 3, reduction=r,
                                                    full=True), [(3, 4)]),
        "gaussian": (lambda a, b, r: F.gaussian_nll_loss(a, _probs(3, 4), b * b + 0.1,
                                                         reduction=r), [(3, 4), (3, 4)]),
        "margin_ranking": (lambda a, b, r: F.margin_ranking_loss(a, b, _signs(6), 0.1,
                                                                 reduction=r), [(6,), (6,)]),
        "hinge": (lambda a, r: F.hinge_embedding_loss(a, _signs(6), reduction=r), [(6,)]),
        "cosine_embedding": (lambda a, b, r: F.cosine_embedding_loss(a, b, _signs(4), 0.1,
                                                                     reduction=r),
                             [(4, 3), (4, 3)]),
        "triplet": (lambda a, b, c, r: F.triplet_margin_loss(a, b, c, swap=True, reduction=r),
                    [(4, 3), (4, 3), (4, 3)]),
        "soft_margin": (lambda a, r: F.soft_margin_loss(a, _signs(6), reduction=r), [(6,)]),
        "multilabel_soft_margin": (lambda a, r: F.multilabel_soft_margin_loss(
            a, _probs(3, 4).round(), reduction=r), [(3, 4)]),
        "multi_margin": (lambda a, r: F.multi_margin_loss(a, _labels(5), p=2, weight=w,
                                                          reduction=r), [(5, 4)]),
        "multilabel_margin": (lambda a, r: F.multilabel_margin_loss(
            a, ember.tensor([[1, 3, -1, 0], [0, -1, 2, 2]]), reduction=r), [(2, 4)]),
    }


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(_cases()))
def test_loss_gradcheck(name, reduction):
    fn, shapes = _cases()[name]
    check_grad(lambda *xs: fn(*xs, reduction), *shapes)


def test_kl_div_batchmean_divides_by_batch():
    a, b = ember.randn(4, 3), ember.softmax(ember.randn(4, 3), 1)
    assert np.isclose(F.kl_div(a, b, reduction="batchmean").item(),
                      F.kl_div(a, b, reduction="sum").item() / 4)


def test_cross_entropy_unbatched_matches_batched():
    x, t = ember.randn(5), ember.tensor(3)
    assert np.isclose(F.cross_entropy(x, t).item(),
                      F.cross_entropy(x.unsqueeze(0), t.reshape(1)).item())


def test_cross_entropy_ignore_index_excluded_from_mean():
    x = ember.randn(3, 4)
    full = F.cross_entropy(x, ember.tensor([1, 2, 3]), reduction="none")
    masked = F.cross_entropy(x, ember.tensor([1, -100, 3]))
    assert np.isclose(masked.item(), (full[0] + full[2]).item() / 2)


def test_cross_entropy_float32_stays_float32():
    assert F.cross_entropy(ember.randn(3, 4), ember.tensor([0, 1, 2])).dtype is ember.float32


def test_cross_entropy_target_out_of_range_names_value_and_classes():
    with pytest.raises(IndexError, match=r"Target 7 is out of bounds.*\[0, 3\]"):
        F.cross_entropy(ember.randn(2, 4), ember.tensor([0, 7]))


def test_cross_entropy_batch_mismatch_raises():
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                                         r"batch_size \(2\)"):
        F.cross_entropy(ember.randn(3, 4), ember.tensor([0, 1]))


def test_nll_loss_float_target_raises():
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte"):
        F.nll_loss(ember.randn(3, 4), ember.tensor([0.0, 1.0, 2.0]))


def test_nll_loss_weight_size_raises():
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 4"):
        F.nll_loss(ember.randn(3, 4), ember.tensor([0, 1, 2]), weight=ember.ones(3))


def test_invalid_reduction_raises():
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.mse_loss(ember.randn(2), ember.randn(2), reduction="foo")


def test_legacy_size_average_maps_to_sum():
    a, b = ember.randn(3), ember.randn(3)
    with pytest.warns(UserWarning):
        legacy = F.l1_loss(a, b, size_average=False)
    assert np.isclose(legacy.item(), F.l1_loss(a, b, reduction="sum").item())


def test_bce_input_out_of_range_raises():
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0]))


def test_bce_log_clamped_at_minus_100():
    loss = F.binary_cross_entropy(ember.tensor([0.0]), ember.tensor([1.0]))
    assert loss.item() == 100.0


def test_bce_with_logits_stable_for_huge_logits():
    x = ember.tensor([1e4, -1e4], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, ember.tensor([0.0, 1.0]), reduction="sum")
    loss.backward()
    assert loss.item() == 2e4 and x.grad.tolist() == [1.0, -1.0]


def test_bce_with_logits_size_mismatch_raises():
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(ember.randn(3), ember.randn(4))


def test_gaussian_nll_negative_var_raises():
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(ember.randn(3), ember.randn(3), -ember.ones(3))


def test_one_hot_infers_classes_and_rejects_out_of_range():
    assert F.one_hot(ember.tensor([0, 2])).shape == (2, 3)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        F.one_hot(ember.tensor([0, 3]), 2)


def test_weighted_mse_mean_divides_by_weight_sum():
    a, b, w = ember.ones(2), ember.zeros(2), ember.tensor([1.0, 3.0])
    assert F.mse_loss(a, b, weight=w).item() == 1.0


@pytest.mark.parametrize("fn", ["normalize", "cosine_similarity", "pairwise_distance"])
def test_distance_gradcheck(fn):
    if fn == "normalize":
        check_grad(lambda a: F.normalize(a, dim=1), (3, 4))
    else:
        check_grad(lambda a, b: getattr(F, fn)(a, b), (3, 4), (3, 4))


def test_loss_modules_hold_weight_buffers():
    m = nn.CrossEntropyLoss(weight=ember.ones(3), label_smoothing=0.1)
    assert list(m.state_dict()) == ["weight"]
    assert m.reduction == "mean" and m.ignore_index == -100
    out = m(ember.randn(2, 3), ember.tensor([0, 2]))
    assert out.shape == ()


@pytest.mark.parametrize("module,args", [
    (nn.MSELoss(reduction="none"), [(2, 3), (2, 3)]), (nn.L1Loss(), [(2, 3), (2, 3)]),
    (nn.HuberLoss(delta=0.5), [(2, 3), (2, 3)]), (nn.SmoothL1Loss(beta=0.5), [(2, 3), (2, 3)]),
    (nn.KLDivLoss(reduction="batchmean", log_target=True), [(2, 3), (2, 3)]),
    (nn.GaussianNLLLoss(), [(2, 3), (2, 3), (2, 3)]), (nn.SoftMarginLoss(), [(4,), (4,)]),
    (nn.MarginRankingLoss(0.5), [(4,), (4,), (4,)]), (nn.PoissonNLLLoss(), [(2, 3), (2, 3)]),
    (nn.TripletMarginLoss(), [(2, 3), (2, 3), (2, 3)]),
    (nn.CosineEmbeddingLoss(), [(2, 3), (2, 3), (2,)]),
    (nn.TripletMarginWithDistanceLoss(), [(2, 3), (2, 3), (2, 3)]),
])
def test_loss_modules_run(module, args):
    inputs = [ember.rand(*s) + 0.1 for s in args]
    assert module(*inputs).ndim in (0, 2)


def test_ctc_loss_gradcheck_through_log_softmax():
    targets = ember.tensor([[1, 2, 2], [3, 1, 0]])
    check_grad(lambda x: F.ctc_loss(x.log_softmax(2), targets, [6, 5], [3, 2]), (6, 2, 4),
               gradgrad=False)


def test_ctc_loss_module_and_impossible_alignment():
    loss = nn.CTCLoss(zero_infinity=True)
    x = ember.randn(2, 1, 3).log_softmax(2)
    assert loss(x, ember.tensor([[1, 2, 1]]), [2], [3]).item() == 0.0
    assert F.ctc_loss(x, ember.tensor([[1, 2, 1]]), [2], [3]).item() == float("inf")
