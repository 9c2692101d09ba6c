"""swa_utils: AveragedModel (SWA and EMA), update_bn and SWALR."""
import numpy as np

import ember
from ember import nn
from ember.optim import swa_utils


def _linear(seed):
    ember.manual_seed(seed)
    return nn.Linear(3, 2)


def test_averaged_model_is_the_running_mean():
    models = [_linear(s) for s in range(3)]
    swa = swa_utils.AveragedModel(models[0])
    for m in models:
        swa.update_parameters(m)
    expected = np.mean([m.weight.detach().numpy() for m in models], axis=0)
    np.testing.assert_allclose(swa.module.weight.detach().numpy(), expected, rtol=1e-5,
                               atol=1e-7)
    assert swa.n_averaged.item() == 3


def test_ema_avg_fn():
    a, b = _linear(0), _linear(1)
    ema = swa_utils.AveragedModel(a, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9))
    ema.update_parameters(a)
    ema.update_parameters(b)
    expected = 0.9 * a.weight.detach().numpy() + 0.1 * b.weight.detach().numpy()
    np.testing.assert_allclose(ema.module.weight.detach().numpy(), expected, rtol=1e-6)


def test_averaged_model_forwards_to_module():
    model = _linear(0)
    swa = swa_utils.AveragedModel(model)
    swa.update_parameters(model)
    x = ember.ones(4, 3)
    np.testing.assert_allclose(swa(x).detach().numpy(), model(x).detach().numpy(), rtol=1e-6)


def test_update_bn_recomputes_running_mean():
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    rng = np.random.default_rng(0)
    batches = [ember.tensor(rng.standard_normal((8, 3)).astype(np.float32) + 5)
               for _ in range(4)]
    swa_utils.update_bn(batches, model)
    with ember.no_grad():
        features = np.concatenate([model[0](b).numpy() for b in batches])
    np.testing.assert_allclose(model[1].running_mean.numpy(), features.mean(0), rtol=1e-4,
                               atol=1e-5)
    assert model[1].momentum == 0.1
