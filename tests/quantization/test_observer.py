"""Observers and QConfig."""
import numpy as np
import pytest

import ember
from ember.ao import quantization as tq


def test_minmax_observer_affine_parameters():
    observer = tq.MinMaxObserver()
    observer(ember.tensor([-1.0, 0.5]))
    observer(ember.tensor([2.0, 3.0]))
    scale, zero_point = observer.calculate_qparams()
    assert scale.item() == pytest.approx(4.0 / 255)
    assert zero_point.item() == round(1.0 / (4.0 / 255))


def test_symmetric_qint8_observer_centres_on_zero():
    observer = tq.MinMaxObserver(dtype=ember.qint8, qscheme=ember.per_tensor_symmetric)
    observer(ember.tensor([-3.0, 1.0]))
    scale, zero_point = observer.calculate_qparams()
    assert scale.item() == pytest.approx(3.0 / 127.5) and zero_point.item() == 0


def test_reduce_range_uses_half_the_integers():
    observer = tq.MinMaxObserver(reduce_range=True)
    assert (observer.quant_min, observer.quant_max) == (0, 127)


def test_per_channel_observer_gives_one_scale_per_channel():
    observer = tq.PerChannelMinMaxObserver(ch_axis=1, dtype=ember.qint8,
                                           qscheme=ember.per_channel_symmetric)
    observer(ember.tensor([[1.0, -2.0, 4.0], [0.5, 1.0, -8.0]]))
    scale, _ = observer.calculate_qparams()
    np.testing.assert_allclose(scale.numpy(), np.array([1.0, 2.0, 8.0]) / 127.5, rtol=1e-6)


def test_moving_average_observer_follows_batches_slowly():
    observer = tq.MovingAverageMinMaxObserver(averaging_constant=0.5)
    observer(ember.tensor([0.0, 2.0]))
    observer(ember.tensor([0.0, 4.0]))
    assert observer.max_val.item() == pytest.approx(3.0)


def test_histogram_observer_keeps_every_value_when_the_range_grows():
    observer = tq.HistogramObserver(bins=64)
    observer(ember.linspace(-1.0, 1.0, 100))
    observer(ember.linspace(-4.0, 3.0, 50))
    assert observer.histogram.sum().item() == pytest.approx(150)
    assert (observer.min_val.item(), observer.max_val.item()) == (-4.0, 3.0)
    scale, zero_point = observer.calculate_qparams()
    assert 0 < scale.item() <= 7.0 / 255 + 1e-7 and 0 <= zero_point.item() <= 255


def test_unused_observer_warns_and_gives_unit_scale():
    with pytest.warns(UserWarning, match="observer"):
        scale, zero_point = tq.MinMaxObserver().calculate_qparams()
    assert (scale.item(), zero_point.item()) == (1.0, 0)


def test_qconfig_wants_constructors_not_observers():
    with pytest.raises(ValueError, match="with_args"):
        tq.QConfig(activation=tq.MinMaxObserver(), weight=tq.default_weight_observer)


def test_with_args_builds_fresh_observers():
    make = tq.MinMaxObserver.with_args(reduce_range=True)
    first, second = make(), make()
    assert first is not second and first.reduce_range


def test_default_qconfig_for_x86_uses_histogram_and_per_channel_weights():
    qconfig = tq.get_default_qconfig("x86")
    assert isinstance(qconfig.activation(), tq.HistogramObserver)
    assert qconfig.activation().reduce_range
    assert qconfig.weight().qscheme is ember.per_channel_symmetric
    with pytest.raises(ValueError, match="backend"):
        tq.get_default_qconfig("tpu")


def test_observer_repr_shows_the_range_seen():
    per_tensor, per_channel = tq.HistogramObserver(), tq.PerChannelMinMaxObserver()
    per_tensor(ember.tensor([-1.0, 2.0]))
    per_channel(ember.tensor([[-1.0, 2.0], [0.5, 3.0]]))
    assert repr(per_tensor) == "HistogramObserver(min_val=-1.0, max_val=2.0)"
    assert repr(per_channel) == ("PerChannelMinMaxObserver(min_val=tensor([-1.0000,  0.5000]), "
                                 "max_val=tensor([2., 3.]))")


def test_restricted_weight_observer_avoids_minus_128():
    observer = tq.weight_observer_range_neg_127_to_127()
    observer(ember.tensor([-2.54, 1.0]))
    scale, zero_point = observer.calculate_qparams()
    assert scale.item() == pytest.approx(0.02) and zero_point.item() == 0
    assert (observer.quant_min, observer.quant_max) == (-127, 127)
